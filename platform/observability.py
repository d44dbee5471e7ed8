"""What operators see: Prometheus metrics and structured logs.

Metrics (prometheus-client), at GET /metrics with `Authorization: Bearer <KPI_METRICS_TOKEN>` (404
while no token is set), and on KPI_WORKER_METRICS_PORT in a Celery worker:
- kpi_http_requests_total{endpoint,method,status}, kpi_http_request_duration_seconds{endpoint,method}
  (the endpoint is the route's name: bounded, unlike paths);
- kpi_db_pool_connections{engine,state} (checked out, idle, overflow) read when scraped;
- kpi_celery_tasks_total{task,outcome}, kpi_celery_task_duration_seconds{task};
- kpi_celery_queue_length{queue}, the broker's queue depth, read when scraped (Redis broker only).
Under gunicorn or a prefork worker, PROMETHEUS_MULTIPROC_DIR makes the processes share their
counters (gunicorn.conf.py and `kpi-platform worker` set it).

Logs: one handler on the root logger, JSON lines (python-json-logger) or plain text
(KPI_LOG_FORMAT), each record carrying request_id, tenant (slug), tenant_id, principal_id and
task_id/task_name where they apply. No personal data goes in: the SQL parameters are hidden from
SQLAlchemy's messages (db.make_engine) and the error handlers log codes, not values.
"""

from __future__ import annotations

import hmac
import logging
import os
import sys
import time

from flask import Flask, Response, current_app, g, has_app_context, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from pythonjsonlogger.json import JsonFormatter

from kpi_platform import context

REQUESTS = Counter("kpi_http_requests", "HTTP requests answered", ["endpoint", "method", "status"])
LATENCY = Histogram(
    "kpi_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["endpoint", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
TASKS = Counter("kpi_celery_tasks", "Celery tasks finished", ["task", "outcome"])
TASK_LATENCY = Histogram(
    "kpi_celery_task_duration_seconds",
    "Time a Celery task ran",
    ["task"],
    buckets=(0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600),
)
LOG_FIELDS = ("request_id", "tenant", "tenant_id", "principal_id", "task_id", "task_name")


# ---------------------------------------------------------------- collectors read at scrape time


class PoolCollector:
    """The SQLAlchemy pools of the app role and the cross-tenant door."""

    def collect(self):
        from kpi_platform.db import db

        family = GaugeMetricFamily("kpi_db_pool_connections", "Database pool connections", labels=["engine", "state"])
        engines = {"app": db.engine, "cross_tenant": db.cross_tenant_engine}
        for name, engine in engines.items():
            pool = getattr(engine, "pool", None)
            if pool is None or not hasattr(pool, "checkedout"):
                continue
            family.add_metric([name, "checked_out"], pool.checkedout())
            family.add_metric([name, "idle"], pool.checkedin())
            family.add_metric([name, "overflow"], max(0, pool.overflow()))
            family.add_metric([name, "size"], pool.size())
        yield family


class QueueCollector:
    """Messages waiting in the Celery queues (a Redis list per queue)."""

    def __init__(self, celery_app) -> None:
        self.celery_app = celery_app

    def collect(self):
        family = GaugeMetricFamily("kpi_celery_queue_length", "Tasks waiting in the broker", labels=["queue"])
        broker = self.celery_app.conf.broker_url or ""
        if broker.startswith(("redis://", "rediss://", "unix://")):
            queues = {self.celery_app.conf.task_default_queue or "celery"}
            try:
                with self.celery_app.connection_for_read() as connection:
                    client = connection.default_channel.client
                    for queue in sorted(queues):
                        family.add_metric([queue], client.llen(queue))
            except Exception as exc:  # the broker is down: say nothing rather than fail the scrape
                logging.getLogger(__name__).warning("queue length unavailable: %s", type(exc).__name__)
        yield family


def _registry(app: Flask) -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Forward(REGISTRY))
    registry.register(PoolCollector())
    celery_app = app.extensions.get("celery")
    if celery_app is not None:
        registry.register(QueueCollector(celery_app))
    return registry


class _Forward:
    """This process's own metrics, in a registry of its own with the scrape-time collectors."""

    def __init__(self, registry) -> None:
        self.registry = registry

    def collect(self):
        return self.registry.collect()


