"""Work logging and review through the API.

Officials log, edit and submit their own entries (the account must be linked to an official);
reviewers — the officials named as reviewer, heads of units — see their queue with anomaly flags
and approve or return many entries in one request; unit heads also get what was left unreviewed
too long under them; provincial admins keep the calendar, close months and run the e-document
integration, whose webhook is signed rather than signed in.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from flask import request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import and_

from kpi_platform.catalog import schemas as catalog_schemas
from kpi_platform.catalog import service as catalog
from kpi_platform.db import db
from kpi_platform.errors import DomainError, Invalid, NotFound
from kpi_platform.org import access as org_access
from kpi_platform.org import service as org
from kpi_platform.pagination import page_of
from kpi_platform.policy import access, current_principal, current_tenant, tenant_entry
from kpi_platform.roles import Role
from kpi_platform.tenancy import service as tenancy
from kpi_platform.worklog import calendar, calibration, edoc, service
from kpi_platform.worklog import schemas as s
from kpi_platform.worklog.models import WorkEntry
from kpi_platform.worklog.presenter import entry_views

blp = Blueprint(
    "worklog",
    __name__,
    url_prefix="/api/v1/t/<tenant>",
    description="Daily work entries, review, the working calendar, closing months, e-document ingestion.",
)
ADMIN = Role.provincial_admin
MAX_FLAGGED_QUEUE = 5000


def today():
    return tenancy.tenant_today()


def my_official():
    return org_access.require_own_official(current_principal())


def visible_official(official_id):
    return org_access.require_visible(current_principal(), official_id, today())


def views(entries: list[WorkEntry], *, flags: bool = False) -> list[dict]:
    return entry_views(entries, today(), flags=flags)


# ---------------------------------------------------------------- entries


@blp.route("/worklog/entries")
class Entries(MethodView):
    @access()
    @blp.arguments(s.EntryListQuerySchema, location="query")
    @blp.response(200, s.EntrySchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Entries of one official (default: yourself; reviewers and unit heads see those they may see)"""
        official_id = query.get("official_id")
        if official_id is None:
            official_id = my_official().id
        else:
            visible_official(official_id)
        stmt = service.entries_of(
            [official_id], date_from=query.get("date_from"), date_to=query.get("date_to"), state=query.get("state")
        )
        return views(page_of(stmt, pagination_parameters))

    @access()
    @blp.arguments(s.EntryCreateSchema)
    @blp.response(201, s.EntrySchema)
    def post(self, data):
        """Log work from your own job descriptions. Send an Idempotency-Key header so a retry never logs twice."""
        key = (request.headers.get("Idempotency-Key") or "").strip()[:100] or None
        entry = service.log_entry(
            my_official().id,
            data.pop("work_date"),
            data.pop("item_id"),
            data.pop("quantity"),
            today=today(),
            idempotency_key=key,
            by=current_principal(),
            **data,
        )
        db.session.commit()
        return views([entry])[0]


@blp.route("/worklog/entries/<uuid:work_entry_id>")
class EntryById(MethodView):
    @access()
    @blp.response(200, s.EntrySchema)
    def get(self, work_entry_id):
        """One entry (yours, or one you may see)"""
        entry = service.get_entry(work_entry_id)
        visible_official(entry.official_id)
        return views([entry], flags=True)[0]

    @access()
    @blp.arguments(s.EntryFieldsSchema)
    @blp.response(200, s.EntrySchema)
    def patch(self, data, work_entry_id):
        """Change your draft or returned entry"""
        service.own_entry(my_official().id, work_entry_id)
        entry = service.update_entry(work_entry_id, data, today=today(), by=current_principal())
        db.session.commit()
        return views([entry])[0]

    @access()
    @blp.response(204)
    def delete(self, work_entry_id):
        """Delete your draft"""
        service.own_entry(my_official().id, work_entry_id)
        service.delete_entry(work_entry_id)
        db.session.commit()


@blp.route("/worklog/entries/submit")
class Submit(MethodView):
    @access()
    @blp.arguments(s.IdsSchema)
    @blp.response(200, s.EntrySchema(many=True))
    def post(self, data):
        """Submit your drafts (or resubmit returned entries) for review"""
        entries = service.submit(my_official().id, data["ids"])
        db.session.commit()
        return views(entries)


