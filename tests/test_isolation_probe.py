"""The endpoint probe: every route and method of the app, called with tenant A's credentials and
tenant B's ids, must answer 404; lists and searches for A never show B's marker.

It is built from the app's own URL map (checked against the OpenAPI document), so a new route is
probed without anyone writing a case for it. A route whose URL parameters the probe cannot fill
with B's ids fails the meta-test until a source is added to PARAM_SOURCES.

The probe runs once per isolation layer, with the other layer switched off:
- "orm": connected as a superuser (RLS does not apply), only the ORM filter protects;
- "rls": connected as the app role with the ORM filter off, only row-level security protects.
KPI_TEST_SABOTAGE=orm|rls switches the layer under test off as well, to show the probe then fails.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import create_engine
from support import ALL_TENANT_ROLES, MARKER_B, bound_transaction, browser_session, build_catalog, build_org

from kpi_platform.audit.models import AuditEntry
from kpi_platform.benchmarking import tasks as benchmarking_tasks
from kpi_platform.context import SYSTEM_TENANT_ID, tenant_scope
from kpi_platform.db import db, set_orm_filter_enabled
from kpi_platform.identity import service as identity
from kpi_platform.identity import sso
from kpi_platform.jobs import service as jobs
from kpi_platform.models import tenant_tables
from kpi_platform.onboarding import service as onboarding
from kpi_platform.org import service as org
from kpi_platform.policy import (
    FRAMEWORK_ENDPOINTS,
    PAGE,
    PLATFORM,
    PLATFORM_PAGE,
    PUBLIC,
    TENANT,
    TENANT_ENTRY,
    policy_for,
)
from kpi_platform.scoring import runs
from kpi_platform.scoring.models import AssignedProduct
from kpi_platform.tenancy import service as tenancy
from kpi_platform.worklog import edoc
from kpi_platform.worklog import service as worklog

SKIPPED_METHODS = {"HEAD", "OPTIONS"}
SABOTAGE = os.environ.get("KPI_TEST_SABOTAGE", "")


@dataclass
class World:
    a_headers: dict
    a_principal_id: object
    a_tenant: object
    a_slug: str
    b_slug: str
    b_ids: dict  # URL parameter name -> one of tenant B's values
    b_org: dict


def _b_audit_entry_id(b_tenant):
    from sqlalchemy import select  # noqa: PLC0415

    with tenant_scope(b_tenant.id):
        return db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.occurred_at.desc()).limit(1))


@pytest.fixture
def world(make_account, tenant_a, tenant_b) -> World:
    """Both tenants with the same shapes; B's text fields carry the marker."""
    a_all = make_account(tenant_a, roles=ALL_TENANT_ROLES, name="Nguyễn Văn A")
    make_account(tenant_a, roles=["official"], name="Trần Thị Bình")
    b_admin = make_account(
        tenant_b, roles=ALL_TENANT_ROLES, name=f"Lê Văn {MARKER_B}", email=f"{MARKER_B.lower()}@b.example.vn"
    )
    b_official = make_account(tenant_b, roles=["official"], name=f"Phạm {MARKER_B}")
    with tenant_scope(tenant_b.id):
        b_token = db.session.scalars(identity.list_tokens(b_official.id)).first()
    a_org = build_org(tenant_a)
    build_catalog(tenant_a, a_org)
    with tenant_scope(tenant_a.id):  # so "my allowed items" has someone to answer for
        org.update_official(a_org["clerk"], {"principal_id": a_all.principal.id})
        edoc.configure()
        runs.run_period("month", date(2025, 3, 1))
        db.session.commit()
    b_org = build_org(tenant_b, marker=MARKER_B, prefix="B-")
    b_catalog = build_catalog(tenant_b, b_org, marker=MARKER_B, prefix="B-")
    with tenant_scope(tenant_b.id):
        b_job = onboarding.create_job(
            source_name=f"{MARKER_B}.zip", archive=b"PK", dry_run=True, only=None, by=b_admin.principal
        )
        b_entry = worklog.log_work(b_org["clerk"], date(2025, 3, 3), b_catalog["item_c"], 1, note=MARKER_B, submit=True)
        edoc.configure()
        b_event, _ = edoc.ingest(
            {
                "event_id": MARKER_B,
                "document_number": f"{MARKER_B}/UBND",
                "processed_at": "2025-03-03T09:00:00+07:00",
                "staff_code": "KHONG-CO",
            },
            today=date(2025, 3, 3),
        )
        b_run = runs.run_period("month", date(2025, 3, 1))
        b_product = AssignedProduct(
            official_id=b_org["clerk"],
            item_id=b_catalog["item_c"],
            month=date(2025, 3, 1),
            quantity=1,
            source="assigned",
            status="assigned",
            note=MARKER_B,
            assessments=[],
        )
        db.session.add(b_product)
        b_background = jobs.schedule("scoring.compute_run", label=f"scoring {MARKER_B}", run_id=str(b_run.id))
        db.session.commit()
    b_refresh = benchmarking_tasks.start("manual", tenants=[tenant_b.id])  # a platform row, through the door
    for tenant, marker in ((tenant_a, ""), (tenant_b, MARKER_B)):
        with tenant_scope(tenant.id):
            sso.configure_provider(
                issuer=f"https://sso.{tenant.slug}.gov.vn",
                client_id=f"kpi{marker}",
                client_secret=f"secret{marker}",
            )
            db.session.commit()
    return World(
        a_headers=a_all.headers,
        a_principal_id=a_all.principal.id,
        a_tenant=tenant_a,
        a_slug=tenant_a.slug,
        b_slug=tenant_b.slug,
        b_ids={
            "principal_id": str(b_admin.id),
            "token_id": str(b_token.id),
            "entry_id": str(_b_audit_entry_id(tenant_b)),
            "slug": tenant_b.slug,
            "unit_id": str(b_org["division"]),
            "position_id": str(b_org["staff_position"]),
            "official_id": str(b_org["clerk"]),
            "assignment_id": str(b_org["clerk_assignment"]),
            "item_id": str(b_catalog["item_c"]),
            "jd_id": str(b_catalog["jd_agency"]),
            "job_id": str(b_job.id),
            "background_job_id": str(b_background.id),
            "work_entry_id": str(b_entry.id),
            "event_id": str(b_event.id),
            "run_id": str(b_run.id),
            "product_id": str(b_product.id),
            "refresh_id": str(b_refresh.id),
            "year": "2025",
            "month": "3",
        },
        b_org=b_org,
    )


