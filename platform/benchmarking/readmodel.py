"""The read model: a tenant's month, computed from its latest month run, aggregated by taxonomy
cell at every level, suppressed (suppression.py), and written through the cross-tenant door.

Person-level rows are read inside the tenant (its row-level security applies) and never leave this
module: what goes through the door are the published cells' aggregates and the snapshot's counts.
Recomputing is idempotent: the tenant's month is replaced as a whole, and skipped when nothing it
is computed from has changed (the fingerprint).
"""

from __future__ import annotations

import hashlib
import json
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Float, and_, case, cast, delete, func, insert, literal, or_, select, union_all

from kpi_platform.benchmarking import mapping, suppression
from kpi_platform.benchmarking.models import COUNTS, Cell, Mapping, Snapshot
from kpi_platform.context import require_tenant_id
from kpi_platform.db import db, utcnow
from kpi_platform.org.models import Assignment, JobPosition, Official
from kpi_platform.scoring import engine, kpi, runs
from kpi_platform.scoring.models import PeriodKind, PeriodResult
from kpi_platform.tenancy.door import cross_tenant_session
from kpi_platform.tenant_settings.document import TenantSettings
from kpi_platform.worklog import calendar
from kpi_platform.worklog.models import EntryState, WorkEntry

ALGORITHM = 1  # part of the fingerprint: a change of the rules recomputes every month
COVERAGE_SHARE = Decimal("0.8")
REVIEWED = (EntryState.approved, EntryState.locked, EntryState.returned)
COUNTED = (EntryState.approved, EntryState.locked)
# The additive figures of a cell, summed over its officials.
SUMS = (
    "headcount",
    "rated",
    "tier_1",
    "tier_2",
    "tier_3",
    "tier_4",
    "tier_1_before_quota",
    "tier_2_before_quota",
    "demoted_by_quota",
    "total_sum",
    "task_sum",
    "method_hours",
    "method_decree",
    "coverage_known",
    "coverage_ok",
    "entries_reviewed",
    "entries_returned",
    "latency_entries",
    "latency_sum",
    "working_days",
    "credited_hours",
    "above_cap",
    "needed_fte",
    "kpi_officials",
    "kpi_sum",
)
INDEX = {name: i for i, name in enumerate(SUMS)}


@dataclass
class Computed:
    month: date
    run_id: object
    method: str
    quota_share: Decimal
    fingerprint: str
    cells: list[dict]
    suppressed: int
    withheld: bool
    unmapped: dict


def _ordinals(first: date, last: date):
    """(day, number of working days up to it) for every calendar day of [first, last], as a small
    table the entries join to, so latency in working days is computed in SQL."""
    working = set(calendar.working_days(first, last))
    rows, n, day = [], 0, first
    while day <= last:
        n += day in working
        rows.append(select(literal(day).label("day"), literal(n).label("n")))
        day += timedelta(days=1)
    return union_all(*rows).cte("ordinals")


def _entries(start: date, end: date) -> dict:
    """official -> (days logged, entries reviewed, returned, latency entries, latency sum): the
    counts in one pass over the month's entries, the latency in another over the reviewed ones,
    joined to the working-day numbers of their submission and decision days."""
    month = (WorkEntry.work_date >= start, WorkEntry.work_date < end)
    reviewed = and_(WorkEntry.state.in_(REVIEWED), WorkEntry.reviewed_at.is_not(None), ~WorkEntry.auto_approved)
    counts = db.session.execute(
        select(
            WorkEntry.official_id,
            func.count(func.distinct(case((WorkEntry.state != EntryState.draft, WorkEntry.work_date)))),
            func.sum(case((reviewed, 1), else_=0)),
            func.sum(case((WorkEntry.state == EntryState.returned, 1), else_=0)),
        )
        .where(*month)
        .group_by(WorkEntry.official_id)
    )
    out = {official: [int(logged or 0), int(n or 0), int(back or 0), 0, 0] for official, logged, n, back in counts}
    submitted = _ordinals(start - timedelta(days=7), end + timedelta(days=92))
    decided = submitted.alias("decided")
    latency = db.session.execute(
        select(WorkEntry.official_id, func.count(), func.sum(decided.c.n - submitted.c.n))
        .select_from(WorkEntry)
        .join(submitted, submitted.c.day == func.date(WorkEntry.submitted_at))
        .join(decided, decided.c.day == func.date(WorkEntry.reviewed_at))
        .where(*month, reviewed)
        .group_by(WorkEntry.official_id)
    )
    for official, n, days in latency:
        out[official][3:] = [int(n), int(days or 0)]
    return {official: tuple(values) for official, values in out.items()}


