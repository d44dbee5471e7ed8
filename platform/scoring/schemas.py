from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from kpi_platform.jobs.schemas import JobSchema
from kpi_platform.scoring.kpi import DIRECTIONS, GROUPS
from kpi_platform.scoring.models import PeriodKind
from kpi_platform.scoring.records import MEASURES

Text = ma.fields.String
Number = ma.fields.Float
KINDS = [k.value for k in PeriodKind]


class SettingsVersionSchema(ma.Schema):
    id = ma.fields.UUID()
    number = ma.fields.Integer()
    valid_from = ma.fields.Date()
    valid_to = ma.fields.Date(allow_none=True)
    document = ma.fields.Dict()
    origin = Text(allow_none=True)
    created_at = ma.fields.DateTime()


class SettingsInSchema(ma.Schema):
    valid_from = ma.fields.Date(required=True)
    document = ma.fields.Dict(required=True, metadata={"description": "any of the settings.yaml keys but complexity"})


class SettingsOutSchema(ma.Schema):
    valid_from = ma.fields.Date(allow_none=True)
    version = ma.fields.Integer(allow_none=True)
    settings = ma.fields.Dict()
    recomputing = ma.fields.List(ma.fields.Date(), dump_default=list)


class AsOfSchema(ma.Schema):
    as_of = ma.fields.Date()


class RunInSchema(ma.Schema):
    kind = Text(load_default="month", validate=validate.OneOf(KINDS))
    start = ma.fields.Date(required=True)


class MyResultQuerySchema(ma.Schema):
    kind = Text(load_default="month", validate=validate.OneOf(KINDS))
    start = ma.fields.Date(metadata={"description": "default: the latest period scored"})


class RunSchema(ma.Schema):
    id = ma.fields.UUID()
    kind = Text()
    start = ma.fields.Date()
    end = ma.fields.Date()
    method = Text()
    settings_version_id = ma.fields.UUID(allow_none=True)
    status = Text()
    reason = Text()
    progress = ma.fields.Dict()
    officials = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    finished_at = ma.fields.DateTime(allow_none=True)
    error = Text(allow_none=True)
    job = ma.fields.Nested(JobSchema, dump_only=True, metadata={"description": "the job computing it"})


class ClosedPeriodSchema(ma.Schema):
    month = ma.fields.Date()
    closed_at = ma.fields.DateTime()
    closed_by = ma.fields.UUID(allow_none=True)
    locked_entries = ma.fields.Integer()
    job = ma.fields.Nested(JobSchema, dump_only=True, metadata={"description": "locking and scoring the month"})


class RunListQuerySchema(ma.Schema):
    kind = Text(validate=validate.OneOf(KINDS))


class ResultQuerySchema(ma.Schema):
    agency_id = ma.fields.UUID()
    unit_id = ma.fields.UUID()
    tier = ma.fields.Integer(validate=validate.Range(min=1, max=4))


class ResultSchema(ma.Schema):
    official_id = ma.fields.UUID()
    staff_code = Text()
    full_name = Text()
    unit_id = ma.fields.UUID(allow_none=True)
    agency_id = ma.fields.UUID(allow_none=True)
    duty_group = Text(allow_none=True)
    is_leader = ma.fields.Boolean()
    working_days = Number()
    available_hours = Number()
    credited_hours = Number()
    points = Number()
    own_task = Number(allow_none=True)
    unit_score = Number(allow_none=True)
    task = Number()
    general = Number()
    general_assumed = ma.fields.Boolean()
    total = Number()
    tier = ma.fields.Integer()
    tier_before_quota = ma.fields.Integer()
    demoted_by_quota = ma.fields.Boolean()
    disqualified = ma.fields.Boolean()
    flags = ma.fields.List(Text())
    method = Text()
    details = ma.fields.Dict(allow_none=True, metadata={"description": "decree-335: a, b, c (d, đ, e), W, products"})


class ScoreLineSchema(ma.Schema):
    entry_id = ma.fields.UUID()
    work_date = ma.fields.Date()
    item_code = Text()
    item_name = Text()
    item_version = ma.fields.Integer()
    item_version_id = ma.fields.UUID()
    norm_minutes = Number()
    coefficient = Number()
    weight_hours = Number()
    quantity = Number()
    quality = Text(allow_none=True)
    quality_factor = Number()
    late_working_days = ma.fields.Integer()
    timeliness_factor = Number()
    points = Number()


class ExplanationSchema(ma.Schema):
    run_id = ma.fields.UUID()
    kind = Text()
    start = ma.fields.Date()
    end = ma.fields.Date()
    method = Text()
    settings_version_id = ma.fields.UUID(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(ScoreLineSchema))
    points = Number()
    lines_sum = Number(allow_none=True)
    available_hours = Number()
    working_days = Number()
    credited_hours = Number()
    own_task = Number(allow_none=True)
    unit_score = Number(allow_none=True)
    task = Number()
    general = Number()
    general_assumed = ma.fields.Boolean()
    total = Number()
    tier = ma.fields.Integer()
    tier_name_vi = Text(allow_none=True)
    threshold = Number(allow_none=True)
    tier_before_quota = ma.fields.Integer()
    demoted_by_quota = ma.fields.Boolean()
    disqualified = ma.fields.Boolean()
    flags = ma.fields.List(Text())
    details = ma.fields.Dict(allow_none=True)
    quota = ma.fields.Dict(allow_none=True, metadata={"description": "how the quota was counted, for a tier-1 score"})


class LeaveSchema(ma.Schema):
    id = ma.fields.UUID(dump_only=True)
    official_id = ma.fields.UUID(required=True)
    first_day = ma.fields.Date(required=True)
    last_day = ma.fields.Date(required=True)
    kind = Text(load_default="annual", validate=validate.Length(min=1, max=40))
    note = Text(load_default=None, allow_none=True, validate=validate.Length(max=300))


