from __future__ import annotations

import marshmallow as ma
from marshmallow import validate


class AuditEntrySchema(ma.Schema):
    id = ma.fields.UUID(dump_only=True)
    occurred_at = ma.fields.DateTime(dump_only=True)
    actor_id = ma.fields.UUID(dump_only=True, allow_none=True)
    actor_label = ma.fields.String(dump_only=True)
    action = ma.fields.String(dump_only=True)
    object_type = ma.fields.String(dump_only=True)
    object_id = ma.fields.String(dump_only=True, allow_none=True)
    before = ma.fields.Dict(dump_only=True, allow_none=True)
    after = ma.fields.Dict(dump_only=True, allow_none=True)
    request_id = ma.fields.String(dump_only=True, allow_none=True)


class AuditQuerySchema(ma.Schema):
    action = ma.fields.String(validate=validate.Length(max=100))
    object_type = ma.fields.String(validate=validate.Length(max=60))
    object_id = ma.fields.String(validate=validate.Length(max=100))
    actor_id = ma.fields.UUID()
    since = ma.fields.AwareDateTime(default_timezone=None)
    until = ma.fields.AwareDateTime(default_timezone=None)
