"""Logging work and reviewing it.

An official logs an item of their own job descriptions (the version in force that day is kept);
the tenant's rules apply: how many working days back, a cap on the standard time claimed per day,
no duplicate (same item, same evidence), nothing in a closed month. Entries go draft → submitted →
approved or returned (edited and submitted again) → locked when the month closes. Their reviewer —
the official's own reviewer, else the head of their unit — approves or returns them, many at once;
entries left unreviewed too long also reach the unit heads above. No Flask here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update

from kpi_platform.audit import service as audit
from kpi_platform.catalog import job_descriptions
from kpi_platform.catalog.models import CatalogItem, CatalogItemVersion
from kpi_platform.context import require_tenant_id
from kpi_platform.db import db, utcnow
from kpi_platform.errors import Conflict, Forbidden, Invalid, NotFound, bulk_failed, invalid, row_error
from kpi_platform.org import service as org
from kpi_platform.periods import active_on
from kpi_platform.tenancy import service as tenancy
from kpi_platform.tenant_settings import service as tenant_settings
from kpi_platform.worklog import calendar
from kpi_platform.worklog.models import CLAIMING_TIME, EDITABLE, ClosedPeriod, EntrySource, EntryState, WorkEntry

MAX_BATCH = 1000


class ItemNotAllowed(Invalid):
    code = "item_not_allowed"


# ---------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rules:
    days_back: int
    cap_minutes: int  # on a working day
    overtime_minutes: int  # the cap on a day off
    day_minutes: int  # a standard working day

    @classmethod
    def on(cls, day: date) -> Rules:
        settings = tenant_settings.settings_on(day)
        overtime = settings.logging.overtime_minutes_per_day
        return cls(
            day_minutes=int(settings.weights.flag_hours_per_day * 60),
            days_back=settings.logging.days_back,
            cap_minutes=int(settings.weights.hours_per_day * 60) + overtime,
            overtime_minutes=overtime,
        )


def month_of(day: date) -> date:
    return day.replace(day=1)


def is_closed(day: date) -> bool:
    return db.session.get(ClosedPeriod, (require_tenant_id(), month_of(day))) is not None


def _refuse_closed(day: date) -> None:
    if is_closed(day):
        raise Conflict(
            f"Tháng {day:%m/%Y} đã khóa sổ; không thể thêm hoặc sửa công việc.",
            f"{day:%m/%Y} is closed; its entries cannot be added or changed.",
            code="period_closed",
        )


def _check_date(work_date: date, today: date, rules: Rules) -> None:
    if work_date > today:
        raise invalid("work_date", "Không ghi công việc cho ngày mai.", "Work cannot be logged ahead.", "future_date")
    if calendar.working_days_back(work_date, today) > rules.days_back:
        raise invalid(
            "work_date",
            f"Chỉ được ghi công việc trong {rules.days_back} ngày làm việc gần nhất.",
            f"Work can be logged for the last {rules.days_back} working days only.",
            "too_far_back",
        )


def late_working_days(deadline: date | None, completed_on: date | None) -> int:
    """Working days between the deadline and the completion (0 when on time or without a deadline)."""
    if deadline is None or completed_on is None:
        return 0
    return calendar.working_days_back(deadline, completed_on)


def standard_minutes(version: CatalogItemVersion, quantity) -> Decimal:
    return Decimal(str(version.norm_minutes)) * Decimal(str(quantity))


def claimed_minutes(official_id: uuid.UUID, day: date, *, excluding: uuid.UUID | None = None) -> Decimal:
    """The standard time (norm * quantity) the official claims on `day`, returned entries aside."""
    stmt = (
        select(func.coalesce(func.sum(CatalogItemVersion.norm_minutes * WorkEntry.quantity), 0))
        .select_from(WorkEntry)
        .join(
            CatalogItemVersion,
            and_(
                CatalogItemVersion.tenant_id == WorkEntry.tenant_id,
                CatalogItemVersion.id == WorkEntry.item_version_id,
            ),
        )
        .where(WorkEntry.official_id == official_id, WorkEntry.work_date == day, WorkEntry.state.in_(CLAIMING_TIME))
    )
    if excluding is not None:
        stmt = stmt.where(WorkEntry.id != excluding)
    return Decimal(str(db.session.scalar(stmt)))


def _hours(minutes, decimal_mark: str) -> str:
    """Minutes as the pages show them: hours with at most two decimals (8; 8,5 in Vietnamese)."""
    text = f"{Decimal(minutes) / 60:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", decimal_mark)


def _check_cap(official_id, day, version, quantity, rules: Rules, excluding=None) -> None:
    cap = rules.cap_minutes if calendar.is_working_day(day) else rules.overtime_minutes
    total = claimed_minutes(official_id, day, excluding=excluding) + standard_minutes(version, quantity)
    if total > cap:
        raise invalid(
            "quantity",
            f"Tổng giờ chuẩn đã khai trong ngày sẽ là {_hours(total, ',')} giờ, "
            f"vượt mức tối đa {_hours(cap, ',')} giờ.",
            f"The day's standard time would be {_hours(total, '.')} hours, above the cap of {_hours(cap, '.')} hours.",
            "daily_cap_exceeded",
        )


def _check_duplicate(official_id, item_id, evidence_ref, excluding=None) -> None:
    if not evidence_ref:
        return
    stmt = select(WorkEntry.id).where(
        WorkEntry.official_id == official_id, WorkEntry.item_id == item_id, WorkEntry.evidence_ref == evidence_ref
    )
    if excluding is not None:
        stmt = stmt.where(WorkEntry.id != excluding)
    if db.session.scalar(stmt.limit(1)) is not None:
        raise Conflict(
            f"Đã ghi công việc này với văn bản {evidence_ref}.",
            f"This item was already logged with evidence {evidence_ref}.",
            code="duplicate_entry",
            fields={"evidence_ref": ["duplicate"]},
        )


def _allowed_version(official_id, item_id, work_date) -> CatalogItemVersion:
    version = job_descriptions.allowed_version(official_id, item_id, work_date)
    if version is None:
        raise ItemNotAllowed(
            "Mục này không có trong bản mô tả công việc của bạn vào ngày đó, hoặc chưa được duyệt.",
            "This item is not in your job descriptions on that day, or it is not approved.",
            fields={"item_id": ["not allowed"]},
        )
    return version


def _positive(value, field: str) -> Decimal:
    number = Decimal(str(value))
    if not number.is_finite() or number <= 0:
        raise invalid(field, "Số lượng phải lớn hơn 0.", "The quantity must be above 0.", "validation_error")
    return number


# ---------------------------------------------------------------- the official's entries


def get_entry(entry_id: uuid.UUID) -> WorkEntry:
    entry = db.session.get(WorkEntry, (require_tenant_id(), entry_id))
    if entry is None:
        raise NotFound("Không tìm thấy công việc đã ghi.", "Work entry not found.")
    return entry


def _audit_view(entry: WorkEntry) -> dict:
    return {
        "official_id": str(entry.official_id),
        "work_date": entry.work_date.isoformat(),
        "item_version_id": str(entry.item_version_id),
        "quantity": str(entry.quantity),
        "state": str(entry.state),
        "evidence_ref": entry.evidence_ref,
    }


def log_work(
    official_id: uuid.UUID,
    work_date: date,
    item_id: uuid.UUID,
    quantity,
    *,
    today: date | None = None,
    actual_minutes=None,
    note: str | None = None,
    evidence_ref: str | None = None,
    evidence_url: str | None = None,
    attachment_ref: str | None = None,
    deadline: date | None = None,
    completed_on: date | None = None,
    idempotency_key: str | None = None,
    submit: bool = False,
    source: EntrySource = EntrySource.manual,
    source_event_id: str | None = None,
    by=None,
    rules: Rules | None = None,
) -> WorkEntry:
    """Log an entry; submitted at once with `submit` (and then approved when the tenant's
    auto-approval applies). The rules on dates and the daily cap apply when `today` is given (an
    official logging); ingestion and tests may leave it out. An official's request goes through
    log_entry, which also answers a retry."""
    org.get_official(official_id, field="official_id")
    quantity = _positive(quantity, "quantity")
    if actual_minutes is not None and Decimal(str(actual_minutes)) < 0:
        raise invalid("actual_minutes", "Số phút không được âm.", "Minutes cannot be negative.", "validation_error")
    if today is not None:
        rules = rules or Rules.on(work_date)
        _check_date(work_date, today, rules)
    _refuse_closed(work_date)
    version = _allowed_version(official_id, item_id, work_date)
    evidence_ref = (evidence_ref or "").strip() or None
    _check_duplicate(official_id, item_id, evidence_ref)
    if today is not None:
        _check_cap(official_id, work_date, version, quantity, rules)
    entry = WorkEntry(
        official_id=official_id,
        work_date=work_date,
        item_id=item_id,
        item_version_id=version.id,
        quantity=quantity,
        actual_minutes=actual_minutes,
        note=note,
        evidence_ref=evidence_ref,
        evidence_url=evidence_url,
        attachment_ref=attachment_ref,
        deadline=deadline,
        completed_on=completed_on,
        late_working_days=late_working_days(deadline, completed_on),
        idempotency_key=idempotency_key,
        source=source,
        source_event_id=source_event_id,
        created_by=by.id if by else None,
    )
    if submit:
        entry.state, entry.submitted_at = EntryState.submitted, utcnow()
    db.session.add(entry)
    db.session.flush()
    audit.record("worklog.entry.create", "work_entry", entry.id, after=_audit_view(entry))
    if submit:
        auto_approve([entry])
    return entry


def log_entry(official_id: uuid.UUID, work_date: date, item_id: uuid.UUID, quantity, *, today: date, **fields):
    """An official logs work (through the API or the pages): a retry with the same idempotency key
    (a phone on a bad connection, a double tap) returns the entry the first request logged."""
    existing = by_idempotency_key(official_id, fields.get("idempotency_key"))
    if existing is not None:
        return existing
    return log_work(official_id, work_date, item_id, quantity, today=today, **fields)


def own_entry(official_id: uuid.UUID, entry_id: uuid.UUID) -> WorkEntry:
    """One of the official's own entries (another's is not found, as if it did not exist)."""
    entry = get_entry(entry_id)
    if entry.official_id != official_id:
        raise NotFound("Không tìm thấy công việc đã ghi.", "Work entry not found.")
    return entry


def by_idempotency_key(official_id: uuid.UUID, key: str | None) -> WorkEntry | None:
    """The entry an earlier request with this key created (a phone retrying on a bad connection)."""
    if not key:
        return None
    return db.session.scalar(
        select(WorkEntry).where(WorkEntry.official_id == official_id, WorkEntry.idempotency_key == key)
    )


def update_entry(entry_id: uuid.UUID, changes: dict, *, today: date, by) -> WorkEntry:
    """The official edits a draft or a returned entry (a returned one keeps its reason until resubmitted)."""
    entry = get_entry(entry_id)
    if entry.state not in EDITABLE:
        raise Conflict(
            "Chỉ sửa được công việc ở trạng thái nháp hoặc bị trả lại.",
            "Only draft or returned entries can be changed.",
            code="not_editable",
        )
    _refuse_closed(entry.work_date)
    before = _audit_view(entry)
    work_date = changes.get("work_date", entry.work_date)
    item_id = changes.get("item_id", entry.item_id)
    rules = Rules.on(work_date)
    if "work_date" in changes:
        _check_date(work_date, today, rules)
        _refuse_closed(work_date)
    version = _allowed_version(entry.official_id, item_id, work_date)
    quantity = _positive(changes.get("quantity", entry.quantity), "quantity")
    evidence_ref = (changes.get("evidence_ref", entry.evidence_ref) or "").strip() or None
    _check_duplicate(entry.official_id, item_id, evidence_ref, excluding=entry.id)
    _check_cap(entry.official_id, work_date, version, quantity, rules, excluding=entry.id)
    for name in ("actual_minutes", "note", "evidence_url", "attachment_ref", "deadline", "completed_on"):
        if name in changes:
            setattr(entry, name, changes[name])
    entry.work_date, entry.item_id, entry.item_version_id = work_date, item_id, version.id
    entry.quantity, entry.evidence_ref = quantity, evidence_ref
    entry.late_working_days = late_working_days(entry.deadline, entry.completed_on)
    db.session.flush()
    audit.record("worklog.entry.update", "work_entry", entry.id, before=before, after=_audit_view(entry))
    return entry


def delete_entry(entry_id: uuid.UUID) -> None:
    entry = get_entry(entry_id)
    if entry.state != EntryState.draft:
        raise Conflict("Chỉ xóa được công việc còn nháp.", "Only draft entries can be deleted.", code="not_draft")
    _refuse_closed(entry.work_date)
    before = _audit_view(entry)
    db.session.delete(entry)
    db.session.flush()
    audit.record("worklog.entry.delete", "work_entry", entry_id, before=before)


def submit(official_id: uuid.UUID, entry_ids: list[uuid.UUID]) -> list[WorkEntry]:
    """Submit the official's draft or returned entries (a returned one loses its reason when resubmitted)."""
    entries = db.session.scalars(
        select(WorkEntry).where(WorkEntry.id.in_(entry_ids), WorkEntry.official_id == official_id)
    ).all()
    found = {e.id for e in entries}
    missing = [str(i) for i in entry_ids if i not in found]
    if missing:
        raise NotFound("Không tìm thấy một số công việc.", "Some entries were not found.", fields={"ids": missing})
    wrong = [str(e.id) for e in entries if e.state not in EDITABLE]
    if wrong:
        raise Conflict(
            "Chỉ gửi được công việc nháp hoặc bị trả lại.",
            "Only draft or returned entries can be submitted.",
            code="not_editable",
            fields={"ids": wrong},
        )
    for month in {month_of(entry.work_date) for entry in entries}:
        _refuse_closed(month)
    now = utcnow()
    for entry in entries:
        entry.state, entry.submitted_at = EntryState.submitted, now
    db.session.flush()
    auto_approve(entries)
    audit.record("worklog.entry.submit", "work_entry", None, after={"ids": [str(e.id) for e in entries]})
    return entries


