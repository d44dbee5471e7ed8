"""Work a request leaves for Celery is never lost: it is written in the request's own transaction
(the outbox, kpi_platform.jobs) and handed to the broker after the commit. Here with real parts: a
Redis of the test's own, stopped and started again, the API served by `kpi-platform serve`'s app in
a separate process, and a real Celery worker (`kpi-platform worker`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
import requests
from celery import Celery
from sqlalchemy import select
from support import build_catalog, build_org

from kpi_platform.context import tenant_scope
from kpi_platform.db import db
from kpi_platform.identity import service as identity
from kpi_platform.org import service as org
from kpi_platform.scoring.models import PeriodRun, RunStatus
from kpi_platform.tenancy import service as tenancy
from kpi_platform.worklog import service as worklog
from kpi_platform.worklog.models import EntryState, WorkEntry

pytestmark = pytest.mark.no_tx
ROOT = Path(__file__).resolve().parent.parent
SERVE_APP = """
import os, sys
from werkzeug.serving import run_simple
from kpi_platform.app import create_app
run_simple("127.0.0.1", int(sys.argv[1]), create_app(), threaded=True)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, port: int):
        self.port, self.process = port, None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        _wait(lambda: socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close() is None)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def _wait(ready, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = ready()
            if value:
                return value
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.fixture(scope="module")
def broker():
    redis_server = RedisServer(_free_port())
    redis_server.start()
    yield redis_server
    redis_server.stop()


@pytest.fixture(scope="module")
def production_like(pg, broker, tmp_path_factory):
    """The environment of a deployment: Celery not eager, tasks through the test's own Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KPI_")}
    tmp_path = tmp_path_factory.mktemp("outbox")
    env.update(
        KPI_ENV="test",
        KPI_INSTANCE_PATH=str(tmp_path),
        KPI_DATABASE_URL=pg.app,
        KPI_MIGRATION_DATABASE_URL=pg.owner,
        KPI_CROSS_TENANT_DATABASE_URL=pg.cross_tenant,
        KPI_REDIS_URL=f"redis://127.0.0.1:{broker.port}/0",
        KPI_CELERY_EAGER="0",
        KPI_SECRET_KEY="outbox-test-" + "x" * 32,
    )
    port = _free_port()
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115
    server = subprocess.Popen([sys.executable, "-c", SERVE_APP, str(port)], env=env, cwd=ROOT, stderr=log, stdout=log)
    base = f"http://127.0.0.1:{port}"
    _wait(lambda: requests.get(f"{base}/healthz", timeout=1).status_code == 200)
    yield base, env
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def province(app):
    """A tenant of its own, committed, with March 2025's approved work and an admin's token."""
    tenant = tenancy.create_tenant(slug=f"outbox-{uuid.uuid4().hex[:6]}", name_vi="Tỉnh Hàng Đợi", name_en="Outbox")
    ids = build_org(tenant)
    cat = build_catalog(tenant, ids)
    with tenant_scope(tenant.id):
        entry = worklog.log_work(ids["clerk"], date(2025, 3, 3), cat["item_b"], 2, submit=True)
        entry.state, entry.quality = EntryState.approved, "good"
        admin = identity.create_principal(email="qt@outbox.vn", display_name="Quản trị", roles=["provincial_admin"])
        _, token = identity.issue_token(admin, name="test", days=1, max_days=1)
        org.get_official(ids["clerk"])
        db.session.commit()
    return {"tenant": tenant, "token": token, "entry": entry.id}


def test_a_month_closed_while_redis_is_down_is_locked_and_scored_once_it_is_back(
    province, production_like, broker, tmp_path
):
    base, env = production_like
    headers = {"Authorization": f"Bearer {province['token']}"}
    slug = province["tenant"].slug

    broker.stop()
    r = requests.post(f"{base}/api/v1/t/{slug}/worklog/periods/2025-3/close", headers=headers, timeout=30)
    # The close holds, and so does its follow-up work: waiting in the outbox, not a 500.
    assert r.status_code == 201, r.text
    job = r.json()["job"]
    assert job["state"] == "pending" and job["label"] == "period_close 2025-03"
    assert (
        requests.post(f"{base}/api/v1/t/{slug}/worklog/periods/2025-3/close", headers=headers, timeout=30).json()[
            "error"
        ]["code"]
        == "period_closed"
    )  # a retry is refused as a retry, the first close stands

    broker.start()
    worker = subprocess.Popen(
        [sys.executable, "-m", "kpi_platform.cli", "worker", "--pool=solo", "--without-heartbeat", "--without-gossip"],
        env=env,
        cwd=ROOT,
        stdout=open(tmp_path / "worker.log", "w"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    try:
        # Beat's sweeper, every minute in production; asked for once here, through the broker.
        sender = Celery(broker=env["KPI_REDIS_URL"], set_as_current=False)
        _wait(lambda: sender.send_task("jobs.sweep_all_tenants", kwargs={"grace_seconds": 0}) is not None)

        def finished():
            state = requests.get(f"{base}/api/v1/t/{slug}/jobs/{job['id']}", headers=headers, timeout=5).json()
            return state if state["state"] in ("done", "failed") else None

        done = _wait(finished, timeout=60)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    assert done["state"] == "done", (tmp_path / "worker.log").read_text()[-3000:]
    assert done["attempts"] == 1 and done["result"]["locked"] == 1
    with tenant_scope(province["tenant"].id):
        db.session.expire_all()
        assert db.session.get(WorkEntry, (province["tenant"].id, province["entry"])).state == EntryState.locked
        run = db.session.scalar(select(PeriodRun).where(PeriodRun.reason == "period_close"))
        assert run.status == RunStatus.done and run.officials >= 1
        db.session.rollback()


def test_a_job_is_handed_over_at_once_when_the_broker_is_up_and_never_runs_twice(province, production_like, broker):
    base, env = production_like
    if broker.process is None:
        broker.start()
    headers = {"Authorization": f"Bearer {province['token']}"}
    slug = province["tenant"].slug
    r = requests.post(f"{base}/api/v1/t/{slug}/worklog/periods/2025-4/close", headers=headers, timeout=30)
    assert r.status_code == 201 and r.json()["job"]["state"] == "queued"  # in Redis, for a worker to take
    job_id = uuid.UUID(r.json()["job"]["id"])
    # The same message delivered twice (a worker killed after running it, say): the job runs once.
    from kpi_platform.celery_app import JOB_HEADER  # noqa: PLC0415
    from kpi_platform.scoring import tasks  # noqa: PLC0415

    for _ in range(2):
        tasks.lock_and_score_month.apply(
            args=[str(province["tenant"].id)], kwargs={"month": "2025-04-01"}, headers={JOB_HEADER: str(job_id)}
        ).get()
    with tenant_scope(province["tenant"].id):
        runs = db.session.scalars(select(PeriodRun).where(PeriodRun.start == date(2025, 4, 1))).all()
        assert len(runs) == 1
        db.session.rollback()
