"""The benchmarking pages in a real browser (Debian's chromium through Playwright, as
test_pages_browser.py): a central analyst reads the national overview, sees the outliers with their
reasons, drills into a province's cells and follows an indicator month by month, in Vietnamese and
in English; a provincial admin sees where the province stands, the others unnamed. Screenshots of
every page land in build/screenshots/ (benchmark-*.png)."""

from __future__ import annotations

import pytest
from test_pages_browser import DESKTOP, PHONE, browser, live_server, new_page, sign_in, snap  # noqa: F401

from kpi_platform.context import SYSTEM_TENANT_ID
from kpi_platform.tenancy import service as tenancy

pytestmark = pytest.mark.no_tx


def test_a_central_analyst_reads_the_overview_and_drills_into_a_cell(app, live_server, browser, benchmark_world):  # noqa: F811
    from playwright.sync_api import expect  # noqa: PLC0415

    world = benchmark_world
    context, page, problems = new_page(browser, DESKTOP)
    sign_in(app, context, tenancy.get_tenant(SYSTEM_TENANT_ID), world.analyst_id)

    page.goto(f"{live_server}/benchmarking/?month=2025-04")
    expect(page.get_by_role("heading", level=2)).to_contain_text("Tổng quan các tỉnh")
    expect(page.locator("figure.chart svg")).to_have_count(1)
    hours = page.locator("table.benchmark tbody tr", has_text=world.provinces["hours"].tenant.name_vi)
    expect(hours).to_have_class("outlier")
    expect(hours).to_contain_text("trên mức 8 giờ")
    usual = page.locator("table.benchmark tbody tr", has_text=world.provinces["usual"].tenant.name_vi)
    expect(usual).not_to_have_class("outlier")
    snap(page, "benchmark-01-overview")

    # Drill into the province that works the usual way: its cells by unit kind.
    usual.get_by_role("link").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("So sánh theo ô phân loại")
    page.get_by_label("Chia theo").select_option("unit_kind")
    page.locator("select[name=indicator]").select_option("hours_per_day")
    page.get_by_role("button", name="Xem").click()
    table = page.locator("table.benchmark")
    expect(table.locator("thead")).to_contain_text("Xã")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(page.locator("figure.chart svg")).to_have_count(1)
    snap(page, "benchmark-02-cells")

    # An indicator month by month, every province, with the median.
    page.goto(f"{live_server}/benchmarking/series?indicator=coverage&from=2025-03&to=2025-04")
    expect(page.get_by_role("heading", level=2)).to_contain_text("Tỷ lệ cán bộ ghi nhận")
    slow = page.locator("table.benchmark tbody tr", has_text=world.provinces["slow"].tenant.name_vi)
    expect(slow.locator("td")).to_have_count(2)
    expect(page.locator("table.benchmark tfoot")).to_contain_text("Trung vị các tỉnh")
    snap(page, "benchmark-03-series")

    page.goto(f"{live_server}/benchmarking/?month=2025-04&lang=en")
    expect(page.get_by_role("heading", level=2)).to_contain_text("Overview of provinces")
    expect(page.locator("table.benchmark tbody tr", has_text="Hours Province")).to_contain_text("above 8 hours")
    snap(page, "benchmark-04-overview-en")
    assert problems == [], problems
    context.close()


def test_a_provincial_admin_sees_where_the_province_stands(app, live_server, browser, benchmark_world):  # noqa: F811
    from playwright.sync_api import expect  # noqa: PLC0415

    world = benchmark_world
    high = world.provinces["high"].tenant
    context, page, problems = new_page(browser, PHONE)
    from kpi_platform.context import tenant_scope  # noqa: PLC0415
    from kpi_platform.identity import service as identity  # noqa: PLC0415

    with tenant_scope(high.id):
        admin = identity.find_principal_by_email(f"admin@{high.slug}.demo")
    sign_in(app, context, high, admin.id)
    page.goto(f"{live_server}/t/{high.slug}/")
    page.get_by_role("link", name="Chúng ta đang ở đâu").click()
    page.get_by_label("Tháng").fill("2025-04")
    page.get_by_role("button", name="Xem").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("Chúng ta đang ở đâu")
    section = page.locator("section.card", has_text="Giờ quy đổi bình quân mỗi người mỗi ngày: thứ")
    expect(section.locator("tr.own")).to_have_count(1)
    expect(section.locator("tbody")).to_contain_text("Tỉnh khác")
    expect(section.locator("tbody")).to_contain_text(world.provinces["usual"].tenant.name_vi)  # opted in
    expect(section.locator("tbody")).not_to_contain_text(world.provinces["hours"].tenant.name_vi)
    snap(page, "benchmark-05-standing")
    assert problems == [], problems
    context.close()
