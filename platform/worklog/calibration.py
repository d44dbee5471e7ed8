"""Norm calibration after a pilot: per item, the norm against the time officials actually reported.

Only entries that carry actual minutes count, as minutes per unit of output (actual ÷ quantity);
returned and draft entries do not. The suggested norm is the median, rounded to a whole minute,
when at least `min_entries` entries back it. Accepting a suggestion opens a new version of the item
with that norm, submitted for the normal approval (by someone else than the one who accepted it).
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, func, select

from kpi_platform.catalog import service as catalog
from kpi_platform.catalog.models import CatalogItem, CatalogItemVersion, VersionState
from kpi_platform.db import db
from kpi_platform.errors import Invalid
from kpi_platform.periods import active_on
from kpi_platform.worklog.models import REPORTED, WorkEntry

DEFAULT_MIN_ENTRIES = 5
DEFAULT_PILOT_DAYS = 90


@dataclass
class Calibration:
    item_id: uuid.UUID
    code: str
    name_vi: str
    group: str
    norm_minutes: Decimal | None  # in force at the end of the period
    entries: int
    median_minutes: Decimal
    p25_minutes: Decimal
    p75_minutes: Decimal
    stddev_minutes: Decimal | None
    suggested_norm_minutes: Decimal | None
    deviation_pct: Decimal | None  # (median - norm) / norm


def _minutes(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _per_unit():
    return WorkEntry.actual_minutes / WorkEntry.quantity


def _filters(date_from: date, date_to: date, group: str | None, agency_id: uuid.UUID | None):
    conditions = [
        WorkEntry.work_date >= date_from,
        WorkEntry.work_date <= date_to,
        WorkEntry.actual_minutes.is_not(None),
        WorkEntry.state.in_(REPORTED),
    ]
    if group:
        conditions.append(CatalogItem.item_group == group)
    if agency_id:
        conditions.append(CatalogItem.agency_id == agency_id)
    return conditions


def _figures_postgresql(conditions) -> dict[uuid.UUID, tuple]:
    per_unit = _per_unit()
    stmt = (
        select(
            WorkEntry.item_id,
            func.count(),
            func.percentile_cont(0.5).within_group(per_unit),
            func.percentile_cont(0.25).within_group(per_unit),
            func.percentile_cont(0.75).within_group(per_unit),
            func.stddev_samp(per_unit),
        )
        .join(CatalogItem, and_(CatalogItem.tenant_id == WorkEntry.tenant_id, CatalogItem.id == WorkEntry.item_id))
        .where(*conditions)
        .group_by(WorkEntry.item_id)
    )
    return {row[0]: tuple(row[1:]) for row in db.session.execute(stmt)}


def _figures_portable(conditions) -> dict[uuid.UUID, tuple]:
    """SQLite (the demo) has no percentile_cont: the same figures from the sorted values."""
    stmt = (
        select(WorkEntry.item_id, WorkEntry.actual_minutes, WorkEntry.quantity)
        .join(CatalogItem, and_(CatalogItem.tenant_id == WorkEntry.tenant_id, CatalogItem.id == WorkEntry.item_id))
        .where(*conditions)
    )
    values: dict[uuid.UUID, list[float]] = {}
    for item_id, minutes, quantity in db.session.execute(stmt):
        values.setdefault(item_id, []).append(float(minutes) / float(quantity))
    figures = {}
    for item_id, xs in values.items():
        p25, p50, p75 = statistics.quantiles(xs, n=4, method="inclusive") if len(xs) > 1 else (xs[0],) * 3
        figures[item_id] = (len(xs), p50, p25, p75, statistics.stdev(xs) if len(xs) > 1 else None)
    return figures


def calibrate(
    date_from: date,
    date_to: date,
    *,
    min_entries: int = DEFAULT_MIN_ENTRIES,
    group: str | None = None,
    agency_id: uuid.UUID | None = None,
) -> list[Calibration]:
    if date_to < date_from:
        raise Invalid(
            "Ngày kết thúc phải sau ngày bắt đầu.",
            "The end date must not be before the start.",
            fields={"to": ["order"]},
        )
    if min_entries < 1:
        raise Invalid(fields={"min_entries": ["must be at least 1"]})
    conditions = _filters(date_from, date_to, group, agency_id)
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    figures = (_figures_postgresql if postgresql else _figures_portable)(conditions)
    if not figures:
        return []
    # Plain columns, and the same conditions as a subquery rather than thousands of bound ids.
    logged = (
        select(WorkEntry.item_id)
        .join(CatalogItem, and_(CatalogItem.tenant_id == WorkEntry.tenant_id, CatalogItem.id == WorkEntry.item_id))
        .where(*conditions)
    )
    items = db.session.execute(
        select(
            CatalogItem.id,
            CatalogItem.code,
            CatalogItem.name_vi,
            CatalogItem.item_group,
            CatalogItemVersion.norm_minutes,
        )
        .outerjoin(
            CatalogItemVersion,
            and_(
                CatalogItemVersion.tenant_id == CatalogItem.tenant_id,
                CatalogItemVersion.item_id == CatalogItem.id,
                CatalogItemVersion.state == VersionState.approved,
                active_on(CatalogItemVersion, date_to),
            ),
        )
        .where(CatalogItem.id.in_(logged))
        .order_by(CatalogItem.code)
    )
    report = []
    for item in items:
        count, median, p25, p75, stddev = figures[item.id]
        median = _minutes(median)
        norm = item.norm_minutes
        suggested = max(Decimal(1), median.quantize(Decimal(1), ROUND_HALF_UP)) if count >= min_entries else None
        report.append(
            Calibration(
                item_id=item.id,
                code=item.code,
                name_vi=item.name_vi,
                group=str(item.item_group),
                norm_minutes=norm,
                entries=count,
                median_minutes=median,
                p25_minutes=_minutes(p25),
                p75_minutes=_minutes(p75),
                stddev_minutes=_minutes(stddev) if stddev is not None else None,
                suggested_norm_minutes=suggested,
                deviation_pct=_minutes((median - Decimal(norm)) / Decimal(norm) * 100) if norm else None,
            )
        )
    return report


def accept(item_id: uuid.UUID, *, norm_minutes, valid_from: date, by, note: str | None = None) -> CatalogItemVersion:
    """Open a new version with the calibrated norm and submit it for approval."""
    catalog.propose_change(
        item_id,
        {"norm_minutes": norm_minutes, "change_note": note or "Chuẩn hóa định mức sau thí điểm"},
        valid_from=valid_from,
        by=by,
    )
    return catalog.submit(item_id, by=by)
