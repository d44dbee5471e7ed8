"""The current tenant, as its members see it. The registry of tenants is the platform operator's
(onboarding.api), since a tenant starts with its first provincial admin."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from kpi_platform.policy import access, current_tenant
from kpi_platform.tenancy.schemas import TenantSchema

tenant_blp = Blueprint("tenant", __name__, url_prefix="/api/v1/t/<tenant>", description="The current tenant.")


@tenant_blp.route("")
class CurrentTenant(MethodView):
    @access()
    @tenant_blp.response(200, TenantSchema)
    def get(self):
        """The tenant the caller belongs to"""
        return current_tenant()
