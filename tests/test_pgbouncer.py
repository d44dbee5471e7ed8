"""The app through a real PgBouncer in transaction mode (Debian's `pgbouncer`, as in production).

In transaction mode consecutive transactions of one client may run on different server
connections, and one server connection serves many clients in turn. Tenant isolation must hold
there: `app.tenant_id` is set per transaction (set_config(..., true)), so nothing carries over from
one tenant's transaction to the next one on the same server connection.

PgBouncer here keeps ONE server connection per role (pool_size=1), so every transaction of the app
role, whatever the tenant, runs on the same PostgreSQL backend. The module has its own scratch
database (it commits for real) and points the app's engines at PgBouncer while it runs.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from conftest import PG_ADMIN_URL
from sqlalchemy.engine import make_url
from test_isolation_probe import probe, world  # noqa: F401 - `world` is a fixture used below

from kpi_platform import migrate
from kpi_platform.context import tenant_scope
from kpi_platform.db import db, make_engine, set_orm_filter_enabled
from kpi_platform.identity import service as identity
from kpi_platform.tenancy import service as tenancy

pytestmark = pytest.mark.no_tx
ALIAS = "kpi"  # the database name clients ask PgBouncer for


def _pgbouncer_binary() -> str:
    found = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)
    if not found:
        message = "Debian's pgbouncer is not installed (.ci/run installs it: apt-get install -y pgbouncer)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def _version(binary: str) -> tuple[int, ...]:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    number = out.split()[1]  # "PgBouncer 1.18.0"
    return tuple(int(part) for part in number.split(".")[:2])


@dataclass
class Bouncer:
    port: int
    scratch: migrate.ScratchDatabase
    process: subprocess.Popen

    def url(self, role_url: str) -> str:
        """The SQLAlchemy URL of a role, through PgBouncer."""
        return make_url(role_url).set(host="127.0.0.1", port=self.port, database=ALIAS).render_as_string(False)

    def dsn(self, user: str, database: str = ALIAS) -> str:
        return f"host=127.0.0.1 port={self.port} user={user} dbname={database}"

    def transactions(self) -> int:
        """Transactions PgBouncer has passed on to the scratch database so far (its admin console)."""
        with psycopg.connect(
            self.dsn("postgres", "pgbouncer"), autocommit=True, cursor_factory=psycopg.ClientCursor
        ) as console:
            rows = console.execute("SHOW STATS").fetchall()
        return next((int(row[1]) for row in rows if row[0] == ALIAS), 0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(binary: str, folder: Path, settings: str, port: int) -> subprocess.Popen:
    """Run PgBouncer with these settings (as `nobody` when we are root: it refuses to run as root),
    logging to a file (not a pipe: it logs every connection); return once it listens."""
    if os.geteuid() == 0:
        settings = settings.replace("[pgbouncer]\n", "[pgbouncer]\nuser = nobody\n", 1)
    (folder / "pgbouncer.ini").write_text(settings)
    folder.chmod(0o755)
    for path in folder.iterdir():
        path.chmod(0o644)
    log = folder / "pgbouncer.log"
    with log.open("w") as out:
        process = subprocess.Popen([binary, str(folder / "pgbouncer.ini")], stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("pgbouncer did not start:\n" + log.read_text()) from None
            time.sleep(0.05)


@pytest.fixture(scope="module")
def bouncer(tmp_path_factory) -> Bouncer:
    binary = _pgbouncer_binary()
    scratch = migrate.create_scratch_database(PG_ADMIN_URL, "kpi_pgbouncer")
    folder = tmp_path_factory.mktemp("pgbouncer")
    port = _free_port()
    admin = make_url(PG_ADMIN_URL)
    users = sorted({"postgres", admin.username, *(make_url(u).username for u in (scratch.app, scratch.cross_tenant))})
    (folder / "userlist.txt").write_text("".join(f'"{u}" ""\n' for u in users))
    settings = [
        "[databases]",
        f"{ALIAS} = host={admin.host} port={admin.port or 5432} dbname={scratch.name} pool_size=1",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {port}",
        "unix_socket_dir =",
        "auth_type = trust",  # the test PostgreSQL trusts loopback too; the chart's PgBouncer uses scram-sha-256
        f"auth_file = {folder / 'userlist.txt'}",
        "admin_users = postgres",
        "pool_mode = transaction",
        "max_client_conn = 200",
        # A client waiting longer than this for the one server connection fails loudly, not silently slow.
        "query_wait_timeout = 20",
    ]
    if _version(binary) >= (1, 21):  # newer PgBouncers can track prepared statements; keep them as 1.18 (Debian 12)
        settings.append("max_prepared_statements = 0")
    try:
        process = _start(binary, folder, "\n".join(settings) + "\n", port)
    except RuntimeError:
        migrate.drop_database(PG_ADMIN_URL, scratch.name)
        raise
    yield Bouncer(port, scratch, process)
    process.terminate()
    process.wait(timeout=10)
    migrate.drop_database(PG_ADMIN_URL, scratch.name)


@pytest.fixture(scope="module")
def through_pgbouncer(app, bouncer):
    """Point the app's engines (app role and cross-tenant door) at PgBouncer, as
    KPI_DATABASE_PGBOUNCER=1 does in production; put the suite's engines back afterwards."""
    saved = db.engine, db.cross_tenant_engine
    db.configure(bouncer.url(bouncer.scratch.app), bouncer.url(bouncer.scratch.cross_tenant), pgbouncer=True)
    yield bouncer
    db.session.remove()
    db.engine.dispose()
    db.cross_tenant_engine.dispose()
    db.engine, db.cross_tenant_engine = saved
    db.session.configure(bind=db.engine)