def _positions(start: date, end: date) -> dict:
    """official -> (position code, tenant category) of the latest primary post in the month."""
    positions = {pid: (code, str(category)) for pid, code, category in db.session.execute(
        select(JobPosition.id, JobPosition.code, JobPosition.category)
    )}  # fmt: skip
    latest = {}
    for official_id, position_id in db.session.execute(
        select(Assignment.official_id, Assignment.position_id)
        .where(
            Assignment.is_primary,
            Assignment.valid_from < end,
            or_(Assignment.valid_to.is_(None), Assignment.valid_to > start),
        )
        .order_by(Assignment.official_id, Assignment.valid_from)
    ):
        latest[official_id] = position_id
    return {official: positions[position] for official, position in latest.items()}


def fingerprint(run, start: date, end: date, min_size: int, version: int) -> str:
    """What a month's read model depends on; the same fingerprint means nothing to recompute."""
    mappings = db.session.execute(select(func.count(), func.max(Mapping.updated_at))).one()
    entries = db.session.scalar(
        select(func.max(WorkEntry.updated_at)).where(WorkEntry.work_date >= start, WorkEntry.work_date < end)
    )
    basis = [str(run.id), str(run.finished_at), list(map(str, mappings)), str(entries), min_size, version, ALGORITHM]
    return hashlib.sha256(json.dumps(basis).encode()).hexdigest()


def _quartiles(values: list[float]) -> tuple:
    if len(values) < 2:
        return (None, None, None)
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return (round(q1, 1), round(q2, 1), round(q3, 1))


def compute(month: date, *, min_size: int, fingerprinted: str | None = None) -> Computed | None:
    """The tenant's month (tenant context set), or None when the month has no finished run."""
    run = runs.latest_run("month", month)
    if run is None:
        return None
    start, end = run.start, run.end
    last_day = end - timedelta(days=1)
    version = mapping.current_version()
    rules = engine.Rules.from_settings(TenantSettings.from_document(run.settings))
    resolver = mapping.Resolver(last_day, mapping.terms(version))
    positions = _positions(start, end)
    entries = _entries(start, end)
    unit_kpi = kpi.unit_scores(PeriodKind.month, start)
    capacity = Decimal(len(calendar.working_days(start, last_day))) * rules.hours_per_day
    sums: dict[tuple, list] = {}
    totals: dict[tuple, list] = defaultdict(list)
    tasks: dict[tuple, list] = defaultdict(list)
    results = db.session.execute(
        select(
            PeriodResult.official_id,
            PeriodResult.unit_id,
            PeriodResult.agency_id,
            cast(PeriodResult.working_days, Float),
            cast(PeriodResult.credited_hours, Float),
            cast(PeriodResult.task, Float),
            cast(PeriodResult.total, Float),
            PeriodResult.tier,
            PeriodResult.tier_before_quota,
            PeriodResult.demoted_by_quota,
            PeriodResult.method,
            Official.employment_kind,
        )
        .join(Official, and_(Official.tenant_id == PeriodResult.tenant_id, Official.id == PeriodResult.official_id))
        .where(PeriodResult.run_id == run.id)
    )
    flag, fte = float(rules.flag_hours_per_day), 1 / float(capacity) if capacity else 0.0
    share = float(COVERAGE_SHARE)
    no_entries = (0, 0, 0, 0, 0)
    for official_id, unit_id, agency_id, days, credited, task, total, tier, before, demoted, method, kind in results:
        code, category = positions.get(official_id, (None, None))
        key = (*resolver.unit(unit_id), resolver.position(code, category), resolver.staff_kind(kind))
        logged, reviewed, returned, timed, latency = entries.get(official_id, no_entries)
        days, credited = days or 0.0, credited or 0.0
        score = unit_kpi.get(agency_id)
        rated = tier > 0
        values = (  # in the order of SUMS
            1,
            rated,
            tier == 1,
            tier == 2,
            tier == 3,
            tier == 4,
            before == 1,
            before == 2,
            demoted,
            total if rated else 0.0,
            task if rated else 0.0,
            method != "decree-335",
            method == "decree-335",
            days > 0,
            days > 0 and logged >= share * days,
            reviewed,
            returned,
            timed,
            latency,
            days,
            credited,
            days > 0 and credited / days > flag,
            credited * fte,
            score is not None,
            float(score) if score is not None else 0.0,
        )
        row = sums.get(key)
        if row is None:
            sums[key] = list(map(float, values))
        else:
            for i, value in enumerate(values):
                row[i] += value
        if rated:
            totals[key].append(total)
            tasks[key].append(task)
    cells = _cube(sums, totals, tasks)
    outcome = suppression.suppress({key: int(v[0][0]) for key, v in cells.items()}, min_size)
    published = [
        _row(key, values, cells_totals, cells_tasks)
        for key, (values, cells_totals, cells_tasks) in ((k, cells[k]) for k in sorted(cells))
        if key not in outcome.suppressed
    ]
    unmapped = resolver.unmapped()
    return Computed(
        month=start,
        run_id=run.id,
        method=run.method,
        quota_share=rules.quota_share,
        fingerprint=fingerprinted or fingerprint(run, start, end, min_size, version),
        cells=published,
        suppressed=len(outcome.suppressed),
        withheld=outcome.withheld,
        unmapped={
            "units": len(unmapped["units"]),
            "positions": len(unmapped["positions"]),
            "items": len(unmapped["items"]),
        },
    )


