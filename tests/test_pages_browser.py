"""The core loop in a real browser: Debian's chromium driven by Playwright against the test app
served on a loopback port, PostgreSQL and Redis behind it.

An official (on a phone-sized screen) logs and submits three entries; the reviewer (on a desktop)
approves two in one go and returns one with a reason; the official reads the reason, fixes the entry
and resubmits it; once approved, "My month" shows the expected points. The provincial admin sees the
rollout checklist and an uploaded pack's line-numbered problems. Every page is saved as a screenshot,
at phone and desktop widths, under build/screenshots/ (a test artifact, not committed).

Signing in: the test app runs with KPI_ENV=test, where the development login does not exist, so each
browser gets the session the SSO callback would have started (identity.sessions.start, and the
signed cookie naming it); test_sso_browser.py drives the real OpenID Connect sign-in. The server runs
in a thread, so these tests commit for real (no_tx) in a tenant of their own.
"""

from __future__ import annotations

import io
import os
import threading
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from support import build_catalog, build_org
from werkzeug.serving import make_server

from kpi_platform.context import tenant_scope
from kpi_platform.db import db
from kpi_platform.identity import service as identity
from kpi_platform.identity import sessions
from kpi_platform.org import service as org
from kpi_platform.tenancy import service as tenancy
from kpi_platform.tenant_settings import service as tenant_settings
from kpi_platform.worklog import calendar

pytestmark = pytest.mark.no_tx

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
# Playwright gives each launch a fresh temporary profile (it refuses --user-data-dir in the arguments).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        message = "Debian's chromium is not installed (.ci/run installs it: apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def province(app):
    """A tenant of its own, committed: build_org + build_catalog (the clerk, Trần Thị Bình, may log
    B-001 and C-001, 60 minutes at coefficient 1.0, so 1 standard hour each; the director of Sở Nội vụ
    reviews her), with accounts linked to them and a provincial admin."""
    tenant = tenancy.create_tenant(
        slug=f"trinh-duyet-{uuid.uuid4().hex[:6]}", name_vi="Tỉnh Khánh Hòa", name_en="Khanh Hoa", status="pilot"
    )
    ids = build_org(tenant)
    cat = build_catalog(tenant, ids)
    today = tenancy.local_today(tenant)
    with tenant_scope(tenant.id):
        clerk = identity.create_principal(
            email="binh@khanhhoa.gov.vn", display_name="Trần Thị Bình", roles=["official"]
        )
        admin = identity.create_principal(
            email="quantri@khanhhoa.gov.vn", display_name="Quản trị viên tỉnh", roles=["provincial_admin"]
        )
        org.update_official(ids["clerk"], {"principal_id": clerk.id})
        if not calendar.is_working_day(today):  # a weekend run: today is made a worked day
            calendar.set_day(today, "working", "Ngày làm bù")
        tenant_settings.save({"scoring_method": "hours"}, valid_from=date(2025, 1, 1))  # Khánh Hòa's method
        db.session.commit()
        people = {"clerk": clerk.id, "director": cat["director"].id, "admin": admin.id}
    return {"tenant": tenant, "ids": ids, "today": today, **people}


