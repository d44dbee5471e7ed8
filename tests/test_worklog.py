"""Work logging and review through the API on PostgreSQL: every logging rule, the review path with
bulk review and escalation, anomaly flags, idempotency, closed months and the signed e-document
webhook."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from support import build_catalog, build_org

from kpi_platform.context import tenant_scope
from kpi_platform.db import db
from kpi_platform.org import service as org
from kpi_platform.tenancy import service as tenancy
from kpi_platform.tenant_settings import service as tenant_settings
from kpi_platform.worklog import calendar, edoc
from kpi_platform.worklog import service as worklog
from kpi_platform.worklog.models import EntryState, WorkEntry


@pytest.fixture
def w(tenant_a, make_account):
    """build_org + build_catalog: the clerk (Phòng Tổ chức) may log B-001 and C-001; the director of
    Sở Nội vụ reviews them; the commune clerk may log B-001 only."""
    ids = build_org(tenant_a)
    cat = build_catalog(tenant_a, ids)
    clerk = make_account(tenant_a, roles=["official"], name="Trần Thị Bình")
    commune = make_account(tenant_a, roles=["official", "manager"], name="Lê Văn Cường")
    admin = make_account(tenant_a, roles=["provincial_admin"], name="Quản trị")
    with tenant_scope(tenant_a.id):
        org.update_official(ids["clerk"], {"principal_id": clerk.id})
        org.update_official(ids["commune_clerk"], {"principal_id": commune.id})
        director = make_token(cat["director"])
        today = tenancy.local_today(tenant_a)
        db.session.commit()
    return {
        "ids": ids,
        **cat,
        "clerk": clerk,
        "commune": commune,
        "admin": admin,
        "director_h": director,
        "slug": tenant_a.slug,
        "tenant": tenant_a,
        "today": today,
    }


def make_token(principal) -> dict:
    from kpi_platform.identity import service as identity  # noqa: PLC0415

    _, raw = identity.issue_token(principal, name="test", days=30, max_days=365)
    return {"Authorization": f"Bearer {raw}"}


def url(w, path: str) -> str:
    return f"/api/v1/t/{w['slug']}{path}"


def working_day(w, back: int = 0) -> date:
    """The working day `back` working days before today (0: the latest working day up to today)."""
    with tenant_scope(w["tenant"].id):
        days = calendar.working_days(w["today"] - timedelta(days=40), w["today"])
    return days[-1 - back]


def log(client, w, who="clerk", **body):
    body = {"work_date": working_day(w).isoformat(), "item_id": str(w["item_b"]), "quantity": 1, **body}
    headers = w[who].headers if who != "director" else w["director_h"]
    return client.post(url(w, "/worklog/entries"), headers=headers, json=body)


def test_an_official_logs_only_their_own_items_within_the_rules(client, w):
    assert log(client, w).status_code == 201
    r = log(client, w, item_id=str(w["item_c"]))  # the agency's C item: in the clerk's descriptions
    assert r.status_code == 201 and r.json["item_code"] == "C-001" and r.json["norm_minutes"] == 60
    r = log(client, w, who="commune", item_id=str(w["item_c"]))  # not in the commune clerk's
    assert r.status_code == 422 and r.json["error"]["code"] == "item_not_allowed"
    r = log(client, w, work_date=(w["today"] + timedelta(days=1)).isoformat())
    assert r.status_code == 422 and r.json["error"]["code"] == "future_date"
    r = log(client, w, work_date=working_day(w, 6).isoformat())  # 5 working days back is the default limit
    assert r.status_code == 422 and r.json["error"]["code"] == "too_far_back"
    assert log(client, w, work_date=working_day(w, 5).isoformat()).status_code == 201
    r = log(client, w, quantity=0)
    assert r.status_code == 422
    # Same item, same document: refused.
    assert log(client, w, evidence_ref="125/SNV-TCCB").status_code == 201
    r = log(client, w, evidence_ref="125/SNV-TCCB")
    assert r.status_code == 409 and r.json["error"]["code"] == "duplicate_entry"
    # A user without an official on the roster cannot log at all.
    r = log(client, w, who="admin")
    assert r.status_code == 403 and r.json["error"]["code"] == "no_official"


def test_the_daily_cap_on_standard_time(client, w):
    day = working_day(w, 1).isoformat()
    assert log(client, w, work_date=day, quantity=8).status_code == 201  # 480 minutes
    assert log(client, w, work_date=day, quantity=2).status_code == 201  # 600: the day plus 120 overtime
    r = log(client, w, work_date=day, quantity=1)
    assert r.status_code == 422 and r.json["error"]["code"] == "daily_cap_exceeded"
    # The message speaks hours, as the day page does: 11 hours claimed against the cap of 10.
    assert r.json["error"]["message"].endswith("sẽ là 11 giờ, vượt mức tối đa 10 giờ.")
    summary = client.get(url(w, f"/worklog/day?date={day}"), headers=w["clerk"].headers).json
    assert (summary["claimed_minutes"], summary["cap_minutes"], len(summary["entries"])) == (600, 600, 2)
    # On a weekend only the overtime counts.
    saturday = w["today"] - timedelta(days=(w["today"].weekday() - 5) % 7)
    if calendar.working_days_back(saturday, w["today"]) <= 5:
        r = log(client, w, work_date=saturday.isoformat(), quantity=3)
        assert r.status_code == 422 and r.json["error"]["code"] == "daily_cap_exceeded"


def test_idempotency_key_never_logs_twice(client, w):
    headers = {**w["clerk"].headers, "Idempotency-Key": "phone-7f3a"}
    body = {"work_date": working_day(w).isoformat(), "item_id": str(w["item_b"]), "quantity": 2}
    first = client.post(url(w, "/worklog/entries"), headers=headers, json=body)
    again = client.post(url(w, "/worklog/entries"), headers=headers, json=body)
    assert first.status_code == 201 and again.json["id"] == first.json["id"]
    with tenant_scope(w["tenant"].id):
        assert db.session.scalar(select(func.count()).select_from(WorkEntry)) == 1


def test_a_returned_entry_is_fixed_and_resubmitted(client, w):
    entry = log(client, w, quantity=3, submit=True).json
    assert entry["state"] == "submitted"
    queue = client.get(url(w, "/worklog/review-queue"), headers=w["director_h"]).json
    assert [e["id"] for e in queue] == [entry["id"]] and queue[0]["official_name"].startswith("Trần Thị Bình")
    # The official cannot review their own work; another official's reviewer cannot either.
    for headers in (w["clerk"].headers, w["commune"].headers):
        r = client.post(url(w, "/worklog/review"), headers=headers, json={"ids": [entry["id"]]})
        assert r.status_code == 403 and r.json["error"]["code"] == "not_reviewable"
    r = client.post(
        url(w, "/worklog/review"), headers=w["director_h"], json={"ids": [entry["id"]], "decision": "return"}
    )
    assert r.status_code == 422  # a return needs its reason
    decision = {"id": entry["id"], "decision": "return", "reason": "Số lượng chưa khớp sổ văn bản"}
    r = client.post(url(w, "/worklog/review"), headers=w["director_h"], json={"decisions": [decision]})
    assert r.json == {"approved": 0, "returned": 1}
    mine = client.get(url(w, f"/worklog/entries/{entry['id']}"), headers=w["clerk"].headers).json
    assert mine["state"] == "returned" and mine["return_reason"] == "Số lượng chưa khớp sổ văn bản"
    r = client.patch(url(w, f"/worklog/entries/{entry['id']}"), headers=w["clerk"].headers, json={"quantity": 2})
    assert r.status_code == 200 and r.json["quantity"] == 2
    r = client.post(url(w, "/worklog/entries/submit"), headers=w["clerk"].headers, json={"ids": [entry["id"]]})
    assert r.status_code == 200 and r.json[0]["state"] == "submitted"
    r = client.post(
        url(w, "/worklog/review"), headers=w["director_h"], json={"ids": [entry["id"]], "quality": "excellent"}
    )
    assert r.json == {"approved": 1, "returned": 0}
    done = client.get(url(w, f"/worklog/entries/{entry['id']}"), headers=w["clerk"].headers).json
    assert done["state"] == "approved" and done["quality"] == "excellent" and done["return_reason"] is None
    r = client.patch(url(w, f"/worklog/entries/{entry['id']}"), headers=w["clerk"].headers, json={"quantity": 5})
    assert r.status_code == 409 and r.json["error"]["code"] == "not_editable"
    r = client.post(url(w, "/worklog/review"), headers=w["director_h"], json={"ids": [entry["id"]], "quality": "so-so"})
    assert r.status_code == 403  # no longer waiting for review


def test_bulk_review_of_500_entries(client, w):
    with tenant_scope(w["tenant"].id):
        ids = []
        for n in range(500):
            entry = worklog.log_work(
                w["ids"]["clerk"],
                date(2025, 3, 3) + timedelta(days=n % 20),
                w["item_b"],
                1,
                evidence_ref=f"{n}/VB",
                submit=True,
            )
            ids.append(str(entry.id))
        db.session.commit()
    page = client.get(url(w, "/worklog/review-queue?page_size=1000"), headers=w["director_h"])
    assert page.status_code == 200 and len(page.json) == 500
    decisions = [{"id": i, "decision": "approve", "quality": "good"} for i in ids[:495]]
    decisions += [{"id": i, "decision": "return", "reason": "Thiếu văn bản kèm theo"} for i in ids[495:]]
    started = time.perf_counter()
    r = client.post(url(w, "/worklog/review"), headers=w["director_h"], json={"decisions": decisions})
    took = time.perf_counter() - started
    assert r.status_code == 200 and r.json == {"approved": 495, "returned": 5}, r.json
    with tenant_scope(w["tenant"].id):
        states = dict(db.session.execute(select(WorkEntry.state, func.count()).group_by(WorkEntry.state)).all())
    assert states == {EntryState.approved: 495, EntryState.returned: 5}
    assert took < 30  # one request, a handful of statements (the figure is in benchmarks/worklog.py)


def test_unreviewed_entries_escalate_to_the_unit_head(client, w):
    ids = w["ids"]
    with tenant_scope(w["tenant"].id):  # the clerk's reviewer is now the commune's manager
        org.update_official(ids["clerk"], {"reviewer_id": ids["commune_clerk"]})
        db.session.commit()
    entry = log(client, w, submit=True).json
    assert [e["id"] for e in client.get(url(w, "/worklog/review-queue"), headers=w["commune"].headers).json] == [
        entry["id"]
    ]
    # The named reviewer reads the reviewee's entries; the reviewee cannot read the reviewer's.
    mine = client.get(url(w, f"/worklog/entries?official_id={ids['clerk']}"), headers=w["commune"].headers)
    assert mine.status_code == 200 and [e["id"] for e in mine.json] == [entry["id"]]
    theirs = client.get(url(w, f"/worklog/entries?official_id={ids['commune_clerk']}"), headers=w["clerk"].headers)
    assert theirs.status_code == 404
    assert client.get(url(w, "/worklog/review-queue"), headers=w["director_h"]).json == []
    with tenant_scope(w["tenant"].id):
        ten_days_ago = datetime.now(UTC) - timedelta(days=10)
        db.session.execute(update(WorkEntry).values(submitted_at=ten_days_ago))
        db.session.commit()
    queue = client.get(url(w, "/worklog/review-queue"), headers=w["director_h"]).json
    assert [e["id"] for e in queue] == [entry["id"]] and queue[0]["escalated"] is True
    r = client.post(url(w, "/worklog/review"), headers=w["director_h"], json={"ids": [entry["id"]]})
    assert r.json["approved"] == 1


def test_anomaly_flags_come_with_their_reasons(client, w):
    day = working_day(w, 1)
    with tenant_scope(w["tenant"].id):
        # Ingestion knows no cap: 14 hours of standard time on one day, none with a document.
        entries = [worklog.log_work(w["ids"]["clerk"], day, w["item_b"], 1, submit=True) for _ in range(14)]
        db.session.commit()
    queue = client.get(url(w, "/worklog/review-queue"), headers=w["director_h"]).json
    codes = {flag["code"] for flag in queue[0]["flags"]}
    assert {"day_far_above_standard", "many_without_evidence"} <= codes
    reason = next(f for f in queue[0]["flags"] if f["code"] == "day_far_above_standard")
    assert "14.0" in reason["reason_vi"] and reason["reason_en"]
    flagged = client.get(url(w, "/worklog/review-queue?flagged=true&page_size=5"), headers=w["director_h"])
    assert len(flagged.json) == 5 and json.loads(flagged.headers["X-Pagination"])["total"] == len(entries)


def test_auto_approval_when_the_tenant_turns_it_on(client, w):
    entry = log(client, w, actual_minutes=45, submit=True).json
    assert entry["state"] == "submitted"  # off by default
    with tenant_scope(w["tenant"].id):
        tenant_settings.save({"review": {"auto_approve_routine": True}}, valid_from=date(2025, 1, 1))
        db.session.commit()
    routine = log(client, w, actual_minutes=45, submit=True).json  # a B item, within its 60-minute norm
    assert routine["state"] == "approved" and routine["auto_approved"] is True and routine["quality"] == "good"
    slow = log(client, w, actual_minutes=90, submit=True).json  # over the norm: a person reviews it
    assert slow["state"] == "submitted"


def test_a_closed_month_locks_its_entries(client, w):
    with tenant_scope(w["tenant"].id):
        approved = worklog.log_work(w["ids"]["clerk"], date(2025, 3, 3), w["item_b"], 1, submit=True)
        draft = worklog.log_work(w["ids"]["clerk"], date(2025, 3, 4), w["item_b"], 1)
        db.session.execute(update(WorkEntry).where(WorkEntry.id == approved.id).values(state=EntryState.approved))
        db.session.commit()
        approved_id, draft_id = approved.id, draft.id
    assert client.post(url(w, "/worklog/periods/2025-3/close"), headers=w["clerk"].headers).status_code == 403
    r = client.post(url(w, "/worklog/periods/2025-3/close"), headers=w["admin"].headers)
    assert r.status_code == 201 and r.json["locked_entries"] == 1
    assert client.post(url(w, "/worklog/periods/2025-3/close"), headers=w["admin"].headers).status_code == 409
    assert client.get(url(w, f"/worklog/entries/{approved_id}"), headers=w["clerk"].headers).json["state"] == "locked"
    r = client.patch(url(w, f"/worklog/entries/{draft_id}"), headers=w["clerk"].headers, json={"quantity": 2})
    assert r.status_code == 409 and r.json["error"]["code"] == "period_closed"
    assert client.delete(url(w, f"/worklog/entries/{draft_id}"), headers=w["clerk"].headers).status_code == 409
    with tenant_scope(w["tenant"].id), pytest.raises(Exception, match="closed"):
        worklog.log_work(w["ids"]["clerk"], date(2025, 3, 5), w["item_b"], 1)


# ---------------------------------------------------------------- the e-document webhook


def post_event(client, w, secret, payload, *, timestamp=None, signature=None):
    body = json.dumps(payload).encode()
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "Content-Type": "application/json",
        "X-KPI-Timestamp": timestamp,
        "X-KPI-Signature": signature or edoc.sign(secret, timestamp, body),
    }
    return client.post(url(w, "/worklog/edoc/events"), data=body, headers=headers)


def test_the_e_document_webhook(client, w):
    r = client.put(
        url(w, "/worklog/edoc/integration"), headers=w["admin"].headers, json={"item_map": {"cong_van_di": "C-001"}}
    )
    assert r.status_code == 200 and r.json["secret"] and r.json["webhook_url"].endswith("/worklog/edoc/events")
    secret = r.json["secret"]
    assert client.get(url(w, "/worklog/edoc/integration"), headers=w["admin"].headers).json["secret"] is None
    event = {
        "event_id": "evt-001",
        "type": "document.processed",
        "document_number": "312/SNV-TCCB",
        "document_type": "cong_van_di",
        "processed_at": f"{working_day(w).isoformat()}T09:30:00+07:00",
        "staff_code": "NV002",
    }
    r = post_event(client, w, secret, event)
    assert r.status_code == 200 and r.json["status"] == "entry_created", r.json
    entry_id = r.json["entry_id"]
    entry = client.get(url(w, f"/worklog/entries/{entry_id}"), headers=w["clerk"].headers).json
    assert (entry["state"], entry["source"], entry["evidence_ref"], entry["item_code"]) == (
        "submitted",
        "edoc",
        "312/SNV-TCCB",
        "C-001",
    )
    # Sent again: the same answer, no second entry.
    again = post_event(client, w, secret, event)
    assert again.status_code == 200 and again.json["entry_id"] == entry_id
    with tenant_scope(w["tenant"].id):
        assert db.session.scalar(select(func.count()).select_from(WorkEntry)) == 1
    # A replay of an old request, a bad signature, no signature: refused.
    r = post_event(client, w, secret, {**event, "event_id": "evt-002"}, timestamp=int(time.time()) - 3600)
    assert r.status_code == 401 and r.json["error"]["code"] == "stale_request"
    r = post_event(client, w, "not-the-secret", {**event, "event_id": "evt-003"})
    assert r.status_code == 401 and r.json["error"]["code"] == "bad_signature"
    r = client.post(url(w, "/worklog/edoc/events"), json=event)
    assert r.status_code == 401
    # An unknown official is parked, not dropped; the admin names the official and the entry appears.
    r = post_event(
        client, w, secret, {**event, "event_id": "evt-004", "document_number": "77/UBND", "staff_code": "NV999"}
    )
    assert r.json["status"] == "parked" and r.json["problem_code"] == "unknown_official"
    parked = client.get(url(w, "/worklog/edoc/parked"), headers=w["admin"].headers).json
    assert [p["event_id"] for p in parked] == ["evt-004"]
    r = client.post(
        url(w, f"/worklog/edoc/parked/{parked[0]['id']}"),
        headers=w["admin"].headers,
        json={"official_id": str(w["ids"]["clerk"])},
    )
    assert r.status_code == 200 and r.json["status"] == "resolved" and r.json["entry_id"]
    assert client.get(url(w, "/worklog/edoc/parked"), headers=w["admin"].headers).json == []
    # A malformed event is a clear 422.
    r = post_event(client, w, secret, {"event_id": "evt-005"})
    assert r.status_code == 422 and "document_number" in json.dumps(r.json)
