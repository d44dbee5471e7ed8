"""What the pages read, gathered from the services and shaped for the templates: the items an
official may log ranked by their own use, the review queue grouped by person and day, a team's
month. Reads only; the rules stay in the services (worklog, catalog, scoring)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from itertools import groupby

from sqlalchemy import and_, func, select

from kpi_platform.catalog import job_descriptions
from kpi_platform.db import db
from kpi_platform.org import service as org
from kpi_platform.scoring import projection, records
from kpi_platform.tenant_settings import service as tenant_settings
from kpi_platform.vietnamese import fold, sort_key
from kpi_platform.worklog import calendar
from kpi_platform.worklog import service as worklog
from kpi_platform.worklog.models import EntryState, WorkEntry
from kpi_platform.worklog.presenter import entry_views

USAGE_DAYS = 90  # "most used" looks this far back
SHOWN_WITHOUT_SEARCH = 12
QUEUE_LIMIT = 600  # a page of the queue; the rest waits for the next one


# ---------------------------------------------------------------- entries as the pages show them


# ---------------------------------------------------------------- the official's items


def item_choices(
    official_id: uuid.UUID, day: date, q: str | None = None, *, every: bool = False
) -> tuple[list[dict], int]:
    """The items the official may log on `day` (their job descriptions), most used by them first,
    matching every word of `q` with or without diacritics; without `q` only the first few unless
    `every`. Returns (shown, how many match)."""
    rows = db.session.execute(job_descriptions.allowed_items(official_id, day)).all()
    used = dict(
        db.session.execute(
            select(WorkEntry.item_id, func.count())
            .where(WorkEntry.official_id == official_id, WorkEntry.work_date >= day - timedelta(days=USAGE_DAYS))
            .group_by(WorkEntry.item_id)
        ).all()
    )
    words = fold(q or "").split()
    choices = []
    for item, version in rows:
        text = fold(f"{item.code} {version.name_vi}")
        if all(word in text for word in words):
            choices.append(
                {
                    "id": item.id,
                    "code": item.code,
                    "group": str(item.item_group),
                    "name": version.name_vi,
                    "output_unit": version.output_unit,
                    "norm_minutes": Decimal(str(version.norm_minutes)),
                    "used": used.get(item.id, 0),
                }
            )
    choices.sort(key=lambda c: (-c["used"], c["group"], c["code"]))
    total = len(choices)
    return (choices if words or every else choices[:SHOWN_WITHOUT_SEARCH]), total


def day_entries(official_id: uuid.UUID, day: date) -> list[dict]:
    entries = db.session.scalars(worklog.entries_of([official_id], date_from=day, date_to=day)).all()
    return entry_views(entries, day)  # in the order they were logged


def returned_entries(official_id: uuid.UUID, today: date) -> list[dict]:
    """Every returned entry of the official, whatever its day: each waits for a fix."""
    entries = db.session.scalars(worklog.entries_of([official_id], state=EntryState.returned)).all()
    return entry_views(entries, today)


def recent_days(today: date) -> list[date]:
    """The days an official may still log: today and the tenant's working days back."""
    rules = worklog.Rules.on(today)
    back = calendar.working_days(today - timedelta(days=rules.days_back * 3 + 14), today - timedelta(days=1))
    return [today, *reversed(back[-rules.days_back :])] if rules.days_back else [today]


def quality_levels(day: date) -> tuple[list, str]:
    settings = tenant_settings.settings_on(day)
    return list(settings.quality), settings.review.default_quality


def scoring_method(day: date) -> str:
    return tenant_settings.settings_on(day).scoring_method


def task_max(day: date) -> Decimal:
    return tenant_settings.settings_on(day).weights.task_max


def rating_names(day: date) -> dict[int, object]:
    return {r.tier: r for r in tenant_settings.settings_on(day).ratings}


# ---------------------------------------------------------------- the reviewer's queue


def review_groups(principal, today: date) -> tuple[list[dict], int]:
    """The submitted entries waiting for this reviewer, with their anomaly flags, grouped by person
    (in Vietnamese name order) and day. Returns (groups, entries in the whole queue)."""
    stmt = worklog.review_queue(principal, today)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    stmt = stmt.join(
        org.Official, and_(org.Official.tenant_id == WorkEntry.tenant_id, org.Official.id == WorkEntry.official_id)
    ).order_by(org.Official.sort_key, WorkEntry.work_date, WorkEntry.submitted_at, WorkEntry.id)
    entries = entry_views(db.session.scalars(stmt.limit(QUEUE_LIMIT)).all(), today, flags=True)
    groups = []
    for official_id, rows in groupby(entries, key=lambda e: e["official_id"]):
        rows = list(rows)
        days = []
        for day, day_rows in groupby(rows, key=lambda e: e["work_date"]):
            day_rows = list(day_rows)
            days.append(
                {
                    "date": day,
                    "entries": day_rows,
                    "standard_minutes": sum((e["standard_minutes"] for e in day_rows), Decimal(0)),
                }
            )
        groups.append(
            {
                "official_id": official_id,
                "name": rows[0]["official_name"],
                "days": days,
                "count": len(rows),
                "flagged": sum(1 for e in rows if e["flags"]),
            }
        )
    return groups, total


# ---------------------------------------------------------------- a team's month


def _logged_days(official_ids, start: date, end: date) -> dict[uuid.UUID, set[date]]:
    found: dict[uuid.UUID, set[date]] = {official_id: set() for official_id in official_ids}
    for official_id, day in db.session.execute(
        select(WorkEntry.official_id, WorkEntry.work_date)
        .where(WorkEntry.official_id.in_(official_ids), WorkEntry.work_date >= start, WorkEntry.work_date <= end)
        .distinct()
    ):
        found[official_id].add(day)
    return found


def _waiting(official_ids) -> Counter:
    return Counter(
        dict(
            db.session.execute(
                select(WorkEntry.official_id, func.count())
                .where(WorkEntry.official_id.in_(official_ids), WorkEntry.state == EntryState.submitted)
                .group_by(WorkEntry.official_id)
            ).all()
        )
    )


def team_month(reviewer_official_id: uuid.UUID, day: date, today: date) -> dict:
    """Each reviewee's month up to `day` (scoring.projection; under Decree 335 the assigned products
    too) and the working days up to yesterday they logged nothing on (leave aside): the gaps a
    reviewer should ask about. A past month shows its official result once it is scored."""
    people = org.reviewees_of(reviewer_official_id, today)
    officials = db.session.scalars(select(org.Official).where(org.Official.id.in_(people))).all() if people else []
    officials.sort(key=lambda o: sort_key(o.full_name))
    start = day.replace(day=1)
    until = min(day, today - timedelta(days=1))
    working = calendar.working_days(start, until) if until >= start else []
    ids = [o.id for o in officials]
    logged = _logged_days(ids, start, day)
    leave = records.leave_days(start, day + timedelta(days=1), ids)
    waiting = _waiting(ids)
    decree = scoring_method(start) == "decree-335"
    rows = []
    for official in officials:
        month = projection.month_so_far(official.id, day)
        gaps = [d for d in working if d not in logged[official.id] and d not in leave[official.id]]
        rows.append(
            {
                "official": official,
                "month": month,
                "decree": projection.decree_so_far(official.id, day) if decree else None,
                "gaps": gaps,
                "waiting": waiting.get(official.id, 0),
            }
        )
    return {"rows": rows, "start": start, "day": day, "working_days_so_far": len(working), "decree": decree}
