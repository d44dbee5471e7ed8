"""Scoring on PostgreSQL with hand-computed values for the rules of domain.md (method "hours"):
leave and part-time, a leader's composite with the unit's KPI or its members' average, a quota
that demotes, a disqualifier, settings changed mid-period, explanations that add up, quarters from
months, staffing norms, exports and the run a month's close starts.

March 2025 has 21 working days (no public holiday): 168 standard hours for a full-time official.
Items B-001 and C-001 have a 60-minute norm at coefficient 1.0, so w = 1 hour per unit.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from support import build_catalog, build_org

from kpi_platform.catalog import service as catalog
from kpi_platform.context import tenant_scope
from kpi_platform.db import db
from kpi_platform.org import service as org
from kpi_platform.scoring import kpi, records, runs, staffing
from kpi_platform.scoring.models import PeriodResult
from kpi_platform.tenant_settings import document as settings_document
from kpi_platform.tenant_settings import service as tenant_settings
from kpi_platform.worklog.models import EntryState, WorkEntry

MARCH = date(2025, 3, 1)


@pytest.fixture
def w(tenant_a, make_account):
    ids = build_org(tenant_a)
    cat = build_catalog(tenant_a, ids)
    admin = make_account(tenant_a, roles=["provincial_admin"], name="Quản trị")
    return {"ids": ids, **cat, "admin": admin, "tenant": tenant_a, "slug": tenant_a.slug}


def approved(official_id, item_id, day, quantity, quality, late=0, state=EntryState.approved):
    version = catalog.version_on(item_id, day)
    entry = WorkEntry(
        official_id=official_id,
        work_date=day,
        item_id=item_id,
        item_version_id=version.id,
        quantity=Decimal(quantity),
        quality=quality,
        state=state,
        late_working_days=late,
    )
    db.session.add(entry)
    return entry


def result(run, official_id) -> PeriodResult:
    return db.session.get(PeriodResult, (run.tenant_id, run.id, official_id))


def new_official(ids, code, name, unit="division", position="staff_position"):
    return org.create_official(
        staff_code=code,
        full_name=name,
        employment_kind="cong_chuc",
        assignment={"unit_id": ids[unit], "position_id": ids[position], "valid_from": date(2025, 1, 1)},
    ).id


def test_leave_part_time_and_an_unmarked_general_score(w):
    ids = w["ids"]
    with tenant_scope(w["tenant"].id):
        # The clerk: 2 days' leave -> 19 days, 152 h. 120 units good (0.9) = 108 h, and 10 units
        # excellent finished 2 working days late (0.8) = 8 h: 116 points; 70 × 116/152 = 53.421.
        records.record_leave(
            official_id=ids["clerk"], first_day=date(2025, 3, 10), last_day=date(2025, 3, 11), kind="annual"
        )
        approved(ids["clerk"], w["item_b"], date(2025, 3, 5), 120, "good")
        approved(ids["clerk"], w["item_c"], date(2025, 3, 6), 10, "excellent", late=2)
        approved(ids["clerk"], w["item_b"], date(2025, 3, 7), 30, "good", state=EntryState.returned)  # counts 0
        approved(ids["clerk"], w["item_b"], date(2025, 4, 1), 30, "good")  # April: not in March
        records.mark_general(official_id=ids["clerk"], month=MARCH, score=27)
        # The commune clerk: full time until 14 March (10 days, 80 h), then half time (11 days, 44 h):
        # 124 h. 62 units excellent = 62 points; 70 × 62/124 = 35; general not marked: 30 assumed.
        first = org.assignments_of(ids["commune_clerk"])[0]
        org.end_assignment(ids["commune_clerk"], first.id, date(2025, 3, 17))
        org.add_assignment(
            ids["commune_clerk"],
            unit_id=ids["commune"],
            position_id=ids["staff_position"],
            valid_from=date(2025, 3, 17),
            share=0.5,
        )
        approved(ids["commune_clerk"], w["item_b"], date(2025, 3, 20), 62, "excellent")
        run = runs.run_period("month", MARCH)
        db.session.commit()
        clerk = result(run, ids["clerk"])
        assert (clerk.working_days, clerk.available_hours, clerk.points) == (19, 152, 116)
        assert clerk.task == Decimal("53.421") and clerk.general == 27 and clerk.total == Decimal("80.421")
        assert (clerk.tier, clerk.general_assumed) == (2, False)
        commune = result(run, ids["commune_clerk"])
        assert (commune.working_days, commune.available_hours, commune.points) == (21, 124, 62)
        assert (commune.task, commune.general, commune.total, commune.tier) == (35, 30, 65, 3)
        assert commune.general_assumed is True
        # The explanation adds up to the score, line by line, with the run's own settings.
        explained = runs.explain(run.id, ids["clerk"])
        assert [(line["points"], line["quality_factor"], line["timeliness_factor"]) for line in explained["lines"]] == [
            (Decimal(108), Decimal("0.9"), Decimal(1)),
            (Decimal(8), Decimal(1), Decimal("0.8")),
        ]  # the returned entry and April's are not lines of March
        assert [line["item_code"] for line in explained["lines"]] == ["B-001", "C-001"]  # codes, with names beside
        assert all(line["item_name"] and line["item_name"] != line["item_code"] for line in explained["lines"])
        assert explained["lines_sum"] == explained["points"] == 116
        assert explained["tier_name_vi"] == "Hoàn thành tốt nhiệm vụ" and explained["threshold"] == 70


def test_a_leaders_composite_with_the_units_kpi_or_its_members_average(w):
    ids = w["ids"]
    with tenant_scope(w["tenant"].id):
        # Director (heads Sở Nội vụ): 84 units good = 75.6 points of 168 h -> own task 31.5.
        approved(ids["director"], w["item_b"], date(2025, 3, 3), 84, "good")
        approved(ids["clerk"], w["item_b"], date(2025, 3, 3), 120, "good")  # 108/168 × 70 = 45
        records.mark_general(official_id=ids["director"], month=MARCH, score=30)
        records.mark_general(official_id=ids["clerk"], month=MARCH, score=25)
        run = runs.run_period("month", MARCH)
        director = result(run, ids["director"])
        # No KPI for the agency yet: its members' average total (the clerk's 70) stands for it.
        assert director.is_leader and director.own_task == Decimal("31.500")
        assert director.unit_score == 70 and director.task == Decimal("40.250")  # 15.75 + 35 × 0.7
        assert director.total == Decimal("70.250")
        # With the agency's organisational KPI: 90 of a target 100 (weight 2), and 4 against a
        # lower-is-better target of 5 (1.25, capped at 1.2; weight 1): 100 × (1.8 + 1.2) / 3 = 100.
        kpi.create_indicator(
            code="CCHC-01", name_vi="Tỷ lệ hồ sơ đúng hạn", group="administrative_reform", direction="higher"
        )
        kpi.create_indicator(code="PAKN-01", name_vi="Số phản ánh quá hạn", group="service_quality", direction="lower")
        kpi.set_value(
            indicator_code="CCHC-01", unit_id=ids["agency"], kind="month", start=MARCH, target=100, actual=90, weight=2
        )
        kpi.set_value(
            indicator_code="PAKN-01", unit_id=ids["agency"], kind="month", start=MARCH, target=5, actual=4, weight=1
        )
        ranked = kpi.ranking("month", MARCH)
        assert [(r["unit_code"], r["score"], r["rank"]) for r in ranked] == [("SNV", Decimal("100.00"), 1)]
        again = runs.run_period("month", MARCH)
        director = result(again, ids["director"])
        assert director.unit_score == 100 and director.task == Decimal("50.750") and director.total == Decimal("80.750")
        db.session.rollback()


def test_a_quota_demotes_and_a_disqualifier_overrides(w):
    ids = w["ids"]
    with tenant_scope(w["tenant"].id):
        people = {}
        # Two at "xuất sắc" (150 and 160 units excellent, general 30: 92.5 and 96.667) and five at
        # "tốt" (120 units good: 45 + 30 = 75) in the same agency and duty group.
        for code, quantity, quality in (
            ("X1", 150, "excellent"),
            ("X2", 160, "excellent"),
            ("G1", 120, "good"),
            ("G2", 120, "good"),
            ("G3", 120, "good"),
            ("G4", 120, "good"),
            ("G5", 120, "good"),
        ):
            people[code] = new_official(ids, code, f"Cán bộ {code}")
            approved(people[code], w["item_b"], date(2025, 3, 3), quantity, quality)
            records.mark_general(official_id=people[code], month=MARCH, score=30)
        run = runs.run_period("month", MARCH)
        x1, x2 = result(run, people["X1"]), result(run, people["X2"])
        assert (x1.total, x2.total) == (Decimal("92.500"), Decimal("96.667"))
        # floor(0.2 × 5 "tốt") = 1 "xuất sắc" allowed: the lower one drops to tier 2.
        assert (x2.tier, x2.demoted_by_quota) == (1, False)
        assert (x1.tier_before_quota, x1.tier, x1.demoted_by_quota) == (1, 2, True)
        assert runs.explain(run.id, people["X1"])["demoted_by_quota"] is True
        # A reprimand this year forces X2 to the lowest tier whatever the score; X1 then fits the quota.
        records.record_discipline(
            official_id=people["X2"],
            measure="khien_trach",
            decision_number="15/QĐ-SNV",
            decision_date=date(2025, 2, 10),
        )
        again = runs.run_period("month", MARCH)
        x1, x2 = result(again, people["X1"]), result(again, people["X2"])
        assert (x2.total, x2.tier, x2.disqualified) == (Decimal("96.667"), 4, True)
        assert (x1.tier, x1.demoted_by_quota) == (1, False)
        db.session.rollback()


def test_settings_changed_mid_period_and_results_reproducible(w):
    ids = w["ids"]
    with tenant_scope(w["tenant"].id):
        approved(ids["clerk"], w["item_b"], date(2025, 3, 3), 120, "good")
        approved(ids["clerk"], w["item_b"], date(2025, 4, 1), 120, "good")
        records.mark_general(official_id=ids["clerk"], month=MARCH, score=30)
        march = runs.run_period("month", MARCH)
        before = result(march, ids["clerk"]).total  # 45 + 30
        # From 15 March "good" counts 0.8: a month is scored with the settings in force on its
        # first day, so March keeps 0.9 and April takes 0.8.
        quality = [dict(level) for level in settings_document.DEFAULTS["quality"]]
        quality[1]["factor"] = 0.8
        version = tenant_settings.save({"quality": quality}, valid_from=date(2025, 3, 15))
        march_again = runs.run_period("month", MARCH)
        april = runs.run_period("month", date(2025, 4, 1))
        assert before == Decimal("75.000") and result(march_again, ids["clerk"]).total == before
        assert march_again.settings_version_id is None and april.settings_version_id == version.id
        # 120 × 0.8 = 96 points; April has 20 working days (7 and 30 April are holidays): 160 h
        assert result(april, ids["clerk"]).points == 96 and result(april, ids["clerk"]).available_hours == 160
        # Recomputing the first March run with what it recorded gives the same numbers.
        runs.compute(march)
        assert result(march, ids["clerk"]).total == before
        db.session.rollback()


def test_quarters_and_years_average_the_months(w):
    ids = w["ids"]
    with tenant_scope(w["tenant"].id):
        approved(ids["clerk"], w["item_b"], date(2025, 1, 6), 168, "excellent")
        approved(ids["clerk"], w["item_b"], date(2025, 3, 3), 84, "excellent")
        for month in (1, 3):
            records.mark_general(official_id=ids["clerk"], month=date(2025, month, 1), score=30)
            runs.run_period("month", date(2025, month, 1))
        quarter = runs.run_period("quarter", date(2025, 1, 1))
        january = db.session.scalar(
            select(PeriodResult.total)
            .join(runs.PeriodRun, runs.PeriodRun.id == PeriodResult.run_id)
            .where(
                runs.PeriodRun.start == date(2025, 1, 1),
                runs.PeriodRun.kind == "month",
                PeriodResult.official_id == ids["clerk"],
            )
        )
        assert january == 100  # 168 units against January's 17 working days (Tết): capped at 70, + 30
        assert result(quarter, ids["clerk"]).total == (Decimal(100) + Decimal(65)) / 2  # March: 35 + 30
        with pytest.raises(Exception, match="No month"):
            runs.run_period("quarter", date(2025, 7, 1))
        db.session.rollback()


def test_staffing_needs_against_headcount(w):
    ids = w["ids"]
    with tenant_scope(w["tenant"].id):
        approved(ids["clerk"], w["item_b"], date(2025, 3, 3), 252, "good")  # 252 h = 1.5 × 168
        table = staffing.staffing(MARCH, date(2025, 4, 1))
        line = next(x for x in table["lines"] if x["unit_id"] == ids["division"])
        assert table["working_days"] == 21 and line["credited_hours"] == 252
        assert (line["needed_fte"], line["headcount"], line["difference"]) == (
            Decimal("1.50"),
            Decimal("1.00"),
            Decimal("-0.50"),
        )
        db.session.rollback()


def test_closing_a_month_scores_it_and_the_api_explains_and_exports(client, w, make_account):
    ids = w["ids"]
    clerk = make_account(w["tenant"], roles=["official"], name="Trần Thị Bình")
    with tenant_scope(w["tenant"].id):
        org.update_official(ids["clerk"], {"principal_id": clerk.id})
        approved(ids["clerk"], w["item_b"], date(2025, 3, 3), 84, "excellent")
        db.session.commit()
    base = f"/api/v1/t/{w['slug']}"
    r = client.post(f"{base}/worklog/periods/2025-3/close", headers=w["admin"].headers)
    assert r.status_code == 201 and r.json["locked_entries"] == 1
    run = client.get(f"{base}/scoring/runs?kind=month", headers=w["admin"].headers).json[0]
    assert (run["start"], run["status"], run["reason"]) == ("2025-03-01", "done", "period_close")
    mine = client.get(f"{base}/scoring/me", headers=clerk.headers).json
    assert mine["points"] == 84 and mine["task"] == 35 and mine["lines_sum"] == 84 and mine["general_assumed"]
    other = client.get(f"{base}/scoring/runs/{run['id']}/results/{ids['director']}", headers=clerk.headers)
    assert other.status_code == 404  # an official reads their own results only
    results = client.get(f"{base}/scoring/runs/{run['id']}/results", headers=w["admin"].headers).json
    assert results[0]["full_name"] == "Trần Thị Bình" and results[0]["total"] == 65
    unit = client.get(f"{base}/scoring/runs/{run['id']}/units/{ids['agency']}", headers=w["admin"].headers).json
    assert (unit["unit_code"], unit["people"], unit["rated"]) == ("SNV", 2, 2)  # the director and the clerk
    # The director logged nothing: half of 0, half of 70 × the members' 65 %: 22.75, + 30 assumed.
    assert [m["total"] for m in unit["members"]] == [65, 52.75] and unit["tiers"] == {"3": 2}
    assert unit["average_total"] == (65 + 52.75) / 2
    assert (
        client.get(f"{base}/scoring/runs/{run['id']}/units/{ids['agency']}", headers=clerk.headers).status_code == 403
    )
    sheet = load_workbook(
        io.BytesIO(client.get(f"{base}/scoring/runs/{run['id']}/export", headers=w["admin"].headers).data)
    ).active
    assert (
        sheet["A1"].value == "Mã cán bộ" and sheet["I1"].value == "Tổng điểm" and sheet["B2"].value == "Trần Thị Bình"
    )
    # Settings changed through the API: the open months since are recomputed, the closed one kept.
    r = client.put(
        f"{base}/scoring/settings",
        headers=w["admin"].headers,
        json={
            "valid_from": "2025-03-01",
            "document": {"weights": {"general_max": 30}},
        },
    )
    assert r.status_code == 200 and "2025-03-01" not in r.json["recomputing"]
    with tenant_scope(w["tenant"].id):
        assert db.session.scalar(select(WorkEntry.state)) == EntryState.locked


def test_the_month_so_far_projects_the_pace_so_far_over_the_month(w):
    """Approved work and submitted work (at the default quality) count; a draft is listed but does
    not count until it is submitted. The projection carries the pace so far over the month."""
    from kpi_platform.scoring import projection  # noqa: PLC0415

    ids = w["ids"]
    with tenant_scope(w["tenant"].id):
        approved(ids["clerk"], w["item_b"], date(2025, 3, 3), 42, "excellent")
        approved(ids["clerk"], w["item_b"], date(2025, 3, 4), 40, None, state=EntryState.submitted)  # good: 36
        approved(ids["clerk"], w["item_b"], date(2025, 3, 5), 10, "good", state=EntryState.returned)
        approved(ids["clerk"], w["item_b"], date(2025, 3, 6), 20, None, state=EntryState.draft)
        month = projection.month_so_far(ids["clerk"], date(2025, 3, 14))
        assert (month["approved_points"], month["pending_points"], month["projected_points"]) == (42, 36, 78)
        assert (month["available_hours_so_far"], month["available_hours_month"]) == (80, 168)  # 10 and 21 days
        # At this pace (78 of 80 hours so far): 70 × 78/80 = 68.25; if the month ended today: 70 × 78/168.
        assert month["projected_task"] == Decimal("68.25") and month["projected_total"] == Decimal("98.25")
        assert month["task_so_far"] == Decimal("32.50") and month["projected_tier"] == 1
        assert [line["projected"] for line in month["lines"]] == [False, True, False, False]
        assert [line["counted"] for line in month["lines"]] == [True, True, False, False]
        db.session.rollback()
