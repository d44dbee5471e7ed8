"""Org tree "as of a date", reorganisations, job positions, officials and assignments.

No Flask here. Every query runs inside the current tenant (ORM filter + RLS) and also names the
tenant explicitly where it builds Core-level CTEs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from kpi_platform import vietnamese
from kpi_platform.audit import service as audit
from kpi_platform.context import require_tenant_id
from kpi_platform.db import contains, db
from kpi_platform.errors import Conflict, DomainError, Invalid, NotFound, bulk_failed, invalid, row_error, row_error_of
from kpi_platform.org.models import (
    Assignment,
    EmploymentKind,
    JobPosition,
    Official,
    OfficialStatus,
    OrgUnit,
    OrgUnitVersion,
    PositionCategory,
    UnitHead,
    UnitKind,
)
from kpi_platform.periods import MAX_DEPTH, active_on, overlaps

DEFAULT_UNIT_KINDS: dict[str, tuple[str, str]] = {
    "province": ("Tỉnh, thành phố", "Province"),
    "agency": ("Sở, ban, ngành", "Agency / department"),
    "commune": ("Xã, phường, đặc khu", "Commune / ward"),
    "division": ("Phòng, ban chuyên môn", "Division"),
    "public_service_unit": ("Đơn vị sự nghiệp công lập", "Public service unit"),
    "party_mass": ("Cơ quan Đảng, đoàn thể", "Party / mass organisation"),
}
UNSET: Any = object()


# ---------------------------------------------------------------- unit kinds


def unit_kinds() -> dict[str, tuple[str, str]]:
    kinds = dict(DEFAULT_UNIT_KINDS)
    for kind in db.session.scalars(select(UnitKind)):
        kinds[kind.code] = (kind.name_vi, kind.name_en)
    return kinds


def add_unit_kind(code: str, name_vi: str, name_en: str) -> UnitKind:
    code = code.strip().lower()
    if code in unit_kinds():
        raise Conflict(f"Loại đơn vị '{code}' đã có.", f"Unit kind '{code}' exists.", fields={"code": ["taken"]})
    kind = UnitKind(code=code, name_vi=name_vi.strip(), name_en=name_en.strip())
    db.session.add(kind)
    db.session.flush()
    audit.record("org.unit_kind.create", "unit_kind", code, after={"name_vi": name_vi, "name_en": name_en})
    return kind


# ---------------------------------------------------------------- units as of a date


@dataclass
class UnitView:
    id: uuid.UUID
    code: str
    name_vi: str
    kind: str
    parent_id: uuid.UUID | None
    valid_from: date
    valid_to: date | None
    head_official_id: uuid.UUID | None


def _unit_views(stmt: Select) -> list[UnitView]:
    return [UnitView(*row) for row in db.session.execute(stmt)]


def _view_select(day: date):
    V, H = OrgUnitVersion, UnitHead
    return (
        select(OrgUnit.id, OrgUnit.code, V.name_vi, V.kind, V.parent_id, V.valid_from, V.valid_to, H.official_id)
        .join(V, and_(V.tenant_id == OrgUnit.tenant_id, V.unit_id == OrgUnit.id))
        .outerjoin(H, and_(H.tenant_id == OrgUnit.tenant_id, H.unit_id == OrgUnit.id, active_on(H, day)))
        .where(active_on(V, day))
    )


def units_as_of(day: date, *, under: uuid.UUID | None = None, q: str | None = None, kind: str | None = None):
    stmt = _view_select(day)
    if under is not None:
        stmt = stmt.where(OrgUnit.id.in_(subtree_id_list(under, day)))
    if q:
        stmt = stmt.where(or_(contains(OrgUnitVersion.name_vi, q.strip()), contains(OrgUnit.code, q.strip())))
    if kind:
        stmt = stmt.where(OrgUnitVersion.kind == kind)
    return stmt.order_by(OrgUnit.code)


def unit_as_of(unit_id: uuid.UUID, day: date) -> UnitView:
    views = _unit_views(_view_select(day).where(OrgUnit.id == unit_id))
    if not views:
        if db.session.get(OrgUnit, (require_tenant_id(), unit_id)) is None:
            raise NotFound()
        raise NotFound(f"Đơn vị không tồn tại vào ngày {day:%d/%m/%Y}.", f"The unit did not exist on {day}.")
    return views[0]


def unit_history(unit_id: uuid.UUID) -> list[OrgUnitVersion]:
    if db.session.get(OrgUnit, (require_tenant_id(), unit_id)) is None:
        raise NotFound()
    return db.session.scalars(
        select(OrgUnitVersion).where(OrgUnitVersion.unit_id == unit_id).order_by(OrgUnitVersion.valid_from)
    ).all()




def subtree_ids(unit_id: uuid.UUID, day: date):
    """A recursive CTE (column unit_id) of the unit and everything under it on `day`."""
    tenant_id = require_tenant_id()
    V = OrgUnitVersion
    tree = (
        select(V.unit_id, literal(0).label("depth"))
        .where(V.tenant_id == tenant_id, V.unit_id == unit_id, active_on(V, day))
        .cte("subtree", recursive=True)
    )
    child = aliased(V)
    return tree.union_all(
        select(child.unit_id, tree.c.depth + 1)
        .join(tree, child.parent_id == tree.c.unit_id)
        .where(child.tenant_id == tenant_id, active_on(child, day), tree.c.depth < MAX_DEPTH)
    )


def subtree_id_list(unit_id: uuid.UUID, day: date) -> list[uuid.UUID]:
    """The subtree's ids, read first so the queries that use them get plain index plans (the
    planner cannot estimate a recursive CTE's size)."""
    return list(dict.fromkeys(db.session.scalars(select(subtree_ids(unit_id, day).c.unit_id))))