# The probe's `world` fixture builds on tenant_a and tenant_b: here they live in the pooled database.
@pytest.fixture(scope="module")
def tenant_a(through_pgbouncer):
    return tenancy.create_tenant(
        slug=f"pa-{uuid.uuid4().hex[:8]}", name_vi="Tỉnh A (PgBouncer)", name_en="Province A", status="active"
    )


@pytest.fixture(scope="module")
def tenant_b(through_pgbouncer):
    return tenancy.create_tenant(
        slug=f"pb-{uuid.uuid4().hex[:8]}", name_vi="Tỉnh B (PgBouncer)", name_en="Province B", status="active"
    )


def test_api_smoke_through_pgbouncer(through_pgbouncer, app, client, make_account, tenant_a, tenant_b):
    """Readiness, the platform door and tenant requests, interleaved A, B, A … on one server connection."""
    before = through_pgbouncer.transactions()
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    assert ready.get_json()["checks"]["database"] == "ok"

    operator = make_account(None, roles=["platform_operator"], name="Vận hành")
    created = client.post(
        "/api/v1/platform/tenants",
        headers=operator.headers,
        json={"slug": f"pc-{uuid.uuid4().hex[:8]}", "name_vi": "Tỉnh C", "name_en": "Province C"},
    )
    assert created.status_code == 201, created.get_json()

    admins = {t.slug: make_account(t, roles=["provincial_admin"], name=f"QT {t.slug}") for t in (tenant_a, tenant_b)}
    for slug, admin in admins.items():
        r = client.post(
            f"/api/v1/t/{slug}/org/units",
            headers=admin.headers,
            json={"code": f"U-{slug}", "name_vi": f"Sở Nội vụ {slug}", "kind": "agency", "valid_from": "2025-01-01"},
        )
        assert r.status_code == 201, r.get_json()
    for _ in range(5):
        for slug, admin in admins.items():
            units = client.get(f"/api/v1/t/{slug}/org/units", headers=admin.headers)
            assert units.status_code == 200
            assert [u["code"] for u in units.get_json()] == [f"U-{slug}"]
            me = client.get(f"/api/v1/t/{slug}/me", headers=admin.headers)
            assert me.status_code == 200 and me.get_json()["principal"]["id"] == str(admin.id)
    other = {tenant_a.slug: tenant_b.slug, tenant_b.slug: tenant_a.slug}
    for slug, admin in admins.items():
        assert client.get(f"/api/v1/t/{other[slug]}/org/units", headers=admin.headers).status_code == 404
    assert through_pgbouncer.transactions() - before >= 20, "the requests did not go through PgBouncer"


