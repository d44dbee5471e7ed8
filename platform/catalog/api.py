"""The work catalog and job descriptions. Every member of the tenant reads them; who may draft,
approve, return or retire is decided by the service from the item's group and owning agency (the
steering committee for A/B/D, the agency's head for C), so the endpoints admit any principal and
the service answers 403 with the reason."""

from __future__ import annotations

import json
import uuid

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from kpi_platform.catalog import export, job_descriptions, service
from kpi_platform.catalog import schemas as s
from kpi_platform.db import db
from kpi_platform.org import access as org_access
from kpi_platform.pagination import page_of
from kpi_platform.policy import access, current_principal
from kpi_platform.roles import Role
from kpi_platform.tenancy import service as tenancy

blp = Blueprint(
    "catalog",
    __name__,
    url_prefix="/api/v1/t/<tenant>",
    description="Work catalog (groups A/B/C/D), norms, approvals, versions and job descriptions.",
)

DRAFTERS = service.DRAFTERS


def today():
    return tenancy.tenant_today()


def as_of(query: dict):
    return query.get("as_of") or today()


# ---------------------------------------------------------------- complexity table


@blp.route("/catalog/complexity-levels")
class ComplexityLevels(MethodView):
    @access()
    @blp.response(200, s.ComplexityLevelSchema(many=True))
    def get(self):
        """The tenant's complexity levels and coefficients"""
        return service.complexity_levels()

    @access(Role.steering_committee, Role.provincial_admin)
    @blp.arguments(s.ComplexityTableSchema)
    @blp.response(200, s.ComplexityLevelSchema(many=True))
    def put(self, data):
        """Replace the table (item versions keep the coefficient they were written with)"""
        levels = service.set_complexity_levels(data["levels"])
        db.session.commit()
        return levels


# ---------------------------------------------------------------- items


