from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from kpi_platform.cache import RedisStore, cache
from kpi_platform.db import db
from kpi_platform.errors import error_body
from kpi_platform.policy import public

blp = Blueprint("health", __name__)


@blp.get("/healthz")
@public
def healthz():
    """The process is alive."""
    return jsonify(status="ok")


@blp.get("/readyz")
@public
def readyz():
    """The database and Redis are reachable (503 otherwise)."""
    checks: dict[str, str] = {}
    try:
        with db.engine.connect() as connection:
            connection.execute(text("select 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready
        current_app.logger.warning("readyz: database unreachable: %s", exc)
        checks["database"] = "unreachable"
    if isinstance(cache.store, RedisStore):
        try:
            cache.store.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            current_app.logger.warning("readyz: redis unreachable: %s", exc)
            checks["redis"] = "unreachable"
    else:
        checks["redis"] = "not configured (demo)"
    if any(value == "unreachable" for value in checks.values()):
        return jsonify({**error_body("service_unavailable"), "checks": checks}), 503
    return jsonify(status="ready", checks=checks)
