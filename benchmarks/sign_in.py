"""Benchmark: signing in through the tenant's OpenID Connect provider, the signed-in page, bearer JWTs.

A standalone script, not a test:

    .venv/bin/python benchmarks/sign_in.py [--sign-ins 30] [--requests 300]

It needs what `make test` needs: PostgreSQL, Redis, and the npm package oidc-provider in tests/oidc
(`npm ci` there). It creates a fresh database and the app with common.fresh_app(), one tenant whose
roster has the officials who will sign in, and starts a real provider (tests/oidc/server.mjs) with
the tests' own fixture, conftest.start_oidc_provider. The code flow is driven as the browser tests
drive it: Flask's test client for our pages (in process) and tests/oidc_flow.authorize() for the
provider's login and consent pages (real HTTP on loopback). The provider is stopped and the
database dropped at the end, also on error.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import requests
from auth_and_lists import FAMILY_VI, GIVEN, MIDDLE
from common import StatementCounter, _machine, _measure, _timed_once, fresh_app

from kpi_platform.context import tenant_scope
from kpi_platform.db import db
from kpi_platform.identity import access_tokens, sso
from kpi_platform.identity import service as identity
from kpi_platform.org import service as org
from kpi_platform.tenancy import service as tenancy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
# From tests/: the provider fixture, the per-request app context client, the provider's pages, an org.
import conftest
from oidc_flow import authorize, obtain_tokens
from support import build_org

AUDIENCE = "https://api.kpi.bench/t/sso"  # the audience of the provider's JWT access tokens
TOKEN_REDIRECT = "http://localhost/callback"  # where obtain_tokens() takes its code


class HttpMeter:
    """Counts and times every HTTP request made through `requests` (Authlib's client, the JWKS
    fetches, and oidc_flow's pretend browser), by wrapping requests.Session.send."""

    def __init__(self) -> None:
        self.count = 0
        self.ms = 0.0
        self._send = requests.Session.send
        meter, send = self, self._send

        def timed_send(session, request, **kwargs):
            started = time.perf_counter()
            try:
                return send(session, request, **kwargs)
            finally:
                meter.count += 1
                meter.ms += (time.perf_counter() - started) * 1000

        requests.Session.send = timed_send

    def close(self) -> None:
        requests.Session.send = self._send


@contextmanager
def oidc_provider_starter() -> Iterator:
    """The tests' fixture conftest.start_oidc_provider, run outside pytest: `start(...)` while the
    block runs, every provider it started stopped at the end."""
    fixture = conftest.start_oidc_provider.__wrapped__()
    start = next(fixture)
    try:
        yield start
    finally:
        next(fixture, None)  # runs the fixture's teardown


def _summary(timings: list[float]) -> tuple[float, float]:
    """(median, p95), the p95 by nearest rank as in common._measure."""
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def _local(url: str) -> str:
    parsed = urlparse(url)
    return parsed.path + ("?" + parsed.query if parsed.query else "")


def sign_in(app, slug: str, provider, sub: str, counter: StatementCounter, http: HttpMeter) -> tuple[dict, object]:
    """One sign-in in a new browser, timed phase by phase; returns (figures, the signed-in client)."""
    client = app.test_client()
    figures = {}

    sql, calls, started = counter.count, http.count, time.perf_counter()
    r = client.get(f"/t/{slug}/login/sso")
    figures["start"] = (time.perf_counter() - started) * 1000
    figures["start_sql"], figures["start_http"] = counter.count - sql, http.count - calls
    if r.status_code != 302 or not r.headers["Location"].startswith(provider.issuer):
        raise RuntimeError(f"/login/sso -> {r.status_code}: {r.get_data(as_text=True)[:300]}")

    calls, started = http.count, time.perf_counter()
    callback = authorize(provider, sub, url=r.headers["Location"])
    figures["provider"] = (time.perf_counter() - started) * 1000
    figures["provider_http"] = http.count - calls

    sql, calls, http_ms, started = counter.count, http.count, http.ms, time.perf_counter()
    r = client.get(_local(callback))
    figures["callback"] = (time.perf_counter() - started) * 1000
    figures["callback_sql"], figures["callback_http"] = counter.count - sql, http.count - calls
    figures["callback_http_ms"] = http.ms - http_ms
    if r.status_code != 302 or r.headers["Location"] != f"/t/{slug}/me":
        raise RuntimeError(f"callback for {sub} -> {r.status_code}: {r.get_data(as_text=True)[:300]}")
    figures["total"] = figures["start"] + figures["provider"] + figures["callback"]
    return figures, client


def _print_flow(title: str, runs: list[dict]) -> None:
    n = len(runs)

    def row(label: str, key: str, sql: str | None = None, calls: str | None = None) -> None:
        median, p95 = _summary([run[key] for run in runs])
        sql_text = f"{statistics.mean(run[sql] for run in runs):.1f}" if sql else ""
        calls_text = f"{statistics.mean(run[calls] for run in runs):.1f}" if calls else ""
        print(f"{label:<60} {n:>5} {median:>10.2f} {p95:>8.2f} {sql_text:>8} {calls_text:>9}")

    print(title)
    row("  whole flow, end to end", "total")
    row("    GET /t/<slug>/login/sso (ours: redirect to the provider)", "start", "start_sql", "start_http")
    row("    the provider's login + consent pages (pretend browser)", "provider", None, "provider_http")
    row("    GET /t/<slug>/auth/callback (ours: code → session)", "callback", "callback_sql", "callback_http")
    row("      of which waiting for the provider (token request)", "callback_http_ms")


def _print_measure(label: str, m: dict, calls: float | None = None) -> None:
    calls_text = f"{calls:.1f}" if calls is not None else ""
    print(f"{label:<60} {m['n']:>5} {m['median']:>10.2f} {m['p95']:>8.2f} {m['sql']:>8.1f} {calls_text:>9}")


def run(n_sign_ins: int, n_requests: int) -> None:
    total_started = time.perf_counter()
    with fresh_app() as bench, oidc_provider_starter() as start_oidc_provider:
        app = bench.app
        app.test_client_class = conftest.FreshContextClient  # an app context per request, as in production
        suffix = uuid.uuid4().hex[:6]
        tenant = tenancy.create_tenant(
            slug=f"bench-sso-{suffix}", name_vi="Tỉnh Khánh Hòa", name_en="Khánh Hòa Province", status="active"
        )
        slug = tenant.slug

        # The roster: officials BM000 … BM<n> with no account yet; the provider knows each as sub-<i>.
        provider_accounts = {}
        with tenant_scope(tenant.id):
            units = build_org(tenant, prefix="BM-")
            for i in range(n_sign_ins + 1):
                name = f"{FAMILY_VI[i % len(FAMILY_VI)]} {MIDDLE[i % len(MIDDLE)][1]} {GIVEN[i % len(GIVEN)][1]}"
                staff_code = f"BM{i:03d}"
                org.create_official(
                    staff_code=staff_code,
                    full_name=name,
                    employment_kind="cong_chuc",
                    assignment={
                        "unit_id": units["division"],
                        "position_id": units["staff_position"],
                        "valid_from": date(2025, 1, 1),
                    },
                )
                provider_accounts[f"sub-{i:03d}"] = {
                    "email": f"bm{i:03d}@khanhhoa.example.vn",
                    "name": name,
                    "staff_code": staff_code,
                }
            db.session.commit()

        provider = start_oidc_provider(
            "kpi-bench",
            "secret-of-the-bench-province",
            provider_accounts,
            redirect_uris=(
                f"http://localhost/t/{slug}/auth/callback",
                f"http://localhost/t/{slug}/login?notice=signed_out",
                TOKEN_REDIRECT,
            ),
            resource=AUDIENCE,
        )
        with tenant_scope(tenant.id):
            sso.configure_provider(
                issuer=provider.issuer,
                client_id=provider.client_id,
                client_secret=provider.client_secret,
                identity_claim="staff_code",
                audience=AUDIENCE,
            )
            db.session.commit()
        db.session.remove()
        bench.analyze()

        counter = StatementCounter(db.engine)
        http = HttpMeter()
        try:
            # (a) the code flow: the process's first sign-in (discovery and keys not cached yet), then
            # each person's first sign-in (matched by staff code, account created, sub linked), then
            # the same people again (found by sub).
            cold, _ = sign_in(app, slug, provider, "sub-000", counter, http)
            subs = [f"sub-{i:03d}" for i in range(1, n_sign_ins + 1)]
            first = [sign_in(app, slug, provider, sub, counter, http)[0] for sub in subs]
            again = []
            for sub in subs:
                figures, browser = sign_in(app, slug, provider, sub, counter, http)
                again.append(figures)

            # (b) the who-am-I page with the last browser's session.
            page = _measure(browser, f"/t/{slug}/me", {}, n_requests, counter)
            if provider_accounts[subs[-1]]["name"] not in page["response"].get_data(as_text=True):
                raise RuntimeError("the /me page does not show the signed-in official")

            # (c) the API with the provider's JWT access token vs a platform token, same person.
            jwt = obtain_tokens(provider, subs[-1], TOKEN_REDIRECT)["access_token"]
            if jwt.count(".") != 2:
                raise RuntimeError("the provider did not issue a JWT access token")
            with tenant_scope(tenant.id):
                person = identity.find_principal_by_email(provider_accounts[subs[-1]]["email"])
                _, kpi_token = identity.issue_token(person, name="bench", days=1, max_days=365)
                person_id = str(person.id)
                db.session.commit()
            db.session.remove()
            api_me = f"/api/v1/t/{slug}/me"
            jwt_headers = {"Authorization": f"Bearer {jwt}"}
            kpi_headers = {"Authorization": f"Bearer {kpi_token}"}
            client = app.test_client()
            access_tokens.key_cache.clear()
            calls = http.count
            cold_jwt_ms, cold_jwt_sql, _ = _timed_once(client, api_me, jwt_headers, counter)
            cold_jwt_http = http.count - calls
            calls = http.count
            by_jwt = _measure(client, api_me, jwt_headers, n_requests, counter)
            warm_http = http.count - calls
            by_kpi = _measure(client, api_me, kpi_headers, n_requests, counter)
            for label, m in (("JWT", by_jwt), ("kpi_ token", by_kpi)):
                if m["response"].get_json()["principal"]["id"] != person_id:
                    raise RuntimeError(f"the {label} did not authenticate the expected person")
        finally:
            http.close()

        print()
        print(f"kpi-platform sign-in benchmark — PostgreSQL {bench.pg_version}, oidc-provider on loopback")
        print(f"machine: {_machine()}")
        print()
        header = f"{'':<60} {'runs':>5} {'median ms':>10} {'p95 ms':>8} {'SQL/req':>8} {'HTTP/req':>9}"
        print(header)
        print("-" * len(header))
        _print_flow("(a) first sign-in of the process (cold: discovery + JWKS fetched)", [cold])
        _print_flow("(a) each person's first sign-in (staff code → roster, account created, sub linked)", first)
        _print_flow("(a) the same people signing in again (found by sub)", again)
        print()
        print(header)
        print("-" * len(header))
        print("(b) browser session")
        _print_measure("  GET /t/<slug>/me (HTML page, server-side session)", page)
        print("(c) API with a bearer token")
        _print_measure(
            "  GET /api/v1/t/<slug>/me, provider's JWT, JWKS cache warm", by_jwt, warm_http / (by_jwt["n"] + 5)
        )
        _print_measure("  GET /api/v1/t/<slug>/me, platform kpi_ token", by_kpi)
        print(
            f"{'  the same with the JWT, JWKS cache cold (first request)':<60} {1:>5} {cold_jwt_ms:>10.2f} "
            f"{'':>8} {cold_jwt_sql:>8} {cold_jwt_http:>9}"
        )
        print()
        print("HTTP/req: requests sent to the provider (in our requests: Authlib's and the JWKS cache's;")
        print("in the provider's part: the pretend browser's). Our pages run in process (Flask test client).")
        print(f"total run time {time.perf_counter() - total_started:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sign-ins", type=int, default=30, help="people signing in, each twice (default 30)")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page or token kind")
    args = parser.parse_args(argv)
    run(args.sign_ins, args.requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
