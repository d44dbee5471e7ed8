from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from kpi_platform.tenancy.models import TenantKind, TenantStatus

STATUSES = [s.value for s in TenantStatus]
KINDS = [k.value for k in TenantKind if k != TenantKind.system]


class TenantSchema(ma.Schema):
    id = ma.fields.UUID(dump_only=True)
    slug = ma.fields.String(dump_only=True)
    name_vi = ma.fields.String(dump_only=True)
    name_en = ma.fields.String(dump_only=True)
    kind = ma.fields.String(dump_only=True)
    status = ma.fields.String(dump_only=True)
    time_zone = ma.fields.String(dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


class FirstAdminSchema(ma.Schema):
    email = ma.fields.Email(required=True)
    display_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))


class TenantCreateSchema(ma.Schema):
    slug = ma.fields.String(required=True, validate=validate.Length(min=1, max=63))
    name_vi = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_en = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = ma.fields.String(load_default=TenantKind.province.value, validate=validate.OneOf(KINDS))
    status = ma.fields.String(load_default=TenantStatus.provisioning.value, validate=validate.OneOf(STATUSES))
    time_zone = ma.fields.String(load_default="Asia/Ho_Chi_Minh", validate=validate.Length(min=1, max=64))
    first_admin = ma.fields.Nested(FirstAdminSchema, load_default=None)


class TenantUpdateSchema(ma.Schema):
    name_vi = ma.fields.String(validate=validate.Length(min=1, max=200))
    name_en = ma.fields.String(validate=validate.Length(min=1, max=200))
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    time_zone = ma.fields.String(validate=validate.Length(min=1, max=64))


class TenantListQuerySchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
