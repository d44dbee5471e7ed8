from __future__ import annotations

import uuid
from datetime import date

from kpi_platform.celery_app import tenant_task
from kpi_platform.context import require_tenant_id
from kpi_platform.db import db
from kpi_platform.periods import next_month
from kpi_platform.scoring import runs


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
    return run.officials


MAX_RECOMPUTED_MONTHS = 12


def recompute_open_months(valid_from: date, *, today: date, by=None) -> list[date]:
    """After the settings changed from `valid_from`: score again the months since then that are not
    closed (a closed month keeps its result), at most a year of them. Returns the months."""
    from kpi_platform.worklog import service as worklog

    months, month = [], valid_from.replace(day=1)
    while month <= today.replace(day=1) and len(months) < MAX_RECOMPUTED_MONTHS:
        if not worklog.is_closed(month):
            months.append(month)
        month = next_month(month)
    for month in months:
        enqueue(require_tenant_id(), "month", month, reason="settings_change", by=by)
    return months


def enqueue(tenant_id, kind: str, start: date, *, reason: str, by=None):
    """Create the run row, commit it, and compute it in Celery."""
    run = runs.start_run(kind, start, reason=reason, by=by)
    db.session.commit()
    compute_run.delay(str(tenant_id), str(run.id))
    return run