@blp.route("/worklog/day")
class Day(MethodView):
    @access()
    @blp.arguments(s.DayQuerySchema, location="query")
    @blp.response(200, s.DaySchema)
    def get(self, query):
        """Your day: its entries, the standard time claimed against the cap, whether it is a working day"""
        official = my_official()
        day = query.get("date") or today()
        entries = db.session.scalars(service.entries_of([official.id], date_from=day, date_to=day)).all()
        return {**service.day_summary(official.id, day), "entries": views(entries)}


# ---------------------------------------------------------------- review


@blp.route("/worklog/review-queue")
class ReviewQueue(MethodView):
    @access()
    @blp.arguments(s.QueueQuerySchema, location="query")
    @blp.response(200, s.EntrySchema(many=True))
    @blp.paginate(max_page_size=1000)
    def get(self, query, pagination_parameters):
        """Submitted entries waiting for your review (and, for unit heads, overdue ones below), with anomaly flags"""
        stmt = service.review_queue(
            current_principal(),
            today(),
            official_id=query.get("official_id"),
            date_from=query.get("date_from"),
            date_to=query.get("date_to"),
            item_id=query.get("item_id"),
        )
        order = {
            "official": (org.Official.sort_key, WorkEntry.work_date, WorkEntry.submitted_at),
            "date": (WorkEntry.work_date, org.Official.sort_key),
            "submitted": (WorkEntry.submitted_at,),
        }[query["sort"]]
        stmt = stmt.join(
            org.Official, and_(org.Official.tenant_id == WorkEntry.tenant_id, org.Official.id == WorkEntry.official_id)
        ).order_by(*order, WorkEntry.id)
        if not query.get("flagged"):
            return views(page_of(stmt, pagination_parameters), flags=True)
        # Flags are computed, not stored: flag the whole queue (a team's backlog), then page the flagged.
        flagged = [e for e in views(db.session.scalars(stmt.limit(MAX_FLAGGED_QUEUE)).all(), flags=True) if e["flags"]]
        pagination_parameters.item_count = len(flagged)
        first = pagination_parameters.first_item
        return flagged[first : first + pagination_parameters.page_size]


@blp.route("/worklog/review")
class Review(MethodView):
    @access()
    @blp.arguments(s.ReviewSchema)
    @blp.response(200, s.ReviewResultSchema)
    def post(self, data):
        """Approve (with a quality level) or return (with a reason) many entries in one request, all or nothing"""
        decisions = data.get("decisions") or [
            {"id": entry_id, "decision": data["decision"], "quality": data.get("quality"), "reason": data.get("reason")}
            for entry_id in data["ids"]
        ]
        result = service.review(current_principal(), decisions, today=today())
        db.session.commit()
        return result


# ---------------------------------------------------------------- calendar and periods


@blp.route("/worklog/calendar")
class Calendar(MethodView):
    @access()
    @blp.arguments(s.CalendarQuerySchema, location="query")
    @blp.response(200, s.CalendarDaySchema(many=True))
    def get(self, query):
        """Holidays and worked weekend days of a year (the national defaults and the province's own)"""
        year = query.get("year") or today().year
        special = calendar.exceptions(date(year, 1, 1), date(year, 12, 31))
        return [{"day": day, "kind": str(kind), "name": name} for day, (kind, name) in sorted(special.items())]

    @access(ADMIN)
    @blp.arguments(s.CalendarDaySchema)
    @blp.response(200, s.CalendarDaySchema)
    def put(self, data):
        """Add or change a day: a holiday, or a weekend day worked"""
        row = calendar.set_day(data["day"], data["kind"], data["name"])
        db.session.commit()
        return {"day": row.day, "kind": str(row.kind), "name": row.name}


@blp.route("/worklog/periods")
class Periods(MethodView):
    @access()
    @blp.response(200, s.PeriodSchema(many=True))
    def get(self):
        """Closed months"""
        return db.session.scalars(service.closed_months()).all()


# ---------------------------------------------------------------- norm calibration (under the catalog's URLs)


