"""Shared parts of the benchmark scripts: a fresh database and app, statement counting, timing.

Not a benchmark itself. The scripts run as `.venv/bin/python benchmarks/<script>.py`, so this
directory is on sys.path and they import it as `from common import ...`.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, event, text

from kpi_platform import migrate
from kpi_platform.app import create_app
from kpi_platform.config import Settings
from kpi_platform.db import db

PG_ADMIN_URL = os.environ.get("KPI_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("KPI_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass
class BenchDatabase:
    scratch: migrate.ScratchDatabase
    pg_version: str
    app: Flask

    @property
    def name(self) -> str:
        return self.scratch.name

    def analyze(self) -> None:
        """ANALYZE as the owner, so the planner knows the row counts just inserted."""
        owner = self.owner_engine()
        try:
            with owner.connect() as connection:
                connection.execute(text("ANALYZE"))
                connection.commit()
        finally:
            owner.dispose()

    def owner_engine(self):
        """An engine as the owner (RLS does not apply to it), e.g. for EXPLAIN; dispose it after use."""
        return create_engine(self.scratch.owner)


@contextmanager
def fresh_app() -> Iterator[BenchDatabase]:
    """A fresh database `kpi_bench_<random>` laid out as in production and in the tests
    (migrate.create_scratch_database), and the app connected as the non-owner app role, so
    row-level security applies. The app context is pushed while the block runs. The database is
    dropped at the end, also on error."""
    scratch = migrate.create_scratch_database(PG_ADMIN_URL, "kpi_bench")
    try:
        owner = create_engine(scratch.owner)
        with owner.connect() as connection:
            pg_version = connection.scalar(text("show server_version"))
        owner.dispose()
        with tempfile.TemporaryDirectory(prefix="kpi-bench-") as instance:
            settings = Settings(
                env="test",
                instance_path=Path(instance),
                database_url=scratch.app,
                migration_database_url=scratch.owner,
                cross_tenant_database_url=scratch.cross_tenant,
                redis_url=REDIS_URL,
                secret_key="x" * 40,
                celery_eager=True,
            )
            app = create_app(settings)
            with app.app_context():
                try:
                    yield BenchDatabase(scratch=scratch, pg_version=pg_version, app=app)
                finally:
                    db.session.remove()
                    for engine in {db.engine, db.cross_tenant_engine} - {None}:
                        engine.dispose()
    finally:
        migrate.drop_database(PG_ADMIN_URL, scratch.name)


class StatementCounter:
    """Counts the statements sent through `engine`, and the time spent in them (ms, client side:
    from sending a statement to having its result, rows not yet fetched into objects)."""

    def __init__(self, engine) -> None:
        self.count = 0
        self.ms = 0.0
        event.listen(engine, "before_cursor_execute", self._seen)
        event.listen(engine, "after_cursor_execute", self._done)

    def _seen(self, conn, *args) -> None:
        self.count += 1
        conn.info["bench_statement_started"] = time.perf_counter()

    def _done(self, conn, *args) -> None:
        started = conn.info.pop("bench_statement_started", None)
        if started is not None:
            self.ms += (time.perf_counter() - started) * 1000


def _measure(client, url: str, headers: dict, n: int, counter: StatementCounter) -> dict:
    for _ in range(5):  # warm-up: pool connections, compiled-statement cache
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} -> {response.status_code}: {response.get_data(as_text=True)[:300]}")
    timings = []
    before, before_ms = counter.count, counter.ms
    response = None
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} -> {response.status_code}: {response.get_data(as_text=True)[:300]}")
    timings.sort()
    return {
        "n": n,
        "median": statistics.median(timings),
        "p95": timings[min(len(timings) - 1, math.ceil(0.95 * len(timings)) - 1)],
        "sql": (counter.count - before) / n,
        "sql_ms": (counter.ms - before_ms) / n,  # mean time in SQL per request
        "response": response,
    }


def _timed_once(client, url: str, headers: dict, counter: StatementCounter) -> tuple[float, float, object]:
    before = counter.count
    started = time.perf_counter()
    response = client.get(url, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} -> {response.status_code}: {response.get_data(as_text=True)[:300]}")
    return elapsed, counter.count - before, response


def _machine() -> str:
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "")
    except OSError:
        pass
    return f"{os.cpu_count()} cores {cpu}".strip() + f", Python {platform.python_version()}"
