from __future__ import annotations

import uuid

from flask import current_app, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from kpi_platform.audit import service as audit
from kpi_platform.db import db
from kpi_platform.identity import linking, service, sso
from kpi_platform.identity.schemas import (
    ConnectionReportSchema,
    IdentityProviderSchema,
    IssuedTokenSchema,
    MeSchema,
    PrincipalCreateSchema,
    PrincipalListQuerySchema,
    PrincipalSchema,
    PrincipalUpdateSchema,
    TokenCreateSchema,
    TokenSchema,
)
from kpi_platform.pagination import page_of
from kpi_platform.policy import PLATFORM, access, current_principal, current_tenant
from kpi_platform.roles import Role

tenant_blp = Blueprint(
    "identity", __name__, url_prefix="/api/v1/t/<tenant>", description="Accounts, roles and API tokens."
)
platform_blp = Blueprint(
    "platform_identity", __name__, url_prefix="/api/v1/platform", description="The platform operator's account."
)


def _provider_view(provider):
    """The stored settings, and the addresses the province registers for this client at its provider."""
    slug = current_tenant().slug
    return {
        **sso.provider_view(provider),
        "redirect_uri": url_for("signin.callback", tenant=slug, _external=True),
        "post_logout_redirect_uri": url_for("signin.login", tenant=slug, notice="signed_out", _external=True),
    }


def _me():
    tenant = current_tenant()
    return {
        "principal": current_principal(),
        "tenant": {
            "slug": tenant.slug,
            "name_vi": tenant.name_vi,
            "name_en": tenant.name_en,
            "status": str(tenant.status),
        },
    }


def _issue(data):
    settings = current_app.config["SETTINGS"]
    token, raw = service.issue_token(
        current_principal(),
        name=data["name"],
        days=data["expires_in_days"] or settings.token_default_days,
        max_days=settings.token_max_days,
    )
    db.session.commit()
    return {**{name: getattr(token, name) for name in TokenSchema().fields}, "token": raw}


@tenant_blp.route("/me")
class Me(MethodView):
    @access()
    @tenant_blp.response(200, MeSchema)
    def get(self):
        """Who am I: the calling principal and its tenant"""
        return _me()


@platform_blp.route("/me")
class PlatformMe(MethodView):
    @access(scope=PLATFORM)
    @platform_blp.response(200, MeSchema)
    def get(self):
        """Who am I, for global accounts"""
        return _me()


@tenant_blp.route("/principals")
class Principals(MethodView):
    @access(Role.provincial_admin, Role.auditor)
    @tenant_blp.arguments(PrincipalListQuerySchema, location="query")
    @tenant_blp.response(200, PrincipalSchema(many=True))
    @tenant_blp.paginate()
    def get(self, query, pagination_parameters):
        """List accounts of this tenant (search by email or name)"""
        return page_of(service.list_principals(**query), pagination_parameters)

    @access(Role.provincial_admin)
    @tenant_blp.arguments(PrincipalCreateSchema)
    @tenant_blp.response(201, PrincipalSchema)
    def post(self, data):
        """Create an account"""
        principal = service.create_principal(**data)
        db.session.commit()
        return principal


@tenant_blp.route("/principals/<uuid:principal_id>")
class PrincipalById(MethodView):
    @access(Role.provincial_admin, Role.auditor)
    @tenant_blp.response(200, PrincipalSchema)
    def get(self, principal_id: uuid.UUID):
        """Show an account"""
        return service.get_principal(principal_id)

    @access(Role.provincial_admin)
    @tenant_blp.arguments(PrincipalUpdateSchema)
    @tenant_blp.response(200, PrincipalSchema)
    def patch(self, data, principal_id: uuid.UUID):
        """Change an account's name, status or roles"""
        principal = service.update_principal(principal_id, data)
        db.session.commit()
        return principal


