"""Org tree, job positions and officials. Provincial admins manage; every member of the tenant
reads the org chart and positions; officials are read by admins and oversight roles in full, by
unit heads and managers within their own subtree, and by an official for themself."""

from __future__ import annotations

from datetime import date

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from kpi_platform.db import db
from kpi_platform.errors import NotFound, bulk_failed, row_error
from kpi_platform.org import access as org_access
from kpi_platform.org import schemas as s
from kpi_platform.org import service
from kpi_platform.org.models import Assignment
from kpi_platform.pagination import page_of
from kpi_platform.policy import access, current_principal
from kpi_platform.roles import MANAGERS, OVERSIGHT, Role
from kpi_platform.tenancy import service as tenancy

blp = Blueprint("org", __name__, url_prefix="/api/v1/t/<tenant>", description="Org tree, positions, officials.")

ADMIN = Role.provincial_admin


def today() -> date:
    return tenancy.tenant_today()


def as_of(query: dict) -> date:
    return query.get("as_of") or today()


def load_rows(row_schema: type[ma.Schema], rows: list[dict]) -> list[dict]:
    """Validate every row of a bulk request; report all bad rows, numbered from 1."""
    loaded, errors = [], []
    for number, row in enumerate(rows, start=1):
        try:
            loaded.append(row_schema().load(row))
        except ma.ValidationError as error:
            errors.append(row_error(number, error.messages))
    if errors:
        raise bulk_failed(errors)
    return loaded


def official_detail(official):
    return {
        **{name: getattr(official, name) for name in s.OfficialSchema().fields if name != "assignment"},
        "effective_reviewer_id": service.reviewer_of(official, today()),
        "assignments": service.assignments_of(official.id),
    }


# ---------------------------------------------------------------- unit kinds and units


@blp.route("/org/unit-kinds")
class UnitKinds(MethodView):
    @access()
    @blp.response(200, s.UnitKindSchema(many=True))
    def get(self):
        """Kinds of org unit: built-in ones and the tenant's own"""
        return [
            {"code": code, "name_vi": vi, "name_en": en, "built_in": code in service.DEFAULT_UNIT_KINDS}
            for code, (vi, en) in sorted(service.unit_kinds().items())
        ]

    @access(ADMIN)
    @blp.arguments(s.UnitKindSchema)
    @blp.response(201, s.UnitKindSchema)
    def post(self, data):
        """Add a kind of org unit"""
        kind = service.add_unit_kind(data["code"], data["name_vi"], data["name_en"])
        db.session.commit()
        return {"code": kind.code, "name_vi": kind.name_vi, "name_en": kind.name_en, "built_in": False}


