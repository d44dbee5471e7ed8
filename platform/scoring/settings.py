"""The tenant's scoring settings in force on a day, and saving a new version from a date.

A new version starting on day D ends the one in force on D there; versions that started later are
replaced (their periods would overlap). The defaults are those of domain.md.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from kpi_platform.audit import service as audit
from kpi_platform.db import db
from kpi_platform.errors import Invalid
from kpi_platform.org.service import active_on
from kpi_platform.scoring.models import SettingsVersion

DEFAULTS: dict = {
    "scoring_method": "hours",
    "quality": [
        {"code": "excellent", "name_vi": "Xuất sắc", "name_en": "Excellent", "factor": 1.0},
        {"code": "good", "name_vi": "Tốt", "name_en": "Good", "factor": 0.9},
        {"code": "acceptable", "name_vi": "Đạt", "name_en": "Acceptable", "factor": 0.7},
        {"code": "poor", "name_vi": "Chưa đạt", "name_en": "Poor", "factor": 0.4},
    ],
    "timeliness": {"on_time": 1.0, "late_up_to_3_days": 0.8, "later": 0.5},
    "ratings": [
        {
            "tier": 1,
            "code": "xuat_sac",
            "name_vi": "Hoàn thành xuất sắc nhiệm vụ",
            "name_en": "Excellent",
            "min_total": 90,
        },
        {"tier": 2, "code": "tot", "name_vi": "Hoàn thành tốt nhiệm vụ", "name_en": "Good", "min_total": 70},
        {"tier": 3, "code": "hoan_thanh", "name_vi": "Hoàn thành nhiệm vụ", "name_en": "Completed", "min_total": 50},
        {
            "tier": 4,
            "code": "khong_hoan_thanh",
            "name_vi": "Không hoàn thành nhiệm vụ",
            "name_en": "Not completed",
            "min_total": 0,
        },
    ],
    "quota": {"excellent_max_share_of_good": 0.2, "rounding": "down"},
    "weights": {
        "general_max": 30,
        "task_max": 70,
        "leader_own_share": 0.5,
        "hours_per_day": 8,
        "flag_hours_per_day": 8,
    },
    "logging": {"days_back": 5, "month_closes_on_day": 25, "overtime_minutes_per_day": 120},
    "organisational_kpi": {"achievement_cap": 1.2},
    # Review: entries not reviewed within escalate_after_days working days go to the unit head;
    # auto-approval of low-risk entries is off until the tenant turns it on.
    "review": {
        "escalate_after_days": 3,
        "auto_approve_edoc": False,
        "auto_approve_routine": False,
        "default_quality": "good",
    },
}


def plain(value):
    """JSON-ready: Decimals become floats (or ints when whole), dates ISO strings, recursively."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def version_on(day: date) -> SettingsVersion | None:
    return db.session.scalar(select(SettingsVersion).where(active_on(SettingsVersion, day)))


def settings_on(day: date) -> dict:
    """The full settings in force on `day`: the tenant's version over the defaults."""
    version = version_on(day)
    return {**DEFAULTS, **(version.document if version else {})}


def save(document: dict, *, valid_from: date, by=None, origin: str | None = None) -> SettingsVersion | None:
    """A new version from `valid_from` unless the one in force then already says the same (None)."""
    document = plain({k: v for k, v in document.items() if k in DEFAULTS and v is not None})
    unknown = set(document) - set(DEFAULTS)
    if unknown:
        raise Invalid(fields={name: ["unknown setting"] for name in unknown})
    current = version_on(valid_from)
    if current is not None and current.document == document and current.valid_from <= valid_from:
        return None
    method_before = (current.document if current else DEFAULTS).get("scoring_method", DEFAULTS["scoring_method"])
    method_after = document.get("scoring_method", method_before)
    if method_after != method_before and valid_from.day != 1:
        raise Invalid(
            "Đổi phương pháp tính điểm chỉ từ ngày đầu của một tháng (ranh giới kỳ đánh giá).",
            "The scoring method changes only from the first day of a month (a period boundary).",
            fields={"valid_from": ["first day of a month"]},
            code="method_change_mid_period",
        )
    if method_after not in ("hours", "decree-335"):
        raise Invalid(fields={"scoring_method": ["hours or decree-335"]})
    later = db.session.scalars(select(SettingsVersion).where(SettingsVersion.valid_from >= valid_from)).all()
    for version in later:
        db.session.delete(version)
    db.session.flush()
    if current is not None and current.valid_from < valid_from:
        current.valid_to = valid_from
    number = (db.session.scalar(select(func.max(SettingsVersion.number))) or 0) + 1
    version = SettingsVersion(
        number=number,
        valid_from=valid_from,
        document=document,
        origin=origin,
        created_by=by.id if by else None,
    )
    db.session.add(version)
    db.session.flush()
    audit.record(
        "scoring.settings.save",
        "scoring_settings",
        version.id,
        after={"number": number, "valid_from": valid_from.isoformat(), "origin": origin, "replaced": len(later)},
    )
    return version
