"""One JSON error shape for every 4xx/5xx.

    {"error": {"code": "not_found", "message": "...", "fields": {...}, "request_id": "..."}}

`code` is stable and machine-readable; `message` is Vietnamese unless the client asks for English
(Accept-Language: en). Service functions raise DomainError subclasses (no Flask imports there);
this module turns them, and every werkzeug HTTPException, into that shape.
"""

from __future__ import annotations

import logging

import redis
from flask import Flask, current_app, jsonify, request
from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from kpi_platform.context import current_request_id

log = logging.getLogger(__name__)

# code -> (Vietnamese, English)
MESSAGES: dict[str, tuple[str, str]] = {
    "bad_request": ("Yêu cầu không hợp lệ.", "The request is not valid."),
    "validation_error": ("Dữ liệu gửi lên không hợp lệ.", "The submitted data is not valid."),
    "authentication_required": (
        "Cần đăng nhập hoặc mã truy cập hợp lệ.",
        "Sign-in or a valid access token is required.",
    ),
    "invalid_token": (
        "Mã truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi.",
        "The access token is invalid, expired or revoked.",
    ),
    "forbidden": ("Bạn không có quyền thực hiện thao tác này.", "You are not allowed to do this."),
    "tenant_suspended": (
        "Đơn vị (tỉnh) này đang bị tạm ngưng sử dụng hệ thống. Vui lòng liên hệ quản trị viên.",
        "This tenant is suspended. Please contact the platform operator.",
    ),
    "account_disabled": ("Tài khoản đã bị khóa.", "This account is disabled."),
    "not_found": ("Không tìm thấy.", "Not found."),
    "method_not_allowed": ("Phương thức không được hỗ trợ.", "Method not allowed."),
    "conflict": ("Dữ liệu bị trùng hoặc xung đột.", "The data conflicts with existing data."),
    "unsupported_media_type": (
        "Định dạng dữ liệu không được hỗ trợ; hãy gửi JSON.",
        "Unsupported media type; send JSON.",
    ),
    "payload_too_large": ("Dữ liệu gửi lên quá lớn.", "The request body is too large."),
    "too_many_requests": ("Quá nhiều yêu cầu; vui lòng thử lại sau.", "Too many requests; try again later."),
    "internal_error": (
        "Lỗi hệ thống. Vui lòng thử lại hoặc báo cho bộ phận hỗ trợ kèm mã yêu cầu.",
        "Internal error. Try again or report it to support with the request id.",
    ),
    "service_unavailable": ("Dịch vụ tạm thời không sẵn sàng.", "The service is temporarily unavailable."),
    "database_unavailable": (
        "Cơ sở dữ liệu tạm thời không truy cập được. Vui lòng thử lại sau ít phút.",
        "The database is temporarily unreachable. Please try again in a moment.",
    ),
}

STATUS_CODES = {
    400: "bad_request",
    401: "authentication_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    503: "service_unavailable",
}


class DomainError(Exception):
    """A rule of the domain was broken; carries the HTTP status the API should answer with."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message_vi: str | None = None,
        message_en: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        fields: dict | None = None,
    ) -> None:
        if code:
            self.code = code
        if status:
            self.status = status
        default_vi, default_en = MESSAGES.get(self.code, MESSAGES["bad_request"])
        self.message_vi = message_vi or default_vi
        self.message_en = message_en or default_en
        self.fields = fields
        self.headers: dict[str, str] = {}
        super().__init__(self.message_en)


def invalid(field: str, message_vi: str, message_en: str, code: str = "validation_error", *, detail=None) -> Invalid:
    """A bad field: 422 with `code`, the message in both languages, and the field named (its detail
    is the English message unless a short one is given, such as "unknown" or "required")."""
    return Invalid(message_vi, message_en, code=code, fields={field: [detail if detail is not None else message_en]})


def row_error(
    row: int,
    fields: dict,
    message_en: str = "Invalid row.",
    message_vi: str = "Dòng không hợp lệ.",
    code: str = "validation_error",
) -> dict:
    """One bad row of a request that acts on many (bulk creation, a review's decisions, a month's
    plan): rows are numbered from 1. Every such request answers with this one shape."""
    return {"row": row, "code": code, "fields": fields, "message": message_en, "message_vi": message_vi}


def row_error_of(row: int, error: DomainError) -> dict:
    return row_error(row, error.fields or {}, error.message_en, error.message_vi, error.code)


def bulk_failed(errors: list[dict], what_vi: str = "dòng", what_en: str = "rows") -> Invalid:
    """All or nothing: the rows' errors, and nothing saved."""
    return Invalid(
        f"{len(errors)} {what_vi} có lỗi; chưa có gì được lưu.",
        f"{len(errors)} {what_en} have errors; nothing was saved.",
        fields={"rows": errors},
    )


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Invalid(DomainError):
    status = 422
    code = "validation_error"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "authentication_required"


