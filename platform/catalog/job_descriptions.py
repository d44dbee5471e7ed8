"""Job descriptions: which catalog items holders of a job position perform, and so what an official
may log on a day.

A position has one tenant-wide description (A, B and D items; the steering committee approves it)
and, per agency, possibly one of its own (that agency's C items; its head approves it). An
official's allowed items on a day are the union, over the posts they hold that day, of the
tenant-wide description of the post's position and the descriptions that the agencies above the
post's unit keep for that position.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, and_, literal, or_, select
from sqlalchemy.orm import aliased

from kpi_platform.audit import service as audit
from kpi_platform.catalog import approval
from kpi_platform.catalog import service as catalog
from kpi_platform.catalog.models import (
    CatalogItem,
    CatalogItemVersion,
    Group,
    ItemStatus,
    JobDescription,
    JobDescriptionLine,
    JobDescriptionVersion,
    VersionState,
)
from kpi_platform.context import require_tenant_id
from kpi_platform.db import db
from kpi_platform.errors import Conflict, Forbidden, Invalid, NotFound, bulk_failed, row_error
from kpi_platform.org import service as org
from kpi_platform.org.models import Assignment, OrgUnitVersion
from kpi_platform.periods import MAX_DEPTH, active_on


def _kind(agency_id: uuid.UUID | None) -> Group:
    """Tenant-wide descriptions follow the approval rules of group B, an agency's those of group C."""
    return Group.C if agency_id else Group.B


# ---------------------------------------------------------------- reading


def get(jd_id: uuid.UUID) -> JobDescription:
    jd = db.session.get(JobDescription, (require_tenant_id(), jd_id))
    if jd is None:
        raise NotFound("Không tìm thấy bản mô tả công việc.", "Job description not found.")
    return jd


def find(position_id: uuid.UUID, agency_id: uuid.UUID | None) -> JobDescription | None:
    agency = JobDescription.agency_id.is_(None) if agency_id is None else JobDescription.agency_id == agency_id
    return db.session.scalar(select(JobDescription).where(JobDescription.position_id == position_id, agency))


def list_job_descriptions(*, position_id: uuid.UUID | None = None, agency_id: uuid.UUID | None = None) -> Select:
    stmt = select(JobDescription).order_by(JobDescription.created_at, JobDescription.id)
    if position_id:
        stmt = stmt.where(JobDescription.position_id == position_id)
    if agency_id:
        stmt = stmt.where(JobDescription.agency_id == agency_id)
    return stmt


def versions(jd_id: uuid.UUID) -> list[JobDescriptionVersion]:
    get(jd_id)
    return db.session.scalars(
        select(JobDescriptionVersion)
        .where(JobDescriptionVersion.job_description_id == jd_id)
        .order_by(JobDescriptionVersion.number)
    ).all()


def lines_of(version_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict]]:
    """The lines of many versions in one query, by version."""
    found: dict[uuid.UUID, list[dict]] = {version_id: [] for version_id in version_ids}
    if not version_ids:
        return found
    rows = db.session.execute(
        select(JobDescriptionLine, CatalogItem)
        .join(
            CatalogItem,
            and_(CatalogItem.tenant_id == JobDescriptionLine.tenant_id, CatalogItem.id == JobDescriptionLine.item_id),
        )
        .where(JobDescriptionLine.version_id.in_(version_ids))
        .order_by(CatalogItem.code)
    )
    for line, item in rows:
        found[line.version_id].append(
            {
                "item_id": item.id,
                "code": item.code,
                "name_vi": item.name_vi,
                "group": str(item.item_group),
                "expected_monthly_volume": line.expected_monthly_volume,
            }
        )
    return found


def lines(version_id: uuid.UUID) -> list[dict]:
    return lines_of([version_id])[version_id]


def version_view(version: JobDescriptionVersion) -> dict:
    return {"version": version, "lines": lines(version.id)}


