"""SQL for row-level security and grants, used by migrations (PostgreSQL only).

Kept here so every migration that adds a tenant table applies the very same policy.
"""

from __future__ import annotations

import os

TENANT_PREDICATE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def db_roles() -> tuple[str, str]:
    """(app role, cross-tenant role) as configured for this deployment."""
    return (
        os.environ.get("KPI_DB_APP_ROLE") or "kpi_app",
        os.environ.get("KPI_DB_CROSS_TENANT_ROLE") or "kpi_cross_tenant",
    )


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unsafe SQL identifier: {name!r}")
    return f'"{name}"'


def tenant_table_rls(table: str) -> list[str]:
    app_role, cross_role = (_ident(r) for r in db_roles())
    t = _ident(table)
    return [
        f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {t} TO {app_role} "
        f"USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})",
        f"CREATE POLICY cross_tenant_door ON {t} TO {cross_role} USING (true) WITH CHECK (true)",
    ]


def require_roles_sql() -> str:
    """A DO block that stops the migration with a clear message when the roles are missing."""
    app_role, cross_role = (_ident(r).strip('"') for r in db_roles())
    message = (
        f"database roles {app_role} and {cross_role} must exist before migrating: run "
        f"kpi-platform db create-roles as a superuser, or create them LOGIN NOSUPERUSER NOBYPASSRLS"
    )
    return f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{app_role}')
     OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{cross_role}') THEN
    RAISE EXCEPTION '{message}';
  END IF;
END $$;
"""  # noqa: S608 - identifiers checked by _ident


def grants_sql() -> list[str]:
    app_role, cross_role = (_ident(r) for r in db_roles())
    roles = f"{app_role}, {cross_role}"
    return [
        f"GRANT USAGE ON SCHEMA public TO {roles}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {roles}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {roles}",
        # Tables created by later migrations get the same grants.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {roles}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {roles}",
        f"REVOKE ALL ON alembic_version FROM {roles}",
    ]
