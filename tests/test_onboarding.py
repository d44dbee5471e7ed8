"""Onboarding on PostgreSQL: packs import all or nothing with every problem located, a second import
is a no-op, a dry run changes nothing, changes keep history, a merged province is absorbed from a
date, uploads run as jobs, a tenant starts from a template, and the rollout checklist follows."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from packs import FILES, write_pack, zipped
from sqlalchemy import func, select

from kpi_platform.audit.models import AuditEntry
from kpi_platform.catalog import job_descriptions
from kpi_platform.catalog.models import CatalogItem, CatalogItemVersion, ItemStatus, VersionState
from kpi_platform.context import tenant_scope
from kpi_platform.db import db
from kpi_platform.onboarding import rollout, service
from kpi_platform.org import service as org
from kpi_platform.org.models import Assignment, Official, OrgUnit
from kpi_platform.tenancy import service as tenancy
from kpi_platform.tenant_settings import service as tenant_settings

TODAY = date(2025, 5, 15)
ROOT = Path(__file__).resolve().parent.parent


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def import_into(tenant, folder: Path, **kwargs):
    with tenant_scope(tenant.id):
        return service.run(
            service.read(folder), by=None, today=kwargs.pop("today", TODAY), tenant_slug=tenant.slug, **kwargs
        )


def test_a_pack_imports_cleanly_and_a_second_import_changes_nothing(tenant_a, tmp_path):
    folder = write_pack(tmp_path / "pack", tenant_a.slug)
    dry = import_into(tenant_a, folder, dry_run=True)
    assert dry.ok, dry.problems
    assert dry.report["officials"]["create"] == 5 and dry.report["catalog_items"]["create"] == 5
    with tenant_scope(tenant_a.id):
        assert count(Official) == 0 and count(CatalogItem) == 0  # the dry run changed nothing

    outcome = import_into(tenant_a, folder)
    assert outcome.ok, outcome.problems
    plan = outcome.report
    assert plan["units"]["create"] == 5 and plan["positions"]["create"] == 3 and plan["officials"]["create"] == 5
    assert plan["job_descriptions"]["create"] == 4 and plan["accounts"]["create"] == 4
    with tenant_scope(tenant_a.id):
        assert count(Official) == 5 and count(Assignment) == 6 and count(OrgUnit) == 5
        # Approved under the decision the pack names, so officials can log at once.
        statuses = set(db.session.scalars(select(CatalogItem.status)))
        assert statuses == {ItemStatus.approved}
        cuong = db.session.scalar(select(Official).where(Official.staff_code == "TN003"))
        allowed = db.session.execute(job_descriptions.allowed_items(cuong.id, date(2025, 4, 2))).all()
        assert sorted(item.code for item, _ in allowed) == ["B-001", "B-002", "C-SYT-001", "D-001"]
        assert db.session.execute(job_descriptions.allowed_items(cuong.id, date(2025, 3, 31))).all() == []
        dung = db.session.scalar(select(Official).where(Official.staff_code == "TN004"))
        allowed = db.session.execute(job_descriptions.allowed_items(dung.id, date(2025, 4, 2))).all()
        assert sorted(item.code for item, _ in allowed) == ["B-001", "B-002", "D-001"]  # no C item in the commune
        # Heads, reviewers, accounts linked, settings and rollout recorded.
        syt = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "SYT"))
        assert org.get_official(org.head_of(syt.id, date(2025, 4, 2))).staff_code == "TN001"
        first_day = min(v.valid_from for v in org.unit_history(syt.id))
        assert [h.valid_from for h in org.head_history(syt.id)] == [first_day]  # head since the unit began
        assert org.get_official(cuong.reviewer_id).staff_code == "TN002"
        assert cuong.principal_id is not None
        assert tenant_settings.settings_on(date(2025, 2, 1)).quality[1].factor == Decimal("0.9")
        assert [str(e.step) for e in rollout.events()] == ["pilot_started", "official_start", "extension"]
        decision = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "catalog.import.approved"))
        assert "Quyết định số 35/QĐ-BCĐ" in decision.after["decision"]
        assert tenancy.get_tenant(tenant_a.id).status == "active"  # the official start has passed

    again = import_into(tenant_a, folder)
    assert again.ok and again.changes == 0, again.report
    assert all(set(actions) <= {"unchanged", "examples"} for actions in again.report.values()), again.report


PLANTED = {
    "units_csv": FILES["units.csv"]
    + "SYT,Sở Y tế lặp lại,agency,T,2025-01-01,\n"  # 7: duplicate code
    + "X-B,Xã Bình,hamlet,T,2025-01-01,\n"  # 8: unknown kind
    + "X-C,Xã Cát,commune,KHONG-CO,2025-01-01,\n"  # 9: unknown parent
    + "X-D,Xã Đông,commune,T,ngày-mai,\n",  # 10: bad date
    "officials_csv": FILES["officials.csv"]
    + "TN006,Hồ Văn Phúc,nhan_vien,phuc@thunghiem.gov.vn,SYT,CV,2025-01-01,1,\n"  # 7: bad employment kind
    + "TN007,Ngô Thị Giang,cong_chuc,an.nguyen@thunghiem.gov.vn,SYT,CV,2025-01-01,1,\n"  # 8: email taken
    + "TN008,Võ Văn Hải,cong_chuc,,SYT,KHONG-CO,2025-01-01,1,\n"  # 9: unknown position
    + "TN009,Bùi Thị Hoa,cong_chuc,,SYT,CV,2025-01-01,1.5,\n",  # 10: share above 1
    "job_descriptions_csv": FILES["job_descriptions.csv"]
    + "CV,,C-SYT-001,\n"  # 10: a C item in a tenant-wide description
    + "CV,,B-999,\n",  # 11: unknown item
    "catalog_yaml": FILES["catalog.yaml"]
    + """  - code: B-003
    group: B
    name_vi: Định mức âm
    output_unit: văn bản
    norm_minutes: -5
  - code: B-004
    group: B
    name_vi: Độ phức tạp lạ
    output_unit: văn bản
    norm_minutes: 30
    complexity: sieu_kho
