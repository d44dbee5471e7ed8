"""Who may see or act on which official, on a day: one place for the rule, outside Flask. Every
API module and page asks here; capabilities that add roles (training, benchmarking, the year's
evaluation) add their question here too rather than deciding it themselves.

- Oversight roles (provincial admin, steering committee, auditor, support staff) see everyone.
- Unit heads and managers see the officials of their primary unit's subtree.
- Everyone sees themself and the people they review (reviewer_of / reviewees_of, heads of the day).
- Nobody records leave, marks or discipline for themself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from kpi_platform.db import db
from kpi_platform.errors import Forbidden, NotFound
from kpi_platform.org import service as org
from kpi_platform.org.models import Assignment, Official
from kpi_platform.periods import active_on
from kpi_platform.roles import ADMIN, MANAGERS, OVERSIGHT


class NoOfficial(Forbidden):
    """The account is linked to no official: one answer wherever a person's own work is asked for."""

    code = "no_official"

    def __init__(self):
        super().__init__(
            "Tài khoản này không gắn với cán bộ nào. Hãy liên hệ quản trị viên của tỉnh.",
            "This account is not linked to an official. Contact the province's administrator.",
        )


@dataclass(frozen=True)
class Scope:
    """The officials a principal may see on a day."""

    day: date
    everyone: bool = False
    own: uuid.UUID | None = None  # the principal's own official
    units: tuple[uuid.UUID, ...] = ()  # a unit head's or manager's subtree
    reviewees: frozenset[uuid.UUID] = field(default_factory=frozenset)

    def list_filters(self) -> dict:
        """Filters for org.list_officials (the reviewees are reached one by one: see may_see)."""
        if self.everyone:
            return {}
        if self.units:
            return {"within_units": list(self.units)}
        return {"only_official": self.own or uuid.UUID(int=0)}

    def official_ids(self):
        """A select of the ids in scope, or None for everyone (to filter lists on official_id)."""
        if self.everyone:
            return None
        ids = {*self.reviewees, *([self.own] if self.own else [])}
        if not self.units:
            return select(Official.id).where(Official.id.in_(ids)) if ids else select(Official.id).where(False)
        in_units = select(Assignment.official_id).where(
            Assignment.unit_id.in_(self.units), active_on(Assignment, self.day)
        )
        return select(Official.id).where((Official.id.in_(ids)) | Official.id.in_(in_units))


def own_official(principal) -> Official | None:
    return org.official_for_principal(principal.id)


def require_own_official(principal) -> Official:
    official = own_official(principal)
    if official is None:
        raise NoOfficial()
    return official


def scope_of(principal, day: date) -> Scope:
    if principal.has_any_role(OVERSIGHT):
        return Scope(day, everyone=True)
    own = own_official(principal)
    if own is None:
        return Scope(day)
    reviewees = frozenset(org.reviewees_of(own.id, day))
    units: tuple[uuid.UUID, ...] = ()
    if principal.has_any_role(MANAGERS):
        primary = db.session.scalar(
            select(Assignment.unit_id).where(
                Assignment.official_id == own.id, Assignment.is_primary, active_on(Assignment, day)
            )
        )
        if primary is not None:
            units = tuple(org.subtree_id_list(primary, day))
    return Scope(day, own=own.id, units=units, reviewees=reviewees)


def may_see(principal, official_id: uuid.UUID, day: date) -> bool:
    scope = scope_of(principal, day)
    if scope.everyone or official_id == scope.own or official_id in scope.reviewees:
        return True
    if not scope.units:
        return False
    return (
        db.session.scalar(
            select(Assignment.id)
            .where(
                Assignment.official_id == official_id,
                active_on(Assignment, day),
                Assignment.unit_id.in_(scope.units),
            )
            .limit(1)
        )
        is not None
    )


def require_visible(principal, official_id: uuid.UUID, day: date) -> Official:
    """The official if the principal may see them, else 404 (the same answer as for nobody)."""
    official = org.get_official(official_id)
    if not may_see(principal, official_id, day):
        raise NotFound()
    return official


def is_reviewer_of(principal, official_id: uuid.UUID, day: date) -> bool:
    own = own_official(principal)
    return own is not None and official_id in org.reviewees_of(own.id, day)


def reviewer_or_admin(principal, official_id: uuid.UUID, day: date) -> bool:
    """The rule for marking, assigning products, recording leave: the official's reviewer, or the
    provincial admin."""
    return principal.has_any_role(ADMIN) or is_reviewer_of(principal, official_id, day)


def require_reviewer_or_admin(principal, official_id: uuid.UUID, day: date, *, what_vi: str, what_en: str) -> None:
    require_not_self(principal, official_id, what_vi=what_vi, what_en=what_en)
    if not reviewer_or_admin(principal, official_id, day):
        raise Forbidden(
            f"Chỉ người đánh giá của cán bộ hoặc quản trị viên tỉnh mới {what_vi}.",
            f"Only the official's reviewer or the provincial admin may {what_en}.",
            code="not_the_reviewer",
        )


def require_not_self(principal, official_id: uuid.UUID, *, what_vi: str, what_en: str) -> None:
    own = own_official(principal)
    if own is not None and own.id == official_id:
        raise Forbidden(
            f"Không ai tự {what_vi} cho chính mình.",
            f"Nobody may {what_en} for themself.",
            code="not_for_yourself",
        )


def units_led(principal, day: date) -> list:
    """The units the principal's official heads on `day`."""
    own = own_official(principal)
    return org.units_headed_by(own.id, day) if own else []


def leads_unit_of(principal, unit_id: uuid.UUID, day: date) -> bool:
    """Whether `unit_id` lies under a unit the principal heads on `day`."""
    return any(unit_id in org.subtree_id_list(unit.id, day) for unit in units_led(principal, day))
