"""The provincial admin's pages (minimal for now): the rollout checklist with its evidence, and
uploading a pack (.zip or .xlsx) as an import job whose progress and line-numbered problems show on
the page. onboarding.service and onboarding.rollout do the work; the job runs in Celery."""

from __future__ import annotations

import uuid

from flask import current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from kpi_platform.db import db
from kpi_platform.errors import DomainError
from kpi_platform.jobs import service as jobs
from kpi_platform.onboarding import rollout, service
from kpi_platform.onboarding.models import JobStatus
from kpi_platform.policy import page
from kpi_platform.roles import Role
from kpi_platform.web.blueprint import bp
from kpi_platform.web.common import WATCHERS, message_of, today

ADMIN = Role.provincial_admin
RECENT_JOBS = 20
RUNNING = (JobStatus.queued, JobStatus.running)


@bp.get("/t/<tenant>/rollout", endpoint="rollout")
@page(*WATCHERS)
def rollout_page():
    return render_template("rollout.html", checklist=rollout.checklist(today()), events=rollout.events())


def _imports_page(*, error: str | None = None, status: int = 200):
    jobs = db.session.scalars(service.list_jobs().limit(RECENT_JOBS)).all()
    return render_template("imports.html", jobs=jobs, error=error, parts=service.PARTS), status


@bp.get("/t/<tenant>/imports")
@page(ADMIN)
def imports():
    return _imports_page()


@bp.post("/t/<tenant>/imports")
@page(ADMIN)
def upload_pack():
    upload = request.files.get("file")
    limit = current_app.config["SETTINGS"].upload_max_bytes  # KPI_UPLOAD_MAX_BYTES
    data = upload.read(limit + 1) if upload else b""
    name = (upload.filename or "") if upload else ""
    if not data or not name.lower().endswith((".zip", ".xlsx")):
        return _imports_page(error=_("Hãy chọn tệp .zip (cả thư mục gói) hoặc .xlsx (mỗi bảng một trang)."), status=422)
    if len(data) > limit:
        return _imports_page(error=_("Dữ liệu gửi lên quá lớn."), status=413)
    try:
        job, background = service.start_import(
            source_name=name,
            archive=data,
            dry_run=request.form.get("mode") != "import",
            only=service.parts_from(",".join(request.form.getlist("only"))),
            by=g.principal,
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _imports_page(error=message_of(error), status=422)
    jobs.dispatch(background)
    return redirect(url_for("web.import_job", job_id=job.id))


@bp.get("/t/<tenant>/imports/<uuid:job_id>")
@page(ADMIN)
def import_job(job_id: uuid.UUID):
    job = service.get_job(job_id)
    report = job.report or {}
    return render_template(
        "import_job.html",
        job=job,
        running=job.status in RUNNING,
        problems=report.get("problems") or [],
        plan=report.get("plan"),
        report=report,
    )
