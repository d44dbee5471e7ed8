"""Outages answer as outages: 503 with Retry-After in the one error shape (a page on pages), never
500, and the first request after recovery succeeds (the pool pre-pings).

The database outage is real and safe for everyone else: the app is pointed at a PgBouncer of its
own in front of this run's scratch database, and that PgBouncer is killed and started again (the
shared PostgreSQL server is never stopped). The backends of this run's app role are also
terminated with pg_terminate_backend from the admin connection. The broker outage is a Redis URL
on which nothing listens.
"""

from __future__ import annotations

import io
import threading
import time
import zipfile
from dataclasses import dataclass

import psycopg
import pytest
from conftest import PG_ADMIN_URL
from sqlalchemy.engine import make_url
from support import browser_session
from test_pgbouncer import _free_port, _pgbouncer_binary, _start

from kpi_platform.db import db


@dataclass
class Pooler:
    folder: object
    port: int
    settings: str
    process: object
    binary: str

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def start(self) -> None:
        self.process = _start(self.binary, self.folder, self.settings, self.port)

    def url(self, role_url: str) -> str:
        return make_url(role_url).set(host="127.0.0.1", port=self.port, database="kpi").render_as_string(False)


@pytest.fixture(scope="module")
def pooler(app, pg, tmp_path_factory):
    """The app's engines through a PgBouncer (session mode) of this module, put back afterwards."""
    binary = _pgbouncer_binary()
    folder = tmp_path_factory.mktemp("outage-pgbouncer")
    port = _free_port()
    admin = make_url(PG_ADMIN_URL)
    users = sorted({"postgres", *(make_url(u).username for u in (pg.app, pg.cross_tenant))})
    (folder / "userlist.txt").write_text("".join(f'"{u}" ""\n' for u in users))
    settings = (
        "\n".join(
            [
                "[databases]",
                f"kpi = host={admin.host} port={admin.port or 5432} dbname={pg.name}",
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                f"listen_port = {port}",
                "unix_socket_dir =",
                "auth_type = trust",
                f"auth_file = {folder / 'userlist.txt'}",
                "pool_mode = session",
            ]
        )
        + "\n"
    )
    pooler = Pooler(folder, port, settings, None, binary)
    pooler.start()
    saved = db.engine, db.cross_tenant_engine
    db.configure(pooler.url(pg.app), pooler.url(pg.cross_tenant))
    yield pooler
    db.session.remove()
    for engine in (db.engine, db.cross_tenant_engine):
        engine.dispose()
    db.engine, db.cross_tenant_engine = saved
    db.session.configure(bind=db.engine)
    if pooler.process.poll() is None:
        pooler.process.terminate()
        pooler.process.wait(timeout=10)


def assert_outage(response, code: str = "database_unavailable") -> None:
    assert response.status_code == 503, response.get_data(as_text=True)[:500]
    assert response.headers["Retry-After"] == "5"
    body = response.get_json()
    assert body["error"]["code"] == code and body["error"]["request_id"] and body["error"]["message"]


@pytest.mark.no_tx
def test_terminated_backends_are_replaced_without_an_error(app, client, make_account, tenant_a, pg):
    admin = make_account(tenant_a, roles=["provincial_admin"])
    me = f"/api/v1/t/{tenant_a.slug}/me"
    assert client.get(me, headers=admin.headers).status_code == 200
    app_role = make_url(pg.app).username
    admin_dsn = make_url(PG_ADMIN_URL).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(admin_dsn, autocommit=True) as connection:
        killed = connection.execute(
            "select count(pg_terminate_backend(pid)) from pg_stat_activity where datname = %s and usename = %s",
            [pg.name, app_role],
        ).fetchone()[0]
    assert killed >= 1, "the app had no pooled connection to lose"
    for _ in range(3):
        assert client.get(me, headers=admin.headers).status_code == 200


def test_a_broker_outage_keeps_the_upload_and_its_job_for_later(app, client, make_account, tenant_a, monkeypatch):
    """The upload is kept with its background job in the outbox (pending), never a 500; beat's sweeper
    hands it over once the broker is back (tests/test_jobs_outbox.py follows that part)."""
    celery = app.extensions["celery"]
    port = _free_port()  # nothing listens there
    monkeypatch.setitem(celery.conf, "task_always_eager", False)
    monkeypatch.setitem(celery.conf, "broker_url", f"redis://127.0.0.1:{port}/0")
    monkeypatch.setitem(celery.conf, "task_publish_retry_policy", {"max_retries": 1, "interval_start": 0})
    # Connections already made (to the real broker) would be reused: start from none, and leave none.
    celery._pool = celery.amqp._producer_pool = None
    try:
        admin = make_account(tenant_a, roles=["provincial_admin"])
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("tenant.yaml", f"slug: {tenant_a.slug}\nname_vi: A\nname_en: A\n")
        r = client.post(
            f"/api/v1/t/{tenant_a.slug}/onboarding/imports",
            headers=admin.headers,
            data={"file": (io.BytesIO(archive.getvalue()), "pack.zip"), "dry_run": "true"},
            content_type="multipart/form-data",
        )
    finally:
        if celery._pool is not None:
            celery._pool.force_close_all()
        celery._pool = celery.amqp._producer_pool = None
    assert r.status_code == 202, r.get_data(as_text=True)[:500]
    assert r.json["status"] == "queued" and r.json["job"]["state"] == "pending"


# Last: its module fixture points the app at the PgBouncer for the rest of the module.
@pytest.mark.no_tx
def test_a_lost_database_answers_503_then_recovers_on_the_first_request(pooler, app, client, make_account, tenant_a):
    admin = make_account(tenant_a, roles=["provincial_admin"])
    official = make_account(tenant_a, roles=["official"])
    me = f"/api/v1/t/{tenant_a.slug}/me"
    assert client.get(me, headers=admin.headers).status_code == 200
    pages = app.test_client()
    browser_session(pages, tenant_a, official.id)
    assert pages.get(f"/t/{tenant_a.slug}/me").status_code == 200

    statuses: list[int] = []
    stop = threading.Event()

    def load():
        c = app.test_client()
        while not stop.is_set():
            statuses.append(c.get(me, headers=admin.headers).status_code)

    workers = [threading.Thread(target=load) for _ in range(3)]
    for worker in workers:
        worker.start()
    time.sleep(0.3)
    pooler.kill()  # PostgreSQL is gone as far as the app can tell
    time.sleep(0.5)
    try:
        assert_outage(client.get(me, headers=admin.headers))
        assert_outage(client.get(f"/api/v1/t/{tenant_a.slug}/org/units", headers=admin.headers))
        page = pages.get(f"/t/{tenant_a.slug}/me")
        assert page.status_code == 503 and page.headers["Retry-After"] == "5"
        assert page.mimetype == "text/html" and "database_unavailable" in page.get_data(as_text=True)
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.get_json()["checks"]["database"] == "unreachable"
    finally:
        pooler.start()
    time.sleep(0.5)
    stop.set()
    for worker in workers:
        worker.join(timeout=30)
    # The connections in the pool died with the pooler; pre-ping replaces them at checkout.
    assert client.get(me, headers=admin.headers).status_code == 200
    assert pages.get(f"/t/{tenant_a.slug}/me").status_code == 200
    assert 503 in statuses and 200 in statuses, statuses[:20]
    assert set(statuses) <= {200, 503}, f"under load the outage answered {sorted(set(statuses))}"
