"""The OpenAPI document tells what the API really does, and the API keeps to its document.

- Number fields carry numeric bounds and defaults (and say when a bound is excluded).
- Every error is documented as the one envelope of errors.py, `{"error": {code, message, fields,
  request_id}}`, not flask-smorest's default `Error` schema.
- Each operation lists the statuses it can answer beyond its own: worked out here from the route
  (tenant or platform, path parameters, a body or query arguments, the method) and its access
  policy (public or not), so no endpoint has to repeat them. An endpoint can add more with
  `@answers(status, ...)`.
- `X-Pagination` is documented as what is sent: JSON text in a header.
- The request rules the document implies are enforced: a PUT/PATCH without its body is refused,
  and a scalar query parameter given twice (`?page=1&page=2`) is refused instead of one value
  being picked silently.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import marshmallow as ma
from apispec import BasePlugin
from flask import Flask, current_app, request
from flask_smorest import Api

from kpi_platform import errors

BODY_LOCATIONS = ("json",)
WRITE_METHODS = ("post", "put", "patch", "delete")
# status -> (what it means, the codes it carries)
ANSWERS: dict[int, tuple[str, str]] = {
    400: ("Bad request", "bad_request (a body that is not JSON …)"),
    401: (
        "Not authenticated",
        "authentication_required (no credentials), invalid_token (malformed, unknown, expired or revoked)",
    ),
    403: (
        "Not allowed",
        "forbidden (a role is missing), account_disabled, tenant_suspended, and the operation's own rules",
    ),
    404: ("Not found", "not_found: no such tenant or object, or one of another tenant (the same answer)"),
    409: ("Conflict", "conflict, and the operation's own rules (already done, overlapping …)"),
    413: ("Too large", "payload_too_large: the body is over KPI_UPLOAD_MAX_BYTES"),
    422: ("Invalid data", "validation_error (with `fields`), and the operation's own rules"),
    429: ("Too many requests", "too_many_requests, with Retry-After (see docs/operations.md, rate limits)"),
    503: (
        "Unavailable",
        "database_unavailable, service_unavailable (Redis, the broker), "
        "identity_provider_unavailable; with Retry-After",
    ),
}
PAGINATION_HEADER = {
    "description": "Pagination metadata as JSON text, e.g. "
    '`{"total": 42, "total_pages": 5, "first_page": 1, "last_page": 5, "page": 1, "next_page": 2}`',
    "schema": {"type": "string"},
}


class ErrorDetailSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Stable, machine-readable code"})
    message = ma.fields.String(
        required=True, metadata={"description": "For people: Vietnamese, or English with Accept-Language: en"}
    )
    request_id = ma.fields.String(allow_none=True, metadata={"description": "Quote it to support (X-Request-ID)"})
    fields = ma.fields.Dict(metadata={"description": "What is wrong with which field, when it applies"})


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorDetailSchema, required=True)


class KpiApi(Api):
    """flask-smorest Api whose errors use, and are documented as, the platform's one error shape."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return errors.handle_http_exception(error)

    def _register_pagination_header(self):
        self.spec.components.header("PAGINATION", PAGINATION_HEADER, lazy=True)


def answers(*statuses: int):
    """Declare more statuses an operation can answer than the ones worked out from its route."""

    def mark(fn):
        fn.__kpi_answers__ = (*getattr(fn, "__kpi_answers__", ()), *statuses)
        return fn

    return mark


def _view_method(app: Flask, endpoint: str, method: str):
    view = app.view_functions.get(endpoint)
    view_class = getattr(view, "view_class", None)
    return getattr(view_class, method, None) if view_class else view


def _statuses(app: Flask, rule, method: str, operation: dict) -> set[int]:
    from kpi_platform.policy import PUBLIC, TENANT_ENTRY, policy_for

    policy = policy_for(app, rule.endpoint, method.upper())
    statuses = {429, 503}
    if policy is None or policy.scope != PUBLIC:
        statuses |= {401, 403, 404} if policy is None or policy.scope != TENANT_ENTRY else {401, 404}
    if "<" in rule.rule:
        statuses.add(404)
    parameters = [p for p in operation.get("parameters", []) if isinstance(p, dict)]
    if operation.get("requestBody") or any(p.get("in") == "query" for p in parameters):
        statuses |= {400, 422}
    if method in WRITE_METHODS:
        statuses |= {409, 422}
    content = (operation.get("requestBody") or {}).get("content", {})
    if "multipart/form-data" in content:
        statuses.add(413)
    statuses |= set(getattr(_view_method(app, rule.endpoint, method), "__kpi_answers__", ()))
    return statuses


