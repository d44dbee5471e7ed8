"""Provinces with scored months for benchmarking: the demo's (a central analyst and four provinces
of 65 to 80 officials, three months each) and the tests'.

A province is built through the services (units, positions, officials, catalog, mappings, scoring
runs, the read model's refresh); only its work entries are inserted in bulk, as an e-document
system's feed would bring them, so that months of work take a second rather than minutes. Each
province has a profile, so the overview has differences to show: one rates generously, one
over-declares hours, one reviews slowly, one logs on few days.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from kpi_platform.benchmarking import mapping, readmodel
from kpi_platform.benchmarking.models import Preference
from kpi_platform.catalog import service as catalog
from kpi_platform.catalog.models import CatalogItemVersion
from kpi_platform.context import SYSTEM_TENANT_ID, tenant_scope
from kpi_platform.db import db
from kpi_platform.identity import service as identity
from kpi_platform.org import service as org
from kpi_platform.scoring import runs
from kpi_platform.tenancy import service as tenancy
from kpi_platform.worklog import calendar
from kpi_platform.worklog.models import EntryState, WorkEntry


@dataclass(frozen=True)
class Profile:
    hours: float = 6.0  # credited hours on a day logged (mean)
    spread: float = 1.6
    coverage: float = 0.93  # chance an official logs on a working day
    returned: float = 0.04  # share of entries returned
    review_days: int = 1  # working days from submission to decision (at most)


UNITS = [  # code, name, kind, parent code, sector (None: the parent's), national unit kind override
    ("T", "Ủy ban nhân dân tỉnh", "province", None, "general_administration", None),
    ("SNV", "Sở Nội vụ", "agency", "T", "home_affairs", None),
    ("SNV-P1", "Phòng Tổ chức, biên chế", "division", "SNV", None, None),
    ("STC", "Sở Tài chính", "agency", "T", "finance", None),
    ("STC-P1", "Phòng Ngân sách", "division", "STC", None, None),
    ("SYT", "Sở Y tế", "agency", "T", "health", None),
    ("SYT-BV", "Bệnh viện đa khoa tỉnh", "public_service_unit", "SYT", None, None),
    ("SGDDT", "Sở Giáo dục và Đào tạo", "agency", "T", "education", None),
    ("SGDDT-P1", "Phòng Giáo dục phổ thông", "division", "SGDDT", None, None),
    ("X-1", "Xã Phước Hải", "commune", "T", None, None),
    ("X-2", "Xã Cam Hiệp", "commune", "T", None, None),
    ("P-1", "Phường Trung Tâm", "commune", "T", None, "ward"),
]
# unit code -> (weight of officials, their positions and staff kinds)
PEOPLE = {
    "SNV-P1": (12, ("CV", "CV-TH", "VT"), ("cong_chuc",)),
    "STC-P1": (12, ("CV", "CV-TH", "VT"), ("cong_chuc",)),
    "SYT-BV": (16, ("CV", "VT", "HD"), ("vien_chuc", "vien_chuc", "contract")),
    "SGDDT-P1": (12, ("CV", "CV-TH"), ("cong_chuc",)),
    "X-1": (16, ("CV", "CV-TH", "LD"), ("cong_chuc", "can_bo")),
    "X-2": (14, ("CV", "CV-TH", "LD"), ("cong_chuc", "can_bo")),
    "P-1": (12, ("CV", "CV-TH", "LD"), ("cong_chuc", "can_bo")),
    "SNV": (3, ("LD",), ("cong_chuc",)),
    "STC": (3, ("LD",), ("cong_chuc",)),
}
POSITIONS = [  # code, name, tenant category, national category (None: not mapped)
    ("LD", "Lãnh đạo, quản lý", "leadership", None),
    ("CV", "Chuyên viên chuyên ngành", "professional", "specialised"),
    ("CV-TH", "Chuyên viên tổng hợp", "professional", "shared_professional"),
    ("VT", "Văn thư, lưu trữ", "support", None),
    ("HD", "Nhân viên hợp đồng", "professional", None),  # left unmapped: counted as such
]
KIND_MAPPINGS = [
    ("unit_kind", "province", "unit_kind", "provincial_office"),
    ("unit_kind", "agency", "unit_kind", "provincial_agency"),
    ("unit_kind", "division", "unit_kind", "inherit"),
    ("unit_kind", "commune", "unit_kind", "commune"),
    ("unit_kind", "commune", "sector", "multi_sector"),
    ("unit_kind", "public_service_unit", "unit_kind", "public_service_unit"),
    ("position_category", "leadership", "position_category", "leadership"),
    ("position_category", "support", "position_category", "support"),
]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Minh", "Thu", "Đức", "Ngọc", "Hữu", "Thanh"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Long", "Mai", "Nam", "Phúc"]


def mapping_rows() -> list[dict]:
    rows = [dict(zip(("subject", "code", "dimension", "term"), m, strict=True)) for m in KIND_MAPPINGS]
    for code, _, _, _, sector, kind in UNITS:
        if sector:
            rows.append({"subject": "unit", "code": code, "dimension": "sector", "term": sector})
        if kind:
            rows.append({"subject": "unit", "code": code, "dimension": "unit_kind", "term": kind})
    for code, _, _, national in POSITIONS:
        if national:
            rows.append({"subject": "position", "code": code, "dimension": "position_category", "term": national})
    rows.append({"subject": "item", "code": "B-01", "dimension": "sector", "term": "general_administration"})
    return rows


def _later_working_day(day: date, working: list[date], days: int) -> date:
    later = [d for d in working if d > day]
    return later[min(days, len(later)) - 1] if later and days else day


def build_province(
    slug: str,
    name_vi: str,
    name_en: str,
    *,
    officials: int,
    months: list[date],
    profile: Profile,
    seed: int = 1,
    marker: str = "",
    min_size: int = 10,
    named_to_peers: bool = False,
):
    """A province with `officials` people and these months scored and in the read model; returns
    the tenant. Names carry `marker` (tests look for it where it must not be)."""
    rng = random.Random(seed)  # noqa: S311 - made-up data, not secrets
    tenant = tenancy.create_tenant(slug=slug, name_vi=name_vi, name_en=name_en, status="active")
    start = months[0]
    with tenant_scope(tenant.id):
        admin = identity.create_principal(
            email=f"admin@{slug}.demo", display_name=f"Quản trị viên tỉnh {marker}".strip(), roles=["provincial_admin"]
        )
        committee = identity.create_principal(
            email=f"bcd@{slug}.demo", display_name=f"Ban chỉ đạo {marker}".strip(), roles=["steering_committee"]
        )
        org.bulk_create_units(
            [
                {"code": c, "name_vi": f"{n} {marker}".strip(), "kind": k, "parent_code": p, "valid_from": start}
                for c, n, k, p, _, _ in UNITS
            ]
        )
        org.bulk_create_positions(
            [{"code": c, "name_vi": f"{n} {marker}".strip(), "category": cat} for c, n, cat, _ in POSITIONS]
        )
        weights = sum(w for w, _, _ in PEOPLE.values())
        rows, number = [], 0
        for unit_code, (weight, positions, kinds) in PEOPLE.items():
            for _ in range(max(1, round(officials * weight / weights))):
                number += 1
                rows.append(
                    {
                        "staff_code": f"{slug[:3].upper()}{number:05d}",
                        "full_name": f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)} {marker}".strip(),
                        "employment_kind": rng.choice(kinds),
                        "unit_code": unit_code,
                        "position_code": rng.choice(positions),
                        "valid_from": start,
                    }
                )
        people = org.bulk_create_officials(rows)
        item = catalog.create_item(
            code="B-01",
            group="B",
            by=admin,
            valid_from=start,
            name_vi=f"Xử lý hồ sơ, văn bản theo quy trình {marker}".strip(),
            output_unit="giờ chuẩn",
            norm_minutes=60,
            complexity="normal",
        )
        catalog.submit(item.id, by=admin)
        catalog.approve(item.id, by=committee)
        mapping.set_mappings(mapping_rows(), by=admin)
        if named_to_peers:
            db.session.add(Preference(named_to_peers=True, updated_by=admin.id))
        db.session.commit()
        version_id = db.session.scalar(select(CatalogItemVersion.id).where(CatalogItemVersion.item_id == item.id))
        for month in months:
            _insert_month(month, people, item.id, version_id, profile, rng)
            db.session.commit()
            runs.run_period("month", month, reason="demo")
            db.session.commit()
            readmodel.refresh(month, min_size=min_size)
    return tenant


def _insert_month(month, people, item_id, version_id, profile: Profile, rng: random.Random) -> None:
    end = (month + timedelta(days=32)).replace(day=1)
    working = calendar.working_days(month, end + timedelta(days=14))
    days = [d for d in working if d < end]
    rows = []
    for person in people:
        level = rng.gauss(profile.hours, profile.spread * 0.6)  # some people work more than others
        for day in days:
            if rng.random() > profile.coverage:
                continue
            hours = round(min(11.0, max(0.5, rng.gauss(level, profile.spread * 0.5))), 1)
            returned = rng.random() < profile.returned
            submitted = datetime.combine(day, time(9, 30), UTC)
            decided = _later_working_day(day, working, rng.randint(0, profile.review_days))
            rows.append(
                {
                    "tenant_id": person.tenant_id,
                    "id": uuid.uuid4(),
                    "official_id": person.id,
                    "work_date": day,
                    "item_id": item_id,
                    "item_version_id": version_id,
                    "quantity": hours,
                    "state": str(EntryState.returned if returned else EntryState.approved),
                    "quality": None if returned else rng.choice(("good", "good", "excellent")),
                    "return_reason": "Chưa đủ hồ sơ kèm theo" if returned else None,
                    "submitted_at": submitted,
                    "reviewed_at": datetime.combine(decided, time(10, 0), UTC),
                    "late_working_days": 0,
                    "auto_approved": False,
                    "source": "manual",
                    "created_at": submitted,
                    "updated_at": submitted,
                }
            )
    if rows:  # Core executemany, not the ORM's bulk path (twice as fast)
        db.session.execute(WorkEntry.__table__.insert(), rows)


DEMO_PROVINCES = [  # slug, names, officials, profile, named to peers
    ("lam-dong", "Tỉnh Lâm Đồng", "Lam Dong Province", 75, Profile(), True),
    ("thanh-hoa", "Tỉnh Thanh Hóa", "Thanh Hoa Province", 80, Profile(hours=7.6, spread=1.2), False),
    ("dak-lak", "Tỉnh Đắk Lắk", "Dak Lak Province", 65, Profile(hours=9.1, spread=1.0, returned=0.02), False),
    ("quang-ngai", "Tỉnh Quảng Ngãi", "Quang Ngai Province", 65, Profile(coverage=0.7, review_days=6), False),
]


def demo_months(today: date, count: int = 3) -> list[date]:
    """The `count` months before the current one."""
    month, out = today.replace(day=1), []
    for _ in range(count):
        month = (month - timedelta(days=1)).replace(day=1)
        out.append(month)
    return sorted(out)


def seed(today: date | None = None, *, min_size: int = 10) -> list[tuple[str, str, str]]:
    """The demo's central analyst and benchmarking provinces (once). Returns (tenant, email, token)."""
    today = today or date.today()
    lines = []
    with tenant_scope(SYSTEM_TENANT_ID):
        email = "analyst@platform.demo"
        principal = identity.find_principal_by_email(email) or identity.create_principal(
            email=email, display_name="Chuyên viên phân tích Trung ương", roles=["central_analyst"]
        )
        _, raw = identity.issue_token(principal, name="demo", days=365, max_days=365)
        db.session.commit()
        lines.append(("platform", email, raw))
    for number, (slug, name_vi, name_en, size, profile, named) in enumerate(DEMO_PROVINCES, start=1):
        tenant = tenancy.get_tenant_by_slug(slug)
        if tenant is None:
            tenant = build_province(
                slug,
                name_vi,
                name_en,
                officials=size,
                months=demo_months(today),
                profile=profile,
                seed=number,
                min_size=min_size,
                named_to_peers=named,
            )
        with tenant_scope(tenant.id):
            admin = identity.find_principal_by_email(f"admin@{slug}.demo")
            _, raw = identity.issue_token(admin, name="demo", days=365, max_days=365)
            db.session.commit()
        lines.append((slug, f"admin@{slug}.demo", raw))
    return lines
