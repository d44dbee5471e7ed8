"""create_app(): configuration, extensions, blueprints, CLI, error handlers."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from flask import Flask, g, request
from flask_smorest import Api
from flask_wtf.csrf import CSRFProtect

from kpi_platform import context, errors, limits, observability, openapi, security
from kpi_platform.cache import cache
from kpi_platform.config import Settings
from kpi_platform.db import db
from kpi_platform.identity.auth import authenticate_request
from kpi_platform.secrets_box import secrets_box
from kpi_platform.web import i18n

REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Every form posted to a page carries a CSRF token; the JSON API takes bearer tokens, not cookies.
csrf = CSRFProtect()


# A pack upload is a multipart body: the file (KPI_UPLOAD_MAX_BYTES at most) and a few form fields.
MULTIPART_ALLOWANCE = 64 * 1024


def _api_spec(app: Flask) -> None:
    docs = app.config["SETTINGS"].api_docs
    app.config.update(
        API_TITLE="kpi-platform",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        # KPI_API_DOCS off (the production default): neither /api/docs nor /api/openapi.json is served.
        OPENAPI_URL_PREFIX="/api" if docs else None,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/api/swagger-ui/",
    )


def _register_blueprints(api: Api, app: Flask) -> None:
    from kpi_platform.audit.api import blp as audit_blp
    from kpi_platform.benchmarking.api import blp as benchmarking_blp
    from kpi_platform.benchmarking.api import platform_blp as benchmarking_platform_blp
    from kpi_platform.catalog.api import blp as catalog_blp
    from kpi_platform.health.api import blp as health_blp
    from kpi_platform.identity.api import platform_blp as identity_platform_blp
    from kpi_platform.identity.api import tenant_blp as identity_blp
    from kpi_platform.identity.browser import bp as signin_bp
    from kpi_platform.jobs.api import blp as jobs_blp
    from kpi_platform.onboarding.api import blp as onboarding_blp
    from kpi_platform.onboarding.api import platform_blp as onboarding_platform_blp
    from kpi_platform.org.api import blp as org_blp
    from kpi_platform.scoring.api import blp as scoring_blp
    from kpi_platform.tenancy.api import tenant_blp as tenancy_blp
    from kpi_platform.web.views import bp as web_bp
    from kpi_platform.web.views import register_pages, swagger_ui
    from kpi_platform.worklog.api import blp as worklog_blp

    for blueprint in (
        identity_platform_blp,
        tenancy_blp,
        identity_blp,
        org_blp,
        catalog_blp,
        onboarding_blp,
        onboarding_platform_blp,
        worklog_blp,
        scoring_blp,
        jobs_blp,
        audit_blp,
        benchmarking_blp,
        benchmarking_platform_blp,
    ):
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)
    csrf.exempt(health_blp)
    app.register_blueprint(health_blp)
    register_pages(web_bp, signin_bp)
    app.register_blueprint(web_bp)
    app.register_blueprint(signin_bp)
    app.register_blueprint(swagger_ui)


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _refuse_nul_characters() -> None:
    """PostgreSQL text cannot hold NUL; refuse it up front instead of failing deep in a query."""
    values = [request.path, *request.args.keys(), *request.args.values()]
    if _has_nul(values) or (request.is_json and _has_nul(request.get_json(silent=True))):
        raise errors.Invalid(
            "Dữ liệu chứa ký tự NUL không hợp lệ.",
            "The request contains a NUL character.",
            fields={"request": ["NUL character"]},
        )


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    observability.configure_logging(settings.log_format)
    app = security.KpiFlask(
        "kpi_platform", root_path=str(Path(__file__).parent), instance_path=str(settings.instance_path)
    )
    app.config["SETTINGS"] = settings
    app.config.update(
        SECRET_KEY=settings.secret_key,
        ENV_NAME=settings.env,
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=settings.upload_max_bytes + MULTIPART_ALLOWANCE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not settings.is_demo,
        # Outside the demo the __Host- prefix makes browsers refuse the cookie unless it is Secure,
        # set by this host (no Domain) for the whole site.
        SESSION_COOKIE_NAME="kpi_session" if settings.is_demo else "__Host-kpi_session",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session, which has its own time-outs
    )
    app.json.ensure_ascii = False  # Vietnamese stays readable UTF-8

    db.init_app(app)
    cache.init_app(app)
    secrets_box.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    _api_spec(app)
    api = openapi.KpiApi(
        app,
        spec_kwargs={
            "info": {"description": "KPI evaluation of officials, one tenant per province."},
            # Every documented operation takes a bearer token, so "Authorize" in /api/docs applies to all.
            "security": [{"bearer": []}],
        },
    )
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    openapi.init_app(app, api)
    app.extensions["kpi_api"] = api
    errors.register_error_handlers(app)

    @app.url_value_preprocessor
    def _take_tenant_slug(endpoint, values):
        if values and "tenant" in values:
            g.tenant_slug = values.pop("tenant")

    @app.url_defaults
    def _add_tenant_slug(endpoint, values):
        if "tenant_slug" in g and "tenant" not in values and app.url_map.is_endpoint_expecting(endpoint, "tenant"):
            values["tenant"] = g.tenant_slug

    @app.before_request
    def _start_request():
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex
        g.kpi_request_id_token = context.set_request_id(request_id)
        _refuse_nul_characters()
        limits.refuse_after_failed_authentication()
        authenticate_request()
        openapi.keep_to_the_document()

    @app.after_request
    def _finish_request(response):
        request_id = context.current_request_id()
        if request_id:
            response.headers["X-Request-ID"] = request_id
        if request.path.startswith("/api/v1"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.teardown_request
    def _end_request(exc):
        db.remove_session()
        for name, reset in (
            ("kpi_actor_token", context.reset_actor),
            ("kpi_tenant_token", lambda token: context.reset_tenant(token, sync=False)),
            ("kpi_request_id_token", context.reset_request_id),
        ):
            token = g.pop(name, None)
            if token is not None:
                reset(token)

    _register_blueprints(api, app)
    # After the before_request that authenticates: the per-principal limits know the principal.
    limits.init_app(app)
    security.init_app(app)

    from kpi_platform.celery_app import celery_init_app

    celery_init_app(app)
    observability.init_app(app)
    return app
