from __future__ import annotations

import uuid

from flask import current_app

from kpi_platform.celery_app import tenant_task
from kpi_platform.onboarding import service
from kpi_platform.tenancy import service as tenancy


@tenant_task("onboarding.run_import_job")
def run_import_job(tenant_id: str, import_job_id: str) -> dict:
    max_rows = current_app.config["SETTINGS"].pack_max_rows
    job = service.run_job(uuid.UUID(import_job_id), today=tenancy.tenant_today(), max_rows=max_rows)
    return {"import_job_id": import_job_id, "status": str(job.status)}
