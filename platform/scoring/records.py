"""What scoring reads besides entries: leave, general-criteria marks, disciplinary records."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select

from kpi_platform.audit import service as audit
from kpi_platform.context import require_tenant_id
from kpi_platform.db import db, utcnow
from kpi_platform.errors import Invalid, NotFound
from kpi_platform.org import service as org
from kpi_platform.scoring.engine import d
from kpi_platform.scoring.models import DisciplinaryRecord, GeneralMark, Leave
from kpi_platform.tenant_settings import service as tenant_settings

MEASURES = ("khien_trach", "canh_cao", "ha_bac_luong", "giang_chuc", "cach_chuc", "buoc_thoi_viec")


def record_leave(*, official_id: uuid.UUID, first_day: date, last_day: date, kind: str, note=None, by=None) -> Leave:
    org.get_official(official_id, field="official_id")
    if last_day < first_day:
        raise Invalid(
            "Ngày kết thúc trước ngày bắt đầu.", "The last day is before the first.", fields={"last_day": ["order"]}
        )
    leave = Leave(
        official_id=official_id,
        first_day=first_day,
        last_day=last_day,
        kind=kind,
        note=note,
        recorded_by=by.id if by else None,
    )
    db.session.add(leave)
    db.session.flush()
    audit.record(
        "scoring.leave",
        "leave",
        leave.id,
        after={
            "official_id": str(official_id),
            "from": first_day.isoformat(),
            "to": last_day.isoformat(),
            "kind": kind,
        },
    )
    return leave


def leave_days(start: date, end: date, official_ids=None) -> dict[uuid.UUID, set[date]]:
    """official -> the days of [start, end) they were on leave (everyone, or the officials named)."""
    stmt = select(Leave).where(Leave.first_day < end, Leave.last_day >= start)
    if official_ids is not None:
        stmt = stmt.where(Leave.official_id.in_(list(official_ids)))
    days: dict[uuid.UUID, set[date]] = defaultdict(set)
    for leave in db.session.scalars(stmt):
        day = max(leave.first_day, start)
        while day <= leave.last_day and day < end:
            days[leave.official_id].add(day)
            day += timedelta(days=1)
    return days


def leaves(official_id: uuid.UUID | None = None, *, within=None):
    """Leave, newest first: of one official, and only of the officials `within` selects (None: all)."""
    stmt = select(Leave).order_by(Leave.first_day.desc())
    if within is not None:
        stmt = stmt.where(Leave.official_id.in_(within))
    return stmt.where(Leave.official_id == official_id) if official_id else stmt


def mark_general(*, official_id: uuid.UUID, month: date, score, by=None) -> GeneralMark:
    org.get_official(official_id, field="official_id")
    maximum = tenant_settings.settings_on(month).weights.general_max
    if not 0 <= d(score) <= maximum:
        raise Invalid(
            f"Điểm tiêu chí chung từ 0 đến {maximum}.",
            f"General criteria range from 0 to {maximum}.",
            fields={"score": [f"0..{maximum}"]},
        )
    month = month.replace(day=1)
    mark = db.session.get(GeneralMark, (require_tenant_id(), official_id, month)) or GeneralMark(
        official_id=official_id, month=month
    )
    mark.score, mark.marked_by, mark.marked_at = d(score), (by.id if by else None), utcnow()
    db.session.add(mark)
    db.session.flush()
    audit.record(
        "scoring.general_mark", "official", official_id, after={"month": month.isoformat(), "score": str(score)}
    )
    return mark


def record_discipline(*, official_id, measure: str, decision_number: str, decision_date: date, note=None, by=None):
    org.get_official(official_id, field="official_id")
    if measure not in MEASURES:
        raise Invalid(fields={"measure": [f"one of {', '.join(MEASURES)}"]})
    record = DisciplinaryRecord(
        official_id=official_id,
        measure=measure,
        decision_number=decision_number.strip(),
        decision_date=decision_date,
        note=note,
        recorded_by=by.id if by else None,
    )
    db.session.add(record)
    db.session.flush()
    audit.record(
        "scoring.discipline",
        "official",
        official_id,
        after={"measure": measure, "decision": decision_number, "date": decision_date.isoformat()},
    )
    return record


def disciplinary_records(official_id: uuid.UUID | None = None):
    stmt = select(DisciplinaryRecord).order_by(DisciplinaryRecord.decision_date.desc())
    return stmt.where(DisciplinaryRecord.official_id == official_id) if official_id else stmt


def get_leave(leave_id: uuid.UUID) -> Leave:
    leave = db.session.get(Leave, (require_tenant_id(), leave_id))
    if leave is None:
        raise NotFound()
    return leave
