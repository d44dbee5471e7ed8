"""Benchmark: token authentication under RLS, and the principals list/search/deep pages.

A standalone script, not a test:

    .venv/bin/python benchmarks/auth_and_lists.py [--principals 5000]

It creates a fresh PostgreSQL database and the app with common.fresh_app() (as tests/conftest.py
does: the app and cross-tenant roles, a non-superuser owner `kpi_owner`, migrations run as the
owner; the app connects as the non-owner app role, so row-level security applies), creates two
tenants through the tenant service, bulk-inserts N accounts into each (one executemany per
table), and times requests made with Flask's test client (in process: no network, no gunicorn).
The database is dropped at the end, also on error.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import uuid

from common import StatementCounter, _machine, _measure, _timed_once, fresh_app
from sqlalchemy import insert

from kpi_platform.context import tenant_scope
from kpi_platform.db import db, utcnow
from kpi_platform.identity import service as identity
from kpi_platform.identity.models import Principal, PrincipalRole
from kpi_platform.tenancy import service as tenancy

FAMILY = ["nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui", "do"]
FAMILY_VI = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = [("van", "Văn"), ("thi", "Thị"), ("duc", "Đức"), ("minh", "Minh"), ("ngoc", "Ngọc")]
GIVEN = [
    ("an", "An"),
    ("binh", "Bình"),
    ("chi", "Chi"),
    ("dung", "Dũng"),
    ("hoa", "Hoa"),
    ("hung", "Hùng"),
    ("lan", "Lan"),
    ("long", "Long"),
    ("mai", "Mai"),
    ("nam", "Nam"),
    ("phuong", "Phương"),
    ("son", "Sơn"),
]
ROLES_CYCLE = ["official", "official", "official", "official", "manager", "unit_head", "support_staff"]
SEARCH_Q = "pham"  # one family name in twelve: about N/12 matches, searched with a leading wildcard


def _rows(tenant_id: uuid.UUID, n: int, domain: str) -> tuple[list[dict], list[dict]]:
    now = utcnow()
    principals, roles = [], []
    for i in range(n):
        f = i % len(FAMILY)
        m = (i // len(FAMILY)) % len(MIDDLE)
        g = (i // (len(FAMILY) * len(MIDDLE))) % len(GIVEN)
        pid = uuid.uuid4()
        principals.append(
            {
                "tenant_id": tenant_id,
                "id": pid,
                "email": f"{FAMILY[f]}.{MIDDLE[m][0]}.{GIVEN[g][0]}.{i}@{domain}",
                "display_name": f"{FAMILY_VI[f]} {MIDDLE[m][1]} {GIVEN[g][1]}",
                "status": "active",
                "created_at": now,
                "updated_at": now,
            }
        )
        roles.append({"tenant_id": tenant_id, "principal_id": pid, "role": ROLES_CYCLE[i % len(ROLES_CYCLE)]})
    return principals, roles


def _bulk_insert(tenant_id: uuid.UUID, n: int, domain: str) -> float:
    principals, roles = _rows(tenant_id, n, domain)
    started = time.perf_counter()
    with tenant_scope(tenant_id):
        # One executemany per table (SQLAlchemy sends it as multi-row INSERTs), under the tenant's RLS.
        db.session.execute(insert(Principal), principals)
        db.session.execute(insert(PrincipalRole), roles)
        db.session.commit()
    return time.perf_counter() - started


def run(n: int, me_requests: int, list_requests: int, deep_requests: int) -> None:
    total_started = time.perf_counter()
    with fresh_app() as bench:
        suffix = uuid.uuid4().hex[:6]
        tenant_a = tenancy.create_tenant(
            slug=f"bench-a-{suffix}", name_vi="Tỉnh A", name_en="Province A", status="active"
        )
        tenant_b = tenancy.create_tenant(
            slug=f"bench-b-{suffix}", name_vi="Tỉnh B", name_en="Province B", status="active"
        )
        insert_a = _bulk_insert(tenant_a.id, n, "a.example.vn")
        insert_b = _bulk_insert(tenant_b.id, n, "b.example.vn")
        with tenant_scope(tenant_a.id):
            admin_principal = identity.create_principal(
                email="admin@a.example.vn", display_name="Quản trị A", roles=["provincial_admin"]
            )
            _, raw = identity.issue_token(admin_principal, name="bench", days=30, max_days=365)
            db.session.commit()
        db.session.remove()
        bench.analyze()

        counter = StatementCounter(db.engine)
        client = bench.app.test_client()
        headers = {"Authorization": f"Bearer {raw}"}
        base = f"/api/v1/t/{tenant_a.slug}"

        me = _measure(client, f"{base}/me", headers, me_requests, counter)
        page1 = _measure(client, f"{base}/principals?page=1&page_size=50", headers, list_requests, counter)
        search = _measure(
            client, f"{base}/principals?q={SEARCH_Q}&page=1&page_size=50", headers, list_requests, counter
        )
        total_a = n + 1  # the bulk rows and the admin
        last_page = math.ceil(total_a / 100)
        deep_url = f"{base}/principals?page={last_page}&page_size=100"
        first_deep, deep_sql, deep_response = _timed_once(client, deep_url, headers, counter)
        deep = _measure(client, deep_url, headers, deep_requests, counter)

        # Sanity: the list shows A's accounts only, with the expected totals.
        item_count = json.loads(page1["response"].headers["X-Pagination"])["total"]
        search_count = json.loads(search["response"].headers["X-Pagination"])["total"]
        if item_count != total_a:
            raise RuntimeError(f"tenant A lists {item_count} accounts, expected {total_a}")
        if any("b.example.vn" in row["email"] for row in deep_response.get_json()):
            raise RuntimeError("tenant B's rows showed up in tenant A's list")

        rows = [
            ("GET /me (token auth + RLS)", me),
            ("GET /principals page 1, 50/page", page1),
            (f"GET /principals?q={SEARCH_Q} ({search_count} hits), 50/page", search),
            (f"GET /principals page {last_page}, 100/page (offset {(last_page - 1) * 100})", deep),
        ]
        print()
        print(f"kpi-platform benchmark — N = {n} principals per tenant (2 tenants), PostgreSQL {bench.pg_version}")
        print(f"machine: {_machine()}")
        print(f"bulk insert of N principals + N role rows: A {insert_a:.2f} s, B {insert_b:.2f} s")
        print()
        print(f"{'request':<58} {'runs':>5} {'median ms':>10} {'p95 ms':>8} {'SQL/req':>8}")
        print("-" * 93)
        for label, m in rows:
            print(f"{label:<58} {m['n']:>5} {m['median']:>10.2f} {m['p95']:>8.2f} {m['sql']:>8.1f}")
        print(f"{'first (cold) request of the last page above':<58} {1:>5} {first_deep:>10.2f} {'':>8} {deep_sql:>8}")
        print()
        print(f"total run time {time.perf_counter() - total_started:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--principals", type=int, default=5000, help="accounts per tenant (default 5000)")
    parser.add_argument("--me-requests", type=int, default=300)
    parser.add_argument("--list-requests", type=int, default=100)
    parser.add_argument("--deep-requests", type=int, default=20)
    args = parser.parse_args(argv)
    run(args.principals, args.me_requests, args.list_requests, args.deep_requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
