"""What production exposes and sends: security headers on every response (HSTS in production, CSP
on pages and /api/docs), /api/docs and the tenant list off by default in production, absolute URLs
built on KPI_PUBLIC_URL (never the Host header), X-Forwarded-* honoured only from the configured
number of proxies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from flask import request

from kpi_platform import security
from kpi_platform.config import Settings

ROOT = Path(__file__).resolve().parent.parent
EVERYWHERE = ("Content-Security-Policy", "X-Frame-Options", "Referrer-Policy", "X-Content-Type-Options")


def test_every_response_carries_the_security_headers(client, admin_a, tenant_a):
    responses = {
        "docs": client.get("/api/docs"),
        "openapi": client.get("/api/openapi.json"),
        "index": client.get("/"),
        "login": client.get(f"/t/{tenant_a.slug}/login"),
        "health": client.get("/healthz"),
        "api": client.get(f"/api/v1/t/{tenant_a.slug}/me", headers=admin_a.headers),
        "api error": client.get(f"/api/v1/t/{tenant_a.slug}/nothing-here", headers=admin_a.headers),
        "asset": client.get("/assets/pages.css"),
    }
    for name, r in responses.items():
        assert r.status_code in (200, 404), (name, r.status_code)
        missing = [h for h in EVERYWHERE if h not in r.headers]
        assert missing == [], f"{name} lacks {missing}"
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in r.headers  # plain http outside production
    assert "script-src 'self' 'unsafe-inline'" in responses["docs"].headers["Content-Security-Policy"]
    assert "default-src 'self'" in responses["login"].headers["Content-Security-Policy"]
    assert responses["api"].headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_hsts_when_configured(client, settings, monkeypatch):
    monkeypatch.setattr(settings, "hsts_seconds", 31_536_000)
    for path in ("/", "/healthz", "/api/openapi.json"):
        assert client.get(path).headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_absolute_urls_use_the_public_url_not_the_host_header(client, admin_a, tenant_a, settings, monkeypatch, app):
    monkeypatch.setattr(settings, "public_url", "https://kpi.example.gov.vn")
    evil = {"Host": "evil.example"}
    r = client.put(
        f"/api/v1/t/{tenant_a.slug}/worklog/edoc/integration",
        headers={**admin_a.headers, **evil},
        json={"rotate_secret": True},
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["webhook_url"] == f"https://kpi.example.gov.vn/api/v1/t/{tenant_a.slug}/worklog/edoc/events"
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    logout = client.post(f"/t/{tenant_a.slug}/logout", headers=evil)
    assert logout.status_code == 302
    assert logout.headers["Location"] == f"https://kpi.example.gov.vn/t/{tenant_a.slug}/login?notice=signed_out"
    # Relative redirects stay relative.
    assert client.get(f"/t/{tenant_a.slug}/", headers=evil).headers["Location"].startswith(f"/t/{tenant_a.slug}/")


def proxied_app(proxy_count: int):
    app = security.KpiFlask("proxied")
    app.config["SETTINGS"] = Settings(env="test", proxy_count=proxy_count)
    security.init_app(app)
    app.add_url_rule(
        "/who", "who", lambda: {"addr": request.remote_addr, "scheme": request.scheme, "host": request.host}
    )
    return app


def test_forwarded_headers_only_from_configured_proxies():
    forwarded = {
        "X-Forwarded-For": "203.0.113.9, 10.0.0.5",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "kpi.example.gov.vn",
    }
    direct = proxied_app(0).test_client().get("/who", headers=forwarded, environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert direct.get_json() == {"addr": "10.0.0.7", "scheme": "http", "host": "localhost"}
    one = proxied_app(1).test_client().get("/who", headers=forwarded, environ_base={"REMOTE_ADDR": "10.0.0.7"})
    # One proxy: only the address it added (the last one) is believed.
    assert one.get_json() == {"addr": "10.0.0.5", "scheme": "https", "host": "kpi.example.gov.vn"}
    two = proxied_app(2).test_client().get("/who", headers=forwarded, environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert two.get_json()["addr"] == "203.0.113.9"


PRODUCTION_PROBE = """
import json
from kpi_platform.app import create_app
app = create_app()
client = app.test_client()
out = {}
for path in ("/", "/api/docs", "/api/openapi.json", "/metrics", "/healthz"):
    r = client.get(path)
    out[path] = {"status": r.status_code, "headers": dict(r.headers), "body": r.get_data(as_text=True)[:4000]}
print(json.dumps(out))
"""


def test_production_defaults(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "KPI_ENV": "production",
        "KPI_INSTANCE_PATH": str(tmp_path),
        "KPI_SECRET_KEY": "s" * 48,
        "KPI_DATABASE_URL": "postgresql+psycopg://kpi_app@127.0.0.1:1/kpi",
        "KPI_CROSS_TENANT_DATABASE_URL": "postgresql+psycopg://kpi_cross_tenant@127.0.0.1:1/kpi",
        "KPI_REDIS_URL": "redis://127.0.0.1:1/0",
        "KPI_ENCRYPTION_KEYS": "3nK-8XcF6oswWR-OYLbT_lFNcBV9oLKRIT6rTGvhshY=",
        "KPI_PUBLIC_URL": "https://kpi.example.gov.vn",
    }
    r = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE], env=env, capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["/api/docs"]["status"] == 404 and out["/api/openapi.json"]["status"] == 404
    assert out["/metrics"]["status"] == 404  # no KPI_METRICS_TOKEN
    index = out["/"]
    assert index["status"] == 200 and "/api/docs" not in index["body"] and "<table>" not in index["body"]
    for path in ("/", "/healthz", "/metrics"):
        headers = out[path]["headers"]
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains", path
        assert "Content-Security-Policy" in headers and headers["X-Frame-Options"] == "DENY", path
    assert "default-src 'self'" in index["headers"]["Content-Security-Policy"]
    # The logs are JSON lines in production.
    logged = [line for line in r.stderr.splitlines() if line.startswith("{")]
    assert all(json.loads(line)["level"] for line in logged)


def test_the_chart_gives_the_public_url_the_proxies_and_the_metrics_token():
    from test_helm_chart import RELEASE, by_kind, component, env_of, render

    documents = render({"ingress": {"enabled": True, "hosts": [{"host": "kpi.tinh.gov.vn", "paths": []}]}})
    config = by_kind(documents, "ConfigMap")[f"{RELEASE}-kpi-platform-config"]["data"]
    assert config["KPI_PUBLIC_URL"] == "https://kpi.tinh.gov.vn" and config["KPI_PROXY_COUNT"] == "1"
    env = env_of(component(documents, "Deployment", "web")["spec"]["template"]["spec"]["containers"][0])
    assert env["KPI_METRICS_TOKEN"]["valueFrom"]["secretKeyRef"]["optional"] is True
    explicit = render({"config": {"publicUrl": "https://kpi.example.vn", "proxyCount": 2}})
    config = by_kind(explicit, "ConfigMap")[f"{RELEASE}-kpi-platform-config"]["data"]
    assert config["KPI_PUBLIC_URL"] == "https://kpi.example.vn" and config["KPI_PROXY_COUNT"] == "2"