""",
    "accounts_csv": FILES["accounts.csv"] + "nguoi-la@thunghiem.gov.vn,Người lạ,superuser,\n",  # 6: unknown role
}


def test_a_pack_with_planted_errors_reports_each_in_place_and_imports_nothing(tenant_a, tmp_path):
    folder = write_pack(tmp_path / "pack", tenant_a.slug, **PLANTED)
    outcome = import_into(tenant_a, folder)
    assert not outcome.ok
    found = {(p["file"], p["line"], p["column"]) for p in outcome.problems}
    expected = {
        ("units.csv", 7, "code"),
        ("units.csv", 8, "kind"),
        ("units.csv", 9, "parent_code"),
        ("units.csv", 10, "valid_from"),
        ("officials.csv", 7, "employment_kind"),
        ("officials.csv", 8, "email"),
        ("officials.csv", 9, "position_code"),
        ("officials.csv", 10, "share"),
        ("job_descriptions.csv", 10, "item_code"),
        ("job_descriptions.csv", 11, "item_code"),
        ("catalog.yaml", 38, "norm_minutes"),
        ("catalog.yaml", 43, "complexity"),
        ("accounts.csv", 6, "roles"),
    }
    assert expected <= found, sorted(expected - found)
    for problem in outcome.problems:
        assert problem["message_vi"] and problem["message_en"] and problem["code"]
    with tenant_scope(tenant_a.id):
        assert count(OrgUnit) == 0 and count(Official) == 0 and count(CatalogItem) == 0


def test_a_changed_pack_changes_only_what_changed_and_keeps_history(tenant_a, tmp_path):
    folder = write_pack(tmp_path / "pack", tenant_a.slug)
    assert import_into(tenant_a, folder).ok
    catalog = FILES["catalog.yaml"].replace("norm_minutes: 10", "norm_minutes: 8")
    officials = FILES["officials.csv"].replace(
        "TN005,Đặng Văn Em,cong_chuc,,X-AN", "TN005,Đặng Văn Em,cong_chuc,,SYT-VP"
    )
    write_pack(folder, tenant_a.slug, catalog_yaml=catalog, officials_csv=officials)
    outcome = import_into(tenant_a, folder, today=date(2025, 6, 1))
    assert outcome.ok, outcome.problems
    assert outcome.report["catalog_items"] == {"change": 1, "unchanged": 4, "examples": {"change": ["B-002"]}}
    assert outcome.report["officials"]["change"] == 1 and outcome.report["officials"]["unchanged"] == 4
    with tenant_scope(tenant_a.id):
        item = db.session.scalar(select(CatalogItem).where(CatalogItem.code == "B-002"))
        versions = db.session.scalars(
            select(CatalogItemVersion).where(CatalogItemVersion.item_id == item.id).order_by(CatalogItemVersion.number)
        ).all()
        assert [(v.number, v.norm_minutes, v.valid_from, v.valid_to) for v in versions] == [
            (1, 10, date(2025, 4, 1), date(2025, 6, 1)),
            (2, 8, date(2025, 6, 1), None),
        ]
        assert all(v.state == VersionState.approved for v in versions)
        em = db.session.scalar(select(Official).where(Official.staff_code == "TN005"))
        posts = [(p["unit_code"], p["since"]) for p in org.current_posts(em.id, date(2025, 5, 31))]
        assert posts == [("X-AN", date(2025, 1, 1))]  # the past is kept
        assert [p["unit_code"] for p in org.current_posts(em.id, date(2025, 6, 1))] == ["SYT-VP"]


def test_absorbing_a_merged_province_keeps_the_hosts_history(tenant_a, tmp_path):
    assert import_into(tenant_a, write_pack(tmp_path / "host", tenant_a.slug)).ok
    other = write_pack(
        tmp_path / "ninh-thuan",
        "ninh-thuan",
        units_csv="""code,name_vi,kind,parent_code,valid_from,head_staff_code
