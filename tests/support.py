"""Helpers shared by the tests (import as `from support import ...`)."""

from __future__ import annotations

from kpi_platform.db import db, set_orm_filter_enabled
from kpi_platform.identity.roles import TENANT_ROLES

MARKER_B = "MARKERB7Q"  # every text field of tenant B's accounts carries it
ALL_TENANT_ROLES = sorted(str(r) for r in TENANT_ROLES)


def bound_transaction(engine, *setup_sql: str):
    """Bind db.session to one connection inside a transaction that is rolled back afterwards."""
    connection = engine.connect()
    transaction = connection.begin()
    for statement in setup_sql:
        connection.exec_driver_sql(statement)
    db.session.remove()
    db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield connection
    finally:
        db.session.remove()
        transaction.rollback()
        connection.close()
        db.session.configure(bind=db.engine, join_transaction_mode="conditional_savepoint")
        set_orm_filter_enabled(True)
