"""Benchmark: a division logging its days and its head reviewing them, in a province-sized tenant.

A standalone script, not a test:

    .venv/bin/python benchmarks/worklog.py [--officials 3000] [--days 5] [--events 200] \
        [--month-entries 20000] [--backlog-runs 3]

It creates a fresh PostgreSQL database and the app with common.fresh_app() (the app connects as
the non-owner app role, so row-level security applies) and two tenants, A and B, each built as in
catalog.py (`_build_tenant`: 341 units, N officials, 5000 approved items, 1000 job descriptions,
set-based). In A, through the org service: a new division of Sở Nội vụ with its head and 10
officials, two in each of the positions S04-VT05…VT09 (a tenant-wide and an agency description
each: 30 allowed items), and accounts with tokens linked to them. Set-based (not timed): six weeks
of reviewed history for the team and their same-position peers in Sở Nội vụ, 5 entries a day (one
member logs one item far more often than peers, another seldom gives evidence, so the anomaly flags
have something to find); and, two months back, about 20 000 approved entries in A and as many in B.

Then requests with Flask's test client (in process: no network, no gunicorn), checked as it goes:

1. each day of the last `--days` working days, every member logs 6 drafts through
   `POST /worklog/entries` (evidence ref, Idempotency-Key header), retries the last one with the
   same key (2), reads `GET /worklog/day` and submits the day (`POST /worklog/entries/submit`) (3);
   then the head reviews the team's day (4): `GET /worklog/review-queue?page_size=100` and one
   `POST /worklog/review` approving 58 with a quality and returning 2 with a reason;
5. the two weeks before those days, unreviewed (500 entries): the queue with page_size=500 and
   flagged=true, and one `POST /worklog/review` with 500 decisions (the backlog set back to
   submitted between runs);
6. the e-document webhook: `PUT /worklog/edoc/integration`, then signed events, each a new entry,
   then replays of events already received;
7. `POST /worklog/periods/<y>-<m>/close` for the month two months back. The close starts the
   scoring runs of the month (and of its quarter or year when it ends one) in Celery; Celery is
   eager here, so they run inside the request and are timed apart (task_prerun/task_postrun).

The database is dropped at the end, also on error.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from catalog import _build_tenant, _check, _post, _principal_with_token, _stats
from celery.signals import task_postrun, task_prerun
from common import StatementCounter, _machine, _timed_once, fresh_app
from org_tree_and_officials import STAFF_FROM, _full_name
from sqlalchemy import func, insert, select, update

from kpi_platform.catalog import job_descriptions
from kpi_platform.catalog.models import Group
from kpi_platform.context import tenant_scope
from kpi_platform.db import db, utcnow
from kpi_platform.org import service as org
from kpi_platform.scoring.models import PeriodRun
from kpi_platform.tenancy import service as tenancy
from kpi_platform.worklog import calendar, edoc
from kpi_platform.worklog.models import EdocEvent, EntrySource, EntryState, EventStatus, WorkEntry

AGENCY = "S04"  # Sở Nội vụ
TEAM_POSITIONS = [f"{AGENCY}-VT{k:02d}" for k in range(5, 10)]  # Chuyên viên cao cấp … Kế toán: two descriptions
TEAM_SIZE = 10
PER_DAY = 6  # entries a member logs on a day through the API
HISTORY_PER_DAY = 5  # entries a day in the set-based history (and so in the backlog)
DAY_BUDGET = 480  # standard minutes a member plans to claim in a day (the cap is 600)
TYPICAL_NORM = 120  # items with a larger norm are not part of an ordinary day
HISTORY_FROM = 45  # calendar days of history before today
BACKLOG_DAYS = 10  # working days before the logged days, left unreviewed for (5)
RETURNS = 2  # entries of a day the head returns
BACKLOG_RETURNS = 5
REPLAYS = 50
DOC_TYPES = [
    "cong_van_di", "to_trinh", "bao_cao", "quyet_dinh", "ke_hoach",
    "thong_bao", "bien_ban", "giay_moi", "phieu_trinh", "cong_van_den",
]  # fmt: skip
MONTH_OTHERS = ((EntryState.submitted, 500), (EntryState.returned, 300), (EntryState.draft, 200))


# ---------------------------------------------------------------- figures


class Series:
    """Timings of one kind of request: (ms, statements, ms in SQL) per request."""

    def __init__(self) -> None:
        self.rows: list[tuple[float, int, float]] = []

    def add(self, ms: float, statements: int, sql_ms: float) -> None:
        self.rows.append((ms, statements, sql_ms))

    def figures(self) -> dict:
        median, p95 = _stats([ms for ms, _, _ in self.rows])
        n = len(self.rows)
        return {
            "n": n,
            "median": median,
            "p95": p95,
            "sql": sum(s for _, s, _ in self.rows) / n,
            "sql_ms": sum(ms for _, _, ms in self.rows) / n,
        }


def _get(client, url: str, headers: dict, counter: StatementCounter, series: Series):
    before_ms = counter.ms
    elapsed, statements, response = _timed_once(client, url, headers, counter)
    series.add(elapsed, statements, counter.ms - before_ms)
    return response


def _post_timed(client, url: str, headers: dict, counter: StatementCounter, series: Series, body, expect=200):
    elapsed, statements, sql_ms, out = _post(client, url, headers, counter=counter, body=body, expect=expect)
    series.add(elapsed, statements, sql_ms)
    return out


def _total(response) -> int:
    return json.loads(response.headers["X-Pagination"])["total"]


# ---------------------------------------------------------------- set-based rows


def _entry_row(tid, official_id, day: date, item_id, version: dict, quantity: int, state, rng, **extra) -> dict:
    norm = Decimal(version["norm_minutes"])
    submitted = None if state == EntryState.draft else datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    reviewed = state in (EntryState.approved, EntryState.returned, EntryState.locked)
    now = utcnow()
    return {
        "tenant_id": tid,
        "id": uuid.uuid4(),
        "official_id": official_id,
        "work_date": day,
        "item_id": item_id,
        "item_version_id": version["id"],
        "quantity": Decimal(quantity),
        "actual_minutes": Decimal(str(round(float(norm) * quantity * rng.uniform(0.7, 1.3), 2))),
        "state": state,
        "note": None,
        "evidence_ref": extra.get("evidence_ref"),
        "evidence_url": None,
        "attachment_ref": None,
        "deadline": None,
        "completed_on": None,
        "quality": ("good" if rng.random() < 0.85 else "excellent") if state == EntryState.approved else None,
        "submitted_at": submitted,
        "reviewed_by": extra.get("reviewer") if reviewed else None,
        "reviewed_at": submitted + timedelta(days=1) if reviewed else None,
        "return_reason": "Thiếu văn bản kèm theo" if state == EntryState.returned else None,
        "auto_approved": False,
        "source": EntrySource.manual,
        "source_event_id": None,
        "idempotency_key": None,
        "created_by": None,
        "created_at": now,
        "updated_at": now,
    }


def _plan_day(rng: random.Random, loggable: list, norm: dict, count: int, must=None) -> list[tuple]:
    """`count` entries (item, quantity) of at most DAY_BUDGET standard minutes in all; `must` first."""
    pool = list(loggable)
    rng.shuffle(pool)
    if must is not None:
        pool.remove(must)
        pool.insert(0, must)
    chosen, left = [], DAY_BUDGET
    for k in range(count):
        share = left // (count - k)
        used = {item for item, _ in chosen}
        item = next((i for i in pool if norm[i] <= share and i not in used), None)
        if item is None:
            item = min((i for i in pool if i not in used), key=norm.get)
        quantity = rng.randint(1, max(1, min(3, share // norm[item])))
        chosen.append((item, quantity))
        left -= norm[item] * quantity
    return chosen


def _insert(tid, rows: list[dict]) -> float:
    started = time.perf_counter()
    with tenant_scope(tid):
        for start in range(0, len(rows), 10_000):
            db.session.execute(insert(WorkEntry), rows[start : start + 10_000])
        db.session.commit()
    db.session.remove()
    return time.perf_counter() - started


def _month_rows(built: dict, days: list[date], n: int, others, seed: int) -> list[dict]:
    """N approved entries over the month's working days by the tenant's officials (items they may
    log), and `others` (state, count) that a month close must leave alone."""
    rng = random.Random(seed)
    loggers = [(oid, sorted(built["allowed"](oid))) for oid in built["official_ids"]]
    loggers = [(oid, items) for oid, items in loggers if items]
    states = [EntryState.approved] * n + [state for state, count in others for _ in range(count)]
    rows = []
    for state in states:
        official_id, allowed = rng.choice(loggers)
        item_id = rng.choice(allowed)
        version = built["in_force"][item_id]
        rows.append(
            _entry_row(
                built["tenant"].id,
                official_id,
                rng.choice(days),
                item_id,
                version,
                rng.randint(1, 3),
                state,
                rng,
                evidence_ref=f"{rng.randrange(1, 9999)}/VB-{rng.randrange(10**6)}" if rng.random() < 0.7 else None,
            )
        )
    return rows


# ---------------------------------------------------------------- the division


def _build_team(a: dict, rng: random.Random) -> dict:
    """A new division of Sở Nội vụ, its head and TEAM_SIZE members (two in each team position),
    through the org service; accounts with tokens; a provincial admin with a token."""
    tenant = a["tenant"]
    with tenant_scope(tenant.id):
        division = org.create_unit(
            code=f"{AGENCY}-CCHC",
            name_vi="Phòng Cải cách hành chính - Sở Nội vụ",
            kind="division",
            parent_id=a["unit_ids"][AGENCY],
            valid_from=STAFF_FROM,
        )
        assignment = {"unit_id": division.id, "valid_from": STAFF_FROM}
        head = org.create_official(
            staff_code="KH-CCHC-TP",
            full_name="Phạm Thị Khánh Linh",
            employment_kind="cong_chuc",
            assignment={**assignment, "position_id": a["position_ids"][f"{AGENCY}-VT03"]},  # Trưởng phòng
        )
        org.set_unit_head(division.id, head.id, effective_date=assignment["valid_from"])
        members = []
        for k in range(TEAM_SIZE):
            position = TEAM_POSITIONS[k % len(TEAM_POSITIONS)]
            official = org.create_official(
                staff_code=f"KH-CCHC-{k + 1:02d}",
                full_name=_full_name(rng),
                employment_kind="cong_chuc",
                assignment={**assignment, "position_id": a["position_ids"][position]},
            )
            members.append({"id": official.id, "staff_code": official.staff_code, "position": position})
        db.session.commit()
        head_id = head.id
    db.session.remove()
    for k, member in enumerate(members):
        member["headers"] = _principal_with_token(
            tenant, f"cchc{k + 1:02d}@khanhhoa.gov.vn", f"Chuyên viên CCHC {k + 1}", ["official"], member["id"]
        )
        member["allowed"] = a["tw_items"][member["position"]] | a["agency_items"][(member["position"], AGENCY)]
    head_headers = _principal_with_token(
        tenant, "truongphong.cchc@khanhhoa.gov.vn", "Trưởng phòng CCHC", ["unit_head", "official"], head_id
    )
    admin_headers = _principal_with_token(tenant, "quantri@khanhhoa.gov.vn", "Quản trị", ["provincial_admin"])
    with tenant_scope(tenant.id):
        head_principal = db.session.scalar(select(org.Official.principal_id).where(org.Official.id == head_id))
    db.session.remove()
    return {
        "division": division.id,
        "head": head_id,
        "head_principal": head_principal,
        "head_headers": head_headers,
        "admin_headers": admin_headers,
        "members": members,
    }


# ---------------------------------------------------------------- the run


def run(n: int, log_days: int, events: int, month_entries: int, backlog_runs: int) -> None:
    total_started = time.perf_counter()
    logging.getLogger("celery.app.trace").setLevel(logging.WARNING)  # no line per eager task
    with fresh_app() as bench:
        suffix = uuid.uuid4().hex[:6]
        tenant_a = tenancy.create_tenant(
            slug=f"bench-a-{suffix}", name_vi="Tỉnh Khánh Hòa", name_en="Khanh Hoa", status="active"
        )
        tenant_b = tenancy.create_tenant(
            slug=f"bench-b-{suffix}", name_vi="Tỉnh Lâm Đồng", name_en="Lam Dong", status="active"
        )
        setup_started = time.perf_counter()
        a = _build_tenant(tenant_a, "Khánh Hòa", "KH", n, seed=1)
        b = _build_tenant(tenant_b, "Lâm Đồng", "LD", n, seed=2)
        built_s = time.perf_counter() - setup_started
        rng = random.Random(5)
        team = _build_team(a, rng)
        members = team["members"]
        team_ids = [m["id"] for m in members]
        tid = tenant_a.id
        today = tenancy.local_today(tenant_a)
        first_of_month = today.replace(day=1)
        closing = ((first_of_month - timedelta(days=1)).replace(day=1) - timedelta(days=1)).replace(day=1)
        closing_end = (closing + timedelta(days=32)).replace(day=1)
        with tenant_scope(tid):
            work_days = calendar.working_days(today - timedelta(days=HISTORY_FROM), today)
            month_days = calendar.working_days(closing, closing_end - timedelta(days=1))
            # The service agrees with the descriptions: each member's allowed items on today.
            for member in members:
                rows = db.session.execute(job_descriptions.allowed_items(member["id"], today)).all()
                _check({item.id for item, _ in rows} == member["allowed"], f"allowed items of {member['staff_code']}")
            db.session.rollback()
        db.session.remove()
        with tenant_scope(tenant_b.id):
            month_days_b = calendar.working_days(closing, closing_end - timedelta(days=1))
        db.session.remove()
        api_days = work_days[-log_days:]
        backlog_days = work_days[-log_days - BACKLOG_DAYS : -log_days]
        history_days = work_days[: -log_days - BACKLOG_DAYS]
        _check(len(api_days) == log_days and len(backlog_days) == BACKLOG_DAYS, "not enough working days")

        # What each member logs: items of groups B, C, D with an ordinary norm.
        group_of = {i["id"]: i["item_group"] for i in a["items"]}
        norm = {item_id: int(Decimal(v["norm_minutes"])) for item_id, v in a["in_force"].items()}
        for member in members:
            member["loggable"] = sorted(
                i for i in member["allowed"] if group_of[i] != Group.A and norm[i] <= TYPICAL_NORM
            )
        # Set-based history: the team and their peers (same position, primary post in Sở Nội vụ),
        # reviewed; the backlog days are part of it and set back to submitted for (5).
        peers = [
            oid
            for oid in a["official_ids"]
            if a["posts"][oid][0][1] in TEAM_POSITIONS and a["posts"][oid][0][0].startswith(AGENCY + "-")
        ]
        # One member logs one item far more often than their peers (in the position with the most
        # peers, so the flag has a median to compare with); another seldom gives evidence.
        peer_count = {p: sum(a["posts"][oid][0][1] == p for oid in peers) for p in TEAM_POSITIONS}
        often = max(members, key=lambda m: peer_count[m["position"]])
        often["item"] = min((i for i in often["loggable"] if group_of[i] == Group.B), key=lambda i: (norm[i], str(i)))
        seldom = next(m for m in members if m is not often)
        history = []
        loggers = [(m["id"], m["loggable"], m) for m in members]
        loggers += [
            (oid, sorted(i for i in a["allowed"](oid) if group_of[i] != Group.A and norm[i] <= TYPICAL_NORM), None)
            for oid in peers
        ]
        for official_id, loggable, member in loggers:
            for day in history_days + backlog_days:
                plan = _plan_day(rng, loggable, norm, HISTORY_PER_DAY, must=often["item"] if member is often else None)
                if member is often:
                    plan[-1] = (often["item"], 1)  # twice a day
                for item_id, quantity in plan:
                    no_evidence = group_of[item_id] == Group.D or (member is seldom and rng.random() < 0.8)
                    history.append(
                        _entry_row(
                            tid,
                            official_id,
                            day,
                            item_id,
                            a["in_force"][item_id],
                            quantity,
                            EntryState.approved,
                            rng,
                            reviewer=team["head_principal"],
                            evidence_ref=None if no_evidence else f"{rng.randrange(1, 9999)}/SNV-{len(history)}",
                        )
                    )
        month_a = _month_rows(a, month_days, month_entries, MONTH_OTHERS, seed=6)
        month_b = _month_rows(b, month_days_b, month_entries, (), seed=7)
        entries_s = _insert(tid, history + month_a) + _insert(tenant_b.id, month_b)
        bench.analyze()
        setup_s = time.perf_counter() - setup_started
        expected_locked = sum(
            r["state"] == EntryState.approved and closing <= r["work_date"] < closing_end for r in history + month_a
        )

        counter = StatementCounter(db.engine)
        client = bench.app.test_client()
        base = f"/api/v1/t/{tenant_a.slug}"
        head_headers = team["head_headers"]
        s = {
            key: Series()
            for key in ("create", "retry", "day", "submit", "queue", "review", "review_day", "queue500", "flagged")
        }
        for key in ("review500", "edoc", "replay"):
            s[key] = Series()
        create_wall = 0.0
        flag_codes: dict[str, int] = {}
        flagged_entries = 0
        evidence_seq = 0

        # (1)-(4) Day after day: the members log and submit their day, then the head reviews it.
        for day in api_days:
            planned = {}
            started = time.perf_counter()
            for member in members:
                plan = _plan_day(
                    rng, member["loggable"], norm, PER_DAY, must=often["item"] if member is often else None
                )
                total = sum(norm[i] * q for i, q in plan)
                _check(total <= 600, f"planned {total} standard minutes")
                created = []
                for item_id, quantity in plan:
                    evidence_seq += 1
                    no_evidence = group_of[item_id] == Group.D
                    body = {
                        "work_date": day.isoformat(),
                        "item_id": str(item_id),
                        "quantity": quantity,
                        "actual_minutes": round(norm[item_id] * quantity * rng.uniform(0.7, 1.3)),
                        "evidence_ref": None if no_evidence else f"{evidence_seq}/SNV-CCHC",
                    }
                    headers = {**member["headers"], "Idempotency-Key": str(uuid.uuid4())}
                    out = _post_timed(client, f"{base}/worklog/entries", headers, counter, s["create"], body, 201)
                    _check(out["state"] == "draft" and out["item_id"] == str(item_id), "entry created")
                    created.append((out["id"], headers, body))
                planned[member["id"]] = (created, total)
            create_wall += time.perf_counter() - started
            # (2) the phone did not get the answer to the last one and sends it again.
            for member in members:
                entry_id, headers, body = planned[member["id"]][0][-1]
                out = _post_timed(client, f"{base}/worklog/entries", headers, counter, s["retry"], body, 201)
                _check(out["id"] == entry_id, "a retry with the same Idempotency-Key gave another entry")
            # (3) the day, then submit it.
            for member in members:
                created, total = planned[member["id"]]
                response = _get(client, f"{base}/worklog/day?date={day}", member["headers"], counter, s["day"])
                summary = response.get_json()
                _check(len(summary["entries"]) == PER_DAY, f"{len(summary['entries'])} entries in the day")
                _check(summary["claimed_minutes"] == total, f"claimed {summary['claimed_minutes']}, expected {total}")
                ids = [entry_id for entry_id, _, _ in created]
                out = _post_timed(
                    client, f"{base}/worklog/entries/submit", member["headers"], counter, s["submit"], {"ids": ids}
                )
                _check(sorted(e["id"] for e in out) == sorted(ids), "submitted entries")
                _check(all(e["state"] == "submitted" for e in out), "submitted state")
            # (4) the head's review of the team's day.
            response = _get(client, f"{base}/worklog/review-queue?page_size=100", head_headers, counter, s["queue"])
            queue = response.get_json()
            _check(_total(response) == TEAM_SIZE * PER_DAY and len(queue) == TEAM_SIZE * PER_DAY, "queue size")
            _check({e["work_date"] for e in queue} == {day.isoformat()}, "queue days")
            for entry in queue:
                flagged_entries += bool(entry["flags"])
                for flag in entry["flags"]:
                    flag_codes[flag["code"]] = flag_codes.get(flag["code"], 0) + 1
            flagged_first = [e["id"] for e in queue if e["flags"]] + [e["id"] for e in queue]
            returned = set(list(dict.fromkeys(flagged_first))[:RETURNS])  # the head returns flagged ones first
            decisions = [
                {"id": e["id"], "decision": "approve", "quality": "excellent" if rng.random() < 0.15 else "good"}
                for e in queue
                if e["id"] not in returned
            ]
            decisions += [
                {"id": i, "decision": "return", "reason": "Số lượng chưa khớp sổ văn bản, đề nghị kiểm tra lại"}
                for i in returned
            ]
            out = _post_timed(
                client, f"{base}/worklog/review", head_headers, counter, s["review"], {"decisions": decisions}
            )
            _check(out == {"approved": len(queue) - RETURNS, "returned": RETURNS}, f"review result {out}")
            q, r = s["queue"].rows[-1], s["review"].rows[-1]
            s["review_day"].add(q[0] + r[0], q[1] + r[1], q[2] + r[2])

        with tenant_scope(tid):
            states = dict(
                db.session.execute(
                    select(WorkEntry.state, func.count())
                    .where(WorkEntry.official_id.in_(team_ids), WorkEntry.work_date.in_(api_days))
                    .group_by(WorkEntry.state)
                ).all()
            )
            keyed = db.session.scalar(
                select(func.count()).where(WorkEntry.idempotency_key.is_not(None)).select_from(WorkEntry)
            )
        db.session.remove()
        logged = TEAM_SIZE * PER_DAY * len(api_days)
        _check(
            {"item_more_often_than_peers", "many_without_evidence"} <= set(flag_codes),
            f"the anomalies put in the history were not flagged: {flag_codes}",
        )
        _check(
            states
            == {EntryState.approved: logged - RETURNS * len(api_days), EntryState.returned: RETURNS * len(api_days)},
            f"states after the daily reviews: {states}",
        )
        _check(keyed == logged, f"{keyed} entries with an Idempotency-Key, expected {logged} (retries logged twice?)")

        # (5) The two weeks before, left unreviewed: 500 entries.
        def reset_backlog() -> int:
            with tenant_scope(tid):
                result = db.session.execute(
                    update(WorkEntry)
                    .where(WorkEntry.official_id.in_(team_ids), WorkEntry.work_date.in_(backlog_days))
                    .values(
                        state=EntryState.submitted, quality=None, reviewed_by=None, reviewed_at=None, return_reason=None
                    )
                )
                db.session.commit()
            db.session.remove()
            return result.rowcount

        backlog = reset_backlog()
        _check(backlog == TEAM_SIZE * HISTORY_PER_DAY * BACKLOG_DAYS, f"backlog of {backlog}")
        url = f"{base}/worklog/review-queue?page_size={backlog}"
        for _ in range(5):
            response = _get(client, url, head_headers, counter, s["queue500"])
        big_queue = response.get_json()
        _check(_total(response) == backlog and len(big_queue) == backlog, f"queue of {len(big_queue)}")
        backlog_flagged = sum(bool(e["flags"]) for e in big_queue)
        backlog_escalated = sum(e["escalated"] for e in big_queue)
        for _ in range(3):
            response = _get(
                client, f"{base}/worklog/review-queue?flagged=true&page_size=100", head_headers, counter, s["flagged"]
            )
        _check(_total(response) == backlog_flagged, f"flagged total {_total(response)}, expected {backlog_flagged}")
        for run_number in range(backlog_runs):
            if run_number:
                _check(reset_backlog() == backlog, "backlog reset")
            decisions = [
                {"id": e["id"], "decision": "approve", "quality": "excellent" if k % 7 == 0 else "good"}
                for k, e in enumerate(big_queue[BACKLOG_RETURNS:])
            ]
            decisions += [
                {"id": e["id"], "decision": "return", "reason": "Thiếu văn bản kèm theo"}
                for e in big_queue[:BACKLOG_RETURNS]
            ]
            out = _post_timed(
                client, f"{base}/worklog/review", head_headers, counter, s["review500"], {"decisions": decisions}
            )
            _check(out == {"approved": backlog - BACKLOG_RETURNS, "returned": BACKLOG_RETURNS}, f"bulk review {out}")
            with tenant_scope(tid):
                states = dict(
                    db.session.execute(
                        select(WorkEntry.state, func.count())
                        .where(WorkEntry.official_id.in_(team_ids), WorkEntry.work_date.in_(backlog_days))
                        .group_by(WorkEntry.state)
                    ).all()
                )
            db.session.remove()
            _check(
                states == {EntryState.approved: backlog - BACKLOG_RETURNS, EntryState.returned: BACKLOG_RETURNS},
                f"states after the bulk review: {states}",
            )

        # (6) The e-document system: each document type is an item of one team position.
        item_map, types_of = {}, {}
        code_of = {i["id"]: i["code"] for i in a["items"]}
        for k, position in enumerate(TEAM_POSITIONS):
            candidates = sorted(
                (i for i in a["tw_items"][position] if group_of[i] == Group.B and norm[i] <= 60),
                key=lambda i: code_of[i],
            )
            types_of[position] = DOC_TYPES[2 * k : 2 * k + 2]
            for doc_type, item_id in zip(types_of[position], candidates, strict=False):
                item_map[doc_type] = code_of[item_id]
        started = time.perf_counter()
        before = counter.count
        response = client.put(
            f"{base}/worklog/edoc/integration", headers=team["admin_headers"], json={"item_map": item_map}
        )
        put_ms, put_sql = (time.perf_counter() - started) * 1000, counter.count - before
        _check(
            response.status_code == 200 and response.get_json()["secret"], f"edoc integration {response.status_code}"
        )
        secret = response.get_json()["secret"]

        def send(payload: dict, series: Series):
            body = json.dumps(payload).encode()
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                "X-KPI-Timestamp": timestamp,
                "X-KPI-Signature": edoc.sign(secret, timestamp, body),
            }
            before, before_ms = counter.count, counter.ms
            started = time.perf_counter()
            response = client.post(f"{base}/worklog/edoc/events", data=body, headers=headers)
            series.add((time.perf_counter() - started) * 1000, counter.count - before, counter.ms - before_ms)
            _check(
                response.status_code == 200, f"webhook {response.status_code}: {response.get_data(as_text=True)[:300]}"
            )
            return response.get_json()

        sent = []
        started = time.perf_counter()
        for k in range(events):
            member = members[k % TEAM_SIZE]
            day = api_days[(k // TEAM_SIZE) % len(api_days)]
            payload = {
                "event_id": f"qlvb-{suffix}-{k + 1:06d}",
                "type": "document.processed",
                "document_number": f"{k + 1}/SNV-CCHC-VB",
                "document_type": types_of[member["position"]][k % 2],
                "processed_at": f"{day.isoformat()}T{8 + k % 9:02d}:{k % 60:02d}:00+07:00",
                "staff_code": member["staff_code"],
                "url": f"https://qlvb.khanhhoa.gov.vn/van-ban/{k + 1}",
            }
            out = send(payload, s["edoc"])
            _check(out["status"] == "entry_created", f"event {payload['event_id']}: {out['status']} {out['problem']}")
            sent.append((payload, out["entry_id"]))
        edoc_wall = time.perf_counter() - started
        for payload, entry_id in sent[:REPLAYS]:
            out = send(payload, s["replay"])
            _check(out["entry_id"] == entry_id and out["status"] == "entry_created", "a replay created something new")
        with tenant_scope(tid):
            from_edoc = db.session.scalar(
                select(func.count()).select_from(WorkEntry).where(WorkEntry.source == EntrySource.edoc)
            )
            stored = dict(db.session.execute(select(EdocEvent.status, func.count()).group_by(EdocEvent.status)).all())
        db.session.remove()
        _check(from_edoc == events, f"{from_edoc} entries from the e-document system, expected {events}")
        _check(stored == {EventStatus.entry_created: events}, f"stored events {stored}")

        # (7) Closing the month two months back.
        with tenant_scope(tid):
            before_close = dict(
                db.session.execute(
                    select(WorkEntry.state, func.count())
                    .where(WorkEntry.work_date >= closing, WorkEntry.work_date < closing_end)
                    .group_by(WorkEntry.state)
                ).all()
            )
        db.session.remove()
        _check(before_close.get(EntryState.approved) == expected_locked, f"approved in the month: {before_close}")
        # The close starts scoring runs (Celery); eager here, so they run inside the request: timed apart.
        tasks: list[tuple[str, float, int, float, object]] = []
        task_started: dict[str, tuple[float, int, float]] = {}

        def task_begins(task_id=None, **kwargs):
            task_started[task_id] = (time.perf_counter(), counter.count, counter.ms)

        def task_ends(task_id=None, task=None, args=(), retval=None, **kwargs):
            started, count, ms = task_started.pop(task_id)
            elapsed = (time.perf_counter() - started) * 1000
            tasks.append((task.name, elapsed, counter.count - count, counter.ms - ms, (args[1:], retval)))

        task_prerun.connect(task_begins, weak=False)
        task_postrun.connect(task_ends, weak=False)
        out = _post(
            client,
            f"{base}/worklog/periods/{closing.year}-{closing.month}/close",
            team["admin_headers"],
            counter=counter,
            expect=201,
        )
        close_ms, close_sql, close_sql_ms, period = out
        task_prerun.disconnect(task_begins)
        task_postrun.disconnect(task_ends)
        with tenant_scope(tid):
            for k, (name, ms, statements, sql_ms, (args, retval)) in enumerate(tasks):
                run = db.session.get(PeriodRun, (tid, uuid.UUID(args[0]))) if name == "scoring.compute_run" else None
                what = f"{run.kind} {run.start:%m/%Y}, {run.status}, {retval} officials" if run else str(retval)
                tasks[k] = (name, ms, statements, sql_ms, what)
        db.session.remove()
        _check(
            period["locked_entries"] == expected_locked,
            f"locked {period['locked_entries']}, expected {expected_locked}",
        )
        with tenant_scope(tid):
            after_close = dict(
                db.session.execute(
                    select(WorkEntry.state, func.count())
                    .where(WorkEntry.work_date >= closing, WorkEntry.work_date < closing_end)
                    .group_by(WorkEntry.state)
                ).all()
            )
        db.session.remove()
        expected_after = {**before_close, EntryState.locked: expected_locked}
        expected_after.pop(EntryState.approved)
        _check(after_close == expected_after, f"states after the close: {after_close}")
        with tenant_scope(tenant_b.id):
            in_b = dict(db.session.execute(select(WorkEntry.state, func.count()).group_by(WorkEntry.state)).all())
        db.session.remove()
        _check(in_b == {EntryState.approved: month_entries}, f"tenant B after A's close: {in_b}")
        with tenant_scope(tid):
            rows_a = db.session.scalar(select(func.count()).select_from(WorkEntry))
        db.session.remove()

        # ---------------------------------------------------------------- report
        print()
        print(
            f"kpi-platform work log benchmark — 2 tenants, each {len(a['unit_ids'])} units, {n} officials, "
            f"{a['counts']['items']} items (5000 approved), {a['counts']['job descriptions']} job descriptions; "
            f"PostgreSQL {bench.pg_version}"
        )
        print(f"machine: {_machine()}")
        print(
            f"team: the head of a division of Sở Nội vụ and {TEAM_SIZE} officials, "
            f"{statistics.median(len(m['allowed']) for m in members):.0f} allowed items each "
            f"({statistics.median(len(m['loggable']) for m in members):.0f} of groups B/C/D with a norm up to "
            f"{TYPICAL_NORM} min); {len(peers)} same-position peers; local today {today}, logged days "
            f"{api_days[0]}…{api_days[-1]}"
        )
        print(
            f"work entries: A {rows_a} at the end ({len(history)} history over {len(history_days) + BACKLOG_DAYS} "
            f"working days, {len(month_a)} in {closing:%m/%Y}), B {len(month_b)}"
        )
        print(f"setup {setup_s:.1f} s (tenants {built_s:.1f} s, entries {entries_s:.1f} s)")
        print()
        width = 92
        print(f"{'request':<{width}} {'runs':>5} {'median ms':>10} {'p95 ms':>8} {'SQL/req':>8} {'SQL ms':>7}")
        print("-" * (width + 42))

        def line(label: str, m: dict) -> None:
            print(
                f"  {label:<{width - 2}} {m['n']:>5} {m['median']:>10.2f} {m['p95']:>8.2f} {m['sql']:>8.1f} "
                f"{m['sql_ms']:>7.2f}"
            )

        created = len(s["create"].rows)
        print(f"(1) logging: {len(api_days)} days x {TEAM_SIZE} officials x {PER_DAY} entries")
        line("POST /worklog/entries (draft, evidence ref, Idempotency-Key)", s["create"].figures())
        print(f"  {'sequential throughput':<{width - 2}} {created:>5} {created / create_wall:>10.1f} req/s")
        print("(2) retry")
        line("POST /worklog/entries again with the same Idempotency-Key", s["retry"].figures())
        print("(3) the official's day")
        line(f"GET /worklog/day?date=… ({PER_DAY} entries)", s["day"].figures())
        line(f"POST /worklog/entries/submit ({PER_DAY} ids)", s["submit"].figures())
        print(f"(4) the head's review of the team's day ({TEAM_SIZE * PER_DAY} entries), once per logged day")
        line(
            f"GET /worklog/review-queue?page_size=100 ({TEAM_SIZE * PER_DAY} entries with flags)", s["queue"].figures()
        )
        line(
            f"POST /worklog/review ({TEAM_SIZE * PER_DAY - RETURNS} approved with quality, {RETURNS} returned)",
            s["review"].figures(),
        )
        whole = s["review_day"].figures()
        line("the whole review, end to end: 2 requests", whole)
        per_entry = whole["median"] / (TEAM_SIZE * PER_DAY)
        print(f"  {'of which per entry reviewed':<{width - 2}} {'':>5} {per_entry:>10.2f}")
        print(f"(5) a backlog of {backlog} entries ({BACKLOG_DAYS} working days)")
        line(f"GET /worklog/review-queue?page_size={backlog} (flags)", s["queue500"].figures())
        line("GET /worklog/review-queue?flagged=true&page_size=100", s["flagged"].figures())
        line(f"POST /worklog/review, {backlog} decisions ({BACKLOG_RETURNS} returns)", s["review500"].figures())
        print("(6) e-document webhook")
        print(f"  {'PUT /worklog/edoc/integration':<{width - 2}} {1:>5} {put_ms:>10.2f} {'':>8} {put_sql:>8.1f}")
        line("POST /worklog/edoc/events, a new signed event (entry created)", s["edoc"].figures())
        print(f"  {'sequential throughput':<{width - 2}} {events:>5} {events / edoc_wall:>10.1f} events/s")
        line("the same event replayed (new timestamp and signature)", s["replay"].figures())
        print("(7) month close")
        label = (
            f"POST /worklog/periods/{closing.year}-{closing.month}/close ({expected_locked} approved), whole request"
        )
        print(f"  {label:<{width - 2}} {1:>5} {close_ms:>10.2f} {'':>8} {close_sql:>8.1f} {close_sql_ms:>7.2f}")
        for name, ms, statements, sql_ms, retval in tasks:
            label = f"of which {name}: {retval} (Celery, eager here)"
            print(f"  {label:<{width - 2}} {1:>5} {ms:>10.2f} {'':>8} {statements:>8.1f} {sql_ms:>7.2f}")
        if tasks:
            own = (
                close_ms - sum(t[1] for t in tasks),
                close_sql - sum(t[2] for t in tasks),
                close_sql_ms - sum(t[3] for t in tasks),
            )
            label = "the close itself (the request without those tasks)"
            print(f"  {label:<{width - 2}} {1:>5} {own[0]:>10.2f} {'':>8} {own[1]:>8.1f} {own[2]:>7.2f}")
        print()
        codes = ", ".join(f"{code} {k}" for code, k in sorted(flag_codes.items())) or "none"
        print(
            f"flags: {flagged_entries} of {created} entries in the daily queues ({codes}); "
            f"{backlog_flagged} of {backlog} in the backlog, {backlog_escalated} marked escalated"
        )
        print(
            f"checks passed: {created} entries logged once each (retries gave the same id), day totals, "
            f"submitted states, queue sizes and review results, {from_edoc} entries from {events} events "
            f"(replays added none), {expected_locked} entries locked and the month's "
            f"{sum(before_close.values()) - expected_locked} others left alone, tenant B untouched"
        )
        print()
        print(f"total run time {time.perf_counter() - total_started:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officials", type=int, default=3000, help="officials per tenant (default 3000)")
    parser.add_argument("--days", type=int, default=5, help="working days logged through the API (1-5, default 5)")
    parser.add_argument("--events", type=int, default=200, help="e-document events sent (default 200)")
    parser.add_argument("--month-entries", type=int, default=20_000, help="approved entries in the month closed")
    parser.add_argument("--backlog-runs", type=int, default=3, help="times the 500-decision review runs")
    args = parser.parse_args(argv)
    if not 1 <= args.days <= 5:
        parser.error("--days must be 1 to 5 (entries may be logged up to 5 working days back)")
    if args.events < REPLAYS:
        parser.error(f"--events must be at least {REPLAYS}")
    run(args.officials, args.days, args.events, args.month_entries, args.backlog_runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
