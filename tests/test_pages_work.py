"""The work pages through Flask's test client, inside the test's transaction: the official's day
(search, log, submit, fix a returned entry), the reviewer's queue (approve many, return one), the
months, the admin's rollout and pack upload, and who may open what. The browser walk through the
same loop is in test_pages_browser.py."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import select, update
from support import browser_session, build_catalog, build_org

from kpi_platform.catalog import service as catalog
from kpi_platform.context import tenant_scope
from kpi_platform.db import db
from kpi_platform.identity import service as identity
from kpi_platform.org import service as org
from kpi_platform.tenancy import service as tenancy
from kpi_platform.tenant_settings import service as tenant_settings
from kpi_platform.worklog import calendar
from kpi_platform.worklog import service as worklog
from kpi_platform.worklog.models import EntryState, WorkEntry


def sign_in(client, tenant, principal_id) -> None:
    browser_session(client, tenant, principal_id)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def w(tenant_a, make_account):
    """build_org + build_catalog (the clerk may log B-001 and C-001 and is reviewed by the director;
    the commune clerk may log B-001 only and has no reviewer), accounts linked to them, and today
    made a working day if it is not one (so the day's cap is the full one)."""
    ids = build_org(tenant_a)
    cat = build_catalog(tenant_a, ids)
    clerk = make_account(tenant_a, roles=["official"], name="Trần Thị Bình")
    commune = make_account(tenant_a, roles=["official"], name="Lê Văn Cường")
    admin = make_account(tenant_a, roles=["provincial_admin"], name="Quản trị")
    today = tenancy.local_today(tenant_a)
    with tenant_scope(tenant_a.id):
        org.update_official(ids["clerk"], {"principal_id": clerk.id})
        org.update_official(ids["commune_clerk"], {"principal_id": commune.id})
        if not calendar.is_working_day(today):
            calendar.set_day(today, "working", "Làm bù")
        # The province scores by standard hours (the national method is the default from 2026).
        tenant_settings.save({"scoring_method": "hours"}, valid_from=date(2025, 1, 1))
        db.session.commit()
    return {
        "ids": ids,
        **cat,
        "director": cat["director"].id,
        "clerk": clerk.id,
        "commune": commune.id,
        "admin": admin.id,
        "tenant": tenant_a,
        "slug": tenant_a.slug,
        "today": today,
    }


def director(w):
    return identity.get_principal(w["director"])


def entries(w, official="clerk"):
    with tenant_scope(w["tenant"].id):
        return db.session.scalars(
            select(WorkEntry).where(WorkEntry.official_id == w["ids"][official]).order_by(WorkEntry.created_at)
        ).all()


def log(w, item="item_b", quantity=1, official="clerk", day=None, submit=True, evidence=None):
    with tenant_scope(w["tenant"].id):
        entry = worklog.log_work(
            w["ids"][official], day or w["today"], w[item], quantity, evidence_ref=evidence, submit=submit
        )
        db.session.commit()
        return entry.id


def add(client, w, page, item="item_b", quantity="1", action="draft", key=None, evidence=None):
    return client.post(
        f"/t/{w['slug']}/today",
        data={
            "csrf_token": csrf_of(page),
            "item_id": str(w[item]),
            "quantity": quantity,
            "evidence_ref": evidence or "",
            "work_date": w["today"].isoformat(),
            "idempotency_key": key or "",
            "action": action,
        },
    )


# ---------------------------------------------------------------- the official's day


def test_the_add_form_searches_only_ones_own_items_without_diacritics_most_used_first(client, w):
    for _ in range(3):
        log(w, "item_c")  # C-001 used most: it comes first
    sign_in(client, w["tenant"], w["clerk"])
    page = text(client.get(f"/t/{w['slug']}/today"))
    assert "Hôm nay" in page and "Ghi công việc" in page and "Văn bản minh chứng" in page
    assert page.index("Thẩm định hồ sơ tổ chức bộ máy") < page.index("Soạn thảo văn bản hành chính")
    assert "bạn đã ghi 3 lần" in page
    for q in ("soan thao", "SOẠN THẢO", "van ban"):
        fragment = text(client.get(f"/t/{w['slug']}/today/items", query_string={"q": q}))
        assert "B-001" in fragment and "C-001" not in fragment, q
        assert " checked" in fragment  # the only match is chosen already
    assert "Không có mục nào khớp" in text(client.get(f"/t/{w['slug']}/today/items?q=xyz"))
    # Without the script, the search is a plain GET of the page.
    page = text(client.get(f"/t/{w['slug']}/today?q=tham+dinh"))
    assert "C-001" in page and "B-001 " not in page

    other = client.application.test_client()
    sign_in(other, w["tenant"], w["commune"])  # the commune clerk's descriptions have B-001 only
    page = text(other.get(f"/t/{w['slug']}/today"))
    assert "B-001" in page and "C-001" not in page


def test_an_official_logs_and_submits_on_the_page_under_the_services_rules(client, w):
    sign_in(client, w["tenant"], w["clerk"])
    page = text(client.get(f"/t/{w['slug']}/today"))
    r = add(client, w, page, quantity="1,5", evidence="12/SNV", key="k1")
    assert r.status_code == 302 and r.headers["Location"] == f"/t/{w['slug']}/today"
    r = add(client, w, page, quantity="1,5", evidence="12/SNV", key="k1")  # a double tap: logged once
    assert r.status_code == 302 and len(entries(w)) == 1
    assert entries(w)[0].quantity == Decimal("1.5") and entries(w)[0].state == EntryState.draft
    page = text(client.get(f"/t/{w['slug']}/today"))
    assert "Đã ghi: B-001" in page and "Nháp" in page and "Đã khai 1,5 / tối đa 10 giờ chuẩn" in page

    # The service's rules answer on the page, in the page's language, with what was typed kept.
    r = add(client, w, page, quantity="12", evidence="13/SNV")
    assert r.status_code == 422 and "vượt mức tối đa 10 giờ" in text(r) and 'value="13/SNV"' in text(r)
    r = add(client, w, page, quantity="hai")
    assert r.status_code == 422 and "Số lượng phải là một số" in text(r)
    r = add(client, w, page, evidence="12/SNV")
    assert r.status_code == 422 and "Đã ghi công việc này với văn bản 12/SNV" in text(r)
    r = client.post(f"/t/{w['slug']}/today?lang=en", data={"csrf_token": csrf_of(page), "quantity": "1"})
    assert r.status_code == 422 and "Choose a work item." in text(r)
    client.get(f"/t/{w['slug']}/today?lang=vi")

    r = add(client, w, page, item="item_c", quantity="2", action="submit")
    assert r.status_code == 302 and entries(w)[1].state == EntryState.submitted
    draft = entries(w)[0]
    r = client.post(f"/t/{w['slug']}/today/submit", data={"csrf_token": csrf_of(page), "ids": [str(draft.id)]})
    assert r.status_code == 302
    assert "Đã gửi duyệt 1 công việc." in text(client.get(f"/t/{w['slug']}/today"))
    assert [e.state for e in entries(w)] == [EntryState.submitted, EntryState.submitted]

    # A draft can be deleted; a submitted entry cannot (the service refuses, the page says so).
    draft_id = log(w, submit=False, evidence="14/SNV")
    r = client.post(f"/t/{w['slug']}/entries/{draft_id}/delete", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 302 and len(entries(w)) == 2
    r = client.post(f"/t/{w['slug']}/entries/{draft.id}/delete", data={"csrf_token": csrf_of(page)})
    assert "Chỉ xóa được công việc còn nháp." in text(client.get(r.headers["Location"]))


def test_a_returned_entry_shows_its_reason_and_is_fixed_and_submitted_again(client, w):
    entry_id = log(w, evidence="20/SNV")
    with tenant_scope(w["tenant"].id):
        worklog.review(
            director(w), [{"id": entry_id, "decision": "return", "reason": "Sai số văn bản."}], today=w["today"]
        )
        db.session.commit()
    sign_in(client, w["tenant"], w["clerk"])
    page = text(client.get(f"/t/{w['slug']}/today"))
    assert "Bị trả lại" in page and "Sai số văn bản." in page and "Lý do trả lại" in page
    edit = text(client.get(f"/t/{w['slug']}/entries/{entry_id}/edit"))
    assert "Người đánh giá trả lại với lý do" in edit and "Sai số văn bản." in edit
    assert "Lưu và gửi duyệt lại" in edit and f'value="{w["item_b"]}" selected' in edit  # its own item chosen
    r = client.post(
        f"/t/{w['slug']}/entries/{entry_id}/edit",
        data={"csrf_token": csrf_of(edit), "quantity": "2", "evidence_ref": "21/SNV", "action": "submit"},
    )
    assert r.status_code == 302
    (entry,) = entries(w)
    assert (entry.state, entry.quantity, entry.evidence_ref) == (EntryState.submitted, 2, "21/SNV")
    assert "Đã sửa và gửi duyệt lại." in text(client.get(r.headers["Location"]))
    # Once submitted it can no longer be edited.
    assert "không sửa được nữa" in text(client.get(f"/t/{w['slug']}/entries/{entry_id}/edit"))


# ---------------------------------------------------------------- the reviewer


def test_the_reviewer_approves_many_at_once_and_returns_one_with_its_reason(client, w):
    ids = [log(w, evidence=f"{n}/SNV") for n in range(1, 4)]
    commune_entry = log(w, official="commune_clerk")  # nobody's reviewee: not in the queue
    sign_in(client, w["tenant"], w["director"])
    page = text(client.get(f"/t/{w['slug']}/review"))
    assert "Duyệt công việc" in page and "Trần Thị Bình" in page and "Lê Văn Cường" not in page
    assert "3 công việc của 1 người đang chờ bạn duyệt." in page
    assert page.count('name="approve"') == 3 and page.count(" checked") == 3  # nothing flagged: all ticked

    form = {"csrf_token": csrf_of(page), "entry": [str(i) for i in ids], "quality": "good", "action": "approve"}
    # A return needs its reason.
    r = client.post(f"/t/{w['slug']}/review", data={**form, "return_one": str(ids[2])})
    assert r.status_code == 422 and "Hãy ghi lý do trả lại" in text(r)
    # Two ticked (one of them at its own quality), one given a reason: one request.
    r = client.post(
        f"/t/{w['slug']}/review",
        data={
            **form,
            "approve": [str(ids[0]), str(ids[1]), str(ids[2])],
            f"quality-{ids[1]}": "excellent",
            f"reason-{ids[2]}": "  Thiếu   văn bản kèm theo. ",
        },
    )
    assert r.status_code == 302
    assert "Đã duyệt 2, trả lại 1 công việc." in text(client.get(r.headers["Location"]))
    states = {e.id: (e.state, e.quality, e.return_reason) for e in entries(w)}
    assert states[ids[0]] == (EntryState.approved, "good", None)
    assert states[ids[1]] == (EntryState.approved, "excellent", None)
    assert states[ids[2]] == (EntryState.returned, None, "Thiếu văn bản kèm theo.")
    assert "Không có công việc nào chờ bạn duyệt." in text(client.get(f"/t/{w['slug']}/review"))

    # "Trả lại mục này" returns that one entry only; an entry not waiting for this reviewer is refused whole.
    more = [log(w, evidence=f"{n}/SNV") for n in range(4, 6)]
    page = text(client.get(f"/t/{w['slug']}/review"))
    r = client.post(
        f"/t/{w['slug']}/review",
        data={"csrf_token": csrf_of(page), "entry": [str(i) for i in more], "return_one": str(more[0]),
              f"reason-{more[0]}": "Trùng với mục khác.", "approve": [str(i) for i in more]},
    )  # fmt: skip
    assert r.status_code == 302
    assert [e.state for e in entries(w) if e.id in more] == [EntryState.returned, EntryState.submitted]
    r = client.post(
        f"/t/{w['slug']}/review",
        data={"csrf_token": csrf_of(page), "entry": [str(commune_entry)], "approve": [str(commune_entry)]},
    )
    assert r.status_code == 422 and "không chờ bạn đánh giá" in text(r)


def test_the_queue_shows_anomaly_flags_with_their_reasons_and_leaves_flagged_entries_unticked(client, w):
    for n in range(12):  # many entries without evidence in the last 30 days
        log(w, day=calendar.working_days(w["today"] - timedelta(days=25), w["today"])[n % 5])
    with tenant_scope(w["tenant"].id):  # one of them submitted long ago: overdue
        old = entries(w)[0]
        db.session.execute(
            update(WorkEntry).where(WorkEntry.id == old.id).values(submitted_at=old.submitted_at - timedelta(days=20))
        )
        db.session.commit()
    sign_in(client, w["tenant"], w["director"])
    page = text(client.get(f"/t/{w['slug']}/review"))
    assert "Cảnh báo" in page and "không có văn bản chứng minh" in page and "có cảnh báo" in page
    assert page.count("Quá hạn duyệt") == 1
    assert page.count('name="approve"') == 12 and page.count(" checked") == 0
    english = text(client.get(f"/t/{w['slug']}/review?lang=en"))
    assert "have no evidence" in english and "Review work" in english


# ---------------------------------------------------------------- months


def test_my_month_explains_each_line_and_the_team_page_shows_scores_and_gaps(client, w):
    start = w["today"].replace(day=1)
    with tenant_scope(w["tenant"].id):
        done = [log(w, quantity=2, day=w["today"], evidence="1/SNV"), log(w, item="item_c", evidence="2/SNV")]
        worklog.review(
            director(w),
            [{"id": done[0], "decision": "approve", "quality": "good"}, {"id": done[1], "decision": "approve",
              "quality": "excellent"}],
            today=w["today"],
        )  # fmt: skip
        log(w, quantity=3, evidence="3/SNV")  # waiting: projected at the default quality (good, 0.9)
        db.session.commit()
    sign_in(client, w["tenant"], w["clerk"])
    page = text(client.get(f"/t/{w['slug']}/month"))
    assert "Tháng của tôi" in page and "Xếp loại dự kiến" in page
    assert ">2,8<" in page  # approved: 2 × 1 h × 0.9 + 1 × 1 h × 1.0
    assert ">5,5<" in page  # with the waiting 3 × 0.9
    assert "1 giờ × 2 × 0,9 × 1" in page and "chất lượng Xuất sắc" in page and "(tạm tính)" in page
    english = text(client.get(f"/t/{w['slug']}/month?lang=en"))
    assert "My month" in english and "Projected rating" in english and ">2.8<" in english
    client.get(f"/t/{w['slug']}/month?lang=vi")
    previous = (start - timedelta(days=1)).strftime("%Y-%m")
    assert "Tháng này chưa có công việc nào." in text(client.get(f"/t/{w['slug']}/month?month={previous}"))

    reviewer = client.application.test_client()
    sign_in(reviewer, w["tenant"], w["director"])
    team = text(reviewer.get(f"/t/{w['slug']}/team"))
    assert "Tháng của đơn vị" in team and "Trần Thị Bình" in team
    with tenant_scope(w["tenant"].id):
        gaps = calendar.working_days(start, w["today"] - timedelta(days=1))
    if gaps:
        assert f"{len(gaps)} ngày" in team  # nothing logged before today this month


# ---------------------------------------------------------------- the provincial admin


def test_the_admin_sees_the_rollout_and_an_uploaded_packs_line_numbered_problems(client, w):
    sign_in(client, w["tenant"], w["admin"])
    r = client.get(f"/t/{w['slug']}/")
    assert r.headers["Location"] == f"/t/{w['slug']}/rollout"
    page = text(client.get(r.headers["Location"]))
    assert "Lộ trình triển khai" in page and "Danh mục và bản mô tả công việc đã được duyệt" in page
    assert "Đã xong" in page and "Nhập gói dữ liệu" in page

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "officials"
    sheet.append(["staff_code", "full_name", "employment_kind", "email", "unit_code", "position_code", "valid_from"])
    sheet.append(["TN010", "Dương Văn Phong", "cong_chuc", None, "SNV", "CV", date(2025, 5, 1)])
    sheet.append(["TN011", "Mai Thị Quế", "cong_chuc", None, "KHONG-CO", "CV", date(2025, 5, 1)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    page = text(client.get(f"/t/{w['slug']}/imports"))
    r = client.post(
        f"/t/{w['slug']}/imports",
        data={"csrf_token": csrf_of(page), "file": (io.BytesIO(buffer.getvalue()), "nhan-su.xlsx"), "mode": "check"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302 and "/imports/" in r.headers["Location"]
    job = text(client.get(r.headers["Location"]))  # Celery runs eagerly here: the job is done
    assert "Có lỗi, chưa nhập gì" in job and "officials.csv" in job and ">3<" in job and "unit_code" in job
    assert "KHONG-CO" in job
    assert "nhan-su.xlsx" in text(client.get(f"/t/{w['slug']}/imports"))
    r = client.post(
        f"/t/{w['slug']}/imports",
        data={"csrf_token": csrf_of(page), "file": (io.BytesIO(b"x"), "notes.txt")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and "Hãy chọn tệp .zip" in text(r)


# ---------------------------------------------------------------- who may open what


def test_each_person_lands_on_their_work_and_sees_only_their_own(client, w, tenant_b, make_account):
    sign_in(client, w["tenant"], w["clerk"])
    assert client.get(f"/t/{w['slug']}/").headers["Location"] == f"/t/{w['slug']}/today"
    me = text(client.get(f"/t/{w['slug']}/me"))
    assert "Việc của bạn" in me and f'href="/t/{w["slug"]}/today"' in me
    # Not an admin: the admin pages answer with a page, 403.
    r = client.get(f"/t/{w['slug']}/imports")
    assert r.status_code == 403 and r.mimetype == "text/html"
    # Another official's entry, and another province's, do not exist for this official.
    theirs = log(w, official="commune_clerk")
    assert client.get(f"/t/{w['slug']}/entries/{theirs}/edit").status_code == 404
    b_ids = build_org(tenant_b, prefix="B")
    b_cat = build_catalog(tenant_b, b_ids, prefix="B")
    with tenant_scope(tenant_b.id):
        b_entry = worklog.log_work(b_ids["clerk"], w["today"], b_cat["item_b"], 1)
        db.session.commit()
    assert client.get(f"/t/{w['slug']}/entries/{b_entry.id}/edit").status_code == 404
    page = text(client.get(f"/t/{w['slug']}/today"))
    assert (
        client.post(f"/t/{w['slug']}/entries/{b_entry.id}/delete", data={"csrf_token": csrf_of(page)}).status_code
        == 404
    )
    # A's session does not open B's pages.
    r = client.get(f"/t/{tenant_b.slug}/today")
    assert r.status_code == 302 and r.headers["Location"].startswith(f"/t/{tenant_b.slug}/login")

    reviewer = client.application.test_client()
    sign_in(reviewer, w["tenant"], w["director"])  # a unit head linked to an official: the queue first
    assert reviewer.get(f"/t/{w['slug']}/").headers["Location"] == f"/t/{w['slug']}/review"
    nobody = make_account(w["tenant"], roles=["official"], name="Chưa gắn")
    stranger = client.application.test_client()
    sign_in(stranger, w["tenant"], nobody.id)
    r = stranger.get(f"/t/{w['slug']}/today")
    assert r.status_code == 403 and "Tài khoản chưa gắn với cán bộ nào" in text(r)
    # A form without its CSRF token is refused.
    r = client.post(f"/t/{w['slug']}/today", data={"item_id": str(w["item_b"]), "quantity": "1"})
    assert r.status_code == 400
    with tenant_scope(w["tenant"].id):
        assert catalog.get_item(w["item_b"]).code == "B-001"


def test_my_month_says_so_when_the_province_scores_assigned_products(client, w):
    from kpi_platform.tenant_settings import service as tenant_settings  # noqa: PLC0415

    with tenant_scope(w["tenant"].id):
        tenant_settings.save({"scoring_method": "decree-335"}, valid_from=w["today"].replace(day=1))
        db.session.commit()
    sign_in(client, w["tenant"], w["clerk"])
    page = text(client.get(f"/t/{w['slug']}/month"))
    assert "theo sản phẩm được giao (Nghị định 335/2025/NĐ-CP)" in page and "Tháng của tôi" in page
    # Nothing assigned yet: no score and no tier, projected or otherwise.
    assert "chưa đủ dữ liệu để tính điểm và xếp loại" in page and "Xếp loại dự kiến" not in page


def test_a_day_that_can_no_longer_be_logged_offers_no_form(client, w):
    """A day of a closed month, or further back than the rules allow, shows its entries only."""
    sign_in(client, w["tenant"], w["clerk"])
    long_ago = text(client.get(f"/t/{w['slug']}/today?date=2025-03-03"))
    assert "được ghi lùi" in long_ago and 'id="add-entry"' not in long_ago
    with tenant_scope(w["tenant"].id):
        worklog.close_month(date(2025, 3, 1), by=None)
        db.session.commit()
    closed = text(client.get(f"/t/{w['slug']}/today?date=2025-03-03"))
    assert "đã khóa sổ" in closed and 'id="add-entry"' not in closed
    assert 'id="add-entry"' in text(client.get(f"/t/{w['slug']}/today"))
