"""Catalog items: creation, versions, the approval path, retirement, search, and the version in force.

Who may do what (the acting principal is passed in as `by`):
- group A, B, D items are tenant-wide: drafted by the provincial admin or the steering committee,
  approved, returned and retired by the steering committee;
- group C items belong to one agency: drafted by the provincial admin, the agency's head, or a unit
  head/manager working inside the agency; approved, returned and retired only by the agency's head
  (the official recorded as head of that unit, signing in with this account);
- nobody approves or returns a version they submitted themselves.
No Flask here; every change is audited in the caller's transaction.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import Select, and_, or_, select

from kpi_platform.audit import service as audit
from kpi_platform.catalog import approval
from kpi_platform.catalog.models import (
    TENANT_WIDE_GROUPS,
    CatalogItem,
    CatalogItemVersion,
    ComplexityLevel,
    Group,
    ItemStatus,
    VersionState,
)
from kpi_platform.context import require_tenant_id
from kpi_platform.db import contains, db
from kpi_platform.errors import Conflict, Forbidden, Invalid, NotFound, invalid
from kpi_platform.org import service as org
from kpi_platform.org.models import Assignment
from kpi_platform.periods import active_on
from kpi_platform.roles import Role
from kpi_platform.tenancy import service as tenancy
from kpi_platform.vietnamese import fold

# The defaults of domain.md; a tenant replaces them with its own table.
DEFAULT_COMPLEXITY = (
    ("simple", "Đơn giản", "Simple", Decimal("0.8")),
    ("normal", "Bình thường", "Normal", Decimal("1.0")),
    ("complex", "Phức tạp", "Complex", Decimal("1.2")),
    ("very_complex", "Rất phức tạp", "Very complex", Decimal("1.5")),
)
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,59}$")
MAX_NORM_MINUTES = Decimal(60 * 8 * 31)  # a month of full days for one unit of output is already absurd
VERSION_FIELDS = (
    "name_vi",
    "name_en",
    "output_unit",
    "norm_minutes",
    "complexity",
    "field",
    "done_definition",
    "has_deadline",
)
TENANT_WIDE_DRAFTERS = frozenset({str(Role.provincial_admin), str(Role.steering_committee)})
# Who may draft items at all (what each may draft: may_draft), and read the norm calibration.
DRAFTERS = (Role.provincial_admin, Role.steering_committee, Role.unit_head, Role.manager)
CALIBRATORS = (Role.steering_committee, Role.provincial_admin, Role.auditor)


# ---------------------------------------------------------------- complexity table


def complexity_levels() -> list[dict]:
    rows = db.session.scalars(select(ComplexityLevel).order_by(ComplexityLevel.rank, ComplexityLevel.code)).all()
    if rows:
        return [
            {"code": r.code, "name_vi": r.name_vi, "name_en": r.name_en, "coefficient": r.coefficient, "rank": r.rank}
            for r in rows
        ]
    return [
        {"code": code, "name_vi": vi, "name_en": en, "coefficient": coefficient, "rank": rank}
        for rank, (code, vi, en, coefficient) in enumerate(DEFAULT_COMPLEXITY)
    ]


def set_complexity_levels(levels: list[dict]) -> list[dict]:
    """Replace the tenant's table. Item versions keep the coefficient they were written with."""
    codes = [level["code"] for level in levels]
    if not levels or len(set(codes)) != len(codes):
        raise invalid("levels", "Bảng độ phức tạp trống hoặc trùng mã.", "The table is empty or repeats a code.")
    for level in levels:
        if Decimal(str(level["coefficient"])) <= 0:
            raise invalid("coefficient", "Hệ số phải lớn hơn 0.", "Coefficients must be above 0.")
    before = complexity_levels()
    db.session.execute(ComplexityLevel.__table__.delete().where(ComplexityLevel.tenant_id == require_tenant_id()))
    for rank, level in enumerate(levels):
        db.session.add(ComplexityLevel(**{**level, "coefficient": Decimal(str(level["coefficient"])), "rank": rank}))
    db.session.flush()
    after = complexity_levels()
    audit.record("catalog.complexity.set", "complexity_levels", None, before=_plain(before), after=_plain(after))
    return after


def _plain(levels: list[dict]) -> dict:
    return {level["code"]: str(level["coefficient"]) for level in levels}