def descendants(unit_id: uuid.UUID, day: date) -> list[UnitView]:
    unit_as_of(unit_id, day)
    return _unit_views(
        _view_select(day)
        .where(OrgUnit.id.in_(subtree_id_list(unit_id, day)), OrgUnit.id != unit_id)
        .order_by(OrgUnit.code)
    )


def ancestors(unit_id: uuid.UUID, day: date) -> list[UnitView]:
    """From the parent up to the root."""
    tenant_id = require_tenant_id()
    unit_as_of(unit_id, day)
    V = OrgUnitVersion
    chain = (
        select(V.parent_id.label("unit_id"), literal(0).label("depth"))
        .where(V.tenant_id == tenant_id, V.unit_id == unit_id, active_on(V, day))
        .cte("chain", recursive=True)
    )
    up = aliased(V)
    chain = chain.union_all(
        select(up.parent_id, chain.c.depth + 1)
        .join(chain, up.unit_id == chain.c.unit_id)
        .where(up.tenant_id == tenant_id, active_on(up, day), chain.c.depth < MAX_DEPTH)
    )
    ids = [row for row in db.session.scalars(select(chain.c.unit_id).order_by(chain.c.depth)) if row is not None]
    by_id = {v.id: v for v in _unit_views(_view_select(day).where(OrgUnit.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def tree(day: date) -> list[dict]:
    """The whole tree on `day`, nested, children sorted by code. One query."""
    views = _unit_views(_view_select(day).order_by(OrgUnit.code))
    nodes = {v.id: {"unit": v, "children": []} for v in views}
    roots = []
    for v in views:
        parent = nodes.get(v.parent_id)
        (parent["children"] if parent else roots).append(nodes[v.id])
    return roots


# ---------------------------------------------------------------- unit changes


def _check_kind(kind: str) -> str:
    if kind not in unit_kinds():
        raise invalid(
            "kind", f"Loại đơn vị '{kind}' chưa được khai báo.", f"Unknown unit kind '{kind}'.", detail="unknown"
        )
    return kind


def _check_parent(parent_id: uuid.UUID | None, day: date, field: str = "parent_id") -> None:
    if parent_id is None:
        return
    try:
        unit_as_of(parent_id, day)
    except NotFound:
        raise invalid(
            field,
            "Đơn vị cấp trên không tồn tại vào ngày hiệu lực.",
            "The parent unit does not exist on the effective date.",
            detail="unknown",
        ) from None


def create_unit(
    *, code: str, name_vi: str, kind: str, parent_id: uuid.UUID | None, valid_from: date, reason: str | None = None
) -> OrgUnit:
    code = (code or "").strip()
    name_vi = (name_vi or "").strip()
    if not code:
        raise invalid("code", "Mã đơn vị là bắt buộc.", "The unit code is required.", detail="required")
    if not name_vi:
        raise invalid("name_vi", "Tên đơn vị là bắt buộc.", "The unit name is required.", detail="required")
    _check_kind(kind)
    if db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == code)):
        raise Conflict(
            f"Mã đơn vị '{code}' đã tồn tại.", f"Unit code '{code}' already exists.", fields={"code": ["taken"]}
        )
    _check_parent(parent_id, valid_from)
    unit = OrgUnit(id=uuid.uuid4(), code=code)
    db.session.add(unit)
    db.session.flush()
    db.session.add(
        OrgUnitVersion(
            unit_id=unit.id,
            name_vi=name_vi,
            kind=kind,
            parent_id=parent_id,
            valid_from=valid_from,
            change_reason=reason,
        )
    )
    db.session.flush()
    audit.record(
        "org.unit.create",
        "org_unit",
        unit.id,
        after={
            "code": code,
            "name_vi": name_vi,
            "kind": kind,
            "parent_id": str(parent_id) if parent_id else None,
            "valid_from": valid_from.isoformat(),
        },
    )
    return unit


def _version_on(unit_id: uuid.UUID, day: date) -> OrgUnitVersion:
    unit_as_of(unit_id, day)
    return db.session.scalars(
        select(OrgUnitVersion).where(OrgUnitVersion.unit_id == unit_id, active_on(OrgUnitVersion, day))
    ).one()


def _refuse_future_versions(unit_id: uuid.UUID, day: date) -> None:
    later = db.session.scalar(
        select(OrgUnitVersion.valid_from).where(OrgUnitVersion.unit_id == unit_id, OrgUnitVersion.valid_from > day)
    )
    if later:
        raise Conflict(
            f"Đơn vị đã có thay đổi từ ngày {later:%d/%m/%Y}; hãy thay đổi từ ngày đó trở đi.",
            f"The unit already changes on {later}; change it from that date on.",
            fields={"effective_date": ["before a later change"]},
        )


def change_unit(
    unit_id: uuid.UUID,
    *,
    effective_date: date,
    name_vi: str | None = None,
    kind: str | None = None,
    parent_id: Any = UNSET,
    reason: str | None = None,
) -> OrgUnitVersion:
    """Rename, re-kind or move a unit from a date: the current version ends, a new one starts."""
    current = _version_on(unit_id, effective_date)
    _refuse_future_versions(unit_id, effective_date)
    new_parent = current.parent_id if parent_id is UNSET else parent_id
    if parent_id is not UNSET and parent_id is not None:
        if _would_cycle(unit_id, parent_id, effective_date):
            raise invalid(
                "parent_id",
                "Không thể chuyển đơn vị vào chính nó hoặc đơn vị cấp dưới của nó.",
                "A unit cannot move under itself or one of its descendants.",
                detail="cycle",
            )
        _check_parent(parent_id, effective_date)
    new_name = (name_vi or "").strip() or current.name_vi
    new_kind = _check_kind(kind) if kind else current.kind
    before = {
        "name_vi": current.name_vi,
        "kind": current.kind,
        "parent_id": str(current.parent_id) if current.parent_id else None,
    }
    if current.valid_from == effective_date:  # a same-day correction: nothing in the past to keep
        version = current
        version.name_vi, version.kind, version.parent_id = new_name, new_kind, new_parent
        version.change_reason = reason or version.change_reason
    else:
        current.valid_to = effective_date
        version = OrgUnitVersion(
            unit_id=unit_id,
            name_vi=new_name,
            kind=new_kind,
            parent_id=new_parent,
            valid_from=effective_date,
            valid_to=None,
            change_reason=reason,
        )
        db.session.add(version)
    db.session.flush()
    audit.record(
        "org.unit.change",
        "org_unit",
        unit_id,
        before=before,
        after={
            "name_vi": new_name,
            "kind": new_kind,
            "parent_id": str(new_parent) if new_parent else None,
            "effective_date": effective_date.isoformat(),
            "reason": reason,
        },
    )
    return version


def _would_cycle(unit_id: uuid.UUID, parent_id: uuid.UUID, from_day: date) -> bool:
    """Would `parent_id` be the unit itself or under it on any day from `from_day` on? The tree only
    changes on the days versions start, so those days (and from_day) are the ones to check."""
    if parent_id == unit_id:
        return True
    days = [
        from_day,
        *db.session.scalars(select(OrgUnitVersion.valid_from).where(OrgUnitVersion.valid_from > from_day).distinct()),
    ]
    return any(parent_id in subtree_id_list(unit_id, day) for day in days)


def dissolve_unit(unit_id: uuid.UUID, *, effective_date: date, reason: str | None = None) -> None:
    """End a unit from a date. Its sub-units and people must have moved first."""
    current = _version_on(unit_id, effective_date)
    _refuse_future_versions(unit_id, effective_date)
    children = db.session.scalar(  # on the day or later: a future move under this unit counts too
        select(OrgUnitVersion.unit_id)
        .where(OrgUnitVersion.parent_id == unit_id, overlaps(OrgUnitVersion, effective_date, None))
        .limit(1)
    )
    people = db.session.scalar(
        select(Assignment.id).where(Assignment.unit_id == unit_id, overlaps(Assignment, effective_date, None)).limit(1)
    )
    if children or people:
        raise Conflict(
            "Đơn vị còn đơn vị cấp dưới hoặc nhân sự; hãy chuyển trước khi giải thể.",
            "The unit still has sub-units or people; move them first.",
            fields={"unit_id": ["not empty"]},
        )
    if current.valid_from == effective_date:
        raise invalid(
            "effective_date",
            "Ngày giải thể phải sau ngày bắt đầu của đơn vị.",
            "The end date must be after the unit's start.",
            detail="too early",
        )
    current.valid_to = effective_date
    db.session.flush()
    audit.record(
        "org.unit.dissolve", "org_unit", unit_id, after={"effective_date": effective_date.isoformat(), "reason": reason}
    )


def heads_on(day: date) -> dict[uuid.UUID, uuid.UUID]:
    """unit -> the official heading it on `day`, for the whole tenant in one statement."""
    return dict(
        db.session.execute(select(UnitHead.unit_id, UnitHead.official_id).where(active_on(UnitHead, day))).all()
    )


def head_of(unit_id: uuid.UUID, day: date) -> uuid.UUID | None:
    return db.session.scalar(select(UnitHead.official_id).where(UnitHead.unit_id == unit_id, active_on(UnitHead, day)))


def head_history(unit_id: uuid.UUID) -> list[UnitHead]:
    if db.session.get(OrgUnit, (require_tenant_id(), unit_id)) is None:
        raise NotFound()
    return db.session.scalars(select(UnitHead).where(UnitHead.unit_id == unit_id).order_by(UnitHead.valid_from)).all()


def set_unit_head(unit_id: uuid.UUID, official_id: uuid.UUID | None, *, effective_date: date) -> UnitHead | None:
    """The unit is headed by `official_id` (None: by nobody) from `effective_date`: the headship held
    then ends there and the past stays as it was (a same-day correction replaces it)."""
    if db.session.get(OrgUnit, (require_tenant_id(), unit_id)) is None:
        raise NotFound()
    if official_id is not None:
        get_official(official_id, field="head_official_id")
    later = db.session.scalar(
        select(UnitHead.valid_from).where(UnitHead.unit_id == unit_id, UnitHead.valid_from > effective_date).limit(1)
    )
    if later:
        raise Conflict(
            f"Đơn vị đã có thay đổi người đứng đầu từ ngày {later:%d/%m/%Y}; hãy thay đổi từ ngày đó trở đi.",
            f"The unit's head already changes on {later}; change it from that date on.",
            fields={"effective_date": ["before a later change"]},
        )
    current = db.session.scalar(
        select(UnitHead).where(UnitHead.unit_id == unit_id, active_on(UnitHead, effective_date))
    )
    before = str(current.official_id) if current else None
    if current is not None and current.official_id == official_id:
        return current
    if current is not None:
        if current.valid_from == effective_date:
            db.session.delete(current)
        else:
            current.valid_to = effective_date
    head = None
    if official_id is not None:
        head = UnitHead(unit_id=unit_id, official_id=official_id, valid_from=effective_date)
        db.session.add(head)
    db.session.flush()
    audit.record(
        "org.unit.head",
        "org_unit",
        unit_id,
        before={"head_official_id": before},
        after={"head_official_id": str(official_id) if official_id else None, "from": effective_date.isoformat()},
    )
    return head


# ---------------------------------------------------------------- reorganisations (mergers, splits)


def reorganise(
    *, effective_date: date, reason: str, creates=(), moves=(), merges=(), transfers=(), dissolves=()
) -> dict:
    """One operation, all or nothing, applied in order: create new units, move units under new
    parents, merge units into a target (their sub-units and people follow, the sources end),
    transfer named people (for splits), end units. Units may be named by id or code, so a split can
    create its new units and fill them in the same call. A report "as of" an earlier date still
    shows the old tree."""
    summary = {
        "created_units": 0,
        "moved_units": 0,
        "merged_units": 0,
        "transferred_assignments": 0,
        "dissolved_units": 0,
    }

    def step(label: str, action):
        try:
            return action()
        except NotFound:
            raise invalid(
                label,
                "Đơn vị không tồn tại vào ngày hiệu lực.",
                "The unit does not exist on the effective date.",
                detail="unknown",
            ) from None
        except DomainError as error:
            raise _prefixed(error, label) from None

    for index, new in enumerate(creates):
        step(
            f"creates[{index}]",
            lambda new=new: create_unit(
                code=new["code"],
                name_vi=new["name_vi"],
                kind=new["kind"],
                parent_id=_unit_ref(new.get("parent")),
                valid_from=effective_date,
                reason=reason,
            ),
        )
        summary["created_units"] += 1
    for index, move in enumerate(moves):
        step(
            f"moves[{index}]",
            lambda move=move: change_unit(
                _unit_ref(move["unit"]),
                effective_date=effective_date,
                parent_id=_unit_ref(move["parent"]),
                reason=reason,
            ),
        )
        summary["moved_units"] += 1
    for index, merge in enumerate(merges):
        target = step(f"merges[{index}].target", lambda merge=merge: _unit_ref(merge["target"]))
        step(f"merges[{index}].target", lambda target=target: unit_as_of(target, effective_date))
        for source_ref in merge["sources"]:
            source = step(f"merges[{index}].sources", lambda ref=source_ref: _unit_ref(ref))
            if source == target:
                raise invalid(
                    f"merges[{index}].sources",
                    "Đơn vị không thể sáp nhập vào chính nó.",
                    "A unit cannot merge into itself.",
                    detail="self",
                )
            summary["transferred_assignments"] += step(
                f"merges[{index}]", lambda source=source, target=target: _merge(source, target, effective_date, reason)
            )
            summary["merged_units"] += 1
    for index, transfer in enumerate(transfers):
        step(
            f"transfers[{index}]",
            lambda transfer=transfer: transfer_official(
                transfer["official_id"],
                unit_id=_unit_ref(transfer["unit"]),
                position_id=transfer.get("position_id"),
                effective_date=effective_date,
                reason=reason,
            ),
        )
        summary["transferred_assignments"] += 1
    for index, ref in enumerate(dissolves):
        step(
            f"dissolves[{index}]",
            lambda ref=ref: dissolve_unit(_unit_ref(ref), effective_date=effective_date, reason=reason),
        )
        summary["dissolved_units"] += 1
    audit.record(
        "org.reorganise",
        "org",
        None,
        after={
            "effective_date": effective_date.isoformat(),
            "reason": reason,
            **summary,
            "creates": [c["code"] for c in creates],
            "moves": [[str(m["unit"]), str(m["parent"])] for m in moves],
            "merges": [[str(m["target"]), [str(x) for x in m["sources"]]] for m in merges],
            "dissolves": [str(d) for d in dissolves],
        },
    )
    return summary


def _unit_ref(ref) -> uuid.UUID | None:
    """A unit id, or the id of the unit with this code."""
    if ref is None or isinstance(ref, uuid.UUID):
        return ref
    unit_id = db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == ref))
    if unit_id is None:
        raise invalid("unit", f"Không có đơn vị mã '{ref}'.", f"No unit with code '{ref}'.", detail="unknown")
    return unit_id