def submit_entries(entry_ids: list[uuid.UUID]) -> int:
    """Submit by id without the owner check (tests and ingestion use it)."""
    result = db.session.execute(
        update(WorkEntry)
        .where(WorkEntry.id.in_(entry_ids), WorkEntry.state.in_(EDITABLE))
        .values(state=EntryState.submitted, submitted_at=utcnow())
    )
    return result.rowcount


def entries_of(official_ids, *, date_from: date | None = None, date_to: date | None = None, state: str | None = None):
    stmt = select(WorkEntry).where(WorkEntry.official_id.in_(official_ids))
    if date_from:
        stmt = stmt.where(WorkEntry.work_date >= date_from)
    if date_to:
        stmt = stmt.where(WorkEntry.work_date <= date_to)
    if state:
        stmt = stmt.where(WorkEntry.state == state)
    return stmt.order_by(WorkEntry.work_date.desc(), WorkEntry.created_at)


def day_summary(official_id: uuid.UUID, day: date) -> dict:
    rules = Rules.on(day)
    working = calendar.is_working_day(day)
    return {
        "date": day,
        "working_day": working,
        "claimed_minutes": claimed_minutes(official_id, day),
        "cap_minutes": rules.cap_minutes if working else rules.overtime_minutes,
        "closed": is_closed(day),
    }


