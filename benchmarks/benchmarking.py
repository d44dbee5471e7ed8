"""Benchmarking at national scale: 34 provinces of 20 000 officials, one scored month each.

    .venv/bin/python benchmarks/benchmarking.py [--provinces 34] [--officials 20000] [--requests 50]

Each province's org (about 190 units), positions, officials, primary posts and a month of work
entries (about 13 a person) are loaded with COPY as a superuser; its catalog item and its mapping to
the national taxonomy go through the services. Then, per province, interleaved: the month's scoring
run (runs.run_period, the engine under test elsewhere) and the read model's refresh of that month
(readmodel.refresh, forced), each timed with its commit, and the ratio printed. Last, the overview
request of a central analyst (GET /api/v1/benchmarking/overview) beside a bare endpoint with the
same token (GET /api/v1/platform/me), interleaved, with their statement counts.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

import psycopg
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parent))
from common import StatementCounter, _machine, fresh_app

from kpi_platform.benchmarking import demo_data, mapping, readmodel
from kpi_platform.catalog import service as catalog
from kpi_platform.catalog.models import CatalogItemVersion
from kpi_platform.context import SYSTEM_TENANT_ID, tenant_scope
from kpi_platform.db import db
from kpi_platform.identity import service as identity
from kpi_platform.scoring import runs
from kpi_platform.tenancy import service as tenancy
from kpi_platform.vietnamese import fold, sort_key
from kpi_platform.worklog import calendar

MONTH = date(2025, 10, 1)
START = date(2025, 1, 1)
SECTORS = [
    ("SNV", "home_affairs"),
    ("STC", "finance"),
    ("SYT", "health"),
    ("SGDDT", "education"),
    ("SXD", "construction"),
    ("SNNMT", "agriculture_environment"),
    ("SCT", "industry_trade"),
    ("SKHCN", "science_technology"),
    ("SVHTTDL", "culture_sports_tourism"),
    ("STP", "justice"),
    ("SDTTG", "ethnic_religion"),
    ("SNGV", "foreign_affairs"),
    ("TTT", "inspection"),
    ("VPUBND", "general_administration"),
]
POSITIONS = [
    ("LD", "leadership", 0.12),
    ("CV", "professional", 0.55),
    ("CV-TH", "professional", 0.23),
    ("VT", "support", 0.10),
]


def _units(rng):
    """(code, name, kind, parent, sector, ward?) and each unit's weight in officials."""
    units = [("T", "UBND tỉnh", "province", None, None, False, 0)]
    for code, sector in SECTORS:
        units.append((code, f"Sở {code}", "agency", "T", sector, False, 4))
        for i in range(1, 6):
            units.append((f"{code}-P{i}", f"Phòng {i}", "division", code, None, False, 12))
        if sector in ("health", "education"):
            for i in range(1, 4):
                units.append((f"{code}-DV{i}", f"Đơn vị sự nghiệp {i}", "public_service_unit", code, None, False, 60))
    for i in range(1, 101):
        units.append((f"X-{i:03d}", f"Xã {i}", "commune", "T", None, i > 80, 9 + rng.randint(0, 8)))
    return units


def _mapping_rows(units) -> list[dict]:
    rows = [dict(zip(("subject", "code", "dimension", "term"), m, strict=True)) for m in demo_data.KIND_MAPPINGS]
    for code, _, _, _, sector, ward, _ in units:
        if sector:
            rows.append({"subject": "unit", "code": code, "dimension": "sector", "term": sector})
        if ward:
            rows.append({"subject": "unit", "code": code, "dimension": "unit_kind", "term": "ward"})
    rows.append({"subject": "position", "code": "CV", "dimension": "position_category", "term": "specialised"})
    rows.append(
        {"subject": "position", "code": "CV-TH", "dimension": "position_category", "term": "shared_professional"}
    )
    rows.append({"subject": "item", "code": "B-01", "dimension": "sector", "term": "general_administration"})
    return rows


