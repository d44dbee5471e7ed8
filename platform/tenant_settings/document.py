"""The tenant's settings as one typed, validated document: the scoring method and its tables, the
logging and review rules. The API, the packs (settings.yaml) and every reader go through it.

A stored version holds only what the tenant stated; reading merges it deeply over the defaults of
domain.md, so `{"logging": {"days_back": 10}}` changes that one key and keeps the section's others.
Lists (quality levels, rating tiers) are replaced as a whole. Unknown keys are refused with their
dotted path (`logging.days_bak`), so a typo never silently does nothing.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import marshmallow as ma
from marshmallow import validate as v

METHODS = ("hours", "decree-335")
# Decree 335/2025/NĐ-CP is in force from 1 January 2026: a period from then on is scored by the
# national method unless the tenant states otherwise (Khánh Hòa's pack states "hours").
DECREE_335_IN_FORCE = date(2026, 1, 1)

DEFAULTS: dict = {
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
    # Entries not reviewed within escalate_after_days working days go to the unit head; auto-approval
    # of low-risk entries is off until the tenant turns it on.
    "review": {
        "escalate_after_days": 3,
        "auto_approve_edoc": False,
        "auto_approve_routine": False,
        "default_quality": "good",
    },
}


def default_method(day: date) -> str:
    return "decree-335" if day >= DECREE_335_IN_FORCE else "hours"


# ---------------------------------------------------------------- the typed document


@dataclass(frozen=True)
class QualityLevel:
    code: str
    name_vi: str
    name_en: str | None
    factor: Decimal


@dataclass(frozen=True)
class Rating:
    tier: int
    code: str
    name_vi: str
    name_en: str | None
    min_total: Decimal


@dataclass(frozen=True)
class Timeliness:
    on_time: Decimal
    late_up_to_3_days: Decimal
    later: Decimal


@dataclass(frozen=True)
class Quota:
    excellent_max_share_of_good: Decimal
    rounding: str


@dataclass(frozen=True)
class Weights:
    general_max: Decimal
    task_max: Decimal
    leader_own_share: Decimal
    hours_per_day: Decimal
    flag_hours_per_day: Decimal


@dataclass(frozen=True)
class Logging:
    days_back: int
    month_closes_on_day: int
    overtime_minutes_per_day: int


@dataclass(frozen=True)
class OrganisationalKpi:
    achievement_cap: Decimal


@dataclass(frozen=True)
class Review:
    escalate_after_days: int
    auto_approve_edoc: bool
    auto_approve_routine: bool
    default_quality: str


@dataclass(frozen=True)
class TenantSettings:
    scoring_method: str
    quality: tuple[QualityLevel, ...]
    timeliness: Timeliness
    ratings: tuple[Rating, ...]  # best tier first
    quota: Quota
    weights: Weights
    logging: Logging
    organisational_kpi: OrganisationalKpi
    review: Review
    document: dict  # the same, JSON-ready: what a run keeps as its copy, what the API shows

    @property
    def quality_codes(self) -> list[str]:
        return [level.code for level in self.quality]

    def rating(self, tier: int) -> Rating | None:
        return next((r for r in self.ratings if r.tier == tier), None)

    @property
    def rating_names_vi(self) -> dict[int, str]:
        return {r.tier: r.name_vi for r in self.ratings}

    @classmethod
    def from_document(cls, document: dict) -> TenantSettings:
        """A run's copy as typed settings. Copies made before settings were typed may miss keys that
        were defaults then (and still are): they are filled in the same way."""
        return SettingsSchema().load(merged({**DEFAULTS, "scoring_method": "hours"}, document))


# ---------------------------------------------------------------- validation


def _number(minimum, maximum, **kwargs):
    return ma.fields.Decimal(required=True, validate=v.Range(min=minimum, max=maximum), **kwargs)


def _integer(minimum, maximum):
    return ma.fields.Integer(required=True, strict=True, validate=v.Range(min=minimum, max=maximum))


class _Section(ma.Schema):
    """A section of the document; `into` is the dataclass it becomes."""

    into: type = dict

    @ma.post_load
    def make(self, data, **kwargs):
        return self.into(**data)


class QualityLevelSchema(_Section):
    into = QualityLevel
    code = ma.fields.String(required=True, validate=v.Regexp(r"^[a-z][a-z0-9_]{0,39}$"))
    name_vi = ma.fields.String(required=True, validate=v.Length(min=1, max=120))
    name_en = ma.fields.String(load_default=None, validate=v.Length(max=120))
    factor = _number(0, 1)


class RatingSchema(_Section):
    into = Rating
    tier = _integer(1, 4)
    code = ma.fields.String(required=True, validate=v.Length(min=1, max=40))
    name_vi = ma.fields.String(required=True, validate=v.Length(min=1, max=120))
    name_en = ma.fields.String(load_default=None, validate=v.Length(max=120))
    min_total = _number(0, 100)


class TimelinessSchema(_Section):
    into = Timeliness
    on_time = _number(0, 1)
    late_up_to_3_days = _number(0, 1)
    later = _number(0, 1)


class QuotaSchema(_Section):
    into = Quota
    excellent_max_share_of_good = _number(0, 1)
    rounding = ma.fields.String(required=True, validate=v.OneOf(["down", "up"]))


class WeightsSchema(_Section):
    into = Weights
    general_max = _number(0, 100)
    task_max = _number(0, 100)
    leader_own_share = _number(0, 1)
    hours_per_day = _number(1, 24)
    flag_hours_per_day = _number(1, 24)


class LoggingSchema(_Section):
    into = Logging
    days_back = _integer(0, 60)
    month_closes_on_day = _integer(1, 28)
    overtime_minutes_per_day = _integer(0, 720)


class OrganisationalKpiSchema(_Section):
    into = OrganisationalKpi
    achievement_cap = _number(1, 10)


class ReviewSchema(_Section):
    into = Review
    escalate_after_days = _integer(0, 60)
    auto_approve_edoc = ma.fields.Boolean(required=True)
    auto_approve_routine = ma.fields.Boolean(required=True)
    default_quality = ma.fields.String(required=True)


def _unique(attribute: str):
    def check(rows):
        values = [getattr(row, attribute) for row in rows]
        if len(set(values)) != len(values):
            raise ma.ValidationError(f"each {attribute} once")

    return check


class SettingsSchema(ma.Schema):
    """The full document (defaults merged in). Sections are required here: partial documents are
    merged over the defaults before they are loaded."""

    scoring_method = ma.fields.String(required=True, validate=v.OneOf(METHODS))
    quality = ma.fields.List(ma.fields.Nested(QualityLevelSchema), required=True,
                             validate=[v.Length(min=1), _unique("code")])  # fmt: skip
    timeliness = ma.fields.Nested(TimelinessSchema, required=True)
    ratings = ma.fields.List(ma.fields.Nested(RatingSchema), required=True,
                             validate=[v.Length(min=2, max=4), _unique("tier")])  # fmt: skip
    quota = ma.fields.Nested(QuotaSchema, required=True)
    weights = ma.fields.Nested(WeightsSchema, required=True)
    logging = ma.fields.Nested(LoggingSchema, required=True)
    organisational_kpi = ma.fields.Nested(OrganisationalKpiSchema, required=True)
    review = ma.fields.Nested(ReviewSchema, required=True)

    @ma.validates_schema
    def consistent(self, data, **kwargs):
        if (
            "review" in data
            and "quality" in data
            and data["review"].default_quality not in {level.code for level in data["quality"]}
        ):
            raise ma.ValidationError("must be one of the quality levels' codes", "review.default_quality")
        ratings = sorted(data.get("ratings", []), key=lambda r: r.tier)
        if ratings and any(a.min_total <= b.min_total for a, b in itertools.pairwise(ratings)):
            raise ma.ValidationError("a better tier needs a higher min_total", "ratings")

    @ma.post_load
    def make(self, data, **kwargs):
        data["quality"] = tuple(data["quality"])
        data["ratings"] = tuple(sorted(data["ratings"], key=lambda r: r.tier))
        return TenantSettings(**data, document=plain(_as_document(data)))


def _as_document(data: dict) -> dict:
    out = {}
    for key, value in data.items():
        if isinstance(value, tuple):
            out[key] = [vars(item).copy() for item in value]
        elif hasattr(value, "__dataclass_fields__"):
            out[key] = vars(value).copy()
        else:
            out[key] = value
    return out


def plain(value):
    """JSON-ready: Decimals become floats (or ints when whole), dates ISO strings, recursively."""
    if isinstance(value, dict):
        return {k: plain(item) for k, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


# ---------------------------------------------------------------- merging


def merged(base: dict, changes: dict) -> dict:
    """`changes` over `base`, dictionaries merged key by key, anything else replaced."""
    out = copy.deepcopy(base)
    for key, value in (changes or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def full_document(stated: dict, day: date) -> dict:
    """What a tenant stated, over the defaults in force on `day`."""
    return merged({**DEFAULTS, "scoring_method": default_method(day)}, stated or {})


def load(stated: dict, day: date) -> TenantSettings:
    """Typed settings from what the tenant stated; raises ma.ValidationError (unknown keys too:
    every schema refuses them) — error_paths() turns its messages into dotted paths."""
    return SettingsSchema().load(full_document(stated, day))


def error_paths(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as {"logging.days_back": [...]} (list items as "quality.1.factor")."""
    if isinstance(messages, list):
        return {prefix.rstrip(".") or "settings": [str(m) for m in messages]}
    out = {}
    for key, value in messages.items():
        if isinstance(value, dict | list) and not (isinstance(value, list) and all(isinstance(m, str) for m in value)):
            out.update(error_paths(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}".rstrip(".")] = [str(m) for m in (value if isinstance(value, list) else [value])]
    return out