def _coefficient(code: str) -> Decimal:
    for level in complexity_levels():
        if level["code"] == code:
            return Decimal(str(level["coefficient"]))
    known = ", ".join(level["code"] for level in complexity_levels())
    raise invalid(
        "complexity",
        f"Không có mức độ phức tạp '{code}' trong bảng của tỉnh (có: {known}).",
        f"Unknown complexity level '{code}' (the tenant's table has: {known}).",
        "unknown_complexity",
    )


# ---------------------------------------------------------------- who may act


def _official_of(principal) -> uuid.UUID | None:
    official = org.official_for_principal(principal.id)
    return official.id if official else None


def _heads_agency(principal, agency_id: uuid.UUID, day: date) -> bool:
    head = org.head_of(agency_id, day)
    return head is not None and head == _official_of(principal)


def _works_inside(principal, agency_id: uuid.UUID, day: date) -> bool:
    official_id = _official_of(principal)
    if official_id is None:
        return False
    units = org.subtree_ids(agency_id, day)
    return (
        db.session.scalar(
            select(Assignment.id)
            .where(
                Assignment.official_id == official_id,
                active_on(Assignment, day),
                Assignment.unit_id.in_(select(units.c.unit_id)),
            )
            .limit(1)
        )
        is not None
    )


def may_decide(principal, group: Group, agency_id: uuid.UUID | None) -> bool:
    """A/B/D: the steering committee; C: whoever heads the owning agency today."""
    if group in TENANT_WIDE_GROUPS:
        return principal.has_any_role({str(Role.steering_committee)})
    return _heads_agency(principal, agency_id, tenancy.tenant_today())


def may_draft(principal, group: Group, agency_id: uuid.UUID | None, day: date) -> bool:
    if principal.has_any_role({str(Role.provincial_admin)}):
        return True
    if group in TENANT_WIDE_GROUPS:
        return principal.has_any_role(TENANT_WIDE_DRAFTERS)
    if _heads_agency(principal, agency_id, day):
        return True
    return principal.has_any_role({str(Role.unit_head), str(Role.manager)}) and _works_inside(principal, agency_id, day)


def item_out(view: dict) -> dict:
    """An item and its versions as the API shows them (flat)."""
    item = view["item"]
    return {
        **{name: getattr(item, name) for name in ("id", "code", "agency_id", "status", "name_vi", "field")},
        **{name: getattr(item, name) for name in ("retired_on", "retire_reason", "origin", "created_at")},
        "item_group": item.item_group,
        "version": view["version"],
        "pending": view["pending"],
    }


def _deciders_text(group: Group) -> tuple[str, str]:
    if group in TENANT_WIDE_GROUPS:
        return "Ban chỉ đạo của tỉnh", "the steering committee"
    return "thủ trưởng cơ quan sở hữu nhóm C này", "the head of the agency that owns this group C item"


def _require_decider(principal, item: CatalogItem) -> None:
    if not may_decide(principal, item.item_group, item.agency_id):
        vi, en = _deciders_text(item.item_group)
        raise Forbidden(
            f"Chỉ {vi} được duyệt, trả lại hoặc ngừng áp dụng mục nhóm {item.item_group}.",
            f"Only {en} may approve, return or retire a group {item.item_group} item.",
            code="not_the_approver",
        )


def _require_drafter(principal, item: CatalogItem, day: date) -> None:
    if not may_draft(principal, item.item_group, item.agency_id, day):
        raise Forbidden(
            "Bạn không được soạn thảo mục này của danh mục.",
            "You may not draft this catalog item.",
            code="not_a_drafter",
        )


# ---------------------------------------------------------------- reading


def get_item(item_id: uuid.UUID) -> CatalogItem:
    item = db.session.get(CatalogItem, (require_tenant_id(), item_id))
    if item is None:
        raise NotFound("Không tìm thấy mục danh mục.", "Catalog item not found.")
    return item


def get_item_by_code(code: str) -> CatalogItem | None:
    return db.session.scalar(select(CatalogItem).where(CatalogItem.code == code))


def versions(item_id: uuid.UUID) -> list[CatalogItemVersion]:
    get_item(item_id)
    return db.session.scalars(
        select(CatalogItemVersion).where(CatalogItemVersion.item_id == item_id).order_by(CatalogItemVersion.number)
    ).all()


def pending_version(item_id: uuid.UUID) -> CatalogItemVersion | None:
    return approval.pending(CatalogItemVersion.item_id, item_id)


