"""Benchmark: importing a province-sized pack with the onboarding importer, against row-by-row INSERTs.

A standalone script, not a test:

    .venv/bin/python benchmarks/onboarding.py [--officials 20000] [--baseline-officials N --baseline-jds M]

It writes a large pack into a temporary folder (tenants/README.md's format): tenant.yaml, the
reference settings.yaml (tenants/khanh-hoa), catalog.yaml with 3000 approved items (A/B/D and
24 C items per agency, with an `approval` block), 1500 units (the province, 50 agencies with 12
divisions each, 849 communes), 2600 positions, N officials with Vietnamese names, 1000 concurrent
posts, 5000 job descriptions (2500 tenant-wide, 2500 agencies' own; 10-20 lines each) and 50
accounts. Then, in a fresh database from common.fresh_app() (the app connects as the non-owner app
role, so row-level security applies), each in a tenant of its own:

1. tenant A: read + validate + plan only (`service.run(..., dry_run=True)`);
2. tenant A: the full import (`service.run`), timed per phase through the importer's `progress`
   callback, with the statements sent; the rows in the database are then checked against the pack;
3. tenant A: the same pack again, which must change nothing;
4. tenant B: the baseline. The units, positions and catalog come in through the importer (not
   timed); then the officials with their primary assignment and the job descriptions with their
   version and lines are inserted one row per INSERT statement (`insert(table).values(...)`): all of
   them (about a minute), or with --baseline-officials/--baseline-jds a sample, extrapolated linearly;
5. tenant C: the pack as a .zip through `POST /api/v1/t/<slug>/onboarding/imports` with a
   provincial admin's token (Celery eager, so the job runs inside the request).

The database is dropped at the end, also on error.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import shutil
import sys
import tempfile
import time
import uuid
import zipfile
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml
from catalog import FIELDS, NORMS, OBJECTS, OUTPUT_UNITS, POSITION_TITLES, _names, _principal_with_token
from common import StatementCounter, _machine, fresh_app
from org_tree_and_officials import AGENCIES, COMMUNE_FIRST, COMMUNE_SECOND, DIVISIONS, _full_name
from sqlalchemy import func, insert, select

from kpi_platform.catalog import job_descriptions
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
from kpi_platform.context import tenant_scope
from kpi_platform.db import db, utcnow
from kpi_platform.identity.models import Principal
from kpi_platform.onboarding import service
from kpi_platform.org import service as org
from kpi_platform.org.models import (
    Assignment,
    EmploymentKind,
    JobPosition,
    Official,
    OfficialStatus,
    OrgUnit,
    OrgUnitVersion,
)
from kpi_platform.tenancy import service as tenancy
from kpi_platform.vietnamese import fold

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "tenants" / "khanh-hoa" / "settings.yaml"
TODAY = date(2025, 5, 15)  # the import day
UNITS_FROM = date(2024, 1, 1)
STAFF_FROM = date(2025, 1, 1)
POSTS_FROM = date(2025, 3, 1)
CATALOG_FROM = date(2025, 4, 1)
DOMAIN = "khanhhoa.gov.vn"

MORE_AGENCIES = [
    "Chi cục Văn thư - Lưu trữ", "Trung tâm Y tế dự phòng tỉnh", "Trung tâm Khuyến nông",
    "Trung tâm Quy hoạch xây dựng", "Trung tâm Nước sạch và Vệ sinh môi trường nông thôn",
    "Trung tâm Phát triển quỹ đất", "Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng",
    "Trung tâm Trợ giúp pháp lý nhà nước", "Trung tâm Quan trắc tài nguyên và môi trường",
    "Ban Quản lý các dự án nông nghiệp",
]  # fmt: skip
MORE_DIVISIONS = [
    ("PC", "Phòng Pháp chế"), ("QLN", "Phòng Quản lý ngành"), ("CS", "Phòng Chính sách"),
    ("TH", "Phòng Tổng hợp"), ("CNTT", "Phòng Công nghệ thông tin"), ("TDKT", "Phòng Thi đua - Khen thưởng"),
    ("KT", "Phòng Kiểm tra"),
]  # fmt: skip
MORE_FIRST = [
    "Vĩnh", "Phú", "Bình", "Long", "Xuân", "Hưng", "Quang", "Thuận", "Mỹ", "Sơn",
    "Lộc", "Thành", "Nghĩa", "Đại", "Hiệp", "Thạnh", "Trường", "Cát", "Hải", "Gia",
]  # fmt: skip
MORE_SECOND = [
    "Đông", "Tây", "Nam", "Bắc", "Thịnh", "Tiến", "Thọ", "Xuân", "Hiệp", "Mỹ",
    "Lộc", "Phước", "Khánh", "Hưng", "Điền", "Định", "Thắng", "Vinh", "Tâm", "Quang",
]  # fmt: skip
COMMUNE_POSITION_TITLES = [
    ("Chủ tịch Ủy ban nhân dân", "leadership"), ("Phó Chủ tịch Ủy ban nhân dân", "leadership"),
    ("Chỉ huy trưởng Quân sự", "leadership"), ("Công chức Văn phòng - Thống kê", "professional"),
    ("Công chức Tư pháp - Hộ tịch", "professional"), ("Công chức Tài chính - Kế toán", "professional"),
    ("Công chức Địa chính - Xây dựng", "professional"), ("Công chức Văn hóa - Xã hội", "professional"),
]  # fmt: skip
LEADERSHIP_TITLES = POSITION_TITLES[:5]  # Giám đốc … Phó Trưởng phòng
SUPPORT_TITLES = {"Văn thư", "Lưu trữ", "Thủ quỹ", "Nhân viên", "Lái xe"}
AREAS = ["quản lý nhà nước", "tổng hợp", "chuyên ngành"]
AGENCY_COUNT = 50
DIVISIONS_PER_AGENCY = 12
COMMUNES = 849  # 1 + 50 + 600 + 849 = 1500 units
POSITIONS_PER_AGENCY = 50  # 5 leadership + 15 other titles x 3 areas; all with the agency's own description
TENANT_WIDE_UP_TO = 48  # agency positions 1-48 also have a tenant-wide one (49, 50: C work only)
COMMUNE_POSITIONS = 100  # each with a tenant-wide description
ITEMS = {Group.A: 300, Group.B: 1300, Group.D: 200}  # + C_PER_AGENCY per agency: 3000
C_PER_AGENCY = 24
CONCURRENT_POSTS = 1000
ACCOUNTS = 50
ROLE_SETS = [
    "steering_committee|official", "steering_committee|official", "auditor", "auditor", "support_staff",
    "support_staff", "manager|official", "manager|official", "manager|official",
]  # fmt: skip  # + the provincial admin and 40 agency directors (unit_head|official)


# ---------------------------------------------------------------- the pack


def _tenant_yaml(slug: str) -> str:
    return (
        f"slug: {slug}\nname_vi: Tỉnh Khánh Hòa\nname_en: Khanh Hoa Province\nkind: province\n"
        "status: active\ntime_zone: Asia/Ho_Chi_Minh\n"
    )


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _write_pack(folder: Path, slug: str, n: int, seed: int) -> dict:
    """Write the pack; return what the checks need (counts, and each post and description by code)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    (folder / "tenant.yaml").write_text(_tenant_yaml(slug), encoding="utf-8")
    shutil.copy(SETTINGS, folder / "settings.yaml")

    # Units: the province, 50 agencies with 12 divisions each, 849 communes.
    agencies = [(f"S{a:02d}", name) for a, name in enumerate((AGENCIES + MORE_AGENCIES)[:AGENCY_COUNT], start=1)]
    division_names = (DIVISIONS + MORE_DIVISIONS)[:DIVISIONS_PER_AGENCY]
    units = [["KH", "Ủy ban nhân dân tỉnh Khánh Hòa", "province", "", UNITS_FROM]]
    divisions: dict[str, list[str]] = {}
    for code, name in agencies:
        units.append([code, name, "agency", "KH", UNITS_FROM])
        divisions[code] = [f"{code}-{suffix}" for suffix, _ in division_names]
        units += [
            [f"{code}-{suffix}", f"{division} - {name}", "division", code, UNITS_FROM]
            for suffix, division in division_names
        ]
    syllables = [(f, s) for f in COMMUNE_FIRST + MORE_FIRST for s in COMMUNE_SECOND + MORE_SECOND if f != s]
    rng.shuffle(syllables)
    communes = []
    for c, (first, second) in enumerate(syllables[:COMMUNES], start=1):
        communes.append(f"X{c:03d}")
        units.append([f"X{c:03d}", f"{'Phường' if c % 5 == 0 else 'Xã'} {first} {second}", "commune", "KH", UNITS_FROM])

    # Positions: 50 per agency, 100 for the communes.
    positions = []  # code, name, category, unit kinds
    agency_titles = LEADERSHIP_TITLES + [
        f"{title} ({area})" for area in AREAS for title in POSITION_TITLES[5:]
    ]  # 5 + 45 = 50
    for code, name in agencies:
        for k, title in enumerate(agency_titles, start=1):
            base = title.split(" (")[0]
            category = "leadership" if k <= 5 else "support" if base in SUPPORT_TITLES else "professional"
            positions.append([f"{code}-VT{k:02d}", f"{title} - {name}", category, "agency|division"])
    commune_positions = []
    for k in range(1, COMMUNE_POSITIONS + 1):
        title, category = COMMUNE_POSITION_TITLES[(k - 1) % len(COMMUNE_POSITION_TITLES)]
        field = FIELDS[(k - 1) // len(COMMUNE_POSITION_TITLES) % len(FIELDS)]
        commune_positions.append(f"X-VT{k:03d}")
        positions.append([f"X-VT{k:03d}", f"{title}, phụ trách {field.lower()}", category, "commune"])
    chair_positions = [
        code
        for k, code in enumerate(commune_positions)
        if COMMUNE_POSITION_TITLES[k % len(COMMUNE_POSITION_TITLES)][0].startswith("Chủ tịch")
    ]

    # Officials: two in three in an agency, one in three in a commune. Each agency has a director and
    # two deputies; the first person placed in a division or commune heads it.
    officials = []  # rows of officials.csv
    posts: dict[str, list[tuple[str, str]]] = {}  # staff code -> [(unit, position)]
    heads: dict[str, str] = {}
    deputies: dict[str, list[str]] = {}
    agency_of = {}
    for code, _ in agencies:
        agency_of[code] = code
        for division in divisions[code]:
            agency_of[division] = code
    division_cycle = [d for code, _ in agencies for d in divisions[code]]
    in_agencies = round(n * 2 / 3)

    def add(unit: str, position: str, kind: str, reviewer: str = "") -> str:
        i = len(officials) + 1
        staff = f"KH{i:06d}"
        name = _full_name(rng)
        email = ""
        if rng.random() < 0.6:
            parts = fold(name).split()
            email = f"{parts[-1]}.{''.join(p[0] for p in parts[:-1])}{i}@{DOMAIN}"
        share = "0.5" if rng.random() < 0.03 else "1"
        officials.append([staff, name, kind, email, unit, position, STAFF_FROM, share, reviewer])
        posts[staff] = [(unit, position)]
        return staff

    def kind_in_agency() -> str:
        return rng.choices(["cong_chuc", "vien_chuc", "contract"], weights=[85, 10, 5])[0]

    for code, _ in agencies:
        heads[code] = add(code, f"{code}-VT01", "cong_chuc")
        deputies[code] = [add(code, f"{code}-VT02", "cong_chuc") for _ in range(2)]
    staff_of_division: dict[str, list[str]] = defaultdict(list)
    for j in range(in_agencies - len(officials)):
        division = division_cycle[j % len(division_cycle)]
        agency = agency_of[division]
        if division not in heads:
            heads[division] = add(division, f"{agency}-VT04", "cong_chuc")
            continue
        position = f"{agency}-VT{rng.randint(5, POSITIONS_PER_AGENCY):02d}"
        reviewer = rng.choice(deputies[agency]) if rng.random() < 0.1 else ""
        staff_of_division[division].append(add(division, position, kind_in_agency(), reviewer))
    for j in range(n - len(officials)):
        commune = communes[j % len(communes)]
        if commune not in heads:
            heads[commune] = add(commune, rng.choice(chair_positions), "can_bo")
            continue
        kind = rng.choices(["cong_chuc", "can_bo", "contract"], weights=[70, 20, 10])[0]
        reviewer = heads[commune] if rng.random() < 0.1 else ""
        add(commune, rng.choice(commune_positions), kind, reviewer)
    for row in units:
        row.append(heads.get(row[0], ""))

    # Concurrent posts: 1000 division staff also hold a post in another division of their agency.
    concurrent = []
    for staff in rng.sample([s for group in staff_of_division.values() for s in group], CONCURRENT_POSTS):
        unit, _ = posts[staff][0]
        agency = agency_of[unit]
        other = rng.choice([d for d in divisions[agency] if d != unit])
        position = f"{agency}-VT{rng.randint(5, POSITIONS_PER_AGENCY):02d}"
        concurrent.append([staff, other, position, POSTS_FROM, "0.5"])
        posts[staff].append((other, position))

    # The catalog: 300 A, 1300 B, 200 D and 24 C items per agency, approved by a decision.
    complexity = ["simple", "normal", "complex", "very_complex"]
    items = []
    pool: dict = {}
    for group, count in ITEMS.items():
        width = 3 if count < 1000 else 4
        codes = [f"{group}-{i:0{width}d}" for i in range(1, count + 1)]
        pool[group] = codes
        for code, name in zip(codes, _names(rng, group, count), strict=True):
            items.append(_item(rng, code, group, name, None, None, complexity))
    c_names = _names(rng, Group.C, C_PER_AGENCY * len(agencies))
    for a, (code, _) in enumerate(agencies):
        pool[code] = [f"C-{code}-{i:03d}" for i in range(1, C_PER_AGENCY + 1)]
        field = FIELDS[a % len(FIELDS)]
        for i, item_code in enumerate(pool[code]):
            items.append(_item(rng, item_code, Group.C, c_names[a * C_PER_AGENCY + i], code, field, complexity))
    catalog = {
        "valid_from": CATALOG_FROM,
        "approval": {"decision": "Quyết định số 35/QĐ-BCĐ", "date": date(2025, 3, 25)},
        "items": items,
    }
    with (folder / "catalog.yaml").open("w", encoding="utf-8") as handle:
        handle.write("# Danh mục đầu công việc (benchmark) — sinh tự động.\n")
        yaml.dump(catalog, handle, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False, width=200)

    # Job descriptions: tenant-wide for agency positions 1-48 and every commune position (A/B/D
    # lines), each agency's own for its 50 positions (10-20 of its C items).
    lines = []
    tenant_wide: dict[str, set[str]] = {}
    own: dict[tuple[str, str], set[str]] = {}
    for code, _name, category, _kinds in positions:
        agency_position = not code.startswith("X-")
        if agency_position and int(code[-2:]) > TENANT_WIDE_UP_TO:
            continue
        chosen = rng.sample(pool[Group.A], rng.randint(3, 5)) if category == "leadership" else []
        chosen += rng.sample(pool[Group.B], rng.randint(8, 14) if chosen else rng.randint(10, 16))
        chosen += rng.sample(pool[Group.D], rng.randint(1, 3))
        tenant_wide[code] = set(chosen)
        lines += [[code, "", item, _volume(rng)] for item in chosen]
    for code, _ in agencies:
        for k in range(1, POSITIONS_PER_AGENCY + 1):
            position = f"{code}-VT{k:02d}"
            chosen = rng.sample(pool[code], rng.randint(10, 20))
            own[(position, code)] = set(chosen)
            lines += [[position, code, item, _volume(rng)] for item in chosen]

    # Accounts: the admin, 40 agency directors and 9 others (the officials among them are division heads).
    accounts = [[f"quantri@{DOMAIN}", "Quản trị hệ thống KPI tỉnh", "provincial_admin", ""]]
    for code, _ in agencies[: ACCOUNTS - 1 - len(ROLE_SETS)]:
        director = officials[int(heads[code][2:]) - 1]
        accounts.append([f"giamdoc.{code.lower()}@{DOMAIN}", director[1], "unit_head|official", director[0]])
    for r, roles in enumerate(ROLE_SETS, start=1):
        staff = heads[division_cycle[r * 7]] if "official" in roles else ""
        name = officials[int(staff[2:]) - 1][1] if staff else f"Tài khoản hỗ trợ {r}"
        accounts.append([f"taikhoan{r:02d}@{DOMAIN}", name, roles, staff])

    _write_csv(folder / "units.csv", ["code", "name_vi", "kind", "parent_code", "valid_from", "head_staff_code"], units)
    _write_csv(folder / "positions.csv", ["code", "name_vi", "category", "unit_kinds"], positions)
    header = ["staff_code", "full_name", "employment_kind", "email", "unit_code", "position_code", "valid_from"]
    _write_csv(folder / "officials.csv", [*header, "share", "reviewer_staff_code"], officials)
    _write_csv(
        folder / "concurrent_posts.csv", ["staff_code", "unit_code", "position_code", "valid_from", "share"], concurrent
    )
    _write_csv(
        folder / "job_descriptions.csv", ["position_code", "agency_code", "item_code", "expected_monthly_volume"], lines
    )
    _write_csv(folder / "accounts.csv", ["email", "display_name", "roles", "staff_code"], accounts)
    return {
        "counts": {
            "units": len(units),
            "positions": len(positions),
            "officials": len(officials),
            "concurrent posts": len(concurrent),
            "items": len(items),
            "tenant-wide descriptions": len(tenant_wide),
            "agency descriptions": len(own),
            "description lines": len(lines),
            "accounts": len(accounts),
        },
        "heads": sum(bool(row[-1]) for row in units),
        "reviewers": sum(bool(row[-1]) for row in officials),
        "linked": sum(bool(row[-1]) for row in accounts),
        "posts": posts,
        "agency_of": agency_of,
        "tenant_wide": tenant_wide,
        "own": own,
        "bytes": sum(path.stat().st_size for path in folder.iterdir()),
    }


def _item(rng, code, group, name, agency, field, complexity) -> dict:
    return {
        "code": code,
        "group": str(group),
        "name_vi": name[0].upper() + name[1:],
        "output_unit": rng.choice(OUTPUT_UNITS),
        "norm_minutes": rng.choice(NORMS),
        "complexity": rng.choice(complexity),
        "field": field,
        "agency": agency,
        "done_definition": f"Có {rng.choice(OBJECTS)} được lãnh đạo ký duyệt hoặc chuyển bước tiếp theo",
        "has_deadline": rng.random() < 0.3,
    }


def _volume(rng) -> str:
    return "" if rng.random() < 0.2 else str(rng.randint(1, 200))


def _zipped(folder: Path, slug: str) -> bytes:
    """The pack's folder as an upload for tenant `slug` (its tenant.yaml names that tenant)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            data = _tenant_yaml(slug).encode() if path.name == "tenant.yaml" else path.read_bytes()
            archive.writestr(f"{slug}/{path.name}", data)
    return buffer.getvalue()


def _retarget(folder: Path, slug: str) -> None:
    (folder / "tenant.yaml").write_text(_tenant_yaml(slug), encoding="utf-8")


# ---------------------------------------------------------------- timing the importer


class Phases:
    """The importer's progress callback: remembers when each phase starts and ends, and the
    statements sent by then. A step starts with progress(phase, 0, 0) and ends with
    progress("parts", i, n); inside, officials and job descriptions report every 1000 / 500 rows,
    and once more after their INSERTs."""

    def __init__(self, counter: StatementCounter) -> None:
        self.counter = counter
        self.events: list[tuple[float, int, float, str, int, int]] = []

    def __call__(self, phase: str, done: int, total: int) -> None:
        self.events.append((time.perf_counter(), self.counter.count, self.counter.ms, phase, done, total))

    def steps(self) -> list[dict]:
        found, start, seen = [], None, set()
        for at, count, ms, phase, done, total in self.events:
            if phase == "parts":
                if start is not None:
                    name = start["phase"]
                    if name in seen:  # the importer's second "units" step sets heads and reviewers
                        name = f"{name}: heads + reviewers"
                    seen.add(start["phase"])
                    found.append(
                        {
                            **start,
                            "name": name,
                            "s": at - start["at"],
                            "sql": count - start["count"],
                            "sql_s": (ms - start["ms"]) / 1000,
                        }
                    )
                start = None
            elif done == 0 and total == 0:
                start = {"phase": phase, "at": at, "count": count, "ms": ms, "planned": None}
            elif start is not None and done == total and start["planned"] is None:
                start["planned"] = at - start["at"]  # the loop over the rows ended; the INSERTs follow
        return found


def _import(tenant, folder: Path, counter: StatementCounter, **kwargs) -> dict:
    phases = Phases(counter)
    with tenant_scope(tenant.id):
        started, statements, ms = time.perf_counter(), counter.count, counter.ms
        raw = service.read(folder)
        read_s = time.perf_counter() - started
        outcome = service.run(raw, by=None, today=TODAY, tenant_slug=tenant.slug, progress=phases, **kwargs)
        total_s = time.perf_counter() - started
    db.session.remove()
    if not outcome.ok:
        raise RuntimeError(f"the pack is not valid: {outcome.problems[:10]}")
    steps = phases.steps()
    first = phases.events[0][0] if phases.events else started + total_s
    last = phases.events[-1][0] if phases.events else started + total_s
    return {
        "outcome": outcome,
        "read_s": read_s,
        "validate_s": first - started - read_s,  # Existing.load + validate, up to the first phase
        "steps": steps,
        "after_s": started + total_s - last,  # the commit (or rollback and audit entry of a dry run)
        "total_s": total_s,
        "sql": counter.count - statements,
        "sql_s": (counter.ms - ms) / 1000,
    }


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _allowed_once(tenant, staff_code: str) -> tuple[float, int]:
    """One allowed-items query (the statement behind logging work), timed."""
    with tenant_scope(tenant.id):
        official_id = db.session.scalar(select(Official.id).where(Official.staff_code == staff_code))
        started = time.perf_counter()
        found = db.session.execute(job_descriptions.allowed_items(official_id, TODAY)).all()
        elapsed = time.perf_counter() - started
    db.session.remove()
    return elapsed, len(found)


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError("check failed: " + message)


def _verify(tenant, built: dict, other_principals: int = 0) -> dict:
    """The rows in the database against the pack; a few officials' allowed items against their
    descriptions. Returns the row counts per table."""
    counts = built["counts"]
    with tenant_scope(tenant.id):
        rows = {
            "org_units": _count(OrgUnit),
            "org_unit_versions": _count(OrgUnitVersion),
            "job_positions": _count(JobPosition),
            "officials": _count(Official),
            "assignments": _count(Assignment),
            "catalog_items": _count(CatalogItem),
            "catalog_item_versions": _count(CatalogItemVersion),
            "job_descriptions": _count(JobDescription),
            "job_description_versions": _count(JobDescriptionVersion),
            "job_description_lines": _count(JobDescriptionLine),
            "principals": _count(Principal),
        }
        jds = counts["tenant-wide descriptions"] + counts["agency descriptions"]
        expected = {
            "org_units": counts["units"],
            "org_unit_versions": counts["units"],
            "job_positions": counts["positions"],
            "officials": counts["officials"],
            "assignments": counts["officials"] + counts["concurrent posts"],
            "catalog_items": counts["items"],
            "catalog_item_versions": counts["items"],
            "job_descriptions": jds,
            "job_description_versions": jds,
            "job_description_lines": counts["description lines"],
            "principals": counts["accounts"] + other_principals,
        }
        for table, n in expected.items():
            _check(rows[table] == n, f"{table}: {rows[table]} rows, expected {n}")
        _check(_count(Assignment, Assignment.is_primary) == counts["officials"], "primary assignments")
        _check(_count(JobDescription, JobDescription.agency_id.is_(None)) == counts["tenant-wide descriptions"], "tw")
        _check(_count(CatalogItem, CatalogItem.status == ItemStatus.approved) == counts["items"], "items approved")
        _check(_count(JobDescriptionVersion, JobDescriptionVersion.state == VersionState.approved) == jds, "approved")
        _check(_count(OrgUnit, OrgUnit.head_official_id.is_not(None)) == built["heads"], "unit heads")
        _check(_count(Official, Official.reviewer_id.is_not(None)) == built["reviewers"], "reviewers")
        _check(_count(Official, Official.principal_id.is_not(None)) == built["linked"], "accounts linked")
        # Allowed items on a day after the catalog starts: the tenant-wide description of each
        # post's position, plus the agency's own for posts inside an agency.
        rng = random.Random(7)
        with_two = [s for s, p in built["posts"].items() if len(p) > 1]
        sample = rng.sample(sorted(built["posts"]), 20) + rng.sample(with_two, 5)
        staff_ids = dict(db.session.execute(select(Official.staff_code, Official.id)).all())
        for staff in sample:
            wanted = set()
            for unit, position in built["posts"][staff]:
                wanted |= built["tenant_wide"].get(position, set())
                wanted |= built["own"].get((position, built["agency_of"].get(unit)), set())
            got = {item.code for item, _ in db.session.execute(job_descriptions.allowed_items(staff_ids[staff], TODAY))}
            _check(got == wanted, f"allowed items of {staff}: {len(got)}, expected {len(wanted)}")
    db.session.remove()
    return rows


# ---------------------------------------------------------------- the baseline: one INSERT per row


def _baseline(tenant, folder: Path, counter: StatementCounter, n_officials: int | None, n_jds: int | None) -> dict:
    with tenant_scope(tenant.id):
        # What the rows refer to (units, positions, the catalog) through the importer, not timed.
        raw = service.read(folder)
        for row in raw.tables["units.csv"]:
            row.values["head_staff_code"] = ""  # the officials are not there yet
        outcome = service.run(
            raw, by=None, today=TODAY, tenant_slug=tenant.slug, only={"settings", "units", "positions", "catalog"}
        )
        _check(outcome.ok, f"baseline setup: {outcome.problems[:5]}")
        raw = service.read(folder)
        pack = service.check(raw, only={"officials", "job_descriptions"})
        _check(not raw.problems, f"baseline rows: {raw.problems[:5]}")
        unit_ids = dict(db.session.execute(select(OrgUnit.code, OrgUnit.id)).all())
        position_ids = dict(db.session.execute(select(JobPosition.code, JobPosition.id)).all())
        item_ids = dict(db.session.execute(select(CatalogItem.code, CatalogItem.id)).all())
        described: dict[tuple, list[dict]] = defaultdict(list)
        for row in pack.lines:
            described[(row["position_code"], row.get("agency_code"))].append(row)
        officials = pack.officials if n_officials is None else pack.officials[:n_officials]
        every = 1 if n_jds is None else max(1, len(described) // n_jds)  # a spread of both kinds
        chosen = list(described.items())[::every][: n_jds or None]
        db.session.commit()

        official_table, assignment_table = Official.__table__, Assignment.__table__
        jd_table, version_table, line_table = (
            JobDescription.__table__,
            JobDescriptionVersion.__table__,
            JobDescriptionLine.__table__,
        )
        tid = tenant.id
        connection = db.session.connection()
        started, statements, ms = time.perf_counter(), counter.count, counter.ms
        for row in officials:
            official_id, now = uuid.uuid4(), utcnow()
            connection.execute(
                insert(official_table).values(
                    tenant_id=tid,
                    id=official_id,
                    staff_code=row["staff_code"],
                    email=row.get("email"),
                    employment_kind=EmploymentKind(row["employment_kind"]),
                    status=OfficialStatus.active,
                    created_at=now,
                    updated_at=now,
                    **org._official_fields(row["full_name"]),
                )
            )
            connection.execute(
                insert(assignment_table).values(
                    tenant_id=tid,
                    id=uuid.uuid4(),
                    official_id=official_id,
                    unit_id=unit_ids[row["unit_code"]],
                    position_id=position_ids[row["position_code"]],
                    is_primary=True,
                    share=row["share"],
                    valid_from=row["valid_from"],
                )
            )
        db.session.commit()
        officials_s, officials_sql = time.perf_counter() - started, counter.count - statements
        officials_sql_s = (counter.ms - ms) / 1000

        connection = db.session.connection()
        started, statements, ms = time.perf_counter(), counter.count, counter.ms
        line_count = 0
        for (position_code, agency_code), rows in chosen:
            jd_id, version_id, now = uuid.uuid4(), uuid.uuid4(), utcnow()
            connection.execute(
                insert(jd_table).values(
                    tenant_id=tid,
                    id=jd_id,
                    position_id=position_ids[position_code],
                    agency_id=unit_ids[agency_code] if agency_code else None,
                    origin="baseline",
                    created_at=now,
                )
            )
            connection.execute(
                insert(version_table).values(
                    tenant_id=tid,
                    id=version_id,
                    job_description_id=jd_id,
                    number=1,
                    state=VersionState.approved,
                    valid_from=CATALOG_FROM,
                    created_at=now,
                    submitted_at=now,
                    decided_at=now,
                )
            )
            for row in rows:
                volume = row.get("expected_monthly_volume")
                connection.execute(
                    insert(line_table).values(
                        tenant_id=tid,
                        version_id=version_id,
                        item_id=item_ids[row["item_code"]],
                        expected_monthly_volume=Decimal(volume).quantize(Decimal("0.01"))
                        if volume is not None
                        else None,
                    )
                )
                line_count += 1
        db.session.commit()
        jds_s, jds_sql = time.perf_counter() - started, counter.count - statements
        jds_sql_s = (counter.ms - ms) / 1000
        _check(_count(Official) == len(officials), "baseline officials")
        _check(_count(JobDescriptionLine) == line_count, "baseline lines")
    db.session.remove()
    all_lines = len(pack.lines)
    official_scale = len(pack.officials) / len(officials)
    jd_scale = (2 * len(described) + all_lines) / (2 * len(chosen) + line_count)  # rows, not descriptions
    return {
        "officials": len(officials),
        "of_officials": len(pack.officials),
        "jds": len(chosen),
        "of_jds": len(described),
        "lines": line_count,
        "of_lines": all_lines,
        "officials_s": officials_s,
        "officials_sql": officials_sql,
        "officials_sql_s": officials_sql_s,
        "jds_s": jds_s,
        "jds_sql": jds_sql,
        "jds_sql_s": jds_sql_s,
        "officials_full_s": officials_s * official_scale,
        "jds_full_s": jds_s * jd_scale,
        "sampled": official_scale > 1 or jd_scale > 1,
    }


# ---------------------------------------------------------------- through the API


def _upload(bench, tenant, folder: Path, counter: StatementCounter) -> dict:
    headers = _principal_with_token(tenant, f"bench-admin@{DOMAIN}", "Quản trị benchmark", ["provincial_admin"])
    data = _zipped(folder, tenant.slug)
    client = bench.app.test_client()
    url = f"/api/v1/t/{tenant.slug}/onboarding/imports"
    started, statements, ms = time.perf_counter(), counter.count, counter.ms
    response = client.post(
        url, headers=headers, data={"file": (io.BytesIO(data), "khanh-hoa-lon.zip")}, content_type="multipart/form-data"
    )
    elapsed = time.perf_counter() - started
    sql, sql_s = counter.count - statements, (counter.ms - ms) / 1000
    _check(
        response.status_code == 202, f"POST {url} -> {response.status_code}: {response.get_data(as_text=True)[:300]}"
    )
    job = client.get(f"{url}/{response.get_json()['id']}", headers=headers).get_json()
    _check(job["status"] == "succeeded", f"job {job['status']}: {str(job.get('report'))[:500]}")
    _check(job["progress"]["phase"] == "finished", f"job progress {job['progress']}")
    return {"s": elapsed, "sql": sql, "sql_s": sql_s, "zip_bytes": len(data), "job": job}


# ---------------------------------------------------------------- the run


def _note(started: float, text: str) -> None:
    """Where the run is, on stderr (the figures go to stdout at the end)."""
    print(f"[{time.perf_counter() - started:6.1f} s] {text}", file=sys.stderr, flush=True)


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f}" if seconds > 0 else ""


def run(n: int, baseline_officials: int | None, baseline_jds: int | None) -> None:
    total_started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kpi-bench-pack-") as temp, fresh_app() as bench:
        suffix = uuid.uuid4().hex[:6]
        tenants = [
            tenancy.create_tenant(
                slug=f"bench-{letter}-{suffix}", name_vi="Tỉnh Khánh Hòa", name_en="Khanh Hoa", status="active"
            )
            for letter in "abc"
        ]
        tenant_a, tenant_b, tenant_c = tenants
        folder = Path(temp) / "khanh-hoa-lon"
        started = time.perf_counter()
        built = _write_pack(folder, tenant_a.slug, n, seed=1)
        generate_s = time.perf_counter() - started
        counts = built["counts"]
        pack_rows = sum(counts.values()) - counts["tenant-wide descriptions"] - counts["agency descriptions"]
        jds = counts["tenant-wide descriptions"] + counts["agency descriptions"]
        counter = StatementCounter(db.engine)
        _note(total_started, f"pack written ({generate_s:.1f} s); dry run")

        # (1) dry run, (2) the import, (3) the same pack again: tenant A.
        dry = _import(tenant_a, folder, counter, dry_run=True)
        plan = dry["outcome"].report
        _check(plan["officials"]["create"] == n and plan["job_descriptions"]["create"] == jds, f"plan {plan}")
        with tenant_scope(tenant_a.id):
            _check(_count(Official) == 0 and _count(CatalogItem) == 0, "the dry run wrote rows")
        db.session.remove()
        _note(total_started, "import")
        full = _import(tenant_a, folder, counter)
        _check(full["outcome"].changes > 0, "the import changed nothing")
        probe = next(s for s, p in built["posts"].items() if len(p) > 1)  # an official with two posts
        cold = _allowed_once(tenant_a, probe)  # the tables have no statistics yet
        bench.analyze()
        warm = _allowed_once(tenant_a, probe)
        _check(cold[1] == warm[1], "allowed items before and after ANALYZE")
        _note(total_started, "checks")
        rows = _verify(tenant_a, built)
        _note(total_started, "second import")
        again = _import(tenant_a, folder, counter)
        _check(again["outcome"].changes == 0, f"second import: {again['outcome'].changes} changes")
        _check(
            all(set(actions) <= {"unchanged", "examples"} for actions in again["outcome"].report.values()),
            f"second import report {again['outcome'].report}",
        )

        # (4) the baseline: tenant B.
        _note(total_started, "baseline")
        _retarget(folder, tenant_b.slug)
        base = _baseline(tenant_b, folder, counter, baseline_officials, baseline_jds)

        # (5) the upload: tenant C.
        _note(total_started, "upload")
        api = _upload(bench, tenant_c, folder, counter)
        bench.analyze()
        api_rows = _verify(tenant_c, built, other_principals=1)  # + the admin who uploads

        written = sum(rows.values())
        steps = {step["name"]: step for step in full["steps"]}
        print()
        print(
            f"kpi-platform onboarding benchmark — a {built['bytes'] / 1e6:.1f} MB pack: {counts['units']} units, "
            f"{counts['positions']} positions, {n} officials, {counts['concurrent posts']} concurrent posts, "
            f"{counts['items']} items, {jds} job descriptions ({counts['tenant-wide descriptions']} tenant-wide + "
            f"{counts['agency descriptions']} agencies') with {counts['description lines']} lines, "
            f"{counts['accounts']} accounts; PostgreSQL {bench.pg_version}"
        )
        print(f"machine: {_machine()}")
        print(f"pack written in {generate_s:.1f} s; {pack_rows} rows in its files; {written} rows in the database")
        print()
        width = 62
        print(f"{'':<{width}} {'s':>7} {'SQL':>7} {'SQL s':>6} {'rows/s':>8}  note")
        print("-" * (width + 70))

        def line(label, seconds, sql=None, sql_s=None, rate="", note="") -> None:
            sql = "" if sql is None else sql
            sql_s = "" if sql_s is None else f"{sql_s:.2f}"
            print(f"{label:<{width}} {seconds:>7.2f} {sql!s:>7} {sql_s:>6} {rate:>8}  {note}".rstrip())

        def step_line(step, note="") -> None:
            line(f"    {step['name']}", step["s"], step["sql"], step["sql_s"], note=note)

        line(
            "(1) dry run: read + validate + plan",
            dry["total_s"],
            dry["sql"],
            dry["sql_s"],
            _rate(pack_rows, dry["total_s"]),
            "pack rows/s; nothing written",
        )
        line("    read the folder (CSV + YAML)", dry["read_s"])
        line("    validate (Existing.load + every row)", dry["validate_s"])
        line(
            "    plan (the importer, dry run)",
            sum(s["s"] for s in dry["steps"]),
            sum(s["sql"] for s in dry["steps"]),
            sum(s["sql_s"] for s in dry["steps"]),
        )
        line(
            "(2) full import: service.run",
            full["total_s"],
            full["sql"],
            full["sql_s"],
            _rate(written, full["total_s"]),
            "rows written/s",
        )
        line("    read", full["read_s"])
        line("    validate", full["validate_s"])
        for step in full["steps"]:
            note = ""
            if step["planned"] is not None and step["name"] in ("officials", "job_descriptions"):
                note = f"loop over the rows {step['planned']:.2f} s, then the INSERTs"
            step_line(step, note)
        line("    audit entry + commit + tenant status", full["after_s"])
        line(
            "(3) the same pack again: 0 changes",
            again["total_s"],
            again["sql"],
            again["sql_s"],
            note=f"read {again['read_s']:.2f} s, validate {again['validate_s']:.2f} s, "
            f"compare {sum(s['s'] for s in again['steps']):.2f} s",
        )
        for step in again["steps"]:
            if step["s"] >= 0.25:
                step_line(step)

        importer_s = steps["officials"]["s"] + steps["job_descriptions"]["s"]
        baseline_s = base["officials_full_s"] + base["jds_full_s"]
        measured = (
            f"on {base['officials']} of {base['of_officials']} officials and {base['jds']} of "
            f"{base['of_jds']} descriptions ({base['lines']} lines), extrapolated linearly"
            if base["sampled"]
            else "on the whole pack"
        )
        extrapolated = "extrapolated" if base["sampled"] else ""
        print()
        print(f"(4) baseline: one INSERT statement per row (insert(table).values(...)), measured {measured}")
        line(
            f"    {base['officials']} officials + their primary assignment",
            base["officials_s"],
            base["officials_sql"],
            base["officials_sql_s"],
            _rate(2 * base["officials"], base["officials_s"]),
        )
        line(
            f"    {base['jds']} descriptions + versions + {base['lines']} lines",
            base["jds_s"],
            base["jds_sql"],
            base["jds_sql_s"],
            _rate(2 * base["jds"] + base["lines"], base["jds_s"]),
        )
        if base["sampled"]:
            line(f"    all {n} officials + assignments", base["officials_full_s"], note=extrapolated)
            line(
                f"    all {jds} descriptions + versions + {base['of_lines']} lines",
                base["jds_full_s"],
                note=extrapolated,
            )
        line(
            "    the importer, same rows (officials + job_descriptions)",
            importer_s,
            steps["officials"]["sql"] + steps["job_descriptions"]["sql"],
            steps["officials"]["sql_s"] + steps["job_descriptions"]["sql_s"],
            _rate(2 * n + 2 * jds + counts["description lines"], importer_s),
        )
        print(
            f"    speed-up: {baseline_s / importer_s:.1f}x on those rows ({baseline_s:.1f} s -> {importer_s:.2f} s); "
            f"the baseline alone takes {baseline_s / full['total_s']:.1f}x the whole import, validation included"
        )
        print()
        job = api["job"]
        line(
            "(5) POST /onboarding/imports, .zip, Celery eager",
            api["s"],
            api["sql"],
            api["sql_s"],
            _rate(sum(api_rows.values()), api["s"]),
            f"{api['zip_bytes'] / 1e6:.1f} MB zip; job {job['status']}, {job['report']['changes']} changes",
        )
        line(
            f"allowed items of {probe} ({cold[1]} items), right after the import",
            cold[0],
            note=f"no statistics yet; {warm[0] * 1000:.1f} ms after ANALYZE",
        )
        print()
        print(
            "checks passed: the dry run planned every row and wrote none; after the import the database holds "
            + ", ".join(f"{v} {k}" for k, v in rows.items())
            + f"; {built['heads']} unit heads, {built['reviewers']} reviewers, {built['linked']} accounts linked; "
            "allowed items of 25 officials = their descriptions' items; the second import changed nothing; "
            "the uploaded pack gave the same rows in tenant C"
        )
        print(f"total run time {time.perf_counter() - total_started:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officials", type=int, default=20_000, help="officials in the pack (default 20 000)")
    parser.add_argument("--baseline-officials", type=int, help="officials the baseline inserts (default: all)")
    parser.add_argument("--baseline-jds", type=int, help="job descriptions the baseline inserts (default: all)")
    args = parser.parse_args(argv)
    if args.officials < 3000:
        parser.error("--officials must be at least 3000 (a head for every division and commune, and 1000 posts)")
    run(args.officials, args.baseline_officials, args.baseline_jds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