def test_isolation_probe_rls_alone_through_pgbouncer(through_pgbouncer, world, app, client):  # noqa: F811
    """The endpoint probe with the ORM filter off: row-level security alone, fed by the
    per-transaction setting, keeps the tenants apart through the pooler."""
    before = through_pgbouncer.transactions()
    set_orm_filter_enabled(False)
    try:
        leaks = probe(app, client, world)
    finally:
        set_orm_filter_enabled(True)
    assert leaks == [], "\n".join(leaks)
    assert through_pgbouncer.transactions() - before > 100


def _principal_tenants(connection) -> tuple[int, str | None, set]:
    pid, setting, tenants = connection.execute(
        "select pg_backend_pid(), current_setting('app.tenant_id', true), "
        "coalesce(array_agg(distinct tenant_id), '{}') from principals"
    ).fetchone()
    return pid, setting, set(tenants)


def test_tenant_setting_does_not_outlive_its_transaction_on_a_shared_server_connection(
    through_pgbouncer, tenant_a, tenant_b
):
    for tenant in (tenant_a, tenant_b):
        with tenant_scope(tenant.id):
            identity.create_principal(email=f"p-{uuid.uuid4().hex[:6]}@example.vn", display_name="X", roles=[])
            db.session.commit()
    app_role = make_url(through_pgbouncer.scratch.app).username
    dsn = through_pgbouncer.dsn(app_role)
    with psycopg.connect(dsn, prepare_threshold=None) as one, psycopg.connect(dsn, prepare_threshold=None) as two:
        with one.transaction():
            one.execute("select set_config('app.tenant_id', %s, true)", [str(tenant_a.id)])
            pid_a, _, seen_a = _principal_tenants(one)
        with two.transaction():  # another client, next on the same server connection, sets nothing
            pid_next, setting, seen_next = _principal_tenants(two)
        with two.transaction():
            two.execute("select set_config('app.tenant_id', %s, true)", [str(tenant_b.id)])
            pid_b, _, seen_b = _principal_tenants(two)
        assert pid_a == pid_next == pid_b, "PgBouncer should have reused its one server connection"
        assert seen_a == {tenant_a.id}
        assert setting in ("", None) and seen_next == set(), "tenant A's setting carried over to the next client"
        assert seen_b == {tenant_b.id}

        # Why is_local matters: a session-level setting stays on the server connection for the next client.
        one.autocommit = two.autocommit = True
        try:
            one.execute("select set_config('app.tenant_id', %s, false)", [str(tenant_a.id)])
            _, leaked, seen_leaked = _principal_tenants(two)
            assert leaked == str(tenant_a.id) and seen_leaked == {tenant_a.id}
        finally:
            two.execute("select set_config('app.tenant_id', '', false)")


def test_prepared_statements_must_be_off_through_pgbouncer(through_pgbouncer):
    """KPI_DATABASE_PGBOUNCER=1 turns psycopg's server-side prepared statements off. With them on,
    two clients sharing a server connection collide on the statement names psycopg picks."""
    url = through_pgbouncer.url(through_pgbouncer.scratch.app)
    query = "select count(*) from tenants where slug = %s"

    def run_twice_ten_times(pgbouncer: bool) -> None:
        engines = [make_engine(url, pgbouncer=pgbouncer) for _ in range(2)]
        try:
            for engine in engines:  # one committed transaction each, as a request makes
                with engine.begin() as connection:
                    for _ in range(10):
                        connection.exec_driver_sql(query, ("khanh-hoa",)).scalar()
        finally:
            for engine in engines:
                engine.dispose()

    run_twice_ten_times(pgbouncer=True)
    with pytest.raises(Exception, match="prepared statement"):
        run_twice_ten_times(pgbouncer=False)


