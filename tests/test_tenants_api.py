"""The platform operator's tenant registry, through HTTP, and what suspension does to a tenant."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from kpi_platform.audit.models import AuditEntry
from kpi_platform.context import SYSTEM_TENANT_ID, tenant_scope
from kpi_platform.db import db
from kpi_platform.tenancy.models import Tenant

TENANTS = "/api/v1/platform/tenants"


def _slug() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


def test_operator_creates_a_tenant_with_its_first_admin(client, operator):
    slug = _slug()
    r = client.post(
        TENANTS,
        headers=operator.headers,
        json={
            "slug": slug,
            "name_vi": "Tỉnh Thanh Hóa",
            "name_en": "Thanh Hoa Province",
            "first_admin": {"email": "Admin@ThanhHoa.gov.vn", "display_name": "Lê Thị Hoa"},
        },
    )
    assert r.status_code == 201, r.json
    body = r.json
    assert body["slug"] == slug and body["name_vi"] == "Tỉnh Thanh Hóa"
    assert body["status"] == "provisioning" and body["time_zone"] == "Asia/Ho_Chi_Minh"
    tenant_id = uuid.UUID(body["id"])
    with tenant_scope(tenant_id):
        actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.occurred_at))]
    assert actions == ["tenant.create", "principal.create"]
    with tenant_scope(SYSTEM_TENANT_ID):
        door = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "cross_tenant.access")).all()
    assert any(e.after.get("slug") == slug and e.actor_id == operator.id for e in door)

    listed = client.get(TENANTS, headers=operator.headers, query_string={"page_size": 100})
    assert slug in {t["slug"] for t in listed.json}
    assert "platform" not in {t["slug"] for t in listed.json}, "the system tenant is not listed"
    assert "X-Pagination" in listed.headers


def test_duplicate_and_bad_slugs_are_refused(client, operator, tenant_a):
    base = {"name_vi": "Tỉnh X", "name_en": "X"}
    r = client.post(TENANTS, headers=operator.headers, json={**base, "slug": tenant_a.slug})
    assert r.status_code == 409 and r.json["error"]["code"] == "conflict"
    assert r.json["error"]["fields"] == {"slug": ["taken"]}
    for bad in ("Khánh Hòa", "ends-", "-lead", "platform", "a_b", ""):
        r = client.post(TENANTS, headers=operator.headers, json={**base, "slug": bad})
        assert r.status_code == 422, (bad, r.json)
        assert "slug" in r.json["error"]["fields"]
    r = client.post(TENANTS, headers=operator.headers, json={**base, "slug": _slug(), "time_zone": "Mars/Base"})
    assert r.status_code == 422 and r.json["error"]["fields"] == {"time_zone": ["unknown"]}
    r = client.post(TENANTS, headers=operator.headers, json={"slug": _slug()})
    assert r.status_code == 422 and set(r.json["error"]["fields"]) == {"name_vi", "name_en"}


def test_update_and_suspend_then_resume(client, operator, make_account):
    slug = _slug()
    created = client.post(TENANTS, headers=operator.headers, json={"slug": slug, "name_vi": "Tỉnh Y", "name_en": "Y"})
    tenant = db.session.get(Tenant, uuid.UUID(created.json["id"]))
    official = make_account(tenant, roles=["official"])
    assert client.get(f"/api/v1/t/{slug}/me", headers=official.headers).status_code == 200

    r = client.patch(f"{TENANTS}/{slug}", headers=operator.headers, json={"status": "suspended", "name_en": "Y2"})
    assert r.status_code == 200 and r.json["status"] == "suspended" and r.json["name_en"] == "Y2"

    r = client.get(f"/api/v1/t/{slug}/me", headers=official.headers)
    assert r.status_code == 403
    assert r.json["error"]["code"] == "tenant_suspended"
    assert "tạm ngưng" in r.json["error"]["message"]
    r = client.get(f"/api/v1/t/{slug}/me", headers={**official.headers, "Accept-Language": "en"})
    assert "suspended" in r.json["error"]["message"]

    r = client.patch(f"{TENANTS}/{slug}", headers=operator.headers, json={"status": "active"})
    assert r.status_code == 200
    assert client.get(f"/api/v1/t/{slug}/me", headers=official.headers).status_code == 200
    with tenant_scope(tenant.id):
        actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.occurred_at))]
    assert "tenant.suspend" in actions and "tenant.status_change" in actions


def test_patch_rejects_unknown_fields_and_unknown_tenants(client, operator, tenant_a):
    r = client.patch(f"{TENANTS}/{tenant_a.slug}", headers=operator.headers, json={"slug": "new-slug"})
    assert r.status_code == 422 and "slug" in r.json["error"]["fields"]
    r = client.patch(f"{TENANTS}/no-such-tenant", headers=operator.headers, json={"name_en": "Z"})
    assert r.status_code == 404
    r = client.get(f"{TENANTS}/platform", headers=operator.headers)
    assert r.status_code == 404, "the system tenant is not managed through the registry"


def test_tenant_roles_cannot_use_the_registry(client, admin_a):
    assert client.get(TENANTS, headers=admin_a.headers).status_code == 404
    assert client.post(TENANTS, headers=admin_a.headers, json={}).status_code == 404


def test_central_analyst_is_global_but_not_an_operator(client, make_account):
    analyst = make_account(None, roles=["central_analyst"])
    assert client.get("/api/v1/platform/me", headers=analyst.headers).status_code == 200
    r = client.get(TENANTS, headers=analyst.headers)
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"


def test_members_read_their_own_tenant(client, make_account, tenant_a):
    official = make_account(tenant_a, roles=["official"])
    r = client.get(f"/api/v1/t/{tenant_a.slug}", headers=official.headers)
    assert r.status_code == 200 and r.json["slug"] == tenant_a.slug and r.json["name_vi"] == "Tỉnh Khánh Hòa (A)"
