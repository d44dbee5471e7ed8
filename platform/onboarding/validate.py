"""Validating a pack: every field of every row, then every reference between files and to what the
tenant already holds. Every problem is reported with its file, line and column; the caller imports
nothing unless the list is empty."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import marshmallow as ma
from marshmallow import validate as v
from sqlalchemy import select

from kpi_platform.benchmarking import service as benchmarking
from kpi_platform.catalog.models import CatalogItem, Group
from kpi_platform.catalog.service import CODE_PATTERN, MAX_NORM_MINUTES
from kpi_platform.db import db
from kpi_platform.identity.models import Principal
from kpi_platform.onboarding.source import RawPack
from kpi_platform.org import service as org
from kpi_platform.org.models import EmploymentKind, JobPosition, Official, OrgUnit, OrgUnitVersion, PositionCategory
from kpi_platform.roles import TENANT_ROLES
from kpi_platform.tenancy.models import TenantStatus
from kpi_platform.tenant_settings import document as settings_document

CODE = v.Regexp(CODE_PATTERN, error="only letters, digits and . _ / - (at most 60)")
PIPE = "|"


def _pipe_list(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(PIPE) if part.strip()]


class UnitRow(ma.Schema):
    code = ma.fields.String(required=True, validate=CODE)
    name_vi = ma.fields.String(required=True, validate=v.Length(min=1, max=300))
    kind = ma.fields.String(required=True, validate=v.Length(min=1, max=40))
    parent_code = ma.fields.String(load_default=None)
    valid_from = ma.fields.Date(required=True)
    head_staff_code = ma.fields.String(load_default=None)


class PositionRow(ma.Schema):
    code = ma.fields.String(required=True, validate=CODE)
    name_vi = ma.fields.String(required=True, validate=v.Length(min=1, max=300))
    category = ma.fields.String(required=True, validate=v.OneOf([c.value for c in PositionCategory]))
    unit_kinds = ma.fields.String(load_default="")


class OfficialRow(ma.Schema):
    staff_code = ma.fields.String(required=True, validate=CODE)
    full_name = ma.fields.String(required=True, validate=v.Length(min=1, max=200))
    employment_kind = ma.fields.String(required=True, validate=v.OneOf([k.value for k in EmploymentKind]))
    email = ma.fields.Email(load_default=None)
    unit_code = ma.fields.String(required=True)
    position_code = ma.fields.String(required=True)
    valid_from = ma.fields.Date(required=True)
    share = ma.fields.Decimal(load_default=Decimal(1), validate=v.Range(min=0, max=1, min_inclusive=False))
    reviewer_staff_code = ma.fields.String(load_default=None)


class PostRow(ma.Schema):
    staff_code = ma.fields.String(required=True)
    unit_code = ma.fields.String(required=True)
    position_code = ma.fields.String(required=True)
    valid_from = ma.fields.Date(required=True)
    share = ma.fields.Decimal(load_default=Decimal(1), validate=v.Range(min=0, max=1, min_inclusive=False))


class LineRow(ma.Schema):
    position_code = ma.fields.String(required=True)
    agency_code = ma.fields.String(load_default=None)
    item_code = ma.fields.String(required=True)
    expected_monthly_volume = ma.fields.Decimal(load_default=None, validate=v.Range(min=0))


class AccountRow(ma.Schema):
    email = ma.fields.Email(required=True)
    display_name = ma.fields.String(required=True, validate=v.Length(min=1, max=200))
    roles = ma.fields.String(required=True)
    staff_code = ma.fields.String(load_default=None)

    @ma.validates("roles")
    def _roles(self, value, **kwargs):
        unknown = [r for r in _pipe_list(value) if r not in {str(role) for role in TENANT_ROLES}]
        if unknown or not _pipe_list(value):
            raise ma.ValidationError(f"unknown roles: {', '.join(unknown) or '(none given)'}")


class MappingRow(ma.Schema):
    subject = ma.fields.String(required=True)
    code = ma.fields.String(required=True, validate=v.Length(min=1, max=60))
    dimension = ma.fields.String(required=True)
    term = ma.fields.String(load_default=None, validate=v.Length(max=60))


class ItemEntry(ma.Schema):
    code = ma.fields.String(required=True, validate=CODE)
    group = ma.fields.String(required=True, validate=v.OneOf([g.value for g in Group]))
    name_vi = ma.fields.String(required=True, validate=v.Length(min=1, max=500))
    name_en = ma.fields.String(load_default=None, allow_none=True, validate=v.Length(max=500))
    output_unit = ma.fields.String(required=True, validate=v.Length(min=1, max=80))
    norm_minutes = ma.fields.Decimal(
        required=True, validate=v.Range(min=0, max=MAX_NORM_MINUTES, min_inclusive=False), allow_nan=False
    )
    complexity = ma.fields.String(load_default="normal")
    field = ma.fields.String(load_default=None, allow_none=True, validate=v.Length(max=120))
    agency = ma.fields.String(load_default=None, allow_none=True)
    done_definition = ma.fields.String(load_default=None, allow_none=True, validate=v.Length(max=4000))
    has_deadline = ma.fields.Boolean(load_default=False)


class ApprovalEntry(ma.Schema):
    decision = ma.fields.String(required=True, validate=v.Length(min=1, max=300))
    date = ma.fields.Date(required=True)


class CatalogDocument(ma.Schema):
    valid_from = ma.fields.Date(required=True)
    approval = ma.fields.Nested(ApprovalEntry, load_default=None, allow_none=True)
    items = ma.fields.List(ma.fields.Raw(), required=True)


class LevelEntry(ma.Schema):
    code = ma.fields.String(required=True, validate=v.Regexp(r"^[a-z][a-z0-9_]{0,39}$"))
    name_vi = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True)
    coefficient = ma.fields.Decimal(required=True, validate=v.Range(min=0, min_inclusive=False))


class SettingsDocument(ma.Schema):
    """settings.yaml: from when, the complexity table (the catalog's), and the tenant settings
    themselves, which tenant_settings checks (settings_problems) as the API does."""

    valid_from = ma.fields.Date(required=True)
    complexity = ma.fields.List(ma.fields.Nested(LevelEntry), load_default=None)

    class Meta:
        unknown = ma.INCLUDE


def settings_problems(raw: RawPack, document: dict, loaded: dict) -> None:
    """Each bad or unknown key of the settings as a problem on the line of the mapping that holds it."""
    stated = {k: val for k, val in _strip(document).items() if k not in ("valid_from", "complexity")}
    try:
        settings_document.load(stated, loaded["valid_from"])
    except ma.ValidationError as error:
        for path, texts in settings_document.error_paths(error.messages).items():
            node, line = document, document.get("__line__")
            for part in path.split("."):  # down to the line of the key itself, or of the nearest mapping
                if isinstance(node, dict):
                    line = node.get("__lines__", {}).get(part, node.get("__line__", line))
                    node = node.get(part)
                elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                    node = node[int(part)]
                    line = node.get("__line__", line) if isinstance(node, dict) else line
                else:
                    break
            text = "; ".join(texts)
            raw.problem(
                "settings.yaml",
                line,
                path,
                "invalid_value",
                f"Giá trị không hợp lệ: {text}.",
                f"Invalid value: {text}.",
            )


class TenantDocument(ma.Schema):
    slug = ma.fields.String(required=True, validate=v.Regexp(r"^[a-z][a-z0-9-]{1,40}$"))
    name_vi = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True)
    kind = ma.fields.String(load_default="province")
    status = ma.fields.String(load_default="provisioning", validate=v.OneOf([s.value for s in TenantStatus]))
    time_zone = ma.fields.String(load_default="Asia/Ho_Chi_Minh")
    template = ma.fields.Boolean(load_default=False)


class PilotEntry(ma.Schema):
    start = ma.fields.Date(required=True)
    units = ma.fields.List(ma.fields.String(), required=True)


class ExtensionEntry(ma.Schema):
    date = ma.fields.Date(required=True)
    units = ma.fields.List(ma.fields.String(), required=True)


class RolloutDocument(ma.Schema):
    pilot = ma.fields.Nested(PilotEntry, load_default=None)
    official_start = ma.fields.Date(load_default=None)
    extensions = ma.fields.List(ma.fields.Nested(ExtensionEntry), load_default=list)


@dataclass
class Existing:
    """What the tenant already holds, keyed by code, read once."""

    units: dict[str, tuple] = field(default_factory=dict)  # code -> (id, kind)
    positions: dict[str, object] = field(default_factory=dict)  # code -> id
    officials: dict[str, object] = field(default_factory=dict)  # staff_code -> id
    official_emails: dict[str, str] = field(default_factory=dict)  # email -> staff_code
    items: dict[str, tuple] = field(default_factory=dict)  # code -> (group, agency code)
    complexity: set[str] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)
    principals: dict[str, object] = field(default_factory=dict)  # email -> id

    @classmethod
    def load(cls) -> Existing:
        from kpi_platform.catalog import service as catalog

        kind_of = {}
        for unit_id, kind in db.session.execute(
            select(OrgUnitVersion.unit_id, OrgUnitVersion.kind).order_by(OrgUnitVersion.valid_from)
        ):
            kind_of[unit_id] = kind  # the latest version's kind
        units = {
            code: (unit_id, kind_of.get(unit_id))
            for code, unit_id in db.session.execute(select(OrgUnit.code, OrgUnit.id))
        }
        code_of_unit = {unit_id: code for code, (unit_id, _) in units.items()}
        officials, emails = {}, {}
        for staff_code, official_id, email in db.session.execute(
            select(Official.staff_code, Official.id, Official.email)
        ):
            officials[staff_code] = official_id
            if email:
                emails[email] = staff_code
        return cls(
            units=units,
            positions=dict(db.session.execute(select(JobPosition.code, JobPosition.id)).all()),
            officials=officials,
            official_emails=emails,
            items={
                code: (str(group), code_of_unit.get(agency_id))
                for code, group, agency_id in db.session.execute(
                    select(CatalogItem.code, CatalogItem.item_group, CatalogItem.agency_id)
                )
            },
            complexity={level["code"] for level in catalog.complexity_levels()},
            kinds=set(org.unit_kinds()),
            principals=dict(db.session.execute(select(Principal.email, Principal.id)).all()),
        )


@dataclass
class Pack:
    """A valid pack: typed rows, each still carrying its file and line."""

    name: str
    tenant: dict | None = None
    settings: dict | None = None
    catalog: dict | None = None  # valid_from, approval, items (list of dicts)
    units: list[dict] = field(default_factory=list)
    positions: list[dict] = field(default_factory=list)
    officials: list[dict] = field(default_factory=list)
    posts: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)
    accounts: list[dict] = field(default_factory=list)
    mappings: list[dict] = field(default_factory=list)  # to the national taxonomy (benchmarking)
    rollout: dict | None = None
    parts: set[str] = field(default_factory=set)


def _problems_from(raw: RawPack, file: str, line: int | None, error: ma.ValidationError, prefix: str = "") -> None:
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    for column, texts in messages.items():
        if isinstance(texts, dict):  # nested
            _problems_from(raw, file, line, ma.ValidationError(texts), prefix=f"{prefix}{column}.")
            continue
        text = "; ".join(str(t) for t in texts) if isinstance(texts, list) else str(texts)
        name = None if column == "_schema" else f"{prefix}{column}"
        raw.problem(file, line, name, "invalid_value", f"Giá trị không hợp lệ: {text}.", f"Invalid value: {text}.")


def _load_rows(raw: RawPack, file: str, schema: ma.Schema) -> list[dict]:
    loaded = []
    for row in raw.tables.get(file, []):
        values = {k: val for k, val in row.values.items() if val != ""}
        try:
            data = schema.load(values)
        except ma.ValidationError as error:
            _problems_from(raw, file, row.line, error)
            continue
        loaded.append({**data, "_file": file, "_line": row.line})
    return loaded


def _strip(value):
    """Without the line marks the YAML reader adds to every mapping."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in ("__line__", "__lines__")}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _load_document(raw: RawPack, file: str, schema: ma.Schema) -> dict | None:
    document = raw.documents.get(file)
    if document is None:
        return None
    try:
        if file == "catalog.yaml":  # items are checked one by one, keeping their lines
            return schema.load(
                {**_strip({k: v for k, v in document.items() if k != "items"}), "items": document.get("items")},
                unknown=ma.EXCLUDE,
            )
        return schema.load(_strip(document), unknown=schema.opts.unknown if file == "settings.yaml" else ma.EXCLUDE)
    except ma.ValidationError as error:
        _problems_from(raw, file, document.get("__line__"), error)
        return None


def _bad(raw: RawPack, row: dict, column: str, code: str, vi: str, en: str) -> None:
    raw.problem(row["_file"], row["_line"], column, code, vi, en)


def _duplicates(raw: RawPack, rows: list[dict], key, column: str) -> None:
    seen = {}
    for row in rows:
        value = key(row)
        if value in seen:
            _bad(
                raw,
                row,
                column,
                "duplicate",
                f"Trùng với dòng {seen[value]}.",
                f"Repeats line {seen[value]}.",
            )
        else:
            seen[value] = row["_line"]


def validate(raw: RawPack, existing: Existing, *, only: set[str] | None = None) -> Pack:
    """Check everything; problems go to raw.problems. The returned Pack is only usable when there are none."""
    pack = Pack(name=raw.name)
    wanted = only or {
        "settings",
        "catalog",
        "units",
        "positions",
        "officials",
        "concurrent_posts",
        "job_descriptions",
        "accounts",
        "benchmarking",
        "rollout",
    }
    pack.tenant = _load_document(raw, "tenant.yaml", TenantDocument())
    if "settings" in wanted:
        pack.settings = _load_document(raw, "settings.yaml", SettingsDocument())
        if pack.settings is not None:
            settings_problems(raw, raw.documents["settings.yaml"], pack.settings)
    complexity = set(existing.complexity)
    if pack.settings and pack.settings.get("complexity"):
        complexity = {level["code"] for level in pack.settings["complexity"]}

    units = _load_rows(raw, "units.csv", UnitRow()) if "units" in wanted else []
    positions = _load_rows(raw, "positions.csv", PositionRow()) if "positions" in wanted else []
    officials = _load_rows(raw, "officials.csv", OfficialRow()) if "officials" in wanted else []
    posts = _load_rows(raw, "concurrent_posts.csv", PostRow()) if "concurrent_posts" in wanted else []
    lines = _load_rows(raw, "job_descriptions.csv", LineRow()) if "job_descriptions" in wanted else []
    accounts = _load_rows(raw, "accounts.csv", AccountRow()) if "accounts" in wanted else []
    catalog = _load_document(raw, "catalog.yaml", CatalogDocument()) if "catalog" in wanted else None
    items = []
    if catalog is not None:
        for index, entry in enumerate(catalog["items"], start=1):
            line = entry.get("__line__") if isinstance(entry, dict) else None
            if not isinstance(entry, dict):
                raw.problem(
                    "catalog.yaml",
                    None,
                    f"items[{index}]",
                    "invalid_value",
                    "Mục phải là bảng khóa.",
                    "Each item must be a mapping.",
                )
                continue
            try:
                data = ItemEntry().load(_strip(entry))
            except ma.ValidationError as error:
                _problems_from(raw, "catalog.yaml", line, error)
                continue
            items.append({**data, "_file": "catalog.yaml", "_line": line})
        catalog["items"] = items
    rollout = _load_document(raw, "rollout.yaml", RolloutDocument()) if "rollout" in wanted else None

    # ---- references
    _duplicates(raw, units, lambda r: r["code"], "code")
    unit_kind = {code: kind for code, (_, kind) in existing.units.items()}
    unit_start: dict[str, date] = {}
    kinds = existing.kinds
    for row in units:
        if row["kind"] not in kinds:
            _bad(
                raw,
                row,
                "kind",
                "unknown_kind",
                f"Loại đơn vị lạ '{row['kind']}'.",
                f"Unknown unit kind '{row['kind']}'.",
            )
        parent = row.get("parent_code")
        if parent and parent not in unit_kind:
            _bad(
                raw,
                row,
                "parent_code",
                "unknown_reference",
                f"Không có đơn vị cấp trên '{parent}' ở các dòng trước hoặc trong tỉnh.",
                f"No parent unit '{parent}' on an earlier line or in the tenant.",
            )
        elif parent and parent in unit_start and unit_start[parent] > row["valid_from"]:
            _bad(
                raw,
                row,
                "valid_from",
                "before_parent",
                "Đơn vị bắt đầu trước đơn vị cấp trên.",
                "The unit starts before its parent.",
            )
        unit_kind.setdefault(row["code"], row["kind"])
        unit_start.setdefault(row["code"], row["valid_from"])

    _duplicates(raw, positions, lambda r: r["code"], "code")
    position_codes = set(existing.positions) | {r["code"] for r in positions}
    for row in positions:
        row["unit_kinds"] = _pipe_list(row["unit_kinds"])
        for kind in row["unit_kinds"]:
            if kind not in kinds:
                _bad(
                    raw, row, "unit_kinds", "unknown_kind", f"Loại đơn vị lạ '{kind}'.", f"Unknown unit kind '{kind}'."
                )

    _duplicates(raw, officials, lambda r: r["staff_code"], "staff_code")
    staff_codes = set(existing.officials) | {r["staff_code"] for r in officials}
    email_owner = dict(existing.official_emails)
    for row in officials:
        _check_post(raw, row, unit_kind, unit_start, position_codes)
        reviewer = row.get("reviewer_staff_code")
        if reviewer and reviewer not in staff_codes:
            _bad(
                raw,
                row,
                "reviewer_staff_code",
                "unknown_reference",
                f"Không có cán bộ '{reviewer}'.",
                f"No official '{reviewer}'.",
            )
        if reviewer and reviewer == row["staff_code"]:
            _bad(
                raw,
                row,
                "reviewer_staff_code",
                "self_review",
                "Không tự đánh giá chính mình.",
                "An official cannot review themself.",
            )
        email = (row.get("email") or "").lower() or None
        row["email"] = email
        if email and email_owner.setdefault(email, row["staff_code"]) != row["staff_code"]:
            _bad(
                raw,
                row,
                "email",
                "duplicate",
                f"Email đã dùng cho cán bộ {email_owner[email]}.",
                f"The email belongs to {email_owner[email]}.",
            )
    for row in units:
        head = row.get("head_staff_code")
        if head and head not in staff_codes:
            _bad(
                raw, row, "head_staff_code", "unknown_reference", f"Không có cán bộ '{head}'.", f"No official '{head}'."
            )

    _duplicates(raw, posts, lambda r: (r["staff_code"], r["unit_code"], r["position_code"]), "staff_code")
    for row in posts:
        if row["staff_code"] not in staff_codes:
            _bad(
                raw,
                row,
                "staff_code",
                "unknown_reference",
                f"Không có cán bộ '{row['staff_code']}'.",
                f"No official '{row['staff_code']}'.",
            )
        _check_post(raw, row, unit_kind, unit_start, position_codes)

    _duplicates(raw, items, lambda r: r["code"], "code")
    item_kind = dict(existing.items)
    for row in items:
        agency = row.get("agency")
        if row["complexity"] not in complexity:
            _bad(
                raw,
                row,
                "complexity",
                "unknown_complexity",
                f"Không có mức độ phức tạp '{row['complexity']}' (có: {', '.join(sorted(complexity))}).",
                f"Unknown complexity '{row['complexity']}' (known: {', '.join(sorted(complexity))}).",
            )
        if row["group"] == Group.C and not agency:
            _bad(
                raw,
                row,
                "agency",
                "agency_required",
                "Mục nhóm C phải có cơ quan sở hữu.",
                "A group C item needs its agency.",
            )
        elif row["group"] != Group.C and agency:
            _bad(
                raw,
                row,
                "agency",
                "agency_not_allowed",
                "Chỉ mục nhóm C mới có cơ quan.",
                "Only group C items have an agency.",
            )
        elif agency and agency not in unit_kind:
            _bad(raw, row, "agency", "unknown_reference", f"Không có đơn vị '{agency}'.", f"No unit '{agency}'.")
        if row["code"] in existing.items and existing.items[row["code"]] != (row["group"], agency):
            _bad(
                raw,
                row,
                "group",
                "identity_changed",
                "Không đổi được nhóm hoặc cơ quan của một mục đã có; hãy dùng mã mới.",
                "The group or agency of an existing item cannot change; use a new code.",
            )
        item_kind[row["code"]] = (row["group"], agency)

    _duplicates(raw, lines, lambda r: (r["position_code"], r.get("agency_code"), r["item_code"]), "item_code")
    for row in lines:
        if row["position_code"] not in position_codes:
            _bad(
                raw,
                row,
                "position_code",
                "unknown_reference",
                f"Không có vị trí '{row['position_code']}'.",
                f"No position '{row['position_code']}'.",
            )
        agency = row.get("agency_code")
        if agency and agency not in unit_kind:
            _bad(raw, row, "agency_code", "unknown_reference", f"Không có đơn vị '{agency}'.", f"No unit '{agency}'.")
        kind = item_kind.get(row["item_code"])
        if kind is None:
            _bad(
                raw,
                row,
                "item_code",
                "unknown_reference",
                f"Không có mục '{row['item_code']}'.",
                f"No catalog item '{row['item_code']}'.",
            )
        elif agency is None and kind[0] == Group.C:
            _bad(
                raw,
                row,
                "item_code",
                "wrong_group",
                "Mô tả chung toàn tỉnh chỉ gồm mục nhóm A, B, D.",
                "A tenant-wide description lists A, B and D items only.",
            )
        elif agency is not None and (kind[0] != Group.C or kind[1] != agency):
            _bad(
                raw,
                row,
                "item_code",
                "wrong_group",
                "Mô tả của cơ quan chỉ gồm mục nhóm C của chính cơ quan đó.",
                "An agency's description lists that agency's own group C items only.",
            )

    _duplicates(raw, accounts, lambda r: r["email"].lower(), "email")
    for row in accounts:
        row["email"] = row["email"].lower()
        row["roles"] = _pipe_list(row["roles"])
        if row.get("staff_code") and row["staff_code"] not in staff_codes:
            _bad(
                raw,
                row,
                "staff_code",
                "unknown_reference",
                f"Không có cán bộ '{row['staff_code']}'.",
                f"No official '{row['staff_code']}'.",
            )

    mappings = _load_rows(raw, "benchmarking.csv", MappingRow()) if "benchmarking" in wanted else []
    _check_mappings(raw, mappings, kinds, unit_kind, position_codes, item_kind)
    pack.mappings = mappings

    if rollout:
        named = [*((rollout.get("pilot") or {}).get("units") or [])]
        for extension in rollout.get("extensions") or []:
            named += extension["units"]
        for code in named:
            if code not in unit_kind:
                raw.problem(
                    "rollout.yaml",
                    raw.documents["rollout.yaml"].get("__line__"),
                    "units",
                    "unknown_reference",
                    f"Không có đơn vị '{code}'.",
                    f"No unit '{code}'.",
                )

    pack.catalog, pack.rollout = catalog, rollout
    pack.units, pack.positions, pack.officials, pack.posts = units, positions, officials, posts
    pack.lines, pack.accounts = lines, accounts
    pack.parts = {p for p in wanted if _present(raw, p)}
    return pack


FILE_OF_PART = {
    "settings": "settings.yaml",
    "catalog": "catalog.yaml",
    "units": "units.csv",
    "positions": "positions.csv",
    "officials": "officials.csv",
    "concurrent_posts": "concurrent_posts.csv",
    "job_descriptions": "job_descriptions.csv",
    "accounts": "accounts.csv",
    "benchmarking": "benchmarking.csv",
    "rollout": "rollout.yaml",
}


def _check_mappings(raw, rows, kinds, unit_kind, position_codes, item_kind) -> None:
    """Each row names a thing of the tenant or of the pack, a dimension it can map along and a term
    of the national taxonomy's current version."""
    if not rows:
        return
    taxonomy = benchmarking.taxonomy_terms()
    known = benchmarking.Known(
        codes={
            "unit_kind": set(kinds),
            "unit": set(unit_kind),
            "position_category": {c.value for c in PositionCategory},
            "position": set(position_codes),
            "item": set(item_kind),
        }
    )
    _duplicates(raw, rows, lambda r: (r["subject"], r["code"], r["dimension"]), "code")
    for row in rows:
        for column, code, vi, en in benchmarking.check_mapping_row(row, taxonomy, known):
            _bad(raw, row, column, code, vi, en)


def _present(raw: RawPack, part: str) -> bool:
    return raw.has(FILE_OF_PART[part])


def _check_post(raw, row, unit_kind, unit_start, position_codes) -> None:
    if row["unit_code"] not in unit_kind:
        _bad(
            raw,
            row,
            "unit_code",
            "unknown_reference",
            f"Không có đơn vị '{row['unit_code']}'.",
            f"No unit '{row['unit_code']}'.",
        )
    elif row["unit_code"] in unit_start and unit_start[row["unit_code"]] > row["valid_from"]:
        _bad(
            raw,
            row,
            "valid_from",
            "before_unit",
            "Ngày bắt đầu trước khi đơn vị được thành lập.",
            "The post starts before its unit exists.",
        )
    if row["position_code"] not in position_codes:
        _bad(
            raw,
            row,
            "position_code",
            "unknown_reference",
            f"Không có vị trí '{row['position_code']}'.",
            f"No position '{row['position_code']}'.",
        )