class OfficialQuerySchema(ma.Schema):
    official_id = ma.fields.UUID()


class GeneralMarkSchema(ma.Schema):
    official_id = ma.fields.UUID(required=True)
    month = ma.fields.Date(required=True)
    score = ma.fields.Decimal(required=True, as_string=False)
    marked_at = ma.fields.DateTime(dump_only=True)

    @ma.post_dump
    def _number(self, data, **kwargs):
        data["score"] = float(data["score"])
        return data


class DisciplineSchema(ma.Schema):
    id = ma.fields.UUID(dump_only=True)
    official_id = ma.fields.UUID(required=True)
    measure = Text(required=True, validate=validate.OneOf(MEASURES))
    decision_number = Text(required=True, validate=validate.Length(min=1, max=100))
    decision_date = ma.fields.Date(required=True)
    note = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))


class IndicatorSchema(ma.Schema):
    id = ma.fields.UUID(dump_only=True)
    code = Text(required=True, validate=validate.Length(min=1, max=60))
    name_vi = Text(required=True, validate=validate.Length(min=1, max=300))
    group = Text(required=True, validate=validate.OneOf(GROUPS))
    direction = Text(required=True, validate=validate.OneOf(DIRECTIONS))
    unit_of_measure = Text(load_default=None, allow_none=True)


class KpiValueInSchema(ma.Schema):
    indicator_code = Text(required=True)
    unit_id = ma.fields.UUID(required=True)
    kind = Text(load_default="month", validate=validate.OneOf(KINDS))
    start = ma.fields.Date(required=True)
    target = ma.fields.Decimal(required=True)
    actual = ma.fields.Decimal(load_default=None, allow_none=True)
    weight = ma.fields.Decimal(load_default=1)
    source = Text(load_default=None, allow_none=True)


class KpiQuerySchema(ma.Schema):
    kind = Text(load_default="month", validate=validate.OneOf(KINDS))
    start = ma.fields.Date(metadata={"description": "default: this month"})


class KpiLineSchema(ma.Schema):
    indicator = Text()
    name_vi = Text()
    group = Text()
    direction = Text()
    target = Number()
    actual = Number(allow_none=True)
    weight = Number()
    achievement = Number(allow_none=True)


class KpiRankSchema(ma.Schema):
    rank = ma.fields.Integer()
    unit_id = ma.fields.UUID()
    unit_code = Text(allow_none=True)
    unit_name = Text(allow_none=True)
    score = Number()
    lines = ma.fields.List(ma.fields.Nested(KpiLineSchema))


class StaffingQuerySchema(ma.Schema):
    date_from = ma.fields.Date(data_key="from", metadata={"description": "default: 1 January of this year"})
    date_to = ma.fields.Date(data_key="to", metadata={"description": "exclusive; default: tomorrow"})
    format = Text(load_default="json", validate=validate.OneOf(["json", "xlsx"]))


class ExportQuerySchema(ma.Schema):
    format = Text(load_default="xlsx", validate=validate.OneOf(["xlsx"]))


class ProductInSchema(ma.Schema):
    official_id = ma.fields.UUID(required=True)
    item_id = ma.fields.UUID(required=True)
    month = ma.fields.Date(required=True, metadata={"description": "any day of the month"})
    quantity = ma.fields.Decimal(load_default=1)
    deadline = ma.fields.Date(load_default=None, allow_none=True)
    note = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ProductsInSchema(ma.Schema):
    products = ma.fields.List(
        ma.fields.Nested(ProductInSchema), required=True, validate=validate.Length(min=1, max=2000)
    )


class ProductSchema(ma.Schema):
    id = ma.fields.UUID()
    official_id = ma.fields.UUID()
    item_id = ma.fields.UUID()
    month = ma.fields.Date()
    quantity = Number()
    deadline = ma.fields.Date(allow_none=True)
    source = Text()
    status = Text()
    note = Text(allow_none=True)
    quality_failures = ma.fields.Integer()
    delays = ma.fields.Integer()
    objective_failures = ma.fields.Integer()
    assessments = ma.fields.List(ma.fields.Dict())
    created_at = ma.fields.DateTime()


class ProductQuerySchema(ma.Schema):
    official_id = ma.fields.UUID()
    month = ma.fields.Date()
    status = Text(validate=validate.OneOf(["proposed", "assigned", "cancelled"]))


class ProductIdsSchema(ma.Schema):
    ids = ma.fields.List(ma.fields.UUID(), required=True, validate=validate.Length(min=1, max=2000))


class AssessmentSchema(ma.Schema):
    kind = Text(required=True, validate=validate.OneOf(["quality", "delay"]))
    objective = ma.fields.Boolean(load_default=False, metadata={"description": "an objective cause: no deduction"})
    note = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))


class UnitySchema(ma.Schema):
    official_id = ma.fields.UUID(required=True)
    month = ma.fields.Date(required=True)
    unity = ma.fields.Decimal(required=True, metadata={"description": "criterion e: 1.0 or 0.5"})


class UnitExplanationSchema(ma.Schema):
    run_id = ma.fields.UUID()
    unit_id = ma.fields.UUID()
    unit_code = Text()
    unit_name = Text()
    people = ma.fields.Integer()
    rated = ma.fields.Integer()
    average_total = Number(allow_none=True)
    tiers = ma.fields.Dict(keys=Text(), values=ma.fields.Integer())
    demoted_by_quota = ma.fields.Integer()
    disqualified = ma.fields.Integer()
    kpi = ma.fields.Dict(allow_none=True)
    members = ma.fields.List(ma.fields.Nested(ResultSchema))
