from __future__ import annotations

import uuid

import marshmallow as ma
from marshmallow import validate

from kpi_platform.org.models import EmploymentKind, OfficialStatus, PositionCategory

CATEGORIES = [c.value for c in PositionCategory]
EMPLOYMENT_KINDS = [k.value for k in EmploymentKind]
OFFICIAL_STATUSES = [s.value for s in OfficialStatus]
MAX_BULK_ROWS = 5000

Name = ma.fields.String
code_field = ma.fields.String(required=True, validate=validate.Length(min=1, max=60))


class AsOfQuerySchema(ma.Schema):
    as_of = ma.fields.Date(metadata={"description": "The day to look at (default: today in the tenant's time zone)"})


class UnitKindSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,39}$"))
    name_vi = Name(required=True, validate=validate.Length(min=1, max=120))
    name_en = Name(required=True, validate=validate.Length(min=1, max=120))
    built_in = ma.fields.Boolean(dump_only=True)


class UnitSchema(ma.Schema):
    id = ma.fields.UUID(dump_only=True)
    code = ma.fields.String(dump_only=True)
    name_vi = ma.fields.String(dump_only=True)
    kind = ma.fields.String(dump_only=True)
    parent_id = ma.fields.UUID(dump_only=True, allow_none=True)
    valid_from = ma.fields.Date(dump_only=True)
    valid_to = ma.fields.Date(dump_only=True, allow_none=True)
    head_official_id = ma.fields.UUID(dump_only=True, allow_none=True)


class UnitVersionSchema(ma.Schema):
    id = ma.fields.UUID(dump_only=True)
    name_vi = ma.fields.String(dump_only=True)
    kind = ma.fields.String(dump_only=True)
    parent_id = ma.fields.UUID(dump_only=True, allow_none=True)
    valid_from = ma.fields.Date(dump_only=True)
    valid_to = ma.fields.Date(dump_only=True, allow_none=True)
    change_reason = ma.fields.String(dump_only=True, allow_none=True)


class TreeNodeSchema(ma.Schema):
    unit = ma.fields.Nested(UnitSchema)
    children = ma.fields.List(ma.fields.Nested(lambda: TreeNodeSchema()))


class UnitListQuerySchema(AsOfQuerySchema):
    under = ma.fields.UUID(metadata={"description": "Only this unit and its subtree"})
    q = ma.fields.String(validate=validate.Length(max=100))
    kind = ma.fields.String(validate=validate.Length(max=40))


class UnitCreateSchema(ma.Schema):
    code = code_field
    name_vi = Name(required=True, validate=validate.Length(min=1, max=300))
    kind = ma.fields.String(required=True, validate=validate.Length(min=1, max=40))
    parent_id = ma.fields.UUID(load_default=None, allow_none=True)
    valid_from = ma.fields.Date(required=True)
    reason = ma.fields.String(load_default=None, validate=validate.Length(max=300))


class UnitBulkRowSchema(ma.Schema):
    code = code_field
    name_vi = Name(required=True, validate=validate.Length(min=1, max=300))
    kind = ma.fields.String(required=True, validate=validate.Length(min=1, max=40))
    parent_code = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    valid_from = ma.fields.Date(required=True)
    reason = ma.fields.String(load_default=None, validate=validate.Length(max=300))


class UnitChangeSchema(ma.Schema):
    effective_date = ma.fields.Date(required=True)
    name_vi = Name(validate=validate.Length(min=1, max=300))
    kind = ma.fields.String(validate=validate.Length(min=1, max=40))
    parent_id = ma.fields.UUID(allow_none=True)
    reason = ma.fields.String(load_default=None, validate=validate.Length(max=300))


class UnitDissolveSchema(ma.Schema):
    effective_date = ma.fields.Date(required=True)
    reason = ma.fields.String(load_default=None, validate=validate.Length(max=300))


class UnitHeadSchema(ma.Schema):
    official_id = ma.fields.UUID(required=True, allow_none=True)
    effective_date = ma.fields.Date(load_default=None, metadata={"description": "from this day (default: today)"})


class UnitHeadPeriodSchema(ma.Schema):
    official_id = ma.fields.UUID()
    valid_from = ma.fields.Date()
    valid_to = ma.fields.Date(allow_none=True)