# URL parameter -> how the probe fills it. "tenant" is filled with A's or B's slug by the probe itself.
PARAM_SOURCES = {
    "tenant",
    "principal_id",
    "token_id",
    "entry_id",
    "slug",
    "unit_id",
    "position_id",
    "official_id",
    "assignment_id",
    "item_id",
    "jd_id",
    "job_id",
    "background_job_id",
    "work_entry_id",
    "event_id",
    "run_id",
    "product_id",
    "refresh_id",
    "year",
    "month",
}
# Parameters that name no row (a month), so "A's URL with B's ids" does not apply to them.
NOT_IDS = {"year", "month"}
# Bodies for write methods, so validation passes and the tenant check is what answers.
PROBE_BODIES = {
    ("POST", "/api/v1/t/<tenant>/principals"): {"email": "probe@example.vn", "display_name": "Probe"},
    ("POST", "/api/v1/t/<tenant>/tokens"): {"name": "probe"},
    ("POST", "/api/v1/platform/tokens"): {"name": "probe"},
    ("POST", "/api/v1/platform/tenants"): {"slug": "probe-tenant", "name_vi": "Thử", "name_en": "Probe"},
    ("PATCH", "/api/v1/t/<tenant>/org/units/<uuid:unit_id>"): {"effective_date": "2025-06-01", "name_vi": "X"},
    ("POST", "/api/v1/t/<tenant>/org/units/<uuid:unit_id>/dissolve"): {"effective_date": "2025-06-01"},
    ("PUT", "/api/v1/t/<tenant>/org/units/<uuid:unit_id>/head"): {"official_id": None},
    ("POST", "/api/v1/t/<tenant>/officials/<uuid:official_id>/assignments"): "assignment",
    ("PATCH", "/api/v1/t/<tenant>/officials/<uuid:official_id>/assignments/<uuid:assignment_id>"): {
        "valid_to": "2025-06-01"
    },
    ("POST", "/api/v1/t/<tenant>/officials/<uuid:official_id>/transfer"): "transfer",
    ("POST", "/api/v1/t/<tenant>/catalog/items/<uuid:item_id>/versions"): {"valid_from": "2026-01-01"},
    ("POST", "/api/v1/t/<tenant>/catalog/items/<uuid:item_id>/return"): {"reason": "probe"},
    ("POST", "/api/v1/t/<tenant>/catalog/items/<uuid:item_id>/retire"): {"retired_on": "2026-01-01"},
    ("POST", "/api/v1/t/<tenant>/catalog/items/<uuid:item_id>/calibration/accept"): {
        "norm_minutes": 30,
        "valid_from": "2026-01-01",
    },
    ("POST", "/api/v1/t/<tenant>/catalog/job-descriptions/<uuid:jd_id>/versions"): {
        "valid_from": "2026-01-01",
        "lines": [],
    },
    ("POST", "/api/v1/t/<tenant>/catalog/job-descriptions/<uuid:jd_id>/return"): {"reason": "probe"},
    ("POST", "/api/v1/t/<tenant>/scoring/products/<uuid:product_id>/assessments"): {"kind": "quality"},
}