def views(jds: list[JobDescription], day: date) -> list[dict]:
    """Each description with its version in force on `day` and any pending one: three queries in all."""
    ids = [jd.id for jd in jds]
    versions = db.session.scalars(
        select(JobDescriptionVersion).where(
            JobDescriptionVersion.job_description_id.in_(ids),
            or_(
                JobDescriptionVersion.state != VersionState.approved,
                active_on(JobDescriptionVersion, day),
            ),
        )
    ).all()
    in_force = {v.job_description_id: v for v in versions if v.state == VersionState.approved}
    pending = {v.job_description_id: v for v in versions if v.state != VersionState.approved}
    all_lines = lines_of([v.id for v in versions])

    def shown(version):
        return {"version": version, "lines": all_lines[version.id]} if version else None

    return [
        {"job_description": jd, "in_force": shown(in_force.get(jd.id)), "pending": shown(pending.get(jd.id))}
        for jd in jds
    ]


def view(jd: JobDescription, day: date) -> dict:
    return views([jd], day)[0]


def _in_force(day: date):
    return and_(JobDescriptionVersion.state == VersionState.approved, active_on(JobDescriptionVersion, day))


def items_of_position(position_id: uuid.UUID, day: date) -> Select:
    """Ids of the items any description of the position lists on `day` (tenant-wide or an agency's)."""
    return (
        select(JobDescriptionLine.item_id)
        .join(
            JobDescriptionVersion,
            and_(
                JobDescriptionVersion.tenant_id == JobDescriptionLine.tenant_id,
                JobDescriptionVersion.id == JobDescriptionLine.version_id,
            ),
        )
        .join(
            JobDescription,
            and_(
                JobDescription.tenant_id == JobDescriptionVersion.tenant_id,
                JobDescription.id == JobDescriptionVersion.job_description_id,
            ),
        )
        .where(JobDescription.position_id == position_id, _in_force(day))
    )


def allowed_items(official_id: uuid.UUID, day: date) -> Select:
    """(CatalogItem, CatalogItemVersion) the official may log on `day`, with the version in force.

    One statement: the official's posts that day climb the org tree (keeping their position), the
    descriptions of those positions — tenant-wide or kept by a unit on the way up — give the items."""
    tenant_id = require_tenant_id()
    posts = (
        select(Assignment.position_id, Assignment.unit_id, literal(0).label("depth"))
        .where(Assignment.tenant_id == tenant_id, Assignment.official_id == official_id, active_on(Assignment, day))
        .cte("post_chain", recursive=True)
    )
    up = aliased(OrgUnitVersion)
    posts = posts.union_all(
        select(posts.c.position_id, up.parent_id, posts.c.depth + 1)
        .join(up, and_(up.unit_id == posts.c.unit_id, up.tenant_id == tenant_id))
        .where(active_on(up, day), up.parent_id.is_not(None), posts.c.depth < MAX_DEPTH)
    )
    descriptions = (
        select(JobDescription.id)
        .join(posts, JobDescription.position_id == posts.c.position_id)
        .where(or_(JobDescription.agency_id.is_(None), JobDescription.agency_id == posts.c.unit_id))
    )
    item_ids = (
        select(JobDescriptionLine.item_id)
        .join(
            JobDescriptionVersion,
            and_(
                JobDescriptionVersion.tenant_id == JobDescriptionLine.tenant_id,
                JobDescriptionVersion.id == JobDescriptionLine.version_id,
            ),
        )
        .where(_in_force(day), JobDescriptionVersion.job_description_id.in_(descriptions))
    )
    return (
        select(CatalogItem, CatalogItemVersion)
        .join(
            CatalogItemVersion,
            and_(
                CatalogItemVersion.tenant_id == CatalogItem.tenant_id,
                CatalogItemVersion.item_id == CatalogItem.id,
                CatalogItemVersion.state == VersionState.approved,
                active_on(CatalogItemVersion, day),
            ),
        )
        .where(CatalogItem.id.in_(item_ids), catalog.loggable_on(day))
        .order_by(CatalogItem.item_group, CatalogItem.code)
    )


def allowed_version(official_id: uuid.UUID, item_id: uuid.UUID, day: date) -> CatalogItemVersion | None:
    """The version the official logs `item_id` against on `day`, or None when it is not theirs to log."""
    row = db.session.execute(allowed_items(official_id, day).where(CatalogItem.id == item_id)).first()
    return row[1] if row else None


# ---------------------------------------------------------------- writing