def _cube(sums: dict, totals: dict, tasks: dict) -> dict:
    """Every level: each finest cell added to its 16 margins (values, totals, tasks)."""
    cube: dict[tuple, tuple[list, list, list]] = {}
    for key, values in sums.items():
        for margin in suppression.margins_of(key):
            if margin not in cube:
                cube[margin] = ([0.0] * len(SUMS), [], [])
            target, margin_totals, margin_tasks = cube[margin]
            for i, value in enumerate(values):
                target[i] += value
            margin_totals.extend(totals.get(key, ()))
            margin_tasks.extend(tasks.get(key, ()))
    return cube


def _ratio(numerator: float, denominator: float, places: int = 2):
    return round(numerator / denominator, places) if denominator else None


def _row(key: tuple, v: list, totals: list, tasks: list) -> dict:
    g = {name: v[i] for name, i in INDEX.items()}
    total_q, task_q = _quartiles(totals), _quartiles(tasks)
    return {
        "unit_kind": key[0],
        "sector": key[1],
        "position_category": key[2],
        "staff_kind": key[3],
        **{name: int(g[name]) for name in COUNTS},
        "total_mean": _ratio(g["total_sum"], g["rated"]),
        "total_q1": total_q[0],
        "total_median": total_q[1],
        "total_q3": total_q[2],
        "task_mean": _ratio(g["task_sum"], g["rated"]),
        "task_q1": task_q[0],
        "task_median": task_q[1],
        "task_q3": task_q[2],
        "latency_mean": _ratio(g["latency_sum"], g["latency_entries"]),
        "working_days": round(g["working_days"], 1),
        "hours_per_day": _ratio(g["credited_hours"], g["working_days"]),
        "needed_fte": round(g["needed_fte"], 2),
        "kpi_mean": _ratio(g["kpi_sum"], g["kpi_officials"]),
    }


def store(tenant_id, computed: Computed, *, min_size: int, version: int) -> None:
    """Replace the tenant's month in the read model, through the door (one transaction)."""
    details = {
        "tenant_id": str(tenant_id),
        "month": computed.month.isoformat(),
        "cells": len(computed.cells),
        "withheld": computed.withheld,
    }
    with cross_tenant_session("benchmarking.refresh", details=details) as door:
        remove(door, tenant_id, computed.month)
        door.add(
            Snapshot(
                tenant_id=tenant_id,
                month=computed.month,
                taxonomy_version=version,
                min_group_size=min_size,
                source_run_id=computed.run_id,
                method=computed.method,
                quota_share=computed.quota_share,
                fingerprint=computed.fingerprint,
                cells_published=len(computed.cells),
                cells_suppressed=computed.suppressed,
                withheld=computed.withheld,
                unmapped=computed.unmapped,
                refreshed_at=utcnow(),
            )
        )
        door.flush()
        if computed.cells:
            door.execute(insert(Cell), [{"tenant_id": tenant_id, "month": computed.month, **c} for c in computed.cells])


def remove(door, tenant_id, month: date) -> None:
    door.execute(delete(Cell).where(Cell.tenant_id == tenant_id, Cell.month == month))
    door.execute(delete(Snapshot).where(Snapshot.tenant_id == tenant_id, Snapshot.month == month))


def stored_fingerprint(tenant_id, month: date) -> str | None:
    """The fingerprint of the stored month (the app role reads its own tenant's snapshot)."""
    return db.session.scalar(select(Snapshot.fingerprint).where(Snapshot.month == month))


def refresh(month: date, *, min_size: int, force: bool = False) -> str:
    """Recompute the current tenant's month when anything it depends on changed. Returns
    "refreshed", "unchanged" or "no_run"."""
    tenant_id = require_tenant_id()
    run = runs.latest_run("month", month)
    if run is None:
        return "no_run"
    version = mapping.current_version()
    if not force and stored_fingerprint(tenant_id, month) == fingerprint(run, run.start, run.end, min_size, version):
        return "unchanged"
    computed = compute(month, min_size=min_size)
    db.session.rollback()  # the tenant's reads are done; nothing of them is kept
    store(tenant_id, computed, min_size=min_size, version=version)
    return "refreshed"


def months_with_runs(since: date) -> list[date]:
    return sorted(
        set(
            db.session.scalars(
                select(runs.PeriodRun.start).where(
                    runs.PeriodRun.kind == PeriodKind.month,
                    runs.PeriodRun.status == runs.RunStatus.done,
                    runs.PeriodRun.start >= since,
                )
            )
        )
    )
