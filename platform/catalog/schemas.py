from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from kpi_platform.catalog.models import Group, ItemStatus
from kpi_platform.org.schemas import AsOfQuerySchema

GROUPS = [g.value for g in Group]
STATUSES = [s.value for s in ItemStatus]
MAX_LINES = 2000

Text = ma.fields.String
# Decimals go out as numbers (JSON has no decimal type; two places are exact in a float's range).
Number = ma.fields.Float


class ComplexityLevelSchema(ma.Schema):
    code = Text(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$"))
    name_vi = Text(required=True, validate=validate.Length(min=1, max=120))
    name_en = Text(required=True, validate=validate.Length(min=1, max=120))
    coefficient = ma.fields.Decimal(required=True, places=3, as_string=False)

    @ma.post_dump
    def _numbers(self, data, **kwargs):
        data["coefficient"] = float(data["coefficient"])
        return data


class ComplexityTableSchema(ma.Schema):
    levels = ma.fields.List(ma.fields.Nested(ComplexityLevelSchema), required=True, validate=validate.Length(min=1))


class VersionFieldsSchema(ma.Schema):
    name_vi = Text(validate=validate.Length(min=1, max=500))
    name_en = Text(allow_none=True, validate=validate.Length(max=500))
    output_unit = Text(validate=validate.Length(min=1, max=80), metadata={"description": "văn bản, hồ sơ, cuộc họp …"})
    norm_minutes = ma.fields.Decimal(metadata={"description": "standard minutes per unit of output, above 0"})
    complexity = Text(validate=validate.Length(min=1, max=40), metadata={"description": "a code of the tenant's table"})
    field = Text(allow_none=True, validate=validate.Length(max=120), metadata={"description": "sector, for group C"})
    done_definition = Text(allow_none=True, validate=validate.Length(max=4000))
    has_deadline = ma.fields.Boolean()
    change_note = Text(allow_none=True, validate=validate.Length(max=500))


class ItemCreateSchema(VersionFieldsSchema):
    code = Text(required=True, validate=validate.Length(min=1, max=60))
    group = Text(required=True, validate=validate.OneOf(GROUPS))
    agency_id = ma.fields.UUID(allow_none=True, metadata={"description": "group C only: the owning agency"})
    name_vi = Text(required=True, validate=validate.Length(min=1, max=500))
    output_unit = Text(required=True, validate=validate.Length(min=1, max=80))
    norm_minutes = ma.fields.Decimal(required=True)
    valid_from = ma.fields.Date(required=True, metadata={"description": "in force from this day once approved"})


class DraftChangeSchema(VersionFieldsSchema):
    valid_from = ma.fields.Date()


class ProposeSchema(VersionFieldsSchema):
    valid_from = ma.fields.Date(required=True)


class VersionSchema(ma.Schema):
    id = ma.fields.UUID()
    number = ma.fields.Integer()
    state = Text()
    name_vi = Text()
    name_en = Text(allow_none=True)
    output_unit = Text()
    norm_minutes = Number()
    complexity = Text()
    complexity_coefficient = Number()
    weight_hours = ma.fields.Method("_weight", metadata={"description": "norm * coefficient / 60"})
    field = Text(allow_none=True)
    done_definition = Text(allow_none=True)
    has_deadline = ma.fields.Boolean()
    valid_from = ma.fields.Date()
    valid_to = ma.fields.Date(allow_none=True)
    change_note = Text(allow_none=True)
    created_by = ma.fields.UUID(allow_none=True)
    submitted_by = ma.fields.UUID(allow_none=True)
    submitted_at = ma.fields.DateTime(allow_none=True)
    decided_by = ma.fields.UUID(allow_none=True)
    decided_at = ma.fields.DateTime(allow_none=True)
    return_reason = Text(allow_none=True)

    def _weight(self, version) -> float:
        return round(float(version.norm_minutes) * float(version.complexity_coefficient) / 60, 4)


class ItemSchema(ma.Schema):
    id = ma.fields.UUID()
    code = Text()
    group = Text(attribute="item_group")
    agency_id = ma.fields.UUID(allow_none=True)
    status = Text()
    name_vi = Text()
    field = Text(allow_none=True)
    retired_on = ma.fields.Date(allow_none=True)
    retire_reason = Text(allow_none=True)
    origin = Text(allow_none=True)
    created_at = ma.fields.DateTime()
    version = ma.fields.Nested(VersionSchema, allow_none=True, metadata={"description": "in force on the day asked"})
    pending = ma.fields.Nested(VersionSchema, allow_none=True, metadata={"description": "a draft or submitted change"})


class ItemListQuerySchema(AsOfQuerySchema):
    q = Text(validate=validate.Length(max=100), metadata={"description": "code or name, with or without diacritics"})
    group = Text(validate=validate.OneOf(GROUPS))
    field = Text(validate=validate.Length(max=120))
    status = Text(validate=validate.OneOf(STATUSES))
    agency_id = ma.fields.UUID()
    position_id = ma.fields.UUID(metadata={"description": "items in the position's job descriptions"})


class ReturnSchema(ma.Schema):
    reason = Text(required=True, validate=validate.Length(min=1, max=1000))


class RetireSchema(ma.Schema):
    retired_on = ma.fields.Date(required=True)
    reason = Text(allow_none=True, validate=validate.Length(max=500))


class ExportQuerySchema(AsOfQuerySchema):
    format = Text(load_default="xlsx", validate=validate.OneOf(["xlsx", "csv", "json"]))


class CalibrationQuerySchema(ma.Schema):
    date_from = ma.fields.Date(data_key="from", metadata={"description": "default: 90 days before `to`"})
    date_to = ma.fields.Date(data_key="to", metadata={"description": "default: today"})
    min_entries = ma.fields.Integer(load_default=5, validate=validate.Range(min=1, max=10_000))
    group = Text(validate=validate.OneOf(GROUPS))
    agency_id = ma.fields.UUID()


class CalibrationSchema(ma.Schema):
    item_id = ma.fields.UUID()
    code = Text()
    name_vi = Text()
    group = Text()
    norm_minutes = Number(allow_none=True)
    entries = ma.fields.Integer()
    median_minutes = Number()
    p25_minutes = Number()
    p75_minutes = Number()
    stddev_minutes = Number(allow_none=True)
    suggested_norm_minutes = Number(allow_none=True)
    deviation_pct = Number(allow_none=True)


class AcceptCalibrationSchema(ma.Schema):
    norm_minutes = ma.fields.Decimal(required=True)
    valid_from = ma.fields.Date(required=True)
    note = Text(allow_none=True, validate=validate.Length(max=500))


class LineSchema(ma.Schema):
    item_id = ma.fields.UUID()
    item_code = Text(validate=validate.Length(min=1, max=60))
    expected_monthly_volume = ma.fields.Decimal(allow_none=True)

    @ma.validates_schema
    def _one_reference(self, data, **kwargs):
        if not data.get("item_id") and not data.get("item_code"):
            raise ma.ValidationError("item_id or item_code is required", "item_id")


class LineOutSchema(ma.Schema):
    item_id = ma.fields.UUID()
    code = Text()
    name_vi = Text()
    group = Text()
    expected_monthly_volume = Number(allow_none=True)


class JobDescriptionCreateSchema(ma.Schema):
    position_id = ma.fields.UUID(required=True)
    agency_id = ma.fields.UUID(allow_none=True, metadata={"description": "an agency's own (group C) description"})
    valid_from = ma.fields.Date(required=True)
    lines = ma.fields.List(ma.fields.Nested(LineSchema), load_default=list, validate=validate.Length(max=MAX_LINES))


class JobDescriptionProposeSchema(ma.Schema):
    valid_from = ma.fields.Date(required=True)
    lines = ma.fields.List(ma.fields.Nested(LineSchema), required=True, validate=validate.Length(max=MAX_LINES))
    note = Text(allow_none=True, validate=validate.Length(max=500))


class JobDescriptionEditSchema(ma.Schema):
    valid_from = ma.fields.Date()
    lines = ma.fields.List(ma.fields.Nested(LineSchema), validate=validate.Length(max=MAX_LINES))


class JdVersionSchema(ma.Schema):
    id = ma.fields.UUID(attribute="version.id")
    number = ma.fields.Integer(attribute="version.number")
    state = Text(attribute="version.state")
    valid_from = ma.fields.Date(attribute="version.valid_from")
    valid_to = ma.fields.Date(attribute="version.valid_to", allow_none=True)
    change_note = Text(attribute="version.change_note", allow_none=True)
    submitted_by = ma.fields.UUID(attribute="version.submitted_by", allow_none=True)
    decided_by = ma.fields.UUID(attribute="version.decided_by", allow_none=True)
    return_reason = Text(attribute="version.return_reason", allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(LineOutSchema))


class JobDescriptionSchema(ma.Schema):
    id = ma.fields.UUID(attribute="job_description.id")
    position_id = ma.fields.UUID(attribute="job_description.position_id")
    agency_id = ma.fields.UUID(attribute="job_description.agency_id", allow_none=True)
    origin = Text(attribute="job_description.origin", allow_none=True)
    in_force = ma.fields.Nested(JdVersionSchema, allow_none=True)
    pending = ma.fields.Nested(JdVersionSchema, allow_none=True)


class JobDescriptionListQuerySchema(AsOfQuerySchema):
    position_id = ma.fields.UUID()
    agency_id = ma.fields.UUID()


class AllowedItemSchema(ma.Schema):
    item_id = ma.fields.UUID()
    code = Text()
    group = Text()
    name_vi = Text()
    output_unit = Text()
    norm_minutes = Number()
    complexity = Text()
    complexity_coefficient = Number()
    version_id = ma.fields.UUID()
    version = ma.fields.Integer()
    has_deadline = ma.fields.Boolean()