@blp.route("/catalog/items")
class Items(MethodView):
    @access()
    @blp.arguments(s.ItemListQuerySchema, location="query")
    @blp.response(200, s.ItemSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Search the catalog (diacritics-insensitive) and filter by group, field, status, agency, position"""
        filters = {k: query.get(k) for k in ("q", "group", "field", "status", "agency_id", "position_id")}
        day = as_of(query)
        items = page_of(service.search(day=day, **filters), pagination_parameters)
        return [service.item_out(view) for view in service.views(items, day)]

    @access(*DRAFTERS)
    @blp.arguments(s.ItemCreateSchema)
    @blp.response(201, s.ItemSchema)
    def post(self, data):
        """Draft a new item (its first version); submit it for approval next"""
        item = service.create_item(by=current_principal(), **data)
        out = service.item_out(service.item_view(item, data["valid_from"]))
        db.session.commit()
        return out


def _item_response(item_id: uuid.UUID):
    out = service.item_out(service.item_view(service.get_item(item_id), today()))
    db.session.commit()
    return out


@blp.route("/catalog/items/<uuid:item_id>")
class ItemById(MethodView):
    @access()
    @blp.arguments(s.AsOfQuerySchema, location="query")
    @blp.response(200, s.ItemSchema)
    def get(self, query, item_id):
        """An item with the version in force on a day and any pending change"""
        return service.item_out(service.item_view(service.get_item(item_id), as_of(query)))


@blp.route("/catalog/items/<uuid:item_id>/draft")
class ItemDraft(MethodView):
    @access(*DRAFTERS)
    @blp.arguments(s.DraftChangeSchema)
    @blp.response(200, s.ItemSchema)
    def patch(self, data, item_id):
        """Edit the draft or returned version"""
        service.update_draft(item_id, data, by=current_principal())
        return _item_response(item_id)


@blp.route("/catalog/items/<uuid:item_id>/versions")
class ItemVersions(MethodView):
    @access()
    @blp.response(200, s.VersionSchema(many=True))
    def get(self, item_id):
        """The item's history: every version with who submitted and decided it"""
        return service.versions(item_id)

    @access(*DRAFTERS)
    @blp.arguments(s.ProposeSchema)
    @blp.response(201, s.ItemSchema)
    def post(self, data, item_id):
        """Propose a change to an approved item (norm, complexity …) effective from a date"""
        valid_from = data.pop("valid_from")
        service.propose_change(item_id, data, valid_from=valid_from, by=current_principal())
        return _item_response(item_id)


@blp.route("/catalog/items/<uuid:item_id>/submit")
class ItemSubmit(MethodView):
    @access(*DRAFTERS)
    @blp.response(200, s.ItemSchema)
    def post(self, item_id):
        """Submit the draft for approval"""
        service.submit(item_id, by=current_principal())
        return _item_response(item_id)


@blp.route("/catalog/items/<uuid:item_id>/approve")
class ItemApprove(MethodView):
    @access()
    @blp.response(200, s.ItemSchema)
    def post(self, item_id):
        """Approve the submitted version (steering committee for A/B/D, the agency's head for C)"""
        service.approve(item_id, by=current_principal())
        return _item_response(item_id)


@blp.route("/catalog/items/<uuid:item_id>/return")
class ItemReturn(MethodView):
    @access()
    @blp.arguments(s.ReturnSchema)
    @blp.response(200, s.ItemSchema)
    def post(self, data, item_id):
        """Return the submitted version with a reason"""
        service.return_version(item_id, by=current_principal(), reason=data["reason"])
        return _item_response(item_id)


@blp.route("/catalog/items/<uuid:item_id>/retire")
class ItemRetire(MethodView):
    @access()
    @blp.arguments(s.RetireSchema)
    @blp.response(200, s.ItemSchema)
    def post(self, data, item_id):
        """Retire an item from a date (no logging from then on; the past keeps its versions)"""
        service.retire(item_id, by=current_principal(), retired_on=data["retired_on"], reason=data.get("reason"))
        return _item_response(item_id)


# ---------------------------------------------------------------- export


@blp.route("/catalog/export")
class Export(MethodView):
    @access()
    @blp.arguments(s.ExportQuerySchema, location="query")
    @blp.response(200, description="xlsx, csv (UTF-8 with BOM) or json")
    def get(self, query):
        """The approved catalog in force on a day, as Excel, CSV or JSON"""
        day = as_of(query)
        rows = export.approved_rows(day)
        name = f"danh-muc-{day.isoformat()}"
        if query["format"] == "json":
            return Response(_json(rows), mimetype="application/json")
        if query["format"] == "csv":
            body, mimetype = export.to_csv(rows), "text/csv; charset=utf-8"
        else:
            body = export.to_xlsx(rows, day)
            mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        disposition = f'attachment; filename="{name}.{query["format"]}"'
        return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})


def _json(rows: list[dict]) -> str:
    return json.dumps(rows, ensure_ascii=False, default=str)


# ---------------------------------------------------------------- job descriptions


