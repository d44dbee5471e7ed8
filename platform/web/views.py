"""Pages. Business rules stay in the services; views gather what a page shows."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, g, redirect, render_template, request, send_from_directory, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from kpi_platform import errors
from kpi_platform.context import SYSTEM_TENANT_SLUG
from kpi_platform.db import db
from kpi_platform.errors import MESSAGES, STATUS_CODES, DomainError
from kpi_platform.org import service as org
from kpi_platform.policy import LoginRequired, page, public
from kpi_platform.roles import role_name
from kpi_platform.tenancy import service as tenancy
from kpi_platform.web import admin_pages, benchmarking_pages, official_pages, review_pages  # noqa: F401 (routes)
from kpi_platform.web.blueprint import bp, swagger_ui
from kpi_platform.web.common import home_endpoint, nav_links
from kpi_platform.web.i18n import current_language

__all__ = ["bp", "register_pages", "swagger_ui"]
STATIC = Path(__file__).parent / "static"


@bp.app_context_processor
def page_context() -> dict:
    """Who and where, for the header of every page."""
    tenant = g.get("tenant")
    return {
        "tenant": tenant if tenant is not None and tenant.slug != SYSTEM_TENANT_SLUG else None,
        "principal": g.get("principal"),
        "nav_links": nav_links,
    }


# The pages' own style sheet and script. Fixed routes (no path parameter): nothing else is served.
@bp.get("/assets/pages.css")
@public
def stylesheet():
    return send_from_directory(STATIC, "pages.css", max_age=3600)


@bp.get("/assets/pages.js")
@public
def script():
    return send_from_directory(STATIC, "pages.js", max_age=3600)


@bp.get("/assets/favicon.svg")
@public
def favicon():
    return send_from_directory(STATIC, "favicon.svg", max_age=86400)


@bp.get("/")
@public
def index():
    settings = current_app.config["SETTINGS"]
    # The list of provinces is for the demo and test sites; in production each province has its own address.
    tenants = db.session.scalars(tenancy.list_tenants()).all() if settings.tenant_list else []
    demo_tokens = None
    if settings.is_demo:
        path = settings.instance_path / "demo-tokens.txt"
        demo_tokens = path.read_text(encoding="utf-8") if path.exists() else None
    return render_template("index.html", tenants=tenants, settings=settings, demo_tokens=demo_tokens)


@bp.get("/t/<tenant>/")
@page()
def tenant_home():
    return redirect(url_for(home_endpoint()))


@bp.get("/t/<tenant>/me")
@page()
def me():
    principal = g.principal
    official = org.official_for_principal(principal.id)
    posts = org.current_posts(official.id, tenancy.tenant_today()) if official else []
    language = current_language()
    roles = [role_name(role, language) for role in principal.roles]
    return render_template(
        "me.html", principal=principal, official=official, posts=posts, roles=roles, login=g.login_session
    )


# ---------------------------------------------------------------- errors on pages are pages


def _error_page(status: int, code: str, message_vi: str | None = None, message_en: str | None = None):
    default_vi, default_en = MESSAGES.get(code, MESSAGES["bad_request"])
    english = current_language() == "en"
    message = (message_en or default_en) if english else (message_vi or default_vi)
    return render_template("error.html", status=status, code=code, message=message), status


def page_domain_error(error: DomainError):
    if isinstance(error, LoginRequired) and "tenant" in g:
        return redirect(url_for("signin.login", tenant=g.tenant.slug, next=request.full_path.rstrip("?")))
    if error.status == 503:
        g.pop("principal", None)  # an outage page must not read the database for the header's links
    page, status = _error_page(error.status, error.code, error.message_vi, error.message_en)
    return page, status, error.headers


def page_http_error(error: HTTPException):
    if isinstance(error, CSRFError):
        return _error_page(
            400,
            "csrf_failed",
            "Biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang và thử lại.",
            "The form has expired or is not valid. Reload the page and try again.",
        )
    status = error.code or 500
    return _error_page(status, STATUS_CODES.get(status, "internal_error" if status >= 500 else "bad_request"))


# The security headers (CSP, frame protection, referrer policy) of every response are set in
# kpi_platform.security; pages are not cached either.
PAGE_HEADERS = {"Cache-Control": "no-store"}


def page_headers(response):
    for name, value in PAGE_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def register_pages(*blueprints: Blueprint) -> None:
    """Errors on pages are pages, and pages are never framed or cached."""
    for blueprint in blueprints:
        blueprint.register_error_handler(DomainError, page_domain_error)
        blueprint.register_error_handler(HTTPException, page_http_error)
        blueprint.after_request(page_headers)


@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def unknown_address(error: HTTPException):
    """An address no route matches: a page under a province's pages (/t/...) or for a browser, the
    JSON error for the API and other clients."""
    wants_page = request.path.startswith("/t/") or request.accept_mimetypes.best == "text/html"
    if request.path.startswith("/api/") or not wants_page:
        return errors.handle_http_exception(error)
    return page_headers(current_app.make_response(page_http_error(error)))