def _latest_approved(item_id: uuid.UUID) -> CatalogItemVersion | None:
    return approval.latest_approved(CatalogItemVersion.item_id, item_id)


def version_on(item_id: uuid.UUID, day: date) -> CatalogItemVersion | None:
    """The approved version in force on `day`, or None."""
    return db.session.scalar(
        select(CatalogItemVersion).where(
            CatalogItemVersion.item_id == item_id,
            CatalogItemVersion.state == VersionState.approved,
            active_on(CatalogItemVersion, day),
        )
    )


def loggable_on(day: date):
    """The condition on CatalogItem that it may be logged on `day` (approved, not yet retired)."""
    return and_(
        CatalogItem.status.in_((ItemStatus.approved, ItemStatus.retired)),
        or_(CatalogItem.retired_on.is_(None), CatalogItem.retired_on > day),
    )


def item_view(item: CatalogItem, day: date) -> dict:
    return views([item], day)[0]


def views(items: list[CatalogItem], day: date) -> list[dict]:
    """Each item with the version shown for `day` and its pending change, in one query.

    Shown: the approved version in force on `day`; failing that (before it took effect, or after
    it was retired) the latest approved one; for an item never approved, its first version."""
    ids = [item.id for item in items]
    by_item: dict[uuid.UUID, list[CatalogItemVersion]] = {item_id: [] for item_id in ids}
    for version in db.session.scalars(
        select(CatalogItemVersion).where(CatalogItemVersion.item_id.in_(ids)).order_by(CatalogItemVersion.number)
    ):
        by_item[version.item_id].append(version)

    def shown(versions: list[CatalogItemVersion]):
        approved = [v for v in versions if v.state == VersionState.approved]
        for version in approved:
            if version.valid_from <= day and (version.valid_to is None or day < version.valid_to):
                return version
        return approved[-1] if approved else (versions[0] if versions else None)

    return [
        {
            "item": item,
            "version": shown(by_item[item.id]),
            "pending": next((v for v in by_item[item.id] if v.state != VersionState.approved), None),
        }
        for item in items
    ]


def search(
    *,
    q: str | None = None,
    group: str | None = None,
    field: str | None = None,
    status: str | None = None,
    agency_id: uuid.UUID | None = None,
    position_id: uuid.UUID | None = None,
    day: date | None = None,
) -> Select:
    """Items matching the filters, sorted by code (`day`: for the position filter). The versions
    are read for the shown page only, with views()."""
    stmt = select(CatalogItem).order_by(CatalogItem.code)
    if q:
        stmt = stmt.where(contains(CatalogItem.search_text, fold(q)))
    if group:
        stmt = stmt.where(CatalogItem.item_group == group)
    if field:
        stmt = stmt.where(CatalogItem.field == field)
    if status:
        stmt = stmt.where(CatalogItem.status == status)
    if agency_id:
        stmt = stmt.where(CatalogItem.agency_id == agency_id)
    if position_id:
        from kpi_platform.catalog import job_descriptions

        stmt = stmt.where(CatalogItem.id.in_(job_descriptions.items_of_position(position_id, day)))
    return stmt


# ---------------------------------------------------------------- writing


def _clean_version_fields(data: dict, group: Group) -> dict:
    clean = {k: data[k] for k in VERSION_FIELDS if k in data}
    if "name_vi" in clean:
        clean["name_vi"] = " ".join((clean["name_vi"] or "").split())
        if not clean["name_vi"]:
            raise invalid("name_vi", "Tên mục không được để trống.", "The name cannot be empty.")
    if "output_unit" in clean:
        clean["output_unit"] = " ".join((clean["output_unit"] or "").split())
        if not clean["output_unit"]:
            raise invalid("output_unit", "Đơn vị sản phẩm không được để trống.", "The output unit cannot be empty.")
    if "norm_minutes" in clean:
        try:
            norm = Decimal(str(clean["norm_minutes"]))
        except InvalidOperation:
            raise invalid(
                "norm_minutes", "Định mức phải là số phút.", "The norm must be a number of minutes."
            ) from None
        if not norm.is_finite() or norm <= 0 or norm > MAX_NORM_MINUTES:
            raise invalid(
                "norm_minutes",
                f"Định mức thời gian phải lớn hơn 0 và không quá {MAX_NORM_MINUTES} phút.",
                f"The time norm must be above 0 and at most {MAX_NORM_MINUTES} minutes.",
                "invalid_norm",
            )
        clean["norm_minutes"] = norm.quantize(Decimal("0.01"))
    if "complexity" in clean:
        clean["complexity_coefficient"] = _coefficient(clean["complexity"])
    if clean.get("field") is not None:
        clean["field"] = " ".join(clean["field"].split()) or None
    return clean


