"""Organisational KPI (Decision 72-QĐ/TU): indicators in groups (administrative reform, service
quality for citizens and businesses, socio-economic targets …), each with a target, an actual
value, a direction and a weight for one agency or locality in one period.

    achievement = actual / target   (target / actual when lower is better), at most the cap (1.2)
    unit_score  = 100 * Σ weight * achievement / Σ weight
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from kpi_platform.audit import service as audit
from kpi_platform.db import db
from kpi_platform.errors import Conflict, Invalid, NotFound
from kpi_platform.org import service as org
from kpi_platform.scoring.engine import d, rounded
from kpi_platform.scoring.models import KpiIndicator, KpiValue, PeriodKind
from kpi_platform.tenant_settings import service as tenant_settings

GROUPS = ("administrative_reform", "service_quality", "socio_economic", "other")
DIRECTIONS = ("higher", "lower")


def indicators():
    return select(KpiIndicator).order_by(KpiIndicator.group, KpiIndicator.code)


def create_indicator(*, code: str, name_vi: str, group: str, direction: str, unit_of_measure: str | None = None):
    if group not in GROUPS:
        raise Invalid(fields={"group": [f"one of {', '.join(GROUPS)}"]})
    if direction not in DIRECTIONS:
        raise Invalid(fields={"direction": ["higher or lower"]})
    if db.session.scalar(select(KpiIndicator.id).where(KpiIndicator.code == code)):
        raise Conflict(f"Mã chỉ tiêu '{code}' đã có.", f"Indicator '{code}' exists.", code="duplicate_code")
    indicator = KpiIndicator(
        code=code, name_vi=name_vi, group=group, direction=direction, unit_of_measure=unit_of_measure
    )
    db.session.add(indicator)
    db.session.flush()
    audit.record("kpi.indicator.create", "kpi_indicator", indicator.id, after={"code": code, "group": group})
    return indicator


def _indicator_by_code(code: str) -> KpiIndicator:
    indicator = db.session.scalar(select(KpiIndicator).where(KpiIndicator.code == code))
    if indicator is None:
        raise NotFound(f"Không có chỉ tiêu '{code}'.", f"No indicator '{code}'.")
    return indicator


def set_value(
    *,
    indicator_code: str,
    unit_id: uuid.UUID,
    kind: str,
    start: date,
    target,
    actual=None,
    weight=1,
    source: str | None = None,
    by=None,
) -> KpiValue:
    indicator = _indicator_by_code(indicator_code)
    org.unit_as_of(unit_id, start)
    if d(target) <= 0 or d(weight) <= 0 or (actual is not None and d(actual) < 0):
        raise Invalid(
            "Chỉ tiêu và trọng số phải lớn hơn 0, giá trị thực hiện không âm.",
            "The target and weight must be above 0 and the actual value not negative.",
            fields={"target": [">0"], "weight": [">0"], "actual": [">=0"]},
        )
    key = (indicator.tenant_id, indicator.id, unit_id, PeriodKind(kind), start)
    value = db.session.get(KpiValue, key) or KpiValue(
        indicator_id=indicator.id, unit_id=unit_id, kind=PeriodKind(kind), start=start
    )
    value.target, value.actual, value.weight, value.source = (
        d(target),
        (d(actual) if actual is not None else None),
        d(weight),
        source,
    )
    value.updated_by = by.id if by else None
    db.session.add(value)
    db.session.flush()
    audit.record(
        "kpi.value.set",
        "kpi_value",
        f"{indicator_code}:{unit_id}:{kind}:{start.isoformat()}",
        after={"target": str(target), "actual": str(actual), "weight": str(weight)},
    )
    return value


def achievement(actual, target, direction: str, cap: Decimal) -> Decimal:
    actual, target = d(actual), d(target)
    if direction == "lower":
        return min(target / actual, cap) if actual > 0 else cap
    return min(actual / target, cap)


def unit_scores(kind, start: date) -> dict[uuid.UUID, Decimal]:
    """unit -> score for the period, from the values with an actual figure."""
    return {unit: detail["score"] for unit, detail in scores(kind, start).items() if detail["score"] is not None}


def scores(kind, start: date) -> dict[uuid.UUID, dict]:
    cap = tenant_settings.settings_on(start).organisational_kpi.achievement_cap
    rows = db.session.execute(
        select(KpiValue, KpiIndicator)
        .join(KpiIndicator, KpiIndicator.id == KpiValue.indicator_id)
        .where(KpiValue.kind == PeriodKind(kind), KpiValue.start == start)
    )
    by_unit: dict[uuid.UUID, list] = defaultdict(list)
    for value, indicator in rows:
        by_unit[value.unit_id].append((value, indicator))
    out = {}
    for unit_id, values in by_unit.items():
        lines, weighted, weights = [], Decimal(0), Decimal(0)
        for value, indicator in sorted(values, key=lambda v: v[1].code):
            reached = (
                achievement(value.actual, value.target, indicator.direction, cap) if value.actual is not None else None
            )
            if reached is not None:
                weighted += d(value.weight) * reached
                weights += d(value.weight)
            lines.append(
                {
                    "indicator": indicator.code,
                    "name_vi": indicator.name_vi,
                    "group": indicator.group,
                    "direction": indicator.direction,
                    "target": value.target,
                    "actual": value.actual,
                    "weight": value.weight,
                    "achievement": rounded(reached, "0.0001") if reached is not None else None,
                }
            )
        out[unit_id] = {"score": rounded(100 * weighted / weights, "0.01") if weights else None, "lines": lines}
    return out


def ranking(kind, start: date) -> list[dict]:
    names = {view.id: view for view in (org.UnitView(*row) for row in db.session.execute(org.units_as_of(start)))}
    ranked = sorted(
        ((unit, detail) for unit, detail in scores(kind, start).items() if detail["score"] is not None),
        key=lambda pair: pair[1]["score"],
        reverse=True,
    )
    out, previous, rank = [], None, 0
    for position, (unit, detail) in enumerate(ranked, start=1):
        if detail["score"] != previous:
            rank, previous = position, detail["score"]
        view = names.get(unit)
        out.append(
            {
                "rank": rank,
                "unit_id": unit,
                "unit_code": view.code if view else None,
                "unit_name": view.name_vi if view else None,
                **detail,
            }
        )
    return out
