"""JWT access tokens of each province's own identity provider, accepted as bearer tokens on its API.

Two real providers (the npm package oidc-provider), one per tenant, each with its own signing keys
(made here, so the tests can also sign tokens that are wrong in exactly one way) and its own
audience. Tokens are obtained by the authorization code flow (tests/oidc_flow.py) and sent to the
Flask test client. The JWKS cache is observed by counting the HTTP requests the module makes.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from types import SimpleNamespace

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from oidc_flow import obtain_tokens
from sqlalchemy import func, select
from support import build_org

from kpi_platform.audit.models import AuditEntry
from kpi_platform.context import tenant_scope
from kpi_platform.db import db
from kpi_platform.identity import access_tokens
from kpi_platform.identity.models import Principal
from kpi_platform.org.models import Official

AUD_A = "https://api.kpi.test/t/a"
AUD_B = "https://api.kpi.test/t/b"
CLIENT_SECRET = "client-secret-of-the-province"
ACCOUNTS_A = {
    "sub-an": {"email": "an.nguyen@khanhhoa.example.vn", "name": "Nguyễn Văn An", "staff_code": "EXT-1"},
    "sub-binh": {"email": "binh@personal.example.vn", "name": "Trần Thị Bình", "staff_code": "NV002"},
    "sub-ghost": {"email": "ghost@nowhere.example.vn", "name": "Không Ai", "staff_code": "ZZ999"},
}
ACCOUNTS_B = {"sub-an": {"email": "an.nguyen@khanhhoa.example.vn", "name": "Nguyễn Văn An B"}}


def make_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, auto_kid=False)


def private_jwks(*keys: RSAKey) -> dict:
    return {"keys": [key.as_dict(private=True) for key in keys]}


@pytest.fixture(scope="session")
def key_a() -> RSAKey:
    return make_key("a-2025-1")


@pytest.fixture(scope="session")
def idp_a(start_oidc_provider, key_a):
    return start_oidc_provider("kpi-a", CLIENT_SECRET, ACCOUNTS_A, resource=AUD_A, jwks=private_jwks(key_a))


@pytest.fixture(scope="session")
def idp_b(start_oidc_provider):
    return start_oidc_provider("kpi-b", CLIENT_SECRET, ACCOUNTS_B, resource=AUD_B, jwks=private_jwks(make_key("b-1")))


@pytest.fixture(autouse=True)
def cold_cache():
    access_tokens.key_cache.clear()
    yield
    access_tokens.key_cache.clear()


@pytest.fixture
def fetches(monkeypatch) -> list[str]:
    """Every URL the module fetches (discovery and JWKS), observed around the real requests.get."""
    seen = []
    real_get = requests.get

    def counting_get(url, *args, **kwargs):
        seen.append(url)
        return real_get(url, *args, **kwargs)

    monkeypatch.setattr(access_tokens.requests, "get", counting_get)
    return seen


def jwks_fetches(seen: list[str]) -> int:
    return sum(1 for url in seen if url.endswith("/jwks"))


@pytest.fixture
def clock(monkeypatch):
    """The cache's clock, moved forward by the test instead of sleeping."""
    now = [time.monotonic()]
    monkeypatch.setattr(access_tokens, "clock", lambda: now[0])
    return SimpleNamespace(advance=lambda seconds: now.__setitem__(0, now[0] + seconds))


def configure(client, admin, tenant, idp_issuer, audience, identity_claim="email", enabled=True):
    r = client.put(
        f"/api/v1/t/{tenant.slug}/identity/provider",
        headers=admin.headers,
        json={
            "issuer": idp_issuer,
            "client_id": "kpi",
            "client_secret": CLIENT_SECRET,
            "identity_claim": identity_claim,
            "audience": audience,
            "enabled": enabled,
        },
    )
    assert r.status_code == 200, r.json


def me(client, tenant, token, lang="en"):
    return client.get(
        f"/api/v1/t/{tenant.slug}/me", headers={"Authorization": f"Bearer {token}", "Accept-Language": lang}
    )


def sign(key, claims: dict, header: dict | None = None) -> str:
    return jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": key.kid, **(header or {})}, claims, key)