class ErrorResponsesPlugin(BasePlugin):
    """apispec plugin: adds the error statuses each operation can answer (see module doc)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def init_spec(self, spec) -> None:
        self.spec = spec
        for status, (title, codes) in ANSWERS.items():
            spec.components.response(
                f"ERROR_{status}",
                {
                    "description": f"{title}: {codes}",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
            )

    def operation_helper(self, path=None, operations=None, rule=None, **kwargs) -> None:
        if rule is None or not operations:
            return
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(_statuses(self.app, rule, method, operation)):
                if status in ANSWERS:
                    responses.setdefault(str(status), f"ERROR_{status}")


def _number(value):
    number = Decimal(value)
    return int(number) if number == number.to_integral_value() else float(number)


def numeric_bounds(self, field, ret, **kwargs) -> dict:
    """Bounds and defaults of number fields as numbers (a Decimal field's are Decimals, which the
    JSON document shows as strings, "minimum": "0", that no generator can use), and a range that
    excludes its minimum or maximum says so (OpenAPI 3.0's boolean exclusiveMinimum/Maximum)."""
    if not isinstance(field, ma.fields.Number):
        return {}
    out = {}
    for key in ("minimum", "maximum", "default"):
        if isinstance(ret.get(key), str | Decimal):  # Decimals would reach the JSON document as strings
            try:
                out[key] = _number(ret[key])
            except InvalidOperation:
                continue
    for validator in field.validators:
        if isinstance(validator, ma.validate.Range):
            if validator.min is not None and not validator.min_inclusive:
                out["exclusiveMinimum"] = True
            if validator.max is not None and not validator.max_inclusive:
                out["exclusiveMaximum"] = True
    return out


def init_app(app: Flask, api: Api) -> None:
    api.ma_plugin.converter.add_attribute_function(numeric_bounds)
    plugin = ErrorResponsesPlugin(app)
    plugin.init_spec(api.spec)
    api.spec.plugins.append(plugin)
    app.extensions["kpi_request_rules"] = {}


# ---------------------------------------------------------------- keeping to the document


def _rules_of(endpoint: str, method: str) -> tuple[bool, frozenset[str]]:
    """(a body is required, the names of the scalar query parameters) of an operation."""
    cache = current_app.extensions["kpi_request_rules"]
    key = (endpoint, method)
    if key not in cache:
        view = _view_method(current_app, endpoint, method.lower())
        doc = getattr(view, "_apidoc", {}) or {}
        body_required, scalars = False, set()
        schemas = [p for p in doc.get("arguments", {}).get("parameters", [])]
        if doc.get("pagination"):
            schemas.append(doc["pagination"]["parameters"])
        for parameter in schemas:
            schema = parameter.get("schema")
            if isinstance(schema, type):
                schema = schema()
            if parameter.get("in") in BODY_LOCATIONS and parameter.get("required"):
                body_required = True
            if parameter.get("in") == "query" and isinstance(schema, ma.Schema):
                for name, field in schema.fields.items():
                    if not isinstance(field, ma.fields.List):
                        scalars.add(field.data_key or name)
        cache[key] = (body_required, frozenset(scalars))
    return cache[key]


def keep_to_the_document() -> None:
    """After authentication, before the view parses anything: the document's request rules (see
    module doc)."""
    if request.endpoint is None or not request.path.startswith("/api/"):
        return
    body_required, scalars = _rules_of(request.endpoint, request.method)
    repeated = sorted(name for name in scalars if len(request.args.getlist(name)) > 1)
    if repeated:
        raise errors.Invalid(
            "Tham số chỉ được có một giá trị.",
            "A query parameter was given more than once.",
            fields={name: ["Only one value is allowed."] for name in repeated},
        )
    if body_required and request.method in ("PUT", "PATCH") and not request.get_data(cache=True):
        raise errors.Invalid(
            "Thiếu nội dung yêu cầu (JSON).",
            "The request needs a JSON body.",
            fields={"json": ["A body is required."]},
        )
