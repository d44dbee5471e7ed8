"""The statement budgets of the hot paths, pinned: logging an entry, the review queue, what an
official may log, the day's page. A change that adds a query per row, or reads the same thing twice,
fails here before it reaches a province of 20,000 officials (benchmarks/ has the timings)."""

from __future__ import annotations

import pytest
from support import browser_session

from kpi_platform.context import tenant_scope
from kpi_platform.db import db
from kpi_platform.tenancy import service as tenancy
from kpi_platform.worklog import calendar
from kpi_platform.worklog import service as worklog

# Statements per request, authentication included.
BUDGETS = {
    "log an entry": 23,
    "log again (the same Idempotency-Key)": 16,
    "the review queue": 32,
    "what I may log": 9,
    "the day page": 24,
}


@pytest.fixture
def working_today(province):
    """Today made a working day if it is not one (the day's cap then is the full one)."""
    today = tenancy.local_today(province.tenant)
    with tenant_scope(province.tenant.id):
        if not calendar.is_working_day(today):
            calendar.set_day(today, "working", "Làm bù")
        db.session.commit()
    return today


def _log(client, province, key: str):
    body = {"work_date": tenancy.local_today(province.tenant).isoformat(), "item_id": str(province.items["B-001"]),
            "quantity": 1, "submit": True}  # fmt: skip
    return client.post(
        province.url("/worklog/entries"), json=body, headers={**province.clerk.headers, "Idempotency-Key": key}
    )


def test_logging_an_entry_and_its_retry(client, province, working_today, count_queries):
    _log(client, province, "warm-up")  # the first request of a test warms caches, as a running app has
    with count_queries() as counted:
        assert _log(client, province, "k1").status_code == 201
    assert counted.count <= BUDGETS["log an entry"], "\n".join(counted.statements)
    with count_queries() as again:
        assert _log(client, province, "k1").status_code == 201
    assert again.count <= BUDGETS["log again (the same Idempotency-Key)"], again.statements


def test_the_review_queue_costs_the_same_for_one_entry_or_thirty(client, province, working_today, count_queries):
    def queue() -> tuple[int, int]:
        with count_queries() as counted:
            r = client.get(province.url("/worklog/review-queue?page_size=100"), headers=province.director.headers)
            assert r.status_code == 200
        return counted.count, len(r.json)

    _log(client, province, "one")
    one, shown = queue()
    with tenant_scope(province.tenant.id):
        for n in range(29):
            worklog.log_work(province.ids["clerk"], working_today, province.items["C-001"], 0.1, submit=True,
                             evidence_ref=f"{n}/SNV")  # fmt: skip
        db.session.commit()
    thirty, shown_after = queue()
    assert (shown, shown_after) == (1, 30)
    assert one <= BUDGETS["the review queue"] and thirty <= one  # no statement per entry


def test_what_an_official_may_log(client, province, count_queries):
    client.get(province.url("/me/allowed-items"), headers=province.clerk.headers)
    with count_queries() as counted:
        r = client.get(province.url("/me/allowed-items"), headers=province.clerk.headers)
    assert r.status_code == 200 and {i["code"] for i in r.json} == {"B-001", "C-001"}
    assert counted.count <= BUDGETS["what I may log"], counted.statements


def test_the_day_page(client, province, working_today, count_queries):
    browser_session(client, province.tenant, province.clerk.id)
    _log(client, province, "page")
    client.get(f"/t/{province.slug}/today")
    with count_queries() as counted:
        r = client.get(f"/t/{province.slug}/today")
    assert r.status_code == 200 and "B-001" in r.get_data(as_text=True)
    assert counted.count <= BUDGETS["the day page"], counted.statements