def _check_lines(agency_id: uuid.UUID | None, rows: list[dict], day: date) -> list[dict]:
    """Resolve item codes/ids, refuse repeats and items of the wrong kind; report every bad line."""
    errors, clean, seen = [], [], set()
    codes = [row.get("item_code") for row in rows if row.get("item_code")]
    by_code = {i.code: i for i in db.session.scalars(select(CatalogItem).where(CatalogItem.code.in_(codes)))}
    ids = [row.get("item_id") for row in rows if row.get("item_id")]
    by_id = {i.id: i for i in db.session.scalars(select(CatalogItem).where(CatalogItem.id.in_(ids)))}
    for number, row in enumerate(rows, start=1):
        item = by_id.get(row.get("item_id")) if row.get("item_id") else by_code.get(row.get("item_code"))
        problem = None
        if item is None:
            problem = ("item", "Không có mục danh mục này.", "No such catalog item.")
        elif item.id in seen:
            problem = ("item", "Mục này đã có ở dòng trước.", "This item is listed twice.")
        elif agency_id is None and item.item_group == Group.C:
            problem = (
                "item",
                "Mô tả chung toàn tỉnh chỉ gồm mục nhóm A, B, D; mục nhóm C thuộc mô tả của cơ quan.",
                "A tenant-wide description lists A, B and D items only; C items go in an agency's own.",
            )
        elif agency_id is not None and (item.item_group != Group.C or item.agency_id != agency_id):
            problem = (
                "item",
                "Mô tả của cơ quan chỉ gồm mục nhóm C của chính cơ quan đó.",
                "An agency's description lists that agency's own group C items only.",
            )
        elif item.status == ItemStatus.retired and item.retired_on <= day:
            problem = ("item", "Mục đã ngừng áp dụng.", "The item is retired.")
        volume = row.get("expected_monthly_volume")
        if problem is None and volume is not None and Decimal(str(volume)) < 0:
            problem = ("expected_monthly_volume", "Khối lượng dự kiến không được âm.", "The volume cannot be negative.")
        if problem:
            field, vi, en = problem
            errors.append(row_error(number, {field: [en]}, en, vi, code="invalid_line"))
            continue
        seen.add(item.id)
        clean.append({"item_id": item.id, "expected_monthly_volume": volume})
    if errors:
        raise bulk_failed(errors)
    return clean


def _write_lines(version: JobDescriptionVersion, rows: list[dict]) -> None:
    db.session.execute(
        JobDescriptionLine.__table__.delete().where(
            JobDescriptionLine.tenant_id == version.tenant_id, JobDescriptionLine.version_id == version.id
        )
    )
    if rows:
        db.session.execute(
            JobDescriptionLine.__table__.insert(),
            [{"tenant_id": version.tenant_id, "version_id": version.id, **row} for row in rows],
        )


def _require_drafter(by, jd_or_agency, day: date) -> None:
    agency_id = jd_or_agency.agency_id if isinstance(jd_or_agency, JobDescription) else jd_or_agency
    if not catalog.may_draft(by, _kind(agency_id), agency_id, day):
        raise Forbidden(
            "Bạn không được soạn thảo bản mô tả công việc này.",
            "You may not draft this job description.",
            code="not_a_drafter",
        )


def _require_decider(by, jd: JobDescription) -> None:
    if not catalog.may_decide(by, _kind(jd.agency_id), jd.agency_id):
        who_vi, who_en = (
            ("thủ trưởng cơ quan", "the head of the agency")
            if jd.agency_id
            else ("Ban chỉ đạo", "the steering committee")
        )
        raise Forbidden(
            f"Chỉ {who_vi} được duyệt hoặc trả lại bản mô tả công việc này.",
            f"Only {who_en} may approve or return this job description.",
            code="not_the_approver",
        )


def _audit(action: str, jd: JobDescription, version: JobDescriptionVersion, **extra) -> None:
    audit.record(
        action,
        "job_description",
        jd.id,
        after={
            "position_id": str(jd.position_id),
            "agency_id": str(jd.agency_id) if jd.agency_id else None,
            "version": version.number,
            "state": str(version.state),
            "valid_from": version.valid_from.isoformat(),
            "items": len(lines(version.id)),
            **extra,
        },
    )