class Unavailable(DomainError):
    """A part the request needs (the database, Redis, the broker) cannot be reached: an outage, not
    a bug. Answered 503 with Retry-After, as JSON on the API and as a page on pages."""

    status = 503
    code = "service_unavailable"

    def __init__(self, code: str = "service_unavailable", retry_after: int = 5) -> None:
        super().__init__(code=code)
        self.headers["Retry-After"] = str(retry_after)


def wants_english() -> bool:
    return request.accept_languages.best_match(["vi", "en"], default="vi") == "en"


def error_body(code: str, *, message_vi: str | None = None, message_en: str | None = None, fields=None):
    default_vi, default_en = MESSAGES.get(code, MESSAGES["bad_request"])
    message = (message_en or default_en) if wants_english() else (message_vi or default_vi)
    body = {"code": code, "message": message, "request_id": current_request_id()}
    if fields:
        body["fields"] = fields
    return {"error": body}


def error_response(status: int, code: str, **kwargs):
    response = jsonify(error_body(code, **kwargs))
    response.status_code = status
    return response


def handle_domain_error(error: DomainError):
    response = error_response(
        error.status, error.code, message_vi=error.message_vi, message_en=error.message_en, fields=error.fields
    )
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="kpi-platform"'
    response.headers.update(error.headers)
    return response


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    if status >= 500:
        log.error("HTTP %s on %s %s", status, request.method, request.path)
        return error_response(status, "service_unavailable" if status == 503 else "internal_error")
    data = getattr(error, "data", None) or {}
    fields = data.get("errors") or data.get("messages")
    # webargs nests field errors by location ({"json": {...}}); a body's fields are what users fix.
    if isinstance(fields, dict) and set(fields) <= {"json", "query", "form", "files", "headers", "view_args"}:
        location = next((name for name in ("json", "query", "form") if fields.get(name)), None)
        fields = fields[location] if location else fields
        if not isinstance(fields, dict):  # ["Invalid JSON body."]: about the body as a whole
            fields = {location or "request": fields}
    code = data.get("code") or STATUS_CODES.get(status, "bad_request")
    response = error_response(status, code, fields=fields)
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def handle_unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    log.exception("unhandled error (request id %s)", current_request_id())
    return error_response(500, "internal_error")


def handle_integrity_error(error: IntegrityError):
    # A safety net: services check their rules first, but a constraint the database enforces must
    # still answer as a conflict, never as a 500.
    log.warning(
        "integrity error reached the handler (request id %s): constraint %s",
        current_request_id(),
        _diag(error, "constraint_name"),
    )
    return error_response(409, "conflict")


def handle_data_error(error: DataError):
    # The database's message quotes the offending value (personal data, perhaps): log its SQLSTATE.
    log.warning(
        "data error reached the handler (request id %s): sqlstate %s", current_request_id(), _diag(error, "sqlstate")
    )
    return error_response(422, "validation_error")


def _diag(error: DBAPIError, name: str) -> str | None:
    diag = getattr(error.orig, "diag", None)
    return getattr(diag, name, None) if diag is not None else getattr(error.orig, name, None)


def _retry_after() -> int:
    return current_app.config["SETTINGS"].outage_retry_after_seconds


def _lost_connection(error: DBAPIError) -> bool:
    """OperationalError and InterfaceError are the DB-API's "the connection or server failed" classes;
    anything else counts only when SQLAlchemy saw the connection die under it."""
    return isinstance(error, (OperationalError, InterfaceError)) or bool(error.connection_invalidated)


def handle_database_error(error: DBAPIError):
    if not _lost_connection(error):
        return handle_unexpected(error)
    log.warning("database unavailable (request id %s): %s", current_request_id(), type(error.orig).__name__)
    from kpi_platform.db import db

    # Give the dead connection back (the pool's pre-ping replaces it next time). Closing, not rolling
    # back, keeps what was loaded (the tenant's name for the page) readable without the database.
    db.remove_session()
    # Through handle_user_exception, so a page answers with the page's own error page.
    return current_app.handle_user_exception(Unavailable("database_unavailable", _retry_after()))


def handle_redis_error(error: Exception):
    log.warning("redis or broker unavailable (request id %s): %s", current_request_id(), type(error).__name__)
    return current_app.handle_user_exception(Unavailable("service_unavailable", _retry_after()))


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(DataError, handle_data_error)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(redis.ConnectionError, handle_redis_error)
    app.register_error_handler(redis.TimeoutError, handle_redis_error)
    app.register_error_handler(BrokerError, handle_redis_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
