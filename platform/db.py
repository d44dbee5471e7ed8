"""Engine, sessions, the declarative Base, and the tenant-scoping machinery.

Two layers keep tenants apart (see docs/architecture.md):
- ORM layer: every ORM SELECT/UPDATE/DELETE gets `tenant_id = <current tenant>` on each
  TenantScoped entity (with_loader_criteria), and a before_flush guard stamps and verifies
  tenant_id on new, changed and deleted rows.
- Database layer (PostgreSQL): row-level security on `app.tenant_id`, set per transaction in
  after_begin with set_config(..., true) so nothing leaks through the connection pool.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, ForeignKey, MetaData, TypeDecorator, create_engine, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    scoped_session,
    sessionmaker,
    with_loader_criteria,
)

from kpi_platform.context import current_tenant_id

CROSS_TENANT = "kpi_cross_tenant"  # Session.info flag set only by the cross-tenant door
# Matches no tenant: the ORM filter uses it when no tenant is selected, so queries fail closed.
NO_TENANT = uuid.UUID("ffffffff-ffff-ffff-ffff-ffffffffffff")

JsonType = JSON().with_variant(JSONB(), "postgresql")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def contains(column, text: str):
    """Case-insensitive "column contains text", with %, _ and \\ in the text matching themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator):
    """Timestamps stored and returned as aware UTC datetimes (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware (UTC) datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime()}


class TenantScoped:
    """A row owned by one tenant. The primary key starts with tenant_id; foreign keys between
    tenant tables carry tenant_id too, so the database cannot link rows of two tenants."""

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(ForeignKey("tenants.id"), primary_key=True, sort_order=-100)


class CrossTenantWrite(RuntimeError):
    """A row of another tenant (or with no tenant) was about to be written."""


class TenantSession(Session):
    @property
    def is_cross_tenant(self) -> bool:
        return bool(self.info.get(CROSS_TENANT))


_orm_filter_enabled = True


def set_orm_filter_enabled(enabled: bool) -> None:
    global _orm_filter_enabled
    _orm_filter_enabled = enabled


@event.listens_for(TenantSession, "do_orm_execute")
def _add_tenant_criteria(state) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if not _orm_filter_enabled or state.session.is_cross_tenant:
        return
    tenant_id = current_tenant_id() or NO_TENANT
    state.statement = state.statement.options(
        with_loader_criteria(TenantScoped, lambda cls: cls.tenant_id == tenant_id, include_aliases=True)
    )


@event.listens_for(TenantSession, "before_flush")
def _guard_tenant_rows(session: TenantSession, flush_context, instances) -> None:
    if session.is_cross_tenant:
        for obj in session.new:
            if isinstance(obj, TenantScoped) and obj.tenant_id is None:
                raise CrossTenantWrite(f"{type(obj).__name__} written through the door needs a tenant_id")
        return
    tenant_id = current_tenant_id()
    for obj in session.new:
        if isinstance(obj, TenantScoped) and obj.tenant_id is None:
            if tenant_id is None:
                raise CrossTenantWrite(f"new {type(obj).__name__} with no tenant selected")
            obj.tenant_id = tenant_id
    if not _orm_filter_enabled:  # the test switch turns off the check, not the stamping
        return
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, TenantScoped) and obj.tenant_id != tenant_id:
            raise CrossTenantWrite(f"{type(obj).__name__} of another tenant was about to be written")


def _set_connection_tenant(connection: Connection, tenant_id: uuid.UUID | None) -> None:
    if connection.dialect.name == "postgresql":
        # Bound parameter and is_local=true: scoped to this transaction, never to the pooled connection.
        connection.execute(
            text("select set_config('app.tenant_id', :tenant_id, true)"),
            {"tenant_id": str(tenant_id) if tenant_id else ""},
        )


@event.listens_for(TenantSession, "after_begin")
def _begin_with_tenant(session: TenantSession, transaction, connection: Connection) -> None:
    _set_connection_tenant(connection, None if session.is_cross_tenant else current_tenant_id())


_session_scope: ContextVar[object | None] = ContextVar("kpi_session_scope", default=None)


class Database:
    """The app's engines and the request/task-scoped session."""

    def __init__(self) -> None:
        self.session: scoped_session[TenantSession] = scoped_session(
            sessionmaker(class_=TenantSession, expire_on_commit=False),
            scopefunc=lambda: (threading.get_ident(), _session_scope.get()),
        )
        self.engine: Engine | None = None
        self.cross_tenant_engine: Engine | None = None

    def configure(self, database_url: str, cross_tenant_database_url: str, pgbouncer: bool = False) -> None:
        self.session.remove()
        self.engine = make_engine(database_url, pgbouncer)
        self.cross_tenant_engine = (
            self.engine
            if cross_tenant_database_url == database_url
            else make_engine(cross_tenant_database_url, pgbouncer)
        )
        self.session.configure(bind=self.engine)

    def init_app(self, app) -> None:
        settings = app.config["SETTINGS"]
        self.configure(settings.database_url, settings.cross_tenant_database_url, settings.database_pgbouncer)
        set_orm_filter_enabled(settings.tenant_orm_filter)
        app.teardown_appcontext(lambda exc: self.remove_session())
        app.extensions["kpi_db"] = self

    def remove_session(self) -> None:
        """End the request's (or task's) session. When the connection died under it (the database
        restarted after the answer was made), the rollback fails: the dead connection is already
        invalidated, so drop the session instead of failing the request in its teardown."""
        try:
            self.session.remove()
        except DBAPIError:
            self.session.registry.clear()


def make_engine(url: str, pgbouncer: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    # Through PgBouncer in transaction mode, psycopg must not prepare statements on the server
    # (prepare_threshold=None): the next transaction may get another server connection.
    connect_args = {"prepare_threshold": None} if pgbouncer else {}
    # pool_pre_ping: a connection the server dropped (a restart, a failover) is replaced at checkout,
    # so the first request after an outage succeeds. hide_parameters: SQL values (names, e-mail
    # addresses …) stay out of exception messages and so out of the logs.
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args=connect_args, hide_parameters=True
    )


db = Database()


@contextmanager
def separate_session() -> Iterator[None]:
    """Give the enclosed code its own db.session (a task run eagerly inside a request or test must
    not close its caller's session)."""
    token = _session_scope.set(object())
    try:
        yield
    finally:
        db.session.remove()
        _session_scope.reset(token)


def sync_session_tenant() -> None:
    """Called when the tenant changes: an already open transaction follows the new tenant."""
    if not db.session.registry.has():
        return
    session = db.session()
    if session.in_transaction() and not session.is_cross_tenant:
        _set_connection_tenant(session.connection(), current_tenant_id())