def claims_for(issuer: str, audience: str = AUD_A, **extra) -> dict:
    now = int(time.time())
    return {
        "iss": issuer,
        "aud": audience,
        "sub": "sub-an",
        "iat": now,
        "exp": now + 300,
        **ACCOUNTS_A["sub-an"],
        **extra,
    }


def refused(response, code="invalid_token", status=401) -> str:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.json["error"]["code"] == code, response.json
    return response.json["error"]["message"]


def oidc_subject(tenant, principal_id):
    with tenant_scope(tenant.id):
        return db.session.scalar(select(Principal.oidc_subject).where(Principal.id == principal_id))


# ---------------------------------------------------------------- 1. the right person, linked


def test_a_token_of_the_tenants_provider_identifies_the_person_and_links_sub(
    client, admin_a, tenant_a, make_account, idp_a
):
    an = make_account(tenant_a, email=ACCOUNTS_A["sub-an"]["email"], name="Nguyễn Văn An")
    configure(client, admin_a, tenant_a, idp_a.issuer, AUD_A)
    tokens = obtain_tokens(idp_a, "sub-an")
    assert oidc_subject(tenant_a, an.id) is None

    r = me(client, tenant_a, tokens["access_token"])
    assert r.status_code == 200, r.json
    assert r.json["principal"]["id"] == str(an.id) and r.json["tenant"]["slug"] == tenant_a.slug
    assert oidc_subject(tenant_a, an.id) == "sub-an"  # linked on first use, found by sub from now on
    with tenant_scope(tenant_a.id):
        links = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "identity.link")).all()
    assert [entry.object_id for entry in links] == [str(an.id)]
    assert me(client, tenant_a, tokens["access_token"]).json["principal"]["id"] == str(an.id)


def test_an_official_on_the_roster_is_found_by_staff_code(client, admin_a, tenant_a, idp_a):
    org = build_org(tenant_a)  # the clerk Trần Thị Bình has staff code NV002 and no account yet
    configure(client, admin_a, tenant_a, idp_a.issuer, AUD_A, identity_claim="staff_code")
    r = me(client, tenant_a, obtain_tokens(idp_a, "sub-binh")["access_token"])
    assert r.status_code == 200, r.json
    assert r.json["principal"]["display_name"] == "Trần Thị Bình" and r.json["principal"]["roles"] == ["official"]
    with tenant_scope(tenant_a.id):
        clerk_principal = db.session.scalar(select(Official.principal_id).where(Official.id == org["clerk"]))
        assert str(clerk_principal) == r.json["principal"]["id"]


# ---------------------------------------------------------------- 2. tenants apart


def test_a_token_of_tenant_a_is_refused_at_tenant_b_and_reveals_nothing_of_b(
    client, admin_a, tenant_a, tenant_b, make_account, idp_a, idp_b
):
    make_account(tenant_a, email=ACCOUNTS_A["sub-an"]["email"])
    # The same person, same email and same sub, exists at B as well.
    b_an = make_account(tenant_b, email=ACCOUNTS_B["sub-an"]["email"], name="Người của tỉnh B")
    admin_b = make_account(tenant_b, roles=["provincial_admin"])
    configure(client, admin_a, tenant_a, idp_a.issuer, AUD_A)
    configure(client, admin_b, tenant_b, idp_b.issuer, AUD_B)
    token_a = obtain_tokens(idp_a, "sub-an")["access_token"]
    assert me(client, tenant_a, token_a).status_code == 200

    r = me(client, tenant_b, token_a)
    message = refused(r)
    body = r.get_data(as_text=True)
    for secret in (idp_b.issuer, AUD_B, "Người của tỉnh B", tenant_b.name_en, str(b_an.id)):
        assert secret not in body
    assert "signature" in message
    assert oidc_subject(tenant_b, b_an.id) is None
    # B's own token works at B (the refusal above is about A's token, not B's setup) and not at A.
    token_b = obtain_tokens(idp_b, "sub-an")["access_token"]
    assert me(client, tenant_b, token_b).json["principal"]["id"] == str(b_an.id)
    refused(me(client, tenant_a, token_b))


