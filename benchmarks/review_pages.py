"""Benchmark: what a manager's end-of-day review costs on the pages — requests, clicks and time — for a
team of 10 officials who logged about 60 entries that day.

A standalone script, not a test:

    .venv/bin/python benchmarks/review_pages.py [--people 10] [--per-person 6] [--runs 20] [--no-browser]

It creates a fresh PostgreSQL database with common.fresh_app() (the app connects as the non-owner app
role, so row-level security applies) and, through the services, one tenant with a division of
`--people` officials and its head, 12 approved group B items in their job description, 30 days of
approved history (one member seldom gives a document number, so an anomaly flag has something to
find) and today's `--per-person` entries each, submitted.

1. In process (Flask's test client, no network): the review page (GET /t/<t>/review) and the one
   POST that approves every ticked entry and returns one with a reason, timed `--runs` times (the day
   set back to submitted between runs), with SQL statements per request and the page's size.
2. In a browser (Debian's chromium via Playwright, unless --no-browser or it is missing): the
   reviewer opens the queue, reads the flagged entries and ticks them, opens "Trả lại…" on one entry,
   writes the reason, presses "Duyệt các mục đã chọn". Every request the browser makes and every click
   is counted; the wall time is measured from opening the page to the confirmation.

The database is dropped at the end, also on error.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from common import StatementCounter, _machine, fresh_app
from sqlalchemy import update

from kpi_platform.catalog import job_descriptions
from kpi_platform.catalog import service as catalog
from kpi_platform.context import tenant_scope
from kpi_platform.db import db
from kpi_platform.identity import service as identity
from kpi_platform.identity import sessions
from kpi_platform.org import service as org
from kpi_platform.tenancy import service as tenancy
from kpi_platform.worklog import calendar
from kpi_platform.worklog import service as worklog
from kpi_platform.worklog.models import EntryState, WorkEntry

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START = date(2025, 1, 1)
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Đức", "Hạnh", "Hùng", "Lan", "Long", "Mai", "Nam", "Oanh", "Phúc"]
ITEMS = [  # (name, norm minutes)
    ("Soạn thảo văn bản hành chính thông thường", 60),
    ("Xử lý văn bản đến trên hệ thống quản lý văn bản", 10),
    ("Tham mưu văn bản trả lời kiến nghị của công dân", 120),
    ("Tổng hợp, xây dựng báo cáo định kỳ", 240),
    ("Tham dự cuộc họp, hội nghị", 120),
    ("Thẩm định hồ sơ tuyển dụng", 90),
    ("Kiểm tra hồ sơ thủ tục hành chính", 45),
    ("Cập nhật cơ sở dữ liệu cán bộ", 30),
    ("Trả lời điện thoại, tiếp công dân", 20),
    ("Rà soát văn bản quy phạm pháp luật", 180),
    ("Chuẩn bị tài liệu cuộc họp", 60),
    ("Nhiệm vụ đột xuất do lãnh đạo giao", 120),
]
TIMEOUTS = sessions.Timeouts(idle=timedelta(minutes=30), absolute=timedelta(hours=10))


def build(people: int, per_person: int) -> dict:
    """The tenant, through the services, committed."""
    tenant = tenancy.create_tenant(slug="duyet-bench", name_vi="Tỉnh Đo Đạc", name_en="Bench", status="active")
    today = tenancy.local_today(tenant)
    chance = random.Random(7)
    with tenant_scope(tenant.id):
        if not calendar.is_working_day(today):
            calendar.set_day(today, "working", "Ngày làm bù")
        root = org.create_unit(code="T", name_vi="UBND tỉnh", kind="province", parent_id=None, valid_from=START)
        agency = org.create_unit(code="SNV", name_vi="Sở Nội vụ", kind="agency", parent_id=root.id, valid_from=START)
        division = org.create_unit(
            code="SNV-TCCB", name_vi="Phòng Tổ chức cán bộ", kind="division", parent_id=agency.id, valid_from=START
        )
        lead = org.create_position(code="TP", name_vi="Trưởng phòng", category="leadership")
        staff = org.create_position(code="CV", name_vi="Chuyên viên", category="professional")
        head_official = org.create_official(
            staff_code="TP001",
            full_name="Phạm Văn Trưởng",
            employment_kind="cong_chuc",
            assignment={"unit_id": division.id, "position_id": lead.id, "valid_from": START},
        )
        org.set_unit_head(division.id, head_official.id, effective_date=START)
        members = [
            org.create_official(
                staff_code=f"CV{n:03d}",
                full_name=f"{SURNAMES[n % len(SURNAMES)]} Thị {GIVEN[n % len(GIVEN)]} {n}",
                employment_kind="cong_chuc",
                assignment={"unit_id": division.id, "position_id": staff.id, "valid_from": START},
            ).id
            for n in range(people)
        ]
        admin = identity.create_principal(email="qt@bench.vn", display_name="Quản trị", roles=["provincial_admin"])
        committee = identity.create_principal(email="bcd@bench.vn", display_name="BCĐ", roles=["steering_committee"])
        head = identity.create_principal(email="tp@bench.vn", display_name="Phạm Văn Trưởng", roles=["unit_head"])
        org.update_official(head_official.id, {"principal_id": head.id})
        items = []
        for number, (name, norm) in enumerate(ITEMS, start=1):
            item = catalog.create_item(
                code=f"B-{number:02d}",
                group="B",
                by=admin,
                valid_from=START,
                name_vi=name,
                output_unit="văn bản",
                norm_minutes=norm,
                complexity="normal",
            )
            catalog.submit(item.id, by=admin)
            catalog.approve(item.id, by=committee)
            items.append((item.id, catalog.version_on(item.id, today).id, norm))
        jd = job_descriptions.create(
            position_id=staff.id,
            agency_id=None,
            lines_=[{"item_id": i} for i, _, _ in items],
            valid_from=START,
            by=admin,
        )
        job_descriptions.submit(jd.id, by=admin)
        job_descriptions.approve(jd.id, by=committee)
        # 30 days of approved history, set-based; member 0 seldom gives a document number.
        history = []
        for day in calendar.working_days(today - timedelta(days=30), today - timedelta(days=1)):
            for index, official_id in enumerate(members):
                for item_id, version_id, _ in chance.sample(items, 5):
                    evidence = None if index == 0 and chance.random() < 0.8 else f"{len(history)}/SNV"
                    history.append(
                        WorkEntry(
                            official_id=official_id,
                            work_date=day,
                            item_id=item_id,
                            item_version_id=version_id,
                            quantity=Decimal(1),
                            state=EntryState.approved,
                            quality="good",
                            evidence_ref=evidence,
                        )
                    )
        db.session.add_all(history)
        db.session.commit()
        # Today: `per_person` entries each, logged and submitted through the service (within the day's cap).
        for index, official_id in enumerate(members):
            minutes, logged = 0, 0
            for item_id, _, norm in chance.sample(items, len(items)):
                if logged == per_person or minutes + norm > 600:
                    continue
                minutes, logged = minutes + norm, logged + 1
                evidence = None if index == 0 else f"{index}-{item_id.hex[:6]}/SNV"
                worklog.log_work(official_id, today, item_id, 1, today=today, evidence_ref=evidence, submit=True)
        db.session.commit()
    return {"tenant": tenant, "today": today, "head": head.id}


def sign_in_client(client, tenant, principal_id) -> None:
    with tenant_scope(tenant.id):
        _, secret = sessions.start(
            identity.get_principal(principal_id), method="sso", timeouts=TIMEOUTS, id_token=None, user_agent="bench"
        )
        db.session.commit()
    with client.session_transaction() as cookie:
        cookie["logins"] = {tenant.id.hex: secret}


def reset_day(tenant, today) -> None:
    with tenant_scope(tenant.id):
        db.session.execute(
            update(WorkEntry)
            .where(WorkEntry.work_date == today)
            .values(state=EntryState.submitted, quality=None, reviewed_by=None, reviewed_at=None, return_reason=None)
        )
        db.session.commit()


def decisions_form(page: str) -> tuple[dict, int, int]:
    """What the browser posts after the reviewer ticked the flagged entries and returned the first one."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    ids = re.findall(r'name="entry" value="([^"]+)"', page)
    ticked = re.findall(r'name="approve" value="([^"]+)" id="[^"]+" checked', page)
    flagged = len(ids) - len(ticked)
    returned = ids[0]
    form = {
        "csrf_token": token,
        "entry": ids,
        "approve": [i for i in ids if i != returned],
        "quality": "good",
        f"reason-{returned}": "Thiếu số văn bản; bổ sung số, ký hiệu văn bản.",
        "action": "approve",
    }
    return form, len(ids), flagged


def in_process(bench, world, runs: int) -> dict:
    app = bench.app
    counter = StatementCounter(db.engine)
    client = app.test_client()
    tenant, today = world["tenant"], world["today"]
    sign_in_client(client, tenant, world["head"])
    url = f"/t/{tenant.slug}/review"
    for _ in range(3):
        client.get(url)  # warm-up
    gets, posts, get_sql, post_sql = [], [], [], []
    size = entries = flagged = 0
    for _ in range(runs):
        before = counter.count
        started = time.perf_counter()
        response = client.get(url)
        gets.append((time.perf_counter() - started) * 1000)
        get_sql.append(counter.count - before)
        page = response.get_data(as_text=True)
        size = len(response.get_data())
        form, entries, flagged = decisions_form(page)
        before = counter.count
        started = time.perf_counter()
        response = client.post(url, data=form)
        posts.append((time.perf_counter() - started) * 1000)
        post_sql.append(counter.count - before)
        if response.status_code != 302:
            raise RuntimeError(f"POST {url} -> {response.status_code}: {response.get_data(as_text=True)[:500]}")
        after = client.get(url).get_data(as_text=True)
        if "Đã duyệt" not in after or "Không có công việc nào chờ bạn duyệt." not in after:
            raise RuntimeError("the review did not go through")
        reset_day(tenant, today)
    return {
        "entries": entries,
        "flagged": flagged,
        "page_kb": size / 1024,
        "get_ms": statistics.median(gets),
        "get_p95": sorted(gets)[int(0.95 * (len(gets) - 1))],
        "get_sql": statistics.median(get_sql),
        "post_ms": statistics.median(posts),
        "post_p95": sorted(posts)[int(0.95 * (len(posts) - 1))],
        "post_sql": statistics.median(post_sql),
    }


def in_browser(bench, world) -> dict | None:
    if not CHROMIUM.exists():
        return None
    from playwright.sync_api import expect, sync_playwright
    from werkzeug.serving import make_server

    app = bench.app
    tenant = world["tenant"]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}/t/{tenant.slug}"
    with tenant_scope(tenant.id):
        _, secret = sessions.start(
            identity.get_principal(world["head"]), method="sso", timeouts=TIMEOUTS, id_token=None, user_agent="bench"
        )
        db.session.commit()
    cookie = app.session_interface.get_signing_serializer(app).dumps({"logins": {tenant.id.hex: secret}})
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            context = chromium.new_context(viewport={"width": 1280, "height": 900})
            context.add_cookies(
                [{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie, "domain": "127.0.0.1", "path": "/",
                  "secure": bool(app.config["SESSION_COOKIE_SECURE"]), "httpOnly": True, "sameSite": "Lax"}]
            )  # fmt: skip
            page = context.new_page()
            requests = []
            page.on("request", lambda request: requests.append(f"{request.method} {request.url.split('?')[0]}"))
            clicks = 0
            started = time.perf_counter()
            page.goto(f"{base}/review")
            shown = time.perf_counter()
            unticked = page.locator("input[name=approve]:not(:checked)").evaluate_all("boxes => boxes.map(b => b.id)")
            for box in unticked:  # the flagged entries: read, then tick
                page.locator(f"#{box}").click()
                clicks += 1
            row = page.locator("ul.entries > li").first
            row.get_by_text("Trả lại…").click()
            clicks += 1
            row.locator("textarea").fill("Thiếu số văn bản; bổ sung số, ký hiệu văn bản.")
            page.get_by_role("button", name=re.compile("Duyệt các mục đã chọn")).click()
            clicks += 1
            expect(page.locator(".flash-ok")).to_contain_text("Đã duyệt")
            done = time.perf_counter()
            confirmation = page.locator(".flash-ok").inner_text()
            chromium.close()
    finally:
        server.shutdown()
        thread.join(timeout=10)
    return {
        "requests": requests,
        "clicks": clicks,
        "open_ms": (shown - started) * 1000,
        "total_ms": (done - started) * 1000,
        "confirmation": confirmation,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10)
    parser.add_argument("--per-person", type=int, default=6)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    with fresh_app() as bench:
        world = build(args.people, args.per_person)
        bench.analyze()
        figures = in_process(bench, world, args.runs)
        browser = None if args.no_browser else in_browser(bench, world)
        print(f"Machine: {_machine()}; PostgreSQL {bench.pg_version}")
        print(
            f"Team: {args.people} officials, {figures['entries']} entries submitted today, "
            f"{figures['flagged']} of them flagged (not ticked in advance)"
        )
        print()
        print("In process (Flask test client), median of", args.runs, "runs:")
        print(f"  GET  review page   {figures['get_ms']:7.1f} ms (p95 {figures['get_p95']:.1f})  "
              f"{figures['get_sql']:.0f} SQL statements  {figures['page_kb']:.0f} KB of HTML")  # fmt: skip
        print(f"  POST the decisions {figures['post_ms']:7.1f} ms (p95 {figures['post_p95']:.1f})  "
              f"{figures['post_sql']:.0f} SQL statements (approve {figures['entries'] - 1}, return 1)")  # fmt: skip
        if browser:
            pages = [r for r in browser["requests"] if "/assets/" not in r]
            print()
            print("In a browser (chromium, loopback):")
            print(f"  clicks: {browser['clicks']} ({figures['flagged']} ticks on flagged entries after reading them, "
                  f"1 to open “Trả lại…”, 1 on “Duyệt các mục đã chọn”) + typing one reason")  # fmt: skip
            assets = len(browser["requests"]) - len(pages)
            shown = ", ".join(f"{r.split()[0]} …/{r.rsplit('/', 1)[1]}" for r in pages)
            print(f"  requests: {len(pages)} for pages ({shown}) + {assets} for the style sheet, script and icon")
            print(f"  queue on screen after {browser['open_ms']:.0f} ms; whole review done in "
                  f"{browser['total_ms']:.0f} ms of machine time ({browser['confirmation']})")  # fmt: skip
        else:
            print("\n(browser part skipped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
