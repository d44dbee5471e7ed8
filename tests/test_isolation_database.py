"""Row-level security as the database sees it, checked from the catalog and as the app role."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError
from support import MARKER_B

from kpi_platform.context import tenant_scope
from kpi_platform.db import TenantSession, db
from kpi_platform.identity.models import Principal
from kpi_platform.models import tenant_tables


@pytest.fixture
def superuser(pg):
    engine = create_engine(pg.superuser)
    yield engine
    engine.dispose()


def test_every_tenant_table_forces_row_level_security(superuser):
    tables = tenant_tables()
    assert {"principals", "principal_roles", "api_tokens", "audit_log"} <= set(tables)
    with superuser.connect() as c:
        rows = c.execute(
            text(
                "select c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) "
                "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname = 'public' and c.relkind in ('r', 'p')"
            )
        ).all()
        by_name = {r[0]: r for r in rows}
        # Every table that has a tenant_id column in the database, not only in the models.
        db_tenant_tables = set(
            c.scalars(
                text(
                    "select table_name from information_schema.columns "
                    "where table_schema = 'public' and column_name = 'tenant_id'"
                )
            )
        )
        policies = set(c.execute(text("select tablename, policyname from pg_policies")).all())
    assert db_tenant_tables == set(tables)
    for table in tables:
        _, enabled, forced, owner = by_name[table]
        assert enabled and forced, f"{table} must ENABLE and FORCE row level security"
        assert owner not in ("kpi_app", "kpi_cross_tenant")
        assert (table, "tenant_isolation") in policies
        assert (table, "cross_tenant_door") in policies


def test_app_roles_own_nothing_and_cannot_bypass_rls(superuser):
    with superuser.connect() as c:
        roles = dict(
            c.execute(
                text(
                    "select rolname, rolbypassrls or rolsuper from pg_roles "
                    "where rolname in ('kpi_app', 'kpi_cross_tenant')"
                )
            ).all()
        )
        owned = c.scalar(
            text(
                "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname = 'public' and pg_get_userbyid(c.relowner) in ('kpi_app', 'kpi_cross_tenant')"
            )
        )
    assert roles == {"kpi_app": False, "kpi_cross_tenant": False}
    assert owned == 0


def test_app_role_sees_nothing_without_a_tenant(tx, make_account, tenant_a, tenant_b):
    make_account(tenant_a)
    make_account(tenant_b)
    tx.execute(text("select set_config('app.tenant_id', '', true)"))
    for table in tenant_tables():
        assert tx.scalar(text(f"select count(*) from {table}")) == 0, table  # noqa: S608
    assert tx.scalar(text("select current_user")) == "kpi_app"


def test_app_role_with_tenant_a_sees_no_row_of_b(tx, make_account, tenant_a, tenant_b):
    make_account(tenant_a)
    make_account(tenant_b, name=f"Người {MARKER_B}")
    tx.execute(text("select set_config('app.tenant_id', :t, true)"), {"t": str(tenant_a.id)})
    for table in tenant_tables():
        tenants = set(tx.scalars(text(f"select distinct tenant_id from {table}")))  # noqa: S608
        assert tenants <= {tenant_a.id}, table
    assert tx.scalar(text("select count(*) from principals where display_name like :m"), {"m": f"%{MARKER_B}%"}) == 0


def test_app_role_cannot_insert_a_row_of_b(tx, tenant_a, tenant_b):
    tx.execute(text("select set_config('app.tenant_id', :t, true)"), {"t": str(tenant_a.id)})
    tx.execute(text("savepoint before_insert"))
    with pytest.raises(DBAPIError, match="row-level security"):
        tx.execute(
            text(
                "insert into principals (tenant_id, id, email, display_name, status, created_at, updated_at) "
                "values (:t, :i, 'x@b.vn', 'X', 'active', now(), now())"
            ),
            {"t": str(tenant_b.id), "i": str(uuid.uuid4())},
        )
    tx.execute(text("rollback to savepoint before_insert"))


def test_app_role_cannot_move_a_row_to_another_tenant(tx, make_account, tenant_a, tenant_b):
    account = make_account(tenant_a)
    tx.execute(text("select set_config('app.tenant_id', :t, true)"), {"t": str(tenant_a.id)})
    tx.execute(text("savepoint before_update"))
    with pytest.raises(DBAPIError):
        tx.execute(
            text("update principals set tenant_id = :b where id = :i"), {"b": str(tenant_b.id), "i": str(account.id)}
        )
    tx.execute(text("rollback to savepoint before_update"))


def test_composite_foreign_key_refuses_a_link_across_tenants(pg, tenant_a, tenant_b):
    """Even a role that bypasses RLS cannot attach A's token to B's principal."""
    engine = create_engine(pg.superuser)
    with engine.connect() as c, c.begin():
        b_principal = uuid.uuid4()
        c.execute(
            text(
                "insert into principals (tenant_id, id, email, display_name, status, created_at, updated_at) "
                "values (:t, :i, 'fk@b.vn', 'FK', 'active', now(), now())"
            ),
            {"t": str(tenant_b.id), "i": str(b_principal)},
        )
        with pytest.raises(DBAPIError, match="foreign key"):
            c.execute(
                text(
                    "insert into api_tokens (tenant_id, id, principal_id, name, token_hash, display_prefix, "
                    "created_at, expires_at) values (:a, :i, :p, 'x', 'h', 'p', now(), now())"
                ),
                {"a": str(tenant_a.id), "i": str(uuid.uuid4()), "p": str(b_principal)},
            )
        c.rollback()
    engine.dispose()


@pytest.mark.no_tx
def test_pooled_connection_carries_no_tenant_over(app, pg, tenant_a, tenant_b):
    engine = create_engine(pg.app, pool_size=1, max_overflow=0)
    pids, settings = [], []
    for tenant in (tenant_a, tenant_b, None):
        with TenantSession(bind=engine) as session:
            if tenant is None:
                pids.append(session.scalar(text("select pg_backend_pid()")))
                settings.append(session.scalar(text("select current_setting('app.tenant_id', true)")))
                settings.append(session.scalar(text("select count(*) from principals")))
                continue
            with tenant_scope(tenant.id):
                pids.append(session.scalar(text("select pg_backend_pid()")))
                settings.append(session.scalar(text("select current_setting('app.tenant_id', true)")))
                ids = set(session.scalars(select(Principal.tenant_id)))
                assert ids <= {tenant.id}
            session.commit()
    engine.dispose()
    assert len(set(pids)) == 1, "the three sessions must share one pooled connection"
    assert settings == [str(tenant_a.id), str(tenant_b.id), "", 0]


def test_session_follows_a_tenant_change_inside_a_transaction(tx, make_account, tenant_a, tenant_b):
    make_account(tenant_a)
    make_account(tenant_b)
    with tenant_scope(tenant_a.id):
        assert set(db.session.scalars(select(Principal.tenant_id))) == {tenant_a.id}
        with tenant_scope(tenant_b.id):
            assert set(db.session.scalars(select(Principal.tenant_id))) == {tenant_b.id}
            assert db.session.scalar(text("select current_setting('app.tenant_id', true)")) == str(tenant_b.id)
        assert set(db.session.scalars(select(Principal.tenant_id))) == {tenant_a.id}


def test_orm_query_without_tenant_returns_nothing(tx, make_account, tenant_a):
    make_account(tenant_a)
    assert db.session.scalars(select(Principal)).all() == []


def test_orm_refuses_to_write_a_row_of_another_tenant(tx, tenant_a, tenant_b):
    from kpi_platform.db import CrossTenantWrite  # noqa: PLC0415

    with tenant_scope(tenant_a.id):
        db.session.add(
            Principal(id=uuid.uuid4(), tenant_id=tenant_b.id, email="x@b.vn", display_name="X", status="active")
        )
        with pytest.raises(CrossTenantWrite):
            db.session.flush()
        db.session.rollback()