# ---------------------------------------------------------------- review


def reviewer_scope(principal, today: date) -> tuple[set[uuid.UUID], list[uuid.UUID]]:
    """(the officials this person reviews, the units whose overdue entries reach them as unit head)."""
    own = org.official_for_principal(principal.id)
    if own is None:
        return set(), []
    reviewees = org.reviewees_of(own.id, today)
    units = []
    if principal.has_any_role({"unit_head"}):
        units = [unit.id for unit in org.units_headed_by(own.id, today)]
    return reviewees, units


def review_queue(principal, today: date, *, official_id=None, date_from=None, date_to=None, item_id=None):
    """A select of the submitted entries this person may review: their reviewees', plus, for a unit
    head, those anywhere under their units left unreviewed for more than the tenant's escalation delay."""
    reviewees, units = reviewer_scope(principal, today)
    conditions = [WorkEntry.official_id.in_(reviewees)] if reviewees else []
    if units:
        cutoff = escalation_cutoff(today)
        subtree = set()
        for unit_id in units:
            subtree.update(org.subtree_id_list(unit_id, today))
        in_units = select(org.Assignment.official_id).where(
            org.Assignment.unit_id.in_(subtree), active_on(org.Assignment, today)
        )
        conditions.append(and_(WorkEntry.official_id.in_(in_units), WorkEntry.submitted_at < cutoff))
    if not conditions:
        return select(WorkEntry).where(False)
    stmt = select(WorkEntry).where(WorkEntry.state == EntryState.submitted, or_(*conditions))
    if official_id:
        stmt = stmt.where(WorkEntry.official_id == official_id)
    if date_from:
        stmt = stmt.where(WorkEntry.work_date >= date_from)
    if date_to:
        stmt = stmt.where(WorkEntry.work_date <= date_to)
    if item_id:
        stmt = stmt.where(WorkEntry.item_id == item_id)
    return stmt


