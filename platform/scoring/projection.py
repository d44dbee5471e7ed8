"""An official's month so far, before any run: every entry's points (approved ones with their
reviewer's quality, submitted ones at the tenant's default quality, as a projection), the time
available so far and in the whole month, and the rating the month is heading for."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, or_, select

from kpi_platform.catalog.models import CatalogItem, CatalogItemVersion
from kpi_platform.db import db
from kpi_platform.org.models import Assignment
from kpi_platform.scoring import engine, products, records, runs
from kpi_platform.scoring import settings as scoring_settings
from kpi_platform.scoring.engine import d
from kpi_platform.scoring.models import GeneralMark
from kpi_platform.worklog import calendar
from kpi_platform.worklog.models import EntryState, WorkEntry

SHOWN = (EntryState.draft, EntryState.submitted, EntryState.approved, EntryState.returned, EntryState.locked)


def month_so_far(official_id: uuid.UUID, day: date) -> dict:
    start, end = runs.period_of("month", day)
    settings = scoring_settings.settings_on(start)
    rules = engine.Rules.from_settings(settings)
    default_quality = settings["review"].get("default_quality", "good")
    rows = db.session.execute(
        select(WorkEntry, CatalogItemVersion, CatalogItem.code)
        .join(
            CatalogItemVersion,
            and_(
                CatalogItemVersion.tenant_id == WorkEntry.tenant_id, CatalogItemVersion.id == WorkEntry.item_version_id
            ),
        )
        .join(CatalogItem, and_(CatalogItem.tenant_id == WorkEntry.tenant_id, CatalogItem.id == WorkEntry.item_id))
        .where(
            WorkEntry.official_id == official_id,
            WorkEntry.work_date >= start,
            WorkEntry.work_date < end,
            WorkEntry.state.in_(SHOWN),
        )
        .order_by(WorkEntry.work_date, WorkEntry.created_at)
    )
    lines, approved, projected = [], Decimal(0), Decimal(0)
    for entry, version, code in rows:
        pending = entry.state in (EntryState.draft, EntryState.submitted)
        computed = engine.line_points(
            engine.Line(
                entry.id,
                code,
                d(version.norm_minutes),
                d(version.complexity_coefficient),
                d(entry.quantity),
                default_quality if pending else entry.quality,
                entry.late_working_days,
                str(entry.state),
            ),
            rules,
        )
        if entry.state in (EntryState.approved, EntryState.locked):
            approved += computed.points
        if entry.state != EntryState.returned:
            projected += computed.points
        lines.append(
            {
                **computed.as_dict(),
                "work_date": entry.work_date,
                "item_name": version.name_vi,
                "state": str(entry.state),
                "projected": pending,
            }
        )
    posts = db.session.scalars(
        select(Assignment).where(
            Assignment.official_id == official_id,
            Assignment.valid_from < end,
            or_(Assignment.valid_to.is_(None), Assignment.valid_to > start),
        )
    ).all()
    leave = records.leave_days(start, end, [official_id]).get(official_id, set())
    working = calendar.working_days(start, end - timedelta(days=1))
    month_hours = engine.available_hours(runs.day_shares(posts, working, leave), rules)
    so_far_hours = engine.available_hours(runs.day_shares(posts, [x for x in working if x <= day], leave), rules)
    mark = db.session.get(GeneralMark, (posts[0].tenant_id, official_id, start)) if posts else None
    general = d(mark.score) if mark else None
    projected_score = engine.score(projected, month_hours, rules, general=general)
    return {
        "month": start,
        "day": day,
        "lines": lines,
        "approved_points": approved,
        "projected_points": projected,
        "available_hours_so_far": so_far_hours,
        "available_hours_month": month_hours,
        "working_days_month": len(working),
        "projected_task": engine.rounded(projected_score.task, "0.01"),
        "general": projected_score.general,
        "general_assumed": projected_score.general_assumed,
        "projected_total": engine.rounded(projected_score.total, "0.01"),
        "projected_tier": engine.tier_for(projected_score.total, rules),
        "tier_names": {int(r["tier"]): r["name_vi"] for r in settings["ratings"]},
    }


def decree_so_far(official_id: uuid.UUID, day: date) -> dict:
    """Decree 335: the month's assigned products as they stand (completed by the approved work so
    far, with the deductions recorded), a, b, c and the total they give with the staff formula."""
    start, end = runs.period_of("month", day)
    rules = engine.Rules.from_settings(scoring_settings.settings_on(start))
    counted = products.month_products(start, end, official_id).get(official_id, [])
    decree = engine.decree_task([product for product, _ in counted], rules)
    mark = db.session.scalar(
        select(GeneralMark.score).where(GeneralMark.official_id == official_id, GeneralMark.month == start)
    )
    out = {
        "month": start,
        "weight": decree.weight,
        "a": decree.a,
        "b": decree.b,
        "c": decree.c,
        "insufficient_data": decree.task is None,
        "products": [
            {
                **info,
                "weight": product.weight,
                "completed": product.completed,
                "quality": product.quality,
                "progress": product.progress,
                "quality_failures": product.quality_failures,
                "delays": product.delays,
            }
            for product, info in counted
        ],
    }
    if decree.task is not None:
        general = rules.general_max if mark is None else d(mark)
        total = general + decree.task
        out.update(
            task=engine.rounded(decree.task, "0.01"),
            general=general,
            general_assumed=mark is None,
            total=engine.rounded(total, "0.01"),
            tier=engine.tier_for(total, rules),
        )
    return out