@tenant_blp.route("/principals/<uuid:principal_id>/sso-link")
class PrincipalSsoLink(MethodView):
    @access(Role.provincial_admin)
    @tenant_blp.response(200, PrincipalSchema)
    def delete(self, principal_id: uuid.UUID):
        """Forget the account's link to its provider identity (the person re-links at the next sign-in)"""
        principal = linking.unlink(principal_id)
        db.session.commit()
        return principal


@tenant_blp.route("/tokens")
class Tokens(MethodView):
    @access()
    @tenant_blp.response(200, TokenSchema(many=True))
    @tenant_blp.paginate()
    def get(self, pagination_parameters):
        """List my API tokens"""
        return page_of(service.list_tokens(current_principal().id), pagination_parameters)

    @access()
    @tenant_blp.arguments(TokenCreateSchema)
    @tenant_blp.response(201, IssuedTokenSchema)
    def post(self, data):
        """Issue an API token for myself; the secret is shown only in this response"""
        return _issue(data)


@tenant_blp.route("/tokens/<uuid:token_id>")
class TokenById(MethodView):
    @access()
    @tenant_blp.response(200, TokenSchema)
    def delete(self, token_id: uuid.UUID):
        """Revoke a token (my own; a provincial admin may revoke any in the tenant)"""
        token = service.revoke_token(token_id, by=current_principal())
        db.session.commit()
        return token


@platform_blp.route("/tokens")
class PlatformTokens(MethodView):
    @access(scope=PLATFORM)
    @platform_blp.response(200, TokenSchema(many=True))
    @platform_blp.paginate()
    def get(self, pagination_parameters):
        """List my API tokens (global accounts)"""
        return page_of(service.list_tokens(current_principal().id), pagination_parameters)

    @access(scope=PLATFORM)
    @platform_blp.arguments(TokenCreateSchema)
    @platform_blp.response(201, IssuedTokenSchema)
    def post(self, data):
        """Issue an API token for myself (global accounts)"""
        return _issue(data)


@platform_blp.route("/tokens/<uuid:token_id>")
class PlatformTokenById(MethodView):
    @access(scope=PLATFORM)
    @platform_blp.response(200, TokenSchema)
    def delete(self, token_id: uuid.UUID):
        """Revoke a token (global accounts; an operator may revoke any global account's token)"""
        token = service.revoke_token(token_id, by=current_principal())
        db.session.commit()
        return token


@tenant_blp.route("/identity/provider")
class Provider(MethodView):
    @access(Role.provincial_admin)
    @tenant_blp.response(200, IdentityProviderSchema)
    def get(self):
        """The province's OpenID Connect provider (the client secret is never shown)"""
        return _provider_view(sso.get_provider())

    @access(Role.provincial_admin)
    @tenant_blp.arguments(IdentityProviderSchema)
    @tenant_blp.response(200, IdentityProviderSchema)
    def put(self, data):
        """Set the province's provider; leave client_secret out to keep the stored one"""
        policy = sso.IssuerPolicy.for_settings(current_app.config["SETTINGS"])
        provider = sso.configure_provider(**data, policy=policy)
        view = _provider_view(provider)
        db.session.commit()
        return view

    @access(Role.provincial_admin)
    @tenant_blp.response(204)
    def delete(self):
        """Remove the province's provider (sign-in through it stops)"""
        sso.remove_provider()
        db.session.commit()


@tenant_blp.route("/identity/provider/check")
class ProviderCheck(MethodView):
    @access(Role.provincial_admin)
    @tenant_blp.response(200, ConnectionReportSchema)
    def post(self):
        """Test the connection: fetch the discovery document and keys, report what is wrong"""
        report = sso.check_connection()
        # Kept in the audit log: the rollout checklist shows when SSO was last tested, by whom, and how it went.
        audit.record(
            "identity.provider.check",
            "identity_provider",
            current_tenant().id,
            after={"ok": report.ok, "failed": [c["check"] for c in report.checks if not c["ok"]]},
        )
        db.session.commit()
        return report
