"""The approval path shared by catalog item versions and job description versions:
draft → submitted → approved, or returned (edited, then submitted again). Approved versions of one
thing cover consecutive periods; approving a new one ends the previous one where it starts."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from kpi_platform.catalog.models import VersionState
from kpi_platform.db import db, utcnow
from kpi_platform.errors import Conflict, Forbidden, Invalid


def pending(parent_column, parent_id):
    """The version waiting for a decision or being drafted (at most one), or None."""
    model = parent_column.class_
    return db.session.scalar(select(model).where(parent_column == parent_id, model.state != VersionState.approved))


def latest_approved(parent_column, parent_id):
    model = parent_column.class_
    return db.session.scalar(
        select(model)
        .where(parent_column == parent_id, model.state == VersionState.approved)
        .order_by(model.number.desc())
        .limit(1)
    )


def editable(version):
    if version is None or version.state not in (VersionState.draft, VersionState.returned):
        raise Conflict(
            "Không có bản nháp hoặc bản bị trả lại để sửa.",
            "There is no draft or returned version to edit.",
            code="not_editable",
        )
    return version


def waiting(version):
    if version is None or version.state != VersionState.submitted:
        raise Conflict(
            "Không có đề nghị nào đang chờ duyệt.", "Nothing is waiting for a decision.", code="not_submitted"
        )
    return version


def check_starts_after(latest, valid_from: date) -> None:
    """A new version must start after the one in force started (the past periods stay as they were)."""
    if latest is not None and valid_from <= latest.valid_from:
        raise Invalid(
            f"Phiên bản mới phải có hiệu lực sau ngày {latest.valid_from:%d/%m/%Y} của phiên bản đang áp dụng.",
            f"A new version must take effect after {latest.valid_from.isoformat()}, the start of the current one.",
            fields={"valid_from": ["must be after the current version's start"]},
            code="invalid_effective_date",
        )


def refuse_a_second_change(version) -> None:
    if version is not None:
        raise Conflict(
            "Đang có một đề nghị thay đổi chưa được quyết định.",
            "A change is already waiting for a decision.",
            code="change_pending",
        )


def not_own(principal, version) -> None:
    if version.submitted_by == principal.id:
        raise Forbidden(
            "Không được tự duyệt hoặc trả lại đề nghị do chính mình gửi.",
            "You cannot approve or return your own submission.",
            code="own_submission",
        )


def mark_submitted(version, by) -> None:
    version.state = VersionState.submitted
    version.submitted_by, version.submitted_at = by.id, utcnow()
    version.return_reason = None


def mark_approved(version, previous, by) -> None:
    if previous is not None:
        check_starts_after(previous, version.valid_from)
        previous.valid_to = version.valid_from  # one pending change at a time: nothing approved comes later
    version.state = VersionState.approved
    version.decided_by, version.decided_at = by.id, utcnow()


def mark_returned(version, by, reason: str | None) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid(
            "Hãy ghi lý do trả lại.",
            "Give the reason for returning it.",
            fields={"reason": ["required"]},
            code="reason_required",
        )
    version.state = VersionState.returned
    version.return_reason = reason
    version.decided_by, version.decided_at = by.id, utcnow()
    return reason