def create(
    *,
    position_id: uuid.UUID,
    agency_id: uuid.UUID | None,
    lines_: list[dict],
    valid_from: date,
    by,
    origin: str | None = None,
) -> JobDescription:
    org.get_position(position_id, field="position_id")
    if agency_id is not None:
        org.unit_as_of(agency_id, valid_from)
    _require_drafter(by, agency_id, valid_from)
    if find(position_id, agency_id) is not None:
        raise Conflict(
            "Vị trí này đã có bản mô tả công việc ở phạm vi này; hãy đề nghị phiên bản mới.",
            "This position already has a description at this scope; propose a new version instead.",
            code="duplicate_job_description",
        )
    rows = _check_lines(agency_id, lines_, valid_from)
    jd = JobDescription(position_id=position_id, agency_id=agency_id, origin=origin)
    db.session.add(jd)
    db.session.flush()
    version = JobDescriptionVersion(
        job_description_id=jd.id, number=1, state=VersionState.draft, valid_from=valid_from, created_by=by.id
    )
    db.session.add(version)
    db.session.flush()
    _write_lines(version, rows)
    _audit("job_description.create", jd, version)
    return jd


def _pending(jd: JobDescription):
    return approval.pending(JobDescriptionVersion.job_description_id, jd.id)


def _latest(jd: JobDescription):
    return approval.latest_approved(JobDescriptionVersion.job_description_id, jd.id)


def propose(jd_id: uuid.UUID, *, lines_: list[dict], valid_from: date, by, note: str | None = None):
    """A new draft version (the full list of lines) of an approved description."""
    jd = get(jd_id)
    approval.refuse_a_second_change(_pending(jd))
    latest = _latest(jd)
    if latest is None:
        raise Conflict(
            "Bản mô tả chưa được duyệt lần nào; hãy sửa bản nháp hiện có.",
            "This description was never approved; edit its current draft instead.",
            code="not_approved",
        )
    _require_drafter(by, jd, valid_from)
    approval.check_starts_after(latest, valid_from)
    rows = _check_lines(jd.agency_id, lines_, valid_from)
    version = JobDescriptionVersion(
        job_description_id=jd.id,
        number=latest.number + 1,
        state=VersionState.draft,
        valid_from=valid_from,
        created_by=by.id,
        change_note=note,
    )
    db.session.add(version)
    db.session.flush()
    _write_lines(version, rows)
    _audit("job_description.propose", jd, version)
    return version


def edit(jd_id: uuid.UUID, *, by, lines_: list[dict] | None = None, valid_from: date | None = None):
    jd = get(jd_id)
    version = approval.editable(_pending(jd))
    _require_drafter(by, jd, valid_from or version.valid_from)
    if valid_from is not None:
        approval.check_starts_after(_latest(jd), valid_from)
        version.valid_from = valid_from
    if lines_ is not None:
        _write_lines(version, _check_lines(jd.agency_id, lines_, version.valid_from))
    db.session.flush()
    _audit("job_description.edit", jd, version)
    return version


def submit(jd_id: uuid.UUID, *, by):
    jd = get(jd_id)
    version = approval.editable(_pending(jd))
    _require_drafter(by, jd, version.valid_from)
    if not lines(version.id):
        raise Invalid(
            "Bản mô tả công việc chưa có mục nào.",
            "The job description lists no item.",
            fields={"lines": ["empty"]},
            code="empty_job_description",
        )
    approval.mark_submitted(version, by)
    db.session.flush()
    _audit("job_description.submit", jd, version)
    return version


def approve(jd_id: uuid.UUID, *, by):
    jd = get(jd_id)
    version = approval.waiting(_pending(jd))
    _require_decider(by, jd)
    approval.not_own(by, version)
    unapproved = [
        line["code"]
        for line in lines(version.id)
        if db.session.get(CatalogItem, (jd.tenant_id, line["item_id"])).status != ItemStatus.approved
    ]
    if unapproved:
        raise Conflict(
            f"Các mục chưa được duyệt hoặc đã ngừng áp dụng: {', '.join(unapproved)}.",
            f"These items are not approved or are retired: {', '.join(unapproved)}.",
            code="items_not_approved",
        )
    approval.mark_approved(version, _latest(jd), by)
    db.session.flush()
    _audit("job_description.approve", jd, version)
    return version


def return_version(jd_id: uuid.UUID, *, by, reason: str):
    jd = get(jd_id)
    version = approval.waiting(_pending(jd))
    _require_decider(by, jd)
    approval.not_own(by, version)
    reason = approval.mark_returned(version, by, reason)
    db.session.flush()
    _audit("job_description.return", jd, version, reason=reason)
    return version


def versions_with_lines(jd_id: uuid.UUID) -> list[dict]:
    return [version_view(v) for v in versions(jd_id)]
