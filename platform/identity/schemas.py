from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from kpi_platform.identity.models import PrincipalStatus
from kpi_platform.roles import Role

ROLES = [r.value for r in Role]
STATUSES = [s.value for s in PrincipalStatus]


class PrincipalSchema(ma.Schema):
    id = ma.fields.UUID(dump_only=True)
    email = ma.fields.String(dump_only=True)
    display_name = ma.fields.String(dump_only=True)
    status = ma.fields.String(dump_only=True)
    roles = ma.fields.List(ma.fields.String(), dump_only=True)
    sso_linked = ma.fields.Boolean(dump_only=True, metadata={"description": "signed in through the province's SSO"})
    created_at = ma.fields.DateTime(dump_only=True)


class PrincipalCreateSchema(ma.Schema):
    email = ma.fields.Email(required=True)
    display_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    roles = ma.fields.List(ma.fields.String(validate=validate.OneOf(ROLES)), load_default=list)


class PrincipalUpdateSchema(ma.Schema):
    display_name = ma.fields.String(validate=validate.Length(min=1, max=200))
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    roles = ma.fields.List(ma.fields.String(validate=validate.OneOf(ROLES)))


class PrincipalListQuerySchema(ma.Schema):
    q = ma.fields.String(validate=validate.Length(max=100))
    role = ma.fields.String(validate=validate.OneOf(ROLES))
    status = ma.fields.String(validate=validate.OneOf(STATUSES))


class MeSchema(ma.Schema):
    principal = ma.fields.Nested(PrincipalSchema)
    tenant = ma.fields.Dict()


class TokenSchema(ma.Schema):
    id = ma.fields.UUID(dump_only=True)
    principal_id = ma.fields.UUID(dump_only=True)
    name = ma.fields.String(dump_only=True)
    display_prefix = ma.fields.String(dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    expires_at = ma.fields.DateTime(dump_only=True)
    revoked_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    last_used_at = ma.fields.DateTime(dump_only=True, allow_none=True)


class IssuedTokenSchema(TokenSchema):
    token = ma.fields.String(dump_only=True, metadata={"description": "Shown once; store it now."})


class TokenCreateSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    expires_in_days = ma.fields.Integer(load_default=None, validate=validate.Range(min=1))


class IdentityProviderSchema(ma.Schema):
    issuer = ma.fields.Url(required=True, require_tld=False, schemes={"http", "https"})
    client_id = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    client_secret = ma.fields.String(load_only=True, load_default=None, validate=validate.Length(min=1, max=500))
    has_client_secret = ma.fields.Boolean(dump_only=True)
    redirect_uri = ma.fields.String(dump_only=True, metadata={"description": "register this at the provider"})
    post_logout_redirect_uri = ma.fields.String(dump_only=True)
    scopes = ma.fields.String(load_default="openid email profile", validate=validate.Length(min=6, max=300))
    identity_claim = ma.fields.String(load_default="email")
    audience = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    enabled = ma.fields.Boolean(load_default=True)
    updated_at = ma.fields.DateTime(dump_only=True)


class ConnectionCheckSchema(ma.Schema):
    check = ma.fields.String()
    ok = ma.fields.Boolean()
    message_vi = ma.fields.String()
    message_en = ma.fields.String()


class ConnectionReportSchema(ma.Schema):
    ok = ma.fields.Boolean()
    checks = ma.fields.List(ma.fields.Nested(ConnectionCheckSchema))
    discovery = ma.fields.Dict()
