from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from kpi_platform.worklog.models import DayKind, EntryState

Text = ma.fields.String
Number = ma.fields.Float
STATES = [s.value for s in EntryState]


class EntryFieldsSchema(ma.Schema):
    work_date = ma.fields.Date()
    item_id = ma.fields.UUID()
    quantity = ma.fields.Decimal(validate=validate.Range(min=0, min_inclusive=False), allow_nan=False)
    actual_minutes = ma.fields.Decimal(allow_none=True, validate=validate.Range(min=0, max=24 * 60 * 31))
    note = Text(allow_none=True, validate=validate.Length(max=2000))
    evidence_ref = Text(allow_none=True, validate=validate.Length(max=300), metadata={"description": "document number"})
    evidence_url = ma.fields.Url(allow_none=True, validate=validate.Length(max=1000))
    attachment_ref = Text(allow_none=True, validate=validate.Length(max=300))
    deadline = ma.fields.Date(allow_none=True)
    completed_on = ma.fields.Date(allow_none=True)


class EntryCreateSchema(EntryFieldsSchema):
    work_date = ma.fields.Date(required=True)
    item_id = ma.fields.UUID(required=True)
    quantity = ma.fields.Decimal(load_default=1, validate=validate.Range(min=0, min_inclusive=False), allow_nan=False)
    submit = ma.fields.Boolean(load_default=False, metadata={"description": "submit for review at once"})


class FlagSchema(ma.Schema):
    code = Text()
    reason_vi = Text()
    reason_en = Text()


class EntrySchema(ma.Schema):
    id = ma.fields.UUID()
    official_id = ma.fields.UUID()
    work_date = ma.fields.Date()
    item_id = ma.fields.UUID()
    item_code = Text()
    item_name = Text()
    item_version_id = ma.fields.UUID()
    norm_minutes = Number()
    standard_minutes = Number(metadata={"description": "norm * quantity"})
    quantity = Number()
    actual_minutes = Number(allow_none=True)
    state = Text()
    note = Text(allow_none=True)
    evidence_ref = Text(allow_none=True)
    evidence_url = Text(allow_none=True)
    attachment_ref = Text(allow_none=True)
    deadline = ma.fields.Date(allow_none=True)
    completed_on = ma.fields.Date(allow_none=True)
    quality = Text(allow_none=True)
    submitted_at = ma.fields.DateTime(allow_none=True)
    reviewed_by = ma.fields.UUID(allow_none=True)
    reviewed_at = ma.fields.DateTime(allow_none=True)
    return_reason = Text(allow_none=True)
    auto_approved = ma.fields.Boolean()
    source = Text()
    created_at = ma.fields.DateTime()
    official_name = Text()
    escalated = ma.fields.Boolean()
    flags = ma.fields.List(ma.fields.Nested(FlagSchema))


class EntryListQuerySchema(ma.Schema):
    official_id = ma.fields.UUID(metadata={"description": "default: yourself"})
    date_from = ma.fields.Date(data_key="from")
    date_to = ma.fields.Date(data_key="to")
    state = Text(validate=validate.OneOf(STATES))


class QueueQuerySchema(ma.Schema):
    official_id = ma.fields.UUID()
    item_id = ma.fields.UUID()
    date_from = ma.fields.Date(data_key="from")
    date_to = ma.fields.Date(data_key="to")
    flagged = ma.fields.Boolean(metadata={"description": "only entries with anomaly flags"})
    sort = Text(load_default="official", validate=validate.OneOf(["official", "date", "submitted"]))


class IdsSchema(ma.Schema):
    ids = ma.fields.List(ma.fields.UUID(), required=True, validate=validate.Length(min=1, max=1000))


class DecisionSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    decision = Text(required=True, validate=validate.OneOf(["approve", "return"]))
    quality = Text(load_default=None)
    reason = Text(load_default=None, validate=validate.Length(max=1000))


class ReviewSchema(ma.Schema):
    decisions = ma.fields.List(ma.fields.Nested(DecisionSchema), load_default=None)
    # Or the same decision for many entries at once.
    ids = ma.fields.List(ma.fields.UUID(), load_default=None)
    decision = Text(load_default="approve", validate=validate.OneOf(["approve", "return"]))
    quality = Text(load_default=None)
    reason = Text(load_default=None, validate=validate.Length(max=1000))

    @ma.validates_schema
    def _one_form(self, data, **kwargs):
        if bool(data.get("decisions")) == bool(data.get("ids")):
            raise ma.ValidationError("give either decisions or ids", "decisions")


class ReviewResultSchema(ma.Schema):
    approved = ma.fields.Integer()
    returned = ma.fields.Integer()


class DaySchema(ma.Schema):
    date = ma.fields.Date()
    working_day = ma.fields.Boolean()
    claimed_minutes = Number()
    cap_minutes = ma.fields.Integer()
    closed = ma.fields.Boolean()
    entries = ma.fields.List(ma.fields.Nested(EntrySchema))


class DayQuerySchema(ma.Schema):
    date = ma.fields.Date()


class CalendarDaySchema(ma.Schema):
    day = ma.fields.Date(required=True)
    kind = Text(required=True, validate=validate.OneOf([k.value for k in DayKind]))
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    source = Text(dump_only=True)


class CalendarQuerySchema(ma.Schema):
    year = ma.fields.Integer(validate=validate.Range(min=2000, max=2100))


class PeriodSchema(ma.Schema):
    month = ma.fields.Date()
    closed_at = ma.fields.DateTime()
    closed_by = ma.fields.UUID(allow_none=True)
    locked_entries = ma.fields.Integer()


class EdocConfigSchema(ma.Schema):
    item_map = ma.fields.Dict(
        keys=Text(), values=Text(), load_default=None, metadata={"description": "document type -> catalog item code"}
    )
    enabled = ma.fields.Boolean(load_default=True)
    rotate_secret = ma.fields.Boolean(load_default=False)


class EdocConfigOutSchema(ma.Schema):
    enabled = ma.fields.Boolean()
    item_map = ma.fields.Dict()
    webhook_url = Text()
    secret = Text(allow_none=True, metadata={"description": "shown once, when made or rotated"})


class EdocEventSchema(ma.Schema):
    id = ma.fields.UUID()
    event_id = Text()
    received_at = ma.fields.DateTime()
    status = Text()
    payload = ma.fields.Dict()
    entry_id = ma.fields.UUID(allow_none=True)
    problem_code = Text(allow_none=True)
    problem = Text(allow_none=True)


class ResolveSchema(ma.Schema):
    official_id = ma.fields.UUID(load_default=None)
    item_code = Text(load_default=None)
    dismiss = ma.fields.Boolean(load_default=False)