def create_item(
    *,
    code: str,
    group: str,
    by,
    valid_from: date,
    agency_id: uuid.UUID | None = None,
    origin: str | None = None,
    **fields,
) -> CatalogItem:
    """A new item with its first version as a draft."""
    code = (code or "").strip()
    if not CODE_PATTERN.match(code):
        raise invalid("code", "Mã mục chỉ gồm chữ, số và . _ / -.", "The code may hold letters, digits and . _ / -.")
    try:
        group = Group(group)
    except ValueError:
        raise invalid("group", "Nhóm phải là A, B, C hoặc D.", "The group must be A, B, C or D.") from None
    if group == Group.C:
        if agency_id is None:
            raise invalid("agency_id", "Mục nhóm C phải thuộc một cơ quan.", "A group C item must belong to an agency.")
        org.unit_as_of(agency_id, valid_from)
    elif agency_id is not None:
        raise invalid(
            "agency_id",
            "Chỉ mục nhóm C mới thuộc một cơ quan; nhóm A, B, D áp dụng toàn tỉnh.",
            "Only group C items belong to an agency; A, B and D apply province-wide.",
        )
    if not may_draft(by, group, agency_id, valid_from):
        raise Forbidden("Bạn không được soạn thảo mục này.", "You may not draft this item.", code="not_a_drafter")
    if get_item_by_code(code) is not None:
        raise Conflict(f"Mã mục '{code}' đã có.", f"The code '{code}' is already in use.", code="duplicate_code")
    missing = [name for name in ("name_vi", "output_unit", "norm_minutes") if fields.get(name) in (None, "")]
    if missing:
        raise Invalid(fields={name: ["required"] for name in missing})
    values = _clean_version_fields({"complexity": "normal", **fields}, group)
    item = CatalogItem(
        code=code,
        item_group=group,
        agency_id=agency_id,
        status=ItemStatus.draft,
        name_vi=values["name_vi"],
        field=values.get("field"),
        search_text=fold(f"{code} {values['name_vi']}"),
        origin=origin,
    )
    db.session.add(item)
    db.session.flush()
    version = CatalogItemVersion(
        item_id=item.id,
        number=1,
        state=VersionState.draft,
        valid_from=valid_from,
        created_by=by.id,
        change_note=fields.get("change_note"),
        **values,
    )
    db.session.add(version)
    db.session.flush()
    audit.record("catalog.item.create", "catalog_item", item.id, after=_version_audit(item, version))
    return item


def _version_audit(item: CatalogItem, version: CatalogItemVersion) -> dict:
    return {
        "code": item.code,
        "group": str(item.item_group),
        "version": version.number,
        "state": str(version.state),
        "name_vi": version.name_vi,
        "norm_minutes": str(version.norm_minutes),
        "complexity": version.complexity,
        "coefficient": str(version.complexity_coefficient),
        "valid_from": version.valid_from.isoformat(),
    }


def update_draft(item_id: uuid.UUID, changes: dict, *, by) -> CatalogItemVersion:
    item = get_item(item_id)
    version = approval.editable(pending_version(item_id))
    _require_drafter(by, item, version.valid_from)
    values = _clean_version_fields(changes, item.item_group)
    if "valid_from" in changes:
        approval.check_starts_after(_latest_approved(item_id), changes["valid_from"])
        values["valid_from"] = changes["valid_from"]
    if "change_note" in changes:
        values["change_note"] = changes["change_note"]
    before = _version_audit(item, version)
    for name, value in values.items():
        setattr(version, name, value)
    if item.status != ItemStatus.approved and item.status != ItemStatus.retired:
        _copy_to_item(item, version)
    db.session.flush()
    audit.record("catalog.version.edit", "catalog_item", item.id, before=before, after=_version_audit(item, version))
    return version


def _copy_to_item(item: CatalogItem, version: CatalogItemVersion) -> None:
    item.name_vi = version.name_vi
    item.field = version.field
    item.search_text = fold(f"{item.code} {version.name_vi}")


