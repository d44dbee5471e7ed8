"""The one error shape, the health probes, and the append-only audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError

from kpi_platform.audit import service as audit
from kpi_platform.audit.models import AuditEntry
from kpi_platform.audit.service import AuditLogIsAppendOnly
from kpi_platform.cache import RedisStore, cache
from kpi_platform.context import tenant_scope
from kpi_platform.db import db


def assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.json["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert "Traceback" not in response.get_data(as_text=True)
    return error


def test_unknown_path_and_wrong_method(client, admin_a, tenant_a):
    assert_error_shape(client.get("/no/such/page"), 404, "not_found")
    error = assert_error_shape(
        client.put(f"/api/v1/t/{tenant_a.slug}/me", headers=admin_a.headers), 405, "method_not_allowed"
    )
    assert error["message"] == "Phương thức không được hỗ trợ."
    r = client.put(f"/api/v1/t/{tenant_a.slug}/me", headers={**admin_a.headers, "Accept-Language": "en-US,en"})
    assert r.json["error"]["message"] == "Method not allowed."
    assert "GET" in r.headers["Allow"]


def test_validation_errors_name_the_fields(client, admin_a, tenant_a):
    r = client.post(
        f"/api/v1/t/{tenant_a.slug}/principals",
        headers=admin_a.headers,
        json={"email": "not-an-email", "roles": ["king"], "extra": 1},
    )
    error = assert_error_shape(r, 422, "validation_error")
    assert set(error["fields"]) == {"email", "display_name", "roles", "extra"}


def test_broken_json_and_wrong_content_type(client, admin_a, tenant_a):
    url = f"/api/v1/t/{tenant_a.slug}/principals"
    r = client.post(url, headers={**admin_a.headers, "Content-Type": "application/json"}, data="{not json")
    assert r.status_code in (400, 422)
    assert_error_shape(r, r.status_code, r.json["error"]["code"])
    r = client.post(url, headers=admin_a.headers, data="email=x", content_type="application/x-www-form-urlencoded")
    assert r.status_code in (415, 422)
    assert "error" in r.json


def test_bad_ids_and_query_values(client, admin_a, tenant_a):
    assert_error_shape(
        client.get(f"/api/v1/t/{tenant_a.slug}/principals/not-a-uuid", headers=admin_a.headers), 404, "not_found"
    )
    r = client.get(
        f"/api/v1/t/{tenant_a.slug}/principals",
        headers=admin_a.headers,
        query_string={"page": "zero", "status": "sleeping"},
    )
    assert_error_shape(r, 422, "validation_error")
    r = client.get(f"/api/v1/t/{tenant_a.slug}/audit", headers=admin_a.headers, query_string={"since": "yesterday"})
    assert_error_shape(r, 422, "validation_error")


def test_unexpected_failure_is_a_clean_500(client, admin_a, tenant_a, monkeypatch):
    from kpi_platform.identity import service  # noqa: PLC0415

    def explode(**kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(service, "list_principals", explode)
    r = client.get(f"/api/v1/t/{tenant_a.slug}/principals", headers=admin_a.headers)
    error = assert_error_shape(r, 500, "internal_error")
    assert "secret internal detail" not in r.get_data(as_text=True)
    assert error["request_id"]


def test_request_id_is_echoed_or_made(client):
    r = client.get("/healthz", headers={"X-Request-ID": "abc12345-from-proxy"})
    assert r.headers["X-Request-ID"] == "abc12345-from-proxy"
    r = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert r.headers["X-Request-ID"] != "<script>" and len(r.headers["X-Request-ID"]) == 32


def test_health_and_readiness(client):
    assert client.get("/healthz").json == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json["checks"] == {"database": "ok", "redis": "ok"}


def test_readiness_fails_when_redis_is_unreachable(client, monkeypatch):
    monkeypatch.setattr(cache, "store", RedisStore("redis://127.0.0.1:1/0"))
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.json["checks"]["redis"] == "unreachable" and r.json["error"]["code"] == "service_unavailable"


def test_readiness_fails_when_the_database_is_unreachable(client, monkeypatch):
    monkeypatch.setattr(db, "engine", create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json["checks"]["database"] == "unreachable"


def test_openapi_document_and_docs_page(client):
    spec = client.get("/api/openapi.json").json
    assert spec["info"]["title"] == "kpi-platform"
    assert spec["security"] == [{"bearer": []}]
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert "/api/v1/t/{tenant}/principals/{principal_id}" in spec["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and b"swagger" in docs.data.lower()
    assert client.get("/api/swagger-ui/swagger-ui-bundle.js").status_code == 200


# ---------------------------------------------------------------- audit log


def test_audit_log_refuses_changes_in_the_orm(tenant_a):
    with tenant_scope(tenant_a.id):
        entry = audit.record("test.event", "thing", "1", after={"x": 1})
        db.session.commit()
        entry.action = "tampered"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.get(AuditEntry, (tenant_a.id, entry.id)))
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()


def test_audit_log_refuses_changes_in_the_database(tx, pg, tenant_a):
    with tenant_scope(tenant_a.id):
        entry = audit.record("test.event", "thing", "1")
        db.session.commit()
        for statement in ("update audit_log set action = 'x'", "delete from audit_log"):
            tx.execute(text("savepoint s"))
            with pytest.raises(DBAPIError, match="permission denied"):
                tx.execute(text(statement))
            tx.execute(text("rollback to savepoint s"))
    with tenant_scope(tenant_a.id):
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.id == entry.id)) == "test.event"


@pytest.mark.no_tx
def test_audit_log_trigger_stops_even_a_superuser(app, pg, tenant_a):
    """Row-level security does not stop a superuser; the trigger does."""
    with tenant_scope(tenant_a.id):
        entry = audit.record("test.event", "thing", "2")
        db.session.commit()
    superuser = create_engine(pg.superuser, connect_args={"options": "-c lock_timeout=5000"})
    with superuser.connect() as c:
        for statement in ("update audit_log set action = 'x'", "delete from audit_log", "truncate audit_log"):
            with pytest.raises(DBAPIError, match="append-only"):
                c.execute(text(statement))
            c.rollback()
    superuser.dispose()
    with tenant_scope(tenant_a.id):
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.id == entry.id)) == "test.event"


def test_audit_api_is_read_only_and_filters(client, admin_a, make_account, tenant_a):
    official = make_account(tenant_a)
    url = f"/api/v1/t/{tenant_a.slug}/audit"
    entries = client.get(url, headers=admin_a.headers, query_string={"action": "principal.create"}).json
    assert entries and all(e["action"] == "principal.create" for e in entries)
    one = client.get(f"{url}/{entries[0]['id']}", headers=admin_a.headers)
    assert one.status_code == 200 and one.json == entries[0]
    assert client.delete(f"{url}/{entries[0]['id']}", headers=admin_a.headers).status_code == 405
    assert client.get(url, headers=official.headers).status_code == 403


def test_absurd_page_numbers_are_a_4xx(client, admin_a, tenant_a):
    r = client.get(
        f"/api/v1/t/{tenant_a.slug}/principals",
        headers=admin_a.headers,
        query_string={"page": "48607412385488975167488", "page_size": 87},
    )
    assert_error_shape(r, 422, "validation_error")
    assert r.json["error"]["fields"] == {"page": ["too large"]}


def test_nul_characters_are_a_4xx_not_a_database_error(client, admin_a, tenant_a):
    base = f"/api/v1/t/{tenant_a.slug}"
    r = client.get(f"{base}/principals", headers=admin_a.headers, query_string={"q": "a\x00b"})
    assert_error_shape(r, 422, "validation_error")
    r = client.post(
        f"{base}/principals", headers=admin_a.headers, json={"email": "x@y.vn", "display_name": "Tên\x00", "roles": []}
    )
    assert_error_shape(r, 422, "validation_error")
