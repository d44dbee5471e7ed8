"""The tenant's mapping of its own things to the national taxonomy, and resolving an official's cell.

What can be mapped, by its code, along which dimensions:

    unit_kind          a kind of org unit (agency, commune, division …)   unit_kind (a term or "inherit"), sector
    unit               one org unit, over its kind's mapping               unit_kind (a term or "inherit"), sector
    position_category  leadership, professional, support                   position_category
    position           one job position, over its category's mapping       position_category
    item               one catalog item                                    sector

An official's cell: the unit kind and sector of their primary unit (a unit mapped "inherit", such
as a division, takes its parent's; a unit without a sector takes its parent's), the category of
their primary position, and their employment kind as the staff kind. Whatever is not mapped is
"unmapped": never guessed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, func, select

from kpi_platform.audit import service as audit
from kpi_platform.benchmarking.models import INHERIT, UNMAPPED, Mapping, TaxonomyTerm, TaxonomyVersion
from kpi_platform.catalog.models import CatalogItem
from kpi_platform.db import db, utcnow
from kpi_platform.errors import Invalid
from kpi_platform.org import service as org
from kpi_platform.org.models import JobPosition, OrgUnit, OrgUnitVersion, PositionCategory

SUBJECTS: dict[str, tuple[str, ...]] = {
    "unit_kind": ("unit_kind", "sector"),
    "unit": ("unit_kind", "sector"),
    "position_category": ("position_category",),
    "position": ("position_category",),
    "item": ("sector",),
}
MAX_ROWS = 5000


def current_version() -> int:
    return db.session.scalar(select(func.max(TaxonomyVersion.number))) or 0


def terms(version: int | None = None) -> dict[str, dict[str, TaxonomyTerm]]:
    """dimension -> code -> term, of a version (the current one by default)."""
    version = version or current_version()
    out: dict[str, dict[str, TaxonomyTerm]] = {}
    for term in db.session.scalars(
        select(TaxonomyTerm).where(TaxonomyTerm.version == version).order_by(TaxonomyTerm.position)
    ):
        out.setdefault(term.dimension, {})[term.code] = term
    return out


@dataclass
class Known:
    """The codes the tenant has (and a pack adds), per subject."""

    codes: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Known:
        return cls(
            codes={
                "unit_kind": set(org.unit_kinds()),
                "unit": set(db.session.scalars(select(OrgUnit.code))),
                "position_category": {c.value for c in PositionCategory},
                "position": set(db.session.scalars(select(JobPosition.code))),
                "item": set(db.session.scalars(select(CatalogItem.code))),
            }
        )


def check_row(row: dict, taxonomy: dict, known: Known) -> list[tuple[str, str, str, str]]:
    """Problems of one mapping row as (column, code, Vietnamese, English); none when it is good.
    A blank term removes the mapping."""
    subject, code, dimension = row.get("subject"), row.get("code"), row.get("dimension")
    term = row.get("term")
    if subject not in SUBJECTS:
        return [
            (
                "subject",
                "unknown_subject",
                f"Đối tượng lạ '{subject}' (có: {', '.join(SUBJECTS)}).",
                f"Unknown subject '{subject}' (known: {', '.join(SUBJECTS)}).",
            )
        ]
    problems = []
    if not code or code not in known.codes.get(subject, set()):
        problems.append(
            ("code", "unknown_reference", f"Không có {subject} mã '{code}'.", f"No {subject} with the code '{code}'.")
        )
    if dimension not in SUBJECTS[subject]:
        allowed = ", ".join(SUBJECTS[subject])
        problems.append(
            (
                "dimension",
                "wrong_dimension",
                f"{subject} chỉ ánh xạ theo: {allowed}.",
                f"A {subject} maps along {allowed} only.",
            )
        )
    elif term and term not in taxonomy.get(dimension, {}) and not (dimension == "unit_kind" and term == INHERIT):
        allowed = ", ".join([*taxonomy.get(dimension, {}), *([INHERIT] if dimension == "unit_kind" else [])])
        problems.append(
            (
                "term",
                "unknown_term",
                f"'{term}' không có trong phân loại quốc gia (có: {allowed}).",
                f"'{term}' is not in the national taxonomy (known: {allowed}).",
            )
        )
    return problems


def mappings() -> list[Mapping]:
    return list(db.session.scalars(select(Mapping).order_by(Mapping.subject, Mapping.code, Mapping.dimension)))


def apply(rows: list[dict], *, by=None, dry_run: bool = False) -> dict[str, list[str]]:
    """Create, change or remove (blank term) mappings of already checked rows. Returns the keys by
    action: create, change, remove, unchanged."""
    have = {(m.subject, m.code, m.dimension): m for m in mappings()}
    actions: dict[str, list[str]] = {"create": [], "change": [], "remove": [], "unchanged": []}
    for row in rows:
        key = (row["subject"], row["code"], row["dimension"])
        label = ":".join(key)
        current, term = have.get(key), (row.get("term") or None)
        if term is None:
            if current is not None:
                actions["remove"].append(label)
                if not dry_run:
                    db.session.execute(
                        delete(Mapping).where(
                            Mapping.subject == key[0], Mapping.code == key[1], Mapping.dimension == key[2]
                        )
                    )
            continue
        if current is None:
            actions["create"].append(label)
            if not dry_run:
                mapping = Mapping(subject=key[0], code=key[1], dimension=key[2], term=term)
                mapping.updated_by = by.id if by else None
                db.session.add(mapping)
                have[key] = mapping
        elif current.term != term:
            actions["change"].append(label)
            if not dry_run:
                current.term, current.updated_by, current.updated_at = term, by.id if by else None, utcnow()
        else:
            actions["unchanged"].append(label)
    if not dry_run and any(actions[a] for a in ("create", "change", "remove")):
        db.session.flush()
        audit.record(
            "benchmarking.mappings",
            "benchmark_mapping",
            None,
            after={a: keys[:50] for a, keys in actions.items() if a != "unchanged" and keys},
        )
    return actions


def set_mappings(rows: list[dict], *, by) -> dict[str, list[str]]:
    """Check every row, save all of them or nothing (problems numbered from 1)."""
    if len(rows) > MAX_ROWS:
        raise Invalid(fields={"mappings": [f"at most {MAX_ROWS} rows"]})
    taxonomy, known = terms(), Known.load()
    errors, seen = [], {}
    for number, row in enumerate(rows, start=1):
        problems = check_row(row, taxonomy, known)
        key = (row.get("subject"), row.get("code"), row.get("dimension"))
        if key in seen:
            problems.append(("code", "duplicate", "", ""))
        seen.setdefault(key, number)
        if problems:
            errors.append({"row": number, "fields": {column: [code] for column, code, _, _ in problems}})
    if errors:
        raise Invalid(
            f"{len(errors)} dòng ánh xạ chưa hợp lệ; chưa có gì được lưu.",
            f"{len(errors)} mapping rows are not valid; nothing was saved.",
            fields={"rows": errors},
        )
    return apply(rows, by=by)


# ---------------------------------------------------------------- resolving an official's cell


class Resolver:
    """The taxonomy values of the tenant's units, positions and items on a day (one read each)."""

    def __init__(self, day: date, taxonomy: dict | None = None) -> None:
        self.taxonomy = taxonomy or terms()
        self.maps = {(m.subject, m.code, m.dimension): m.term for m in mappings()}
        self.units: dict[uuid.UUID, tuple[str, str, uuid.UUID | None]] = {
            unit_id: (code, kind, parent)
            for unit_id, code, kind, parent in db.session.execute(
                select(OrgUnitVersion.unit_id, OrgUnit.code, OrgUnitVersion.kind, OrgUnitVersion.parent_id)
                .join(OrgUnit, (OrgUnit.tenant_id == OrgUnitVersion.tenant_id) & (OrgUnit.id == OrgUnitVersion.unit_id))
                .where(org.active_on(OrgUnitVersion, day))
            )
        }
        self._unit_cache: dict[uuid.UUID | None, tuple[str, str]] = {}

    def _term(self, dimension: str, value: str | None) -> str | None:
        if value is None:
            return None
        if value == INHERIT and dimension == "unit_kind":
            return INHERIT
        return value if value in self.taxonomy.get(dimension, {}) else UNMAPPED  # dropped by a new version

    def _own(self, unit_id: uuid.UUID, dimension: str) -> str | None:
        code, kind, _ = self.units[unit_id]
        own = self.maps.get(("unit", code, dimension))
        return self._term(dimension, own if own is not None else self.maps.get(("unit_kind", kind, dimension)))

    def unit(self, unit_id: uuid.UUID | None) -> tuple[str, str]:
        """(unit kind, sector) of a unit: its own kind, or its parent's when mapped "inherit" (a unit
        kind not mapped at all is unmapped, not its parent's); the nearest sector up the tree."""
        if unit_id in self._unit_cache:
            return self._unit_cache[unit_id]
        kind = sector = None
        current, depth = unit_id, 0
        while current in self.units and depth < org.MAX_DEPTH and (kind is None or sector is None):
            if kind is None:
                own = self._own(current, "unit_kind")
                if own != INHERIT:
                    kind = own or UNMAPPED
            if sector is None:
                sector = self._own(current, "sector")
            current, depth = self.units[current][2], depth + 1
        value = (kind or UNMAPPED, sector or UNMAPPED)
        self._unit_cache[unit_id] = value
        return value

    def position(self, code: str | None, category: str | None) -> str:
        if code is None:
            return UNMAPPED
        own = self.maps.get(("position", code, "position_category"))
        value = own if own is not None else self.maps.get(("position_category", str(category), "position_category"))
        return self._term("position_category", value) or UNMAPPED

    def staff_kind(self, employment_kind: str | None) -> str:
        value = str(employment_kind) if employment_kind is not None else None
        return value if value in self.taxonomy.get("staff_kind", {}) else UNMAPPED

    def item_sector(self, code: str) -> str:
        return self._term("sector", self.maps.get(("item", code, "sector"))) or UNMAPPED

    def unmapped(self) -> dict[str, list[str]]:
        """Codes of the units, positions and items with a dimension unmapped (the tenant's own view)."""
        units = sorted(code for unit_id, (code, _, _) in self.units.items() if UNMAPPED in self.unit(unit_id))
        positions = sorted(
            code
            for code, category in db.session.execute(select(JobPosition.code, JobPosition.category))
            if self.position(code, category) == UNMAPPED
        )
        items = sorted(c for c in db.session.scalars(select(CatalogItem.code)) if self.item_sector(c) == UNMAPPED)
        return {"units": units, "positions": positions, "items": items}
