from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from kpi_platform.identity.auth import PLATFORM, access, current_tenant
from kpi_platform.identity.roles import Role
from kpi_platform.pagination import page_of
from kpi_platform.tenancy import service
from kpi_platform.tenancy.schemas import (
    TenantCreateSchema,
    TenantListQuerySchema,
    TenantSchema,
    TenantUpdateSchema,
)

platform_blp = Blueprint(
    "platform_tenants",
    __name__,
    url_prefix="/api/v1/platform/tenants",
    description="Tenant registry (platform operators only).",
)
tenant_blp = Blueprint("tenant", __name__, url_prefix="/api/v1/t/<tenant>", description="The current tenant.")


@platform_blp.route("")
class Tenants(MethodView):
    @access(Role.platform_operator, scope=PLATFORM)
    @platform_blp.arguments(TenantListQuerySchema, location="query")
    @platform_blp.response(200, TenantSchema(many=True))
    @platform_blp.paginate()
    def get(self, query, pagination_parameters):
        """List tenants"""
        return page_of(service.list_tenants(query.get("status")), pagination_parameters)

    @access(Role.platform_operator, scope=PLATFORM)
    @platform_blp.arguments(TenantCreateSchema)
    @platform_blp.response(201, TenantSchema)
    def post(self, data):
        """Create a tenant (and optionally its first provincial admin)"""
        return service.create_tenant(**data)


@platform_blp.route("/<slug>")
class TenantBySlug(MethodView):
    @access(Role.platform_operator, scope=PLATFORM)
    @platform_blp.response(200, TenantSchema)
    def get(self, slug):
        """Show a tenant"""
        return service.require_tenant_by_slug(slug)

    @access(Role.platform_operator, scope=PLATFORM)
    @platform_blp.arguments(TenantUpdateSchema)
    @platform_blp.response(200, TenantSchema)
    def patch(self, data, slug):
        """Change a tenant's names, time zone or status (suspend with status=suspended)"""
        return service.update_tenant(slug, data)


@tenant_blp.route("")
class CurrentTenant(MethodView):
    @access()
    @tenant_blp.response(200, TenantSchema)
    def get(self):
        """The tenant the caller belongs to"""
        return current_tenant()
