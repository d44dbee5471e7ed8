"""Reading the benchmarks: the national overview (one row per province), a province's cells, a time
series per indicator, and a province's own "where we stand" against the others. Every read goes
through the cross-tenant door, which audits it.

Only published cells are ever read, and quarters, years and national figures are combinations of
them, so nothing here can reveal more than the published cells do. Central analysts see provinces
by name; a province sees the others by name only where they opted in.
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, func, select

from kpi_platform.audit import service as audit
from kpi_platform.benchmarking import mapping
from kpi_platform.benchmarking.models import (
    ALL,
    COUNTS,
    DIMENSIONS,
    UNMAPPED,
    Cell,
    Preference,
    Refresh,
    Snapshot,
    TaxonomyVersion,
)
from kpi_platform.context import require_tenant_id
from kpi_platform.db import db, utcnow
from kpi_platform.errors import Invalid, NotFound
from kpi_platform.tenancy.door import cross_tenant_session
from kpi_platform.tenancy.models import Tenant

# indicator -> (Vietnamese, English, kind): share (0 to 1), score, days, hours, count
INDICATORS: dict[str, tuple[str, str, str]] = {
    "headcount": ("Số cán bộ được đánh giá", "Officials scored", "count"),
    "excellent_share": ("Tỷ lệ hoàn thành xuất sắc", "Share rated excellent", "share"),
    "excellent_allowed_share": (
        "Tỷ lệ xuất sắc tối đa theo hạn mức 20%",
        "Excellent share the 20% quota allows",
        "share",
    ),
    "excellent_before_quota_share": (
        "Tỷ lệ xuất sắc trước khi áp hạn mức",
        "Excellent share before the quota",
        "share",
    ),
    "good_share": ("Tỷ lệ hoàn thành tốt", "Share rated good", "share"),
    "complete_share": ("Tỷ lệ hoàn thành", "Share rated complete", "share"),
    "fail_share": ("Tỷ lệ không hoàn thành", "Share rated not complete", "share"),
    "total_mean": ("Tổng điểm bình quân", "Mean total score", "score"),
    "total_median": ("Tổng điểm trung vị", "Median total score", "score"),
    "task_mean": ("Điểm kết quả nhiệm vụ bình quân", "Mean task score", "score"),
    "coverage": ("Tỷ lệ cán bộ ghi nhận ≥ 80% ngày làm việc", "Share logging on ≥ 80% of working days", "share"),
    "latency": ("Thời gian duyệt bình quân (ngày làm việc)", "Mean review time (working days)", "days"),
    "returned_share": ("Tỷ lệ công việc bị trả lại", "Share of entries returned", "share"),
    "hours_per_day": ("Giờ quy đổi bình quân mỗi người mỗi ngày", "Credited hours per official-day", "hours"),
    "above_cap_share": ("Tỷ lệ cán bộ trên 8 giờ/ngày", "Share of officials above 8 h a day", "share"),
    "staffing_gap": (
        "Chênh lệch biên chế so với nhu cầu (+ dư, - thiếu)",
        "Staff above need (+) or short (-)",
        "share",
    ),
    "kpi_mean": ("Điểm KPI tổ chức bình quân", "Mean organisational KPI score", "score"),
}
TIERS = {1: "excellent", 2: "good", 3: "complete", 4: "fail"}
# indicator -> the smallest gap from the provinces' median that is worth a flag, whatever the spread
OUTLIER_FLOORS = {
    "excellent_share": 0.10,
    "hours_per_day": 1.5,
    "coverage": 0.20,
    "latency": 2.0,
    "returned_share": 0.10,
    "above_cap_share": 0.10,
    "total_mean": 8.0,
}
SUMMED = COUNTS
# weighted means: figure -> its weight
WEIGHTED = {
    "total_mean": "rated",
    "total_q1": "rated",
    "total_median": "rated",
    "total_q3": "rated",
    "task_mean": "rated",
    "task_median": "rated",
    "latency_mean": "latency_entries",
    "hours_per_day": "working_days",
    "kpi_mean": "kpi_officials",
}


# What other capabilities use (the onboarding pack's validation and import).
SUBJECTS = mapping.SUBJECTS
Known = mapping.Known
taxonomy_terms = mapping.terms
check_mapping_row = mapping.check_row
apply_mappings = mapping.apply


# ---------------------------------------------------------------- periods and cells


@dataclass(frozen=True)
class Period:
    kind: str  # month, quarter, year
    start: date
    months: tuple[date, ...]

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "label": self.label, "start": self.start, "months": list(self.months)}


def _month(year: int, month: int) -> date:
    return date(year, month, 1)


def period(*, month: str | None = None, quarter: str | None = None, year: str | None = None) -> Period | None:
    """From exactly one of month=YYYY-MM, quarter=YYYY-Qn, year=YYYY; None when none is given."""
    given = [v for v in (month, quarter, year) if v]
    if len(given) > 1:
        raise Invalid(
            "Chỉ chọn một trong tháng, quý hoặc năm.",
            "Give one of month, quarter or year.",
            fields={"period": ["one of month, quarter, year"]},
        )
    try:
        if month:
            y, m = (int(p) for p in month.split("-"))
            first = _month(y, m)
            return Period("month", first, (first,))
        if quarter:
            y, q = quarter.upper().split("-Q")
            y, q = int(y), int(q)
            if not 1 <= q <= 4:
                raise ValueError
            months = tuple(_month(y, 3 * (q - 1) + i) for i in (1, 2, 3))
            return Period("quarter", months[0], months)
        if year:
            y = int(year)
            months = tuple(_month(y, m) for m in range(1, 13))
            return Period("year", months[0], months)
    except ValueError:
        raise Invalid(
            "Kỳ không hợp lệ (tháng YYYY-MM, quý YYYY-Qn, năm YYYY).",
            "Not a valid period (month YYYY-MM, quarter YYYY-Qn, year YYYY).",
            fields={"period": ["invalid"]},
        ) from None
    return None


def cell_of(filters: dict) -> dict[str, str]:
    """The cell a query names: each dimension a term, "unmapped" or "*" (all, the default)."""
    taxonomy = mapping.terms()
    cell = {}
    for dimension in DIMENSIONS:
        value = (filters.get(dimension) or ALL).strip()
        if value not in (ALL, UNMAPPED) and value not in taxonomy.get(dimension, {}):
            raise Invalid(
                f"'{value}' không có trong phân loại quốc gia ({dimension}).",
                f"'{value}' is not a term of the national taxonomy ({dimension}).",
                fields={dimension: ["unknown term"]},
            )
        cell[dimension] = value
    return cell


def _cell_filter(cell: dict[str, str]):
    return and_(*(getattr(Cell, d) == v for d, v in cell.items()))


# ---------------------------------------------------------------- combining published cells


def combine(rows: list, months_in_period: int = 1) -> dict | None:
    """Published cells (several months, or several provinces) as one set of figures."""
    if not rows:
        return None
    figures: dict = {name: sum(int(getattr(r, name)) for r in rows) for name in SUMMED}
    figures["working_days"] = sum(float(r.working_days) for r in rows)
    figures["needed_fte"] = sum(float(r.needed_fte) for r in rows)
    for name, weight in WEIGHTED.items():
        pairs = [(float(getattr(r, name)), float(getattr(r, weight))) for r in rows if getattr(r, name) is not None]
        total_weight = sum(w for _, w in pairs)
        figures[name] = round(sum(v * w for v, w in pairs) / total_weight, 2) if total_weight else None
    months = {r.month for r in rows}
    figures["months"] = len(months)
    figures["months_in_period"] = months_in_period
    figures["headcount_per_month"] = round(figures["headcount"] / len(months), 1)
    return figures


def _share(numerator, denominator):
    return round(numerator / denominator, 4) if denominator else None


def indicators(figures: dict | None, quota_share: float = 0.2) -> dict:
    if not figures:
        return {}
    rated, head = figures["rated"], figures["headcount"]
    return {
        "headcount": figures["headcount_per_month"],
        "excellent_share": _share(figures["tier_1"], rated),
        "excellent_allowed_share": _share(quota_share * figures["tier_2_before_quota"], rated),
        "excellent_before_quota_share": _share(figures["tier_1_before_quota"], rated),
        "good_share": _share(figures["tier_2"], rated),
        "complete_share": _share(figures["tier_3"], rated),
        "fail_share": _share(figures["tier_4"], rated),
        "total_mean": figures["total_mean"],
        "total_median": figures["total_median"],
        "task_mean": figures["task_mean"],
        "coverage": _share(figures["coverage_ok"], figures["coverage_known"]),
        "latency": figures["latency_mean"],
        "returned_share": _share(figures["entries_returned"], figures["entries_reviewed"]),
        "hours_per_day": figures["hours_per_day"],
        "above_cap_share": _share(figures["above_cap"], head),
        "staffing_gap": _share(head - figures["needed_fte"], head),
        "kpi_mean": figures["kpi_mean"],
    }


def distribution(values: list[float]) -> dict | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    if len(values) == 1:
        q1 = median = q3 = values[0]
    else:
        q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return {
        "n": len(values),
        "min": values[0],
        "q1": round(q1, 4),
        "median": round(median, 4),
        "q3": round(q3, 4),
        "max": values[-1],
    }


def outliers(values: dict) -> dict:
    """province key -> [(indicator, value, median)] for values far from the provinces' median
    (beyond 3 robust deviations and the indicator's floor), plus the rules that need no
    comparison: credited hours above 8 a day, "xuất sắc" above what the quota allows."""
    flags: dict = defaultdict(list)
    for indicator, floor in OUTLIER_FLOORS.items():
        series = {k: v[indicator] for k, v in values.items() if v.get(indicator) is not None}
        if len(series) < 3:
            continue
        median = statistics.median(series.values())
        mad = statistics.median(abs(v - median) for v in series.values()) * 1.4826
        for key, value in series.items():
            if abs(value - median) > max(3 * mad, floor):
                flags[key].append({"indicator": indicator, "value": value, "median": round(median, 4), "rule": "far"})
    for key, v in values.items():
        if v.get("hours_per_day") is not None and v["hours_per_day"] > 8:
            flags[key].append({"indicator": "hours_per_day", "value": v["hours_per_day"], "rule": "above_8"})
        allowed = v.get("excellent_allowed_share")
        if v.get("excellent_share") is not None and allowed is not None and v["excellent_share"] > allowed + 1e-9:
            flags[key].append({"indicator": "excellent_share", "value": v["excellent_share"], "rule": "above_quota"})
    return flags


# ---------------------------------------------------------------- reads through the door


@dataclass
class Read:
    """What one read fetched through the door: the cells and snapshots of the months asked."""

    cells: list = field(default_factory=list)
    snapshots: list = field(default_factory=list)
    tenants: dict = field(default_factory=dict)  # id -> Tenant
    named: set = field(default_factory=set)  # tenants that opted in to be named to peers


def _fetch(view: str, p: Period, cell: dict | None, *, by_dimensions=(), tenant_ids=None, details=None) -> Read:
    audit = {"view": view, "period": p.label, **({"cell": cell} if cell else {}), **(details or {})}
    with cross_tenant_session("benchmarking.read", details=audit) as door:
        stmt = select(Cell).where(Cell.month.in_(p.months))
        if cell is not None:
            fixed = {d: v for d, v in cell.items() if d not in by_dimensions}
            stmt = stmt.where(_cell_filter(fixed))
            for dimension in by_dimensions:
                stmt = stmt.where(getattr(Cell, dimension) != ALL)
        snapshots = select(Snapshot).where(Snapshot.month.in_(p.months))
        if tenant_ids is not None:
            stmt = stmt.where(Cell.tenant_id.in_(tenant_ids))
            snapshots = snapshots.where(Snapshot.tenant_id.in_(tenant_ids))
        read = Read(cells=list(door.scalars(stmt)), snapshots=list(door.scalars(snapshots)))
        read.tenants = {t.id: t for t in door.scalars(select(Tenant))}
        read.named = set(door.scalars(select(Preference.tenant_id).where(Preference.named_to_peers)))
        for row in read.cells + read.snapshots:
            door.expunge(row)
    return read


def latest_period() -> Period | None:
    """The latest month that has a snapshot anywhere (read as the app role: months only)."""
    with cross_tenant_session("benchmarking.read", details={"view": "latest_month"}) as door:
        month = door.scalar(select(func.max(Snapshot.month)))
    return Period("month", month, (month,)) if month else None


def _quota(read: Read, tenant_id) -> float:
    shares = [float(s.quota_share) for s in read.snapshots if s.tenant_id == tenant_id]
    return shares[0] if shares else 0.2


def _province(tenant: Tenant) -> dict:
    return {"slug": tenant.slug, "name_vi": tenant.name_vi, "name_en": tenant.name_en}


def overview(p: Period, cell: dict[str, str], *, provinces: list[str] | None = None) -> dict:
    """One row per province for the cell: tiers, indicators and outliers with their reasons."""
    read = _fetch("overview", p, cell, details={"provinces": provinces} if provinces else None)
    by_tenant = defaultdict(list)
    for row in read.cells:
        by_tenant[row.tenant_id].append(row)
    with_snapshot = {s.tenant_id for s in read.snapshots}
    rows, values = [], {}
    for tenant_id in sorted(with_snapshot | set(by_tenant), key=lambda t: read.tenants[t].slug):
        tenant = read.tenants[tenant_id]
        if provinces and tenant.slug not in provinces:
            continue
        figures = combine(by_tenant.get(tenant_id, []), len(p.months))
        values[tenant.slug] = indicators(figures, _quota(read, tenant_id))
        rows.append(
            {
                "province": _province(tenant),
                "published": figures is not None,
                "months": figures["months"] if figures else 0,
                "tiers": _tiers(figures),
                "indicators": values[tenant.slug],
                "method": _method(figures),
                "outliers": [],
            }
        )
    flags = outliers({k: v for k, v in values.items() if v})
    for row in rows:
        row["outliers"] = flags.get(row["province"]["slug"], [])
    published = [r for r in read.cells if not provinces or read.tenants[r.tenant_id].slug in provinces]
    return {
        "period": p.as_dict(),
        "cell": cell,
        "provinces": rows,
        "national": {
            "pooled": indicators(combine(published, len(p.months))),
            "distribution": {name: distribution([v.get(name) for v in values.values() if v]) for name in INDICATORS},
        },
    }


def _tiers(figures: dict | None) -> dict:
    if not figures or not figures["rated"]:
        return {}
    return {name: _share(figures[f"tier_{tier}"], figures["rated"]) for tier, name in TIERS.items()}


def _method(figures: dict | None) -> str | None:
    if not figures:
        return None
    if figures["method_decree"] and figures["method_hours"]:
        return "mixed"
    return "decree-335" if figures["method_decree"] else "hours"


def breakdown(p: Period, cell: dict[str, str], by: list[str], *, provinces: list[str] | None = None) -> dict:
    """The province-by-cell comparison: for each province, the cells of a breakdown by one or two
    dimensions (the others as the cell says). A cell that is absent has no published figure:
    too few people, suppressed to protect another, or nobody — the reader cannot tell which."""
    if not by or len(by) > 2 or any(d not in DIMENSIONS for d in by):
        raise Invalid(
            "Chọn một hoặc hai chiều để chia nhỏ.",
            "Choose one or two dimensions to break down by.",
            fields={"by": [f"one or two of {', '.join(DIMENSIONS)}"]},
        )
    read = _fetch("cells", p, cell, by_dimensions=by, details={"by": by, "provinces": provinces})
    grouped = defaultdict(list)
    for row in read.cells:
        grouped[(row.tenant_id, tuple(getattr(row, d) for d in by))].append(row)
    taxonomy = mapping.terms()
    terms = {d: [*taxonomy.get(d, {}), UNMAPPED] for d in by}
    out = []
    for (tenant_id, values), rows in sorted(grouped.items(), key=lambda kv: (read.tenants[kv[0][0]].slug, kv[0][1])):
        tenant = read.tenants[tenant_id]
        if provinces and tenant.slug not in provinces:
            continue
        figures = combine(rows, len(p.months))
        out.append(
            {
                "province": _province(tenant),
                "cell": {**cell, **dict(zip(by, values, strict=True))},
                "months": figures["months"],
                "tiers": _tiers(figures),
                "indicators": indicators(figures, _quota(read, tenant_id)),
            }
        )
    return {"period": p.as_dict(), "cell": cell, "by": by, "terms": terms, "rows": out}


def series(indicator: str, first: date, last: date, cell: dict[str, str], *, provinces=None) -> dict:
    """An indicator month by month, per province, with the provinces' median each month."""
    if indicator not in INDICATORS:
        raise Invalid(fields={"indicator": [f"one of {', '.join(INDICATORS)}"]})
    if last < first or (last.year - first.year) * 12 + last.month - first.month > 36:
        raise Invalid(
            "Khoảng thời gian tối đa 36 tháng, từ trước đến sau.",
            "At most 36 months, the first before the last.",
            fields={"to": ["invalid range"]},
        )
    months, month = [], first
    while month <= last:
        months.append(month)
        month = _month(month.year + (month.month == 12), month.month % 12 + 1)
    p = Period("month", first, tuple(months))
    read = _fetch("series", p, cell, details={"indicator": indicator, "to": last.isoformat()})
    lines = defaultdict(dict)
    for row in read.cells:
        tenant = read.tenants[row.tenant_id]
        if provinces and tenant.slug not in provinces:
            continue
        lines[tenant.slug][row.month] = indicators(combine([row]), _quota(read, row.tenant_id)).get(indicator)
    provinces_out = [
        {
            "province": _province(next(t for t in read.tenants.values() if t.slug == slug)),
            "points": [{"month": m, "value": values.get(m)} for m in months],
        }
        for slug, values in sorted(lines.items())
    ]
    medians = []
    for m in months:
        month_values = [v[m] for v in lines.values() if v.get(m) is not None]
        medians.append({"month": m, "value": round(statistics.median(month_values), 4) if month_values else None})
    return {"indicator": indicator, "cell": cell, "months": months, "provinces": provinces_out, "median": medians}


def standing(tenant_id: uuid.UUID, p: Period, cell: dict[str, str]) -> dict:
    """A province against the others: its own indicators, and for each indicator every province's
    value (the others unnamed unless they opted in), ordered by value."""
    read = _fetch("standing", p, cell, details={"tenant_id": str(tenant_id)})
    by_tenant = defaultdict(list)
    for row in read.cells:
        by_tenant[row.tenant_id].append(row)
    values = {t: indicators(combine(rows, len(p.months)), _quota(read, t)) for t, rows in by_tenant.items()}
    own = values.get(tenant_id, {})
    comparison = {}
    for name in INDICATORS:
        points = [
            {
                "value": v[name],
                "own": t == tenant_id,
                "province": _province(read.tenants[t]) if (t == tenant_id or t in read.named) else None,
            }
            for t, v in values.items()
            if v.get(name) is not None
        ]
        points.sort(key=lambda point: (point["value"], not point["own"]))
        comparison[name] = {
            "points": points,
            "distribution": distribution([point["value"] for point in points]),
            "rank": next((i for i, point in enumerate(points, start=1) if point["own"]), None),
        }
    has_snapshot = any(s.tenant_id == tenant_id for s in read.snapshots)
    return {
        "period": p.as_dict(),
        "cell": cell,
        "province": _province(read.tenants[tenant_id]),
        "has_data": has_snapshot,
        "published": bool(own),
        "indicators": own,
        "tiers": _tiers(combine(by_tenant.get(tenant_id, []), len(p.months))),
        "comparison": comparison,
        "provinces": len(values),
    }


def no_standing(tenant, cell: dict[str, str]) -> dict:
    """What standing() answers while nothing at all is in the read model."""
    return {
        "period": None,
        "cell": cell,
        "province": _province(tenant),
        "has_data": False,
        "published": False,
        "provinces": 0,
        "indicators": {},
        "tiers": {},
        "comparison": {},
    }


# ---------------------------------------------------------------- the province's own settings


def preference() -> Preference:
    return db.session.get(Preference, require_tenant_id()) or Preference(named_to_peers=False)


def set_preference(named_to_peers: bool, *, by) -> Preference:
    current = db.session.get(Preference, require_tenant_id())
    if current is None:
        current = Preference(named_to_peers=named_to_peers, updated_by=by.id)
        db.session.add(current)
    else:
        current.named_to_peers, current.updated_by, current.updated_at = named_to_peers, by.id, utcnow()
    db.session.flush()
    audit.record("benchmarking.preference", "benchmark_preference", None, after={"named_to_peers": named_to_peers})
    return current


def snapshots_of_tenant() -> list[Snapshot]:
    """The current tenant's months in the read model (its own rows, as the app role)."""
    return list(db.session.scalars(select(Snapshot).order_by(Snapshot.month.desc())))


# ---------------------------------------------------------------- refreshes


def get_refresh(refresh_id: uuid.UUID) -> Refresh:
    refresh = db.session.get(Refresh, refresh_id)
    if refresh is None:
        raise NotFound("Không có lượt làm mới này.", "No such refresh.")
    return refresh


def list_refreshes():
    return select(Refresh).order_by(Refresh.created_at.desc())


def taxonomy_version(number: int | None = None) -> dict:
    number = number or mapping.current_version()
    version = db.session.get(TaxonomyVersion, number)
    if version is None:
        raise NotFound("Không có phiên bản phân loại này.", "No such taxonomy version.")
    return {
        "number": version.number,
        "valid_from": version.valid_from,
        "note": version.note,
        "dimensions": {
            d: [{"code": t.code, "name_vi": t.name_vi, "name_en": t.name_en} for t in terms.values()]
            for d, terms in mapping.terms(number).items()
        },
    }


def provinces_status() -> list[dict]:
    """Each province's months in the read model, and its latest month's counts (no person figures)."""
    with cross_tenant_session("benchmarking.read", details={"view": "provinces"}) as door:
        tenants = {t.id: t for t in door.scalars(select(Tenant))}
        by_tenant = defaultdict(list)
        for snapshot in door.scalars(select(Snapshot).order_by(Snapshot.month)):
            by_tenant[snapshot.tenant_id].append(snapshot)
    out = []
    for tenant_id, snapshots in sorted(by_tenant.items(), key=lambda kv: tenants[kv[0]].slug):
        latest = snapshots[-1]
        out.append(
            {
                "province": _province(tenants[tenant_id]),
                "months": [s.month for s in snapshots],
                "latest": {
                    "month": latest.month.isoformat(),
                    "method": latest.method,
                    "taxonomy_version": latest.taxonomy_version,
                    "min_group_size": latest.min_group_size,
                    "cells_published": latest.cells_published,
                    "cells_suppressed": latest.cells_suppressed,
                    "withheld": latest.withheld,
                    "unmapped": latest.unmapped,
                },
            }
        )
    return out
