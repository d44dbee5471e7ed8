"""The embedded demo: tenants from tenants/*/tenant.yaml, a few accounts, and their API tokens;
in Khánh Hòa, two weeks of Sở Nội vụ's work logs, so the pages have something to show and review.

Idempotent: a tenant that exists is left as it is.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import yaml
from sqlalchemy import select

from kpi_platform.benchmarking import demo_data as benchmarking_demo
from kpi_platform.catalog import job_descriptions
from kpi_platform.catalog import service as catalog
from kpi_platform.catalog.models import CatalogItem
from kpi_platform.context import SYSTEM_TENANT_ID, tenant_scope
from kpi_platform.db import db
from kpi_platform.identity import service as identity
from kpi_platform.jobs import service as jobs
from kpi_platform.onboarding import rollout
from kpi_platform.org import service as org
from kpi_platform.org.models import OrgUnit
from kpi_platform.tenancy import service as tenancy
from kpi_platform.tenant_settings import service as tenant_settings
from kpi_platform.vietnamese import fold
from kpi_platform.worklog import calendar
from kpi_platform.worklog import service as worklog
from kpi_platform.worklog.models import WorkEntry

DEMO_TOKEN_DAYS = 365


def packs_dir() -> Path:
    return Path.cwd() / "tenants"


def _account(email: str, name: str, roles: list[str]) -> tuple[str, str]:
    principal = identity.find_principal_by_email(email) or identity.create_principal(
        email=email, display_name=name, roles=roles
    )
    _, raw = identity.issue_token(principal, name="demo", days=DEMO_TOKEN_DAYS, max_days=DEMO_TOKEN_DAYS)
    db.session.commit()
    return email, raw


DEMO_START = date(2025, 4, 1)  # Khánh Hòa's official start
MERGER_DAY = date(2025, 7, 1)  # Ninh Thuận merged into Khánh Hòa
AGENCIES = [
    ("SNV", "Sở Nội vụ", ["Phòng Tổ chức, biên chế", "Phòng Cải cách hành chính", "Văn phòng Sở"]),
    ("STC", "Sở Tài chính", ["Phòng Ngân sách", "Phòng Đầu tư", "Văn phòng Sở"]),
    ("SGDDT", "Sở Giáo dục và Đào tạo", ["Phòng Giáo dục phổ thông", "Văn phòng Sở"]),
]
COMMUNES = [("P-NHATRANG", "Phường Nha Trang"), ("X-CAMLAM", "Xã Cam Lâm")]
FORMER_NINH_THUAN = [
    ("NT-PHUOCDAN", "Xã Phước Dân"),
    ("NT-PHUOCHAU", "Xã Phước Hậu"),
    ("NT-PHUOCTHAI", "Xã Phước Thái"),
]
PEOPLE = [
    "Nguyễn Văn A",
    "Trần Thị Bình",
    "Lê Văn Cường",
    "Phạm Thị Dung",
    "Hoàng Văn Đức",
    "Huỳnh Thị Hạnh",
    "Võ Văn Hùng",
    "Đặng Thị Lan",
    "Bùi Văn Long",
    "Đỗ Thị Mai",
    "Hồ Văn Nam",
    "Ngô Thị Oanh",
    "Dương Văn Phúc",
    "Lý Thị Quỳnh",
    "Phan Văn Sơn",
    "Trương Thị Thảo",
    "Đinh Văn Toàn",
    "Mai Thị Uyên",
    "Tôn Nữ Vân",
    "Châu Văn Xuân",
    "Lâm Thị Yến",
    "Tạ Văn Ánh",
]


def seed_org() -> None:
    """A small Khánh Hòa: agencies with divisions, communes, and the former Ninh Thuận communes
    merged into one ward from 1 July 2025 (so "as of" June still shows the old tree)."""
    if db.session.scalar(select(OrgUnit.id).limit(1)):
        return
    root = org.create_unit(
        code="KH", name_vi="UBND tỉnh Khánh Hòa", kind="province", parent_id=None, valid_from=DEMO_START
    )
    nt_root = org.create_unit(
        code="NT", name_vi="UBND tỉnh Ninh Thuận (cũ)", kind="province", parent_id=None, valid_from=DEMO_START
    )
    leader = org.create_position(code="LD-SO", name_vi="Giám đốc Sở", category="leadership", unit_kinds=["agency"])
    head = org.create_position(code="TP", name_vi="Trưởng phòng", category="leadership", unit_kinds=["division"])
    staff = org.create_position(
        code="CV", name_vi="Chuyên viên", category="professional", unit_kinds=["agency", "division", "commune"]
    )
    units = []
    for code, name, divisions in AGENCIES:
        agency = org.create_unit(code=code, name_vi=name, kind="agency", parent_id=root.id, valid_from=DEMO_START)
        units.append((agency, leader))
        for index, division in enumerate(divisions, start=1):
            unit = org.create_unit(
                code=f"{code}-P{index}", name_vi=division, kind="division", parent_id=agency.id, valid_from=DEMO_START
            )
            units.append((unit, head if index == 1 else staff))
    for code, name in COMMUNES:
        units.append(
            (org.create_unit(code=code, name_vi=name, kind="commune", parent_id=root.id, valid_from=DEMO_START), staff)
        )
    former = [
        org.create_unit(code=code, name_vi=name, kind="commune", parent_id=nt_root.id, valid_from=DEMO_START)
        for code, name in FORMER_NINH_THUAN
    ]
    units += [(unit, staff) for unit in former]
    for number, name in enumerate(PEOPLE, start=1):
        unit, position = units[(number - 1) % len(units)]
        official = org.create_official(
            staff_code=f"KH{number:04d}",
            full_name=name,
            employment_kind="cong_chuc",
            email=".".join(fold(name).split()) + "@khanh-hoa.demo",
            assignment={"unit_id": unit.id, "position_id": position.id, "valid_from": DEMO_START},
        )
        if position is not staff and org.head_of(unit.id, DEMO_START) is None:  # the first one placed there heads it
            org.set_unit_head(unit.id, official.id, effective_date=DEMO_START)
    org.reorganise(
        effective_date=MERGER_DAY,
        reason="Sáp nhập tỉnh Ninh Thuận vào tỉnh Khánh Hòa",
        creates=[{"code": "P-PHUOCHAI", "name_vi": "Xã Phước Hải", "kind": "commune", "parent": "KH"}],
        merges=[{"sources": [u.id for u in former], "target": "P-PHUOCHAI"}],
        dissolves=["NT"],
    )
    db.session.commit()


# One account per role; the people among them are officials of the seeded org (Nguyễn Văn A heads
# Sở Nội vụ, Trần Thị Bình heads its Phòng Tổ chức, Lê Văn Cường works in the next division).
DEMO_ACCOUNTS = (
    ("admin", "Quản trị viên tỉnh", ["provincial_admin"]),
    ("bcd", "Thành viên Ban chỉ đạo", ["steering_committee"]),
    ("auditor", "Thanh tra Sở Nội vụ", ["auditor"]),
    ("hotro", "Cán bộ hỗ trợ", ["support_staff"]),
    ("nguyen.van.a", "Nguyễn Văn A", ["official", "unit_head"]),
    ("tran.thi.binh", "Trần Thị Bình", ["official", "manager"]),
    ("le.van.cuong", "Lê Văn Cường", ["official"]),
)


def _link_official(email: str) -> None:
    official = db.session.scalar(select(org.Official).where(org.Official.email == email))
    principal = identity.find_principal_by_email(email)
    if official is not None and official.principal_id is None:
        org.update_official(official.id, {"principal_id": principal.id})
        db.session.commit()


# (code, group, name, output unit, norm minutes, complexity); C items belong to Sở Nội vụ.
DEMO_ITEMS = (
    ("A-01", "A", "Chỉ đạo, điều hành công việc của phòng", "ngày", 60, "complex"),
    ("A-02", "A", "Chủ trì cuộc họp giao ban", "cuộc họp", 90, "normal"),
    ("A-03", "A", "Ký duyệt văn bản đi", "văn bản", 10, "normal"),
    ("B-01", "B", "Soạn thảo văn bản hành chính thông thường", "văn bản", 60, "normal"),
    ("B-02", "B", "Tham mưu văn bản trả lời kiến nghị của công dân, doanh nghiệp", "văn bản", 120, "complex"),
    ("B-03", "B", "Xử lý văn bản đến trên hệ thống quản lý văn bản", "văn bản", 10, "simple"),
    ("B-04", "B", "Tổng hợp, xây dựng báo cáo định kỳ", "báo cáo", 240, "complex"),
    ("B-05", "B", "Tham dự cuộc họp, hội nghị", "cuộc họp", 120, "normal"),
    ("C-SNV-01", "C", "Thẩm định đề án vị trí việc làm", "hồ sơ", 480, "very_complex"),
    ("C-SNV-02", "C", "Thẩm định hồ sơ tuyển dụng công chức", "hồ sơ", 90, "complex"),
    ("D-01", "D", "Nhiệm vụ đột xuất do lãnh đạo giao", "nhiệm vụ", 120, "normal"),
)
# Position code -> items of its tenant-wide description; Sở Nội vụ's own description adds the C items.
DEMO_DESCRIPTIONS = {
    "LD-SO": ("A-01", "A-02", "A-03", "B-05", "D-01"),
    "TP": ("A-01", "A-02", "A-03", "B-01", "B-04", "B-05", "D-01"),
    "CV": ("B-01", "B-02", "B-03", "B-04", "B-05", "D-01"),
}


def seed_catalog(committee, drafter, agency_head) -> None:
    """A small approved catalog and job descriptions (the reference pack comes with onboarding)."""
    if db.session.scalar(select(CatalogItem.id).limit(1)) is not None:  # seeded, or loaded from a pack
        return
    agency = db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == "SNV"))
    items = {}
    for code, group, name, unit, norm, complexity in DEMO_ITEMS:
        item = catalog.create_item(
            code=code,
            group=group,
            agency_id=agency if group == "C" else None,
            by=drafter,
            valid_from=DEMO_START,
            name_vi=name,
            output_unit=unit,
            norm_minutes=norm,
            complexity=complexity,
        )
        catalog.submit(item.id, by=drafter)
        catalog.approve(item.id, by=agency_head if group == "C" else committee)
        items[code] = item.id
    descriptions = [(code, None, codes) for code, codes in DEMO_DESCRIPTIONS.items()]
    descriptions.append(("CV", agency, ("C-SNV-01", "C-SNV-02")))
    for position_code, agency_id, codes in descriptions:
        position = db.session.scalar(select(org.JobPosition).where(org.JobPosition.code == position_code))
        jd = job_descriptions.create(
            position_id=position.id,
            agency_id=agency_id,
            lines_=[{"item_id": items[code]} for code in codes],
            valid_from=DEMO_START,
            by=drafter,
        )
        job_descriptions.submit(jd.id, by=drafter)
        job_descriptions.approve(jd.id, by=agency_head if agency_id else committee)
    db.session.commit()


# Sở Nội vụ's people whose days are seeded (staff code -> what they log); Nguyễn Văn A (KH0001)
# reviews all of them but Mai Thị Uyên, whom Trần Thị Bình reviews as head of her division.
DEMO_LOGGERS = {
    "KH0002": "TP",  # Trần Thị Bình
    "KH0003": "CV",  # Lê Văn Cường
    "KH0004": "CV",  # Phạm Thị Dung: seldom gives a document number (an anomaly flag)
    "KH0017": "LD-SO",  # Đinh Văn Toàn
    "KH0018": "TP",  # Mai Thị Uyên
    "KH0019": "CV",  # Tôn Nữ Vân
    "KH0020": "CV",  # Châu Văn Xuân: turns to high-value items lately (an anomaly flag)
}
# What a day of each position is made of: (item code, smallest and largest quantity).
DEMO_DAY_ITEMS = {
    "CV": (("B-03", 4, 12), ("B-01", 1, 3), ("B-05", 1, 1), ("B-02", 1, 1), ("C-SNV-02", 1, 2), ("D-01", 1, 1)),
    "TP": (("A-01", 1, 1), ("A-03", 3, 8), ("B-01", 1, 2), ("B-05", 1, 1), ("B-04", 1, 1)),
    "LD-SO": (("A-01", 1, 1), ("A-02", 1, 1), ("A-03", 5, 15), ("B-05", 1, 1)),
}
DEMO_RETURN_REASON = "Số văn bản không khớp với hệ thống quản lý văn bản; kiểm tra lại số, ký hiệu."


def _previous_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def seed_work(today: date) -> None:
    """Sở Nội vụ's work, logged and submitted through the work-log service and reviewed by their
    reviewers, so every page has something to show on any day of the year:
    - the previous month: every working day, all approved, then closed, locked and scored;
    - this month: the working days before today (on its first working days, this morning's work),
      all approved but the last day's (waiting in Nguyễn Văn A's queue) and one of Lê Văn Cường's,
      returned with a reason. Tôn Nữ Vân forgot a day (a gap on the team's page).
    Seeds only when the demo has no work since the start of the previous month, so a demo started
    again weeks later is brought up to date and one started again the same day is left alone."""
    previous = _previous_month(today)
    if db.session.scalar(select(WorkEntry.id).where(WorkEntry.work_date >= previous).limit(1)) is not None:
        return
    officials = {
        o.staff_code: o
        for o in db.session.scalars(select(org.Official).where(org.Official.staff_code.in_(DEMO_LOGGERS)))
    }
    items = dict(db.session.execute(select(CatalogItem.code, CatalogItem.id)).all())
    if len(officials) != len(DEMO_LOGGERS) or not all(code in items for code, *_ in DEMO_ITEMS):
        return  # not the demo's own org and catalog (a pack was loaded instead)
    reviewers = {
        "head": identity.find_principal_by_email("nguyen.van.a@khanh-hoa.demo"),
        "division_head": identity.find_principal_by_email("tran.thi.binh@khanh-hoa.demo"),
    }
    chance = random.Random(2025)  # noqa: S311 - sample data, not security
    month_start = today.replace(day=1)
    last_month = calendar.working_days(previous, month_start - timedelta(days=1))
    _seed_days(last_month, officials, items, reviewers, chance, today=today, open_month=False)
    if not worklog.is_closed(previous):
        admin = identity.find_principal_by_email("admin@khanh-hoa.demo")
        close_month(previous, by=admin)
    this_month = calendar.working_days(month_start, today - timedelta(days=1)) or [today]
    _seed_days(this_month, officials, items, reviewers, chance, today=today, open_month=True)
    db.session.commit()


def _seed_days(days, officials, items, reviewers, chance, *, today: date, open_month: bool) -> None:
    """Log the demo loggers' work on `days` and review it (in an open month: all but the last day)."""
    norms = {code: norm for code, _, _, _, norm, _ in DEMO_ITEMS}
    decisions: dict[str, list[dict]] = {"head": [], "division_head": []}
    number = 100 if open_month else 5000
    for index, day in enumerate(days):
        last = index == len(days) - 1
        for code, position in DEMO_LOGGERS.items():
            official = officials[code]
            if code == "KH0019" and index == len(days) - 3:
                continue  # a day with nothing logged
            choices = list(DEMO_DAY_ITEMS[position])
            chance.shuffle(choices)
            if open_month and code == "KH0020" and index >= len(days) - 4:  # the shift to high-value items
                choices = [("C-SNV-01", 1, 1), ("B-03", 2, 4)]
            minutes, logged = 0, []
            for item_code, low, high in choices:
                quantity = chance.randint(low, high)
                if minutes + norms[item_code] * quantity > 480:
                    continue
                minutes += norms[item_code] * quantity
                number += 1
                evidence = None if code == "KH0004" and number % 4 else f"{number}/SNV-VP"
                logged.append(
                    worklog.log_work(
                        official.id, day, items[item_code], quantity, evidence_ref=evidence, submit=True, by=None
                    )
                )
            if open_month and last and len(days) > 1:
                continue  # yesterday's work waits for review
            reviewer = "division_head" if code == "KH0018" else "head"
            for number_in_day, entry in enumerate(logged):
                returned = code == "KH0003" and number_in_day == 0 and index == max(len(days) - 2, 0)
                if open_month and returned:
                    decisions[reviewer].append({"id": entry.id, "decision": "return", "reason": DEMO_RETURN_REASON})
                elif open_month and last and not (code == "KH0003" and number_in_day == 1):
                    continue  # this morning's work, on the month's first working day, waits for review
                else:
                    quality = "excellent" if chance.random() < 0.25 else "good"
                    decisions[reviewer].append({"id": entry.id, "decision": "approve", "quality": quality})
    for reviewer, batch in decisions.items():
        for start in range(0, len(batch), worklog.MAX_BATCH):
            worklog.review(reviewers[reviewer], batch[start : start + worklog.MAX_BATCH], today=today)
    db.session.flush()


def close_month(month: date, *, by) -> None:
    """Close the month the way the provincial admin does; its entries are locked and the month is
    scored by the same background job (run in process in the demo)."""
    from kpi_platform.scoring import tasks as scoring_tasks

    _, job = scoring_tasks.close_month(month, by=by)
    db.session.commit()
    jobs.dispatch(job)


def seed_rollout(admin) -> None:
    """Khánh Hòa's path as its rollout checklist shows it: the pilot in Sở Nội vụ from January 2025,
    the official start on 1 April 2025, the extension to the merged Ninh Thuận communes on 1 July."""
    if rollout.events():
        return
    rollout.record_event(step="pilot_started", on_date=date(2025, 1, 2), unit_codes=["SNV"], note=None, by=admin)
    rollout.record_event(step="official_start", on_date=DEMO_START, unit_codes=[], note=None, by=admin)
    rollout.record_event(
        step="extension", on_date=MERGER_DAY, unit_codes=["P-PHUOCHAI"], note="Sau hợp nhất tỉnh", by=admin
    )
    db.session.commit()


def seed(token_file: Path) -> list[str]:
    """Create the demo tenants and accounts; write fresh tokens to token_file; return its lines."""
    lines = []
    with tenant_scope(SYSTEM_TENANT_ID):
        email, raw = _account("operator@platform.demo", "Vận hành nền tảng", ["platform_operator"])
        lines.append(f"platform  {email:32} {raw}")
    for pack in sorted(packs_dir().glob("*/tenant.yaml")):
        if pack.parent.name.startswith("_"):  # _template is a blank starting point, not a province
            continue
        spec = yaml.safe_load(pack.read_text(encoding="utf-8"))
        tenant = tenancy.get_tenant_by_slug(spec["slug"]) or tenancy.create_tenant(
            slug=spec["slug"],
            name_vi=spec["name_vi"],
            name_en=spec["name_en"],
            kind=spec.get("kind", "province"),
            status=spec.get("status", "provisioning"),
            time_zone=spec.get("time_zone", "Asia/Ho_Chi_Minh"),
        )
        with tenant_scope(tenant.id):
            if tenant.slug == "khanh-hoa":
                seed_org()
                # Khánh Hòa scores by standard hours (its 2025 method), also after Decree 335 came in force.
                tenant_settings.save({"scoring_method": "hours"}, valid_from=DEMO_START, origin="demo")
                db.session.commit()
            # Accounts of officials only where the demo has an org for them to belong to.
            with_org = db.session.scalar(select(OrgUnit.id).limit(1)) is not None
            for local, name, roles in DEMO_ACCOUNTS:
                if "official" in roles and not with_org:
                    continue
                email, raw = _account(f"{local}@{tenant.slug}.demo", name, roles)
                _link_official(email)
                lines.append(f"{tenant.slug:9} {email:32} {raw}")
            if tenant.slug == "khanh-hoa":
                find = identity.find_principal_by_email
                seed_catalog(
                    committee=find("bcd@khanh-hoa.demo"),
                    drafter=find("admin@khanh-hoa.demo"),
                    agency_head=find("nguyen.van.a@khanh-hoa.demo"),
                )
                seed_rollout(find("admin@khanh-hoa.demo"))
                seed_work(tenancy.local_today(tenant))
    lines += [f"{slug:9} {email:32} {raw}" for slug, email, raw in benchmarking_demo.seed()]
    token_file.parent.mkdir(parents=True, exist_ok=True)
    header = "# Demo API tokens (send as 'Authorization: Bearer <token>'); regenerated at each start.\n"
    token_file.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    return lines
