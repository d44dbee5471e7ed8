from __future__ import annotations

import uuid

from flask.views import MethodView
from flask_smorest import Blueprint

from kpi_platform.audit import service
from kpi_platform.audit.schemas import AuditEntrySchema, AuditQuerySchema
from kpi_platform.pagination import page_of
from kpi_platform.policy import access
from kpi_platform.roles import Role

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/v1/t/<tenant>/audit",
    description="The tenant's append-only audit log (read only).",
)


@blp.route("")
class AuditEntries(MethodView):
    @access(Role.provincial_admin, Role.auditor)
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """List audit entries, newest first"""
        return page_of(service.list_entries(**query), pagination_parameters)


@blp.route("/<uuid:entry_id>")
class AuditEntryById(MethodView):
    @access(Role.provincial_admin, Role.auditor)
    @blp.response(200, AuditEntrySchema)
    def get(self, entry_id: uuid.UUID):
        """Show one audit entry"""
        return service.get_entry(entry_id)