def body_for(method, rule, world: World):
    body = PROBE_BODIES.get((method, rule.rule), {})
    if body == "assignment":  # refers to B's unit and position as well
        return {
            "unit_id": world.b_ids["unit_id"],
            "position_id": world.b_ids["position_id"],
            "valid_from": "2025-06-01",
        }
    if body == "transfer":
        return {"unit_id": world.b_ids["unit_id"], "effective_date": "2025-06-01"}
    return body


def routes(app):
    """(rule, method, policy) for every route the app serves, framework endpoints aside."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in FRAMEWORK_ENDPOINTS:
            continue
        for method in sorted(rule.methods - SKIPPED_METHODS):
            yield rule, method, policy_for(app, rule.endpoint, method)


def fill(rule, tenant_slug: str, ids: dict) -> str:
    values = {name: (tenant_slug if name == "tenant" else ids[name]) for name in rule.arguments}
    path = rule.rule
    for name, value in values.items():
        path = path.replace(f"<uuid:{name}>", value).replace(f"<int:{name}>", value).replace(f"<{name}>", value)
    return path


def call(client, method, path, headers, body=None):
    return client.open(path, method=method, headers=headers, json=body if method in ("POST", "PATCH", "PUT") else None)


def probe(app, client, world: World) -> list[str]:
    """Return every leak found (empty when isolation holds)."""
    leaks = []
    for rule, method, policy in routes(app):
        body = body_for(method, rule, world)
        has_ids = bool(set(rule.arguments) - {"tenant", *NOT_IDS})
        if policy.scope == TENANT:
            # A's credentials on B's tenant URL: B's tenant is "not found" for A.
            r = call(client, method, fill(rule, world.b_slug, world.b_ids), world.a_headers, body)
            if r.status_code != 404:
                leaks.append(f"{method} {rule.rule} on B's URL -> {r.status_code}")
            if has_ids:
                # A's tenant URL with B's ids: the shape of Redash's #1979.
                r = call(client, method, fill(rule, world.a_slug, world.b_ids), world.a_headers, body)
                if r.status_code != 404:
                    leaks.append(f"{method} {rule.rule} with B's ids -> {r.status_code}")
            elif method == "GET":
                r = call(client, method, fill(rule, world.a_slug, {}), world.a_headers)
                if r.status_code != 200:
                    leaks.append(f"{method} {rule.rule} for A -> {r.status_code} (expected 200)")
                if MARKER_B.encode() in r.get_data():
                    leaks.append(f"{method} {rule.rule} for A shows B's marker")
        elif policy.scope == PLATFORM:
            # A tenant's principal on platform routes: those routes do not exist for it.
            r = call(client, method, fill(rule, world.a_slug, world.b_ids), world.a_headers, body)
            if r.status_code != 404:
                leaks.append(f"{method} {rule.rule} (platform) with A's token -> {r.status_code}")
        elif policy.scope == PUBLIC:
            r = call(client, method, fill(rule, world.a_slug, world.b_ids), {})
            if MARKER_B.encode() in r.get_data():
                leaks.append(f"{method} {rule.rule} (public) shows B's marker")
    return leaks


@pytest.fixture
def orm_layer_only(app, pg):
    """Connected as a superuser: RLS does not apply, the ORM filter alone keeps tenants apart."""
    engine = create_engine(pg.superuser)
    gen = bound_transaction(engine)
    next(gen)
    if SABOTAGE == "orm":
        set_orm_filter_enabled(False)
    yield
    gen.close()
    engine.dispose()


@pytest.fixture
def rls_layer_only(app, pg):
    """The app role with the ORM filter off: row-level security alone keeps tenants apart."""
    engine = create_engine(pg.superuser)
    setup = []
    if SABOTAGE == "rls":
        setup = [f"ALTER TABLE {t} DISABLE ROW LEVEL SECURITY" for t in tenant_tables()]
    gen = bound_transaction(engine, *setup, "SET LOCAL ROLE kpi_app")
    next(gen)
    set_orm_filter_enabled(False)
    yield
    gen.close()
    engine.dispose()


@pytest.mark.no_tx
def test_probe_orm_layer_alone_keeps_tenants_apart(orm_layer_only, world, app, client):
    leaks = probe(app, client, world)
    assert leaks == [], "\n".join(leaks)


@pytest.mark.no_tx
def test_probe_rls_layer_alone_keeps_tenants_apart(rls_layer_only, world, app, client):
    leaks = probe(app, client, world)
    assert leaks == [], "\n".join(leaks)


def test_probe_with_both_layers(world, app, client):
    leaks = probe(app, client, world)
    assert leaks == [], "\n".join(leaks)


def test_pages_keep_tenants_apart(world, app, client):
    """The browser pages, signed in at A with every role: B's pages send to B's sign-in, A's pages
    with B's ids answer 404, A's pages without ids show nothing of B."""
    browser_session(client, world.a_tenant, world.a_principal_id)
    app.config["WTF_CSRF_ENABLED"] = False  # so a POST reaches the tenant and access checks
    leaks, pages = [], 0
    try:
        for rule, method, policy in routes(app):
            if policy is not None and policy.scope == PLATFORM_PAGE:
                # A province's session is no session of a global account: to the platform's sign-in.
                r = client.open(fill(rule, world.a_slug, world.b_ids), method=method)
                if not (r.status_code == 302 and r.headers["Location"].startswith("/t/platform/login")):
                    leaks.append(f"{method} {rule.rule} (platform page) with A's session -> {r.status_code}")
                continue
            if policy is None or policy.scope != PAGE:
                continue
            pages += 1
            r = client.open(fill(rule, world.b_slug, world.b_ids), method=method)
            if not (r.status_code == 302 and r.headers["Location"].startswith(f"/t/{world.b_slug}/login")) and (
                r.status_code != 404
            ):
                leaks.append(f"{method} {rule.rule} on B's URL -> {r.status_code}")
            if set(rule.arguments) - {"tenant"}:
                r = client.open(fill(rule, world.a_slug, world.b_ids), method=method)
                if r.status_code != 404:
                    leaks.append(f"{method} {rule.rule} with B's ids -> {r.status_code}")
            elif method == "GET":
                r = client.open(fill(rule, world.a_slug, {}), method=method, follow_redirects=True)
                if r.status_code != 200 or "/login" in r.request.path:
                    leaks.append(
                        f"{method} {rule.rule} for A -> {r.status_code} at {r.request.path} (expected A's page)"
                    )
                if MARKER_B.encode() in r.get_data():
                    leaks.append(f"{method} {rule.rule} for A shows B's marker")
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert pages >= 10, pages
    assert leaks == [], "\n".join(leaks)


def test_a_central_analyst_reaches_no_tenant_route(world, app, client, make_account):
    """A global account sees aggregates only: a central analyst's token on every tenant route
    (A's URL) is answered 404, and with the analyst's browser session every page of a province
    sends to that province's sign-in."""
    analyst = make_account(None, roles=["central_analyst"], name="Phân tích Trung ương")
    leaks, probed = [], 0
    for rule, method, policy in routes(app):
        if policy.scope != TENANT:
            continue
        probed += 1
        r = call(client, method, fill(rule, world.a_slug, world.b_ids), analyst.headers, body_for(method, rule, world))
        if r.status_code != 404:
            leaks.append(f"{method} {rule.rule} with a central analyst's token -> {r.status_code}")
    browser_session(client, tenancy.get_tenant(SYSTEM_TENANT_ID), analyst.id)
    for rule, method, policy in routes(app):
        if policy.scope != PAGE or method != "GET":
            continue
        r = client.get(fill(rule, world.a_slug, world.b_ids))
        if not (r.status_code == 302 and r.headers["Location"].startswith(f"/t/{world.a_slug}/login")) and (
            r.status_code != 404
        ):
            leaks.append(f"GET {rule.rule} with a central analyst's session -> {r.status_code}")
    assert probed > 100, probed
    assert leaks == [], "\n".join(leaks)
    assert client.get("/benchmarking/").status_code == 200, "the analyst's own pages do open"


# ---------------------------------------------------------------- meta-tests


def test_every_route_has_a_probe_case_for_its_scope(app):
    """The probe knows what to expect of every kind of route; a new kind needs a case first."""
    handled = {TENANT, PLATFORM, PUBLIC, PAGE, PLATFORM_PAGE, TENANT_ENTRY}
    unknown = {
        f"{method} {rule.rule}: {policy.scope}" for rule, method, policy in routes(app) if policy.scope not in handled
    }
    assert unknown == set()


def test_every_route_declares_its_access(app):
    missing = [f"{method} {rule.rule}" for rule, method, policy in routes(app) if policy is None]
    assert missing == [], f"routes without @access/@public: {missing}"


def test_every_route_parameter_has_a_probe_source(app):
    unknown = {
        f"{rule.rule}: {name}" for rule, _, _ in routes(app) for name in rule.arguments if name not in PARAM_SOURCES
    }
    assert unknown == set(), f"the probe cannot fill these with B's ids; add them to PARAM_SOURCES: {unknown}"


def test_every_tenant_route_is_under_the_tenant_prefix(app):
    wrong = [
        rule.rule
        for rule, _, policy in routes(app)
        if policy.scope == TENANT and not rule.rule.startswith("/api/v1/t/<tenant>")
    ]
    assert wrong == []


def test_probe_covers_every_path_of_the_openapi_document(app, client):
    spec = json.loads(client.get("/api/openapi.json").get_data(as_text=True))
    documented = {
        (method.upper(), path) for path, item in spec["paths"].items() for method in item if method != "parameters"
    }
    probed = set()
    for rule, method, _ in routes(app):
        path = rule.rule
        for name in rule.arguments:
            for converter in ("uuid:", "int:", ""):
                path = path.replace(f"<{converter}{name}>", "{" + name + "}")
        probed.add((method, path))
    assert documented - probed == set(), "documented operations the probe does not reach"
    assert {p for p in probed if p[1].startswith("/api/v1")} - documented == set(), "API routes missing from docs"


def test_no_route_answers_500_to_a_bad_body(world, app, client):
    """Every write route of the API, given bodies of the wrong shape, answers a clear 4xx."""
    bodies = [{}, [], "texte", {"unknown_field": 1}, {"valid_from": "hier", "quantity": "nhiều", "ids": "x"}]
    failures = []
    for rule, method, policy in routes(app):
        if policy is None or policy.scope not in (TENANT, PLATFORM) or method not in ("POST", "PUT", "PATCH"):
            continue
        for tenant_ids in ({}, world.b_ids):
            ids = {**{name: world.b_ids.get(name, "x") for name in rule.arguments}, **tenant_ids}
            path = fill(rule, world.a_slug, ids)
            for body in bodies:
                r = client.open(path, method=method, headers=world.a_headers, json=body)
                if r.status_code >= 500:
                    failures.append(f"{method} {rule.rule} {body!r} -> {r.status_code}")
                elif r.status_code >= 400 and "error" not in (r.get_json(silent=True) or {}):
                    failures.append(f"{method} {rule.rule} {body!r} -> {r.status_code} without an error body")
    assert failures == [], "\n".join(failures[:30])


def test_no_page_answers_500_to_bad_forms(world, app, client):
    """Every page that takes a form, given nonsense, answers a page with a clear message, never a 500."""
    browser_session(client, world.a_tenant, world.a_principal_id)
    app.config["WTF_CSRF_ENABLED"] = False
    forms = [
        {},
        {"item_id": "không-phải-uuid", "quantity": "nhiều", "work_date": "hôm qua"},
        {"quantity": "-3", "ids": "x", "decision": "??", "quality": "tuyệt", "month": "2025-13"},
        {"entry": ["x", "y"], "return_reason": "a" * 5000},
    ]
    failures = []
    try:
        for rule, method, policy in routes(app):
            if policy is None or policy.scope != PAGE or method != "POST":
                continue
            for form in forms:
                r = client.open(fill(rule, world.a_slug, world.b_ids), method="POST", data=form)
                if r.status_code >= 500:
                    failures.append(f"POST {rule.rule} {sorted(form)} -> {r.status_code}")
        for query in ("?month=2025-99", "?date=hôm-nay", "?q=%00", "?month=abc&date=2025-02-30"):
            for rule, method, policy in routes(app):
                if (
                    policy is not None
                    and policy.scope == PAGE
                    and method == "GET"
                    and not set(rule.arguments) - {"tenant"}
                ):
                    r = client.get(fill(rule, world.a_slug, {}) + query)
                    if r.status_code >= 500:
                        failures.append(f"GET {rule.rule}{query} -> {r.status_code}")
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert failures == [], "\n".join(failures[:30])