@blp.route("/org/units")
class Units(MethodView):
    @access()
    @blp.arguments(s.UnitListQuerySchema, location="query")
    @blp.response(200, s.UnitSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Units as of a date (default today), optionally under a unit or matching a name/code"""
        stmt = service.units_as_of(as_of(query), under=query.get("under"), q=query.get("q"), kind=query.get("kind"))
        return [service.UnitView(*row) for row in page_of(stmt, pagination_parameters, scalars=False)]

    @access(ADMIN)
    @blp.arguments(s.UnitCreateSchema)
    @blp.response(201, s.UnitSchema)
    def post(self, data):
        """Create a unit from a date"""
        unit = service.create_unit(**data)
        view = service.unit_as_of(unit.id, data["valid_from"])
        db.session.commit()
        return view


@blp.route("/org/units/bulk")
class UnitsBulk(MethodView):
    @access(ADMIN)
    @blp.arguments(s.BulkSchema)
    @blp.response(201, s.BulkResultSchema)
    def post(self, data):
        """Create many units at once (parent_code may name an earlier row); all or nothing"""
        units = service.bulk_create_units(load_rows(s.UnitBulkRowSchema, data["rows"]))
        db.session.commit()
        return {"created": len(units), "ids": [u.id for u in units]}


@blp.route("/org/tree")
class Tree(MethodView):
    @access()
    @blp.arguments(s.AsOfQuerySchema, location="query")
    @blp.response(200, s.TreeNodeSchema(many=True))
    def get(self, query):
        """The whole org tree as of a date"""
        return service.tree(as_of(query))


@blp.route("/org/units/<uuid:unit_id>")
class UnitById(MethodView):
    @access()
    @blp.arguments(s.AsOfQuerySchema, location="query")
    @blp.response(200, s.UnitSchema)
    def get(self, query, unit_id):
        """A unit as it was on a date"""
        return service.unit_as_of(unit_id, as_of(query))

    @access(ADMIN)
    @blp.arguments(s.UnitChangeSchema)
    @blp.response(200, s.UnitSchema)
    def patch(self, data, unit_id):
        """Rename, re-kind or move a unit from a date (a new version; the past is kept)"""
        changes = {k: data[k] for k in ("name_vi", "kind", "parent_id") if k in data}
        service.change_unit(unit_id, effective_date=data["effective_date"], reason=data.get("reason"), **changes)
        view = service.unit_as_of(unit_id, data["effective_date"])
        db.session.commit()
        return view


@blp.route("/org/units/<uuid:unit_id>/history")
class UnitHistory(MethodView):
    @access()
    @blp.response(200, s.UnitVersionSchema(many=True))
    def get(self, unit_id):
        """Every version of a unit"""
        return service.unit_history(unit_id)


@blp.route("/org/units/<uuid:unit_id>/ancestors")
class UnitAncestors(MethodView):
    @access()
    @blp.arguments(s.AsOfQuerySchema, location="query")
    @blp.response(200, s.UnitSchema(many=True))
    def get(self, query, unit_id):
        """The units above, from the parent to the root, as of a date"""
        return service.ancestors(unit_id, as_of(query))


@blp.route("/org/units/<uuid:unit_id>/descendants")
class UnitDescendants(MethodView):
    @access()
    @blp.arguments(s.AsOfQuerySchema, location="query")
    @blp.response(200, s.UnitSchema(many=True))
    def get(self, query, unit_id):
        """Every unit below, as of a date"""
        return service.descendants(unit_id, as_of(query))


@blp.route("/org/units/<uuid:unit_id>/members")
class UnitMembers(MethodView):
    @access(*OVERSIGHT, *MANAGERS)
    @blp.arguments(s.MembersQuerySchema, location="query")
    @blp.response(200, s.MemberSchema(many=True))
    @blp.paginate()
    def get(self, query, unit_id, pagination_parameters):
        """Who belonged to the unit (or its subtree) on a date, with the post they held"""
        stmt = service.members(unit_id, as_of(query), subtree=query["subtree"])
        scope = org_access.scope_of(current_principal(), today())  # unit heads, managers: their subtree only
        if not scope.everyone and unit_id not in scope.units:
            raise NotFound()
        if not scope.everyone:
            stmt = stmt.where(Assignment.unit_id.in_(scope.units))
        return [{"official": o, "assignment": a} for o, a in page_of(stmt, pagination_parameters, scalars=False)]


@blp.route("/org/units/<uuid:unit_id>/dissolve")
class UnitDissolve(MethodView):
    @access(ADMIN)
    @blp.arguments(s.UnitDissolveSchema)
    @blp.response(200, s.UnitVersionSchema(many=True))
    def post(self, data, unit_id):
        """End a unit from a date (its sub-units and people must have moved)"""
        service.dissolve_unit(unit_id, effective_date=data["effective_date"], reason=data.get("reason"))
        db.session.commit()
        return service.unit_history(unit_id)


@blp.route("/org/units/<uuid:unit_id>/head")
class UnitHead(MethodView):
    @access(ADMIN)
    @blp.arguments(s.UnitHeadSchema)
    @blp.response(200, s.UnitSchema)
    def put(self, data, unit_id):
        """Set (or clear) the head of a unit from a day (default today); the past heads stay on record"""
        day = data["effective_date"] or today()
        service.set_unit_head(unit_id, data["official_id"], effective_date=day)
        view = service.unit_as_of(unit_id, day)
        db.session.commit()
        return view


@blp.route("/org/units/<uuid:unit_id>/heads")
class UnitHeads(MethodView):
    @access()
    @blp.response(200, s.UnitHeadPeriodSchema(many=True))
    def get(self, unit_id):
        """Who headed the unit, and when"""
        return service.head_history(unit_id)


@blp.route("/org/reorganisations")
class Reorganisations(MethodView):
    @access(ADMIN)
    @blp.arguments(s.ReorganisationSchema)
    @blp.response(201, s.ReorganisationResultSchema)
    def post(self, data):
        """Merge, split or move units from a date, in one all-or-nothing operation"""
        result = service.reorganise(**data)
        db.session.commit()
        return result


# ---------------------------------------------------------------- job positions


@blp.route("/org/positions")
class Positions(MethodView):
    @access()
    @blp.arguments(s.PositionListQuerySchema, location="query")
    @blp.response(200, s.PositionSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Job positions (vị trí việc làm)"""
        return page_of(service.list_positions(**query), pagination_parameters)

    @access(ADMIN)
    @blp.arguments(s.PositionSchema)
    @blp.response(201, s.PositionSchema)
    def post(self, data):
        """Create a job position"""
        position = service.create_position(**data)
        db.session.commit()
        return position


@blp.route("/org/positions/bulk")
class PositionsBulk(MethodView):
    @access(ADMIN)
    @blp.arguments(s.BulkSchema)
    @blp.response(201, s.BulkResultSchema)
    def post(self, data):
        """Create many job positions at once; all or nothing"""
        positions = service.bulk_create_positions(load_rows(s.PositionSchema, data["rows"]))
        db.session.commit()
        return {"created": len(positions), "ids": [p.id for p in positions]}


@blp.route("/org/positions/<uuid:position_id>")
class PositionById(MethodView):
    @access()
    @blp.response(200, s.PositionSchema)
    def get(self, position_id):
        """A job position"""
        return service.get_position(position_id)

    @access(ADMIN)
    @blp.arguments(s.PositionUpdateSchema)
    @blp.response(200, s.PositionSchema)
    def patch(self, data, position_id):
        """Change a job position"""
        position = service.update_position(position_id, data)
        db.session.commit()
        return position


# ---------------------------------------------------------------- officials


@blp.route("/officials")
class Officials(MethodView):
    @access()
    @blp.arguments(s.OfficialListQuerySchema, location="query")
    @blp.response(200, s.OfficialSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Officials in Vietnamese name order; search works with or without diacritics"""
        day = as_of(query)
        filters = {k: query[k] for k in ("q", "unit_id", "position_id", "status") if k in query}
        scope = org_access.scope_of(current_principal(), today())
        stmt = service.list_officials(day=day, subtree=query["subtree"], **filters, **scope.list_filters())
        return page_of(stmt, pagination_parameters)

    @access(ADMIN)
    @blp.arguments(s.OfficialSchema)
    @blp.response(201, s.OfficialDetailSchema)
    def post(self, data):
        """Create an official, optionally with the first assignment"""
        assignment = data.pop("assignment", None)
        official = service.create_official(**data, assignment=assignment)
        detail = official_detail(official)
        db.session.commit()
        return detail


@blp.route("/officials/bulk")
class OfficialsBulk(MethodView):
    @access(ADMIN)
    @blp.arguments(s.BulkSchema)
    @blp.response(201, s.BulkResultSchema)
    def post(self, data):
        """Create many officials with their primary assignment (by unit and position codes); all or nothing"""
        officials = service.bulk_create_officials(load_rows(s.OfficialBulkRowSchema, data["rows"]))
        db.session.commit()
        return {"created": len(officials), "ids": [o.id for o in officials]}


@blp.route("/officials/<uuid:official_id>")
class OfficialById(MethodView):
    @access()
    @blp.response(200, s.OfficialDetailSchema)
    def get(self, official_id):
        """An official with assignments and effective reviewer"""
        return official_detail(org_access.require_visible(current_principal(), official_id, today()))

    @access(ADMIN)
    @blp.arguments(s.OfficialUpdateSchema)
    @blp.response(200, s.OfficialDetailSchema)
    def patch(self, data, official_id):
        """Change an official's details, status or reviewer"""
        official = service.update_official(official_id, data)
        detail = official_detail(official)
        db.session.commit()
        return detail


@blp.route("/officials/<uuid:official_id>/assignments")
class OfficialAssignments(MethodView):
    @access()
    @blp.response(200, s.AssignmentSchema(many=True))
    def get(self, official_id):
        """Every assignment of an official, past and present"""
        org_access.require_visible(current_principal(), official_id, today())
        return service.assignments_of(official_id)

    @access(ADMIN)
    @blp.arguments(s.AssignmentSchema)
    @blp.response(201, s.AssignmentSchema)
    def post(self, data, official_id):
        """Add an assignment (one primary at a time; secondary posts may run alongside)"""
        assignment = service.add_assignment(official_id, **data)
        db.session.commit()
        return assignment


@blp.route("/officials/<uuid:official_id>/assignments/<uuid:assignment_id>")
class OfficialAssignmentById(MethodView):
    @access(ADMIN)
    @blp.arguments(s.AssignmentEndSchema)
    @blp.response(200, s.AssignmentSchema)
    def patch(self, data, official_id, assignment_id):
        """End an assignment on a date"""
        assignment = service.end_assignment(official_id, assignment_id, data["valid_to"])
        db.session.commit()
        return assignment


@blp.route("/officials/<uuid:official_id>/transfer")
class OfficialTransfer(MethodView):
    @access(ADMIN)
    @blp.arguments(s.TransferOfficialSchema)
    @blp.response(201, s.AssignmentSchema)
    def post(self, data, official_id):
        """Transfer an official from a date: the old primary assignment ends, a new one starts"""
        assignment = service.transfer_official(official_id, **data)
        db.session.commit()
        return assignment
