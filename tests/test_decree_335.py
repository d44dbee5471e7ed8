"""The national method (Decree 335/2025/NĐ-CP) on PostgreSQL, with hand-computed values: assigned
products completed by approved work, 25 % deductions per failed quality assessment and per delay
(none when the cause is objective), unplanned work, leaders' d, đ, e, insufficient data, the quota,
a disqualifier, and a tenant switching method at a month boundary. Items B-001 and C-001 weigh
1 standard hour per unit (60-minute norm, coefficient 1.0)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from support import browser_session, build_catalog, build_org

from kpi_platform.catalog import service as catalog
from kpi_platform.context import tenant_scope
from kpi_platform.db import db
from kpi_platform.errors import Invalid
from kpi_platform.org import service as org
from kpi_platform.scoring import products, records, runs
from kpi_platform.scoring.models import AssignedProduct, PeriodResult
from kpi_platform.tenant_settings import service as tenant_settings
from kpi_platform.worklog.models import EntryState, WorkEntry

MARCH = date(2025, 3, 1)


@pytest.fixture
def w(tenant_a, make_account):
    ids = build_org(tenant_a)
    cat = build_catalog(tenant_a, ids)
    clerk = make_account(tenant_a, roles=["official"], name="Trần Thị Bình")
    with tenant_scope(tenant_a.id):
        org.update_official(ids["clerk"], {"principal_id": clerk.id})
        tenant_settings.save({"scoring_method": "decree-335"}, valid_from=MARCH)
        db.session.commit()
    return {"ids": ids, **cat, "clerk": clerk, "tenant": tenant_a, "slug": tenant_a.slug}


def work(official_id, item_id, day, quantity, state=EntryState.approved):
    version = catalog.version_on(item_id, day)
    db.session.add(
        WorkEntry(
            official_id=official_id,
            work_date=day,
            item_id=item_id,
            item_version_id=version.id,
            quantity=Decimal(quantity),
            quality="good",
            state=state,
        )
    )


def product(official_id, item_id, quantity, deadline=None, **counts):
    row = AssignedProduct(
        official_id=official_id,
        item_id=item_id,
        month=MARCH,
        quantity=Decimal(quantity),
        deadline=deadline,
        source="assigned",
        status="assigned",
        assessments=[],
        **counts,
    )
    db.session.add(row)
    return row


def result(run, official_id) -> PeriodResult:
    return db.session.get(PeriodResult, (run.tenant_id, run.id, official_id))


def new_official(ids, code):
    return org.create_official(
        staff_code=code,
        full_name=f"Cán bộ {code}",
        employment_kind="cong_chuc",
        assignment={"unit_id": ids["division"], "position_id": ids["staff_position"], "valid_from": date(2025, 1, 1)},
    ).id


def test_a_staff_month_with_deductions_through_the_api(client, w):
    ids, base = w["ids"], f"/api/v1/t/{w['slug']}"
    director = {"Authorization": f"Bearer {_token(w, w['director'])}"}
    # The director (the clerk's reviewer) assigns the month's plan in one request.
    plan = [
        {
            "official_id": str(ids["clerk"]),
            "item_id": str(w["item_b"]),
            "month": "2025-03-01",
            "quantity": 10,
            "deadline": "2025-03-10",
        },
        {
            "official_id": str(ids["clerk"]),
            "item_id": str(w["item_c"]),
            "month": "2025-03-01",
            "quantity": 5,
            "deadline": "2025-03-20",
        },
    ]
    r = client.post(f"{base}/scoring/products", headers=director, json={"products": plan})
    assert r.status_code == 201, r.json
    p1, p2 = (p["id"] for p in r.json)
    # The clerk proposes one more; it counts once the director accepts it. The clerk cannot assign.
    mine = [{"official_id": str(ids["clerk"]), "item_id": str(w["item_b"]), "month": "2025-03-01", "quantity": 5}]
    assert (
        client.post(f"{base}/scoring/products", headers=w["clerk"].headers, json={"products": mine}).status_code == 422
    )
    r = client.post(f"{base}/scoring/products/plan", headers=w["clerk"].headers, json={"products": mine})
    assert r.status_code == 201 and r.json[0]["status"] == "proposed"
    p3 = r.json[0]["id"]
    assert (
        client.post(f"{base}/scoring/products/accept", headers=director, json={"ids": [p3]}).json[0]["status"]
        == "assigned"
    )
    # One failed quality assessment of P1; two delays of P2, one with an objective cause.
    assess = f"{base}/scoring/products/{{}}/assessments"
    assert (
        client.post(assess.format(p1), headers=director, json={"kind": "quality", "note": "Sai số liệu"}).status_code
        == 201
    )
    client.post(assess.format(p2), headers=director, json={"kind": "delay"})
    r = client.post(
        assess.format(p2), headers=director, json={"kind": "delay", "objective": True, "note": "Chờ số liệu Sở TC"}
    )
    assert (r.json["delays"], r.json["objective_failures"]) == (1, 1)
    with tenant_scope(w["tenant"].id):
        work(ids["clerk"], w["item_b"], date(2025, 3, 5), 12)  # P1 done (10); 2 left, short of P3's 5
        work(ids["clerk"], w["item_c"], date(2025, 3, 18), 5)  # P2 done
        records.mark_general(official_id=ids["clerk"], month=MARCH, score=28)
        run = runs.run_period("month", MARCH)
        db.session.commit()
        run_id = run.id
    # W = 10 + 5 + 5 = 20; a = 15/20 = 0.75; b = (10 × 0.75 + 5)/20 = 0.625; c = (10 + 5 × 0.75)/20 = 0.6875
    # task = 70 × (0.75 + 0.625 + 0.6875)/3 = 48.125; total = 28 + 48.125
    explained = client.get(f"{base}/scoring/me", headers=w["clerk"].headers).json
    assert explained["method"] == "decree-335" and explained["run_id"] == str(run_id)
    details = explained["details"]
    assert (details["W"], details["a"], details["b"], details["c"]) == (20, 0.75, 0.625, 0.6875)
    assert explained["task"] == 48.125 and explained["total"] == 76.125 and explained["tier"] == 2
    by_product = {p["product_id"]: p for p in details["products"]}
    assert (by_product[p1]["quality"], by_product[p1]["progress"], by_product[p1]["weight"]) == (0.75, 1.0, 10.0)
    assert (by_product[p2]["progress"], by_product[p2]["objective_failures"]) == (0.75, 1)
    assert by_product[p3]["completed"] is False


def _token(w, principal) -> str:
    from kpi_platform.identity import service as identity  # noqa: PLC0415

    with tenant_scope(w["tenant"].id):
        _, raw = identity.issue_token(principal, name="test", days=30, max_days=365)
        db.session.commit()
    return raw


def test_a_leader_a_subordinate_below_50_the_quota_and_a_disqualifier(w):
    ids = w["ids"]
    with tenant_scope(w["tenant"].id):
        # The clerk: P1 (10) done with a failed quality assessment -> a = 1, b = 0.75, c = 1:
        # task = 70 × 2.75/3 = 64.167, + 25 = 89.167 ("tốt").
        product(ids["clerk"], w["item_b"], 10, quality_failures=1)
        work(ids["clerk"], w["item_b"], date(2025, 3, 5), 10)
        records.mark_general(official_id=ids["clerk"], month=MARCH, score=25)
        # X: nothing of the assigned 10 done: task 0, + 20 = 20, below 50.
        x = new_official(ids, "X1")
        product(x, w["item_b"], 10)
        records.mark_general(official_id=x, month=MARCH, score=20)
        # Y1 and Y2: only unplanned approved work (counted assigned and completed): task 70, + 30 and + 29.
        y1, y2 = new_official(ids, "Y1"), new_official(ids, "Y2")
        for official, general in ((y1, 30), (y2, 29)):
            work(official, w["item_b"], date(2025, 3, 6), 6)
            records.mark_general(official_id=official, month=MARCH, score=general)
        # Nobody assigned anything to Z and Z logged nothing: insufficient data, not rated.
        z = new_official(ids, "Z1")
        # The director (heads Sở Nội vụ): own product done cleanly -> a = b = c = 1; d = 0.5 (X is below
        # 50); đ = 0.5 (a product in the unit failed an assessment); e = 1 (set by the superior):
        # task = 70 × 5/6 = 58.333, + 30 = 88.333.
        product(ids["director"], w["item_b"], 4)
        work(ids["director"], w["item_b"], date(2025, 3, 7), 4)
        records.mark_general(official_id=ids["director"], month=MARCH, score=30)
        products.mark_unity(official_id=ids["director"], month=MARCH, unity=1, by=w["drafter"])
        run = runs.run_period("month", MARCH)
        clerk, director = result(run, ids["clerk"]), result(run, ids["director"])
        assert (clerk.task, clerk.total, clerk.tier) == (Decimal("64.167"), Decimal("89.167"), 2)
        assert (result(run, x).total, result(run, x).tier) == (20, 4)
        assert director.details["d"] == 0.5 and director.details["đ"] == 0.5 and director.details["e"] == 1.0
        assert (director.task, director.total) == (Decimal("58.333"), Decimal("88.333"))
        assert (result(run, z).tier, result(run, z).flags) == (0, ["insufficient_data"])
        # One "tốt" in the group of professional posts of Sở Nội vụ (the clerk; the director's post is
        # a leadership one): floor(0.2 × 1) = 0 "xuất sắc" allowed, so Y1 (100) and Y2 (99) drop to tier 2.
        r1, r2 = result(run, y1), result(run, y2)
        assert (r1.total, r1.tier_before_quota, r1.tier, r1.demoted_by_quota) == (100, 1, 2, True)
        assert (r2.total, r2.tier, r2.demoted_by_quota) == (99, 2, True)
        quota = runs.explain(run.id, y1)["quota"]
        assert quota == {"rated_good_in_group": 1, "excellent_before_quota": 2, "excellent_allowed": 0, "demoted": True}
        # A reprimand in the year overrides Y1's 100.
        records.record_discipline(
            official_id=y1, measure="khien_trach", decision_number="21/QĐ-SNV", decision_date=date(2025, 1, 20)
        )
        again = runs.run_period("month", MARCH)
        assert (result(again, y1).total, result(again, y1).tier, result(again, y1).disqualified) == (100, 4, True)
        db.session.rollback()


def test_switching_method_at_a_month_boundary_leaves_earlier_results_untouched(w):
    ids = w["ids"]
    with tenant_scope(w["tenant"].id):
        work(ids["clerk"], w["item_b"], date(2025, 2, 3), 84)  # February (hours): 84 of 152 h (19 days)
        work(ids["clerk"], w["item_b"], date(2025, 3, 3), 6)  # March (decree): unplanned, completed
        february = runs.run_period("month", date(2025, 2, 1))
        march = runs.run_period("month", MARCH)
        assert (february.method, march.method) == ("hours", "decree-335")
        feb = result(february, ids["clerk"])
        assert feb.method == "hours" and feb.points == Decimal("75.6") and feb.details is None  # 84 × 0.9
        assert result(march, ids["clerk"]).task == 70
        # February scored again after the switch is still scored by hours.
        assert runs.run_period("month", date(2025, 2, 1)).method == "hours"
        with pytest.raises(Invalid) as refused:
            tenant_settings.save({"scoring_method": "hours"}, valid_from=date(2025, 4, 15))
        assert refused.value.code == "method_change_mid_period"
        db.session.rollback()


def test_a_decree_tenant_and_an_hours_tenant_side_by_side(w, tenant_b):
    """Each explanation adds up to its score, in each tenant's own method."""
    ids_b = build_org(tenant_b, "B", prefix="B-")
    cat_b = build_catalog(tenant_b, ids_b, prefix="B-")
    outcomes = {}
    for tenant, ids, cat in ((w["tenant"], w["ids"], w), (tenant_b, ids_b, cat_b)):
        with tenant_scope(tenant.id):
            product(ids["clerk"], cat["item_b"], 10, quality_failures=2)
            work(ids["clerk"], cat["item_b"], date(2025, 3, 4), 10)
            run = runs.run_period("month", MARCH)
            outcomes[tenant.slug] = runs.explain(run.id, ids["clerk"])
            db.session.commit()
    decree, hours = outcomes[w["slug"]], outcomes[tenant_b.slug]
    assert (decree["method"], hours["method"]) == ("decree-335", "hours")
    details = decree["details"]
    # a = 1, b = 1 - 2 × 0.25 = 0.5, c = 1: task = 70 × 2.5 / 3
    assert abs(float(decree["task"]) - 70 * (details["a"] + details["b"] + details["c"]) / 3) < 0.001
    assert decree["task"] == Decimal("58.333") and decree["total"] == decree["general"] + decree["task"]
    assert details["b"] == 0.5  # two failed assessments: 50 % of the quality points
    assert hours["lines_sum"] == hours["points"] == 9  # 10 units × 0.9 ("good"); the assignment does not count
    assert hours["total"] == hours["general"] + hours["task"]