def test_tenants_sharing_one_provider_are_kept_apart_by_the_audience(
    client, admin_a, tenant_a, tenant_b, make_account, idp_a
):
    make_account(tenant_a, email=ACCOUNTS_A["sub-an"]["email"])
    b_an = make_account(tenant_b, email=ACCOUNTS_A["sub-an"]["email"])
    admin_b = make_account(tenant_b, roles=["provincial_admin"])
    configure(client, admin_a, tenant_a, idp_a.issuer, AUD_A)
    configure(client, admin_b, tenant_b, idp_a.issuer, AUD_B)  # a national provider, say
    token = obtain_tokens(idp_a, "sub-an")["access_token"]
    assert me(client, tenant_a, token).status_code == 200
    assert "aud" in refused(me(client, tenant_b, token))
    assert me(client, tenant_b, obtain_tokens(idp_a, "sub-an", resource=AUD_B)["access_token"]).json["principal"][
        "id"
    ] == str(b_an.id)


# ---------------------------------------------------------------- 3. audience, 4. times


def test_a_token_for_another_audience_is_refused(client, admin_a, tenant_a, make_account, idp_a):
    make_account(tenant_a, email=ACCOUNTS_A["sub-an"]["email"])
    configure(client, admin_a, tenant_a, idp_a.issuer, AUD_A)
    tokens = obtain_tokens(idp_a, "sub-an", resource="https://mail.khanhhoa.example.vn/api")
    assert "not meant for this API" in refused(me(client, tenant_a, tokens["access_token"]))
    assert "không dành cho API này" in refused(me(client, tenant_a, tokens["access_token"], lang="vi"))
    # The ID token is a JWT signed by the same keys, but it is meant for the client, not the API.
    refused(me(client, tenant_a, tokens["id_token"]))


def test_times_are_checked_with_a_small_leeway(client, admin_a, tenant_a, make_account, idp_a, key_a, monkeypatch):
    make_account(tenant_a, email=ACCOUNTS_A["sub-an"]["email"])
    configure(client, admin_a, tenant_a, idp_a.issuer, AUD_A)
    now = int(time.time())

    def status(**changes):
        claims = {k: v for k, v in claims_for(idp_a.issuer, **changes).items() if v is not None}
        return me(client, tenant_a, sign(key_a, claims))

    assert status().status_code == 200  # the provider's key signs well-formed tokens: the control
    assert "expired" in refused(status(exp=now - 120, iat=now - 720))
    assert status(exp=now - 10).status_code == 200  # a clock 10 s behind ours is within the leeway
    refused(status(exp=None))  # exp is required
    refused(status(nbf=now + 600))
    refused(status(iat=now + 600))
    refused(status(exp="tomorrow"))
    monkeypatch.setattr(access_tokens, "LEEWAY_SECONDS", 0)
    assert "expired" in refused(status(exp=now - 10))


def test_a_token_that_really_expired_at_the_provider_is_refused(
    client, admin_a, tenant_a, make_account, start_oidc_provider, monkeypatch
):
    make_account(tenant_a, email=ACCOUNTS_A["sub-an"]["email"])
    short = start_oidc_provider("kpi-short", CLIENT_SECRET, ACCOUNTS_A, resource=AUD_A, access_token_ttl=1)
    configure(client, admin_a, tenant_a, short.issuer, AUD_A)
    tokens = obtain_tokens(short, "sub-an")
    exp = json.loads(base64.urlsafe_b64decode(tokens["access_token"].split(".")[1] + "=="))["exp"]
    assert tokens["expires_in"] <= 1
    assert me(client, tenant_a, tokens["access_token"]).status_code == 200
    monkeypatch.setattr(access_tokens, "LEEWAY_SECONDS", 0)
    time.sleep(max(0.0, exp - time.time()) + 1.1)  # exp is in whole seconds
    assert "expired" in refused(me(client, tenant_a, tokens["access_token"]))
    short.stop()


# ---------------------------------------------------------------- 5. forged and malformed


