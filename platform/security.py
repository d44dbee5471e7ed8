"""What the app trusts and sends about the web around it: which proxies may speak for the client,
the public address absolute URLs are built on, and the security headers of every response.

- X-Forwarded-For/-Proto/-Host/-Port are read only when KPI_PROXY_COUNT says how many proxies set
  them (werkzeug's ProxyFix, trusting that many hops); otherwise the client's own address counts.
- Absolute URLs (`url_for(..., _external=True)`: the e-document webhook URL, the SSO redirect and
  logout URLs) are built on KPI_PUBLIC_URL, never on the request's Host header.
- Every response carries nosniff, frame protection, a referrer policy and a Content-Security-Policy
  (HSTS too when KPI_HSTS_SECONDS is set, as it is by default in production).
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

# Pages: styles inline in base.html, the pages' own script file. Swagger UI (/api/docs) starts from
# an inline script of flask-smorest's template, hence 'unsafe-inline' for scripts there only.
PAGE_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
# JSON and files: nothing in them may run or be framed.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
DOCS_PATHS = ("/api/docs", "/api/swagger-ui/")


class KpiFlask(Flask):
    """Flask whose absolute URLs start with the configured public address."""

    def url_for(self, endpoint, *, _anchor=None, _method=None, _scheme=None, _external=None, **values):
        public = self.config["SETTINGS"].public_url
        if _external and public:
            path = super().url_for(endpoint, _anchor=_anchor, _method=_method, _external=False, **values)
            return public + path
        return super().url_for(
            endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external, **values
        )


def _content_security_policy(response) -> str:
    if request.path.startswith(DOCS_PATHS):
        return DOCS_CSP
    if response.mimetype == "text/html":
        return PAGE_CSP
    return API_CSP


def init_app(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    if settings.proxy_count:
        n = settings.proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Content-Security-Policy", _content_security_policy(response))
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if settings.hsts_seconds:
            headers.setdefault("Strict-Transport-Security", f"max-age={settings.hsts_seconds}; includeSubDomains")
        return response