@blp.route("/catalog/calibration")
class Calibration(MethodView):
    @access(*catalog.CALIBRATORS)
    @blp.arguments(catalog_schemas.CalibrationQuerySchema, location="query")
    @blp.response(200, catalog_schemas.CalibrationSchema(many=True))
    def get(self, query):
        """Per item: the norm, the median and spread of reported minutes per unit, a suggested norm"""
        date_to = query.get("date_to") or today()
        return calibration.calibrate(
            query.get("date_from") or date_to - timedelta(days=calibration.DEFAULT_PILOT_DAYS),
            date_to,
            min_entries=query["min_entries"],
            group=query.get("group"),
            agency_id=query.get("agency_id"),
        )


@blp.route("/catalog/items/<uuid:item_id>/calibration/accept")
class AcceptCalibration(MethodView):
    @access(*catalog.DRAFTERS)
    @blp.arguments(catalog_schemas.AcceptCalibrationSchema)
    @blp.response(201, catalog_schemas.ItemSchema)
    def post(self, data, item_id):
        """Accept a suggested norm: a new version, submitted for the normal approval"""
        calibration.accept(item_id, by=current_principal(), **data)
        out = catalog.item_out(catalog.item_view(catalog.get_item(item_id), today()))
        db.session.commit()
        return out


# ---------------------------------------------------------------- e-document integration


@blp.route("/worklog/edoc/integration")
class EdocIntegration(MethodView):
    @access(ADMIN)
    @blp.response(200, s.EdocConfigOutSchema)
    def get(self):
        """The integration's settings (the secret is never shown again)"""
        row = edoc.integration()
        if row is None:
            raise NotFound(
                "Chưa cấu hình kết nối hệ thống quản lý văn bản.", "The e-document integration is not set up."
            )
        return _edoc_out(row, None)

    @access(ADMIN)
    @blp.arguments(s.EdocConfigSchema)
    @blp.response(200, s.EdocConfigOutSchema)
    def put(self, data):
        """Set it up, map document types to items, or rotate the secret (returned once)"""
        secret = edoc.configure(item_map=data.get("item_map"), enabled=data["enabled"], rotate=data["rotate_secret"])
        db.session.commit()
        return _edoc_out(edoc.integration(), secret)


def _edoc_out(row, secret):
    webhook = url_for("worklog.EdocEvents", tenant=current_tenant().slug, _external=True)
    return {"enabled": row.enabled, "item_map": row.item_map, "webhook_url": webhook, "secret": secret}


@blp.route("/worklog/edoc/events")
class EdocEvents(MethodView):
    @tenant_entry
    @blp.response(200, s.EdocEventSchema)
    def post(self):
        """The e-document system's webhook: a signed "document processed" event (see the module doc)"""
        body = request.get_data(cache=True)
        edoc.verify(body, request.headers.get("X-KPI-Timestamp"), request.headers.get("X-KPI-Signature"))
        try:
            payload = json.loads(body)
        except ValueError:
            raise Invalid("Nội dung không phải JSON.", "The body is not JSON.", code="invalid_json") from None
        if not isinstance(payload, dict):
            raise Invalid("Nội dung phải là một đối tượng JSON.", "The body must be a JSON object.")
        try:
            event, _new = edoc.ingest(payload, today=today())
        except DomainError:
            db.session.rollback()
            raise
        db.session.commit()
        return event


@blp.route("/worklog/edoc/parked")
class EdocParked(MethodView):
    @access(ADMIN)
    @blp.response(200, s.EdocEventSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """Events that could not become entries (unknown official or item, closed month …)"""
        return page_of(edoc.parked(), pagination_parameters)


@blp.route("/worklog/edoc/parked/<uuid:event_id>")
class EdocResolve(MethodView):
    @access(ADMIN)
    @blp.arguments(s.ResolveSchema)
    @blp.response(200, s.EdocEventSchema)
    def post(self, data, event_id):
        """Name the official and/or item the event lacked (its entry is created), or dismiss it"""
        event = edoc.resolve(event_id, by=current_principal(), today=today(), **data)
        db.session.commit()
        return event
