"""The outbox for Celery: a request writes the job it leaves behind in its own transaction, and
hands it to the broker only after the commit. If the broker is down then, the job stays `pending`
and the sweeper (beat, every minute) hands it over once the broker is back; a job handed over but
lost with the broker's memory (Redis keeps nothing on disk here) is handed over again. Tasks are
idempotent, and a job already done is never run twice. No Flask here.

    job = jobs.schedule("scoring.lock_and_score_month", label="period_close 2025-03", month="2025-03-01")
    db.session.commit()
    jobs.dispatch(job)        # after the commit; never raises for a broker outage
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from celery import current_app as celery
from kombu.exceptions import KombuError
from redis.exceptions import RedisError
from sqlalchemy import and_, or_, select, update

from kpi_platform.celery_app import JOB_HEADER
from kpi_platform.context import require_tenant_id
from kpi_platform.db import db, utcnow
from kpi_platform.errors import NotFound
from kpi_platform.jobs.models import BackgroundJob, JobState

log = logging.getLogger(__name__)

PENDING_GRACE = timedelta(seconds=10)  # a request hands its job over itself; the sweeper waits a little
LOST_AFTER = timedelta(minutes=15)  # queued this long and not started: the broker lost it
MAX_ATTEMPTS = 20
BROKER_ERRORS = (KombuError, RedisError, OSError)


def schedule(task: str, *, label: str, by=None, **arguments) -> BackgroundJob:
    """A job in the caller's transaction; dispatch() it after the commit."""
    job = BackgroundJob(task=task, arguments=arguments, label=label, created_by=by.id if by else None)
    db.session.add(job)
    db.session.flush()
    return job


def dispatch(job: BackgroundJob) -> BackgroundJob:
    """Hand a committed job to the broker. A broker outage leaves it pending (and logged); the
    sweeper hands it over later. Returns the job as it stands."""
    task = celery.tasks[job.task]
    try:
        task.apply_async(
            args=[str(job.tenant_id)],
            kwargs=job.arguments,
            headers={JOB_HEADER: str(job.id)},
            ignore_result=True,  # the job row keeps the result; nothing waits on Redis for it
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5},
        )
    except BROKER_ERRORS as error:
        log.warning("broker unavailable, job %s left pending for the sweeper: %s", job.id, error)
        db.session.rollback()
        return get(job.id)
    # In the embedded demo the task has already run here; only a job still pending is marked queued.
    db.session.execute(
        update(BackgroundJob)
        .where(BackgroundJob.id == job.id, BackgroundJob.state == JobState.pending)
        .values(state=JobState.queued, queued_at=utcnow(), attempts=BackgroundJob.attempts + 1)
    )
    db.session.commit()
    return get(job.id)


def get(job_id: uuid.UUID) -> BackgroundJob:
    db.session.expire_all()
    job = db.session.get(BackgroundJob, (require_tenant_id(), job_id))
    if job is None:
        raise NotFound("Không tìm thấy công việc nền.", "Background job not found.")
    return job


def list_jobs(state: str | None = None):
    stmt = select(BackgroundJob).order_by(BackgroundJob.created_at.desc())
    return stmt.where(BackgroundJob.state == state) if state else stmt


# ---------------------------------------------------------------- the task's side


def start(job_id: uuid.UUID) -> bool:
    """The task is about to run its job: False when the job is already done (a second delivery)."""
    job = db.session.get(BackgroundJob, (require_tenant_id(), job_id))
    if job is None or job.state == JobState.done:
        return False
    job.state, job.started_at, job.error = JobState.running, utcnow(), None
    db.session.commit()
    return True


def finish(job_id: uuid.UUID, *, result=None, error: str | None = None) -> None:
    job = db.session.get(BackgroundJob, (require_tenant_id(), job_id))
    if job is None:
        return
    job.state = JobState.failed if error else JobState.done
    job.finished_at, job.error = utcnow(), error
    job.result = result if isinstance(result, dict) else ({"value": result} if result is not None else None)
    db.session.commit()


# ---------------------------------------------------------------- the sweeper


def overdue(now: datetime, grace: timedelta = PENDING_GRACE):
    """Jobs of the current tenant to hand (again) to the broker."""
    return select(BackgroundJob).where(
        BackgroundJob.attempts < MAX_ATTEMPTS,
        or_(
            and_(BackgroundJob.state == JobState.pending, BackgroundJob.created_at < now - grace),
            and_(BackgroundJob.state == JobState.queued, BackgroundJob.queued_at < now - LOST_AFTER),
        ),
    )


def sweep(now: datetime | None = None, grace: timedelta = PENDING_GRACE) -> int:
    """Hand the current tenant's overdue jobs to the broker; returns how many were handed over."""
    now = now or utcnow()
    handed = 0
    for job in db.session.scalars(overdue(now, grace)).all():
        if job.state == JobState.queued:  # lost: make it pending again, then hand it over like one
            job.state = JobState.pending
            db.session.commit()
        if dispatch(job).state != JobState.pending:
            handed += 1
    return handed
