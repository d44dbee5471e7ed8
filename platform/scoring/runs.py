"""Period runs: a month's results for a whole tenant, computed set-based, and quarters and years
from the months' totals. Each run keeps the settings it used (their version and a copy), so
recomputing it gives the same numbers whatever changed since.

A month, for every official with a post in it:
- points and credited hours: one GROUP BY over the approved (and locked) entries joined to their
  item versions, with the quality and timeliness factors of the settings as CASE expressions;
- available hours: the month's working days the official held posts, leave days aside, each at
  the share of a full day their posts add up to (at most one) — from the assignments, not entries;
- general criteria: the reviewer's mark (assumed at its maximum while not marked, and said so);
- leaders (heads of a unit): half their own task, half the unit's score — its organisational KPI
  score when it has one, else its members' average total;
- ratings: tiers, disqualifiers (a disciplinary measure of reprimand or heavier in the year), and
  the quota within each agency and duty group (the position's category).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select

from kpi_platform.audit import service as audit
from kpi_platform.catalog.models import CatalogItem, CatalogItemVersion
from kpi_platform.context import require_tenant_id
from kpi_platform.db import db, separate_session, utcnow
from kpi_platform.errors import Invalid, NotFound
from kpi_platform.org import service as org
from kpi_platform.org.models import Assignment, JobPosition, OrgUnitVersion
from kpi_platform.periods import MAX_DEPTH, active_on
from kpi_platform.scoring import engine, kpi, records
from kpi_platform.scoring import products as assigned
from kpi_platform.scoring.engine import d
from kpi_platform.scoring.models import (
    DisciplinaryRecord,
    GeneralMark,
    PeriodKind,
    PeriodResult,
    PeriodRun,
    RunStatus,
)
from kpi_platform.tenant_settings import service as tenant_settings
from kpi_platform.tenant_settings.document import TenantSettings
from kpi_platform.worklog import calendar
from kpi_platform.worklog.models import SCORED, WorkEntry

DISQUALIFYING = ("khien_trach", "canh_cao", "ha_bac_luong", "giang_chuc", "cach_chuc", "buoc_thoi_viec")


def period_of(kind: str, start: date) -> tuple[date, date]:
    """(first day, day after the last) of the month, quarter or year starting at `start`."""
    kind = PeriodKind(kind)
    if kind == PeriodKind.month:
        first = start.replace(day=1)
        return first, (first + timedelta(days=32)).replace(day=1)
    if kind == PeriodKind.quarter:
        if start.month not in (1, 4, 7, 10) or start.day != 1:
            raise Invalid(fields={"start": ["a quarter starts on 1 Jan, Apr, Jul or Oct"]})
        end_month = start.month + 3
        return start, date(start.year + (end_month > 12), (end_month - 1) % 12 + 1, 1)
    if start.month != 1 or start.day != 1:
        raise Invalid(fields={"start": ["a year starts on 1 January"]})
    return start, date(start.year + 1, 1, 1)


def months_in(start: date, end: date) -> list[date]:
    months, month = [], start
    while month < end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


# ---------------------------------------------------------------- the month's raw figures


def _points_by_official(start: date, end: date, rules: engine.Rules) -> dict[uuid.UUID, tuple[Decimal, Decimal]]:
    """official -> (Σ points_h, Σ credited hours w * quantity), one statement."""
    w = CatalogItemVersion.norm_minutes * CatalogItemVersion.complexity_coefficient / 60
    quality = case(*[(WorkEntry.quality == code, factor) for code, factor in rules.quality.items()], else_=Decimal(0))
    timeliness = case(
        (WorkEntry.late_working_days <= 0, rules.on_time),
        (WorkEntry.late_working_days <= 3, rules.late_up_to_3),
        else_=rules.later,
    )
    rows = db.session.execute(
        select(
            WorkEntry.official_id,
            func.sum(w * WorkEntry.quantity * quality * timeliness),
            func.sum(w * WorkEntry.quantity),
        )
        .select_from(WorkEntry)
        .join(
            CatalogItemVersion,
            and_(
                CatalogItemVersion.tenant_id == WorkEntry.tenant_id, CatalogItemVersion.id == WorkEntry.item_version_id
            ),
        )
        .where(WorkEntry.work_date >= start, WorkEntry.work_date < end, WorkEntry.state.in_(SCORED))
        .group_by(WorkEntry.official_id)
    )
    return {official: (d(points or 0), d(hours or 0)) for official, points, hours in rows}


def _posts(start: date, end: date):
    """Every assignment overlapping the period, with its position's category."""
    return db.session.execute(
        select(Assignment, JobPosition.category)
        .join(
            JobPosition, and_(JobPosition.tenant_id == Assignment.tenant_id, JobPosition.id == Assignment.position_id)
        )
        .where(Assignment.valid_from < end, or_(Assignment.valid_to.is_(None), Assignment.valid_to > start))
        .order_by(Assignment.official_id, Assignment.is_primary.desc(), Assignment.valid_from)
    ).all()


