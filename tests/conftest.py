"""Fixtures: a fresh PostgreSQL database per run (migrations applied once, as a non-superuser owner),
the app connected as the non-owner app role, each test in a transaction rolled back at its end, and
tenants, accounts and tokens made through the same service code users go through."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from benchmarking_world import benchmark_world  # noqa: F401 (a session fixture of the benchmarking tests)
from flask.testing import FlaskClient
from support import bound_transaction

from kpi_platform import migrate
from kpi_platform.app import create_app
from kpi_platform.config import LIMIT_VARIABLES, Settings
from kpi_platform.context import SYSTEM_TENANT_ID, tenant_scope
from kpi_platform.db import db
from kpi_platform.identity import service as identity
from kpi_platform.tenancy import service as tenancy

# Fixture modules: a frozen clock, statement counting, test worlds and factories.
pytest_plugins = ["fixtures.clock", "fixtures.queries", "fixtures.worlds"]

PG_ADMIN_URL = os.environ.get("KPI_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("KPI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def pg() -> migrate.ScratchDatabase:
    scratch = migrate.create_scratch_database(PG_ADMIN_URL, "kpi_test")
    yield scratch
    db.session.remove()
    for engine in {db.engine, db.cross_tenant_engine} - {None}:
        engine.dispose()
    migrate.drop_database(PG_ADMIN_URL, scratch.name)


@pytest.fixture(scope="session")
def settings(pg, tmp_path_factory) -> Settings:
    return Settings(
        env="test",
        instance_path=tmp_path_factory.mktemp("instance"),
        database_url=pg.app,
        migration_database_url=pg.owner,
        cross_tenant_database_url=pg.cross_tenant,
        redis_url=REDIS_URL,
        secret_key="test-secret-key-" + "x" * 32,
        celery_eager=True,
        # The suite runs from one address: limits out of reach, except where a test lowers one
        # (tests/test_limits.py); keys of their own in the shared Redis.
        ratelimit_key_prefix=f"kpi-test-{uuid.uuid4().hex[:8]}",
        **{name: "1000000/minute" for name in LIMIT_VARIABLES},
    )


@pytest.fixture(scope="session")
def app(settings):
    app = create_app(settings)
    app.test_client_class = FreshContextClient
    with app.app_context():
        yield app


class FreshContextClient(FlaskClient):
    """Each request in its own app context, as in production: the tests keep an app context
    pushed, and a request would otherwise reuse its `g` (cached locale, principal …)."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(autouse=True)
def tx(request, app):
    """Every test runs in a rolled-back transaction as the app role (unless it asks otherwise)."""
    if request.node.get_closest_marker("sqlite") or request.node.get_closest_marker("no_tx"):
        yield None
        return
    yield from bound_transaction(db.engine)


@pytest.fixture
def client(app):
    return app.test_client()


# ---------------------------------------------------------------- tenants and accounts


@pytest.fixture(scope="session")
def tenant_a(app):
    slug = f"a-{uuid.uuid4().hex[:8]}"
    return tenancy.create_tenant(slug=slug, name_vi="Tỉnh Khánh Hòa (A)", name_en="Province A", status="active")


@pytest.fixture(scope="session")
def tenant_b(app):
    slug = f"b-{uuid.uuid4().hex[:8]}"
    return tenancy.create_tenant(slug=slug, name_vi="Tỉnh Hà Tĩnh (B)", name_en="Province B", status="active")


@dataclass
class Account:
    principal: object
    token: str
    tenant: object

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def id(self):
        return self.principal.id


_account_counter = iter(range(1_000_000))


@pytest.fixture
def make_account(app):
    """make_account(tenant, roles=[...], name=...) -> Account, committed to the test transaction."""
    counter = _account_counter

    def make(tenant, roles=("official",), name: str | None = None, email: str | None = None) -> Account:
        n = next(counter)
        tenant_id = tenant.id if tenant is not None else SYSTEM_TENANT_ID
        with tenant_scope(tenant_id):
            principal = identity.create_principal(
                email=email or f"user{n}-{uuid.uuid4().hex[:6]}@example.vn",
                display_name=name or f"Người dùng {n}",
                roles=list(roles),
            )
            _, raw = identity.issue_token(principal, name=f"test {n}", days=30, max_days=365)
            db.session.commit()
        return Account(principal=principal, token=raw, tenant=tenant)

    return make


@pytest.fixture
def make_account_committed(make_account):
    """For tests marked no_tx: the same factory, but the rows are committed for real."""
    return make_account


@pytest.fixture
def operator(make_account) -> Account:
    return make_account(None, roles=["platform_operator"], name="Vận hành")


@pytest.fixture
def admin_a(make_account, tenant_a) -> Account:
    return make_account(tenant_a, roles=["provincial_admin"], name="Quản trị A")


# ---------------------------------------------------------------- a real OpenID Connect provider

OIDC_DIR = Path(__file__).parent / "oidc"


@dataclass
class OidcProvider:
    issuer: str
    client_id: str
    client_secret: str
    process: subprocess.Popen

    @property
    def port(self) -> int:
        return int(self.issuer.rsplit(":", 1)[1])

    def stop(self) -> None:
        """Stop the provider now (its port is free again once this returns)."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def start_oidc_provider():
    """start_oidc_provider(client_id, client_secret, accounts={sub: claims}) -> OidcProvider: the npm
    package oidc-provider on a loopback port, stopped at the end of the run (or by provider.stop()).

    Optional: resource= makes access tokens JWTs with that audience (and the account's email and
    staff_code), access_token_ttl= their lifetime in seconds, jwks= the signing keys (a JWKS with
    private keys), port= a fixed port, e.g. to restart a stopped provider under the same issuer."""
    if not (OIDC_DIR / "node_modules" / "oidc-provider").exists():
        raise RuntimeError("run `npm ci` in tests/oidc (make test does it)")
    started = []

    def start(
        client_id: str,
        client_secret: str,
        accounts: dict | None = None,
        redirect_uris: tuple[str, ...] = ("http://localhost/callback",),
        *,
        resource: str | None = None,
        jwks: dict | None = None,
        access_token_ttl: int | None = None,
        port: int | None = None,
    ) -> OidcProvider:
        if port is None:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        env = {
            **os.environ,
            "OIDC_PORT": str(port),
            "OIDC_CLIENT_ID": client_id,
            "OIDC_CLIENT_SECRET": client_secret,
            "OIDC_REDIRECT_URIS": ",".join(redirect_uris),
            "OIDC_ACCOUNTS": json.dumps(accounts or {}),
        }
        for name, value in (
            ("OIDC_RESOURCE", resource),
            ("OIDC_JWKS", json.dumps(jwks) if jwks else None),
            ("OIDC_ACCESS_TOKEN_TTL", str(access_token_ttl) if access_token_ttl else None),
        ):
            env.pop(name, None)
            if value:
                env[name] = value
        process = subprocess.Popen(
            ["node", "server.mjs"], cwd=OIDC_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        started.append(process)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if line.startswith("ready "):
                return OidcProvider(line.split()[1], client_id, client_secret, process)
            if not line and process.poll() is not None:
                break
        raise RuntimeError("the OIDC provider did not start")

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
