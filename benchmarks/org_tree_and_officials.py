"""Benchmark: the org tree "as of a date", a merger of communes, and the officials lists.

A standalone script, not a test:

    .venv/bin/python benchmarks/org_tree_and_officials.py [--officials 5000] [--explain]

It creates a fresh PostgreSQL database and the app with common.fresh_app() (the app connects as
the non-owner app role, so row-level security applies) and two tenants of the same size. In each,
through the org service functions: a province of ~340 units (the root, 40 agencies with 5
divisions each, 100 communes), two job positions and N officials with a primary assignment each,
spread over the divisions and communes. In tenant A it then merges 20 communes into 10 new ones
from 2025-07-01 with service.reorganise(). It times the bulk calls and the merger, and then
requests made with Flask's test client as a provincial admin (in process: no network, no
gunicorn). With --explain it also prints EXPLAIN (ANALYZE, BUFFERS) of the slowest statement of
each request. The database is dropped at the end, also on error.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
import uuid
from datetime import date
from urllib.parse import quote

from common import StatementCounter, _machine, _measure, fresh_app
from sqlalchemy import event

from kpi_platform.context import tenant_scope
from kpi_platform.db import db
from kpi_platform.identity import service as identity
from kpi_platform.org import service, vietnamese
from kpi_platform.tenancy import service as tenancy

UNITS_FROM = date(2024, 1, 1)
STAFF_FROM = date(2025, 1, 1)
BEFORE = date(2025, 6, 1)  # a day before the merger
LAST_DAY_BEFORE = date(2025, 6, 30)
MERGER = date(2025, 7, 1)
MERGES = 10  # each merges two communes into a new one
SEARCH_Q = "nguyen van"  # typed without diacritics; matches "Nguyễn Văn …"

AGENCIES = [
    "Văn phòng Đoàn đại biểu Quốc hội và Hội đồng nhân dân tỉnh",
    "Văn phòng Ủy ban nhân dân tỉnh",
    "Thanh tra tỉnh",
    "Sở Nội vụ",
    "Sở Tài chính",
    "Sở Tư pháp",
    "Sở Xây dựng",
    "Sở Công Thương",
    "Sở Y tế",
    "Sở Giáo dục và Đào tạo",
    "Sở Khoa học và Công nghệ",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Nông nghiệp và Môi trường",
    "Sở Dân tộc và Tôn giáo",
    "Sở Ngoại vụ",
    "Ban Quản lý Khu kinh tế Vân Phong",
    "Ban Quản lý dự án đầu tư xây dựng các công trình giao thông",
    "Ban Quản lý dự án đầu tư xây dựng các công trình dân dụng và công nghiệp",
    "Ban Quản lý dự án phát triển tỉnh",
    "Ban Quản lý Vịnh Nha Trang",
    "Trung tâm Phục vụ hành chính công tỉnh",
    "Đài Phát thanh và Truyền hình tỉnh",
    "Trường Chính trị tỉnh",
    "Quỹ Đầu tư phát triển tỉnh",
    "Chi cục Thủy lợi",
    "Chi cục Kiểm lâm",
    "Chi cục Chăn nuôi và Thú y",
    "Chi cục Trồng trọt và Bảo vệ thực vật",
    "Chi cục Thủy sản và Biển đảo",
    "Chi cục Quản lý đất đai",
    "Chi cục Bảo vệ môi trường",
    "Chi cục Dân số",
    "Chi cục An toàn vệ sinh thực phẩm",
    "Chi cục Giám định xây dựng",
    "Trung tâm Công nghệ thông tin và Truyền thông",
    "Trung tâm Xúc tiến đầu tư, Thương mại và Du lịch",
    "Trung tâm Kiểm soát bệnh tật tỉnh",
    "Trung tâm Dịch vụ việc làm tỉnh",
    "Trung tâm Lưu trữ lịch sử tỉnh",
    "Văn phòng Đăng ký đất đai tỉnh",
]
DIVISIONS = [
    ("VP", "Văn phòng"),
    ("TTR", "Thanh tra"),
    ("KHTC", "Phòng Kế hoạch - Tài chính"),
    ("TCCB", "Phòng Tổ chức cán bộ"),
    ("NV", "Phòng Nghiệp vụ"),
]
COMMUNE_FIRST = ["Phước", "Cam", "Ninh", "Diên", "Vạn", "Khánh", "Suối", "Tân", "Hòa", "Đồng"]
COMMUNE_SECOND = ["Hải", "Lâm", "Hòa", "An", "Thạnh", "Phú", "Sơn", "Bình", "Lợi", "Trung"]

# Family names with rough Vietnamese frequencies; middle and given names by gender.
FAMILY = [
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 4),
    ("Huỳnh", 4),
    ("Phan", 4),
    ("Vũ", 3),
    ("Võ", 3),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 2),
    ("Ngô", 2),
    ("Dương", 1),
    ("Lý", 1),
]
MIDDLE_M = ["Văn", "Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Công", "Xuân", "Đình"]
MIDDLE_F = ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Mỹ", "Kim", "Bích", "Hồng"]
GIVEN_M = [
    "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hùng", "Huy", "Khánh",
    "Long", "Minh", "Nam", "Phong", "Quân", "Sơn", "Thắng", "Trung", "Tuấn", "Việt",
]  # fmt: skip
GIVEN_F = [
    "Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh",
    "Mai", "Ngân", "Nhung", "Phương", "Quyên", "Thảo", "Trang", "Uyên", "Vy", "Yến",
]  # fmt: skip
SECOND_MIDDLE_F = ["Thu", "Ngọc", "Minh", "Hoài", "Phương"]


def _unit_rows(province: str) -> list[dict]:
    rows = [{"code": "T", "name_vi": f"Ủy ban nhân dân tỉnh {province}", "kind": "province", "parent_code": None}]
    for a, agency in enumerate(AGENCIES, start=1):
        code = f"S{a:02d}"
        rows.append({"code": code, "name_vi": agency, "kind": "agency", "parent_code": "T"})
        for suffix, division in DIVISIONS:
            rows.append(
                {
                    "code": f"{code}-{suffix}",
                    "name_vi": f"{division} - {agency}",
                    "kind": "division",
                    "parent_code": code,
                }
            )
    c = 0
    for first in COMMUNE_FIRST:
        for second in COMMUNE_SECOND:
            c += 1
            prefix = "Phường" if c % 4 == 0 else "Xã"
            rows.append(
                {"code": f"X{c:03d}", "name_vi": f"{prefix} {first} {second}", "kind": "commune", "parent_code": "T"}
            )
    for row in rows:
        row["valid_from"] = UNITS_FROM
    return rows


def _full_name(rng: random.Random) -> str:
    family = rng.choices([f for f, _ in FAMILY], weights=[w for _, w in FAMILY])[0]
    if rng.random() < 0.5:
        return f"{family} {rng.choice(MIDDLE_M)} {rng.choice(GIVEN_M)}"
    middle = rng.choice(MIDDLE_F)
    if rng.random() < 0.15:  # "Nguyễn Thị Thu Hà"
        middle += " " + rng.choice(SECOND_MIDDLE_F)
    return f"{family} {middle} {rng.choice(GIVEN_F)}"


def _official_rows(n: int, staff_prefix: str, unit_codes: list[str], seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [
        {
            "staff_code": f"{staff_prefix}{i + 1:06d}",
            "full_name": _full_name(rng),
            "employment_kind": "cong_chuc",
            "unit_code": unit_codes[i % len(unit_codes)],
            "position_code": "LD" if i % 12 == 0 else "CV",
            "valid_from": STAFF_FROM,
        }
        for i in range(n)
    ]


def _build_tenant(tenant, n: int, province: str, staff_prefix: str, seed: int, counter: StatementCounter) -> dict:
    """Units, positions and officials through the service, committed. Returns timings and what was built."""
    unit_rows = _unit_rows(province)
    staffed = [r["code"] for r in unit_rows if r["kind"] in ("division", "commune")]
    official_rows = _official_rows(n, staff_prefix, staffed, seed)
    with tenant_scope(tenant.id):
        started, statements = time.perf_counter(), counter.count
        units = service.bulk_create_units(unit_rows)
        db.session.commit()
        units_s, units_sql = time.perf_counter() - started, counter.count - statements
        service.create_position(code="CV", name_vi="Chuyên viên", category="professional")
        service.create_position(code="LD", name_vi="Trưởng phòng", category="leadership")
        db.session.commit()
        started, statements = time.perf_counter(), counter.count
        officials = service.bulk_create_officials(official_rows)
        call_s = time.perf_counter() - started
        db.session.commit()
        officials_s, officials_sql = time.perf_counter() - started, counter.count - statements
        assert len(units) == len(unit_rows) and len(officials) == n
        ids = {u.code: u.id for u in units}
    db.session.remove()
    return {
        "unit_rows": unit_rows,
        "official_rows": official_rows,
        "ids": ids,
        "units_s": units_s,
        "units_sql": units_sql,
        "officials_sql": officials_sql,
        "officials_call_s": call_s,
        "officials_s": officials_s,
    }


def _merge(tenant, built: dict, counter: StatementCounter) -> dict:
    """Ten new communes from MERGER, each the merger of two old ones (X001+X002 -> XM01, ...)."""
    ids = built["ids"]
    merges, pairs = [], []
    with tenant_scope(tenant.id):
        for m in range(1, MERGES + 1):
            a, b = f"X{2 * m - 1:03d}", f"X{2 * m:03d}"
            name = next(r["name_vi"] for r in built["unit_rows"] if r["code"] == a)
            target = service.create_unit(
                code=f"XM{m:02d}",
                name_vi=name.replace("Xã", "Phường") + " (mới)",
                kind="commune",
                parent_id=ids["T"],
                valid_from=MERGER,
            )
            ids[target.code] = target.id
            merges.append({"sources": [ids[a], ids[b]], "target": target.id})  # units by id (or code)
            pairs.append((a, b, target.code))
        db.session.commit()
        started, statements = time.perf_counter(), counter.count
        summary = service.reorganise(
            effective_date=MERGER, reason="Nghị quyết sắp xếp đơn vị hành chính cấp xã năm 2025", merges=merges
        )
        call_s = time.perf_counter() - started
        db.session.commit()
        total_s, sql = time.perf_counter() - started, counter.count - statements
    db.session.remove()
    return {"summary": summary, "pairs": pairs, "call_s": call_s, "total_s": total_s, "sql": sql}


class SlowestStatement:
    """Remembers the slowest statement (and its parameters) sent while `armed`."""

    def __init__(self, engine) -> None:
        self.armed = False
        self.slowest: tuple[float, str, object] | None = None
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not self.armed or executemany:
            return
        elapsed = (time.perf_counter() - conn.info.pop("bench_started")) * 1000
        if self.slowest is None or elapsed > self.slowest[0]:
            self.slowest = (elapsed, statement, parameters)


def _explain(client, url: str, headers: dict, tenant_id: uuid.UUID, recorder: SlowestStatement) -> str:
    recorder.slowest = None
    recorder.armed = True
    try:
        client.get(url, headers=headers)
    finally:
        recorder.armed = False
    elapsed, statement, parameters = recorder.slowest
    with tenant_scope(tenant_id):
        plan = db.session.connection().exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        lines = [row[0] for row in plan]
        db.session.rollback()
    db.session.remove()
    return f"slowest statement {elapsed:.2f} ms:\n{statement}\n-- params {parameters}\n" + "\n".join(lines)


def _total(response) -> int:
    return json.loads(response.headers["X-Pagination"])["total"]


def _tree_codes(nodes: list[dict]) -> list[str]:
    codes = []
    for node in nodes:
        codes.append(node["unit"]["code"])
        codes.extend(_tree_codes(node["children"]))
    return codes


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError("sanity check failed: " + message)


def run(n: int, list_runs: int, org_runs: int, explain: bool) -> None:
    total_started = time.perf_counter()
    with fresh_app() as bench:
        suffix = uuid.uuid4().hex[:6]
        tenant_a = tenancy.create_tenant(
            slug=f"bench-a-{suffix}", name_vi="Tỉnh Khánh Hòa", name_en="Khanh Hoa", status="active"
        )
        tenant_b = tenancy.create_tenant(
            slug=f"bench-b-{suffix}", name_vi="Tỉnh Lâm Đồng", name_en="Lam Dong", status="active"
        )
        counter = StatementCounter(db.engine)
        a = _build_tenant(tenant_a, n, "Khánh Hòa", "KH", seed=1, counter=counter)
        b = _build_tenant(tenant_b, n, "Lâm Đồng", "LD", seed=2, counter=counter)
        merger = _merge(tenant_a, a, counter)
        with tenant_scope(tenant_a.id):
            admin_principal = identity.create_principal(
                email="admin@khanhhoa.gov.vn", display_name="Quản trị Khánh Hòa", roles=["provincial_admin"]
            )
            _, raw = identity.issue_token(admin_principal, name="bench", days=30, max_days=365)
            db.session.commit()
        db.session.remove()
        bench.analyze()

        # What the answers should be, from the rows sent.
        ids = a["ids"]
        units_by_code = {r["code"]: r for r in a["unit_rows"]}
        staff_per_unit: dict[str, int] = {}
        for row in a["official_rows"]:
            staff_per_unit[row["unit_code"]] = staff_per_unit.get(row["unit_code"], 0) + 1
        agency = "S04"  # Sở Nội vụ
        agency_staff = sum(c for code, c in staff_per_unit.items() if code.startswith(agency + "-"))
        merged_codes = {code for pair in merger["pairs"] for code in pair[:2]}
        target_codes = {pair[2] for pair in merger["pairs"]}
        moved = sum(staff_per_unit.get(code, 0) for code in merged_codes)
        member_unit = merger["pairs"][0][0]
        search_hits = sum(SEARCH_Q in vietnamese.fold(r["full_name"]) for r in a["official_rows"])
        units_before = len(a["unit_rows"])
        units_after = units_before - len(merged_codes) + len(target_codes)
        _check(merger["summary"]["merged_units"] == len(merged_codes), f"merger summary {merger['summary']}")
        _check(merger["summary"]["transferred_assignments"] == moved, f"{merger['summary']}, expected {moved} moved")

        recorder = SlowestStatement(db.engine) if explain else None
        client = bench.app.test_client()
        headers = {"Authorization": f"Bearer {raw}"}
        base = f"/api/v1/t/{tenant_a.slug}"
        last_page = math.ceil(n / 100)
        requests = [
            ("a", "GET /officials page 1, 50/page", "/officials?page_size=50", list_runs),
            (
                "b",
                f"GET /officials page {last_page}, 100/page (last)",
                f"/officials?page={last_page}&page_size=100",
                list_runs,
            ),
            ("c", f"GET /officials?q={SEARCH_Q}, 50/page", f"/officials?q={quote(SEARCH_Q)}&page_size=50", list_runs),
            (
                "d",
                f"GET /officials?unit_id=<{agency}>&as_of={BEFORE}, 50/page",
                f"/officials?unit_id={ids[agency]}&as_of={BEFORE}&page_size=50",
                list_runs,
            ),
            (
                "e",
                f"GET /org/units/<root>/descendants?as_of={BEFORE}",
                f"/org/units/{ids['T']}/descendants?as_of={BEFORE}",
                org_runs,
            ),
            ("f1", f"GET /org/tree?as_of={BEFORE}", f"/org/tree?as_of={BEFORE}", org_runs),
            ("f2", f"GET /org/tree?as_of={MERGER}", f"/org/tree?as_of={MERGER}", org_runs),
            (
                "g",
                f"GET /org/units/<{member_unit}>/members?as_of={LAST_DAY_BEFORE}&page_size=100",
                f"/org/units/{ids[member_unit]}/members?as_of={LAST_DAY_BEFORE}&page_size=100",
                org_runs,
            ),
            ("h", f"GET /org/units?page_size=100&as_of={MERGER}", f"/org/units?page_size=100&as_of={MERGER}", org_runs),
        ]
        results = {}
        for key, label, path, runs in requests:
            m = _measure(client, base + path, headers, runs, counter)
            response = m["response"]
            body = response.get_json()
            m["label"] = label
            m["kb"] = len(response.get_data()) / 1024
            if "X-Pagination" in response.headers:
                m["size"] = f"{len(body)} of {_total(response)}"
            elif key.startswith("f"):
                m["size"] = f"{len(_tree_codes(body))} units"
            else:
                m["size"] = f"{len(body)}"
            results[key] = m

        # Sanity: tenant A's rows only, and the counts the rows sent imply.
        r = {key: m["response"] for key, m in results.items()}
        _check(_total(r["a"]) == n, f"tenant A lists {_total(r['a'])} officials, expected {n}")
        _check(len(r["b"].get_json()) == n - (last_page - 1) * 100, "last page size")
        _check(
            all(o["staff_code"].startswith("KH") for key in "abcd" for o in r[key].get_json()),
            "tenant B's officials showed up in tenant A",
        )
        _check(_total(r["c"]) == search_hits, f"search found {_total(r['c'])}, expected {search_hits}")
        _check(
            all(SEARCH_Q in vietnamese.fold(o["full_name"]) for o in r["c"].get_json()), "search returned a non-match"
        )
        _check(_total(r["d"]) == agency_staff, f"subtree listing {_total(r['d'])}, expected {agency_staff}")
        descendants = r["e"].get_json()
        _check(len(descendants) == units_before - 1, f"{len(descendants)} descendants, expected {units_before - 1}")
        before, after = set(_tree_codes(r["f1"].get_json())), set(_tree_codes(r["f2"].get_json()))
        _check(len(before) == units_before and len(after) == units_after, f"tree {len(before)} -> {len(after)} units")
        _check(before - after == merged_codes and after - before == target_codes, "tree difference across the merger")
        members = r["g"].get_json()
        _check(
            len(members) == staff_per_unit[member_unit],
            f"{len(members)} members, expected {staff_per_unit[member_unit]}",
        )
        _check(_total(r["h"]) == units_after, f"/org/units lists {_total(r['h'])} units, expected {units_after}")
        target = merger["pairs"][0][2]
        merged_in = client.get(
            f"{base}/org/units/{ids[target]}/members?as_of={MERGER}&page_size=100", headers=headers
        ).get_json()
        expected_in = staff_per_unit[merger["pairs"][0][0]] + staff_per_unit[merger["pairs"][0][1]]
        _check(
            len(merged_in) == expected_in,
            f"{len(merged_in)} members of {target} after the merger, expected {expected_in}",
        )
        _check(units_by_code[agency]["kind"] == "agency", "agency code")

        print()
        print(
            f"kpi-platform org benchmark — N = {n} officials per tenant (2 tenants), {units_before} units, "
            f"PostgreSQL {bench.pg_version}"
        )
        print(f"machine: {_machine()}")
        print(
            f"bulk_create_units ({units_before} rows) + commit: A {a['units_s']:.2f} s, B {b['units_s']:.2f} s; "
            f"{a['units_sql']} statements"
        )
        print(
            f"bulk_create_officials (N rows): A {a['officials_call_s']:.2f} s, B {b['officials_call_s']:.2f} s; "
            f"with the commit A {a['officials_s']:.2f} s, B {b['officials_s']:.2f} s; {a['officials_sql']} statements"
        )
        print(
            f"reorganise, {MERGES} merges of 2 communes: {merger['call_s']:.2f} s, with the commit "
            f"{merger['total_s']:.2f} s; {merger['sql']} statements; summary {merger['summary']}"
        )
        print()
        print(
            f"{'request':<62} {'runs':>5} {'median ms':>10} {'p95 ms':>8} {'SQL/req':>8} {'SQL ms':>7} "
            f"{'items':>12} {'KB':>6}"
        )
        print("-" * 125)
        for key, _, _, _ in requests:
            m = results[key]
            print(
                f"{'(' + key + ') ' + m['label']:<62} {m['n']:>5} {m['median']:>10.2f} {m['p95']:>8.2f} "
                f"{m['sql']:>8.1f} {m['sql_ms']:>7.2f} {m['size']:>12} {m['kb']:>6.1f}"
            )
        print()
        print(
            f"checks passed: {n} officials in A; search {search_hits} hits; {agency} subtree {agency_staff}; "
            f"{units_before - 1} descendants; tree {units_before} -> {units_after} units; {moved} assignments moved"
        )
        if explain:
            for key, _, path, _ in requests:
                print()
                print(f"==== ({key}) {path}")
                print(_explain(client, base + path, headers, tenant_a.id, recorder))
        print()
        print(f"total run time {time.perf_counter() - total_started:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officials", type=int, default=5000, help="officials per tenant (default 5000)")
    parser.add_argument("--list-runs", type=int, default=100, help="timed runs of each /officials request")
    parser.add_argument("--org-runs", type=int, default=50, help="timed runs of each /org request")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest statement of each request")
    args = parser.parse_args(argv)
    if args.officials < 300:
        parser.error("--officials must be at least 300 (one per division and commune, for the checks)")
    run(args.officials, args.list_runs, args.org_runs, args.explain)
    return 0


if __name__ == "__main__":
    sys.exit(main())