def day_shares(assignments: list, working: list[date], leave: set[date]) -> list[Decimal]:
    """For each working day the official held a post (and was not on leave): the posts' total share."""
    shares = []
    for day in working:
        if day in leave:
            continue
        share = sum(
            (d(a.share) for a in assignments if a.valid_from <= day and (a.valid_to is None or day < a.valid_to)),
            Decimal(0),
        )
        if share > 0:
            shares.append(share)
    return shares


def _agency_of(unit_id, parents: dict) -> uuid.UUID | None:
    """The unit right under the root above `unit_id` (an agency or a commune)."""
    chain = [unit_id]
    while parents.get(chain[-1]) is not None and len(chain) < MAX_DEPTH:
        chain.append(parents[chain[-1]])
    return chain[-2] if len(chain) >= 2 else chain[-1]


# ---------------------------------------------------------------- runs


def _save_progress(run_id: uuid.UUID, done: int, total: int) -> None:
    with separate_session():
        run = db.session.get(PeriodRun, (require_tenant_id(), run_id))
        run.progress = {"done": done, "total": total}
        db.session.commit()


def start_run(kind: str, start: date, *, reason: str, by=None) -> PeriodRun:
    """A run row with the settings in force at the period's start, ready to compute."""
    first, end = period_of(kind, start)
    version = tenant_settings.version_on(first)
    settings = tenant_settings.settings_on(first)
    run = PeriodRun(
        kind=PeriodKind(kind),
        start=first,
        end=end,
        method=settings.scoring_method,
        settings_version_id=version.id if version else None,
        settings=settings.document,
        status=RunStatus.running,
        reason=reason,
        started_by=by.id if by else None,
        progress={"done": 0, "total": 0},
    )
    db.session.add(run)
    db.session.flush()
    return run


def compute(run: PeriodRun, *, progress: bool = False) -> PeriodRun:
    """Fill the run's results (replacing any) from its own settings copy."""
    db.session.execute(
        PeriodResult.__table__.delete().where(PeriodResult.tenant_id == run.tenant_id, PeriodResult.run_id == run.id)
    )
    rules = engine.Rules.from_settings(TenantSettings.from_document(run.settings))
    if run.kind == PeriodKind.month:
        results = _month_results(run, rules, progress=progress)
    else:
        results = _average_of_months(run, rules)
    if results:
        db.session.execute(
            PeriodResult.__table__.insert(),
            [{"tenant_id": run.tenant_id, "run_id": run.id, **r} for r in results],
        )
    run.officials, run.status, run.finished_at = len(results), RunStatus.done, utcnow()
    run.progress = {"done": len(results), "total": len(results)}
    db.session.flush()
    audit.record(
        "scoring.run",
        "period_run",
        run.id,
        after={"kind": str(run.kind), "start": run.start.isoformat(), "officials": len(results), "reason": run.reason},
    )
    return run


def run_period(kind: str, start: date, *, reason: str = "manual", by=None) -> PeriodRun:
    run = start_run(kind, start, reason=reason, by=by)
    return compute(run)