# ---------------------------------------------------------------- web


def _endpoint() -> str:
    return request.endpoint or "unmatched"


def _start_timer() -> None:
    g.kpi_started = time.perf_counter()


def _observe(response):
    started = g.pop("kpi_started", None)
    if started is not None and request.endpoint != "metrics":
        REQUESTS.labels(_endpoint(), request.method, str(response.status_code)).inc()
        LATENCY.labels(_endpoint(), request.method).observe(time.perf_counter() - started)
    return response


def metrics_view():
    token = current_app.config["SETTINGS"].metrics_token
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not token:
        return Response("Not Found\n", status=404, mimetype="text/plain")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        return Response(
            "metrics need the metrics token\n",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": "Bearer"},
        )
    body = generate_latest(current_app.extensions["kpi_metrics_registry"])
    return Response(body, mimetype=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def init_app(app: Flask) -> None:
    from kpi_platform.policy import public

    app.extensions["kpi_metrics_registry"] = _registry(app)
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_observe)
    app.add_url_rule("/metrics", "metrics", public(metrics_view), methods=["GET"])
    configure_logging(app.config["SETTINGS"].log_format)
    celery_app = app.extensions.get("celery")
    if celery_app is not None:
        init_celery(celery_app, app.config["SETTINGS"].worker_metrics_port)


# ---------------------------------------------------------------- Celery


_task_started: dict[str, float] = {}


def _before_task(task_id=None, task=None, **_):
    _task_started[task_id] = time.perf_counter()


def _after_task(task_id=None, task=None, state=None, **_):
    begun = _task_started.pop(task_id, None)
    # An eager task whose error propagates reaches postrun with no state: it failed.
    outcome = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried", None: "failed"}.get(state, "other")
    TASKS.labels(task.name, outcome).inc()
    if begun is not None:
        TASK_LATENCY.labels(task.name).observe(time.perf_counter() - begun)


def init_celery(celery_app, metrics_port: int) -> None:
    from celery import signals

    celery_app.conf.worker_hijack_root_logger = False  # keep the JSON handler in the worker
    # Module-level handlers: connecting them again (another create_app) does not count twice.
    signals.task_prerun.connect(_before_task, weak=False, dispatch_uid="kpi-metrics-prerun")
    signals.task_postrun.connect(_after_task, weak=False, dispatch_uid="kpi-metrics-postrun")
    if metrics_port:

        def serve_metrics(**_):
            from prometheus_client import start_http_server

            start_http_server(metrics_port, registry=_registry(celery_app.flask_app))

        signals.worker_ready.connect(serve_metrics, weak=False, dispatch_uid="kpi-metrics-server")


# ---------------------------------------------------------------- logs


class ContextFilter(logging.Filter):
    """Adds who and where to every record (empty strings where they do not apply)."""

    def filter(self, record: logging.LogRecord) -> bool:
        actor = context.current_actor()
        tenant_id = context.current_tenant_id()
        record.request_id = context.current_request_id() or ""
        record.tenant_id = str(tenant_id) if tenant_id else ""
        record.principal_id = str(actor.principal_id) if actor and actor.principal_id else ""
        record.tenant = (g.get("tenant_slug") or "") if has_app_context() else ""
        record.task_id, record.task_name = _current_task()
        return True


def _current_task() -> tuple[str, str]:
    from celery import current_task

    try:
        request_ = current_task.request if current_task else None
    except Exception:
        request_ = None
    task_id = getattr(request_, "id", None) or ""
    return task_id, (current_task.name if task_id and current_task else "") or ""


def json_formatter() -> JsonFormatter:
    return JsonFormatter(
        ["asctime", "levelname", "name", "message", *LOG_FIELDS],
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        json_ensure_ascii=False,
    )


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(tenant)s %(task_id)s] %(message)s"


def configure_logging(log_format: str) -> None:
    """One handler on the root logger, set once per process (create_app may run more than once)."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "kpi_handler", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.kpi_handler = True
        handler.addFilter(ContextFilter())
        root.addHandler(handler)
    if log_format == "json":
        handler.setFormatter(json_formatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root.setLevel(logging.INFO)
    # Flask-Limiter names the key of every breach (an address, a principal) at INFO.
    logging.getLogger("flask-limiter").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
