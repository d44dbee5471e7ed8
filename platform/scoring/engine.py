"""The scoring rules of domain.md as plain functions: no database, no Flask. Everything a number
depends on comes in as an argument (the settings document, the entry lines, the available time),
so a result can be recomputed exactly and explained line by line.

Method "hours" (Khánh Hòa 2025):
    w        = norm_minutes * complexity_coefficient / 60            (standard hours per unit)
    points_h = w * quantity * quality_factor * timeliness_factor     (0 for returned work)
    task     = task_max * min(1, Σ points_h / available_h)
    leader   = own_share * task + (1 - own_share) * task_max * unit_score / 100
    total    = general (0 to general_max, marked by the reviewer) + task
Ratings: tiers by min_total; a disqualifier forces the lowest tier; the quota keeps the number of
tier-1 ratings within excellent_max_share_of_good * (number rated tier 2), per agency and group of
similar duties, demoting the lowest totals above it to tier 2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
RETURNED = "returned"


def d(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def rounded(value: Decimal, places: str = "0.01") -> Decimal:
    return d(value).quantize(Decimal(places), ROUND_HALF_UP)


@dataclass(frozen=True)
class Rules:
    """The parts of a settings document the engine reads, as Decimals."""

    quality: dict[str, Decimal]
    on_time: Decimal
    late_up_to_3: Decimal
    later: Decimal
    general_max: Decimal
    task_max: Decimal
    leader_own_share: Decimal
    hours_per_day: Decimal
    flag_hours_per_day: Decimal
    tiers: tuple[tuple[int, str, Decimal], ...]  # (tier, code, min_total), best first
    quota_share: Decimal
    quota_rounding: str

    @classmethod
    def from_settings(cls, settings) -> Rules:
        """From typed tenant settings (tenant_settings.document.TenantSettings)."""
        weights, timeliness, quota = settings.weights, settings.timeliness, settings.quota
        return cls(
            quality={level.code: d(level.factor) for level in settings.quality},
            on_time=d(timeliness.on_time),
            late_up_to_3=d(timeliness.late_up_to_3_days),
            later=d(timeliness.later),
            general_max=d(weights.general_max),
            task_max=d(weights.task_max),
            leader_own_share=d(weights.leader_own_share),
            hours_per_day=d(weights.hours_per_day),
            flag_hours_per_day=d(weights.flag_hours_per_day),
            tiers=tuple((r.tier, r.code, d(r.min_total)) for r in settings.ratings),
            quota_share=d(quota.excellent_max_share_of_good),
            quota_rounding=quota.rounding,
        )


# ---------------------------------------------------------------- entry lines


@dataclass(frozen=True)
class Line:
    """One entry as the engine sees it."""

    entry_id: object
    item_code: str
    norm_minutes: Decimal
    coefficient: Decimal
    quantity: Decimal
    quality: str | None  # the reviewer's level; None while not reviewed
    late_working_days: int  # 0: on time or no deadline
    state: str


@dataclass(frozen=True)
class LinePoints:
    line: Line
    weight: Decimal  # standard hours per unit
    quality_factor: Decimal
    timeliness_factor: Decimal
    points: Decimal

    def as_dict(self) -> dict:
        return {
            "entry_id": self.line.entry_id,
            "item_code": self.line.item_code,
            "norm_minutes": self.line.norm_minutes,
            "coefficient": self.line.coefficient,
            "quantity": self.line.quantity,
            "weight_hours": self.weight,
            "quality": self.line.quality,
            "quality_factor": self.quality_factor,
            "late_working_days": self.line.late_working_days,
            "timeliness_factor": self.timeliness_factor,
            "points": self.points,
        }


def weight(norm_minutes, coefficient) -> Decimal:
    return d(norm_minutes) * d(coefficient) / 60


def timeliness_factor(late_working_days: int, rules: Rules) -> Decimal:
    if late_working_days <= 0:
        return rules.on_time
    return rules.late_up_to_3 if late_working_days <= 3 else rules.later


def quality_factor(quality: str | None, state: str, rules: Rules) -> Decimal:
    if state == RETURNED or quality is None:
        return ZERO
    return rules.quality.get(quality, ZERO)


def line_points(line: Line, rules: Rules) -> LinePoints:
    w = weight(line.norm_minutes, line.coefficient)
    q = quality_factor(line.quality, line.state, rules)
    t = timeliness_factor(line.late_working_days, rules)
    return LinePoints(line, w, q, t, w * d(line.quantity) * q * t)


# ---------------------------------------------------------------- an official's period


@dataclass
class Score:
    points: Decimal  # Σ points_h
    available_hours: Decimal
    task: Decimal
    general: Decimal
    general_assumed: bool
    total: Decimal
    own_task: Decimal | None = None  # leaders: before the unit's share
    unit_score: Decimal | None = None
    flags: list[str] = field(default_factory=list)


def task_score(points: Decimal, available_hours: Decimal, rules: Rules) -> Decimal:
    if available_hours <= 0:
        return ZERO
    return rules.task_max * min(Decimal(1), d(points) / d(available_hours))


def leader_task(own_task: Decimal, unit_score: Decimal, rules: Rules) -> Decimal:
    share = rules.leader_own_share
    return share * d(own_task) + (1 - share) * rules.task_max * d(unit_score) / 100


def score(
    points: Decimal,
    available_hours: Decimal,
    rules: Rules,
    *,
    general: Decimal | None = None,
    unit_score: Decimal | None = None,
    credited_hours: Decimal | None = None,
    working_days: Decimal | None = None,
) -> Score:
    """General criteria not yet marked count as their maximum, and the result says so."""
    own = task_score(points, available_hours, rules)
    task = leader_task(own, unit_score, rules) if unit_score is not None else own
    general_assumed = general is None
    general_value = rules.general_max if general is None else min(rules.general_max, max(ZERO, d(general)))
    flags = []
    if credited_hours is not None and working_days and d(credited_hours) / d(working_days) > rules.flag_hours_per_day:
        flags.append("credited_hours_above_daily_limit")
    return Score(
        points=d(points),
        available_hours=d(available_hours),
        task=task,
        general=general_value,
        general_assumed=general_assumed,
        total=general_value + task,
        own_task=own if unit_score is not None else None,
        unit_score=d(unit_score) if unit_score is not None else None,
        flags=flags,
    )


def available_hours(day_shares: list[Decimal], rules: Rules) -> Decimal:
    """The working days of the period the official was there for (leave days left out), each at
    the share of a full day their posts add up to, at most one."""
    return sum((min(Decimal(1), d(share)) for share in day_shares), ZERO) * rules.hours_per_day


# ---------------------------------------------------------------- ratings


@dataclass
class Rated:
    key: object
    total: Decimal
    group: tuple  # (agency, group of similar duties) the quota is counted in
    disqualified: bool = False
    tier: int = 0
    tier_before_quota: int = 0
    demoted_by_quota: bool = False


def tier_for(total: Decimal, rules: Rules) -> int:
    for tier, _, minimum in rules.tiers:
        if d(total) >= minimum:
            return tier
    return rules.tiers[-1][0]


def rate(people: list[Rated], rules: Rules) -> list[Rated]:
    """Tiers, disqualifiers, then the quota within each group: above it, the lowest tier-1 totals
    drop to tier 2 (equal totals keep the order they came in)."""
    lowest = rules.tiers[-1][0]
    for person in people:
        person.tier = lowest if person.disqualified else tier_for(person.total, rules)
        person.tier_before_quota = person.tier
    by_group: dict[tuple, list[Rated]] = {}
    for person in people:
        by_group.setdefault(person.group, []).append(person)
    for members in by_group.values():
        good = sum(1 for p in members if p.tier_before_quota == 2)
        allowed = rules.quota_share * good
        allowed = math.floor(allowed) if rules.quota_rounding == "down" else math.ceil(allowed)
        excellent = sorted((p for p in members if p.tier == 1), key=lambda p: p.total, reverse=True)
        for person in excellent[allowed:]:
            person.tier, person.demoted_by_quota = 2, True
    return people


# ---------------------------------------------------------------- method "decree-335"

QUARTER = Decimal("0.25")
HALF = Decimal("0.5")


@dataclass(frozen=True)
class Product:
    """An assigned product as the decree counts it: its weight (w * quantity), whether it was
    completed, and the failed quality assessments and delays that were not objective."""

    key: object
    weight: Decimal
    completed: bool
    quality_failures: int = 0
    delays: int = 0

    @property
    def quality(self) -> Decimal:
        return max(ZERO, 1 - QUARTER * self.quality_failures)

    @property
    def progress(self) -> Decimal:
        return max(ZERO, 1 - QUARTER * self.delays)


@dataclass
class Decree:
    weight: Decimal  # W
    a: Decimal  # quantity
    b: Decimal  # quality
    c: Decimal  # progress
    d: Decimal | None = None  # leaders: results of the unit
    dd: Decimal | None = None  # leaders: đ, organising implementation
    e: Decimal | None = None  # leaders: internal unity
    task: Decimal | None = None  # None: insufficient data (nothing assigned)

    def as_dict(self) -> dict:
        return {"W": self.weight, "a": self.a, "b": self.b, "c": self.c, "d": self.d, "đ": self.dd, "e": self.e}


def decree_abc(products: list[Product]) -> Decree:
    """a, b, c over W = Σ w; each at most 1. With W = 0 there is no score ("insufficient data")."""
    total = sum((p.weight for p in products), ZERO)
    if total <= 0:
        return Decree(weight=ZERO, a=ZERO, b=ZERO, c=ZERO)
    done = [p for p in products if p.completed]
    a = min(Decimal(1), sum((p.weight for p in done), ZERO) / total)
    b = min(Decimal(1), sum((p.weight * p.quality for p in done), ZERO) / total)
    c = min(Decimal(1), sum((p.weight * p.progress for p in done), ZERO) / total)
    return Decree(weight=total, a=a, b=b, c=c)


def decree_task(products: list[Product], rules: Rules, *, leader: dict | None = None) -> Decree:
    """Staff: task_max * (a + b + c) / 3; leaders (`leader` gives d, đ, e): task_max * (a+b+c+d+đ+e) / 6."""
    result = decree_abc(products)
    if result.weight <= 0:
        return result
    if leader is None:
        result.task = rules.task_max * (result.a + result.b + result.c) / 3
        return result
    result.d, result.dd, result.e = d(leader["d"]), d(leader["dd"]), d(leader["e"])
    result.task = rules.task_max * (result.a + result.b + result.c + result.d + result.dd + result.e) / 6
    return result


def unit_results_criterion(subordinate_tiers: list[int], completed_tier: int = 3) -> Decimal:
    """d: 1.0 when every subordinate is rated "Hoàn thành" or better, 0.5 otherwise."""
    return Decimal(1) if all(t <= completed_tier for t in subordinate_tiers) else HALF


def organising_criterion(unit_products: list[Product]) -> Decimal:
    """đ: 1.0 when every product planned in the unit was done, on time and to quality, 0.5 otherwise."""
    clean = all(p.completed and p.quality_failures == 0 and p.delays == 0 for p in unit_products)
    return Decimal(1) if clean else HALF


def rules_tier(score: Score, disqualified: bool, rules: Rules) -> int:
    """The tier before the quota."""
    return rules.tiers[-1][0] if disqualified else tier_for(score.total, rules)


def plain_decimals(values: dict) -> dict:
    """For JSON: Decimals as floats, other values (ids, dates) as strings, None kept."""
    out = {}
    for key, value in values.items():
        if value is None or isinstance(value, (bool, int, float, str)):
            out[key] = value
        elif isinstance(value, Decimal):
            out[key] = float(value)
        else:
            out[key] = str(value)
    return out