def escalation_cutoff(today: date) -> datetime:
    """Entries submitted before this moment are overdue: the start, in the tenant's time zone, of
    the day `review.escalate_after_days` working days before `today`."""
    delay = tenant_settings.settings_on(today).review.escalate_after_days
    days = calendar.working_days(today - timedelta(days=delay * 3 + 14), today - timedelta(days=1))
    day = days[-delay] if delay and len(days) >= delay else today
    zone = ZoneInfo(tenancy.get_tenant(require_tenant_id()).time_zone)
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def escalated(entry: WorkEntry, cutoff: datetime) -> bool:
    return entry.state == EntryState.submitted and entry.submitted_at is not None and entry.submitted_at < cutoff


def _quality_codes(day: date) -> list[str]:
    return tenant_settings.settings_on(day).quality_codes


def review(principal, decisions: list[dict], *, today: date) -> dict:
    """Approve (with a quality level) or return (with a reason) many entries at once, all or nothing.
    Approvals are one UPDATE per quality level; returns are one per distinct reason."""
    if not decisions:
        raise Invalid(fields={"decisions": ["empty"]})
    if len(decisions) > MAX_BATCH:
        raise Invalid(fields={"decisions": [f"at most {MAX_BATCH}"]})
    ids = [d["id"] for d in decisions]
    if len(set(ids)) != len(ids):
        raise Invalid(fields={"decisions": ["an entry appears twice"]})
    allowed = set(
        db.session.scalars(review_queue(principal, today).where(WorkEntry.id.in_(ids)).with_only_columns(WorkEntry.id))
    )
    refused = [str(i) for i in ids if i not in allowed]
    if refused:
        raise Forbidden(
            "Một số công việc không chờ bạn đánh giá (không phải của người bạn đánh giá, "
            "hoặc không ở trạng thái đã gửi).",
            "Some entries are not waiting for your review (not your reviewees', or not submitted).",
            code="not_reviewable",
            fields={"ids": refused},
        )
    qualities = set(_quality_codes(today))
    default_quality = tenant_settings.settings_on(today).review.default_quality
    approve_by_quality: dict[str, list] = {}
    return_by_reason: dict[str, list] = {}
    errors = []
    for index, decision in enumerate(decisions, start=1):
        if decision["decision"] == "approve":
            quality = decision.get("quality") or default_quality
            if quality not in qualities:
                one_of = f"one of {', '.join(sorted(qualities))}"
                vi = f"Mức chất lượng không có trong bảng: {one_of}."
                errors.append(
                    row_error(index, {"quality": [one_of]}, f"Unknown quality level: {one_of}.", vi, "unknown_quality")
                )
                continue
            approve_by_quality.setdefault(quality, []).append(decision["id"])
        else:
            reason = " ".join((decision.get("reason") or "").split())
            if not reason:
                needed = {"reason": ["required to return an entry"]}
                errors.append(
                    row_error(
                        index, needed, "A returned entry needs a reason.", "Trả lại cần ghi lý do.", "reason_required"
                    )
                )
                continue
            return_by_reason.setdefault(reason, []).append(decision["id"])
    if errors:
        raise bulk_failed(errors, "quyết định", "decisions")
    now = utcnow()
    for quality, group in approve_by_quality.items():
        db.session.execute(
            update(WorkEntry)
            .where(WorkEntry.id.in_(group), WorkEntry.state == EntryState.submitted)
            .values(
                state=EntryState.approved,
                quality=quality,
                reviewed_by=principal.id,
                reviewed_at=now,
                return_reason=None,
            )
        )
    for reason, group in return_by_reason.items():
        db.session.execute(
            update(WorkEntry)
            .where(WorkEntry.id.in_(group), WorkEntry.state == EntryState.submitted)
            .values(
                state=EntryState.returned, quality=None, reviewed_by=principal.id, reviewed_at=now, return_reason=reason
            )
        )
    approved = sum(len(g) for g in approve_by_quality.values())
    returned = sum(len(g) for g in return_by_reason.values())
    audit.record(
        "worklog.review",
        "work_entry",
        None,
        after={
            "approved": {q: [str(i) for i in g] for q, g in approve_by_quality.items()},
            "returned": {r: [str(i) for i in g] for r, g in return_by_reason.items()},
        },
    )
    db.session.expire_all()
    return {"approved": approved, "returned": returned}