def _month_results(run: PeriodRun, rules: engine.Rules, *, progress: bool) -> list[dict]:
    start, end = run.start, run.end
    working = calendar.working_days(start, end - timedelta(days=1))
    points = _points_by_official(start, end, rules)
    leave = records.leave_days(start, end)
    marks = dict(
        db.session.execute(select(GeneralMark.official_id, GeneralMark.score).where(GeneralMark.month == start)).all()
    )
    disqualified = set(
        db.session.scalars(
            select(DisciplinaryRecord.official_id).where(
                DisciplinaryRecord.measure.in_(DISQUALIFYING),
                DisciplinaryRecord.decision_date >= date(start.year, 1, 1),
                DisciplinaryRecord.decision_date < end,
            )
        )
    )
    last_day = end - timedelta(days=1)
    parents = dict(
        db.session.execute(
            select(OrgUnitVersion.unit_id, OrgUnitVersion.parent_id).where(active_on(OrgUnitVersion, last_day))
        ).all()
    )
    # A leader is whoever heads a unit on the month's last day (a head who left earlier is scored as staff).
    heads = {head: unit for unit, head in org.heads_on(last_day).items()}
    by_official: dict[uuid.UUID, list] = defaultdict(list)
    category: dict[uuid.UUID, str] = {}
    for assignment, position_category in _posts(start, end):
        by_official[assignment.official_id].append(assignment)
        if assignment.is_primary:
            category[assignment.official_id] = str(position_category)  # the latest primary post wins
    rows = []
    for official_id, assignments in by_official.items():
        shares = day_shares(assignments, working, leave.get(official_id, set()))
        available = engine.available_hours(shares, rules)
        earned, credited = points.get(official_id, (Decimal(0), Decimal(0)))
        primary = [a for a in assignments if a.is_primary] or assignments
        unit_id = primary[-1].unit_id
        rows.append(
            {
                "official_id": official_id,
                "unit_id": unit_id,
                "agency_id": _agency_of(unit_id, parents),
                "duty_group": category.get(official_id),
                "is_leader": official_id in heads,
                "working_days": Decimal(len(shares)),
                "available_hours": available,
                "credited_hours": credited,
                "points": earned,
                "general_mark": marks.get(official_id),
                "disqualified": official_id in disqualified,
            }
        )
    if run.method == "decree-335":
        scores, details = _decree_scores(rows, heads, parents, start, end, rules)
    else:
        scores, details = _hours_scores(rows, heads, parents, start, rules), {}
    rated = engine.rate(
        [
            engine.Rated(
                key=row["official_id"],
                total=scores[row["official_id"]].total,
                group=(row["agency_id"], row["duty_group"]),
                disqualified=row["disqualified"],
            )
            for row in rows
            if scores[row["official_id"]] is not None
        ],
        rules,
    )
    tiers = {r.key: r for r in rated}
    results = []
    for number, row in enumerate(rows, start=1):
        score = scores[row["official_id"]]
        rating = tiers.get(row["official_id"])
        base = {
            k: row[k]
            for k in (
                "official_id",
                "unit_id",
                "agency_id",
                "duty_group",
                "is_leader",
                "working_days",
                "available_hours",
                "credited_hours",
                "points",
                "disqualified",
            )
        }
        if score is None:  # decree-335 with nothing assigned: not rated
            results.append(
                {
                    **base,
                    "own_task": None,
                    "unit_score": None,
                    "general_assumed": False,
                    "demoted_by_quota": False,
                    "task": 0,
                    "general": 0,
                    "total": 0,
                    "tier": 0,
                    "tier_before_quota": 0,
                    "flags": ["insufficient_data"],
                    "method": run.method,
                    "details": details.get(row["official_id"]),
                }
            )
            continue
        results.append(
            {
                **base,
                "own_task": score.own_task,
                "unit_score": score.unit_score,
                "task": engine.rounded(score.task, "0.001"),
                "general": score.general,
                "general_assumed": score.general_assumed,
                "total": engine.rounded(score.total, "0.001"),
                "tier": rating.tier,
                "tier_before_quota": rating.tier_before_quota,
                "demoted_by_quota": rating.demoted_by_quota,
                "flags": score.flags,
                "method": run.method,
                "details": details.get(row["official_id"]),
            }
        )
        if progress and number % 500 == 0:
            _save_progress(run.id, number, len(rows))
    return results


def _depth(unit_id, parents: dict) -> int:
    depth = 0
    while parents.get(unit_id) is not None and depth < MAX_DEPTH:
        unit_id, depth = parents[unit_id], depth + 1
    return depth


def _leaders_deepest_first(rows, heads, parents) -> list[dict]:
    """The leaders' rows, the head of the deepest led unit first: a leader's figures (the members'
    average, criterion d) include the heads of the sub-units, who must be scored before them."""
    leaders = [row for row in rows if row["is_leader"]]
    return sorted(leaders, key=lambda row: -_depth(heads[row["official_id"]], parents))


