"""Staffing norms (định biên): from a period of approved workload, the full-time equivalents each
unit and position needs against the people it has.

    needed_fte = Σ approved credited hours (w * quantity) / (working days * hours per day)
    headcount  = the posts held on the period's last day, each at its share
    difference = headcount - needed_fte   (above 0: surplus; below: shortfall)
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, select

from kpi_platform.catalog.models import CatalogItemVersion
from kpi_platform.db import db
from kpi_platform.org import service as org
from kpi_platform.org.models import Assignment, JobPosition
from kpi_platform.periods import active_on
from kpi_platform.scoring.engine import d, rounded
from kpi_platform.tenant_settings import service as tenant_settings
from kpi_platform.worklog import calendar
from kpi_platform.worklog.models import EntryState, WorkEntry


def staffing(start: date, end: date) -> dict:
    """[start, end) — typically a year. Workload is credited to the unit and position of the post
    the official held (primary) on the entry's day."""
    last_day = end - timedelta(days=1)
    hours_per_day = tenant_settings.settings_on(start).weights.hours_per_day
    working = len(calendar.working_days(start, last_day))
    w = CatalogItemVersion.norm_minutes * CatalogItemVersion.complexity_coefficient / 60
    post = and_(
        Assignment.tenant_id == WorkEntry.tenant_id,
        Assignment.official_id == WorkEntry.official_id,
        Assignment.is_primary,
        Assignment.valid_from <= WorkEntry.work_date,
        (Assignment.valid_to.is_(None)) | (Assignment.valid_to > WorkEntry.work_date),
    )
    workload = db.session.execute(
        select(Assignment.unit_id, Assignment.position_id, func.sum(w * WorkEntry.quantity))
        .select_from(WorkEntry)
        .join(
            CatalogItemVersion,
            and_(
                CatalogItemVersion.tenant_id == WorkEntry.tenant_id, CatalogItemVersion.id == WorkEntry.item_version_id
            ),
        )
        .join(Assignment, post)
        .where(
            WorkEntry.work_date >= start,
            WorkEntry.work_date < end,
            WorkEntry.state.in_((EntryState.approved, EntryState.locked)),
        )
        .group_by(Assignment.unit_id, Assignment.position_id)
    )
    rows: dict[tuple, dict] = defaultdict(lambda: {"hours": Decimal(0), "headcount": Decimal(0)})
    for unit_id, position_id, hours in workload:
        rows[(unit_id, position_id)]["hours"] += d(hours or 0)
    for unit_id, position_id, share in db.session.execute(
        select(Assignment.unit_id, Assignment.position_id, func.sum(Assignment.share))
        .where(active_on(Assignment, last_day))
        .group_by(Assignment.unit_id, Assignment.position_id)
    ):
        rows[(unit_id, position_id)]["headcount"] += d(share)
    units = {v.id: v for v in (org.UnitView(*row) for row in db.session.execute(org.units_as_of(last_day)))}
    positions = dict(db.session.execute(select(JobPosition.id, JobPosition.name_vi)).all())
    capacity = working * hours_per_day
    lines = []
    for (unit_id, position_id), row in rows.items():
        needed = row["hours"] / capacity if capacity else Decimal(0)
        unit = units.get(unit_id)
        lines.append(
            {
                "unit_id": unit_id,
                "unit_code": unit.code if unit else None,
                "unit_name": unit.name_vi if unit else None,
                "position_id": position_id,
                "position_name": positions.get(position_id),
                "credited_hours": rounded(row["hours"]),
                "needed_fte": rounded(needed),
                "headcount": rounded(row["headcount"]),
                "difference": rounded(row["headcount"] - needed),
            }
        )
    lines.sort(key=lambda line: (line["unit_code"] or "", line["position_name"] or ""))
    by_unit: dict = defaultdict(
        lambda: {"credited_hours": Decimal(0), "needed_fte": Decimal(0), "headcount": Decimal(0)}
    )
    for line in lines:
        for key in ("credited_hours", "needed_fte", "headcount"):
            by_unit[(line["unit_id"], line["unit_code"], line["unit_name"])][key] += line[key]
    units_out = [
        {"unit_id": k[0], "unit_code": k[1], "unit_name": k[2], **v, "difference": v["headcount"] - v["needed_fte"]}
        for k, v in sorted(by_unit.items(), key=lambda kv: kv[0][1] or "")
    ]
    return {
        "start": start,
        "end": end,
        "working_days": working,
        "hours_per_day": hours_per_day,
        "units": units_out,
        "lines": lines,
    }