def auto_approve(entries: list[WorkEntry]) -> int:
    """The tenant's low-risk rules, when turned on: entries whose evidence the e-document system
    confirmed, and routine (group B) entries whose reported time is within the norm."""
    if not entries:
        return 0
    review = tenant_settings.settings_on(entries[0].work_date).review
    if not (review.auto_approve_edoc or review.auto_approve_routine):
        return 0
    versions = {
        v.id: v
        for v in db.session.scalars(
            select(CatalogItemVersion).where(CatalogItemVersion.id.in_([e.item_version_id for e in entries]))
        )
    }
    groups = dict(
        db.session.execute(
            select(CatalogItem.id, CatalogItem.item_group).where(CatalogItem.id.in_([e.item_id for e in entries]))
        ).all()
    )
    quality = review.default_quality
    approved = 0
    for entry in entries:
        if entry.state != EntryState.submitted:
            continue
        edoc = review.auto_approve_edoc and entry.source == EntrySource.edoc and entry.evidence_ref
        within = entry.actual_minutes is not None and Decimal(str(entry.actual_minutes)) <= standard_minutes(
            versions[entry.item_version_id], entry.quantity
        )
        routine = review.auto_approve_routine and str(groups.get(entry.item_id)) == "B" and within
        if edoc or routine:
            entry.state, entry.quality, entry.auto_approved = EntryState.approved, quality, True
            entry.reviewed_at = utcnow()
            approved += 1
    db.session.flush()
    return approved


