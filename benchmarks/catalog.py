"""Benchmark: the work catalog at a province's size: allowed items, search, export, approvals, calibration.

A standalone script, not a test:

    .venv/bin/python benchmarks/catalog.py [--officials 3000] [--entries 100000] [--explain]

It creates a fresh PostgreSQL database and the app with common.fresh_app() (the app connects as
the non-owner app role, so row-level security applies) and two tenants of the same size. In each:
the org tree of org_tree_and_officials.py (341 units) and N officials through the org service;
1000 job positions, 5000 approved catalog items (+300 drafts and submissions), 1000 approved job
descriptions with their lines and the officials' concurrent posts, inserted set-based (one
executemany per table; setup time is not what is measured). In tenant A only: 100 000 submitted
work entries with actual minutes over a quarter, each against an item the official may log and
the version in force that day. A few answers are checked through the service, then requests are
timed with Flask's test client (in process: no network, no gunicorn) and checked against the rows
sent. With --explain it also prints EXPLAIN (ANALYZE, BUFFERS) of the slowest statement of the
main requests. The database is dropped at the end, also on error.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import random
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import quote

from common import StatementCounter, _machine, _measure, fresh_app
from openpyxl import load_workbook
from org_tree_and_officials import SlowestStatement, _explain, _full_name, _unit_rows
from sqlalchemy import func, insert, select

from kpi_platform.catalog import export, job_descriptions
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
from kpi_platform.context import tenant_scope
from kpi_platform.db import db, utcnow
from kpi_platform.identity import service as identity
from kpi_platform.org import service as org
from kpi_platform.org.models import Assignment, JobPosition
from kpi_platform.tenancy import service as tenancy
from kpi_platform.vietnamese import fold
from kpi_platform.worklog.models import EntryState, WorkEntry

STAFF_FROM = date(2025, 1, 1)  # officials, items and job descriptions in force from this day
JD_CHANGE = date(2025, 6, 1)  # one description in ten gets a second version from this day
NORM_CHANGE = date(2025, 8, 1)  # one item in ten gets a second version (a new norm) from this day
PILOT_FROM, PILOT_TO = date(2025, 7, 1), date(2025, 9, 30)  # the work entries and the calibration
AS_OF = date(2025, 9, 15)
PROPOSED_FROM = date(2025, 10, 1)  # the norm changes proposed and approved through the API

AGENCY_POSITIONS = 20  # per agency: 0-9 have a tenant-wide description, 5-14 one of the agency's own
COMMUNE_POSITIONS = 200  # all with a tenant-wide description
ITEMS = {Group.A: 400, Group.B: 2200, Group.D: 400}  # + 50 C items per agency: 5000 approved
C_PER_AGENCY = 50
PENDING = (("draft", 200), ("submitted", 100))  # items never approved, for the status filter
TW_LINES = {Group.A: 3, Group.B: 15, Group.D: 2}  # 20 lines per tenant-wide description
AGENCY_LINES = 10

POSITION_TITLES = [
    "Giám đốc", "Phó Giám đốc", "Chánh Văn phòng", "Trưởng phòng", "Phó Trưởng phòng",
    "Chuyên viên cao cấp", "Chuyên viên chính", "Chuyên viên", "Cán sự", "Kế toán",
    "Văn thư", "Lưu trữ", "Thủ quỹ", "Thanh tra viên", "Kiểm soát viên",
    "Chuyên viên pháp chế", "Chuyên viên công nghệ thông tin", "Chuyên viên tổng hợp", "Nhân viên", "Lái xe",
]  # fmt: skip
COMMUNE_TITLES = [
    "Công chức Văn phòng - Thống kê", "Công chức Tư pháp - Hộ tịch", "Công chức Tài chính - Kế toán",
    "Công chức Địa chính - Xây dựng", "Công chức Văn hóa - Xã hội", "Chỉ huy trưởng Quân sự",
    "Phó Chủ tịch Ủy ban nhân dân", "Chủ tịch Ủy ban nhân dân",
]  # fmt: skip
VERBS = {
    Group.A: ["Chỉ đạo", "Chủ trì", "Phê duyệt", "Ký ban hành", "Phân công", "Đánh giá", "Kiểm tra việc thực hiện"],
    Group.B: [
        "Soạn thảo", "Thẩm định", "Tổng hợp", "Rà soát", "Tham mưu", "Xử lý", "Tiếp nhận", "Theo dõi",
        "Hướng dẫn", "Lập", "Cập nhật", "Góp ý", "Lưu trữ", "Đôn đốc", "Kiểm tra",
    ],
    Group.C: ["Thẩm định", "Cấp", "Kiểm tra", "Giải quyết", "Thanh tra", "Xác minh", "Thẩm tra", "Quản lý"],
    Group.D: ["Tham gia", "Thực hiện", "Tham dự", "Hỗ trợ", "Trực"],
}  # fmt: skip
OBJECTS = [
    "văn bản hành chính", "hồ sơ thủ tục hành chính", "báo cáo định kỳ", "kế hoạch công tác năm",
    "dự thảo quyết định", "đề án vị trí việc làm", "hồ sơ đất đai", "hồ sơ cấp phép xây dựng",
    "dự toán ngân sách", "quyết toán kinh phí", "đơn thư khiếu nại, tố cáo", "hồ sơ thi đua, khen thưởng",
    "cơ sở dữ liệu chuyên ngành", "biên bản kiểm tra", "tờ trình", "hồ sơ tuyển dụng công chức",
    "chương trình hội nghị", "số liệu thống kê", "hợp đồng", "công văn đến", "hồ sơ đánh giá tác động môi trường",
    "hồ sơ an toàn thực phẩm", "kế hoạch thanh tra", "văn bản quy phạm pháp luật", "hồ sơ đăng ký doanh nghiệp",
    "cuộc họp giao ban", "hồ sơ bồi thường, hỗ trợ tái định cư", "hồ sơ hộ tịch", "chứng thư số", "ý kiến cử tri",
]  # fmt: skip
QUALIFIERS = [
    "", "cấp tỉnh", "cấp xã", "theo yêu cầu", "hằng tháng", "hằng quý", "đột xuất",
    "trên hệ thống một cửa điện tử", "của đơn vị", "liên ngành",
]  # fmt: skip
FIELDS = [
    "Tổ chức bộ máy", "Tài chính - Ngân sách", "Đất đai", "Xây dựng", "Y tế", "Giáo dục", "Tư pháp",
    "Công Thương", "Nông nghiệp", "Môi trường", "Văn hóa", "Khoa học công nghệ", "Thanh tra", "Lao động",
]  # fmt: skip
OUTPUT_UNITS = ["văn bản", "hồ sơ", "báo cáo", "cuộc họp", "biên bản", "quyết định", "lượt", "buổi"]
NORMS = [15, 20, 30, 45, 60, 90, 120, 180, 240, 480]
COMPLEXITY = [(code, coefficient) for code, _, _, coefficient in catalog.DEFAULT_COMPLEXITY]
SEARCHES = ["van ban", "tham dinh ho so", "khieu nai", "mot cua dien tu"]  # typed without diacritics


# ---------------------------------------------------------------- what a tenant holds


def _names(rng: random.Random, group: Group, n: int) -> list[str]:
    combos = [
        " ".join(part for part in (verb, obj, qualifier) if part)
        for verb in VERBS[group]
        for obj in OBJECTS
        for qualifier in QUALIFIERS
    ]
    rng.shuffle(combos)
    return [combos[i % len(combos)] for i in range(n)]


def _version_row(tenant_id, item_id, number, state, name, rng, valid_from, valid_to, by, field) -> dict:
    complexity, coefficient = rng.choice(COMPLEXITY)
    decided = state == VersionState.approved
    now = utcnow()
    return {
        "tenant_id": tenant_id,
        "id": uuid.uuid4(),
        "item_id": item_id,
        "number": number,
        "state": state,
        "name_vi": name,
        "name_en": None,
        "output_unit": rng.choice(OUTPUT_UNITS),
        "norm_minutes": Decimal(rng.choice(NORMS)),
        "complexity": complexity,
        "complexity_coefficient": coefficient,
        "field": field,
        "done_definition": "Văn bản được ký ban hành hoặc hồ sơ được chuyển bước tiếp theo",
        "has_deadline": rng.random() < 0.3,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "change_note": "Điều chỉnh định mức" if number > 1 else None,
        "created_by": by,
        "created_at": now,
        "submitted_by": by if state != VersionState.draft else None,
        "submitted_at": now if state != VersionState.draft else None,
        "decided_by": by if decided else None,
        "decided_at": now if decided else None,
        "return_reason": None,
    }


def _jd_version_row(tenant_id, jd_id, number, valid_from, valid_to, by) -> dict:
    now = utcnow()
    return {
        "tenant_id": tenant_id,
        "id": uuid.uuid4(),
        "job_description_id": jd_id,
        "number": number,
        "state": VersionState.approved,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "change_note": None,
        "created_by": by,
        "created_at": now,
        "submitted_by": by,
        "submitted_at": now,
        "decided_by": by,
        "decided_at": now,
        "return_reason": None,
    }


def _build_tenant(tenant, province: str, staff_prefix: str, n: int, seed: int) -> dict:
    """Org tree and officials through the org service; positions, concurrent posts and the catalog
    set-based; committed. Returns the ids and, per item and description, what the checks need."""
    rng = random.Random(seed)
    timings = {}
    tid = tenant.id
    unit_rows = _unit_rows(province)
    agencies = [r["code"] for r in unit_rows if r["kind"] == "agency"]
    divisions = {a: [r["code"] for r in unit_rows if r["parent_code"] == a] for a in agencies}
    communes = [r["code"] for r in unit_rows if r["kind"] == "commune"]
    with tenant_scope(tid):
        started = time.perf_counter()
        units = org.bulk_create_units(unit_rows)
        unit_ids = {u.code: u.id for u in units}
        admin = identity.create_principal(
            email=f"admin@{staff_prefix.lower()}.gov.vn",
            display_name=f"Quản trị {province}",
            roles=["provincial_admin"],
        )
        timings["units"] = time.perf_counter() - started

        # 1000 positions: 20 per agency, 200 for the communes.
        started = time.perf_counter()
        now = utcnow()
        positions = []
        for a in agencies:
            for k in range(AGENCY_POSITIONS):
                positions.append(
                    {
                        "tenant_id": tid,
                        "id": uuid.uuid4(),
                        "code": f"{a}-VT{k:02d}",
                        "name_vi": f"{POSITION_TITLES[k]} ({a})",
                        "category": "leadership" if k < 5 else "professional",
                        "unit_kinds": ["agency", "division"],
                        "job_description_id": None,
                        "created_at": now,
                    }
                )
        for k in range(COMMUNE_POSITIONS):
            positions.append(
                {
                    "tenant_id": tid,
                    "id": uuid.uuid4(),
                    "code": f"X-VT{k:03d}",
                    "name_vi": f"{COMMUNE_TITLES[k % len(COMMUNE_TITLES)]} - nhóm {k // len(COMMUNE_TITLES) + 1}",
                    "category": "leadership" if k % len(COMMUNE_TITLES) >= 6 else "professional",
                    "unit_kinds": ["commune"],
                    "job_description_id": None,
                    "created_at": now,
                }
            )
        db.session.execute(insert(JobPosition), positions)
        position_ids = {p["code"]: p["id"] for p in positions}

        # N officials, two in three in an agency's division, one in three in a commune.
        def post(i: int) -> tuple[str, str]:
            if i % 3 != 2:
                agency = agencies[i % len(agencies)]
                return rng.choice(divisions[agency]), f"{agency}-VT{rng.randrange(AGENCY_POSITIONS):02d}"
            return rng.choice(communes), f"X-VT{rng.randrange(COMMUNE_POSITIONS):03d}"

        official_rows = []
        for i in range(n):
            unit_code, position_code = post(i)
            official_rows.append(
                {
                    "staff_code": f"{staff_prefix}{i + 1:06d}",
                    "full_name": _full_name(rng),
                    "employment_kind": "cong_chuc",
                    "unit_code": unit_code,
                    "position_code": position_code,
                    "valid_from": STAFF_FROM,
                }
            )
        officials = org.bulk_create_officials(official_rows)
        official_ids = [o.id for o in officials]
        # Posts per official: (unit code, position code); one in five holds one concurrent post, one in
        # twenty two of them.
        posts = {
            oid: [(row["unit_code"], row["position_code"])]
            for oid, row in zip(official_ids, official_rows, strict=True)
        }
        secondary = []
        for i, oid in enumerate(official_ids):
            extra = 2 if i % 20 == 0 else 1 if i % 5 == 0 else 0
            for _ in range(extra):
                unit_code, position_code = post(rng.randrange(n))
                posts[oid].append((unit_code, position_code))
                secondary.append(
                    {
                        "tenant_id": tid,
                        "id": uuid.uuid4(),
                        "official_id": oid,
                        "unit_id": unit_ids[unit_code],
                        "position_id": position_ids[position_code],
                        "is_primary": False,
                        "share": Decimal("0.3"),
                        "valid_from": STAFF_FROM,
                        "valid_to": None,
                        "change_reason": "Kiêm nhiệm",
                    }
                )
        db.session.execute(insert(Assignment), secondary)
        timings["officials"] = time.perf_counter() - started

        # Items: A/B/D tenant-wide, 50 C items per agency; one approved item in ten has a second
        # version from NORM_CHANGE. Then 300 items never approved.
        started = time.perf_counter()
        items, versions = [], []
        in_force: dict[uuid.UUID, dict] = {}  # approved item -> its version in force on AS_OF
        by_version: dict[uuid.UUID, list[dict]] = {}  # approved item -> its approved versions
        pool: dict[object, list[uuid.UUID]] = {}  # group (or agency code for C) -> approved item ids
        specs = [(group, None, count) for group, count in ITEMS.items()]
        specs += [(Group.C, a, C_PER_AGENCY) for a in agencies]
        for group, agency, count in specs:
            names = _names(rng, group, count)
            for k in range(count):
                item_id = uuid.uuid4()
                code = f"C-{agency}-{k + 1:03d}" if agency else f"{group}-{k + 1:04d}"
                field = rng.choice(FIELDS) if group in (Group.B, Group.C) else None
                name = names[k]
                items.append(
                    {
                        "tenant_id": tid,
                        "id": item_id,
                        "code": code,
                        "item_group": group,
                        "agency_id": unit_ids[agency] if agency else None,
                        "status": ItemStatus.approved,
                        "name_vi": name,
                        "field": field,
                        "search_text": fold(f"{code} {name}"),
                        "retired_on": None,
                        "retire_reason": None,
                        "origin": "bench",
                        "created_at": now,
                    }
                )
                changed = rng.random() < 0.1
                end = NORM_CHANGE if changed else None
                first = _version_row(
                    tid, item_id, 1, VersionState.approved, name, rng, STAFF_FROM, end, admin.id, field
                )
                chain = [first]
                if changed:
                    second = _version_row(
                        tid, item_id, 2, VersionState.approved, name, rng, NORM_CHANGE, None, admin.id, field
                    )
                    chain.append(second)
                versions.extend(chain)
                by_version[item_id] = chain
                in_force[item_id] = chain[-1]
                pool.setdefault(agency or group, []).append(item_id)
        for state, count in PENDING:
            for k in range(count):
                group = [Group.B, Group.C, Group.D][k % 3]
                agency = agencies[k % len(agencies)] if group == Group.C else None
                item_id, code = uuid.uuid4(), f"N{state[0].upper()}-{group}-{k + 1:03d}"
                name = _names(rng, group, 1)[0] + " (dự thảo)"
                items.append(
                    {
                        **items[0],
                        "id": item_id,
                        "code": code,
                        "item_group": group,
                        "agency_id": unit_ids[agency] if agency else None,
                        "status": ItemStatus(state),
                        "name_vi": name,
                        "field": None,
                        "search_text": fold(f"{code} {name}"),
                    }
                )
                versions.append(
                    _version_row(tid, item_id, 1, VersionState(state), name, rng, STAFF_FROM, None, admin.id, None)
                )
        db.session.execute(insert(CatalogItem), items)
        db.session.execute(insert(CatalogItemVersion), versions)
        timings["items"] = time.perf_counter() - started

        # Job descriptions: tenant-wide for agency positions 0-9 and every commune position (20 A/B/D
        # lines), the agency's own for its positions 5-14 (10 of its C lines). One in ten has a
        # second version from JD_CHANGE with other lines.
        started = time.perf_counter()
        jds, jd_versions, lines = [], [], []
        tw_items: dict[str, set] = {}  # position code -> items of the tenant-wide description on AS_OF
        agency_items: dict[tuple[str, str], set] = {}  # (position code, agency code) -> items on AS_OF
        scopes = [(f"{a}-VT{k:02d}", None) for a in agencies for k in range(10)]
        scopes += [(f"X-VT{k:03d}", None) for k in range(COMMUNE_POSITIONS)]
        scopes += [(f"{a}-VT{k:02d}", a) for a in agencies for k in range(5, 15)]
        for j, (position_code, agency) in enumerate(scopes):
            jd_id = uuid.uuid4()
            jds.append(
                {
                    "tenant_id": tid,
                    "id": jd_id,
                    "position_id": position_ids[position_code],
                    "agency_id": unit_ids[agency] if agency else None,
                    "origin": "bench",
                    "created_at": now,
                }
            )
            two = j % 10 == 3
            periods = [(STAFF_FROM, JD_CHANGE), (JD_CHANGE, None)] if two else [(STAFF_FROM, None)]
            for number, (start, end) in enumerate(periods, start=1):
                version = _jd_version_row(tid, jd_id, number, start, end, admin.id)
                jd_versions.append(version)
                if agency:
                    chosen = rng.sample(pool[agency], AGENCY_LINES)
                else:
                    chosen = [i for group, k in TW_LINES.items() for i in rng.sample(pool[group], k)]
                lines.extend(
                    {
                        "tenant_id": tid,
                        "version_id": version["id"],
                        "item_id": item_id,
                        "expected_monthly_volume": Decimal(rng.randrange(1, 40)),
                    }
                    for item_id in chosen
                )
            if agency:
                agency_items[(position_code, agency)] = set(chosen)
            else:
                tw_items[position_code] = set(chosen)
        db.session.execute(insert(JobDescription), jds)
        db.session.execute(insert(JobDescriptionVersion), jd_versions)
        db.session.execute(insert(JobDescriptionLine), lines)
        db.session.commit()
        timings["job_descriptions"] = time.perf_counter() - started
    db.session.remove()

    parent = {r["code"]: r["parent_code"] for r in unit_rows}

    def allowed_on_as_of(official_id: uuid.UUID) -> set:
        found = set()
        for unit_code, position_code in posts[official_id]:
            found |= tw_items.get(position_code, set())
            found |= agency_items.get((position_code, parent[unit_code]), set())
        return found

    return {
        "tenant": tenant,
        "admin": admin,
        "unit_ids": unit_ids,
        "agencies": agencies,
        "position_ids": position_ids,
        "official_ids": official_ids,
        "posts": posts,
        "items": items,
        "versions": by_version,
        "in_force": in_force,
        "tw_items": tw_items,
        "agency_items": agency_items,
        "allowed": allowed_on_as_of,
        "counts": {
            "positions": len(positions),
            "concurrent posts": len(secondary),
            "items": len(items),
            "item versions": len(versions),
            "job descriptions": len(jds),
            "jd versions": len(jd_versions),
            "jd lines": len(lines),
        },
        "timings": timings,
    }


def _work_days(start: date, end: date) -> list[date]:
    return [
        start + timedelta(days=d) for d in range((end - start).days + 1) if (start + timedelta(days=d)).weekday() < 5
    ]


def _insert_entries(built: dict, n: int, seed: int) -> tuple[float, dict]:
    """N submitted entries with actual minutes over the pilot quarter; each item is one the official
    may log (the descriptions do not change during the quarter) and each entry points at the item
    version in force on its day. Returns the time and, per item, the minutes per unit sent."""
    rng = random.Random(seed)
    tid = built["tenant"].id
    days = _work_days(PILOT_FROM, PILOT_TO)
    loggers = [(oid, sorted(built["allowed"](oid))) for oid in built["official_ids"]]
    loggers = [(oid, items) for oid, items in loggers if items]
    bias = {}  # per item: how far the real time is from the norm
    per_unit: dict[uuid.UUID, list[float]] = {}
    rows = []
    now = utcnow()
    for _ in range(n):
        official_id, allowed = rng.choice(loggers)
        item_id = rng.choice(allowed)
        day = rng.choice(days)
        version = next(v for v in built["versions"][item_id] if v["valid_to"] is None or v["valid_to"] > day)
        quantity = rng.randint(1, 4)
        factor = bias.setdefault(item_id, rng.uniform(0.6, 1.4)) * rng.lognormvariate(0, 0.25)
        minutes = Decimal(str(round(float(version["norm_minutes"]) * quantity * factor, 2)))
        per_unit.setdefault(item_id, []).append(float(minutes) / quantity)
        rows.append(
            {
                "tenant_id": tid,
                "id": uuid.uuid4(),
                "official_id": official_id,
                "work_date": day,
                "item_id": item_id,
                "item_version_id": version["id"],
                "quantity": Decimal(quantity),
                "actual_minutes": minutes,
                "state": EntryState.submitted,
                "note": None,
                "evidence_ref": None,
                "created_by": None,
                "created_at": now,
                "updated_at": now,
            }
        )
    started = time.perf_counter()
    with tenant_scope(tid):
        db.session.execute(insert(WorkEntry), rows)
        db.session.commit()
    db.session.remove()
    return time.perf_counter() - started, per_unit


# ---------------------------------------------------------------- timing


def _stats(timings: list[float]) -> tuple[float, float]:
    """Median and p95, as common._measure computes them."""
    timings = sorted(timings)
    return statistics.median(timings), timings[min(len(timings) - 1, math.ceil(0.95 * len(timings)) - 1)]


def _measure_each(client, urls: list[str], headers: dict, counter: StatementCounter, check, warmup: int = 5) -> dict:
    """common._measure over a list of URLs (one request each), calling check(url, response) after
    each timed request."""
    for url in urls[:warmup]:
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} -> {response.status_code}: {response.get_data(as_text=True)[:300]}")
    timings = []
    before, before_ms = counter.count, counter.ms
    response = None
    for url in urls:
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} -> {response.status_code}: {response.get_data(as_text=True)[:300]}")
        check(url, response)
    median, p95 = _stats(timings)
    n = len(urls)
    return {
        "n": n,
        "median": median,
        "p95": p95,
        "sql": (counter.count - before) / n,
        "sql_ms": (counter.ms - before_ms) / n,
        "response": response,
    }


def _post(client, url: str, headers: dict, counter: StatementCounter, body=None, expect: int = 200) -> tuple:
    before, before_ms = counter.count, counter.ms
    started = time.perf_counter()
    response = client.post(url, headers=headers, json=body)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != expect:
        raise RuntimeError(f"POST {url} -> {response.status_code}: {response.get_data(as_text=True)[:300]}")
    return elapsed, counter.count - before, counter.ms - before_ms, response.get_json()


def _total(response) -> int:
    return json.loads(response.headers["X-Pagination"])["total"]


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError("sanity check failed: " + message)


def _principal_with_token(tenant, email: str, name: str, roles: list[str], official_id=None):
    with tenant_scope(tenant.id):
        principal = identity.create_principal(email=email, display_name=name, roles=roles)
        if official_id is not None:
            org.update_official(official_id, {"principal_id": principal.id})
        _, raw = identity.issue_token(principal, name="bench", days=30, max_days=365)
        db.session.commit()
    db.session.remove()
    return {"Authorization": f"Bearer {raw}"}


# ---------------------------------------------------------------- the run


def run(n: int, entries: int, allowed_requests: int, search_runs: int, export_runs: int, approvals: int, explain: bool):
    total_started = time.perf_counter()
    with fresh_app() as bench:
        suffix = uuid.uuid4().hex[:6]
        tenant_a = tenancy.create_tenant(
            slug=f"bench-a-{suffix}", name_vi="Tỉnh Khánh Hòa", name_en="Khanh Hoa", status="active"
        )
        tenant_b = tenancy.create_tenant(
            slug=f"bench-b-{suffix}", name_vi="Tỉnh Lâm Đồng", name_en="Lam Dong", status="active"
        )
        setup_started = time.perf_counter()
        a = _build_tenant(tenant_a, "Khánh Hòa", "KH", n, seed=1)
        b = _build_tenant(tenant_b, "Lâm Đồng", "LD", n, seed=2)
        b = {key: b[key] for key in ("counts", "timings")}  # only A's rows are needed for the checks
        entries_s, per_unit = _insert_entries(a, entries, seed=3)

        # The people: a steering committee member, the director (head) of Sở Nội vụ, who may approve
        # its C items, and an official with concurrent posts for /me.
        rng = random.Random(4)
        agency = "S04"  # Sở Nội vụ
        with tenant_scope(tenant_a.id):
            director = org.create_official(
                staff_code="KH-GD-S04",
                full_name="Trần Quốc Việt",
                employment_kind="cong_chuc",
                assignment={
                    "unit_id": a["unit_ids"][agency],
                    "position_id": a["position_ids"][f"{agency}-VT00"],
                    "valid_from": STAFF_FROM,
                },
            )
            org.set_unit_head(a["unit_ids"][agency], director.id, effective_date=STAFF_FROM)
            db.session.commit()
            director_id = director.id
        db.session.remove()
        a["posts"][director_id] = [(agency, f"{agency}-VT00")]
        me_id = next(oid for oid in a["official_ids"] if len(a["posts"][oid]) == 3 and a["allowed"](oid))
        admin_headers = _principal_with_token(tenant_a, "quantri@khanhhoa.gov.vn", "Quản trị", ["provincial_admin"])
        committee_headers = _principal_with_token(
            tenant_a, "bcd@khanhhoa.gov.vn", "Ban chỉ đạo", ["steering_committee"]
        )
        director_headers = _principal_with_token(
            tenant_a, "giamdoc.snv@khanhhoa.gov.vn", "Giám đốc Sở Nội vụ", ["unit_head", "official"], director_id
        )
        me_headers = _principal_with_token(tenant_a, "chuyenvien@khanhhoa.gov.vn", "Chuyên viên", ["official"], me_id)
        bench.analyze()
        setup_s = time.perf_counter() - setup_started

        # Checks through the service before timing anything.
        with tenant_scope(tenant_a.id):
            rows = db.session.execute(job_descriptions.allowed_items(me_id, AS_OF)).all()
            _check(
                {item.id for item, _ in rows} == a["allowed"](me_id),
                f"allowed_items gives {len(rows)} items, expected {len(a['allowed'](me_id))}",
            )
            _check(all(version.id == a["in_force"][item.id]["id"] for item, version in rows), "allowed_items version")
            changed = next(i for i, chain in a["versions"].items() if len(chain) == 2 and i in a["allowed"](me_id))
            for day, number in ((NORM_CHANGE - timedelta(days=1), 1), (NORM_CHANGE, 2)):
                version = job_descriptions.allowed_version(me_id, changed, day)
                _check(version is not None and version.number == number, f"allowed_version on {day}")
            approved = db.session.scalar(
                select(func.count()).select_from(catalog.search(day=AS_OF, status="approved").subquery())
            )
            _check(approved == 5000, f"{approved} approved items, expected 5000")
            _check(len(export.approved_rows(AS_OF)) == 5000, "export.approved_rows")
            logged = db.session.scalar(select(func.count()).select_from(WorkEntry))
            _check(logged == entries, f"{logged} work entries in A, expected {entries}")
            db.session.rollback()
        db.session.remove()

        counter = StatementCounter(db.engine)
        client = bench.app.test_client()
        base = f"/api/v1/t/{tenant_a.slug}"
        results: list[tuple[str, str, dict]] = []  # (section, label, figures)

        # (1) allowed items: random officials as the admin, /me, and the agency head within the agency.
        def check_allowed(official_id):
            def check(url, response):
                got = response.get_json()
                expected = a["allowed"](official_id(url))
                _check({uuid.UUID(i["item_id"]) for i in got} == expected, f"allowed items of {url}")
                _check(
                    all(uuid.UUID(i["version_id"]) == a["in_force"][uuid.UUID(i["item_id"])]["id"] for i in got),
                    f"versions of {url}",
                )

            return check

        def official_in(url: str) -> uuid.UUID:
            return uuid.UUID(url.split("/officials/")[1].split("/")[0])

        sampled = rng.sample(a["official_ids"], min(allowed_requests, len(a["official_ids"])))
        urls = [f"{base}/officials/{oid}/allowed-items?as_of={AS_OF}" for oid in sampled]
        m = _measure_each(client, urls, admin_headers, counter, check_allowed(official_in))
        sizes = [len(a["allowed"](oid)) for oid in sampled]
        m["size"] = f"{statistics.median(sizes):.0f} (0-{max(sizes)})"
        results.append(("1", f"GET /officials/<random>/allowed-items, {len(sampled)} officials (admin)", m))
        m = _measure(client, f"{base}/me/allowed-items?as_of={AS_OF}", me_headers, search_runs, counter)
        check_allowed(lambda url: me_id)("/me", m["response"])
        m["size"] = str(len(m["response"].get_json()))
        results.append(("1", f"GET /me/allowed-items ({len(a['posts'][me_id])} posts)", m))
        in_agency = [oid for oid in a["official_ids"] if a["posts"][oid][0][0].startswith(agency + "-")]
        urls = [f"{base}/officials/{oid}/allowed-items?as_of={AS_OF}" for oid in in_agency]
        m = _measure_each(client, urls, director_headers, counter, check_allowed(official_in))
        m["size"] = f"{statistics.median([len(a['allowed'](oid)) for oid in in_agency]):.0f}"
        results.append(("1", f"the same as the head of {agency} (subtree scope), {len(in_agency)} of its staff", m))

        # (2) search and filters, 50 per page.
        items_a = a["items"]

        def expected_total(q=None, group=None, status=None, ids=None) -> int:
            return sum(
                (q is None or fold(q) in i["search_text"])
                and (group is None or i["item_group"] == group)
                and (status is None or i["status"] == status)
                and (ids is None or i["id"] in ids)
                for i in items_a
            )

        both = f"{agency}-VT07"  # a tenant-wide and an agency description
        searches = [(f"q={q}", {"q": q}, expected_total(q=q)) for q in SEARCHES]
        searches += [
            ("q=van ban&group=B", {"q": "van ban", "group": "B"}, expected_total(q="van ban", group=Group.B)),
            (
                "group=C&status=approved",
                {"group": "C", "status": "approved"},
                expected_total(group=Group.C, status=ItemStatus.approved),
            ),
            ("status=submitted", {"status": "submitted"}, expected_total(status=ItemStatus.submitted)),
            ("", {}, len(items_a)),
            (
                f"position_id=<{both}>",
                {"position_id": str(a["position_ids"][both])},
                expected_total(ids=a["tw_items"][both] | a["agency_items"][(both, agency)]),
            ),
        ]
        for label, params, expected in searches:
            query = "&".join(f"{k}={quote(v)}" for k, v in params.items())
            url = f"{base}/catalog/items?as_of={AS_OF}&page_size=50" + (f"&{query}" if query else "")
            m = _measure(client, url, admin_headers, search_runs, counter)
            got = _total(m["response"])
            _check(got == expected, f"search {label}: {got} hits, expected {expected}")
            body = m["response"].get_json()
            if "q" in params:
                _check(all(fold(params["q"]) in fold(f"{i['code']} {i['name_vi']}") for i in body), f"{label} hits")
            _check(all(i["version"] is not None for i in body), f"{label}: an item without its version")
            m["size"] = f"{len(body)} of {got}"
            results.append(("2", f"GET /catalog/items?{label}" if label else "GET /catalog/items (no filter)", m))

        # The job descriptions list, 50 per page (each with its version in force and its lines).
        m = _measure(client, f"{base}/catalog/job-descriptions?as_of={AS_OF}&page_size=50", admin_headers, 20, counter)
        jd_total = _total(m["response"])
        _check(jd_total == a["counts"]["job descriptions"], f"{jd_total} job descriptions listed")
        _check(all(jd["in_force"]["lines"] for jd in m["response"].get_json()), "a description without its lines")
        m["size"] = f"{len(m['response'].get_json())} of {jd_total}"
        results.append(("2", "GET /catalog/job-descriptions", m))

        # (3) export.
        for fmt in ("xlsx", "csv"):
            url = f"{base}/catalog/export?format={fmt}&as_of={AS_OF}"
            m = _measure_each(client, [url] * export_runs, admin_headers, counter, lambda url, r: None, warmup=1)
            data = m["response"].get_data()
            if fmt == "csv":
                exported = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]
            else:
                exported = list(load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(min_row=2))
            _check(len(exported) == 5000, f"{fmt} export has {len(exported)} rows, expected 5000")
            m["size"] = f"{len(exported)} rows"
            results.append(("3", f"GET /catalog/export?format={fmt}", m))

        # (5) calibration over the quarter's entries (before the approvals below add versions).
        url = f"{base}/catalog/calibration?from={PILOT_FROM}&to={PILOT_TO}"
        m = _measure_each(client, [url] * export_runs, admin_headers, counter, lambda url, r: None, warmup=1)
        report = {uuid.UUID(row["item_id"]): row for row in m["response"].get_json()}
        _check(set(report) == set(per_unit), f"calibration reports {len(report)} items, expected {len(per_unit)}")
        _check(sum(row["entries"] for row in report.values()) == entries, "calibration entry count")
        for item_id in list(per_unit)[:50]:
            median = statistics.median(per_unit[item_id])
            _check(abs(report[item_id]["median_minutes"] - median) < 0.011, f"median of {item_id}")
        suggested = sum(row["suggested_norm_minutes"] is not None for row in report.values())
        m["size"] = f"{len(report)} items"
        results.append(("5", f"GET /catalog/calibration ({entries} entries, {suggested} with a suggestion)", m))

        # (4) approvals through the API: a new B item, a norm change of a bulk-loaded item, a C item
        # approved by its agency's head. Each step `approvals` times.
        steps: dict[str, list[tuple[float, int, float]]] = {}

        def step(label, *args, **kwargs):
            elapsed, statements, sql_ms, body = _post(client, *args, counter=counter, **kwargs)
            steps.setdefault(label, []).append((elapsed, statements, sql_ms))
            return body

        b_items = [i["id"] for i in items_a if i["item_group"] == Group.B and len(a["versions"].get(i["id"], [])) == 1]
        for r in range(approvals):
            body = {
                "code": f"B-MOI-{r + 1:03d}",
                "group": "B",
                "name_vi": f"Soạn thảo báo cáo chuyên đề số {r + 1}",
                "output_unit": "báo cáo",
                "norm_minutes": 240,
                "complexity": "complex",
                "valid_from": str(STAFF_FROM),
            }
            item_id = step(
                "B item: POST /catalog/items (draft)", f"{base}/catalog/items", admin_headers, body=body, expect=201
            )["id"]
            step("B item: POST …/submit (admin)", f"{base}/catalog/items/{item_id}/submit", admin_headers)
            out = step(
                "B item: POST …/approve (committee)", f"{base}/catalog/items/{item_id}/approve", committee_headers
            )
            _check(out["status"] == "approved", "new item approved")

            item_id = b_items[r]
            old_norm = float(a["in_force"][item_id]["norm_minutes"])
            body = {"valid_from": str(PROPOSED_FROM), "norm_minutes": old_norm + 5, "change_note": "Sau thí điểm"}
            step(
                "norm change: POST …/versions (propose)",
                f"{base}/catalog/items/{item_id}/versions",
                admin_headers,
                body=body,
                expect=201,
            )
            step("norm change: POST …/submit", f"{base}/catalog/items/{item_id}/submit", admin_headers)
            out = step(
                "norm change: POST …/approve (committee)", f"{base}/catalog/items/{item_id}/approve", committee_headers
            )
            _check(out["pending"] is None and out["status"] == "approved", "norm change approved")

            body = {
                "code": f"C-{agency}-MOI-{r + 1:03d}",
                "group": "C",
                "agency_id": str(a["unit_ids"][agency]),
                "name_vi": f"Thẩm định hồ sơ sắp xếp tổ chức số {r + 1}",
                "output_unit": "hồ sơ",
                "norm_minutes": 180,
                "valid_from": str(STAFF_FROM),
            }
            item_id = step(
                "C item: POST /catalog/items (draft)", f"{base}/catalog/items", admin_headers, body=body, expect=201
            )["id"]
            step("C item: POST …/submit", f"{base}/catalog/items/{item_id}/submit", admin_headers)
            out = step(
                f"C item: POST …/approve (head of {agency})",
                f"{base}/catalog/items/{item_id}/approve",
                director_headers,
            )
            _check(out["status"] == "approved", "C item approved")
        changed_item = b_items[0]
        history = client.get(f"{base}/catalog/items/{changed_item}/versions", headers=admin_headers).get_json()
        _check(
            [(v["number"], v["state"], v["valid_to"]) for v in history]
            == [(1, "approved", str(PROPOSED_FROM)), (2, "approved", None)],
            f"versions after the norm change: {history}",
        )
        october = client.get(
            f"{base}/catalog/items/{changed_item}?as_of={PROPOSED_FROM}", headers=admin_headers
        ).get_json()
        _check(october["version"]["norm_minutes"] == float(a["in_force"][changed_item]["norm_minutes"]) + 5, "new norm")
        for label, rows in steps.items():
            median, p95 = _stats([t for t, _, _ in rows])
            results.append(
                (
                    "4",
                    label,
                    {
                        "n": len(rows),
                        "median": median,
                        "p95": p95,
                        "sql": sum(s for _, s, _ in rows) / len(rows),
                        "sql_ms": sum(ms for _, _, ms in rows) / len(rows),
                        "size": "",
                    },
                )
            )

        # EXPLAIN ANALYZE of the allowed-items statement (the slowest statement of that request).
        recorder = SlowestStatement(db.engine)
        plan = _explain(
            client, f"{base}/officials/{me_id}/allowed-items?as_of={AS_OF}", admin_headers, tenant_a.id, recorder
        )
        _check("post_chain" in plan, "the slowest statement of /allowed-items is not the allowed-items query")
        timing = [plan.split(":", 1)[0].replace("slowest statement", "sent and answered in")]
        timing += [line.strip() for line in plan.splitlines() if line.strip().startswith(("Planning", "Execution"))]

        print()
        print(
            f"kpi-platform catalog benchmark — 2 tenants, each {len(a['unit_ids'])} units, {n} officials, "
            f"{a['counts']['positions']} positions, {a['counts']['items']} items (5000 approved), "
            f"{a['counts']['job descriptions']} job descriptions; {entries} work entries in A; "
            f"PostgreSQL {bench.pg_version}"
        )
        print(f"machine: {_machine()}")
        print(
            "rows per tenant: "
            + ", ".join(f"{v} {k}" for k, v in a["counts"].items())
            + f"; allowed items per official on {AS_OF}: median "
            f"{statistics.median(len(a['allowed'](o)) for o in a['official_ids']):.0f}"
        )
        print(
            f"setup {setup_s:.1f} s (A: units + admin {a['timings']['units']:.2f} s, positions + officials + posts "
            f"{a['timings']['officials']:.2f} s, items {a['timings']['items']:.2f} s, job descriptions "
            f"{a['timings']['job_descriptions']:.2f} s; B likewise; {entries} work entries {entries_s:.2f} s)"
        )
        print()
        width = 78
        print(
            f"{'request':<{width}} {'runs':>5} {'median ms':>10} {'p95 ms':>8} {'SQL/req':>8} {'SQL ms':>7} "
            f"{'items':>14} {'KB':>7}"
        )
        print("-" * (width + 66))
        sections = {
            "1": "(1) allowed items",
            "2": "(2) search and filters, 50/page; the job descriptions list",
            "3": "(3) export",
            "4": f"(4) approvals, {approvals} of each",
            "5": "(5) calibration",
        }
        for section in sorted(sections):
            print(sections[section])
            for key, label, m in results:
                if key != section:
                    continue
                kb = len(m["response"].get_data()) / 1024 if "response" in m else None
                print(
                    f"  {label:<{width - 2}} {m['n']:>5} {m['median']:>10.2f} {m['p95']:>8.2f} {m['sql']:>8.1f} "
                    f"{m['sql_ms']:>7.2f} {m['size']:>14} {'' if kb is None else f'{kb:.1f}':>7}"
                )
        print()
        print(f"EXPLAIN ANALYZE of the allowed-items statement (official with 3 posts): {'; '.join(timing)}")
        print(
            f"checks passed: allowed items of {len(sampled) + len(in_agency) + 1} officials = their descriptions' "
            f"items with the version in force; search totals; 5000 rows in each export; calibration medians; "
            f"versions after a norm change; tenant B ({b['counts']['items']} items) never shows up"
        )
        if explain:
            print()
            print("==== allowed items")
            print(plan)
            for label, path in (
                ("search q=van ban", f"/catalog/items?as_of={AS_OF}&page_size=50&q=van%20ban"),
                (
                    f"search position_id=<{both}>",
                    f"/catalog/items?as_of={AS_OF}&page_size=50&position_id={a['position_ids'][both]}",
                ),
                ("export csv", f"/catalog/export?format=csv&as_of={AS_OF}"),
                ("calibration", f"/catalog/calibration?from={PILOT_FROM}&to={PILOT_TO}"),
            ):
                print()
                print(f"==== {label}")
                print(_explain(client, base + path, admin_headers, tenant_a.id, recorder))
        print()
        print(f"total run time {time.perf_counter() - total_started:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officials", type=int, default=3000, help="officials per tenant (default 3000)")
    parser.add_argument("--entries", type=int, default=100_000, help="work entries in tenant A (default 100 000)")
    parser.add_argument("--allowed-requests", type=int, default=200, help="officials asked for their allowed items")
    parser.add_argument("--search-runs", type=int, default=50, help="timed runs of each search and of /me")
    parser.add_argument("--export-runs", type=int, default=5, help="timed runs of each export and the calibration")
    parser.add_argument("--approvals", type=int, default=20, help="times each approval sequence runs")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE the slowest statement of the main requests"
    )
    args = parser.parse_args(argv)
    if args.officials < 300:
        parser.error("--officials must be at least 300")
    run(
        args.officials,
        args.entries,
        args.allowed_requests,
        args.search_runs,
        args.export_runs,
        args.approvals,
        args.explain,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