def _hours_scores(rows, heads, parents, start, rules) -> dict:
    """Everyone but leaders first, then the leaders from the deepest led unit up: a leader's unit
    score may need their members' average, sub-unit heads included."""
    scores: dict[uuid.UUID, engine.Score] = {}
    for row in rows:
        if not row["is_leader"]:
            scores[row["official_id"]] = _score(row, rules)
    unit_scores = kpi.unit_scores(PeriodKind.month, start)
    for row in _leaders_deepest_first(rows, heads, parents):
        if row["is_leader"]:
            led = heads[row["official_id"]]
            unit_score = unit_scores.get(led)
            if unit_score is None:
                members = _members(led, rows, parents)
                totals = [scores[r["official_id"]].total for r in members if r["official_id"] in scores]
                unit_score = sum(totals, Decimal(0)) / len(totals) if totals else None
            scores[row["official_id"]] = _score(row, rules, unit_score=unit_score)
    return scores


def _members(led, rows, parents) -> list[dict]:
    """The rows of the people whose unit is in the subtree of `led` (the leader aside). The subtree
    comes from the parents already read for the month, not from a query per leader."""
    children: dict = defaultdict(list)
    for unit, parent in parents.items():
        children[parent].append(unit)
    units, stack = set(), [led]
    while stack:
        unit = stack.pop()
        if unit not in units:
            units.add(unit)
            stack.extend(children.get(unit, ()))
    return [r for r in rows if r["unit_id"] in units and not (r["is_leader"] and r["unit_id"] == led)]


def _general(row, rules) -> tuple[Decimal, bool]:
    mark = row["general_mark"]
    return (rules.general_max, True) if mark is None else (min(rules.general_max, max(Decimal(0), d(mark))), False)


def _decree_scores(rows, heads, parents, start, end, rules) -> tuple[dict, dict]:
    """Decree 335: a, b, c from the assigned products (and for leaders d, đ, e), plus general criteria."""
    by_official = assigned.month_products(start, end)
    unity = assigned.unity_marks(start)
    scores: dict[uuid.UUID, engine.Score | None] = {}
    details: dict[uuid.UUID, dict] = {}

    def record(row, decree, extra_flags=()):
        official = row["official_id"]
        details[official] = {
            **engine.plain_decimals(decree.as_dict()),
            "products": [
                {
                    **engine.plain_decimals(info),
                    "weight": float(p.weight),
                    "completed": p.completed,
                    "quality_failures": p.quality_failures,
                    "delays": p.delays,
                    "quality": float(p.quality),
                    "progress": float(p.progress),
                }
                for p, info in by_official.get(official, [])
            ],
        }
        if decree.task is None:
            scores[official] = None
            return
        general, assumed = _general(row, rules)
        scores[official] = engine.Score(
            points=decree.weight,
            available_hours=row["available_hours"],
            task=decree.task,
            general=general,
            general_assumed=assumed,
            total=general + decree.task,
            flags=list(extra_flags),
        )

    for row in rows:
        if not row["is_leader"]:
            record(row, engine.decree_task([p for p, _ in by_official.get(row["official_id"], [])], rules))
    for row in _leaders_deepest_first(rows, heads, parents):
        if row["is_leader"]:
            members = _members(heads[row["official_id"]], rows, parents)
            tiers = [
                engine.rules_tier(scores[m["official_id"]], m["disqualified"], rules)
                for m in members
                if scores.get(m["official_id"]) is not None
            ]
            unit_products = [p for m in members for p, _ in by_official.get(m["official_id"], [])]
            e = unity.get(row["official_id"])
            leader = {
                "d": engine.unit_results_criterion(tiers),
                "dd": engine.organising_criterion(unit_products),
                "e": e if e is not None else Decimal(1),
            }
            record(
                row,
                engine.decree_task([p for p, _ in by_official.get(row["official_id"], [])], rules, leader=leader),
                extra_flags=() if e is not None else ("unity_assumed",),
            )
    return scores, details


def _score(row: dict, rules: engine.Rules, unit_score=None) -> engine.Score:
    return engine.score(
        row["points"],
        row["available_hours"],
        rules,
        general=d(row["general_mark"]) if row["general_mark"] is not None else None,
        unit_score=unit_score,
        credited_hours=row["credited_hours"],
        working_days=row["working_days"] or None,
    )


def latest_run(kind: str, start: date) -> PeriodRun | None:
    return db.session.scalar(
        select(PeriodRun)
        .where(PeriodRun.kind == kind, PeriodRun.start == start, PeriodRun.status == RunStatus.done)
        .order_by(PeriodRun.created_at.desc())
        .limit(1)
    )


