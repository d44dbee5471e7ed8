"""Flags shown to a reviewer next to an entry, each with its reason — never acted on silently.

For the officials on a page of the queue, four set-based queries (grouped by official):
- a day's claimed standard time far above the working day (1.5 times by default);
- an item logged far more often than peers in the same position log it (3 times their median, last 30 days);
- a sudden shift to high-value items (the last 7 days' share of time on the tenant's top-quartile
  items more than twice the share of the 30 days before);
- many entries without evidence (over half of at least 10 entries in the last 30 days).
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, select

from kpi_platform.catalog.models import CatalogItemVersion, VersionState
from kpi_platform.db import db
from kpi_platform.org.models import Assignment
from kpi_platform.periods import active_on
from kpi_platform.worklog.models import REPORTED, EntryState, WorkEntry

DAY_FACTOR = Decimal("1.5")
PEER_FACTOR = 3
WINDOW = 30


def _flag(code: str, vi: str, en: str) -> dict:
    return {"code": code, "reason_vi": vi, "reason_en": en}


def _minutes():
    return CatalogItemVersion.norm_minutes * WorkEntry.quantity


def _join_version(stmt):
    return stmt.select_from(WorkEntry).join(
        CatalogItemVersion,
        and_(CatalogItemVersion.tenant_id == WorkEntry.tenant_id, CatalogItemVersion.id == WorkEntry.item_version_id),
    )


def flags_for(entries: list[WorkEntry], today: date, *, day_minutes: int = 480) -> dict[uuid.UUID, list[dict]]:
    if not entries:
        return {}
    officials = {e.official_id for e in entries}
    since = today - timedelta(days=WINDOW)
    flags: dict[uuid.UUID, list[dict]] = defaultdict(list)

    # 1. days far above standard
    days = {(e.official_id, e.work_date) for e in entries}
    totals = {
        (official, day): Decimal(str(total))
        for official, day, total in db.session.execute(
            _join_version(select(WorkEntry.official_id, WorkEntry.work_date, func.sum(_minutes())))
            .where(
                WorkEntry.official_id.in_(officials),
                WorkEntry.work_date.in_({d for _, d in days}),
                WorkEntry.state.in_((*REPORTED, EntryState.draft)),
            )
            .group_by(WorkEntry.official_id, WorkEntry.work_date)
        )
    }
    limit = DAY_FACTOR * day_minutes
    for entry in entries:
        total = totals.get((entry.official_id, entry.work_date), Decimal(0))
        if total > limit:
            flags[entry.id].append(
                _flag(
                    "day_far_above_standard",
                    f"Ngày {entry.work_date:%d/%m} khai {total / 60:.1f} giờ chuẩn, quá {limit / 60:.0f} giờ.",
                    f"{entry.work_date:%d/%m} claims {total / 60:.1f} standard hours, above {limit / 60:.0f}.",
                )
            )

    # 2. an item far more often than peers in the same position
    positions = dict(
        db.session.execute(
            select(Assignment.official_id, Assignment.position_id).where(
                Assignment.official_id.in_(officials), Assignment.is_primary, active_on(Assignment, today)
            )
        ).all()
    )
    items = {e.item_id for e in entries}
    peers = (
        select(Assignment.official_id, Assignment.position_id)
        .where(Assignment.position_id.in_(set(positions.values())), Assignment.is_primary, active_on(Assignment, today))
        .subquery()
    )
    counts: dict[tuple, dict] = defaultdict(dict)  # (position, item) -> official -> count
    for official, position, item, n in db.session.execute(
        select(WorkEntry.official_id, peers.c.position_id, WorkEntry.item_id, func.count())
        .join(peers, peers.c.official_id == WorkEntry.official_id)
        .where(WorkEntry.item_id.in_(items), WorkEntry.work_date >= since, WorkEntry.state.in_(REPORTED))
        .group_by(WorkEntry.official_id, peers.c.position_id, WorkEntry.item_id)
    ):
        counts[(position, item)][official] = n
    for entry in entries:
        by_official = counts.get((positions.get(entry.official_id), entry.item_id), {})
        mine = by_official.get(entry.official_id, 0)
        others = [n for official, n in by_official.items() if official != entry.official_id]
        usual = statistics.median(others) if len(others) >= 2 else None
        if usual is not None and mine > PEER_FACTOR * usual:
            flags[entry.id].append(
                _flag(
                    "item_more_often_than_peers",
                    f"Ghi mục này {mine} lần trong {WINDOW} ngày; người cùng vị trí thường {usual:g} lần.",
                    f"Logged {mine} times in {WINDOW} days; peers in the same position: {usual:g}.",
                )
            )

    # 3. a sudden shift to high-value items
    norms = sorted(
        Decimal(str(n))
        for n in db.session.scalars(
            select(CatalogItemVersion.norm_minutes * CatalogItemVersion.complexity_coefficient).where(
                CatalogItemVersion.state == VersionState.approved, active_on(CatalogItemVersion, today)
            )
        )
    )
    if norms:
        top = norms[int(len(norms) * 0.75)]
        weight = CatalogItemVersion.norm_minutes * CatalogItemVersion.complexity_coefficient
        recent_start = today - timedelta(days=7)
        shares: dict[uuid.UUID, dict[str, list[Decimal]]] = defaultdict(lambda: {"recent": [0, 0], "before": [0, 0]})
        # Summed by day in SQL, then split into the two windows here (at most 30 rows per official).
        for official, day, high, total in db.session.execute(
            _join_version(
                select(
                    WorkEntry.official_id,
                    WorkEntry.work_date,
                    func.sum(_minutes()).filter(weight >= top),
                    func.sum(_minutes()),
                )
            )
            .where(WorkEntry.official_id.in_(officials), WorkEntry.work_date >= since, WorkEntry.state.in_(REPORTED))
            .group_by(WorkEntry.official_id, WorkEntry.work_date)
        ):
            window = shares[official]["recent" if day >= recent_start else "before"]
            window[0] += Decimal(str(high or 0))
            window[1] += Decimal(str(total or 0))
        for entry in entries:
            share = shares.get(entry.official_id)
            if not share:
                continue
            (high_now, total_now), (high_before, total_before) = share["recent"], share["before"]
            now = high_now / total_now if total_now else Decimal(0)
            before = high_before / total_before if total_before else Decimal(0)
            if total_before and now > Decimal("0.5") and now > 2 * before:
                flags[entry.id].append(
                    _flag(
                        "shift_to_high_value_items",
                        f"7 ngày qua {now:.0%} thời gian khai là các mục giá trị cao (trước đó {before:.0%}).",
                        f"In the last 7 days {now:.0%} of the claimed time is on high-value items "
                        f"(before: {before:.0%}).",
                    )
                )

    # 4. many entries without evidence
    for official, total, without in db.session.execute(
        select(
            WorkEntry.official_id,
            func.count(),
            func.count().filter(WorkEntry.evidence_ref.is_(None), WorkEntry.evidence_url.is_(None)),
        )
        .where(WorkEntry.official_id.in_(officials), WorkEntry.work_date >= since, WorkEntry.state.in_(REPORTED))
        .group_by(WorkEntry.official_id)
    ):
        if total >= 10 and without * 2 > total:
            for entry in entries:
                if entry.official_id == official and not (entry.evidence_ref or entry.evidence_url):
                    flags[entry.id].append(
                        _flag(
                            "many_without_evidence",
                            f"{without}/{total} công việc trong {WINDOW} ngày không có văn bản chứng minh.",
                            f"{without} of {total} entries in {WINDOW} days have no evidence.",
                        )
                    )
    return dict(flags)
