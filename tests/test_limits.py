"""Each rate limit is crossed and answers 429 in the one error shape with Retry-After.

The suite's settings put every limit out of reach (conftest); each test lowers one, on the live
settings object that the limits read at each request. Counters live in the test Redis under this
run's own key prefix; each test comes from an address of its own (REMOTE_ADDR), so what other
tests did does not count here.
"""

from __future__ import annotations

import io
import uuid

import pytest

from kpi_platform.config import LIMIT_VARIABLES

_addresses = iter(range(1, 250))


@pytest.fixture
def client(app):
    """A test client speaking from an address no other test uses."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"198.51.100.{next(_addresses)}"
    return client


@pytest.fixture
def lower(settings, monkeypatch):
    def lower_(name: str, value: str) -> None:
        assert name in LIMIT_VARIABLES
        monkeypatch.setattr(settings, name, value)

    return lower_


def assert_throttled(response, *, page: bool = False) -> None:
    assert response.status_code == 429, response.get_data(as_text=True)[:300]
    assert int(response.headers["Retry-After"]) >= 1
    if page:
        assert response.mimetype == "text/html" and "too_many_requests" in response.get_data(as_text=True)
    else:
        body = response.get_json()
        assert body["error"]["code"] == "too_many_requests" and body["error"]["request_id"]
        assert body["error"]["message"]


def bogus_token(tenant) -> str:
    return f"kpi_{tenant.id.hex}_{uuid.uuid4().hex}{uuid.uuid4().hex}"


def test_failed_authentication_per_address(client, lower, tenant_a, make_account):
    lower("limit_auth_failures_per_address", "3/minute")
    admin = make_account(tenant_a, roles=["provincial_admin"])
    url = f"/api/v1/t/{tenant_a.slug}/me"
    for _ in range(3):  # three different wrong tokens: the per-token count stays at one each
        r = client.get(url, headers={"Authorization": f"Bearer {bogus_token(tenant_a)}"})
        assert r.status_code == 401
    assert_throttled(client.get(url, headers={"Authorization": f"Bearer {bogus_token(tenant_a)}"}))
    # From that address even a valid token waits: the guessing stops before anything is checked.
    assert_throttled(client.get(url, headers=admin.headers))
    # Successful requests never counted: another address is served.
    client.environ_base["REMOTE_ADDR"] = "198.51.100.254"
    assert client.get(url, headers=admin.headers).status_code == 200


def test_failed_authentication_per_token(app, lower, tenant_a):
    lower("limit_auth_failures_per_token", "2/minute")
    token = bogus_token(tenant_a)
    url = f"/api/v1/t/{tenant_a.slug}/me"
    clients = []
    for n in range(3):  # the same token from three addresses
        c = app.test_client()
        c.environ_base["REMOTE_ADDR"] = f"203.0.113.{next(_addresses)}"
        clients.append(c)
    assert clients[0].get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert clients[1].get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert_throttled(clients[2].get(url, headers={"Authorization": f"Bearer {token}"}))
    # Another token from the same address is still checked (and refused) normally.
    assert clients[2].get(url, headers={"Authorization": f"Bearer {bogus_token(tenant_a)}"}).status_code == 401


def test_sign_in_pages_per_address(client, lower, tenant_a):
    lower("limit_sign_in", "3/minute")
    for _ in range(3):
        assert client.get(f"/t/{tenant_a.slug}/login").status_code == 200
    assert_throttled(client.get(f"/t/{tenant_a.slug}/login"), page=True)
    # The callback shares the page family's limit by address, counted on its own route.
    for _ in range(3):
        assert client.get(f"/t/{tenant_a.slug}/auth/callback").status_code != 429
    assert_throttled(client.get(f"/t/{tenant_a.slug}/auth/callback"), page=True)


def test_webhook_per_integration(app, lower, tenant_a):
    lower("limit_webhook", "2/minute")
    url = f"/api/v1/t/{tenant_a.slug}/worklog/edoc/events"
    seen = []
    for n in range(3):  # from three addresses: the integration's limit, not the sender's
        c = app.test_client()
        c.environ_base["REMOTE_ADDR"] = f"192.0.2.{next(_addresses)}"
        seen.append(c.post(url, data=b"{}", headers={"X-KPI-Timestamp": "1", "X-KPI-Signature": "sha256=00"}))
    assert [r.status_code for r in seen[:2]] == [401, 401]  # unsigned: refused, and counted
    assert_throttled(seen[2])


def test_uploads_per_principal(client, lower, tenant_a, make_account):
    lower("limit_uploads", "2/hour")
    admin = make_account(tenant_a, roles=["provincial_admin"])
    other = make_account(tenant_a, roles=["provincial_admin"])
    url = f"/api/v1/t/{tenant_a.slug}/onboarding/imports"

    def upload(account):
        return client.post(
            url,
            headers=account.headers,
            data={"file": (io.BytesIO(b""), "pack.zip")},
            content_type="multipart/form-data",
        )

    assert upload(admin).status_code == 422  # empty: refused, but it counted
    assert upload(admin).status_code == 422
    assert_throttled(upload(admin))
    assert upload(other).status_code == 422  # another admin has an allowance of their own
    # Reading the jobs is not an upload.
    assert client.get(url, headers=admin.headers).status_code == 200


def test_exports_per_principal(client, lower, tenant_a, make_account):
    lower("limit_exports", "2/hour")
    admin = make_account(tenant_a, roles=["provincial_admin"])
    url = f"/api/v1/t/{tenant_a.slug}/catalog/export?format=json"
    assert client.get(url, headers=admin.headers).status_code == 200
    assert client.get(url, headers=admin.headers).status_code == 200
    assert_throttled(client.get(url, headers=admin.headers))
    assert client.get(f"/api/v1/t/{tenant_a.slug}/catalog/items", headers=admin.headers).status_code == 200


def test_api_ceiling_per_principal(client, lower, tenant_a, make_account):
    lower("limit_api", "4/minute")
    official = make_account(tenant_a, roles=["official"])
    other = make_account(tenant_a, roles=["official"])
    paths = [f"/api/v1/t/{tenant_a.slug}/me", f"/api/v1/t/{tenant_a.slug}"]
    for n in range(4):  # shared by every route
        assert client.get(paths[n % 2], headers=official.headers).status_code == 200
    throttled = client.get(paths[0], headers=official.headers)
    assert_throttled(throttled)
    assert throttled.headers["X-RateLimit-Limit"] == "4"
    assert client.get(paths[0], headers=other.headers).status_code == 200


def test_the_api_stays_up_when_the_limits_storage_is_down(app, client, tenant_a, make_account, monkeypatch):
    import socket

    from limits.storage import storage_from_string
    from limits.strategies import MovingWindowRateLimiter

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once released
    dead = storage_from_string(f"redis://127.0.0.1:{port}/0")
    limiter = app.extensions["kpi_limiter"]
    monkeypatch.setattr(limiter, "_storage", dead)
    monkeypatch.setattr(limiter, "_limiter", MovingWindowRateLimiter(dead))
    official = make_account(tenant_a, roles=["official"])
    assert client.get(f"/api/v1/t/{tenant_a.slug}/me", headers=official.headers).status_code == 200
    assert client.get(f"/api/v1/t/{tenant_a.slug}/me", headers={"Authorization": "Bearer x"}).status_code == 401
    assert client.get(f"/t/{tenant_a.slug}/login").status_code == 200