def _merge(source: uuid.UUID, target: uuid.UUID, day: date, reason: str) -> int:
    children = db.session.scalars(
        select(OrgUnitVersion.unit_id).where(OrgUnitVersion.parent_id == source, active_on(OrgUnitVersion, day))
    ).all()
    for child in children:
        change_unit(child, effective_date=day, parent_id=target, reason=reason)
    moved = _move_assignments(source, target, day, reason)
    dissolve_unit(source, effective_date=day, reason=reason)
    return moved


def _prefixed(error: DomainError, prefix: str) -> DomainError:
    error.fields = {f"{prefix}.{name}": value for name, value in (error.fields or {}).items()} or {prefix: ["invalid"]}
    return error


def _move_assignments(source: uuid.UUID, target: uuid.UUID, day: date, reason: str) -> int:
    """Assignments in `source` that are open on `day` continue in `target` from `day`."""
    moving = db.session.scalars(
        select(Assignment).where(Assignment.unit_id == source, overlaps(Assignment, day, None))
    ).all()
    for old in moving:
        if old.valid_from >= day:  # starts on or after the merger: simply points at the target
            old.unit_id = target
            continue
        db.session.add(
            Assignment(
                official_id=old.official_id,
                unit_id=target,
                position_id=old.position_id,
                is_primary=old.is_primary,
                share=old.share,
                valid_from=day,
                valid_to=old.valid_to,
                change_reason=reason,
            )
        )
        old.valid_to = day
    db.session.flush()
    return len(moving)


