"""Onboarding through the API: upload a pack (a .zip of its folder, or its tables as one .xlsx) to
validate or import it as a job with progress, and the rollout checklist with its events. The
provincial admin runs it; the platform operator sees every tenant's checklist."""

from __future__ import annotations

import uuid

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from kpi_platform.db import db
from kpi_platform.errors import Invalid
from kpi_platform.jobs import service as jobs
from kpi_platform.jobs.schemas import with_job
from kpi_platform.onboarding import rollout, service
from kpi_platform.onboarding import schemas as s
from kpi_platform.pagination import page_of
from kpi_platform.policy import PLATFORM, access, current_principal
from kpi_platform.roles import OVERSIGHT, Role
from kpi_platform.tenancy import service as tenancy
from kpi_platform.tenancy.schemas import TenantCreateSchema, TenantListQuerySchema, TenantSchema, TenantUpdateSchema

blp = Blueprint(
    "onboarding",
    __name__,
    url_prefix="/api/v1/t/<tenant>",
    description="Province packs: validation, import jobs, the rollout checklist.",
)
platform_blp = Blueprint(
    "platform_onboarding",
    __name__,
    url_prefix="/api/v1/platform",
    description="The tenant registry and every tenant's rollout, for the platform operator.",
)
ADMIN = Role.provincial_admin
WATCHERS = OVERSIGHT


def _today():
    return tenancy.tenant_today()


@blp.route("/onboarding/imports")
class Imports(MethodView):
    @access(ADMIN)
    @blp.response(200, s.ImportJobSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """Import jobs, newest first"""
        return page_of(service.list_jobs(), pagination_parameters)

    @access(ADMIN)
    @blp.arguments(s.ImportOptionsSchema, location="form")
    @blp.arguments(s.UploadSchema, location="files")
    @blp.response(202, s.ImportJobSchema)
    def post(self, options, files):
        """Upload a pack (.zip of the folder, or .xlsx with one sheet per table) to validate or import it.

        The job runs in the background; GET it for its progress and, at the end, its report: every
        problem with file, line and column, or what was (or with dry_run, would be) created,
        changed and retired. Nothing is imported unless everything is valid."""
        upload = files["file"]
        limit = current_app.config["SETTINGS"].upload_max_bytes  # KPI_UPLOAD_MAX_BYTES
        data = upload.read(limit + 1)
        if not data or len(data) > limit:
            raise Invalid("Tệp trống hoặc quá lớn.", "The file is empty or too large.", fields={"file": ["size"]})
        job, background = service.start_import(
            source_name=upload.filename or "upload.zip",
            archive=data,
            dry_run=options["dry_run"],
            only=service.parts_from(options.get("only")),
            by=current_principal(),
        )
        db.session.commit()
        background = jobs.dispatch(background)
        return with_job(service.get_job(job.id), s.ImportJobSchema, background)


@blp.route("/onboarding/imports/<uuid:job_id>")
class ImportById(MethodView):
    @access(ADMIN)
    @blp.response(200, s.ImportJobSchema)
    def get(self, job_id: uuid.UUID):
        """An import job: status, progress (phase, done, total) and report"""
        return service.get_job(job_id)


@blp.route("/onboarding/rollout")
class Rollout(MethodView):
    @access(*WATCHERS)
    @blp.response(200, s.ChecklistSchema)
    def get(self):
        """The rollout checklist: each step, done or not, with its evidence"""
        return rollout.checklist(_today())


@blp.route("/onboarding/rollout/events")
class RolloutEvents(MethodView):
    @access(*WATCHERS)
    @blp.response(200, s.RolloutEventSchema(many=True))
    def get(self):
        """Pilot start, official start and extensions recorded so far"""
        return rollout.events()

    @access(ADMIN)
    @blp.arguments(s.RolloutEventSchema)
    @blp.response(201, s.RolloutEventSchema)
    def post(self, data):
        """Record a step of the rollout (pilot started with its units, official start, an extension);
        the tenant's status follows once its day has come"""
        event = rollout.record_event(by=current_principal(), **data)
        db.session.commit()
        rollout.follow_status(_today())
        db.session.commit()
        return event


@platform_blp.route("/tenants")
class Tenants(MethodView):
    @access(Role.platform_operator, scope=PLATFORM)
    @platform_blp.arguments(TenantListQuerySchema, location="query")
    @platform_blp.response(200, TenantSchema(many=True))
    @platform_blp.paginate()
    def get(self, query, pagination_parameters):
        """List tenants"""
        return page_of(tenancy.list_tenants(query.get("status")), pagination_parameters)

    @access(Role.platform_operator, scope=PLATFORM)
    @platform_blp.arguments(TenantCreateSchema)
    @platform_blp.response(201, TenantSchema)
    def post(self, data):
        """Create a tenant (and optionally its first provincial admin)"""
        return service.create_tenant(**data)


@platform_blp.route("/tenants/<slug>")
class TenantBySlug(MethodView):
    @access(Role.platform_operator, scope=PLATFORM)
    @platform_blp.response(200, TenantSchema)
    def get(self, slug):
        """Show a tenant"""
        return tenancy.require_tenant_by_slug(slug)

    @access(Role.platform_operator, scope=PLATFORM)
    @platform_blp.arguments(TenantUpdateSchema)
    @platform_blp.response(200, TenantSchema)
    def patch(self, data, slug):
        """Change a tenant's names, time zone or status (suspend with status=suspended)"""
        return tenancy.update_tenant(slug, data)


@platform_blp.route("/tenants/<slug>/rollout")
class PlatformRollout(MethodView):
    @access(Role.platform_operator, scope=PLATFORM)
    @platform_blp.response(200, s.ChecklistSchema)
    def get(self, slug: str):
        """A tenant's rollout checklist (the operator's view)"""
        tenant = tenancy.require_tenant_by_slug(slug)
        return rollout.checklist_for(tenant.id, tenancy.local_today(tenant))