def _b64(data) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_forged_and_malformed_tokens_are_refused_never_a_500(
    client, admin_a, tenant_a, make_account, idp_a, key_a, fetches
):
    make_account(tenant_a, email=ACCOUNTS_A["sub-an"]["email"])
    configure(client, admin_a, tenant_a, idp_a.issuer, AUD_A)
    good = obtain_tokens(idp_a, "sub-an")["access_token"]
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    public = json.dumps(key_a.as_dict(private=False)).encode()

    no_fetch = {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{payload}.",
        "alg none, kid kept": f"{_b64({'alg': 'none', 'kid': key_a.kid})}.{payload}.",
        # The classic confusion: HMAC with the provider's public key as the secret.
        "HS256 with the public key": jwt.encode(
            {"alg": "HS256", "kid": key_a.kid}, claims, OctKey.import_key(public), algorithms=["HS256"]
        ),
        "wrong typ": sign(key_a, claims, {"typ": "logout+jwt"}),
        "typ not a string": f"{_b64({'alg': 'RS256', 'typ': 7, 'kid': key_a.kid})}.{payload}.{signature}",
        "kid not a string": f"{_b64({'alg': 'RS256', 'kid': 7})}.{payload}.{signature}",
        "garbage": "this-is-not-a-jwt",
        "two parts": "abc.def",
        "empty parts": "..",
        "not base64": "%%%.%%%.%%%",
        "header not JSON": f"{_b64(b'not json')}.{payload}.{signature}",
        "header a list": f"{_b64([1, 2])}.{payload}.{signature}",
        "non-ASCII": "ệ.ệ.ệ",
        "JWE shape": "a.b.c.d.e",
        "huge": "a" * 20_000 + "." + "b" * 20_000 + ".c",
    }
    for name, token in no_fetch.items():
        r = me(client, tenant_a, token)
        assert r.status_code == 401, (name, r.status_code, r.get_data(as_text=True)[:300])
        assert r.json["error"]["code"] == "invalid_token", name
    assert fetches == []  # refused from the header alone, no request to the provider

    tampered_payload = _b64({**claims, "sub": "sub-binh", "email": "someone.else@khanhhoa.example.vn"})
    checked = {
        "payload changed": f"{header}.{tampered_payload}.{signature}",
        "signature changed": f"{header}.{payload}.{signature[:-4]}AAAA",
        "signature dropped": f"{header}.{payload}.",
        "another key, same kid": sign(make_key(key_a.kid), claims),
        "another key, no kid": jwt.encode({"alg": "RS256"}, claims, make_key("x")),
        "payload not JSON": f"{header}.{_b64(b'not json')}.{signature}",
        "claims not an object": f"{header}.{_b64([1, 2])}.{signature}",
        "ES256 header, RSA key": f"{_b64({'alg': 'ES256', 'kid': key_a.kid})}.{payload}.{signature}",
    }
    for name, token in checked.items():
        r = me(client, tenant_a, token)
        assert r.status_code == 401, (name, r.status_code, r.get_data(as_text=True)[:300])
        assert r.json["error"]["code"] == "invalid_token", name
    assert me(client, tenant_a, good).status_code == 200
    assert me(client, tenant_a, sign(key_a, {**claims, "iss": "https://evil.example"})).status_code == 401


# ---------------------------------------------------------------- 6. the keys: cached, rotated


def test_keys_are_cached_and_refetched_when_the_provider_rotates_them(
    client, admin_a, tenant_a, make_account, start_oidc_provider, fetches, clock
):
    an = make_account(tenant_a, email=ACCOUNTS_A["sub-an"]["email"])
    old_key, new_key = make_key("rotation-1"), make_key("rotation-2")
    idp = start_oidc_provider("kpi-rot", CLIENT_SECRET, ACCOUNTS_A, resource=AUD_A, jwks=private_jwks(old_key))
    configure(client, admin_a, tenant_a, idp.issuer, AUD_A)
    old_token = obtain_tokens(idp, "sub-an")["access_token"]

    for _ in range(10):
        assert me(client, tenant_a, old_token).json["principal"]["id"] == str(an.id)
    assert jwks_fetches(fetches) == 1  # fetched once, then reused

    # Made-up key ids cannot make us hammer the provider: at most one refetch per floor period.
    made_up = [sign(make_key(f"made-up-{i}"), claims_for(idp.issuer)) for i in range(3)]
    for token in made_up * 5:
        refused(me(client, tenant_a, token))
    assert jwks_fetches(fetches) == 1
    clock.advance(access_tokens.REFRESH_FLOOR_SECONDS + 1)
    for token in made_up * 5:
        refused(me(client, tenant_a, token))
    assert jwks_fetches(fetches) == 2

    # The province rotates its key: same issuer and port, a new signing key.
    idp.stop()
    idp = start_oidc_provider(
        "kpi-rot", CLIENT_SECRET, ACCOUNTS_A, resource=AUD_A, jwks=private_jwks(new_key), port=idp.port
    )
    new_token = obtain_tokens(idp, "sub-an")["access_token"]
    assert json.loads(base64.urlsafe_b64decode(new_token.split(".")[0] + "=="))["kid"] == "rotation-2"
    clock.advance(access_tokens.REFRESH_FLOOR_SECONDS + 1)
    for _ in range(10):
        assert me(client, tenant_a, new_token).json["principal"]["id"] == str(an.id)
    assert jwks_fetches(fetches) == 3  # the unknown kid made one refetch, then the new keys are reused
    refused(me(client, tenant_a, old_token))  # the provider no longer publishes the old key
    assert jwks_fetches(fetches) == 3

    # After the TTL the keys are fetched again even without an unknown kid.
    clock.advance(access_tokens.JWKS_TTL_SECONDS + 1)
    assert me(client, tenant_a, new_token).status_code == 200
    assert jwks_fetches(fetches) == 4

    # The provider goes down: the keys we have keep working past their TTL (one attempt per floor).
    idp.stop()
    clock.advance(access_tokens.JWKS_TTL_SECONDS + 1)
    attempts = len(fetches)
    for _ in range(5):
        assert me(client, tenant_a, new_token).status_code == 200
    assert len(fetches) == attempts + 1 and jwks_fetches(fetches) == 4


