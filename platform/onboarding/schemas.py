from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from kpi_platform.jobs.schemas import JobSchema
from kpi_platform.onboarding.models import RolloutStep

Text = ma.fields.String


class UploadSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ImportOptionsSchema(ma.Schema):
    dry_run = ma.fields.Boolean(load_default=False)
    only = Text(load_default=None, metadata={"description": "comma-separated parts, e.g. catalog,job_descriptions"})


class ImportJobSchema(ma.Schema):
    id = ma.fields.UUID()
    status = Text()
    dry_run = ma.fields.Boolean()
    kind = Text()
    source_name = Text()
    options = ma.fields.Dict()
    progress = ma.fields.Dict()
    report = ma.fields.Dict(allow_none=True)
    created_by = ma.fields.UUID(allow_none=True)
    created_at = ma.fields.DateTime()
    started_at = ma.fields.DateTime(allow_none=True)
    finished_at = ma.fields.DateTime(allow_none=True)
    job = ma.fields.Nested(JobSchema, dump_only=True, metadata={"description": "just uploaded: the job running it"})


class RolloutEventSchema(ma.Schema):
    id = ma.fields.UUID(dump_only=True)
    step = Text(required=True, validate=validate.OneOf([s.value for s in RolloutStep]))
    on_date = ma.fields.Date(required=True)
    unit_codes = ma.fields.List(Text(), load_default=list)
    note = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))
    recorded_by = ma.fields.UUID(dump_only=True, allow_none=True)
    recorded_at = ma.fields.DateTime(dump_only=True)


class ChecklistStepSchema(ma.Schema):
    step = Text()
    title_vi = Text()
    title_en = Text()
    done = ma.fields.Boolean()
    evidence = ma.fields.Dict()


class ChecklistSchema(ma.Schema):
    tenant = Text()
    status = Text()
    status_by_rollout = Text()
    steps = ma.fields.List(ma.fields.Nested(ChecklistStepSchema))
    done = ma.fields.Integer()
    total = ma.fields.Integer()
