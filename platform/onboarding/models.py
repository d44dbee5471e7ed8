"""Import jobs (a pack being validated or imported, with its progress and report) and the events of
a tenant's rollout path (pilot started, official start, extensions)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Enum, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from kpi_platform.db import Base, JsonType, TenantScoped, utcnow


class JobStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    invalid = "invalid"  # the pack has problems; nothing was imported
    failed = "failed"  # an unexpected error; nothing was imported


class ImportJob(TenantScoped, Base):
    __tablename__ = "import_jobs"
    __table_args__ = (Index("ix_import_jobs_created", "tenant_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    status: Mapped[JobStatus] = mapped_column(
        Enum(JobStatus, name="import_job_status", native_enum=False, length=20), default=JobStatus.queued
    )
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(20), default="import")  # import or absorb
    options: Mapped[dict] = mapped_column(JsonType, default=dict)  # only, absorb options …
    source_name: Mapped[str] = mapped_column(String(300))
    archive: Mapped[bytes | None] = mapped_column(LargeBinary)  # the upload, dropped once the job ran
    progress: Mapped[dict] = mapped_column(JsonType, default=dict)  # phase, done, total
    report: Mapped[dict | None] = mapped_column(JsonType)  # plan counts or the problems
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class RolloutStep(enum.StrEnum):
    pilot_started = "pilot_started"
    official_start = "official_start"
    extension = "extension"


class RolloutEvent(TenantScoped, Base):
    __tablename__ = "rollout_events"
    __table_args__ = (Index("ix_rollout_events_step", "tenant_id", "step", "on_date"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    step: Mapped[RolloutStep] = mapped_column(Enum(RolloutStep, name="rollout_step", native_enum=False, length=30))
    on_date: Mapped[date]
    unit_codes: Mapped[list] = mapped_column(JsonType, default=list)
    note: Mapped[str | None] = mapped_column(String(500))
    recorded_by: Mapped[uuid.UUID | None]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
