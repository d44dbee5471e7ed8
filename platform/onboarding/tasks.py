from __future__ import annotations

import uuid

from flask import current_app

from kpi_platform.celery_app import tenant_task
from kpi_platform.context import require_tenant_id
from kpi_platform.onboarding import service
from kpi_platform.tenancy import service as tenancy


@tenant_task("onboarding.run_import_job")
def run_import_job(tenant_id: str, job_id: str) -> str:
    tenant = tenancy.get_tenant(require_tenant_id())
    max_rows = current_app.config["SETTINGS"].pack_max_rows
    job = service.run_job(uuid.UUID(job_id), today=tenancy.local_today(tenant), max_rows=max_rows)
    return str(job.status)