def test_the_pgbouncer_switch_reaches_the_app_engines(pg):
    """KPI_DATABASE_PGBOUNCER=1 from the environment to psycopg's connections of both engines."""
    from flask import Flask  # noqa: PLC0415

    from kpi_platform.config import Settings  # noqa: PLC0415
    from kpi_platform.db import Database  # noqa: PLC0415

    environ = {"KPI_ENV": "test", "KPI_DATABASE_URL": pg.app, "KPI_CROSS_TENANT_DATABASE_URL": pg.cross_tenant}
    for switch, threshold in (("1", None), ("", 5)):
        settings = Settings.from_env({**environ, "KPI_DATABASE_PGBOUNCER": switch})
        assert settings.database_pgbouncer is (switch == "1")
        flask_app = Flask("pgbouncer-switch")
        flask_app.config["SETTINGS"] = settings
        database = Database()
        database.init_app(flask_app)
        try:
            for engine in (database.engine, database.cross_tenant_engine):
                with engine.connect() as connection:
                    assert connection.connection.driver_connection.prepare_threshold == threshold
        finally:
            database.engine.dispose()
            database.cross_tenant_engine.dispose()


def test_the_charts_pgbouncer_configuration_runs_on_debians_pgbouncer(bouncer, tmp_path):
    """pgbouncer.ini as helm/kpi-platform renders it, started by Debian's pgbouncer: SCRAM with the
    passwords file the pod writes at start, transaction pooling, the app role's queries through it."""
    import helm_python as helm  # noqa: PLC0415
    import yaml  # noqa: PLC0415

    values = {"pgbouncer": {"enabled": True, "serverTlsSslmode": "disable"}, "externalPostgresql": {"database": "kpi"}}
    with helm.Chart.load(str(Path(__file__).parents[1] / "helm" / "kpi-platform")) as chart:
        rendered = chart.render(values, name="kpi", namespace="kpi")
    config = next(
        doc
        for doc in yaml.safe_load_all(rendered["kpi-platform/templates/pgbouncer.yaml"])
        if doc and doc["kind"] == "ConfigMap"
    )
    ini = config["data"]["pgbouncer.ini"]
    admin, port = make_url(PG_ADMIN_URL), _free_port()
    app_role = make_url(bouncer.scratch.app).username
    (tmp_path / "userlist.txt").write_text(f'"{app_role}" "app-secret"\n')
    # Only the addresses and the file's place change: the database, auth and pool settings stay the chart's.
    server = f"host={admin.host} port={admin.port or 5432} dbname={bouncer.scratch.name}"
    ini = ini.replace("host=postgresql port=5432 dbname=kpi", server)
    ini = ini.replace("listen_addr = 0.0.0.0", "listen_addr = 127.0.0.1")
    ini = ini.replace("listen_port = 6432", f"listen_port = {port}")
    ini = ini.replace("/tmp/pgbouncer/userlist.txt", str(tmp_path / "userlist.txt"))
    assert "auth_type = scram-sha-256" in ini and "pool_mode = transaction" in ini
    process = _start(_pgbouncer_binary(), tmp_path, ini, port)
    try:
        dsn = f"host=127.0.0.1 port={port} user={app_role} dbname=kpi"
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(dsn + " password=wrong", prepare_threshold=None).close()
        with psycopg.connect(dsn + " password=app-secret", prepare_threshold=None) as connection:
            assert connection.execute("select current_user, current_database()").fetchone() == (
                app_role,
                bouncer.scratch.name,
            )
    finally:
        process.terminate()
        process.wait(timeout=10)
