"""Benchmarking pages. For central analysts (global accounts, /benchmarking/...): the national
overview, the province-by-cell comparison and the time series of an indicator. For a province's
admin and steering committee: "where we stand". Each chart has its table with the same numbers.
benchmarking.service does the reading (through the audited door)."""

from __future__ import annotations

from datetime import date

from flask import Response, g, render_template, request
from flask_babel import gettext as _

from kpi_platform.benchmarking import exports, mapping, service
from kpi_platform.benchmarking.models import ALL, DIMENSIONS, UNMAPPED
from kpi_platform.errors import DomainError, Invalid
from kpi_platform.policy import page, platform_page
from kpi_platform.roles import Role
from kpi_platform.web import charts
from kpi_platform.web.blueprint import bp
from kpi_platform.web.common import message_of
from kpi_platform.web.i18n import current_language, number

ANALYSTS = (Role.central_analyst, Role.platform_operator)
PROVINCE = (Role.provincial_admin, Role.steering_committee)
TABLE_INDICATORS = (
    "headcount",
    "excellent_share",
    "excellent_allowed_share",
    "total_mean",
    "hours_per_day",
    "above_cap_share",
    "coverage",
    "latency",
    "returned_share",
    "staffing_gap",
)
STANDING_CHARTS = ("excellent_share", "hours_per_day", "coverage", "latency", "returned_share", "total_mean")


def indicator_name(name: str) -> str:
    vi, en, _kind = service.INDICATORS[name]
    return en if current_language() == "en" else vi


def shown(name: str, value) -> str:
    """An indicator's value as a page shows it: shares in %, the rest with two decimals at most."""
    if value is None:
        return "—"
    kind = service.INDICATORS[name][2]
    if kind == "share":
        return f"{number(100 * value, 1)} %"
    if kind == "count":
        return number(value, 0)
    return number(value, 2)


def term_names() -> dict[str, dict[str, str]]:
    english = current_language() == "en"
    names = {d: {ALL: _("Tất cả"), UNMAPPED: _("Chưa ánh xạ")} for d in DIMENSIONS}
    for dimension, terms in mapping.terms().items():
        for code, term in terms.items():
            names.setdefault(dimension, {})[code] = term.name_en if english else term.name_vi
    return names


def outlier_reason(outlier: dict) -> str:
    name, value = outlier["indicator"], shown(outlier["indicator"], outlier["value"])
    if outlier["rule"] == "above_8":
        return _("Giờ quy đổi bình quân %(value)s giờ mỗi ngày, trên mức 8 giờ", value=value)
    if outlier["rule"] == "above_quota":
        return _("Tỷ lệ xuất sắc %(value)s, cao hơn mức hạn mức 20%% cho phép", value=value)
    return _(
        "%(indicator)s %(value)s, khác xa trung vị các tỉnh (%(median)s)",
        indicator=indicator_name(name),
        value=value,
        median=shown(name, outlier.get("median")),
    )


def _query() -> dict:
    return {k: v for k, v in request.args.items() if v}


def _context(**extra) -> dict:
    return {
        "indicator_name": indicator_name,
        "shown": shown,
        "terms": term_names(),
        "dimensions": DIMENSIONS,
        "indicators": service.INDICATORS,
        "outlier_reason": outlier_reason,
        "query": _query(),
        "merged": lambda **changes: {**_query(), **changes},
        **extra,
    }


def _period_and_cell():
    args = _query()
    cell = service.cell_of(args)
    p = service.period(month=args.get("month"), quarter=args.get("quarter"), year=args.get("year"))
    return (p or service.latest_period()), cell


def _error_page(template: str, error: DomainError):
    return render_template(template, error=message_of(error), data=None, chart=None, **_context()), 422


def _tier_labels() -> tuple:
    return (_("Hoàn thành xuất sắc"), _("Hoàn thành tốt"), _("Hoàn thành"), _("Không hoàn thành"))


def _province_name(province: dict | None) -> str:
    if province is None:
        return _("Tỉnh khác")
    return province["name_en"] if current_language() == "en" else province["name_vi"]


@bp.get("/benchmarking/", endpoint="benchmarking_overview")
@platform_page(*ANALYSTS)
def overview():
    try:
        p, cell = _period_and_cell()
        provinces = [s.strip() for s in request.args.get("province", "").split(",") if s.strip()] or None
        data = service.overview(p, cell, provinces=provinces) if p else None
    except DomainError as error:
        return _error_page("benchmarking/overview.html", error)
    chart = None
    if data and data["provinces"]:
        rows = [(_province_name(r["province"]), r["tiers"]) for r in data["provinces"]]
        chart = charts.tier_bars(rows, _tier_labels(), _("Phân bố xếp loại theo tỉnh"))
    return render_template(
        "benchmarking/overview.html",
        data=data,
        chart=chart,
        error=None,
        table_indicators=TABLE_INDICATORS,
        province_name=_province_name,
        **_context(),
    )


