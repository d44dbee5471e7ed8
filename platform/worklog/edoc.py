"""Ingestion from the province's e-document system: a signed "document processed" event becomes a
submitted entry for the right official and item, once (by the event's id). An event whose official
or item cannot be found, or that falls in a closed month, is parked for the admin — never dropped.

Signature: header X-KPI-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>"> with the
tenant's secret, and X-KPI-Timestamp: <unix seconds> within five minutes of now. A request outside
that window (a replay) is refused; an event id seen before returns what it did the first time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import marshmallow as ma
from sqlalchemy import select

from kpi_platform.audit import service as audit
from kpi_platform.catalog.service import get_item_by_code
from kpi_platform.context import require_tenant_id
from kpi_platform.db import db, utcnow
from kpi_platform.errors import Conflict, DomainError, Invalid, NotFound, Unauthorized
from kpi_platform.org.models import Official
from kpi_platform.secrets_box import secrets_box
from kpi_platform.tenancy import service as tenancy
from kpi_platform.worklog import service as worklog
from kpi_platform.worklog.models import EdocEvent, EdocIntegration, EntrySource, EventStatus

TOLERANCE_SECONDS = 300
SIGNATURE_PREFIX = "sha256="


class BadSignature(Unauthorized):
    code = "bad_signature"


class EventSchema(ma.Schema):
    event_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    type = ma.fields.String(load_default="document.processed", validate=ma.validate.OneOf(["document.processed"]))
    document_number = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=300))
    document_type = ma.fields.String(load_default=None)
    item_code = ma.fields.String(load_default=None)
    processed_at = ma.fields.AwareDateTime(required=True, default_timezone=None)
    staff_code = ma.fields.String(load_default=None)
    email = ma.fields.String(load_default=None)
    quantity = ma.fields.Decimal(load_default=1)
    url = ma.fields.String(load_default=None, validate=ma.validate.Length(max=1000))

    class Meta:
        unknown = ma.EXCLUDE


def integration() -> EdocIntegration | None:
    return db.session.get(EdocIntegration, require_tenant_id())


def configure(*, item_map: dict[str, str] | None = None, enabled: bool = True, rotate: bool = False) -> str | None:
    """Set the integration up (or change it). Returns the new secret when one is made: shown once."""
    row = integration()
    secret = None
    if row is None or rotate:
        secret = secrets.token_urlsafe(32)
    if row is None:
        row = EdocIntegration(secret_encrypted=secrets_box.encrypt(secret), item_map={})
        db.session.add(row)
    elif secret:
        row.secret_encrypted = secrets_box.encrypt(secret)
    if item_map is not None:
        unknown = [code for code in item_map.values() if get_item_by_code(code) is None]
        if unknown:
            raise DomainError(
                f"Không có mục danh mục: {', '.join(unknown)}.",
                f"No catalog items: {', '.join(unknown)}.",
                code="validation_error",
                status=422,
                fields={"item_map": unknown},
            )
        row.item_map = dict(item_map)
    row.enabled = enabled
    db.session.flush()
    audit.record(
        "edoc.configure", "edoc_integration", None, after={"rotated": bool(secret), "types": sorted(row.item_map)}
    )
    return secret


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify(body: bytes, timestamp: str | None, signature: str | None, *, now: float | None = None) -> None:
    row = integration()
    if row is None or not row.enabled:
        raise BadSignature(
            "Tỉnh chưa bật kết nối hệ thống quản lý văn bản.", "The e-document integration is not enabled."
        )
    try:
        sent = int(timestamp or "")
    except ValueError:
        raise BadSignature("Thiếu hoặc sai X-KPI-Timestamp.", "X-KPI-Timestamp is missing or invalid.") from None
    if abs((now or time.time()) - sent) > TOLERANCE_SECONDS:
        raise BadSignature(
            "Yêu cầu quá cũ hoặc đồng hồ lệch (có thể là gửi lại).",
            "The request is too old or the clocks differ (a possible replay).",
            code="stale_request",
        )
    expected = sign(secrets_box.decrypt(row.secret_encrypted), str(sent), body)
    if not signature or not hmac.compare_digest(expected, signature):
        raise BadSignature("Chữ ký không hợp lệ.", "The signature is not valid.")


def _park(event: EdocEvent, code: str, problem: str) -> EdocEvent:
    event.status, event.problem_code, event.problem = EventStatus.parked, code, problem
    return event


def ingest(payload: dict, *, today) -> tuple[EdocEvent, bool]:
    """(event, new). A new event creates a submitted entry, or is parked with the reason."""
    try:
        data = EventSchema().load(payload)
    except ma.ValidationError as error:
        raise Invalid("Sự kiện không hợp lệ.", "The event is not valid.", fields=error.messages) from None
    seen = db.session.scalar(select(EdocEvent).where(EdocEvent.event_id == data["event_id"]))
    if seen is not None:
        return seen, False
    event = EdocEvent(event_id=data["event_id"], status=EventStatus.parked, payload=_plain(payload))
    db.session.add(event)
    _create_entry(event, data, official=_official(data), item_code=_item_code(data), today=today)
    db.session.flush()
    audit.record(
        "edoc.event",
        "edoc_event",
        event.id,
        after={"event_id": event.event_id, "status": str(event.status), "problem": event.problem_code},
    )
    return event, True


def _plain(payload: dict) -> dict:
    return {k: (str(v) if not isinstance(v, (str, int, float, bool, type(None))) else v) for k, v in payload.items()}


def _official(data: dict) -> Official | None:
    if data.get("staff_code"):
        return db.session.scalar(select(Official).where(Official.staff_code == data["staff_code"]))
    if data.get("email"):
        return db.session.scalar(select(Official).where(Official.email == data["email"].strip().lower()))
    return None


def _item_code(data: dict) -> str | None:
    if data.get("item_code"):
        return data["item_code"]
    row = integration()
    return (row.item_map if row else {}).get(data.get("document_type") or "")


def _create_entry(event: EdocEvent, data: dict, *, official, item_code, today) -> None:
    if official is None:
        _park(event, "unknown_official", "Không tìm thấy cán bộ / Unknown official")
        return
    item = get_item_by_code(item_code) if item_code else None
    if item is None:
        _park(event, "unknown_item", f"Không xác định được mục danh mục ({item_code or data.get('document_type')})")
        return
    processed: datetime = data["processed_at"]
    local_day = processed.astimezone(ZoneInfo(tenancy.get_tenant(require_tenant_id()).time_zone)).date()
    try:
        entry = worklog.log_work(
            official.id,
            local_day,
            item.id,
            data.get("quantity") or 1,
            evidence_ref=data["document_number"],
            evidence_url=data.get("url"),
            submit=True,
            source=EntrySource.edoc,
            source_event_id=event.event_id,
        )
    except DomainError as error:
        _park(event, error.code, f"{error.message_vi} / {error.message_en}")
        return
    event.status, event.entry_id, event.problem_code, event.problem = EventStatus.entry_created, entry.id, None, None


def parked():
    return select(EdocEvent).where(EdocEvent.status == EventStatus.parked).order_by(EdocEvent.received_at)


def get_event(event_id: uuid.UUID) -> EdocEvent:
    event = db.session.get(EdocEvent, (require_tenant_id(), event_id))
    if event is None:
        raise NotFound("Không tìm thấy sự kiện.", "Event not found.")
    return event


def resolve(event_id: uuid.UUID, *, by, official_id=None, item_code=None, dismiss: bool = False, today) -> EdocEvent:
    """The admin names the official and/or item a parked event lacked (the entry is created), or dismisses it."""
    event = get_event(event_id)
    if event.status != EventStatus.parked:
        raise Conflict("Sự kiện không còn chờ xử lý.", "The event is not parked.", code="not_parked")
    if dismiss:
        event.status = EventStatus.dismissed
    else:
        data = EventSchema().load(event.payload)
        official = db.session.get(Official, (require_tenant_id(), official_id)) if official_id else _official(data)
        _create_entry(event, data, official=official, item_code=item_code or _item_code(data), today=today)
        if event.status == EventStatus.parked:
            raise Conflict(
                f"Vẫn chưa tạo được công việc: {event.problem}",
                f"The entry still cannot be created: {event.problem}",
                code=event.problem_code or "still_parked",
            )
        event.status = EventStatus.resolved
    event.resolved_by, event.resolved_at = by.id, utcnow()
    db.session.flush()
    audit.record("edoc.resolve", "edoc_event", event.id, after={"status": str(event.status)})
    return event
