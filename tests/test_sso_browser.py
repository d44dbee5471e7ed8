"""Signing in with a browser through each province's own OpenID Connect provider.

Two real oidc-provider instances, one per tenant; the code flow is driven end to end: the app's
redirect, the provider's login and consent pages, the callback with the code, the token exchange
the app makes itself, the session. Every refusal the issue lists is exercised against them.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import requests
from oidc_flow import authorize
from sqlalchemy import func, select
from support import build_org

from kpi_platform.audit.models import AuditEntry
from kpi_platform.context import tenant_scope
from kpi_platform.db import db
from kpi_platform.identity import service as identity
from kpi_platform.identity import sso
from kpi_platform.identity.models import LoginSession, Principal
from kpi_platform.org import service as org

CLERK_A = {"email": "binh.tt@khanhhoa.gov.vn", "name": "Trần Thị Bình", "staff_code": "NV002"}
CLERK_B = {"email": "hoa.nt@hatinh.gov.vn", "name": "Nguyễn Thị Hoa", "staff_code": "HT-7"}
STRANGER = {"email": "nguoi.la@example.vn", "name": "Người Lạ", "staff_code": "ZZ999"}


def callback_uri(tenant) -> str:
    return f"http://localhost/t/{tenant.slug}/auth/callback"


def login_page(tenant) -> str:
    return f"http://localhost/t/{tenant.slug}/login?notice=signed_out"


@pytest.fixture(scope="module")
def idp_a(start_oidc_provider, tenant_a):
    return start_oidc_provider(
        "kpi-a",
        "secret-of-province-a",
        {"sub-binh": CLERK_A, "sub-stranger": STRANGER, "sub-hoa": CLERK_B},
        redirect_uris=(callback_uri(tenant_a), login_page(tenant_a)),
    )


@pytest.fixture(scope="module")
def idp_b(start_oidc_provider, tenant_b):
    return start_oidc_provider(
        "kpi-b",
        "secret-of-province-b",
        {"sub-hoa": CLERK_B, "sub-binh": CLERK_A},
        redirect_uris=(callback_uri(tenant_b), login_page(tenant_b)),
    )


@pytest.fixture
def world(tenant_a, tenant_b, idp_a, idp_b, make_account):
    """A matches officials by staff code (the roster of build_org has NV002, Trần Thị Bình); B by
    email, with an account for Nguyễn Thị Hoa created by its admin."""
    org_a = build_org(tenant_a, "A")
    admin_a = make_account(
        tenant_a, roles=["provincial_admin"], name="Quản trị Khánh Hòa", email="admin@khanhhoa.gov.vn"
    )
    hoa = make_account(tenant_b, roles=["official", "manager"], name=CLERK_B["name"], email=CLERK_B["email"])
    for tenant, idp, claim in ((tenant_a, idp_a, "staff_code"), (tenant_b, idp_b, "email")):
        with tenant_scope(tenant.id):
            sso.configure_provider(
                issuer=idp.issuer,
                client_id=idp.client_id,
                client_secret=idp.client_secret,
                identity_claim=claim,
            )
            db.session.commit()
    return {"org_a": org_a, "hoa": hoa, "admin_a": admin_a}


def start(client, tenant, next_page: str | None = None):
    query = {"next": next_page} if next_page else {}
    r = client.get(f"/t/{tenant.slug}/login/sso", query_string=query)
    assert r.status_code == 302, r.get_data(as_text=True)
    return r.headers["Location"]


def local(url: str) -> str:
    parsed = urlparse(url)
    return parsed.path + ("?" + parsed.query if parsed.query else "")


def sign_in(client, tenant, idp, sub: str, next_page: str | None = None):
    callback = authorize(idp, sub, url=start(client, tenant, next_page))
    assert callback.startswith(callback_uri(tenant)), callback
    return client.get(local(callback))


def principals_count(tenant) -> int:
    with tenant_scope(tenant.id):
        return db.session.scalar(select(func.count()).select_from(Principal))


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


# ---------------------------------------------------------------- signing in


def test_an_official_signs_in_with_the_province_sso_and_sees_who_they_are(client, world, tenant_a, idp_a):
    before = principals_count(tenant_a)
    authorization = start(client, tenant_a)
    query = parse_qs(urlparse(authorization).query)
    assert authorization.startswith(idp_a.issuer + "/auth?")
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"] and query["nonce"]
    assert query["redirect_uri"] == [callback_uri(tenant_a)] and query["client_id"] == ["kpi-a"]

    r = client.get(local(authorize(idp_a, "sub-binh", url=authorization)))
    assert r.status_code == 302 and r.headers["Location"] == f"/t/{tenant_a.slug}/"  # then their work page
    page = client.get(f"/t/{tenant_a.slug}/me").get_data(as_text=True)
    assert "Trần Thị Bình A" in page and "NV002" in page
    assert "Phòng Tổ chức A" in page and "Chuyên viên A" in page  # unit and position today
    assert "Cán bộ, công chức, viên chức" in page and "Đăng xuất" in page

    # The roster's official got an account (role official), linked to the provider's sub.
    assert principals_count(tenant_a) == before + 1
    with tenant_scope(tenant_a.id):
        official = org.get_official(world["org_a"]["clerk"])
        principal = identity.get_principal(official.principal_id)
        assert principal.oidc_subject == "sub-binh" and principal.roles == ["official"]
        assert principal.email == CLERK_A["email"]
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(principal.id))).all()
    assert {"identity.link", "identity.sign_in"} <= set(actions)

    # English is one click away and stays chosen.
    assert "Units and job positions" in client.get(f"/t/{tenant_a.slug}/me?lang=en").get_data(as_text=True)
    assert "Sign out" in client.get(f"/t/{tenant_a.slug}/me").get_data(as_text=True)


def test_once_linked_the_sub_alone_finds_the_person(client, world, tenant_a, idp_a):
    assert sign_in(client, tenant_a, idp_a, "sub-binh").status_code == 302
    with tenant_scope(tenant_a.id):
        official = org.get_official(world["org_a"]["clerk"])
        official.staff_code = "NV002-NEW"  # the roster changes; the link by sub still holds
        db.session.commit()
    other_browser = client.application.test_client()
    r = sign_in(other_browser, tenant_a, idp_a, "sub-binh")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/t/{tenant_a.slug}/")


def test_the_admin_sees_the_link_and_can_undo_it(client, world, tenant_a, idp_a):
    admin = world["admin_a"].headers
    provider = client.get(f"/api/v1/t/{tenant_a.slug}/identity/provider", headers=admin).json
    assert provider["redirect_uri"] == callback_uri(tenant_a)  # what the province registers at its provider
    assert provider["post_logout_redirect_uri"].startswith(f"http://localhost/t/{tenant_a.slug}/login")
    assert sign_in(client, tenant_a, idp_a, "sub-binh").status_code == 302
    with tenant_scope(tenant_a.id):
        principal_id = org.get_official(world["org_a"]["clerk"]).principal_id
    account = f"/api/v1/t/{tenant_a.slug}/principals/{principal_id}"
    assert client.get(account, headers=admin).json["sso_linked"] is True
    r = client.delete(account + "/sso-link", headers=admin)
    assert r.status_code == 200 and r.json["sso_linked"] is False
    # The next sign-in matches the roster again (by staff code) and links the sub anew.
    assert sign_in(client.application.test_client(), tenant_a, idp_a, "sub-binh").status_code == 302
    assert client.get(account, headers=admin).json["sso_linked"] is True


def test_the_page_asked_for_is_where_sign_in_lands(client, world, tenant_a, idp_a):
    r = client.get(f"/t/{tenant_a.slug}/me")
    assert r.status_code == 302 and r.headers["Location"] == f"/t/{tenant_a.slug}/login?next=/t/{tenant_a.slug}/me"
    assert sign_in(client, tenant_a, idp_a, "sub-binh", f"/t/{tenant_a.slug}/me").headers["Location"].endswith("/me")
    # An address outside the tenant's pages is never followed.
    assert (
        sign_in(client, tenant_a, idp_a, "sub-binh", "https://evil.example/")
        .headers["Location"]
        .endswith(f"/t/{tenant_a.slug}/")
    )


def test_two_provinces_sign_their_officials_in_side_by_side(app, world, tenant_a, tenant_b, idp_a, idp_b):
    browser_a, browser_b, shared = app.test_client(), app.test_client(), app.test_client()
    assert sign_in(browser_a, tenant_a, idp_a, "sub-binh").status_code == 302
    assert sign_in(browser_b, tenant_b, idp_b, "sub-hoa").status_code == 302
    assert "Trần Thị Bình A" in browser_a.get(f"/t/{tenant_a.slug}/me").get_data(as_text=True)
    page_b = browser_b.get(f"/t/{tenant_b.slug}/me").get_data(as_text=True)
    assert "Nguyễn Thị Hoa" in page_b and "Cán bộ quản lý" in page_b
    # One browser signed in at both keeps two separate sessions.
    sign_in(shared, tenant_a, idp_a, "sub-binh")
    sign_in(shared, tenant_b, idp_b, "sub-hoa")
    assert "Trần Thị Bình A" in shared.get(f"/t/{tenant_a.slug}/me").get_data(as_text=True)
    assert "Nguyễn Thị Hoa" in shared.get(f"/t/{tenant_b.slug}/me").get_data(as_text=True)


# ---------------------------------------------------------------- refusals


def test_a_session_of_province_a_does_not_open_province_b(client, world, tenant_a, tenant_b, idp_a):
    sign_in(client, tenant_a, idp_a, "sub-binh")
    r = client.get(f"/t/{tenant_b.slug}/me")
    assert r.status_code == 302 and r.headers["Location"].startswith(f"/t/{tenant_b.slug}/login")
    # Even A's session secret filed under B's name finds nothing: B's rows are another tenant's.
    with client.session_transaction() as cookie:
        cookie["logins"] = {tenant_b.id.hex: cookie["logins"][tenant_a.id.hex]}
    r = client.get(f"/t/{tenant_b.slug}/me")
    assert r.status_code == 302 and r.headers["Location"].startswith(f"/t/{tenant_b.slug}/login")


def test_a_login_at_province_a_cannot_complete_at_province_b(client, world, tenant_a, tenant_b, idp_a, idp_b):
    # The provider of A answers, but the answer is handed to B's callback: B holds no such state.
    callback = authorize(idp_a, "sub-hoa", url=start(client, tenant_a))
    r = client.get(f"/t/{tenant_b.slug}/auth/callback?" + urlparse(callback).query)
    assert r.status_code == 400 and "sign_in_failed" in r.get_data(as_text=True)
    assert client.get(f"/t/{tenant_b.slug}/me").status_code == 302
    # And B's provider cannot be made to send its users to A's callback.
    no_verifier = {"scope": "openid", "state": "s", "code_challenge": "x" * 43, "code_challenge_method": "S256"}
    bad = idp_b.issuer + "/auth?" + urlencode({"client_id": "kpi-b", "response_type": "code",
                                               "redirect_uri": callback_uri(tenant_a), **no_verifier})  # fmt: skip
    assert requests.get(bad, allow_redirects=False, timeout=10).status_code == 400


def test_a_tampered_state_is_refused(client, world, tenant_a, idp_a):
    callback = authorize(idp_a, "sub-binh", url=start(client, tenant_a))
    query = parse_qs(urlparse(callback).query)
    forged = f"/t/{tenant_a.slug}/auth/callback?" + urlencode({"code": query["code"][0], "state": "forged-state"})
    r = client.get(forged)
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "sign_in_failed" in page and "Hãy đăng nhập lại từ đầu" in page
    assert client.get(f"/t/{tenant_a.slug}/me").status_code == 302


def test_a_replayed_code_is_refused(client, world, tenant_a, idp_a):
    callback = authorize(idp_a, "sub-binh", url=start(client, tenant_a))
    assert client.get(local(callback)).status_code == 302
    # The same answer again: its state was used up.
    assert client.get(local(callback)).status_code == 400
    # The old code under a fresh, valid state: the provider refuses the second exchange.
    fresh = parse_qs(urlparse(start(client, tenant_a)).query)["state"][0]
    old_code = parse_qs(urlparse(callback).query)["code"][0]
    r = client.get(f"/t/{tenant_a.slug}/auth/callback?" + urlencode({"code": old_code, "state": fresh}))
    assert r.status_code == 400 and "sign_in_failed" in r.get_data(as_text=True)


def test_an_unknown_person_gets_a_clear_page_and_no_account(client, world, tenant_a, idp_a):
    before = principals_count(tenant_a)
    r = sign_in(client, tenant_a, idp_a, "sub-stranger")
    assert r.status_code == 403
    page = r.get_data(as_text=True)
    assert "Chưa có quyền truy cập hệ thống KPI" in page and "Không có tài khoản nào được tạo" in page
    assert "admin@khanhhoa.gov.vn" in page  # whom to contact
    assert principals_count(tenant_a) == before
    assert client.get(f"/t/{tenant_a.slug}/me").status_code == 302
    with tenant_scope(tenant_a.id):
        refused = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "identity.sign_in_refused")).all()
    assert any(entry.after["sub"] == "sub-stranger" for entry in refused)


def test_a_person_of_province_b_is_unknown_at_province_a(client, world, tenant_a, idp_a):
    # Hoa exists in B; A's provider knows her too, but A's roster does not: no account at A.
    before = principals_count(tenant_a)
    assert sign_in(client, tenant_a, idp_a, "sub-hoa").status_code == 403
    assert principals_count(tenant_a) == before


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(client, world, tenant_b, idp_b):
    assert sign_in(client, tenant_b, idp_b, "sub-hoa").status_code == 302
    with tenant_scope(tenant_b.id):
        identity.update_principal(world["hoa"].id, {"status": "disabled"})
        db.session.commit()
    assert client.get(f"/t/{tenant_b.slug}/me").status_code == 302  # the open session is over
    r = sign_in(client, tenant_b, idp_b, "sub-hoa")
    assert r.status_code == 403 and "account_disabled" in r.get_data(as_text=True)


# ---------------------------------------------------------------- sessions


def test_the_session_cookie_is_rotated_at_sign_in(client, world, tenant_a, idp_a):
    client.get(f"/t/{tenant_a.slug}/login")
    with client.session_transaction() as cookie:
        cookie["logins"] = {tenant_a.id.hex: "planted-by-an-attacker"}
        cookie["csrf_token"] = "planted"
    sign_in(client, tenant_a, idp_a, "sub-binh")
    with client.session_transaction() as cookie:
        secret = cookie["logins"][tenant_a.id.hex]
        assert secret != "planted-by-an-attacker" and cookie.get("csrf_token") != "planted"
        assert not [key for key in cookie if key.startswith("_state_")]  # the login's state is gone
    cookie_header = client.get_cookie("__Host-kpi_session")
    assert cookie_header is not None and cookie_header.http_only and cookie_header.secure
    assert cookie_header.same_site == "Lax"


def _my_session(tenant) -> LoginSession:
    with tenant_scope(tenant.id):
        return db.session.scalars(select(LoginSession).order_by(LoginSession.created_at.desc())).first()


@pytest.mark.parametrize(
    ("field", "shift", "reason"),
    [("last_seen_at", timedelta(minutes=31), "idle_timeout"), ("expires_at", timedelta(hours=11), "absolute_timeout")],
)
def test_sessions_end_after_the_idle_and_absolute_time_outs(client, world, tenant_a, idp_a, field, shift, reason):
    sign_in(client, tenant_a, idp_a, "sub-binh")
    assert client.get(f"/t/{tenant_a.slug}/me").status_code == 200
    with tenant_scope(tenant_a.id):
        row = _my_session(tenant_a)
        setattr(row, field, getattr(row, field) - shift)
        db.session.commit()
    r = client.get(f"/t/{tenant_a.slug}/me")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    with tenant_scope(tenant_a.id):
        row = db.session.get(LoginSession, (tenant_a.id, row.id))
        assert row.ended_at is not None and row.end_reason == reason


def test_logout_ends_the_session_here_and_at_the_provider(client, world, tenant_a, idp_a):
    sign_in(client, tenant_a, idp_a, "sub-binh")
    page = client.get(f"/t/{tenant_a.slug}/me").get_data(as_text=True)
    stolen = client.get_cookie("__Host-kpi_session").value
    # Without the form's CSRF token nothing happens.
    r = client.post(f"/t/{tenant_a.slug}/logout")
    assert r.status_code == 400 and "csrf_failed" in r.get_data(as_text=True)
    assert client.get(f"/t/{tenant_a.slug}/me").status_code == 200

    r = client.post(f"/t/{tenant_a.slug}/logout", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 302
    end_session = urlparse(r.headers["Location"])
    query = parse_qs(end_session.query)
    assert r.headers["Location"].startswith(idp_a.issuer + "/session/end")
    assert query["post_logout_redirect_uri"] == [login_page(tenant_a)] and query["id_token_hint"]
    assert client.get(f"/t/{tenant_a.slug}/me").status_code == 302
    # The cookie copied before logout is worth nothing now: the session ended on the server.
    client.set_cookie("__Host-kpi_session", stolen)
    assert client.get(f"/t/{tenant_a.slug}/me").status_code == 302
    with tenant_scope(tenant_a.id):
        assert _my_session(tenant_a).end_reason == "logout"


def test_the_dev_login_exists_only_in_demo_and_development(client, app, world, tenant_a, monkeypatch):
    assert client.get(f"/t/{tenant_a.slug}/dev-login").status_code == 404
    assert "Đăng nhập phát triển" not in client.get(f"/t/{tenant_a.slug}/login").get_data(as_text=True)
    monkeypatch.setattr(app.config["SETTINGS"], "env", "development")
    page = client.get(f"/t/{tenant_a.slug}/dev-login").get_data(as_text=True)
    assert "Chỉ có ở chế độ demo/phát triển" in page and "Quản trị Khánh Hòa" in page
    admin_id = re.search(r'name="principal_id" value="([^"]+)"', page).group(1)
    assert client.post(f"/t/{tenant_a.slug}/dev-login", data={"principal_id": admin_id}).status_code == 400  # CSRF
    r = client.post(f"/t/{tenant_a.slug}/dev-login", data={"principal_id": admin_id, "csrf_token": csrf_of(page)})
    assert r.status_code == 302
    me = client.get(f"/t/{tenant_a.slug}/me").get_data(as_text=True)
    assert "Quản trị viên cấp tỉnh" in me and "đăng nhập phát triển" in me


def test_a_province_without_sso_says_so(client, tenant_b, make_account):
    # No provider configured in this test's transaction.
    page = client.get(f"/t/{tenant_b.slug}/login").get_data(as_text=True)
    assert "chưa cấu hình đăng nhập một lần" in page
    r = client.get(f"/t/{tenant_b.slug}/login/sso")
    assert r.status_code == 404 and "sso_not_configured" in r.get_data(as_text=True)
    assert client.get("/t/no-such-province/login").status_code == 404