@blp.route("/catalog/job-descriptions")
class JobDescriptions(MethodView):
    @access()
    @blp.arguments(s.JobDescriptionListQuerySchema, location="query")
    @blp.response(200, s.JobDescriptionSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Job descriptions, with the version in force on a day and any pending change"""
        stmt = job_descriptions.list_job_descriptions(
            position_id=query.get("position_id"), agency_id=query.get("agency_id")
        )
        return job_descriptions.views(page_of(stmt, pagination_parameters), as_of(query))

    @access(*DRAFTERS)
    @blp.arguments(s.JobDescriptionCreateSchema)
    @blp.response(201, s.JobDescriptionSchema)
    def post(self, data):
        """Draft a position's description: tenant-wide (A/B/D items) or an agency's own (its C items)"""
        jd = job_descriptions.create(
            position_id=data["position_id"],
            agency_id=data.get("agency_id"),
            lines_=data["lines"],
            valid_from=data["valid_from"],
            by=current_principal(),
        )
        return _jd_response(jd.id)


def _jd_response(jd_id: uuid.UUID):
    out = job_descriptions.view(job_descriptions.get(jd_id), today())
    db.session.commit()
    return out


@blp.route("/catalog/job-descriptions/<uuid:jd_id>")
class JobDescriptionById(MethodView):
    @access()
    @blp.arguments(s.AsOfQuerySchema, location="query")
    @blp.response(200, s.JobDescriptionSchema)
    def get(self, query, jd_id):
        """A job description with its lines"""
        return job_descriptions.view(job_descriptions.get(jd_id), as_of(query))


@blp.route("/catalog/job-descriptions/<uuid:jd_id>/versions")
class JobDescriptionVersions(MethodView):
    @access()
    @blp.response(200, s.JdVersionSchema(many=True))
    def get(self, jd_id):
        """Every version of the description, with its lines"""
        return job_descriptions.versions_with_lines(jd_id)

    @access(*DRAFTERS)
    @blp.arguments(s.JobDescriptionProposeSchema)
    @blp.response(201, s.JobDescriptionSchema)
    def post(self, data, jd_id):
        """Propose a new version (the full list of lines) effective from a date"""
        job_descriptions.propose(
            jd_id, lines_=data["lines"], valid_from=data["valid_from"], by=current_principal(), note=data.get("note")
        )
        return _jd_response(jd_id)


@blp.route("/catalog/job-descriptions/<uuid:jd_id>/draft")
class JobDescriptionDraft(MethodView):
    @access(*DRAFTERS)
    @blp.arguments(s.JobDescriptionEditSchema)
    @blp.response(200, s.JobDescriptionSchema)
    def patch(self, data, jd_id):
        """Edit the draft or returned version"""
        job_descriptions.edit(
            jd_id, by=current_principal(), lines_=data.get("lines"), valid_from=data.get("valid_from")
        )
        return _jd_response(jd_id)


@blp.route("/catalog/job-descriptions/<uuid:jd_id>/submit")
class JobDescriptionSubmit(MethodView):
    @access(*DRAFTERS)
    @blp.response(200, s.JobDescriptionSchema)
    def post(self, jd_id):
        """Submit the draft for approval"""
        job_descriptions.submit(jd_id, by=current_principal())
        return _jd_response(jd_id)


@blp.route("/catalog/job-descriptions/<uuid:jd_id>/approve")
class JobDescriptionApprove(MethodView):
    @access()
    @blp.response(200, s.JobDescriptionSchema)
    def post(self, jd_id):
        """Approve the submitted version"""
        job_descriptions.approve(jd_id, by=current_principal())
        return _jd_response(jd_id)


@blp.route("/catalog/job-descriptions/<uuid:jd_id>/return")
class JobDescriptionReturn(MethodView):
    @access()
    @blp.arguments(s.ReturnSchema)
    @blp.response(200, s.JobDescriptionSchema)
    def post(self, data, jd_id):
        """Return the submitted version with a reason"""
        job_descriptions.return_version(jd_id, by=current_principal(), reason=data["reason"])
        return _jd_response(jd_id)


# ---------------------------------------------------------------- what an official may log


def _allowed(official_id: uuid.UUID, day) -> list[dict]:
    rows = db.session.execute(job_descriptions.allowed_items(official_id, day))
    return [
        {
            "item_id": item.id,
            "code": item.code,
            "group": item.item_group,
            "name_vi": version.name_vi,
            "output_unit": version.output_unit,
            "norm_minutes": version.norm_minutes,
            "complexity": version.complexity,
            "complexity_coefficient": version.complexity_coefficient,
            "version_id": version.id,
            "version": version.number,
            "has_deadline": version.has_deadline,
        }
        for item, version in rows
    ]


@blp.route("/officials/<uuid:official_id>/allowed-items")
class AllowedItems(MethodView):
    @access()
    @blp.arguments(s.AsOfQuerySchema, location="query")
    @blp.response(200, s.AllowedItemSchema(many=True))
    def get(self, query, official_id):
        """What the official may log on a day: the items of their current job descriptions"""
        org_access.require_visible(current_principal(), official_id, today())
        return _allowed(official_id, as_of(query))


@blp.route("/me/allowed-items")
class MyAllowedItems(MethodView):
    @access()
    @blp.arguments(s.AsOfQuerySchema, location="query")
    @blp.response(200, s.AllowedItemSchema(many=True))
    def get(self, query):
        """What I may log on a day"""
        official = org_access.require_own_official(current_principal())
        return _allowed(official.id, as_of(query))