# ---------------------------------------------------------------- job positions


def list_positions(*, q: str | None = None, category: str | None = None):
    stmt = select(JobPosition)
    if q:
        stmt = stmt.where(or_(contains(JobPosition.name_vi, q.strip()), contains(JobPosition.code, q.strip())))
    if category:
        stmt = stmt.where(JobPosition.category == category)
    return stmt.order_by(JobPosition.code)


def get_position(position_id: uuid.UUID, *, field: str | None = None) -> JobPosition:
    position = db.session.get(JobPosition, (require_tenant_id(), position_id))
    if position is None:
        if field:
            raise invalid(field, "Vị trí việc làm không tồn tại.", "Unknown job position.", detail="unknown")
        raise NotFound()
    return position


def create_position(
    *,
    code: str,
    name_vi: str,
    category: str,
    unit_kinds: list[str] | None = None,
) -> JobPosition:
    code, name_vi = (code or "").strip(), (name_vi or "").strip()
    if not code or not name_vi:
        raise Invalid(fields={k: ["required"] for k, v in (("code", code), ("name_vi", name_vi)) if not v})
    for kind in unit_kinds or []:
        _check_kind(kind)
    if db.session.scalar(select(JobPosition.id).where(JobPosition.code == code)):
        raise Conflict(
            f"Mã vị trí '{code}' đã tồn tại.", f"Position code '{code}' already exists.", fields={"code": ["taken"]}
        )
    position = JobPosition(
        id=uuid.uuid4(),
        code=code,
        name_vi=name_vi,
        category=PositionCategory(category),
        unit_kinds=sorted(set(unit_kinds or [])),
    )
    db.session.add(position)
    db.session.flush()
    audit.record(
        "org.position.create",
        "job_position",
        position.id,
        after={"code": code, "name_vi": name_vi, "category": category},
    )
    return position


