"""Background jobs through the API: follow one you started (closing a month, an import, a
recompute); oversight roles see them all, and a job that failed, with its error."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from kpi_platform.errors import NotFound
from kpi_platform.jobs import service
from kpi_platform.jobs.schemas import JobListQuerySchema, JobSchema
from kpi_platform.pagination import page_of
from kpi_platform.policy import access, current_principal
from kpi_platform.roles import OVERSIGHT

blp = Blueprint("jobs", __name__, url_prefix="/api/v1/t/<tenant>", description="Background jobs and their state.")


@blp.route("/jobs")
class Jobs(MethodView):
    @access(*OVERSIGHT)
    @blp.arguments(JobListQuerySchema, location="query")
    @blp.response(200, JobSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """The tenant's background jobs, newest first"""
        return page_of(service.list_jobs(query.get("state")), pagination_parameters)


@blp.route("/jobs/<uuid:background_job_id>")
class JobById(MethodView):
    @access()
    @blp.response(200, JobSchema)
    def get(self, background_job_id):
        """A background job: its state, and its result or error once it has run"""
        job = service.get(background_job_id)
        principal = current_principal()
        if job.created_by != principal.id and not principal.has_any_role(OVERSIGHT):
            raise NotFound("Không tìm thấy công việc nền.", "Background job not found.")
        return job