def _average_of_months(run: PeriodRun, rules: engine.Rules) -> list[dict]:
    """A quarter or a year: the average of each official's monthly totals (the months that have a
    run), then tiers, disqualifiers and the quota again on those averages."""
    month_runs = [r for r in (latest_run("month", m) for m in months_in(run.start, run.end)) if r is not None]
    if not month_runs:
        raise Invalid(
            "Chưa có kết quả tháng nào trong kỳ này.",
            "No month of this period has results yet.",
            code="no_month_results",
        )
    by_official: dict[uuid.UUID, list[PeriodResult]] = defaultdict(list)
    for result in db.session.scalars(select(PeriodResult).where(PeriodResult.run_id.in_([r.id for r in month_runs]))):
        by_official[result.official_id].append(result)
    rows = []
    for official_id, months in by_official.items():
        last = months[-1]
        total = sum((d(m.total) for m in months), Decimal(0)) / len(months)
        rows.append((official_id, last, months, total))
    rated = {
        r.key: r
        for r in engine.rate(
            [
                engine.Rated(
                    key=o,
                    total=t,
                    group=(last.agency_id, last.duty_group),
                    disqualified=any(m.disqualified for m in months),
                )
                for o, last, months, t in rows
            ],
            rules,
        )
    }
    return [
        {
            "official_id": official_id,
            "unit_id": last.unit_id,
            "agency_id": last.agency_id,
            "duty_group": last.duty_group,
            "is_leader": last.is_leader,
            "working_days": sum((d(m.working_days) for m in months), Decimal(0)),
            "available_hours": sum((d(m.available_hours) for m in months), Decimal(0)),
            "credited_hours": sum((d(m.credited_hours) for m in months), Decimal(0)),
            "points": sum((d(m.points) for m in months), Decimal(0)),
            "task": engine.rounded(sum((d(m.task) for m in months), Decimal(0)) / len(months), "0.001"),
            "general": engine.rounded(sum((d(m.general) for m in months), Decimal(0)) / len(months), "0.001"),
            "general_assumed": any(m.general_assumed for m in months),
            "total": engine.rounded(total, "0.001"),
            "tier": rated[official_id].tier,
            "tier_before_quota": rated[official_id].tier_before_quota,
            "demoted_by_quota": rated[official_id].demoted_by_quota,
            "disqualified": rated[official_id].disqualified,
            "flags": sorted({f for m in months for f in (m.flags or [])}),
        }
        for official_id, last, months, total in rows
    ]


# ---------------------------------------------------------------- reading and explaining


def get_run(run_id: uuid.UUID) -> PeriodRun:
    run = db.session.get(PeriodRun, (require_tenant_id(), run_id))
    if run is None:
        raise NotFound("Không tìm thấy lượt tính điểm.", "Scoring run not found.")
    return run


def list_runs(kind: str | None = None):
    stmt = select(PeriodRun).order_by(PeriodRun.start.desc(), PeriodRun.created_at.desc())
    return stmt.where(PeriodRun.kind == kind) if kind else stmt


def results(run_id: uuid.UUID, *, agency_id=None, unit_id=None, tier=None):
    stmt = select(PeriodResult).where(PeriodResult.run_id == run_id)
    if agency_id:
        stmt = stmt.where(PeriodResult.agency_id == agency_id)
    if unit_id:
        stmt = stmt.where(PeriodResult.unit_id == unit_id)
    if tier:
        stmt = stmt.where(PeriodResult.tier == tier)
    return stmt.order_by(PeriodResult.total.desc(), PeriodResult.official_id)


def result_of(run_id: uuid.UUID, official_id: uuid.UUID) -> PeriodResult:
    result = db.session.get(PeriodResult, (require_tenant_id(), run_id, official_id))
    if result is None:
        raise NotFound("Không có kết quả của cán bộ này trong lượt tính.", "No result for this official in the run.")
    return result