def update_position(position_id: uuid.UUID, changes: dict) -> JobPosition:
    position = get_position(position_id)
    before = {"name_vi": position.name_vi, "category": str(position.category), "unit_kinds": position.unit_kinds}
    if "name_vi" in changes:
        position.name_vi = changes["name_vi"].strip()
    if "category" in changes:
        position.category = PositionCategory(changes["category"])
    if "unit_kinds" in changes:
        position.unit_kinds = sorted({_check_kind(k) for k in changes["unit_kinds"]})
    db.session.flush()
    audit.record(
        "org.position.update",
        "job_position",
        position.id,
        before=before,
        after={"name_vi": position.name_vi, "category": str(position.category), "unit_kinds": position.unit_kinds},
    )
    return position


# ---------------------------------------------------------------- officials


def get_official(official_id: uuid.UUID, *, field: str | None = None) -> Official:
    official = db.session.get(Official, (require_tenant_id(), official_id))
    if official is None:
        if field:
            raise invalid(field, "Cán bộ không tồn tại.", "Unknown official.", detail="unknown")
        raise NotFound()
    return official


def official_for_principal(principal_id: uuid.UUID) -> Official | None:
    return db.session.scalar(select(Official).where(Official.principal_id == principal_id))


def list_officials(
    *,
    day: date,
    q: str | None = None,
    unit_id: uuid.UUID | None = None,
    subtree: bool = True,
    position_id: uuid.UUID | None = None,
    status: str | None = None,
    within_units=None,
    only_official: uuid.UUID | None = None,
):
    """A select of officials in Vietnamese name order. Unit and position filters look at the
    assignments held on `day`; `within_units` (a select of unit ids) limits a manager's view."""
    stmt = select(Official)
    if q:
        folded = vietnamese.fold(q)
        stmt = stmt.where(or_(contains(Official.search_name, folded), contains(Official.staff_code, folded)))
    if status:
        stmt = stmt.where(Official.status == status)
    held = select(Assignment.official_id).where(active_on(Assignment, day))
    if unit_id is not None:
        held = held.where(Assignment.unit_id.in_(subtree_id_list(unit_id, day) if subtree else [unit_id]))
    if position_id is not None:
        held = held.where(Assignment.position_id == position_id)
    if unit_id is not None or position_id is not None:
        stmt = stmt.where(Official.id.in_(held))
    if within_units is not None:
        stmt = stmt.where(
            Official.id.in_(
                select(Assignment.official_id).where(active_on(Assignment, day), Assignment.unit_id.in_(within_units))
            )
        )
    if only_official is not None:
        stmt = stmt.where(Official.id == only_official)
    return stmt.order_by(Official.sort_key, Official.staff_code)


def _official_fields(full_name: str) -> dict:
    full_name = " ".join((full_name or "").split())
    if not full_name:
        raise invalid("full_name", "Họ và tên là bắt buộc.", "The full name is required.", detail="required")
    return {
        "full_name": full_name,
        "search_name": vietnamese.fold(full_name),
        "sort_key": vietnamese.sort_key(full_name),
    }


def create_official(
    *,
    staff_code: str,
    full_name: str,
    employment_kind: str,
    email: str | None = None,
    status: str = "active",
    reviewer_id: uuid.UUID | None = None,
    principal_id: uuid.UUID | None = None,
    assignment: dict | None = None,
) -> Official:
    staff_code = (staff_code or "").strip()
    if not staff_code:
        raise invalid("staff_code", "Mã cán bộ là bắt buộc.", "The staff code is required.", detail="required")
    if db.session.scalar(select(Official.id).where(Official.staff_code == staff_code)):
        raise Conflict(
            f"Mã cán bộ '{staff_code}' đã tồn tại.",
            f"Staff code '{staff_code}' already exists.",
            fields={"staff_code": ["taken"]},
        )
    if reviewer_id is not None:
        get_official(reviewer_id, field="reviewer_id")
    _check_principal(principal_id)
    official = Official(
        id=uuid.uuid4(),
        staff_code=staff_code,
        email=(email or "").strip().lower() or None,
        employment_kind=EmploymentKind(employment_kind),
        status=OfficialStatus(status),
        reviewer_id=reviewer_id,
        principal_id=principal_id,
        **_official_fields(full_name),
    )
    db.session.add(official)
    _flush_link()
    audit.record("org.official.create", "official", official.id, after=_official_audit(official))
    if assignment:
        add_assignment(official.id, **assignment)
    return official