def propose_change(item_id: uuid.UUID, changes: dict, *, valid_from: date, by) -> CatalogItemVersion:
    """A new draft version of an approved item, effective from `valid_from` once approved."""
    item = get_item(item_id)
    if item.status != ItemStatus.approved:
        raise Conflict(
            "Chỉ mục đã được duyệt mới có phiên bản mới; hãy sửa bản nháp hiện có.",
            "Only an approved item gets a new version; edit its current draft instead.",
            code="not_approved",
        )
    approval.refuse_a_second_change(pending_version(item_id))
    _require_drafter(by, item, valid_from)
    latest = _latest_approved(item_id)
    approval.check_starts_after(latest, valid_from)
    values = {name: getattr(latest, name) for name in (*VERSION_FIELDS, "complexity_coefficient")}
    values.update(_clean_version_fields(changes, item.item_group))
    version = CatalogItemVersion(
        item_id=item.id,
        number=latest.number + 1,
        state=VersionState.draft,
        valid_from=valid_from,
        created_by=by.id,
        change_note=changes.get("change_note"),
        **values,
    )
    db.session.add(version)
    db.session.flush()
    audit.record("catalog.version.propose", "catalog_item", item.id, after=_version_audit(item, version))
    return version


def submit(item_id: uuid.UUID, *, by) -> CatalogItemVersion:
    item = get_item(item_id)
    version = approval.editable(pending_version(item_id))
    _require_drafter(by, item, version.valid_from)
    approval.mark_submitted(version, by)
    if item.status in (ItemStatus.draft, ItemStatus.returned):
        item.status = ItemStatus.submitted
    db.session.flush()
    audit.record("catalog.version.submit", "catalog_item", item.id, after=_version_audit(item, version))
    return version


def approve(item_id: uuid.UUID, *, by) -> CatalogItemVersion:
    item = get_item(item_id)
    version = approval.waiting(pending_version(item_id))
    _require_decider(by, item)
    approval.not_own(by, version)
    if item.status == ItemStatus.retired:
        raise Conflict("Mục đã ngừng áp dụng.", "The item is retired.", code="retired")
    approval.mark_approved(version, _latest_approved(item_id), by)
    item.status = ItemStatus.approved
    _copy_to_item(item, version)
    db.session.flush()
    audit.record("catalog.version.approve", "catalog_item", item.id, after=_version_audit(item, version))
    return version


def return_version(item_id: uuid.UUID, *, by, reason: str) -> CatalogItemVersion:
    item = get_item(item_id)
    version = approval.waiting(pending_version(item_id))
    _require_decider(by, item)
    approval.not_own(by, version)
    reason = approval.mark_returned(version, by, reason)
    if item.status == ItemStatus.submitted:
        item.status = ItemStatus.returned
    db.session.flush()
    audit.record(
        "catalog.version.return",
        "catalog_item",
        item.id,
        after={**_version_audit(item, version), "reason": reason},
    )
    return version


def retire(item_id: uuid.UUID, *, by, retired_on: date, reason: str | None = None) -> CatalogItem:
    """From `retired_on` the item can no longer be logged; what was logged before keeps its version."""
    item = get_item(item_id)
    _require_decider(by, item)
    if item.status != ItemStatus.approved:
        raise Conflict(
            "Chỉ mục đang áp dụng mới ngừng áp dụng được.", "Only an approved item can be retired.", code="not_approved"
        )
    latest = _latest_approved(item_id)
    if retired_on <= latest.valid_from:
        raise invalid(
            "retired_on",
            "Ngày ngừng áp dụng phải sau ngày hiệu lực của phiên bản hiện hành.",
            "The retirement date must come after the current version took effect.",
            "invalid_effective_date",
        )
    pending = pending_version(item_id)
    if pending is not None:
        db.session.delete(pending)  # a change that would never take effect
    latest.valid_to = retired_on if latest.valid_to is None or latest.valid_to > retired_on else latest.valid_to
    item.status = ItemStatus.retired
    item.retired_on, item.retire_reason = retired_on, reason
    db.session.flush()
    audit.record(
        "catalog.item.retire",
        "catalog_item",
        item.id,
        after={"code": item.code, "retired_on": retired_on.isoformat(), "reason": reason},
    )
    return item
