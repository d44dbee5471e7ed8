"""The work catalog through the API on PostgreSQL: the approval rules (who approves what, C items
only by the owning agency's head, never one's own submission), versions (an entry logged before a
norm change keeps the old norm), what an official may log, calibration figures, search, export and
bad input."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from support import build_org

from kpi_platform.audit.models import AuditEntry
from kpi_platform.catalog.models import CatalogItemVersion
from kpi_platform.context import tenant_scope
from kpi_platform.db import db
from kpi_platform.org import service as org
from kpi_platform.worklog import service as worklog
from kpi_platform.worklog.models import WorkEntry

DAY = date(2025, 1, 1)


@pytest.fixture
def w(tenant_a, make_account):
    """Khánh Hòa in small: an admin, a steering committee member, the director of Sở Nội vụ (head of
    the agency), the clerk of its division (a manager there), and the head of Xã Cam Lâm."""
    ids = build_org(tenant_a)
    people = {
        "admin": make_account(tenant_a, roles=["provincial_admin"], name="Quản trị"),
        "committee": make_account(tenant_a, roles=["steering_committee"], name="Ban chỉ đạo"),
        "committee2": make_account(tenant_a, roles=["steering_committee"], name="Ban chỉ đạo 2"),
        "director": make_account(tenant_a, roles=["unit_head", "official"], name="Giám đốc Sở"),
        "clerk": make_account(tenant_a, roles=["manager", "official"], name="Chuyên viên"),
        "commune_head": make_account(tenant_a, roles=["unit_head", "official"], name="Chủ tịch xã"),
    }
    with tenant_scope(tenant_a.id):
        org.update_official(ids["director"], {"principal_id": people["director"].id})
        org.update_official(ids["clerk"], {"principal_id": people["clerk"].id})
        org.update_official(ids["commune_clerk"], {"principal_id": people["commune_head"].id})
        org.set_unit_head(ids["commune"], ids["commune_clerk"], effective_date=date(2025, 1, 1))
        db.session.commit()
    return {"ids": ids, **people, "slug": tenant_a.slug}


def url(w, path: str) -> str:
    return f"/api/v1/t/{w['slug']}{path}"


def new_item(client, w, who="admin", **overrides):
    body = {
        "code": "B-VB-01",
        "group": "B",
        "name_vi": "Soạn thảo văn bản hành chính",
        "output_unit": "văn bản",
        "norm_minutes": 90,
        "complexity": "normal",
        "valid_from": "2025-01-01",
        **overrides,
    }
    return client.post(url(w, "/catalog/items"), headers=w[who].headers, json=body)


def approved_item(client, w, drafter="admin", approver="committee", **overrides):
    r = new_item(client, w, who=drafter, **overrides)
    assert r.status_code == 201, r.json
    item_id = r.json["id"]
    assert client.post(url(w, f"/catalog/items/{item_id}/submit"), headers=w[drafter].headers).status_code == 200
    r = client.post(url(w, f"/catalog/items/{item_id}/approve"), headers=w[approver].headers)
    assert r.status_code == 200, r.json
    return item_id


def approved_jd(client, w, items, agency=None, drafter="admin", approver="committee", valid_from="2025-01-01"):
    body = {
        "position_id": str(w["ids"]["staff_position"]),
        "agency_id": str(agency) if agency else None,
        "valid_from": valid_from,
        "lines": [{"item_id": i, "expected_monthly_volume": 10} for i in items],
    }
    r = client.post(url(w, "/catalog/job-descriptions"), headers=w[drafter].headers, json=body)
    assert r.status_code == 201, r.json
    jd_id = r.json["id"]
    assert (
        client.post(url(w, f"/catalog/job-descriptions/{jd_id}/submit"), headers=w[drafter].headers).status_code == 200
    )
    r = client.post(url(w, f"/catalog/job-descriptions/{jd_id}/approve"), headers=w[approver].headers)
    assert r.status_code == 200, r.json
    return jd_id


# ---------------------------------------------------------------- the life of an item


def test_the_steering_committee_runs_the_life_of_an_item(client, w, tenant_a):
    r = new_item(client, w)
    assert r.status_code == 201, r.json
    item = r.json
    assert item["status"] == "draft" and item["version"]["number"] == 1 and item["version"]["state"] == "draft"
    assert item["version"]["complexity_coefficient"] == 1.0 and item["version"]["weight_hours"] == 1.5
    item_id = item["id"]
    # Draft is edited, then submitted; a committee member returns it with a reason.
    r = client.patch(url(w, f"/catalog/items/{item_id}/draft"), headers=w["admin"].headers, json={"norm_minutes": 75})
    assert r.status_code == 200 and r.json["version"]["norm_minutes"] == 75
    assert client.post(url(w, f"/catalog/items/{item_id}/submit"), headers=w["admin"].headers).json["status"] == (
        "submitted"
    )
    r = client.post(url(w, f"/catalog/items/{item_id}/return"), headers=w["committee"].headers, json={"reason": " "})
    assert r.status_code == 422 and r.json["error"]["code"] in ("reason_required", "validation_error")
    r = client.post(
        url(w, f"/catalog/items/{item_id}/return"),
        headers=w["committee"].headers,
        json={"reason": "Định mức chưa có căn cứ"},
    )
    assert r.status_code == 200 and r.json["status"] == "returned"
    assert r.json["version"]["return_reason"] == "Định mức chưa có căn cứ"
    # Fixed and resubmitted, then approved.
    client.patch(url(w, f"/catalog/items/{item_id}/draft"), headers=w["admin"].headers, json={"norm_minutes": 80})
    client.post(url(w, f"/catalog/items/{item_id}/submit"), headers=w["admin"].headers)
    r = client.post(url(w, f"/catalog/items/{item_id}/approve"), headers=w["committee"].headers)
    assert r.status_code == 200 and r.json["status"] == "approved" and r.json["version"]["norm_minutes"] == 80
    # A norm change from 1 July: a new version; until approved, the old one stays in force.
    r = client.post(
        url(w, f"/catalog/items/{item_id}/versions"),
        headers=w["committee"].headers,
        json={"valid_from": "2025-07-01", "norm_minutes": 60, "complexity": "complex"},
    )
    assert r.status_code == 201, r.json
    assert r.json["pending"]["number"] == 2 and r.json["pending"]["complexity_coefficient"] == 1.2
    client.post(url(w, f"/catalog/items/{item_id}/submit"), headers=w["committee"].headers)
    # The committee member who submitted cannot approve; a second member can.
    r = client.post(url(w, f"/catalog/items/{item_id}/approve"), headers=w["committee"].headers)
    assert r.status_code == 403 and r.json["error"]["code"] == "own_submission"
    assert client.post(url(w, f"/catalog/items/{item_id}/approve"), headers=w["committee2"].headers).status_code == 200
    june = client.get(url(w, f"/catalog/items/{item_id}?as_of=2025-06-30"), headers=w["admin"].headers).json
    july = client.get(url(w, f"/catalog/items/{item_id}?as_of=2025-07-01"), headers=w["admin"].headers).json
    assert (june["version"]["number"], june["version"]["norm_minutes"]) == (1, 80)
    assert (july["version"]["number"], july["version"]["norm_minutes"], july["version"]["weight_hours"]) == (2, 60, 1.2)
    history = client.get(url(w, f"/catalog/items/{item_id}/versions"), headers=w["clerk"].headers).json
    assert [(v["number"], v["valid_from"], v["valid_to"]) for v in history] == [
        (1, "2025-01-01", "2025-07-01"),
        (2, "2025-07-01", None),
    ]
    # Retired from 2026; every step is in the audit log.
    r = client.post(
        url(w, f"/catalog/items/{item_id}/retire"),
        headers=w["committee"].headers,
        json={"retired_on": "2026-01-01", "reason": "Gộp vào mục khác"},
    )
    assert r.status_code == 200 and r.json["status"] == "retired"
    after = client.get(url(w, f"/catalog/items/{item_id}?as_of=2026-02-01"), headers=w["admin"].headers).json
    assert after["version"]["number"] == 2  # the last approved version, not the first
    with tenant_scope(tenant_a.id):
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == item_id)).all()
    for action in ("create", "edit", "submit", "return", "approve", "propose", "retire"):
        assert any(action in a for a in actions), action


def test_who_may_approve_what(client, w):
    agency, commune = w["ids"]["agency"], w["ids"]["commune"]
    # Group B: the steering committee, not an agency head nor the admin.
    item_b = new_item(client, w).json["id"]
    client.post(url(w, f"/catalog/items/{item_b}/submit"), headers=w["admin"].headers)
    for who in ("director", "admin", "clerk"):
        r = client.post(url(w, f"/catalog/items/{item_b}/approve"), headers=w[who].headers)
        assert r.status_code == 403 and r.json["error"]["code"] == "not_the_approver", who
    # Group C of Sở Nội vụ: drafted by its manager (the clerk), approved only by its director.
    r = new_item(client, w, who="clerk", code="C-TC-01", group="C", agency_id=str(agency), field="Tổ chức bộ máy")
    assert r.status_code == 201, r.json
    item_c = r.json["id"]
    client.post(url(w, f"/catalog/items/{item_c}/submit"), headers=w["clerk"].headers)
    for who in ("committee", "admin", "commune_head"):
        r = client.post(url(w, f"/catalog/items/{item_c}/approve"), headers=w[who].headers)
        assert r.status_code == 403 and r.json["error"]["code"] == "not_the_approver", who
        assert "thủ trưởng" in r.json["error"]["message"] or "head of the agency" in r.json["error"]["message"]
    assert client.post(url(w, f"/catalog/items/{item_c}/approve"), headers=w["director"].headers).json["status"] == (
        "approved"
    )
    # A manager of another agency cannot even draft Sở Nội vụ's C items; the commune's head drafts the commune's.
    r = new_item(client, w, who="commune_head", code="C-X-01", group="C", agency_id=str(agency))
    assert r.status_code == 403 and r.json["error"]["code"] == "not_a_drafter"
    assert new_item(client, w, who="commune_head", code="C-X-01", group="C", agency_id=str(commune)).status_code == 201
    # Tenant-wide items are drafted by the admin or the committee, not by an agency's manager.
    r = new_item(client, w, who="clerk", code="B-2")
    assert r.status_code == 403 and r.json["error"]["code"] == "not_a_drafter"
    assert new_item(client, w, who="committee", code="B-2").status_code == 201
    # The head who submits their own C item cannot approve it.
    item_own = new_item(client, w, who="director", code="C-TC-02", group="C", agency_id=str(agency)).json["id"]
    client.post(url(w, f"/catalog/items/{item_own}/submit"), headers=w["director"].headers)
    r = client.post(url(w, f"/catalog/items/{item_own}/approve"), headers=w["director"].headers)
    assert r.status_code == 403 and r.json["error"]["code"] == "own_submission"


def test_bad_input_gets_clear_errors(client, w):
    cases = [
        ({"norm_minutes": -5}, 422, "invalid_norm"),
        ({"norm_minutes": 0}, 422, "invalid_norm"),
        ({"norm_minutes": "nhiều"}, 422, "validation_error"),
        ({"complexity": "sieu_kho"}, 422, "unknown_complexity"),
        ({"group": "E"}, 422, "validation_error"),
        ({"group": "C"}, 422, "validation_error"),  # a C item without its agency
        ({"agency_id": str(w["ids"]["agency"])}, 422, "validation_error"),  # a B item owned by an agency
        ({"code": "có dấu cách"}, 422, "validation_error"),
        ({"name_vi": "   "}, 422, "validation_error"),
    ]
    for override, status, code in cases:
        r = new_item(client, w, **override)
        assert (r.status_code, r.json["error"]["code"]) == (status, code), (override, r.json)
        assert r.json["error"]["message"]
    assert new_item(client, w).status_code == 201
    r = new_item(client, w)
    assert r.status_code == 409 and r.json["error"]["code"] == "duplicate_code"
    item_id = client.get(url(w, "/catalog/items"), headers=w["admin"].headers).json[0]["id"]
    r = client.post(url(w, f"/catalog/items/{item_id}/approve"), headers=w["committee"].headers)
    assert r.status_code == 409 and r.json["error"]["code"] == "not_submitted"
    r = client.post(
        url(w, f"/catalog/items/{item_id}/versions"), headers=w["admin"].headers, json={"valid_from": "2025-02-01"}
    )
    assert r.status_code == 409 and r.json["error"]["code"] == "not_approved"


def test_a_new_version_must_start_after_the_current_one(client, w):
    item_id = approved_item(client, w)
    r = client.post(
        url(w, f"/catalog/items/{item_id}/versions"), headers=w["admin"].headers, json={"valid_from": "2025-01-01"}
    )
    assert r.status_code == 422 and r.json["error"]["code"] == "invalid_effective_date"
    ok = {"valid_from": "2025-03-01", "norm_minutes": 45}
    assert (
        client.post(url(w, f"/catalog/items/{item_id}/versions"), headers=w["admin"].headers, json=ok).status_code
        == 201
    )
    r = client.post(url(w, f"/catalog/items/{item_id}/versions"), headers=w["admin"].headers, json=ok)
    assert r.status_code == 409 and r.json["error"]["code"] == "change_pending"
    listed = client.get(url(w, "/catalog/items"), headers=w["clerk"].headers).json
    assert listed[0]["version"]["norm_minutes"] == 90 and listed[0]["pending"]["norm_minutes"] == 45


# ---------------------------------------------------------------- job descriptions and logging


def test_an_official_may_log_only_the_items_of_their_job_descriptions(client, w, tenant_a):
    ids = w["ids"]
    item_b = approved_item(client, w)
    item_c = approved_item(
        client, w, drafter="clerk", approver="director", code="C-01", group="C", agency_id=str(ids["agency"])
    )
    item_other = approved_item(client, w, code="B-KHAC")  # in no job description
    # The tenant-wide description cannot hold C items, and an agency's cannot hold B items.
    body = {"position_id": str(ids["staff_position"]), "valid_from": "2025-01-01", "lines": [{"item_id": item_c}]}
    r = client.post(url(w, "/catalog/job-descriptions"), headers=w["admin"].headers, json=body)
    assert r.status_code == 422 and r.json["error"]["fields"]["rows"][0]["row"] == 1
    approved_jd(client, w, [item_b])
    approved_jd(client, w, [item_c], agency=ids["agency"], drafter="clerk", approver="director")

    def allowed(official_key, day="2025-03-03"):
        r = client.get(url(w, f"/officials/{ids[official_key]}/allowed-items?as_of={day}"), headers=w["admin"].headers)
        assert r.status_code == 200, r.json
        return sorted(i["code"] for i in r.json)

    assert allowed("clerk") == ["B-VB-01", "C-01"]  # in Sở Nội vụ's division: common + the agency's own
    assert allowed("commune_clerk") == ["B-VB-01"]  # same position in the commune: common only
    assert allowed("director") == []  # another position, no description yet
    assert allowed("clerk", "2024-12-31") == []  # before the descriptions took effect
    mine = client.get(url(w, "/me/allowed-items?as_of=2025-03-03"), headers=w["clerk"].headers).json
    assert sorted(i["code"] for i in mine) == ["B-VB-01", "C-01"]

    with tenant_scope(tenant_a.id):
        entry = worklog.log_work(ids["clerk"], date(2025, 3, 3), item_c, 2)
        assert entry.item_version_id is not None
        with pytest.raises(worklog.ItemNotAllowed):
            worklog.log_work(ids["clerk"], date(2025, 3, 3), item_other, 1)
        with pytest.raises(worklog.ItemNotAllowed):
            worklog.log_work(ids["commune_clerk"], date(2025, 3, 3), item_c, 1)
        db.session.rollback()

    # A transfer to the commune drops the C item (it belongs to Sở Nội vụ).
    with tenant_scope(tenant_a.id):
        org.transfer_official(
            ids["clerk"], unit_id=ids["commune"], position_id=ids["staff_position"], effective_date=date(2025, 6, 1)
        )
        db.session.commit()
    assert allowed("clerk", "2025-05-31") == ["B-VB-01", "C-01"]
    assert allowed("clerk", "2025-06-01") == ["B-VB-01"]
    # Retiring the B item removes it from the day it is retired.
    client.post(
        url(w, f"/catalog/items/{item_b}/retire"), headers=w["committee"].headers, json={"retired_on": "2025-09-01"}
    )
    assert allowed("clerk", "2025-08-31") == ["B-VB-01"] and allowed("clerk", "2025-09-01") == []


def test_an_entry_logged_before_a_norm_change_keeps_the_old_norm(client, w, tenant_a):
    ids = w["ids"]
    item_id = approved_item(client, w, norm_minutes=90)
    approved_jd(client, w, [item_id])
    with tenant_scope(tenant_a.id):
        before = worklog.log_work(ids["clerk"], date(2025, 6, 20), item_id, 3)
        db.session.commit()
    client.post(
        url(w, f"/catalog/items/{item_id}/versions"),
        headers=w["admin"].headers,
        json={"valid_from": "2025-07-01", "norm_minutes": 45},
    )
    client.post(url(w, f"/catalog/items/{item_id}/submit"), headers=w["admin"].headers)
    client.post(url(w, f"/catalog/items/{item_id}/approve"), headers=w["committee"].headers)
    with tenant_scope(tenant_a.id):
        after = worklog.log_work(ids["clerk"], date(2025, 7, 2), item_id, 3)
        late_for_june = worklog.log_work(ids["clerk"], date(2025, 6, 30), item_id, 1)  # logged late, for June
        db.session.commit()
        norms = {
            entry_id: db.session.scalar(
                select(CatalogItemVersion.norm_minutes)
                .join(WorkEntry, WorkEntry.item_version_id == CatalogItemVersion.id)
                .where(WorkEntry.id == entry_id)
            )
            for entry_id in (before.id, after.id, late_for_june.id)
        }
    assert norms == {before.id: 90, after.id: 45, late_for_june.id: 90}


# ---------------------------------------------------------------- calibration


def test_calibration_reports_the_reported_time_and_a_suggested_norm(client, w, tenant_a):
    ids = w["ids"]
    item_id = approved_item(client, w, norm_minutes=60)
    quiet = approved_item(client, w, code="B-IT")  # logged too rarely for a suggestion
    approved_jd(client, w, [item_id, quiet])
    with tenant_scope(tenant_a.id):
        logged = []
        # Minutes per unit: 30, 40, 50, 60 and 100 for 2 units (50) → sorted 30 40 50 50 60.
        for day, quantity, minutes in ((3, 1, 30), (4, 1, 40), (5, 1, 50), (6, 1, 60), (7, 2, 100)):
            logged.append(worklog.log_work(ids["clerk"], date(2025, 3, day), item_id, quantity, actual_minutes=minutes))
        worklog.submit_entries([e.id for e in logged])
        worklog.log_work(ids["clerk"], date(2025, 3, 10), item_id, 1, actual_minutes=500)  # a draft: not counted
        worklog.log_work(ids["clerk"], date(2025, 3, 11), item_id, 1)  # no minutes reported: not counted
        outside = worklog.log_work(ids["clerk"], date(2025, 4, 2), item_id, 1, actual_minutes=999)  # after the pilot
        rare = worklog.log_work(ids["clerk"], date(2025, 3, 12), quiet, 1, actual_minutes=20)
        worklog.submit_entries([outside.id, rare.id])
        db.session.commit()
    r = client.get(
        url(w, "/catalog/calibration"),
        headers=w["committee"].headers,
        query_string={"from": "2025-03-01", "to": "2025-03-31"},
    )
    assert r.status_code == 200, r.json
    report = {row["code"]: row for row in r.json}
    row = report["B-VB-01"]
    assert row["entries"] == 5 and row["norm_minutes"] == 60
    assert (row["median_minutes"], row["p25_minutes"], row["p75_minutes"]) == (50, 40, 50)
    assert row["stddev_minutes"] == pytest.approx(11.40, abs=0.01)  # sqrt(520 / 4)
    assert row["suggested_norm_minutes"] == 50 and row["deviation_pct"] == pytest.approx(-16.67, abs=0.01)
    assert report["B-IT"]["entries"] == 1 and report["B-IT"]["suggested_norm_minutes"] is None
    # Officials cannot read it; accepting the suggestion opens a version for the normal approval.
    assert client.get(url(w, "/catalog/calibration"), headers=w["clerk"].headers).status_code == 403
    r = client.post(
        url(w, f"/catalog/items/{item_id}/calibration/accept"),
        headers=w["committee"].headers,
        json={"norm_minutes": 50, "valid_from": "2025-04-01"},
    )
    assert (
        r.status_code == 201 and r.json["pending"]["state"] == "submitted" and r.json["pending"]["norm_minutes"] == 50
    )
    assert r.json["version"]["norm_minutes"] == 60  # still in force until approved
    r = client.post(url(w, f"/catalog/items/{item_id}/approve"), headers=w["committee"].headers)
    assert r.json["error"]["code"] == "own_submission"
    client.post(url(w, f"/catalog/items/{item_id}/approve"), headers=w["committee2"].headers)
    april = client.get(url(w, f"/catalog/items/{item_id}?as_of=2025-04-01"), headers=w["clerk"].headers).json
    assert april["version"]["norm_minutes"] == 50


# ---------------------------------------------------------------- search and export


def test_search_ignores_diacritics_and_filters(client, w):
    ids = w["ids"]
    approved_item(client, w)
    approved_item(client, w, code="B-HOP", name_vi="Tổ chức cuộc họp giao ban", output_unit="cuộc họp")
    c_item = approved_item(
        client, w, drafter="clerk", approver="director", code="C-TD", group="C", agency_id=str(ids["agency"]),
        name_vi="Thẩm định đề án vị trí việc làm", field="Tổ chức bộ máy",
    )  # fmt: skip
    new_item(client, w, code="D-NHAP", group="D", name_vi="Việc khác chưa duyệt")
    approved_jd(client, w, [c_item], agency=ids["agency"], drafter="clerk", approver="director")

    def codes(**query):
        r = client.get(url(w, "/catalog/items"), headers=w["clerk"].headers, query_string=query)
        assert r.status_code == 200, r.json
        return [i["code"] for i in r.json]

    assert codes(q="van ban") == ["B-VB-01"] and codes(q="VĂN BẢN") == ["B-VB-01"]
    assert codes(q="hop giao ban") == ["B-HOP"] and codes(q="tham dinh") == ["C-TD"]
    assert codes(group="C") == ["C-TD"] and codes(field="Tổ chức bộ máy") == ["C-TD"]
    assert codes(status="draft") == ["D-NHAP"]
    assert codes(position_id=str(ids["staff_position"])) == ["C-TD"]
    assert codes(agency_id=str(ids["agency"])) == ["C-TD"]
    assert codes() == ["B-HOP", "B-VB-01", "C-TD", "D-NHAP"]
    r = client.get(url(w, "/catalog/items"), headers=w["clerk"].headers, query_string={"group": "Z"})
    assert r.status_code == 422


def test_export_of_the_approved_catalog(client, w, tenant_b, make_account):
    approved_item(client, w, norm_minutes=90, complexity="complex")
    new_item(client, w, code="D-NHAP", group="D", name_vi="Việc chưa duyệt")
    r = client.get(url(w, "/catalog/export?format=csv"), headers=w["clerk"].headers)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert r.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Mã", "Nhóm"] and "Định mức (phút/sản phẩm)" in rows[0]
    assert [row[0] for row in rows[1:]] == ["B-VB-01"]  # drafts are not in the approved catalog
    weight = rows[1][rows[0].index("Quy đổi (giờ chuẩn/sản phẩm)")]
    assert float(weight) == 1.8  # 90 minutes × 1.2 / 60
    r = client.get(url(w, "/catalog/export"), headers=w["clerk"].headers)
    assert "attachment" in r.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(r.data)).active
    assert (
        sheet["A1"].value == "Mã"
        and sheet["A2"].value == "B-VB-01"
        and sheet["E2"].value == "Soạn thảo văn bản hành chính"
    )
    # Another province's export shows nothing of this one.
    b_admin = make_account(tenant_b, roles=["provincial_admin"])
    r = client.get(f"/api/v1/t/{tenant_b.slug}/catalog/export?format=csv", headers=b_admin.headers)
    assert r.status_code == 200 and b"B-VB-01" not in r.data


def test_the_complexity_table_is_the_tenants(client, w):
    levels = client.get(url(w, "/catalog/complexity-levels"), headers=w["clerk"].headers).json
    assert [(lv["code"], lv["coefficient"]) for lv in levels] == [
        ("simple", 0.8),
        ("normal", 1.0),
        ("complex", 1.2),
        ("very_complex", 1.5),
    ]
    item_id = approved_item(client, w, complexity="complex")
    table = {"levels": [{"code": "complex", "name_vi": "Phức tạp", "name_en": "Complex", "coefficient": 1.3}]}
    assert client.put(url(w, "/catalog/complexity-levels"), headers=w["clerk"].headers, json=table).status_code == 403
    r = client.put(url(w, "/catalog/complexity-levels"), headers=w["committee"].headers, json=table)
    assert r.status_code == 200 and r.json[0]["coefficient"] == 1.3
    # The approved version keeps the coefficient it was approved with; a new version takes the new one.
    assert (
        client.get(url(w, f"/catalog/items/{item_id}"), headers=w["clerk"].headers).json["version"][
            "complexity_coefficient"
        ]
        == 1.2
    )
    r = client.post(
        url(w, f"/catalog/items/{item_id}/versions"),
        headers=w["admin"].headers,
        json={"valid_from": "2025-02-01", "complexity": "complex"},
    )
    assert r.json["pending"]["complexity_coefficient"] == 1.3
    assert new_item(client, w, code="B-9", complexity="normal").json["error"]["code"] == "unknown_complexity"
