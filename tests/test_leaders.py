"""Leaders scored from the deepest led unit up, whatever order their ids fall in, and unit heads
with history: a month is scored with the heads of that month, even after a head changed.

A chain of three leaders in March 2025 (21 working days, 168 hours; items of 1 hour per unit):
the agency (head A) ⊃ the division (head B) ⊃ the team (head C), and S works in the team.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from support import build_catalog, build_org

from kpi_platform.catalog import service as catalog
from kpi_platform.context import tenant_scope
from kpi_platform.db import db
from kpi_platform.org import service as org
from kpi_platform.org.models import Official
from kpi_platform.scoring import records, runs
from kpi_platform.scoring.models import AssignedProduct, PeriodResult
from kpi_platform.tenant_settings import service as tenant_settings
from kpi_platform.vietnamese import fold, sort_key
from kpi_platform.worklog.models import EntryState, WorkEntry

MARCH = date(2025, 3, 1)
START = date(2025, 1, 1)
# The same four people with ids in both orders: the agency's head first, or the team's staff first.
ORDERS = {
    "top_down": ["A", "B", "C", "S"],
    "bottom_up": ["S", "C", "B", "A"],
}


def _official(ids, code: str, number: int, unit_id) -> uuid.UUID:
    """An official with a chosen id (ids decide the order a run meets people in)."""
    name = f"Cán bộ {code}"
    official = Official(
        id=uuid.UUID(int=(0xABCD << 96) + number),
        staff_code=f"L-{code}",
        full_name=name,
        search_name=fold(name),
        sort_key=sort_key(name),
        employment_kind="cong_chuc",
    )
    db.session.add(official)
    db.session.flush()
    org.add_assignment(official.id, unit_id=unit_id, position_id=ids["staff_position"], valid_from=START)
    return official.id


@pytest.fixture(params=sorted(ORDERS))
def chain(request, tenant_a):
    ids = build_org(tenant_a)
    cat = build_catalog(tenant_a, ids)
    with tenant_scope(tenant_a.id):
        team = org.create_unit(
            code="SNV-P1-T1", name_vi="Tổ", kind="division", parent_id=ids["division"], valid_from=START
        )
        units = {"A": ids["agency"], "B": ids["division"], "C": team.id, "S": team.id}
        people = {code: _official(ids, code, ORDERS[request.param].index(code) + 1, units[code]) for code in units}
        org.set_unit_head(ids["agency"], people["A"], effective_date=START)
        org.set_unit_head(ids["division"], people["B"], effective_date=START)
        org.set_unit_head(team.id, people["C"], effective_date=START)
        # build_org's own people leave the agency before March, so the chain is alone in it.
        for own in ("director", "clerk"):
            for post in org.assignments_of(ids[own]):
                org.end_assignment(ids[own], post.id, date(2025, 2, 1))
        db.session.commit()
    return {"ids": ids, **cat, "people": people, "team": team.id, "tenant": tenant_a, "order": request.param}


def _work(official_id, item_id, quantity):
    version = catalog.version_on(item_id, MARCH)
    db.session.add(
        WorkEntry(
            official_id=official_id,
            work_date=date(2025, 3, 3),
            item_id=item_id,
            item_version_id=version.id,
            quantity=Decimal(quantity),
            quality="excellent",
            state=EntryState.approved,
        )
    )


def _result(run, official_id) -> PeriodResult:
    return db.session.get(PeriodResult, (run.tenant_id, run.id, official_id))


def test_hours_leaders_average_their_sub_leaders_whatever_the_ids(chain):
    p = chain["people"]
    with tenant_scope(chain["tenant"].id):
        # S: 84 of 168 hours -> task 35, general 30 assumed: 65. The leaders log nothing (own task 0).
        _work(p["S"], chain["item_b"], 84)
        run = runs.run_period("month", MARCH)
        # C's team: S alone -> unit score 65 -> 0 + 35 × 0.65 = 22.75, total 52.75.
        assert _result(run, p["C"]).unit_score == 65 and _result(run, p["C"]).total == Decimal("52.750")
        # B's division: C and S -> (52.75 + 65) / 2 = 58.875 -> 35 × 0.58875 = 20.606, total 50.606.
        assert _result(run, p["B"]).unit_score == Decimal("58.875") and _result(run, p["B"]).total == Decimal("50.606")
        # A's agency: B, C and S -> (50.60625 + 52.75 + 65) / 3 = 56.11875 -> total 30 + 19.642 = 49.642.
        assert _result(run, p["A"]).total == Decimal("49.642"), chain["order"]
        db.session.rollback()


def test_decree_d_sees_a_sub_leader_rated_not_completed_whatever_the_ids(chain):
    p = chain["people"]
    with tenant_scope(chain["tenant"].id):
        tenant_settings.save({"scoring_method": "decree-335"}, valid_from=MARCH)
        for code in "ABCS":  # everyone completes one assigned product
            db.session.add(
                AssignedProduct(
                    official_id=p[code],
                    item_id=chain["item_b"],
                    month=MARCH,
                    quantity=Decimal(1),
                    source="assigned",
                    status="assigned",
                    assessments=[],
                )
            )
            _work(p[code], chain["item_b"], 1)
        records.record_discipline(  # C is reprimanded: rated "không hoàn thành" whatever the score
            official_id=p["C"], measure="khien_trach", decision_number="12/QĐ-KL", decision_date=date(2025, 2, 10)
        )
        run = runs.run_period("month", MARCH)
        assert _result(run, p["C"]).tier == 4
        # B and A have C among their subordinates: d = 0.5 for both (đ = 1, e = 1 assumed).
        for leader in ("B", "A"):
            details = _result(run, p[leader]).details
            assert (details["d"], details["đ"], details["e"]) == (0.5, 1.0, 1.0), (leader, chain["order"])
            # 70 × (1 + 1 + 1 + 0.5 + 1 + 1) / 6 = 64.167
            assert _result(run, p[leader]).task == Decimal("64.167")
        db.session.rollback()


def test_a_month_is_scored_with_the_heads_of_that_month(chain):
    p = chain["people"]
    with tenant_scope(chain["tenant"].id):
        _work(p["S"], chain["item_b"], 84)
        # From April, S heads the team instead of C: March, scored again, still has C as its leader.
        org.set_unit_head(chain["team"], p["S"], effective_date=date(2025, 4, 1))
        run = runs.run_period("month", MARCH)
        assert _result(run, p["C"]).is_leader and not _result(run, p["S"]).is_leader
        assert [(h.official_id, h.valid_from, h.valid_to) for h in org.head_history(chain["team"])] == [
            (p["C"], START, date(2025, 4, 1)),
            (p["S"], date(2025, 4, 1), None),
        ]
        assert (
            org.head_of(chain["team"], date(2025, 3, 31)) == p["C"]
            and org.head_of(chain["team"], date(2025, 4, 1)) == p["S"]
        )
        # S's work now reaches the agency's head's queue as the team's head, from April only.
        assert p["S"] in org.reviewees_of(p["B"], date(2025, 4, 2)) and p["S"] not in org.reviewees_of(
            p["B"], date(2025, 3, 31)
        )
        db.session.rollback()