# ---------------------------------------------------------------- periods


def close_month(month: date, *, by) -> ClosedPeriod:
    """Close a month: from now on nothing dated in it can change (every write checks the closed
    months). Locking its approved entries is lock_month's work, done afterwards in Celery, as it
    touches every row of the month; entries still waiting (draft, submitted, returned) stay as they
    are and no longer count."""
    month = month_of(month)
    if is_closed(month):
        raise Conflict(f"Tháng {month:%m/%Y} đã khóa sổ.", f"{month:%m/%Y} is already closed.", code="period_closed")
    period = ClosedPeriod(month=month, closed_by=by.id if by else None, locked_entries=0)
    db.session.add(period)
    db.session.flush()
    audit.record("worklog.period.close", "period", month.isoformat())
    return period


def lock_month(month: date) -> int:
    """Lock a closed month's approved entries (one UPDATE)."""
    period = get_period(month)
    end = (period.month + timedelta(days=32)).replace(day=1)
    result = db.session.execute(
        update(WorkEntry)
        .where(WorkEntry.work_date >= period.month, WorkEntry.work_date < end, WorkEntry.state == EntryState.approved)
        .values(state=EntryState.locked)
    )
    period.locked_entries += result.rowcount
    db.session.flush()
    return result.rowcount


def get_period(month: date) -> ClosedPeriod:
    period = db.session.get(ClosedPeriod, (require_tenant_id(), month_of(month)))
    if period is None:
        raise NotFound("Tháng này chưa khóa sổ.", "This month is not closed.")
    return period


def closed_months():
    return select(ClosedPeriod).order_by(ClosedPeriod.month.desc())
