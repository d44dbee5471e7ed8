"""Schema management: Alembic upgrades and the database roles the app runs as."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kpi_platform.tenancy.rls import db_roles


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("kpi_platform.migrations")))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to `revision`, running as the tables' owner."""
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def create_roles(superuser_url: str, passwords: dict[str, str | None] | None = None) -> list[str]:
    """Create the app role and the cross-tenant role if missing: LOGIN, no superuser, no BYPASSRLS.
    Needs a superuser (or CREATEROLE) connection. Returns the roles it created."""
    passwords = passwords or {}
    created = []
    engine = create_engine(superuser_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for role in db_roles():
                exists = connection.scalar(text("select 1 from pg_roles where rolname = :r"), {"r": role})
                if not exists:
                    connection.execute(
                        text(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE')
                    )
                    created.append(role)
                if passwords.get(role):
                    # ALTER ROLE takes no bind parameters; quote the literal the SQL way.
                    literal = "'" + passwords[role].replace("'", "''") + "'"
                    connection.exec_driver_sql(f'ALTER ROLE "{role}" PASSWORD {literal}')
    finally:
        engine.dispose()
    return created


@dataclass
class ScratchDatabase:
    """Connection URLs of a throw-away database, one per role (tests and benchmarks)."""

    name: str
    owner: str
    app: str
    cross_tenant: str
    superuser: str


def create_scratch_database(admin_url: str, prefix: str, owner_role: str = "kpi_owner") -> ScratchDatabase:
    """Create roles as needed, a fresh database owned by a non-superuser owner, and migrate it as
    that owner, the way production is laid out. `admin_url` is a superuser connection."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    create_roles(admin_url)
    app_role, cross_role = db_roles()
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            if not connection.scalar(text("select 1 from pg_roles where rolname = :r"), {"r": owner_role}):
                connection.execute(text(f'CREATE ROLE "{owner_role}" LOGIN NOSUPERUSER NOBYPASSRLS'))
            connection.execute(text(f'CREATE DATABASE "{name}" OWNER "{owner_role}"'))
    finally:
        admin.dispose()

    def url(user: str) -> str:
        return make_url(admin_url).set(database=name, username=user, password=None).render_as_string(False)

    scratch = ScratchDatabase(name, url(owner_role), url(app_role), url(cross_role), url(make_url(admin_url).username))
    upgrade(scratch.owner)
    return scratch


def drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
