from __future__ import annotations

import logging
import uuid
from datetime import date

from celery import signature

from kpi_platform.celery_app import tenant_task
from kpi_platform.db import db
from kpi_platform.scoring import runs

log = logging.getLogger(__name__)


@tenant_task("scoring.compute_run")
def compute_run(tenant_id: str, run_id: str) -> int:
    """Compute a run created by the caller (who can then show its id and progress at once)."""
    run = runs.get_run(uuid.UUID(run_id))
    try:
        runs.compute(run, progress=True)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        run = runs.get_run(uuid.UUID(run_id))
        run.status, run.error = runs.RunStatus.failed, f"{type(error).__name__}: {error}"[:500]
        db.session.commit()
        raise
    if run.kind == runs.PeriodKind.month:
        after_month_scored(tenant_id, run.start)
    return run.officials


def after_month_scored(tenant_id, month: date) -> None:
    """Let the benchmarking read model follow a scored month. By task name, so scoring imports
    nothing of benchmarking; a failure there never fails the scoring."""
    try:
        signature("benchmarking.refresh_month", args=(str(tenant_id), month.isoformat())).delay()
    except Exception:
        log.exception("benchmarking refresh after the month %s was not started", month)


def enqueue(tenant_id, kind: str, start: date, *, reason: str, by=None):
    """Create the run row, commit it, and compute it in Celery."""
    run = runs.start_run(kind, start, reason=reason, by=by)
    db.session.commit()
    compute_run.delay(str(tenant_id), str(run.id))
    return run
