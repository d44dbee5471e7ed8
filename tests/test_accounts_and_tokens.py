"""Accounts, roles and platform-issued API tokens, through HTTP."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text, update

from kpi_platform.context import tenant_scope
from kpi_platform.db import db, utcnow
from kpi_platform.identity.models import ApiToken


def base(tenant) -> str:
    return f"/api/v1/t/{tenant.slug}"


def test_issued_token_works_is_stored_hashed_and_can_be_revoked(client, make_account, tenant_a):
    official = make_account(tenant_a, roles=["official"])
    r = client.post(f"{base(tenant_a)}/tokens", headers=official.headers, json={"name": "Máy tính ở nhà"})
    assert r.status_code == 201, r.json
    raw, token_id = r.json["token"], r.json["id"]
    assert raw.startswith(f"kpi_{tenant_a.id.hex}_")
    assert r.json["name"] == "Máy tính ở nhà"

    # Only a hash is stored: the secret appears nowhere in the table.
    dump = db.session.execute(text("select string_agg(t::text, '|') from api_tokens t")).scalar() or ""
    with tenant_scope(tenant_a.id):
        dump += db.session.execute(text("select string_agg(t::text, '|') from api_tokens t")).scalar() or ""
    assert raw not in dump and raw.split("_", 2)[2] not in dump

    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get(f"{base(tenant_a)}/me", headers=headers).json["principal"]["id"] == str(official.id)
    listed = client.get(f"{base(tenant_a)}/tokens", headers=headers).json
    assert {t["id"] for t in listed} >= {token_id} and all("token" not in t for t in listed)

    r = client.delete(f"{base(tenant_a)}/tokens/{token_id}", headers=headers)
    assert r.status_code == 200 and r.json["revoked_at"]
    r = client.get(f"{base(tenant_a)}/me", headers=headers)
    assert r.status_code == 401 and r.json["error"]["code"] == "invalid_token"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_malformed_and_missing_tokens_get_401(client, make_account, tenant_a):
    official = make_account(tenant_a)
    with tenant_scope(tenant_a.id):
        db.session.execute(
            update(ApiToken).where(ApiToken.principal_id == official.id).values(expires_at=utcnow() - timedelta(1))
        )
        db.session.commit()
    cases = {
        "expired": official.headers,
        "malformed": {"Authorization": "Bearer not-a-token"},
        "wrong secret": {"Authorization": f"Bearer kpi_{tenant_a.id.hex}_{'x' * 43}"},
        "basic auth": {"Authorization": "Basic dXNlcjpwYXNz"},
        "none": {},
    }
    for label, headers in cases.items():
        r = client.get(f"{base(tenant_a)}/me", headers=headers)
        assert r.status_code == 401, label
        assert r.json["error"]["code"] in ("invalid_token", "authentication_required"), label


def test_token_of_another_tenant_is_404_not_401(client, make_account, tenant_a, tenant_b):
    official_b = make_account(tenant_b)
    r = client.get(f"{base(tenant_a)}/me", headers=official_b.headers)
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    r = client.get("/api/v1/t/no-such-province/me", headers=official_b.headers)
    assert r.status_code == 404


def test_disabled_account_is_refused(client, admin_a, make_account, tenant_a):
    official = make_account(tenant_a)
    r = client.patch(f"{base(tenant_a)}/principals/{official.id}", headers=admin_a.headers, json={"status": "disabled"})
    assert r.status_code == 200 and r.json["status"] == "disabled"
    r = client.get(f"{base(tenant_a)}/me", headers=official.headers)
    assert r.status_code == 403 and r.json["error"]["code"] == "account_disabled"


def test_token_lifetime_is_bounded(client, make_account, tenant_a):
    official = make_account(tenant_a)
    for days in (0, 366, 10_000):
        r = client.post(
            f"{base(tenant_a)}/tokens", headers=official.headers, json={"name": "x", "expires_in_days": days}
        )
        assert r.status_code == 422, days
    r = client.post(f"{base(tenant_a)}/tokens", headers=official.headers, json={"name": "x", "expires_in_days": 7})
    assert r.status_code == 201
    assert r.json["expires_at"][:10] == (utcnow() + timedelta(days=7)).date().isoformat()


def test_official_cannot_revoke_someone_elses_token_but_admin_can(client, admin_a, make_account, tenant_a):
    one, other = make_account(tenant_a), make_account(tenant_a)
    with tenant_scope(tenant_a.id):
        other_token = db.session.scalars(select(ApiToken.id).where(ApiToken.principal_id == other.id)).one()
    assert client.delete(f"{base(tenant_a)}/tokens/{other_token}", headers=one.headers).status_code == 404
    assert client.get(f"{base(tenant_a)}/me", headers=other.headers).status_code == 200
    assert client.delete(f"{base(tenant_a)}/tokens/{other_token}", headers=admin_a.headers).status_code == 200
    assert client.get(f"{base(tenant_a)}/me", headers=other.headers).status_code == 401


def test_admin_manages_accounts_and_roles(client, admin_a, tenant_a):
    r = client.post(
        f"{base(tenant_a)}/principals",
        headers=admin_a.headers,
        json={"email": "Tran.Thi.Binh@KhanhHoa.gov.vn", "display_name": "Trần Thị Bình", "roles": ["manager"]},
    )
    assert r.status_code == 201, r.json
    created = r.json
    assert created["email"] == "tran.thi.binh@khanhhoa.gov.vn" and created["roles"] == ["manager"]

    r = client.post(
        f"{base(tenant_a)}/principals",
        headers=admin_a.headers,
        json={"email": "tran.thi.binh@khanhhoa.gov.vn", "display_name": "Khác"},
    )
    assert r.status_code == 409 and r.json["error"]["fields"] == {"email": ["taken"]}

    r = client.patch(
        f"{base(tenant_a)}/principals/{created['id']}",
        headers=admin_a.headers,
        json={"roles": ["manager", "unit_head"], "display_name": "Trần Thị Bình (Phó phòng)"},
    )
    assert r.status_code == 200 and r.json["roles"] == ["manager", "unit_head"]

    r = client.patch(
        f"{base(tenant_a)}/principals/{created['id']}", headers=admin_a.headers, json={"roles": ["platform_operator"]}
    )
    assert r.status_code == 422, "a global role cannot be given inside a province"

    found = client.get(f"{base(tenant_a)}/principals", headers=admin_a.headers, query_string={"q": "Bình"}).json
    assert [p["id"] for p in found] == [created["id"]]
    by_role = client.get(f"{base(tenant_a)}/principals", headers=admin_a.headers, query_string={"role": "unit_head"})
    assert [p["id"] for p in by_role.json] == [created["id"]]

    audit = client.get(
        f"{base(tenant_a)}/audit", headers=admin_a.headers, query_string={"object_id": created["id"]}
    ).json
    assert [e["action"] for e in audit] == ["principal.update", "principal.create"]
    assert audit[0]["before"]["roles"] == ["manager"] and audit[0]["after"]["roles"] == ["manager", "unit_head"]
    assert audit[0]["actor_id"] == str(admin_a.id) and audit[0]["request_id"]


def test_roles_are_enforced_per_endpoint(client, make_account, tenant_a):
    official = make_account(tenant_a, roles=["official"])
    r = client.get(f"{base(tenant_a)}/principals", headers=official.headers)
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    r = client.post(f"{base(tenant_a)}/principals", headers=official.headers, json={"email": "x@y.vn"})
    assert r.status_code == 403, "the role check comes before the body is even validated"
    auditor = make_account(tenant_a, roles=["auditor"])
    assert client.get(f"{base(tenant_a)}/principals", headers=auditor.headers).status_code == 200
    assert client.post(f"{base(tenant_a)}/principals", headers=auditor.headers, json={}).status_code == 403


def test_global_accounts_issue_their_own_tokens(client, operator):
    r = client.post("/api/v1/platform/tokens", headers=operator.headers, json={"name": "ci"})
    assert r.status_code == 201
    raw = r.json["token"]
    me = client.get("/api/v1/platform/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.status_code == 200 and me.json["tenant"]["slug"] == "platform"
    assert client.get("/api/v1/platform/tokens", headers=operator.headers).status_code == 200


def test_operator_revokes_a_global_token(client, operator):
    raw = client.post("/api/v1/platform/tokens", headers=operator.headers, json={"name": "laptop"}).json
    r = client.delete(f"/api/v1/platform/tokens/{raw['id']}", headers=operator.headers)
    assert r.status_code == 200 and r.json["revoked_at"]
    assert client.get("/api/v1/platform/me", headers={"Authorization": f"Bearer {raw['token']}"}).status_code == 401


def test_search_treats_wildcards_literally(client, admin_a, make_account, tenant_a):
    make_account(tenant_a, name="Đỗ Văn Hùng")
    url = f"{base(tenant_a)}/principals"
    assert client.get(url, headers=admin_a.headers, query_string={"q": "%"}).json == []
    assert client.get(url, headers=admin_a.headers, query_string={"q": "_"}).json == []
    assert [p["display_name"] for p in client.get(url, headers=admin_a.headers, query_string={"q": "hùng"}).json] == [
        "Đỗ Văn Hùng"
    ]


def test_requests_still_work_when_the_cache_is_down(client, admin_a, tenant_a, monkeypatch):
    from kpi_platform.cache import RedisStore, cache  # noqa: PLC0415

    monkeypatch.setattr(cache, "store", RedisStore("redis://127.0.0.1:1/0"))
    assert client.get(f"{base(tenant_a)}/me", headers=admin_a.headers).status_code == 200


def test_host_naming_another_tenant_is_404(client, admin_a, tenant_a, app, monkeypatch):
    monkeypatch.setattr(app.config["SETTINGS"], "base_domain", "kpi.gov.vn")
    url = f"{base(tenant_a)}/me"
    assert client.get(url, headers=admin_a.headers, base_url=f"http://{tenant_a.slug}.kpi.gov.vn").status_code == 200
    assert client.get(url, headers=admin_a.headers, base_url="http://api.kpi.gov.vn").status_code == 200
    assert client.get(url, headers=admin_a.headers, base_url="http://ha-noi.kpi.gov.vn").status_code == 404