NT,UBND tỉnh Ninh Thuận,province,,2024-01-01,
PR,Phường Phan Rang,commune,NT,2024-01-01,NT001
NP,Xã Ninh Phước,commune,NT,2024-01-01,
""",
        officials_csv=FILES["officials.csv"].splitlines()[0]
        + """
NT001,Châu Văn Sơn,can_bo,son.chau@ninhthuan.gov.vn,PR,CT-XA,2024-01-01,1,
NT002,Lý Thị Thu,cong_chuc,,PR,CV,2024-01-01,1,NT001
NT003,Tôn Nữ Uyên,cong_chuc,,NP,VAN-THU,2024-01-01,1,
""",
        concurrent_posts_csv=None,
        job_descriptions_csv=None,
        accounts_csv=None,
    )
    with tenant_scope(tenant_a.id):
        outcome = service.absorb(
            service.read(other),
            on=date(2025, 7, 1),
            under="T",
            prefix="NT-",
            position_map={"CT-XA": "GD"},
            by=None,
            today=TODAY,
        )
        assert outcome.ok, outcome.problems
        assert outcome.report["officials"]["create"] == 2
        assert list(outcome.report["unmapped_positions"]) == ["VAN-THU"]  # reported, not imported
        assert outcome.report["merge"]["moved_units"] == 2 and outcome.report["merge"]["dissolved_units"] == 1

        def roots(day):
            return {node["unit"].code: [c["unit"].code for c in node["children"]] for node in org.tree(day)}

        june, july = roots(date(2025, 6, 30)), roots(date(2025, 7, 1))
        assert set(june) == {"T", "NT-NT"} and sorted(june["NT-NT"]) == ["NT-NP", "NT-PR"]
        assert set(july) == {"T"} and {"NT-NP", "NT-PR", "SYT", "X-AN"} == set(july["T"])
        son = db.session.scalar(select(Official).where(Official.staff_code == "NT001"))
        assert [p["position_code"] for p in org.current_posts(son.id, date(2025, 8, 1))] == ["GD"]
        assert db.session.scalar(select(Official).where(Official.staff_code == "NT003")) is None


# ---------------------------------------------------------------- through the API


def upload(client, account, tenant, data: bytes, name: str, **form):
    return client.post(
        f"/api/v1/t/{tenant.slug}/onboarding/imports",
        headers=account.headers,
        data={"file": (io.BytesIO(data), name), **form},
        content_type="multipart/form-data",
    )


def test_an_uploaded_pack_runs_as_a_job_with_its_report(client, admin_a, tenant_a, tmp_path, make_account):
    folder = write_pack(tmp_path / tenant_a.slug, tenant_a.slug)
    r = upload(client, admin_a, tenant_a, zipped(folder), "pack.zip", dry_run="true")
    assert r.status_code == 202, r.json
    job = client.get(f"/api/v1/t/{tenant_a.slug}/onboarding/imports/{r.json['id']}", headers=admin_a.headers).json
    assert job["status"] == "succeeded" and job["dry_run"] is True and job["progress"]["phase"] == "finished"
    assert job["report"]["plan"]["officials"]["create"] == 5
    r = upload(client, admin_a, tenant_a, zipped(folder), "pack.zip")
    assert r.json["status"] == "succeeded" and r.json["report"]["changes"] > 0
    # A workbook with a planted error: the job is "invalid", the problem located by sheet and row.
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "officials"
    sheet.append(["staff_code", "full_name", "employment_kind", "email", "unit_code", "position_code", "valid_from"])
    sheet.append(["TN010", "Dương Văn Phong", "cong_chuc", None, "SYT", "CV", date(2025, 5, 1)])
    sheet.append(["TN011", "Mai Thị Quế", "cong_chuc", None, "KHONG-CO", "CV", date(2025, 5, 1)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    r = upload(client, admin_a, tenant_a, buffer.getvalue(), "nhan-su.xlsx")
    assert r.json["status"] == "invalid"
    assert [(p["file"], p["line"], p["column"]) for p in r.json["report"]["problems"]] == [
        ("officials.csv", 3, "unit_code")
    ]
    with tenant_scope(tenant_a.id):
        assert db.session.scalar(select(Official).where(Official.staff_code == "TN010")) is None  # all or nothing
    # Not a zip at all, and an official cannot upload.
    assert upload(client, admin_a, tenant_a, b"not a zip", "x.zip").json["status"] == "invalid"
    official = make_account(tenant_a, roles=["official"])
    assert upload(client, official, tenant_a, zipped(folder), "pack.zip").status_code == 403


def test_the_rollout_checklist_and_the_status_follow_the_events(client, make_account, operator, tmp_path):
    # A tenant of its own: status changes are committed by the tenant registry, outside the test's transaction.
    tenant_a = tenancy.create_tenant(slug="rollout-test", name_vi="Tỉnh Lộ Trình", name_en="Rollout")
    admin_a = make_account(tenant_a, roles=["provincial_admin"])
    checklist = client.get(f"/api/v1/t/{tenant_a.slug}/onboarding/rollout", headers=admin_a.headers).json
    assert checklist["done"] == 0 and [s["step"] for s in checklist["steps"]][:2] == [
        "pack_validated",
        "catalog_approved",
    ]
    without_rollout = write_pack(tmp_path / "pack", tenant_a.slug, rollout_yaml=None)
    assert import_into(tenant_a, without_rollout, today=date(2025, 1, 10)).ok
    events = f"/api/v1/t/{tenant_a.slug}/onboarding/rollout/events"
    r = client.post(
        events, headers=admin_a.headers, json={"step": "pilot_started", "on_date": "2025-01-02", "unit_codes": []}
    )
    assert r.status_code == 422
    r = client.post(
        events, headers=admin_a.headers, json={"step": "pilot_started", "on_date": "2025-01-02", "unit_codes": ["SYT"]}
    )
    assert r.status_code == 201
    with tenant_scope(tenant_a.id):
        assert tenancy.get_tenant(tenant_a.id).status == "pilot"
    checklist = client.get(f"/api/v1/t/{tenant_a.slug}/onboarding/rollout", headers=admin_a.headers).json
    steps = {s["step"]: s for s in checklist["steps"]}
    assert steps["pack_validated"]["done"] and steps["catalog_approved"]["done"] and steps["people_loaded"]["done"]
    assert steps["catalog_approved"]["evidence"]["approved_items"] == 5
    assert steps["people_loaded"]["evidence"]["officials"] == 5
    assert not steps["sso_tested"]["done"] and not steps["pilot_running"]["done"]  # nothing logged yet
    assert steps["pilot_running"]["evidence"]["units"] == ["SYT"]
    # The operator sees the same checklist from the platform side.
    r = client.get(f"/api/v1/platform/tenants/{tenant_a.slug}/rollout", headers=operator.headers)
    assert r.status_code == 200 and r.json["done"] == checklist["done"] and r.json["status"] == "pilot"


def test_a_new_tenant_starts_from_the_reference_pack_as_a_template(app, tmp_path):
    folder = write_pack(tmp_path / "mau", "mau")
    tenant, outcome = service.create_tenant_from(
        folder, slug="tinh-moi", name_vi="Tỉnh Mới", name_en="New Province",
        admin_email="admin@tinhmoi.gov.vn", admin_name="Quản trị", today_fn=lambda t: TODAY,
    )  # fmt: skip
    assert outcome.ok, outcome.problems
    with tenant_scope(tenant.id):
        items = db.session.scalars(select(CatalogItem).order_by(CatalogItem.code)).all()
        assert [i.code for i in items] == ["A-001", "B-001", "B-002", "D-001"]  # no agency's C item
        assert {i.status for i in items} == {ItemStatus.submitted}  # for the new province's own committee
        assert {i.origin for i in items} == {"template:mau"}
        assert count(Official) == 0 and tenant_settings.version_on(date(2025, 2, 1)) is not None
    tenancy.suspend_tenant("tinh-moi")


def test_the_reference_pack_imports_cleanly(tenant_a, tmp_path):
    """tenants/khanh-hoa, imported into an empty tenant, then once more as a no-op."""
    reference = ROOT / "tenants" / "khanh-hoa"
    if not (reference / "units.csv").exists():
        pytest.fail("the reference pack tenants/khanh-hoa has no units.csv")
    with tenant_scope(tenant_a.id):
        outcome = service.run(service.read(reference), by=None, today=TODAY)
        assert outcome.ok, outcome.problems[:20]
        assert count(Official) > 100 and count(CatalogItem) > 50
        again = service.run(service.read(reference), by=None, today=TODAY)
        assert again.ok and again.changes == 0, again.report