def sign_in(app, context, tenant, principal_id) -> None:
    with tenant_scope(tenant.id):
        principal = identity.get_principal(principal_id)
        timeouts = sessions.Timeouts(idle=timedelta(minutes=30), absolute=timedelta(hours=10))
        _, secret = sessions.start(principal, method="sso", timeouts=timeouts, id_token=None, user_agent="playwright")
        db.session.commit()
    cookie = app.session_interface.get_signing_serializer(app).dumps({"logins": {tenant.id.hex: secret}})
    context.add_cookies(
        [
            {
                "name": app.config["SESSION_COOKIE_NAME"],
                "value": cookie,
                "domain": "127.0.0.1",
                "path": "/",
                "secure": bool(app.config["SESSION_COOKIE_SECURE"]),
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )


def snap(page, name: str) -> None:
    """The page as it is, full length, at phone and desktop widths."""
    size = page.viewport_size
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
        # Nothing wider than the screen: a phone scrolls down, never sideways.
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= viewport["width"], f"{name} is {wide} px wide at {label} width {viewport['width']}"
    page.set_viewport_size(size)


def new_page(browser, viewport):
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return context, page, problems


def test_an_official_and_a_reviewer_go_round_the_loop_in_a_browser(app, live_server, browser, province):
    from playwright.sync_api import expect  # noqa: PLC0415

    tenant = province["tenant"]
    base = f"{live_server}/t/{tenant.slug}"
    official_context, official, official_problems = new_page(browser, PHONE)
    reviewer_context, reviewer, reviewer_problems = new_page(browser, DESKTOP)
    sign_in(app, official_context, tenant, province["clerk"])
    sign_in(app, reviewer_context, tenant, province["director"])

    # The official lands on today's page and logs three entries, searching without diacritics.
    official.goto(f"{base}/")
    expect(official).to_have_url(f"{base}/today")
    expect(official.get_by_role("heading", level=2)).to_contain_text("Hôm nay")
    snap(official, "01-today-empty")
    for query, code, quantity, evidence in (
        ("soan thao", "B-001", "2", "101/SNV"),
        ("tham dinh", "C-001", "1", "102/SNV"),
        ("van ban", "B-001", "1", "103/SNV"),
    ):
        official.get_by_label("Tìm mục công việc").fill(query)
        choice = official.locator("#item-choices label.choice")
        expect(choice).to_have_count(1)  # filtered as one types: only this official's matching item
        expect(choice).to_contain_text(code)
        expect(choice.locator("input")).to_be_checked()
        official.get_by_label("Số lượng").fill(quantity)
        official.get_by_label("Văn bản minh chứng").fill(evidence)
        official.get_by_role("button", name="Ghi công việc", exact=True).click()
        expect(official.locator(".flash-ok")).to_contain_text(f"Đã ghi: {code}")
    expect(official.locator("#day-title")).to_contain_text("(3)")
    expect(official.get_by_text("Đã khai 4 / tối đa 10 giờ chuẩn")).to_be_visible()
    snap(official, "02-today-three-drafts")
    official.get_by_role("button", name="Gửi duyệt các mục đã chọn").click()
    expect(official.locator(".flash-ok")).to_have_text("Đã gửi duyệt 3 công việc.")
    expect(official.locator("ul.entries .badge", has_text="Chờ duyệt")).to_have_count(3)
    snap(official, "03-today-submitted")

    # The reviewer's queue: the three entries under the official's name, all ticked (none flagged).
    reviewer.goto(f"{base}/")
    expect(reviewer).to_have_url(f"{base}/review")
    expect(reviewer.locator("section.person h3")).to_have_text(["Trần Thị Bình"])
    expect(reviewer.locator("input[name=approve]:checked")).to_have_count(3)
    snap(reviewer, "04-review-queue")
    # Return C-001 with a reason (writing it unticks the entry) and approve the other two: one request.
    row = reviewer.locator("ul.entries > li", has_text="C-001")
    row.get_by_text("Trả lại…").click()
    row.get_by_label("Lý do trả lại").fill("Số văn bản không khớp; ghi đúng số, ký hiệu và số hồ sơ.")
    expect(row.locator("input[name=approve]")).not_to_be_checked()
    expect(reviewer.locator("#approve-selected")).to_contain_text("(2)")
    snap(reviewer, "05-review-returning-one")
    reviewer.get_by_role("button", name="Duyệt các mục đã chọn").click()
    expect(reviewer.locator(".flash-ok")).to_have_text("Đã duyệt 2, trả lại 1 công việc.")
    expect(reviewer.get_by_text("Không có công việc nào chờ bạn duyệt.")).to_be_visible()

    # The official sees the reason, fixes the entry and submits it again.
    official.goto(f"{base}/today")
    returned = official.locator("ul.entries > li", has_text="C-001")
    expect(returned.locator(".badge")).to_have_text("Bị trả lại")
    expect(returned.locator(".reason")).to_contain_text("Số văn bản không khớp")
    snap(official, "06-today-returned")
    returned.get_by_role("link", name="Sửa và gửi lại").click()
    expect(official.locator(".reason")).to_contain_text("Số văn bản không khớp")
    official.get_by_label("Số lượng").fill("2")
    official.get_by_label("Văn bản minh chứng").fill("102/SNV-TCBC")
    snap(official, "07-edit-returned")
    official.get_by_role("button", name="Lưu và gửi duyệt lại").click()
    expect(official.locator(".flash-ok")).to_have_text("Đã sửa và gửi duyệt lại.")

    # The reviewer approves it as excellent (the entry's own quality level).
    reviewer.goto(f"{base}/review")
    row = reviewer.locator("ul.entries > li", has_text="C-001")
    expect(row).to_contain_text("102/SNV-TCBC")
    row.get_by_role("combobox").select_option(label="Xuất sắc")
    reviewer.get_by_role("button", name="Duyệt các mục đã chọn").click()
    expect(reviewer.locator(".flash-ok")).to_have_text("Đã duyệt 1, trả lại 0 công việc.")
    reviewer.goto(f"{base}/team")
    expect(reviewer.locator("tbody tr")).to_contain_text("Trần Thị Bình")
    expect(reviewer.locator("tbody tr")).to_contain_text("4,7 / 4,7")
    snap(reviewer, "08-team-month")

    # My month: 2 × 1 h × 0.9 (good) + 1 × 0.9 + 2 × 1 h × 1.0 (excellent) = 4.7 approved points.
    official.get_by_role("link", name="Tháng của tôi").click()
    expect(official.get_by_role("heading", level=2)).to_contain_text("Tháng của tôi")
    approved = official.locator(".figure .value").nth(1)  # after the projected rating
    expect(approved).to_have_text("4,7")
    expect(official.locator("ul.entries > li")).to_have_count(3)
    expect(official.get_by_text("1 giờ × 2 × 1 × 1 = 2")).to_be_visible()
    snap(official, "09-my-month")
    official.goto(f"{base}/month?lang=en")
    expect(official.get_by_role("heading", level=2)).to_contain_text("My month")
    expect(approved).to_have_text("4.7")
    snap(official, "10-my-month-english")
    official.goto(f"{base}/today?lang=vi")

    assert official_problems == [] and reviewer_problems == [], (official_problems, reviewer_problems)
    official_context.close()
    reviewer_context.close()


def test_the_admin_sees_the_rollout_and_an_uploaded_packs_problems_in_a_browser(
    app, live_server, browser, province, tmp_path
):
    from playwright.sync_api import expect  # noqa: PLC0415

    tenant = province["tenant"]
    base = f"{live_server}/t/{tenant.slug}"
    context, page, problems = new_page(browser, DESKTOP)
    sign_in(app, context, tenant, province["admin"])
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/rollout")
    expect(page.locator(".checklist li")).to_have_count(8)
    snap(page, "11-rollout")

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "officials"
    sheet.append(["staff_code", "full_name", "employment_kind", "email", "unit_code", "position_code", "valid_from"])
    sheet.append(["TN010", "Dương Văn Phong", "cong_chuc", None, "SNV", "CV", date(2025, 5, 1)])
    sheet.append(["TN011", "Mai Thị Quế", "cong_chuc", None, "KHONG-CO", "CV", date(2025, 5, 1)])
    upload = tmp_path / "nhan-su.xlsx"
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload.write_bytes(buffer.getvalue())
    page.get_by_role("link", name="Nhập gói dữ liệu của tỉnh").click()
    page.get_by_label("Tệp gói dữ liệu").set_input_files(str(upload))
    page.get_by_role("button", name="Tải lên").click()
    expect(page.locator(".badge")).to_have_text("Có lỗi, chưa nhập gì")
    row = page.locator("tbody tr", has_text="KHONG-CO")
    expect(row.locator("td").nth(0)).to_have_text("officials.csv")
    expect(row.locator("td").nth(1)).to_have_text("3")
    expect(row.locator("td").nth(2)).to_have_text("unit_code")
    snap(page, "12-import-problems")
    assert problems == [], problems
    context.close()
