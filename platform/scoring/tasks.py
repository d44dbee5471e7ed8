"""Scoring's background work: computing a run, and what closing a month sets off (locking its
entries, then scoring the month and, when it ends them, its quarter and year). Requests schedule
these through the outbox (kpi_platform.jobs), so a broker outage never loses them."""

from __future__ import annotations

import logging
import uuid
from datetime import date

from kpi_platform.celery_app import tenant_task
from kpi_platform.db import db
from kpi_platform.jobs import service as jobs
from kpi_platform.periods import next_month
from kpi_platform.scoring import runs
from kpi_platform.worklog import service as worklog

MAX_RECOMPUTED_MONTHS = 12

log = logging.getLogger(__name__)


def _compute(run_id: uuid.UUID) -> runs.PeriodRun:
    """Compute a run; on an error the run is marked failed (with the error) before it is raised."""
    run = runs.get_run(run_id)
    try:
        runs.compute(run, progress=True)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        run = runs.get_run(run_id)
        run.status, run.error = runs.RunStatus.failed, f"{type(error).__name__}: {error}"[:500]
        db.session.commit()
        raise
    if run.kind == runs.PeriodKind.month:
        after_month_scored(run.start)
    return run


def after_month_scored(month: date) -> None:
    """Let the benchmarking read model follow a scored month, through the outbox and by task name,
    so scoring imports nothing of benchmarking; a failure there never fails the scoring."""
    try:
        job = jobs.schedule("benchmarking.refresh_month", label=f"benchmarking {month:%Y-%m}", month=month.isoformat())
        db.session.commit()
        jobs.dispatch(job)
    except Exception:
        db.session.rollback()
        log.exception("the benchmarking refresh after the month %s was not scheduled", month)


@tenant_task("scoring.compute_run")
def compute_run(tenant_id: str, run_id: str) -> dict:
    """Compute a run created by the caller (who can then show its id and progress at once)."""
    run = _compute(uuid.UUID(run_id))
    return {"run_id": str(run.id), "officials": run.officials}


@tenant_task("scoring.lock_and_score_month")
def lock_and_score_month(tenant_id: str, month: str, by_id: str | None = None) -> dict:
    """After a month is closed: lock its approved entries, then score the month — and its quarter
    and year when it ends them — one after the other, so a quarter averages finished months.
    Safe to run again: the lock is idempotent and each run replaces nothing but adds the latest."""
    first = date.fromisoformat(month)
    locked = worklog.lock_month(first)
    db.session.commit()
    periods = [("month", first)]
    if first.month in (3, 6, 9, 12):
        periods.append(("quarter", date(first.year, first.month - 2, 1)))
    if first.month == 12:
        periods.append(("year", date(first.year, 1, 1)))
    done = []
    for kind, start in periods:
        run = runs.start_run(kind, start, reason="period_close")
        if by_id:
            run.started_by = uuid.UUID(by_id)
        db.session.commit()
        done.append(str(_compute(run.id).id))
    return {"locked": locked, "runs": done}


# ---------------------------------------------------------------- what requests schedule


def close_month(month: date, *, by):
    """Close a month and schedule its locking and scoring, in the caller's transaction: the caller
    commits, then hands the job over (jobs.dispatch). Returns (the closed period, the job)."""
    period = worklog.close_month(month, by=by)
    job = jobs.schedule(
        "scoring.lock_and_score_month",
        label=f"period_close {period.month:%Y-%m}",
        by=by,
        month=period.month.isoformat(),
        by_id=str(by.id) if by else None,
    )
    return period, job


def schedule_run(kind: str, start: date, *, reason: str, by=None):
    """A run row and the job that computes it, in the caller's transaction. Returns (run, job)."""
    run = runs.start_run(kind, start, reason=reason, by=by)
    job = jobs.schedule("scoring.compute_run", label=f"scoring {kind} {run.start:%Y-%m}", by=by, run_id=str(run.id))
    return run, job


def recompute_open_months(valid_from: date, *, today: date, by=None) -> list:
    """After the settings changed from `valid_from`: score again the months since then that are not
    closed (a closed month keeps its result), at most a year of them. Returns (month, job) pairs;
    the caller commits, then dispatches the jobs."""
    scheduled, month = [], valid_from.replace(day=1)
    while month <= today.replace(day=1) and len(scheduled) < MAX_RECOMPUTED_MONTHS:
        if not worklog.is_closed(month):
            scheduled.append((month, schedule_run("month", month, reason="settings_change", by=by)[1]))
        month = next_month(month)
    return scheduled
