"""The scoring engine's invariants (hypothesis) and its rules on hand-computed cases."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kpi_platform.scoring import engine
from kpi_platform.tenant_settings.document import TenantSettings

RULES = engine.Rules.from_settings(TenantSettings.from_document({}))
QUALITIES = ["excellent", "good", "acceptable", "poor"]  # best first

norms = st.decimals(min_value=Decimal(1), max_value=Decimal(2400), places=2)
coefficients = st.sampled_from([Decimal("0.8"), Decimal("1.0"), Decimal("1.2"), Decimal("1.5")])
quantities = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(50), places=1)
lateness = st.integers(min_value=0, max_value=30)


def line(norm, coefficient, quantity, quality="good", late=0, state="approved"):
    return engine.Line("e", "B-001", norm, coefficient, quantity, quality, late, state)


@given(norms, coefficients, quantities, lateness)
def test_points_never_rise_when_quality_drops(norm, coefficient, quantity, late):
    points = [engine.line_points(line(norm, coefficient, quantity, q, late), RULES).points for q in QUALITIES]
    assert points == sorted(points, reverse=True)


@given(norms, coefficients, quantities, st.sampled_from(QUALITIES), lateness, lateness)
def test_points_never_rise_with_lateness(norm, coefficient, quantity, quality, late_a, late_b):
    earlier, later = sorted((late_a, late_b))
    a = engine.line_points(line(norm, coefficient, quantity, quality, earlier), RULES).points
    b = engine.line_points(line(norm, coefficient, quantity, quality, later), RULES).points
    assert b <= a


@given(norms, coefficients, quantities, st.sampled_from(QUALITIES), lateness)
def test_returned_work_earns_nothing(norm, coefficient, quantity, quality, late):
    assert engine.line_points(line(norm, coefficient, quantity, quality, late, "returned"), RULES).points == 0


@given(
    st.lists(st.tuples(norms, coefficients, quantities, st.sampled_from(QUALITIES), lateness), max_size=40),
    st.decimals(min_value=Decimal(8), max_value=Decimal(200), places=1),
)
def test_totals_are_the_sum_of_their_lines_and_bounded(lines, available):
    computed = [engine.line_points(line(*args), RULES) for args in lines]
    points = sum((c.points for c in computed), Decimal(0))
    result = engine.score(points, available, RULES, general=Decimal(25))
    assert result.points == points
    assert 0 <= result.task <= 70 and result.total == 25 + result.task
    assert result.task == 70 * min(Decimal(1), points / available)


def test_hand_computed_line_and_month():
    # 90-minute norm, complex (1.2): w = 1.8 h; 3 units, good (0.9), 2 working days late (0.8)
    computed = engine.line_points(line(Decimal(90), Decimal("1.2"), Decimal(3), "good", 2), RULES)
    assert computed.weight == Decimal("1.8") and computed.points == Decimal("3.888")
    # 21 working days, 2 on leave, full time: 19 × 8 = 152 h available; 121.6 h earned -> 56 task points
    available = engine.available_hours([Decimal(1)] * 19, RULES)
    result = engine.score(Decimal("121.6"), available, RULES, general=Decimal(28))
    assert available == 152 and result.task == 56 and result.total == 84
    # half time for 10 days, then full time for 9: 5 + 9 = 14 days' worth
    assert engine.available_hours([Decimal("0.5")] * 10 + [Decimal(1)] * 9, RULES) == 112
    # a concurrent post never makes a day count more than once
    assert engine.available_hours([Decimal("1.5")] * 2, RULES) == 16


def test_a_leader_half_own_work_half_the_units_score():
    result = engine.score(Decimal(76), Decimal(152), RULES, general=Decimal(30), unit_score=Decimal(80))
    assert result.own_task == 35 and result.task == Decimal("0.5") * 35 + Decimal("0.5") * 70 * Decimal("0.8")
    assert result.total == 30 + Decimal("45.5")


def test_unmarked_general_criteria_count_as_their_maximum_and_say_so():
    result = engine.score(Decimal(152), Decimal(152), RULES)
    assert result.general == 30 and result.general_assumed and result.total == 100


def test_tiers_disqualifier_and_quota():
    totals = [95, 93, 91, 80, 78, 75, 72, 71, 60, 40]
    people = [engine.Rated(key=i, total=Decimal(t), group=("SNV", "professional")) for i, t in enumerate(totals)]
    people[1].disqualified = True
    rated = engine.rate(people, RULES)
    assert [p.tier_before_quota for p in rated] == [1, 4, 1, 2, 2, 2, 2, 2, 3, 4]
    # 5 rated "tốt" -> at most floor(0.2 × 5) = 1 "xuất sắc": the lower of the two drops to tier 2
    assert [p.tier for p in rated] == [1, 4, 2, 2, 2, 2, 2, 2, 3, 4]
    assert [p.demoted_by_quota for p in rated][:3] == [False, False, True]
    # Another group has its own quota.
    other = engine.rate([engine.Rated(key="x", total=Decimal(92), group=("STC", "professional"))], RULES)
    assert other[0].tier == 2 and other[0].demoted_by_quota  # no "tốt" there: the quota is 0


def test_credited_hours_above_eight_a_day_are_flagged_not_capped():
    result = engine.score(Decimal(200), Decimal(160), RULES, credited_hours=Decimal(200), working_days=Decimal(20))
    assert result.flags == ["credited_hours_above_daily_limit"] and result.task == 70