def test_the_month_page_shows_the_assigned_products_as_they_stand(client, w):
    ids = w["ids"]
    with tenant_scope(w["tenant"].id):
        product(ids["clerk"], w["item_b"], 10, deadline=date(2025, 3, 10), quality_failures=1)
        work(ids["clerk"], w["item_b"], date(2025, 3, 5), 10)
        db.session.commit()
    browser_session(client, w["tenant"], w["clerk"].id)
    page = client.get(f"/t/{w['slug']}/month?month=2025-03").get_data(as_text=True)
    # a = 1, b = 0.75 (one failed assessment), c = 1: 70 × 2.75 / 3 = 64.17, + 30 assumed = 94.17
    assert "Sản phẩm được giao trong tháng" in page and "75%" in page and "100%" in page
    assert "94,17" in page and "không đạt chất lượng 1 lần, chậm 0 lần" in page
    english = client.get(f"/t/{w['slug']}/month?month=2025-03&lang=en").get_data(as_text=True)
    assert "Products assigned this month" in english and "94.17" in english


def test_only_items_of_the_officials_job_descriptions_can_be_assigned(w):
    ids = w["ids"]
    with tenant_scope(w["tenant"].id):
        rows = [
            {"official_id": ids["clerk"], "item_id": w["item_c"], "month": MARCH, "quantity": 1},
            {"official_id": ids["commune_clerk"], "item_id": w["item_c"], "month": MARCH, "quantity": 1},
        ]
        with pytest.raises(Invalid) as refused:
            products.assign(rows, by=w["drafter"], today=date(2025, 3, 2))
        assert [(e["row"], e["code"]) for e in refused.value.fields["rows"]] == [(2, "item_not_allowed")]
        db.session.rollback()