def _check_principal(principal_id: uuid.UUID | None, official_id: uuid.UUID | None = None) -> None:
    """The account must not already belong to another official (that it exists in this tenant is
    the foreign key's to say: see _flush_link)."""
    if principal_id is None:
        return
    other = db.session.scalar(select(Official.id).where(Official.principal_id == principal_id))
    if other is not None and other != official_id:
        raise Conflict(
            "Tài khoản đã gắn với cán bộ khác.",
            "The account is linked to another official.",
            fields={"principal_id": ["taken"]},
        )


def _flush_link() -> None:
    """Flush an official whose account link changed; an account that is not this tenant's is refused
    by the composite foreign key (tenant_id, principal_id), answered here as a bad field."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise invalid("principal_id", "Tài khoản không tồn tại.", "Unknown account.", detail="unknown") from None


def _official_audit(official: Official) -> dict:
    return {
        "staff_code": official.staff_code,
        "full_name": official.full_name,
        "email": official.email,
        "employment_kind": str(official.employment_kind),
        "status": str(official.status),
        "reviewer_id": str(official.reviewer_id) if official.reviewer_id else None,
    }


def update_official(official_id: uuid.UUID, changes: dict) -> Official:
    official = get_official(official_id)
    before = _official_audit(official)
    if "full_name" in changes:
        for name, value in _official_fields(changes["full_name"]).items():
            setattr(official, name, value)
    if "email" in changes:
        official.email = (changes["email"] or "").strip().lower() or None
    if "employment_kind" in changes:
        official.employment_kind = EmploymentKind(changes["employment_kind"])
    if "status" in changes:
        official.status = OfficialStatus(changes["status"])
    if "reviewer_id" in changes:
        reviewer = changes["reviewer_id"]
        if reviewer == official.id:
            raise invalid(
                "reviewer_id",
                "Cán bộ không thể tự đánh giá mình.",
                "Officials cannot review themselves.",
                detail="self",
            )
        if reviewer is not None:
            get_official(reviewer, field="reviewer_id")
        official.reviewer_id = reviewer
    if "principal_id" in changes:
        _check_principal(changes["principal_id"], official.id)
        official.principal_id = changes["principal_id"]
    _flush_link()
    audit.record("org.official.update", "official", official.id, before=before, after=_official_audit(official))
    return official


def reviewer_of(official: Official, day: date) -> uuid.UUID | None:
    """The person who reviews the official's work: the override, else the head of the unit of the
    primary assignment (or of the nearest unit above whose head is someone else)."""
    if official.reviewer_id:
        return official.reviewer_id
    primary = db.session.scalar(
        select(Assignment.unit_id).where(
            Assignment.official_id == official.id, Assignment.is_primary, active_on(Assignment, day)
        )
    )
    if primary is None:
        return None
    chain = [primary, *(v.id for v in ancestors(primary, day))]
    heads = dict(
        db.session.execute(
            select(UnitHead.unit_id, UnitHead.official_id).where(UnitHead.unit_id.in_(chain), active_on(UnitHead, day))
        ).all()
    )
    for unit in chain:
        head = heads.get(unit)
        if head and head != official.id:
            return head
    return None


def units_headed_by(official_id: uuid.UUID, day: date) -> list[UnitView]:
    return _unit_views(_view_select(day).where(UnitHead.official_id == official_id).order_by(OrgUnit.code))


def reviewees_of(official_id: uuid.UUID, day: date) -> set[uuid.UUID]:
    """Whom the official reviews on `day` — the inverse of reviewer_of, for everyone at once: those
    naming them as reviewer, and, in units they head, the members without one; down through sub-units
    without a head of their own; and the heads of the sub-units that have one."""
    explicit = set(db.session.scalars(select(Official.id).where(Official.reviewer_id == official_id)))
    versions = db.session.execute(
        select(OrgUnitVersion.unit_id, OrgUnitVersion.parent_id).where(active_on(OrgUnitVersion, day))
    ).all()
    children: dict[uuid.UUID, list[uuid.UUID]] = {}
    for unit_id, parent_id in versions:
        children.setdefault(parent_id, []).append(unit_id)
    heads = heads_on(day)
    covered, sub_heads = set(), set()
    stack = [unit_id for unit_id, _ in versions if heads.get(unit_id) == official_id]
    while stack:
        unit_id = stack.pop()
        if unit_id in covered:
            continue
        covered.add(unit_id)
        for child in children.get(unit_id, []):
            head = heads.get(child)
            if head is None or head == official_id:
                stack.append(child)
            else:
                sub_heads.add(head)
    members = (
        set(
            db.session.scalars(
                select(Assignment.official_id)
                .join(Official, and_(Official.tenant_id == Assignment.tenant_id, Official.id == Assignment.official_id))
                .where(
                    Assignment.is_primary,
                    active_on(Assignment, day),
                    Assignment.unit_id.in_(covered),
                    Official.reviewer_id.is_(None),
                )
            )
        )
        if covered
        else set()
    )
    overridden = set(
        db.session.scalars(select(Official.id).where(Official.id.in_(sub_heads), Official.reviewer_id.is_not(None)))
    )
    return (explicit | members | (sub_heads - overridden)) - {official_id}


# ---------------------------------------------------------------- assignments


def assignments_of(official_id: uuid.UUID) -> list[Assignment]:
    get_official(official_id)
    return db.session.scalars(
        select(Assignment)
        .where(Assignment.official_id == official_id)
        .order_by(Assignment.valid_from, Assignment.is_primary.desc())
    ).all()


def current_posts(official_id: uuid.UUID, day: date) -> list[dict]:
    """The posts an official holds on a day, primary first: unit and position names, share of time."""
    V, P = OrgUnitVersion, JobPosition
    rows = db.session.execute(
        select(Assignment, V.name_vi, OrgUnit.code, P.name_vi, P.code)
        .join(OrgUnit, and_(OrgUnit.tenant_id == Assignment.tenant_id, OrgUnit.id == Assignment.unit_id))
        .join(V, and_(V.tenant_id == OrgUnit.tenant_id, V.unit_id == OrgUnit.id, active_on(V, day)))
        .join(P, and_(P.tenant_id == Assignment.tenant_id, P.id == Assignment.position_id))
        .where(Assignment.official_id == official_id, active_on(Assignment, day))
        .order_by(Assignment.is_primary.desc(), Assignment.valid_from)
    )
    return [
        {
            "unit_name": unit_name,
            "unit_code": unit_code,
            "position_name": position_name,
            "position_code": position_code,
            "is_primary": assignment.is_primary,
            "share": float(assignment.share),
            "since": assignment.valid_from,
        }
        for assignment, unit_name, unit_code, position_name, position_code in rows
    ]


def _check_assignment(official_id, unit_id, position_id, is_primary, valid_from, valid_to, exclude=None) -> None:
    if valid_to is not None and valid_to <= valid_from:
        raise invalid(
            "valid_to",
            "Ngày kết thúc phải sau ngày bắt đầu.",
            "The end must be after the start.",
            detail="before start",
        )
    try:
        unit_as_of(unit_id, valid_from)
    except NotFound:
        raise invalid(
            "unit_id",
            "Đơn vị không tồn tại vào ngày bắt đầu.",
            "The unit does not exist on the start date.",
            detail="unknown",
        ) from None
    get_position(position_id, field="position_id")
    if is_primary:
        clash = select(Assignment.valid_from, Assignment.valid_to).where(
            Assignment.official_id == official_id, Assignment.is_primary, overlaps(Assignment, valid_from, valid_to)
        )
        if exclude is not None:
            clash = clash.where(Assignment.id != exclude)
        other = db.session.execute(clash.limit(1)).first()
        if other:
            end = f"{other.valid_to:%d/%m/%Y}" if other.valid_to else "nay"
            raise Conflict(
                f"Trùng thời gian với vị trí chính khác ({other.valid_from:%d/%m/%Y} - {end}).",
                f"Overlaps another primary assignment ({other.valid_from} - {other.valid_to or 'open'}).",
                fields={"valid_from": ["overlaps primary assignment"]},
            )


def add_assignment(
    official_id: uuid.UUID,
    *,
    unit_id: uuid.UUID,
    position_id: uuid.UUID,
    valid_from: date,
    valid_to: date | None = None,
    is_primary: bool = True,
    share: float = 1.0,
    reason: str | None = None,
) -> Assignment:
    get_official(official_id)
    _check_assignment(official_id, unit_id, position_id, is_primary, valid_from, valid_to)
    if not 0 < share <= 1:
        raise invalid(
            "share", "Tỷ lệ thời gian phải trong khoảng (0, 1].", "The share must be in (0, 1].", detail="range"
        )
    assignment = Assignment(
        official_id=official_id,
        unit_id=unit_id,
        position_id=position_id,
        is_primary=is_primary,
        share=share,
        valid_from=valid_from,
        valid_to=valid_to,
        change_reason=reason,
    )
    db.session.add(assignment)
    db.session.flush()
    audit.record("org.assignment.create", "assignment", assignment.id, after=_assignment_audit(assignment))
    return assignment


def _assignment_audit(a: Assignment) -> dict:
    return {
        "official_id": str(a.official_id),
        "unit_id": str(a.unit_id),
        "position_id": str(a.position_id),
        "is_primary": a.is_primary,
        "share": float(a.share),
        "valid_from": a.valid_from.isoformat(),
        "valid_to": a.valid_to.isoformat() if a.valid_to else None,
    }


def end_assignment(official_id: uuid.UUID, assignment_id: uuid.UUID, valid_to: date) -> Assignment:
    assignment = db.session.get(Assignment, (require_tenant_id(), assignment_id))
    if assignment is None or assignment.official_id != official_id:
        raise NotFound()
    if valid_to <= assignment.valid_from:
        raise invalid(
            "valid_to",
            "Ngày kết thúc phải sau ngày bắt đầu.",
            "The end must be after the start.",
            detail="before start",
        )
    before = _assignment_audit(assignment)
    assignment.valid_to = valid_to
    db.session.flush()
    audit.record("org.assignment.end", "assignment", assignment.id, before=before, after=_assignment_audit(assignment))
    return assignment


def transfer_official(
    official_id: uuid.UUID,
    *,
    unit_id: uuid.UUID,
    position_id: uuid.UUID | None,
    effective_date: date,
    reason: str | None = None,
) -> Assignment:
    """Close the primary assignment held on `effective_date` and open one in the new unit. The old
    assignment stays in the history."""
    get_official(official_id)
    current = db.session.scalar(
        select(Assignment).where(
            Assignment.official_id == official_id, Assignment.is_primary, active_on(Assignment, effective_date)
        )
    )
    if current is None:
        raise invalid(
            "official_id",
            "Cán bộ không có vị trí chính vào ngày hiệu lực.",
            "The official has no primary assignment on the effective date.",
            detail="no primary",
        )
    if current.valid_from >= effective_date:
        raise invalid(
            "effective_date",
            "Ngày điều chuyển phải sau ngày bắt đầu vị trí hiện tại.",
            "The transfer must come after the current assignment's start.",
            detail="too early",
        )
    _check_assignment(official_id, unit_id, position_id or current.position_id, False, effective_date, None)
    end = current.valid_to
    current.valid_to = effective_date
    db.session.flush()
    new = add_assignment(
        official_id,
        unit_id=unit_id,
        position_id=position_id or current.position_id,
        valid_from=effective_date,
        valid_to=end,
        is_primary=True,
        share=float(current.share),
        reason=reason,
    )
    return new


def members(unit_id: uuid.UUID, day: date, *, subtree: bool = False):
    """A select of (Official, Assignment): who belonged to the unit (or its subtree) on `day`."""
    unit_as_of(unit_id, day)
    units = subtree_id_list(unit_id, day) if subtree else [unit_id]
    return (
        select(Official, Assignment)
        .join(Assignment, and_(Assignment.tenant_id == Official.tenant_id, Assignment.official_id == Official.id))
        .where(active_on(Assignment, day), Assignment.unit_id.in_(units))
        .order_by(Official.sort_key, Official.staff_code, Assignment.valid_from)
    )


# ---------------------------------------------------------------- bulk (all or nothing)


def bulk_create_units(rows: list[dict]) -> list[OrgUnit]:
    """Rows may name as parent (parent_code) a unit created by an earlier row. Row numbers are 1-based."""
    codes = dict(db.session.execute(select(OrgUnit.code, OrgUnit.id)).all())
    created, errors = [], []
    for number, row in enumerate(rows, start=1):
        parent_code = row.get("parent_code")
        if parent_code and parent_code not in codes:
            errors.append(
                row_error(
                    number,
                    {"parent_code": ["unknown"]},
                    f"Unknown parent unit '{parent_code}'.",
                    f"Không có đơn vị cấp trên '{parent_code}'.",
                )
            )
            continue
        try:
            unit = create_unit(
                code=row["code"],
                name_vi=row["name_vi"],
                kind=row["kind"],
                parent_id=codes.get(parent_code) if parent_code else None,
                valid_from=row["valid_from"],
                reason=row.get("reason"),
            )
        except DomainError as error:
            errors.append(row_error_of(number, error))
            continue
        codes[unit.code] = unit.id
        created.append(unit)
    if errors:
        raise bulk_failed(errors)
    return created


def bulk_create_positions(rows: list[dict]) -> list[JobPosition]:
    created, errors = [], []
    for number, row in enumerate(rows, start=1):
        try:
            created.append(create_position(**row))
        except DomainError as error:
            errors.append(row_error_of(number, error))
    if errors:
        raise bulk_failed(errors)
    return created


def bulk_create_officials(rows: list[dict]) -> list[Official]:
    """Officials with their primary assignment, by unit and position codes. The lookups are done
    once for the whole file and the rows inserted together."""
    unit_ids = dict(db.session.execute(select(OrgUnit.code, OrgUnit.id)).all())
    position_ids = dict(db.session.execute(select(JobPosition.code, JobPosition.id)).all())
    taken = set(db.session.scalars(select(Official.staff_code)))
    starts = {(row["unit_code"], row["valid_from"]) for row in rows if row.get("unit_code") in unit_ids}
    alive = _units_alive_on(starts, unit_ids)
    officials, assignments, errors = [], [], []
    for number, row in enumerate(rows, start=1):
        fields: dict[str, list[str]] = {}
        code = (row.get("staff_code") or "").strip()
        if not code:
            fields["staff_code"] = ["required"]
        elif code in taken:
            fields["staff_code"] = ["taken"]
        if row["unit_code"] not in unit_ids:
            fields["unit_code"] = ["unknown"]
        elif (row["unit_code"], row["valid_from"]) not in alive:
            fields["unit_code"] = ["does not exist on valid_from"]
        if row["position_code"] not in position_ids:
            fields["position_code"] = ["unknown"]
        try:
            names = _official_fields(row.get("full_name", ""))
        except DomainError:
            fields["full_name"] = ["required"]
        if fields:
            errors.append(row_error(number, fields))
            continue
        taken.add(code)
        official = Official(
            id=uuid.uuid4(),
            staff_code=code,
            email=(row.get("email") or "").strip().lower() or None,
            employment_kind=EmploymentKind(row["employment_kind"]),
            status=OfficialStatus(row.get("status") or "active"),
            **names,
        )
        officials.append(official)
        assignments.append(
            Assignment(
                official_id=official.id,
                unit_id=unit_ids[row["unit_code"]],
                position_id=position_ids[row["position_code"]],
                is_primary=True,
                share=row.get("share") or 1,
                valid_from=row["valid_from"],
            )
        )
    if errors:
        raise bulk_failed(errors)
    db.session.add_all(officials)
    db.session.flush()
    db.session.add_all(assignments)
    db.session.flush()
    audit.record(
        "org.official.bulk_create",
        "official",
        None,
        after={"count": len(officials), "staff_codes": [o.staff_code for o in officials][:1000]},
    )
    return officials


def _units_alive_on(pairs: set[tuple[str, date]], unit_ids: dict[str, uuid.UUID]) -> set[tuple[str, date]]:
    """Which (unit code, day) pairs name a unit that exists on that day; one query per distinct day."""
    alive = set()
    code_of = {v: k for k, v in unit_ids.items()}
    for day in {d for _, d in pairs}:
        existing = set(db.session.scalars(select(OrgUnitVersion.unit_id).where(active_on(OrgUnitVersion, day))))
        alive |= {(code_of[u], day) for u in existing if (code_of[u], day) in pairs}
    return alive