def explain(run_id: uuid.UUID, official_id: uuid.UUID) -> dict:
    """The lines behind a month's score — entry → item version → factors → points — recomputed
    with the run's own settings, the totals, and what decided the rating."""
    run, result = get_run(run_id), result_of(run_id, official_id)
    settings = TenantSettings.from_document(run.settings)
    rules = engine.Rules.from_settings(settings)
    lines = []
    if run.kind == PeriodKind.month and run.method != "decree-335":
        rows = db.session.execute(
            select(WorkEntry, CatalogItemVersion, CatalogItem.code)
            .join(
                CatalogItemVersion,
                and_(
                    CatalogItemVersion.tenant_id == WorkEntry.tenant_id,
                    CatalogItemVersion.id == WorkEntry.item_version_id,
                ),
            )
            .join(CatalogItem, and_(CatalogItem.tenant_id == WorkEntry.tenant_id, CatalogItem.id == WorkEntry.item_id))
            .where(
                WorkEntry.official_id == official_id,
                WorkEntry.work_date >= run.start,
                WorkEntry.work_date < run.end,
                WorkEntry.state.in_(SCORED),
            )
            .order_by(WorkEntry.work_date, WorkEntry.created_at)
        )
        for entry, version, code in rows:
            computed = engine.line_points(
                engine.Line(
                    entry.id,
                    code,
                    d(version.norm_minutes),
                    d(version.complexity_coefficient),
                    d(entry.quantity),
                    entry.quality,
                    entry.late_working_days,
                    str(entry.state),
                ),
                rules,
            )
            lines.append(
                {
                    **computed.as_dict(),
                    "item_name": version.name_vi,
                    "work_date": entry.work_date,
                    "item_version": version.number,
                    "item_version_id": version.id,
                }
            )
    tier_row = next((t for t in rules.tiers if t[0] == result.tier), None)
    quota = None
    if result.tier_before_quota == 1:  # how the quota of the agency and duty group was counted
        group = db.session.execute(
            select(PeriodResult.tier_before_quota, func.count())
            .where(
                PeriodResult.run_id == run.id,
                PeriodResult.agency_id == result.agency_id,
                PeriodResult.duty_group == result.duty_group,
            )
            .group_by(PeriodResult.tier_before_quota)
        ).all()
        counts = dict(group)
        good = counts.get(2, 0)
        allowed = good * rules.quota_share
        quota = {
            "rated_good_in_group": good,
            "excellent_before_quota": counts.get(1, 0),
            "excellent_allowed": int(allowed // 1) if rules.quota_rounding == "down" else -int(-allowed // 1),
            "demoted": result.demoted_by_quota,
        }
    return {
        "run_id": run.id,
        "kind": str(run.kind),
        "start": run.start,
        "end": run.end,
        "method": run.method,
        "settings_version_id": run.settings_version_id,
        "lines": lines,
        "points": result.points,
        "lines_sum": sum((line["points"] for line in lines), Decimal(0)) if lines else None,
        "available_hours": result.available_hours,
        "working_days": result.working_days,
        "credited_hours": result.credited_hours,
        "own_task": result.own_task,
        "unit_score": result.unit_score,
        "task": result.task,
        "general": result.general,
        "general_assumed": result.general_assumed,
        "total": result.total,
        "tier": result.tier,
        "tier_name_vi": settings.rating_names_vi.get(result.tier),
        "threshold": tier_row[2] if tier_row else None,
        "tier_before_quota": result.tier_before_quota,
        "demoted_by_quota": result.demoted_by_quota,
        "disqualified": result.disqualified,
        "flags": result.flags,
        "details": result.details,
        "quota": quota,
    }


def explain_unit(run_id: uuid.UUID, unit_id: uuid.UUID) -> dict:
    """A unit's side of a run: the people of its subtree with their totals and tiers, the average,
    how many fall in each tier, and its organisational KPI lines when it has them."""
    run = get_run(run_id)
    last_day = run.end - timedelta(days=1)
    view = org.unit_as_of(unit_id, last_day)
    units = org.subtree_id_list(unit_id, last_day)
    members = db.session.scalars(
        select(PeriodResult)
        .where(PeriodResult.run_id == run.id, PeriodResult.unit_id.in_(units))
        .order_by(PeriodResult.total.desc(), PeriodResult.official_id)
    ).all()
    rated = [m for m in members if m.tier]
    tiers: dict[int, int] = defaultdict(int)
    for member in rated:
        tiers[member.tier] += 1
    kpi_detail = kpi.scores(run.kind, run.start).get(unit_id) if run.kind != PeriodKind.year else None
    return {
        "run_id": run.id,
        "unit_id": unit_id,
        "unit_code": view.code,
        "unit_name": view.name_vi,
        "people": len(members),
        "rated": len(rated),
        "average_total": engine.rounded(sum((d(m.total) for m in rated), Decimal(0)) / len(rated), "0.001")
        if rated
        else None,
        "tiers": {str(tier): count for tier, count in sorted(tiers.items())},
        "demoted_by_quota": sum(1 for m in members if m.demoted_by_quota),
        "disqualified": sum(1 for m in members if m.disqualified),
        "kpi": kpi_detail,
        "members": members,
    }
