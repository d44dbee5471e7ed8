"""Background jobs: the work a request leaves for Celery, written in the request's own transaction
(an outbox), so it is never lost between the commit and the broker."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kpi_platform.db import Base, JsonType, TenantScoped, utcnow


class JobState(enum.StrEnum):
    pending = "pending"  # committed, not (yet) handed to the broker: the sweeper hands it over
    queued = "queued"  # in the broker's queue
    running = "running"
    done = "done"
    failed = "failed"


class BackgroundJob(TenantScoped, Base):
    __tablename__ = "background_jobs"
    __table_args__ = (Index("ix_background_jobs_state", "tenant_id", "state", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    task: Mapped[str] = mapped_column(String(120))  # the Celery task's name
    arguments: Mapped[dict] = mapped_column(JsonType, default=dict)  # its keyword arguments (tenant_id aside)
    label: Mapped[str] = mapped_column(String(120))  # what it is for, e.g. "period_close 2025-03"
    state: Mapped[JobState] = mapped_column(
        Enum(JobState, name="background_job_state", native_enum=False, length=20), default=JobState.pending
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # hand-overs to the broker
    result: Mapped[dict | None] = mapped_column(JsonType)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
