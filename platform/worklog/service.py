"""Logging work: an official records an item of their own job descriptions, against the item
version in force that day. (The logging rules, review and ingestion come with issue 7.)"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import update

from kpi_platform.audit import service as audit
from kpi_platform.catalog import job_descriptions
from kpi_platform.db import db
from kpi_platform.errors import Invalid
from kpi_platform.org import service as org
from kpi_platform.worklog.models import EntryState, WorkEntry


class ItemNotAllowed(Invalid):
    code = "item_not_allowed"


def log_work(
    official_id: uuid.UUID,
    work_date: date,
    item_id: uuid.UUID,
    quantity,
    *,
    actual_minutes=None,
    note: str | None = None,
    evidence_ref: str | None = None,
    by=None,
) -> WorkEntry:
    org.get_official(official_id, field="official_id")
    version = job_descriptions.allowed_version(official_id, item_id, work_date)
    if version is None:
        raise ItemNotAllowed(
            "Mục này không có trong bản mô tả công việc của bạn vào ngày đó, hoặc chưa được duyệt.",
            "This item is not in your job descriptions on that day, or it is not approved.",
            fields={"item_id": ["not allowed"]},
        )
    quantity = Decimal(str(quantity))
    if quantity <= 0:
        raise Invalid("Số lượng phải lớn hơn 0.", "The quantity must be above 0.", fields={"quantity": [">0"]})
    if actual_minutes is not None and Decimal(str(actual_minutes)) < 0:
        raise Invalid("Số phút không được âm.", "Minutes cannot be negative.", fields={"actual_minutes": [">=0"]})
    entry = WorkEntry(
        official_id=official_id,
        work_date=work_date,
        item_id=item_id,
        item_version_id=version.id,
        quantity=quantity,
        actual_minutes=actual_minutes,
        note=note,
        evidence_ref=evidence_ref,
        created_by=by.id if by else None,
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(
        "worklog.entry.create",
        "work_entry",
        entry.id,
        after={"item_version_id": str(version.id), "work_date": work_date.isoformat(), "quantity": str(quantity)},
    )
    return entry


def submit_entries(entry_ids: list[uuid.UUID]) -> int:
    result = db.session.execute(
        update(WorkEntry)
        .where(WorkEntry.id.in_(entry_ids), WorkEntry.state.in_((EntryState.draft, EntryState.returned)))
        .values(state=EntryState.submitted)
    )
    return result.rowcount
