"""Celery wired to Flask (after pallets/flask examples/celery), with the tenant carried explicitly.

Tenant tasks are declared with @tenant_task, take `tenant_id` as their first parameter and are
called as `task.delay(tenant_id, ...)`. Their base
class enters the app context with a session of its own, checks the tenant exists, selects it (ORM
filter and RLS), runs, and cleans up. A tenant task without a tenant raises before touching data.
Beat jobs loop over tenants explicitly and enqueue one task per tenant.
"""

from __future__ import annotations

import uuid

from celery import Celery, Task, shared_task
from celery.schedules import crontab
from flask import Flask

from kpi_platform import context
from kpi_platform.db import separate_session, sync_session_tenant


class MissingTenant(RuntimeError):
    """A tenant task was called without a (known) tenant id."""


class FlaskTask(Task):
    def __call__(self, *args, **kwargs):
        with separate_session(), self.app.flask_app.app_context():
            return self.run(*args, **kwargs)


class TenantTask(FlaskTask):
    """Runs in its tenant; given a `job_id` (the outbox, kpi_platform.jobs), it keeps that job's state:
    running, then done with the result or failed with the error, and a job already done is skipped."""

    def __call__(self, *args, **kwargs):
        job_id = job_of(self.request)
        tenant_id = kwargs.get("tenant_id", args[0] if args else None)
        if not tenant_id:
            raise MissingTenant(f"task {self.name} needs a tenant_id")
        tenant_uuid = uuid.UUID(str(tenant_id))
        from flask import g

        from kpi_platform.tenancy import service as tenancy

        try:
            with separate_session(), self.app.flask_app.app_context():
                tenant = tenancy.get_tenant(tenant_uuid)
                if tenant is None:
                    raise MissingTenant(f"task {self.name}: unknown tenant {tenant_uuid}")
                g.tenant_slug = tenant.slug  # the task's log lines name the tenant
                tenant_token = context.set_tenant(tenant_uuid)
                actor_token = context.set_actor(context.Actor(None, f"task:{self.name}"))
                try:
                    if job_id is None:
                        return self.run(*args, **kwargs)
                    return self._run_job(uuid.UUID(job_id), args, kwargs)
                finally:
                    context.reset_actor(actor_token)
                    context.reset_tenant(tenant_token, sync=False)
        finally:
            # An eager run inside a request or test shares the caller's connection: put the
            # caller's tenant back on its open transaction.
            sync_session_tenant()


    def _run_job(self, job_id: uuid.UUID, args, kwargs):
        from kpi_platform.db import db
        from kpi_platform.jobs import service as jobs

        if not jobs.start(job_id):
            return None  # delivered again after it was done
        try:
            result = self.run(*args, **kwargs)
        except Exception as error:
            db.session.rollback()
            jobs.finish(job_id, error=f"{type(error).__name__}: {error}"[:2000])
            raise
        jobs.finish(job_id, result=result)
        return result


JOB_HEADER = "kpi_job_id"


def job_of(request) -> str | None:
    """The outbox job a task message carries in its headers (a worker puts custom headers on the
    request itself; an eager run keeps them in request.headers)."""
    return getattr(request, JOB_HEADER, None) or (getattr(request, "headers", None) or {}).get(JOB_HEADER)


def tenant_task(name: str, **options):
    """Declare a task that works inside one tenant."""
    return shared_task(name=name, base=TenantTask, **options)


def celery_init_app(app: Flask) -> Celery:
    settings = app.config["SETTINGS"]
    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.flask_app = app
    celery_app.conf.update(
        broker_url=settings.redis_url or "memory://",
        result_backend=settings.redis_url or "cache+memory://",
        task_always_eager=settings.celery_eager,
        task_eager_propagates=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_track_started=True,
        timezone="Asia/Ho_Chi_Minh",
        broker_connection_retry_on_startup=True,
        # A request hands its job to the broker after its commit: with the broker down it must fail
        # fast (the job stays in the outbox for the sweeper), not hang.
        broker_transport_options={"socket_connect_timeout": 2, "socket_timeout": 5},
        beat_schedule={
            "purge-expired-tokens": {
                "task": "identity.purge_expired_tokens_all_tenants",
                "schedule": crontab(hour=2, minute=30),
            },
            # Jobs whose hand-over to the broker failed (or that the broker lost) are handed over again.
            "sweep-background-jobs": {"task": "jobs.sweep_all_tenants", "schedule": 60.0},
            "benchmarking-refresh": {"task": "benchmarking.refresh_all", "schedule": crontab(hour=3, minute=15)},
        },
    )
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    # Task modules register their tasks on import.
    from kpi_platform.benchmarking import tasks as _benchmarking_tasks  # noqa: F401
    from kpi_platform.identity import tasks as _identity_tasks  # noqa: F401
    from kpi_platform.jobs import tasks as _jobs_tasks  # noqa: F401
    from kpi_platform.onboarding import tasks as _onboarding_tasks  # noqa: F401
    from kpi_platform.scoring import tasks as _scoring_tasks  # noqa: F401

    return celery_app