@bp.get("/benchmarking/cells", endpoint="benchmarking_cells")
@platform_page(*ANALYSTS)
def cells():
    by = request.args.get("by") or "unit_kind"
    indicator = request.args.get("indicator") or "excellent_share"
    try:
        if by not in DIMENSIONS or indicator not in service.INDICATORS:
            raise Invalid(
                "Chiều hoặc chỉ số không hợp lệ.", "Unknown dimension or indicator.", fields={"by": ["invalid"]}
            )
        p, cell = _period_and_cell()
        provinces = [s.strip() for s in request.args.get("province", "").split(",") if s.strip()] or None
        data = service.breakdown(p, cell, [by], provinces=provinces) if p else None
    except DomainError as error:
        return _error_page("benchmarking/cells.html", error)
    matrix, columns, chart = {}, [], None
    if data:
        for row in data["rows"]:
            name = _province_name(row["province"])
            matrix.setdefault(name, {})[row["cell"][by]] = row["indicators"].get(indicator)
        columns = [t for t in data["terms"][by] if any(t in values for values in matrix.values())]
        if matrix and columns:
            names = term_names()[by]
            chart = charts.bars(
                [names.get(t, t) for t in columns],
                [(name, [values.get(t) for t in columns]) for name, values in matrix.items()],
                indicator_name(indicator),
                percent=service.INDICATORS[indicator][2] == "share",
            )
    export = {k: v for k, v in _query().items() if k not in ("view", "indicator")} | {"view": "cells", "by": by}
    return render_template(
        "benchmarking/cells.html",
        export=export,
        data=data,
        matrix=matrix,
        columns=columns,
        by=by,
        indicator=indicator,
        chart=chart,
        error=None,
        **_context(),
    )


def _month(text: str | None) -> date | None:
    p = service.period(month=text) if text else None
    return p.start if p else None


@bp.get("/benchmarking/series", endpoint="benchmarking_series")
@platform_page(*ANALYSTS)
def series():
    indicator = request.args.get("indicator") or "excellent_share"
    try:
        if indicator not in service.INDICATORS:
            raise Invalid("Chỉ số không hợp lệ.", "Unknown indicator.", fields={"indicator": ["invalid"]})
        cell = service.cell_of(_query())
        latest = service.latest_period()
        last = _month(request.args.get("to")) or (latest.start if latest else None)
        data = None
        if last is not None:
            first = _month(request.args.get("from")) or date(
                last.year - 1 if last.month < 12 else last.year, last.month % 12 + 1, 1
            )
            data = service.series(indicator, first, last, cell)
    except DomainError as error:
        return _error_page("benchmarking/series.html", error)
    chart = None
    if data and data["provinces"]:
        chart = charts.lines(
            [f"{m:%m/%Y}" for m in data["months"]],
            [(_province_name(line["province"]), [p["value"] for p in line["points"]]) for line in data["provinces"]],
            [p["value"] for p in data["median"]],
            indicator_name(indicator),
            percent=service.INDICATORS[indicator][2] == "share",
        )
    return render_template(
        "benchmarking/series.html",
        data=data,
        indicator=indicator,
        chart=chart,
        error=None,
        province_name=_province_name,
        **_context(),
    )


@bp.get("/t/<tenant>/standing", endpoint="standing")
@page(*PROVINCE)
def standing():
    try:
        p, cell = _period_and_cell()
        data = service.standing(g.tenant.id, p, cell) if p else None
    except DomainError as error:
        return _error_page("benchmarking/standing.html", error)
    figures = []
    if data and data["published"]:
        for name in STANDING_CHARTS:
            comparison = data["comparison"].get(name) or {}
            points = comparison.get("points") or []
            if not points:
                continue
            labelled = [(_province_name(pt["province"]), pt["value"], pt["own"]) for pt in points]
            figures.append(
                {
                    "name": name,
                    "rank": comparison.get("rank"),
                    "count": len(points),
                    "points": labelled,
                    "chart": charts.ranked(
                        labelled, indicator_name(name), percent=service.INDICATORS[name][2] == "share"
                    ),
                }
            )
    return render_template("benchmarking/standing.html", data=data, figures=figures, error=None, **_context())


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(body: bytes, name: str) -> Response:
    return Response(body, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


@bp.get("/benchmarking/export", endpoint="benchmarking_export")
@platform_page(*ANALYSTS)
def export():
    """The overview (or, with view=cells, a breakdown) of the page as an Excel workbook."""
    try:
        p, cell = _period_and_cell()
        provinces = [s.strip() for s in request.args.get("province", "").split(",") if s.strip()] or None
        by = request.args.get("by") or "unit_kind"
        if request.args.get("view") == "cells":
            data = service.breakdown(p, cell, [by], provinces=provinces) if p else {"rows": []}
            return _xlsx(exports.cells_xlsx(data), f"so-sanh-theo-o-{p.label if p else 'trong'}")
        data = service.overview(p, cell, provinces=provinces) if p else {"provinces": []}
    except DomainError as error:
        return _error_page("benchmarking/overview.html", error)
    return _xlsx(exports.overview_xlsx(data), f"tong-quan-cac-tinh-{p.label if p else 'trong'}")


@bp.get("/t/<tenant>/standing/export", endpoint="standing_export")
@page(*PROVINCE)
def standing_export():
    try:
        p, cell = _period_and_cell()
        data = service.standing(g.tenant.id, p, cell) if p else service.no_standing(g.tenant, cell)
    except DomainError as error:
        return _error_page("benchmarking/standing.html", error)
    return _xlsx(exports.standing_xlsx(data), f"vi-tri-cua-tinh-{p.label if p else 'trong'}")
