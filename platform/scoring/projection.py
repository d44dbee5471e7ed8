"""An official's month so far, before any run: every entry's points (approved ones with their
reviewer's quality, submitted ones at the tenant's default quality, as a projection), the time
available so far and in the whole month, and the rating the month is heading for."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, or_, select

from kpi_platform.catalog.models import CatalogItem, CatalogItemVersion
from kpi_platform.context import require_tenant_id
from kpi_platform.db import db
from kpi_platform.org.models import Assignment
from kpi_platform.scoring import engine, products, records, runs
from kpi_platform.scoring.engine import d
from kpi_platform.scoring.models import GeneralMark, PeriodResult
from kpi_platform.tenant_settings import service as tenant_settings
from kpi_platform.worklog import calendar
from kpi_platform.worklog.models import SCORED, ClosedPeriod, EntryState, WorkEntry

SHOWN = (EntryState.draft, EntryState.submitted, EntryState.approved, EntryState.returned, EntryState.locked)


def month_so_far(official_id: uuid.UUID, day: date) -> dict:
    """Approved points, and with the submitted work at the default quality (drafts are listed but
    count only once submitted; in a closed month only approved work counts), against the hours
    available so far; the projection carries that pace over the month's working days:
    task = task_max * min(1, points so far / hours available so far)."""
    start, end = runs.period_of("month", day)
    settings = tenant_settings.settings_on(start)
    rules = engine.Rules.from_settings(settings)
    default_quality = settings.review.default_quality
    closed = db.session.get(ClosedPeriod, (require_tenant_id(), start)) is not None
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
    lines, approved, pending = [], Decimal(0), Decimal(0)
    for entry, version, code in rows:
        waiting = entry.state == EntryState.submitted and not closed
        counted = entry.state in SCORED or waiting
        computed = engine.line_points(
            engine.Line(
                entry.id,
                code,
                d(version.norm_minutes),
                d(version.complexity_coefficient),
                d(entry.quantity),
                default_quality if waiting else entry.quality,
                entry.late_working_days,
                str(entry.state),
            ),
            rules,
        )
        if entry.state in SCORED:
            approved += computed.points
        elif waiting:
            pending += computed.points
        lines.append(
            {
                **computed.as_dict(),
                "points": computed.points if counted else Decimal(0),
                "counted": counted,
                "work_date": entry.work_date,
                "item_name": version.name_vi,
                "state": str(entry.state),
                "projected": waiting,
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
    mark = db.session.get(GeneralMark, (require_tenant_id(), official_id, start))
    general = d(mark.score) if mark else None
    points = approved + pending
    at_pace = engine.score(points, so_far_hours, rules, general=general)
    if_it_ended_today = engine.score(points, month_hours, rules, general=general)
    run = runs.latest_run("month", start)
    official = db.session.get(PeriodResult, (require_tenant_id(), run.id, official_id)) if run else None
    return {
        "month": start,
        "day": day,
        "closed": closed,
        "lines": lines,
        "approved_points": approved,
        "pending_points": pending,
        "projected_points": points,
        "available_hours_so_far": so_far_hours,
        "available_hours_month": month_hours,
        "working_days_month": len(working),
        "working_days_so_far": len([x for x in working if x <= day]),
        # None before the month's first working day: there is no pace to carry over yet.
        "pace": points / so_far_hours if so_far_hours else None,
        "projected_task": engine.rounded(at_pace.task, "0.01") if so_far_hours else None,
        "task_so_far": engine.rounded(if_it_ended_today.task, "0.01"),
        "general": at_pace.general,
        "general_assumed": at_pace.general_assumed,
        "projected_total": engine.rounded(at_pace.total, "0.01") if so_far_hours else None,
        "projected_tier": engine.tier_for(at_pace.total, rules) if so_far_hours else None,
        "tier_names": settings.rating_names_vi,
        "result": official,
        "run": run if official else None,
    }


def decree_so_far(official_id: uuid.UUID, day: date) -> dict:
    """Decree 335: the month's assigned products as they stand (completed by the approved work so
    far, with the deductions recorded), a, b, c and the total they give with the staff formula."""
    start, end = runs.period_of("month", day)
    rules = engine.Rules.from_settings(tenant_settings.settings_on(start))
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
