"""Each province's OpenID Connect provider: configuration through the API, the secret kept
encrypted, and the connection test against a real provider (the npm package oidc-provider)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from kpi_platform.config import Settings
from kpi_platform.context import tenant_scope
from kpi_platform.db import db
from kpi_platform.errors import Invalid
from kpi_platform.identity import sso


@pytest.fixture(scope="session")
def provider_a(start_oidc_provider):
    return start_oidc_provider("kpi-khanh-hoa", "bí-mật-của-tỉnh-A")


def url(tenant) -> str:
    return f"/api/v1/t/{tenant.slug}/identity/provider"


def test_admin_configures_the_provider_and_the_secret_stays_encrypted(client, admin_a, tenant_a, provider_a, tx):
    assert client.get(url(tenant_a), headers=admin_a.headers).status_code == 404
    body = {
        "issuer": provider_a.issuer,
        "client_id": provider_a.client_id,
        "client_secret": provider_a.client_secret,
        "identity_claim": "email",
    }
    r = client.put(url(tenant_a), headers=admin_a.headers, json=body)
    assert r.status_code == 200, r.json
    assert r.json["has_client_secret"] is True and "client_secret" not in r.json
    assert r.json["issuer"] == provider_a.issuer
    tx.execute(text("select set_config('app.tenant_id', :t, true)"), {"t": str(tenant_a.id)})
    stored = tx.scalar(text("select client_secret_encrypted from identity_providers"))
    assert provider_a.client_secret not in stored
    with tenant_scope(tenant_a.id):
        assert sso.client_secret(sso.get_provider()) == provider_a.client_secret
    # Leaving the secret out keeps it; the audit log never holds it.
    r = client.put(
        url(tenant_a), headers=admin_a.headers, json={**body, "client_secret": None, "scopes": "openid email"}
    )
    assert r.status_code == 200 and r.json["scopes"] == "openid email"
    with tenant_scope(tenant_a.id):
        assert sso.client_secret(sso.get_provider()) == provider_a.client_secret
    audit = client.get(
        f"/api/v1/t/{tenant_a.slug}/audit", headers=admin_a.headers, query_string={"object_type": "identity_provider"}
    ).get_data(as_text=True)
    assert "identity.provider.configure" in audit and provider_a.client_secret not in audit


def test_connection_check_against_a_real_provider(client, admin_a, tenant_a, provider_a):
    body = {"issuer": provider_a.issuer, "client_id": "kpi", "client_secret": "x"}
    assert client.put(url(tenant_a), headers=admin_a.headers, json=body).status_code == 200
    r = client.post(url(tenant_a) + "/check", headers=admin_a.headers)
    assert r.status_code == 200, r.json
    assert r.json["ok"] is True, r.json
    checks = {c["check"]: c["ok"] for c in r.json["checks"]}
    assert checks["discovery"] and checks["jwks"] and checks["pkce"] and checks["logout"]
    assert r.json["discovery"]["issuer"] == provider_a.issuer


def test_connection_check_says_what_is_wrong(client, admin_a, tenant_a, provider_a):
    # A typo in the issuer (trailing path): discovery is not found there.
    client.put(
        url(tenant_a),
        headers=admin_a.headers,
        json={"issuer": provider_a.issuer + "/wrong", "client_id": "kpi", "client_secret": "x"},
    )
    r = client.post(url(tenant_a) + "/check", headers=admin_a.headers)
    assert r.json["ok"] is False
    assert r.json["checks"][0]["check"] == "discovery" and "HTTP 404" in r.json["checks"][0]["message_en"]
    assert "Không đọc được" in r.json["checks"][0]["message_vi"]
    # Nothing listens: a connection error, still a 200 report and not a 500.
    client.put(
        url(tenant_a),
        headers=admin_a.headers,
        json={"issuer": "http://127.0.0.1:9/", "client_id": "kpi", "client_secret": "x"},
    )
    r = client.post(url(tenant_a) + "/check", headers=admin_a.headers)
    assert r.status_code == 200 and r.json["ok"] is False and "ConnectionError" in r.json["checks"][0]["message_en"]


def test_bad_configurations_are_refused(client, admin_a, tenant_a, make_account):
    cases = [
        ({"issuer": "not a url", "client_id": "k", "client_secret": "s"}, "issuer"),
        ({"issuer": "ftp://sso.example.vn", "client_id": "k", "client_secret": "s"}, "issuer"),
        ({"issuer": "https://sso.example.vn", "client_id": "k"}, "client_secret"),
        (
            {"issuer": "https://sso.example.vn", "client_id": "k", "client_secret": "s", "identity_claim": "phone"},
            "identity_claim",
        ),
        (
            {"issuer": "https://sso.example.vn", "client_id": "k", "client_secret": "s", "scopes": "email profile"},
            "scopes",
        ),
    ]
    for body, field in cases:
        r = client.put(url(tenant_a), headers=admin_a.headers, json=body)
        assert r.status_code == 422 and field in r.json["error"]["fields"], (body, r.json)
    official = make_account(tenant_a, roles=["official"])
    assert client.get(url(tenant_a), headers=official.headers).status_code == 403


def test_removing_the_provider(client, admin_a, tenant_a):
    client.put(
        url(tenant_a),
        headers=admin_a.headers,
        json={"issuer": "https://sso.example.vn", "client_id": "k", "client_secret": "s"},
    )
    assert client.delete(url(tenant_a), headers=admin_a.headers).status_code == 204
    assert client.get(url(tenant_a), headers=admin_a.headers).status_code == 404
    with tenant_scope(tenant_a.id):
        assert db.session.get(sso.IdentityProvider, tenant_a.id) is None


@pytest.mark.parametrize(
    "issuer",
    [
        "https://127.0.0.1:8443",
        "https://localhost",
        "https://169.254.169.254/latest",  # cloud metadata
        "https://[::1]",
        "https://0.0.0.0",
        "https://10.20.30.40",  # a private network, refused unless the deployment allows it
        "http://sso.khanhhoa.gov.vn",  # plain http
    ],
)
def test_production_refuses_issuers_the_server_should_never_fetch(tenant_a, issuer):
    production = sso.IssuerPolicy.for_settings(Settings(env="production"))
    with tenant_scope(tenant_a.id), pytest.raises(Invalid) as refused:
        sso.configure_provider(issuer=issuer, client_id="kpi", client_secret="s", policy=production)
    db.session.rollback()
    assert refused.value.fields["issuer"] and refused.value.message_vi


def test_production_accepts_public_issuers_and_private_ones_when_allowed(tenant_a):
    production = sso.IssuerPolicy.for_settings(Settings(env="production"))
    intranet = sso.IssuerPolicy.for_settings(Settings(env="production", sso_allow_private_issuers=True))
    with tenant_scope(tenant_a.id):
        provider = sso.configure_provider(
            issuer="https://14.225.10.20/realms/khanh-hoa", client_id="kpi", client_secret="s", policy=production
        )
        assert provider.issuer == "https://14.225.10.20/realms/khanh-hoa"
        assert sso.configure_provider(issuer="https://10.20.30.40", client_id="kpi", client_secret="s", policy=intranet)
        with pytest.raises(Invalid):  # loopback stays refused even on an intranet deployment
            sso.configure_provider(issuer="https://127.0.0.1", client_id="kpi", client_secret="s", policy=intranet)
        db.session.rollback()