def load_province(superuser_url: str, tenant, officials: int, seed: int) -> int:
    """Org, positions, officials, posts and the month's entries by COPY; returns the entries."""
    rng = random.Random(seed)
    units = _units(rng)
    now = datetime.now(UTC)
    tid = tenant.id
    with tenant_scope(tid):
        admin = identity.create_principal(
            email=f"admin@{tenant.slug}.vn", display_name="Quản trị", roles=["provincial_admin"]
        )
        committee = identity.create_principal(
            email=f"bcd@{tenant.slug}.vn", display_name="BCĐ", roles=["steering_committee"]
        )
        item = catalog.create_item(code="B-01", group="B", by=admin, valid_from=START, name_vi="Xử lý hồ sơ",
                                   output_unit="giờ chuẩn", norm_minutes=60, complexity="normal")  # fmt: skip
        catalog.submit(item.id, by=admin)
        catalog.approve(item.id, by=committee)
        db.session.commit()
        version_id = db.session.scalar(select(CatalogItemVersion.id).where(CatalogItemVersion.item_id == item.id))
        working = calendar.working_days(MONTH, (MONTH + timedelta(days=45)))
    unit_ids = {u[0]: uuid.uuid4() for u in units}
    position_ids = {p[0]: uuid.uuid4() for p in POSITIONS}
    weights = [u[6] for u in units]
    month_days = [d for d in working if d.month == MONTH.month]
    entries = 0
    with (
        psycopg.connect(superuser_url.replace("postgresql+psycopg", "postgresql")) as connection,
        connection.cursor() as cur,
    ):
        with cur.copy("COPY org_units (tenant_id, id, code, created_at) FROM STDIN") as copy:
            for code, *_ in units:
                copy.write_row((tid, unit_ids[code], code, now))
        with cur.copy(
            "COPY org_unit_versions (tenant_id, id, unit_id, name_vi, kind, parent_id, valid_from) FROM STDIN"
        ) as copy:
            for code, name, kind, parent, *_ in units:
                copy.write_row((tid, uuid.uuid4(), unit_ids[code], name, kind, unit_ids.get(parent), START))
        with cur.copy(
            "COPY job_positions (tenant_id, id, code, name_vi, category, unit_kinds, created_at) FROM STDIN"
        ) as copy:
            for code, category, _ in POSITIONS:
                copy.write_row((tid, position_ids[code], code, code, category, "[]", now))
        people = []
        with cur.copy(
            "COPY officials (tenant_id, id, staff_code, full_name, search_name, sort_key, employment_kind, status, "
            "created_at, updated_at) FROM STDIN"
        ) as copy:
            for n in range(officials):
                name = f"Nguyễn Văn {n}"
                kind = rng.choices(("cong_chuc", "vien_chuc", "can_bo", "contract"), (6, 3, 1, 0.3))[0]
                official_id = uuid.uuid4()
                unit = rng.choices(units, weights)[0][0]
                position = rng.choices(POSITIONS, [p[2] for p in POSITIONS])[0][0]
                people.append((official_id, unit, position))
                copy.write_row(
                    (tid, official_id, f"S{n:06d}", name, fold(name), sort_key(name), kind, "active", now, now)
                )
        with cur.copy(
            "COPY assignments (tenant_id, id, official_id, unit_id, position_id, is_primary, share, valid_from) "
            "FROM STDIN"
        ) as copy:
            for official_id, unit, position in people:
                copy.write_row((tid, uuid.uuid4(), official_id, unit_ids[unit], position_ids[position], True, 1, START))
        with cur.copy(
            "COPY work_entries (tenant_id, id, official_id, work_date, item_id, item_version_id, quantity, state, "
            "quality, submitted_at, reviewed_at, late_working_days, auto_approved, source, created_at, updated_at) "
            "FROM STDIN"
        ) as copy:
            for official_id, _, _ in people:
                level = rng.gauss(6.2, 1.2)
                for day in month_days:
                    if rng.random() > 0.6:
                        continue
                    submitted = datetime.combine(day, clock(9, 30), UTC)
                    decided = working[min(len(working) - 1, working.index(day) + rng.randint(0, 2))]
                    returned = rng.random() < 0.04
                    copy.write_row((
                        tid, uuid.uuid4(), official_id, day, item.id, version_id,
                        round(min(11, max(0.5, rng.gauss(level, 0.8))), 1),
                        "returned" if returned else "approved", None if returned else "good",
                        submitted, datetime.combine(decided, clock(10), UTC), 0, False, "manual", submitted, submitted,
                    ))  # fmt: skip
                    entries += 1
        connection.commit()
    with tenant_scope(tid):
        mapping.set_mappings(_mapping_rows(units), by=admin)
        db.session.commit()
    return entries


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provinces", type=int, default=34)
    parser.add_argument("--officials", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args(argv)
    with fresh_app() as bench:
        print(f"machine: {_machine()}, PostgreSQL {bench.pg_version}")
        tenants, loaded = [], 0
        started = time.perf_counter()
        for number in range(1, args.provinces + 1):
            tenant = tenancy.create_tenant(
                slug=f"tinh-{number:02d}", name_vi=f"Tỉnh {number:02d}", name_en=f"P{number}", status="active"
            )
            loaded += load_province(bench.scratch.superuser, tenant, args.officials, number)
            tenants.append(tenant)
        bench.analyze()
        print(f"loaded {args.provinces} provinces x {args.officials} officials, {loaded} entries, "
              f"in {time.perf_counter() - started:.0f} s (COPY)")  # fmt: skip

        scoring, refresh = [], []
        for tenant in tenants:  # interleaved: each province's scoring, then its refresh
            with tenant_scope(tenant.id):
                scoring.append(_timed(lambda: (runs.run_period("month", MONTH), db.session.commit())))
                refresh.append(_timed(lambda: readmodel.refresh(MONTH, min_size=10, force=True)))
                db.session.rollback()
        print("\nper province (s)      median     mean      max")
        for label, values in (("scoring the month", scoring), ("refreshing its benchmark", refresh)):
            print(f"{label:22} {statistics.median(values):7.2f} {statistics.mean(values):8.2f} {max(values):8.2f}")
        ratios = [r / s for r, s in zip(refresh, scoring, strict=True)]
        print(f"refresh / scoring: median {statistics.median(ratios):.3f}, max {max(ratios):.3f}")

        with tenant_scope(SYSTEM_TENANT_ID):
            analyst = identity.create_principal(
                email="analyst@bench.vn", display_name="Phân tích", roles=["central_analyst"]
            )
            _, token = identity.issue_token(analyst, name="bench", days=1, max_days=365)
            db.session.commit()
        headers = {"Authorization": f"Bearer {token}"}
        client = bench.app.test_client()
        counter = StatementCounter(db.engine)
        door = StatementCounter(db.cross_tenant_engine) if db.cross_tenant_engine is not db.engine else counter
        urls = {
            "overview": f"/api/v1/benchmarking/overview?month={MONTH:%Y-%m}",
            "overview, communes": f"/api/v1/benchmarking/overview?month={MONTH:%Y-%m}&unit_kind=commune",
            "cells by sector": f"/api/v1/benchmarking/cells?month={MONTH:%Y-%m}&by=sector",
            "bare: /platform/me": "/api/v1/platform/me",
        }
        timings = {name: [] for name in urls}
        statements = {}
        for _ in range(5):
            for url in urls.values():
                assert client.get(url, headers=headers).status_code == 200
        for _ in range(args.requests):
            for name, url in urls.items():  # interleaved
                before = counter.count + (door.count if door is not counter else 0)
                t = _timed(lambda url=url: client.get(url, headers=headers))
                timings[name].append(t * 1000)
                statements[name] = counter.count + (door.count if door is not counter else 0) - before
        body = client.get(urls["overview"], headers=headers).get_json()
        assert len(body["provinces"]) == args.provinces and all(p["published"] for p in body["provinces"])
        bare = statistics.median(timings["bare: /platform/me"])
        print(f"\nrequest ({args.requests} each, interleaved)   median ms   p95 ms   SQL   / bare")
        for name, values in timings.items():
            values.sort()
            p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
            print(f"{name:34} {statistics.median(values):9.1f} {p95:8.1f} {statements[name]:5} "
                  f"{statistics.median(values) / bare:7.1f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
