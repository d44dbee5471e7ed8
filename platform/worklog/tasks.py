from __future__ import annotations

import uuid
from datetime import date

from kpi_platform.celery_app import tenant_task
from kpi_platform.db import db
from kpi_platform.scoring import runs
from kpi_platform.scoring.tasks import after_month_scored
from kpi_platform.worklog import service


@tenant_task("worklog.lock_and_score_month")
def lock_and_score_month(tenant_id: str, month: str, by_id: str | None = None) -> int:
    """After a month is closed: lock its approved entries, then score the month — and its quarter
    and year when it ends them — one after the other, so a quarter averages finished months."""
    first = date.fromisoformat(month)
    locked = service.lock_month(first)
    db.session.commit()
    periods = [("month", first)]
    if first.month in (3, 6, 9, 12):
        periods.append(("quarter", date(first.year, first.month - 2, 1)))
    if first.month == 12:
        periods.append(("year", date(first.year, 1, 1)))
    for kind, start in periods:
        run = runs.start_run(kind, start, reason="period_close")
        if by_id:
            run.started_by = uuid.UUID(by_id)
        db.session.commit()
        runs.compute(run, progress=True)
        db.session.commit()
        if kind == "month":
            after_month_scored(tenant_id, start)
    return locked