class UnitRef(ma.fields.String):
    """A unit named by its id or by its code (codes let one reorganisation refer to units it creates)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        try:
            return uuid.UUID(text)
        except ValueError:
            if not 0 < len(text) <= 60:
                raise ma.ValidationError("Not a unit id or code.") from None
            return text


class ReorgCreateSchema(ma.Schema):
    code = code_field
    name_vi = Name(required=True, validate=validate.Length(min=1, max=300))
    kind = ma.fields.String(required=True, validate=validate.Length(min=1, max=40))
    parent = UnitRef(load_default=None, allow_none=True)


class MoveSchema(ma.Schema):
    unit = UnitRef(required=True)
    parent = UnitRef(required=True, allow_none=True)


class MergeSchema(ma.Schema):
    sources = ma.fields.List(UnitRef(), required=True, validate=validate.Length(min=1, max=500))
    target = UnitRef(required=True)


class TransferSchema(ma.Schema):
    official_id = ma.fields.UUID(required=True)
    unit = UnitRef(required=True)
    position_id = ma.fields.UUID(load_default=None, allow_none=True)


class ReorganisationSchema(ma.Schema):
    """Applied in this order: creates, moves, merges, transfers, dissolves."""

    effective_date = ma.fields.Date(required=True)
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=300))
    creates = ma.fields.List(ma.fields.Nested(ReorgCreateSchema), load_default=list)
    moves = ma.fields.List(ma.fields.Nested(MoveSchema), load_default=list)
    merges = ma.fields.List(ma.fields.Nested(MergeSchema), load_default=list)
    transfers = ma.fields.List(ma.fields.Nested(TransferSchema), load_default=list)
    dissolves = ma.fields.List(UnitRef(), load_default=list)


class ReorganisationResultSchema(ma.Schema):
    created_units = ma.fields.Integer()
    moved_units = ma.fields.Integer()
    dissolved_units = ma.fields.Integer()
    merged_units = ma.fields.Integer()
    transferred_assignments = ma.fields.Integer()


class PositionSchema(ma.Schema):
    id = ma.fields.UUID(dump_only=True)
    code = code_field
    name_vi = Name(required=True, validate=validate.Length(min=1, max=300))
    category = ma.fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    unit_kinds = ma.fields.List(ma.fields.String(validate=validate.Length(max=40)), load_default=list)


class PositionUpdateSchema(ma.Schema):
    name_vi = Name(validate=validate.Length(min=1, max=300))
    category = ma.fields.String(validate=validate.OneOf(CATEGORIES))
    unit_kinds = ma.fields.List(ma.fields.String(validate=validate.Length(max=40)))


class PositionListQuerySchema(ma.Schema):
    q = ma.fields.String(validate=validate.Length(max=100))
    category = ma.fields.String(validate=validate.OneOf(CATEGORIES))


class AssignmentSchema(ma.Schema):
    id = ma.fields.UUID(dump_only=True)
    official_id = ma.fields.UUID(dump_only=True)
    unit_id = ma.fields.UUID(required=True)
    position_id = ma.fields.UUID(required=True)
    is_primary = ma.fields.Boolean(load_default=True)
    share = ma.fields.Float(load_default=1.0, validate=validate.Range(min=0, max=1, min_inclusive=False))
    valid_from = ma.fields.Date(required=True)
    valid_to = ma.fields.Date(load_default=None, allow_none=True)
    reason = ma.fields.String(load_default=None, load_only=True, validate=validate.Length(max=300))
    change_reason = ma.fields.String(dump_only=True, allow_none=True)


class AssignmentEndSchema(ma.Schema):
    valid_to = ma.fields.Date(required=True)


class TransferOfficialSchema(ma.Schema):
    unit_id = ma.fields.UUID(required=True)
    position_id = ma.fields.UUID(load_default=None, allow_none=True)
    effective_date = ma.fields.Date(required=True)
    reason = ma.fields.String(load_default=None, validate=validate.Length(max=300))


class OfficialSchema(ma.Schema):
    id = ma.fields.UUID(dump_only=True)
    staff_code = code_field
    full_name = Name(required=True, validate=validate.Length(min=1, max=200))
    email = ma.fields.Email(load_default=None, allow_none=True)
    employment_kind = ma.fields.String(required=True, validate=validate.OneOf(EMPLOYMENT_KINDS))
    status = ma.fields.String(load_default="active", validate=validate.OneOf(OFFICIAL_STATUSES))
    reviewer_id = ma.fields.UUID(load_default=None, allow_none=True)
    principal_id = ma.fields.UUID(load_default=None, allow_none=True)
    assignment = ma.fields.Nested(AssignmentSchema, load_only=True, load_default=None)


class OfficialDetailSchema(OfficialSchema):
    effective_reviewer_id = ma.fields.UUID(dump_only=True, allow_none=True)
    assignments = ma.fields.List(ma.fields.Nested(AssignmentSchema), dump_only=True)


class OfficialUpdateSchema(ma.Schema):
    full_name = Name(validate=validate.Length(min=1, max=200))
    email = ma.fields.Email(allow_none=True)
    employment_kind = ma.fields.String(validate=validate.OneOf(EMPLOYMENT_KINDS))
    status = ma.fields.String(validate=validate.OneOf(OFFICIAL_STATUSES))
    reviewer_id = ma.fields.UUID(allow_none=True)
    principal_id = ma.fields.UUID(allow_none=True)


class OfficialListQuerySchema(AsOfQuerySchema):
    q = ma.fields.String(validate=validate.Length(max=100))
    unit_id = ma.fields.UUID()
    subtree = ma.fields.Boolean(load_default=True)
    position_id = ma.fields.UUID()
    status = ma.fields.String(validate=validate.OneOf(OFFICIAL_STATUSES))


class OfficialBulkRowSchema(ma.Schema):
    staff_code = code_field
    full_name = Name(required=True, validate=validate.Length(min=1, max=200))
    email = ma.fields.Email(load_default=None, allow_none=True)
    employment_kind = ma.fields.String(required=True, validate=validate.OneOf(EMPLOYMENT_KINDS))
    status = ma.fields.String(load_default="active", validate=validate.OneOf(OFFICIAL_STATUSES))
    unit_code = ma.fields.String(required=True, validate=validate.Length(min=1, max=60))
    position_code = ma.fields.String(required=True, validate=validate.Length(min=1, max=60))
    valid_from = ma.fields.Date(required=True)
    share = ma.fields.Float(load_default=1.0, validate=validate.Range(min=0, max=1, min_inclusive=False))


class BulkSchema(ma.Schema):
    rows = ma.fields.List(ma.fields.Dict(), required=True, validate=validate.Length(min=1, max=MAX_BULK_ROWS))


class MemberSchema(ma.Schema):
    official = ma.fields.Nested(OfficialSchema)
    assignment = ma.fields.Nested(AssignmentSchema)


class MembersQuerySchema(AsOfQuerySchema):
    subtree = ma.fields.Boolean(load_default=False)


class BulkResultSchema(ma.Schema):
    created = ma.fields.Integer()
    ids = ma.fields.List(ma.fields.UUID())