def test_one_fetch_when_many_threads_need_the_keys_at_once(idp_a, fetches):
    provider = SimpleNamespace(tenant_id="t-threads", issuer=idp_a.issuer)
    barrier = threading.Barrier(8)
    found = []

    def worker():
        barrier.wait()
        found.append(access_tokens.key_cache.keys_for(provider, "a-2025-1"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8 and len({id(keys) for keys in found}) == 1
    assert jwks_fetches(fetches) == 1


# ---------------------------------------------------------------- 7. unknown people, 8. provider down


def test_an_unknown_person_with_a_valid_token_is_refused_and_gets_no_account(client, admin_a, tenant_a, idp_a, tx):
    build_org(tenant_a)
    configure(client, admin_a, tenant_a, idp_a.issuer, AUD_A)

    def principals():
        with tenant_scope(tenant_a.id):
            return db.session.scalar(select(func.count()).select_from(Principal))

    before = principals()
    message = refused(me(client, tenant_a, obtain_tokens(idp_a, "sub-ghost")["access_token"]), "unknown_person", 403)
    assert "ghost@nowhere.example.vn" in message
    assert principals() == before
    with tenant_scope(tenant_a.id):
        refusal = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "identity.sign_in_refused")).one()
    assert refusal.after["sub"] == "sub-ghost" and refusal.after["channel"] == "bearer"


def test_a_provider_that_is_down_answers_503_not_500(client, admin_a, tenant_a, make_account, key_a, fetches):
    make_account(tenant_a, email=ACCOUNTS_A["sub-an"]["email"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens there once the socket closes
    configure(client, admin_a, tenant_a, down, AUD_A)
    token = sign(key_a, claims_for(down))
    message = refused(me(client, tenant_a, token), "identity_provider_unavailable", 503)
    assert "cannot be reached" in message
    assert "thử lại sau" in refused(me(client, tenant_a, token, lang="vi"), "identity_provider_unavailable", 503)
    assert len(fetches) == 1  # the second request did not try again within the floor
    refused(me(client, tenant_a, "garbage"))  # a malformed token is still a plain 401


def test_no_enabled_provider_or_no_audience_is_a_clear_401(client, admin_a, tenant_a, make_account, idp_a, key_a):
    make_account(tenant_a, email=ACCOUNTS_A["sub-an"]["email"])
    token = sign(key_a, claims_for(idp_a.issuer))
    assert "no enabled identity provider" in refused(me(client, tenant_a, token))
    configure(client, admin_a, tenant_a, idp_a.issuer, None)
    assert "no audience configured" in refused(me(client, tenant_a, token))
    configure(client, admin_a, tenant_a, idp_a.issuer, AUD_A, enabled=False)
    assert "no enabled identity provider" in refused(me(client, tenant_a, token))
    configure(client, admin_a, tenant_a, idp_a.issuer, AUD_A)
    assert me(client, tenant_a, token).status_code == 200
