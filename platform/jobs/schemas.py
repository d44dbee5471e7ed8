from __future__ import annotations

import marshmallow as ma


class JobSchema(ma.Schema):
    id = ma.fields.UUID()
    label = ma.fields.String()
    state = ma.fields.String(metadata={"description": "pending (for the broker), queued, running, done, failed"})
    attempts = ma.fields.Integer()
    result = ma.fields.Dict(allow_none=True)
    error = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    queued_at = ma.fields.DateTime(allow_none=True)
    started_at = ma.fields.DateTime(allow_none=True)
    finished_at = ma.fields.DateTime(allow_none=True)


class JobListQuerySchema(ma.Schema):
    state = ma.fields.String(validate=ma.validate.OneOf(["pending", "queued", "running", "done", "failed"]))


def with_job(row, schema: type[ma.Schema], job) -> dict:
    """A row as its schema shows it, with the background job that carries on its work (`job`)."""
    return {name: getattr(row, name) for name in schema().fields if name != "job"} | {"job": job}
