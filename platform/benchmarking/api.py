"""Benchmarking through the API.

`/api/v1/benchmarking/...` (central analysts and platform operators, global accounts): the
taxonomy, the national overview, a province-by-cell breakdown, an indicator's time series, Excel
exports and the read model's refreshes. Under the tenant API, a province's mapping to the taxonomy,
whether it is named to the other provinces, its months in the read model and where it stands.
"""

from __future__ import annotations

from datetime import date

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from kpi_platform.benchmarking import exports, mapping, service, tasks
from kpi_platform.benchmarking import schemas as s
from kpi_platform.db import db
from kpi_platform.errors import Invalid
from kpi_platform.pagination import page_of
from kpi_platform.policy import PLATFORM, access, current_principal, current_tenant
from kpi_platform.roles import Role
from kpi_platform.tenancy import service as tenancy
from kpi_platform.tenancy.models import Tenant

platform_blp = Blueprint(
    "benchmarking_platform",
    __name__,
    url_prefix="/api/v1/benchmarking",
    description="Benchmarking across provinces: aggregates only, never a person, never a small group.",
)
blp = Blueprint(
    "benchmarking",
    __name__,
    url_prefix="/api/v1/t/<tenant>",
    description="The province's mapping to the national taxonomy and where it stands against the others.",
)
ANALYSTS = (Role.central_analyst, Role.platform_operator)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period(query) -> service.Period | None:
    return service.period(month=query.get("month"), quarter=query.get("quarter"), year=query.get("year"))


def _period_or_latest(query) -> service.Period | None:
    return _period(query) or service.latest_period()


def _empty(cell) -> dict:
    return {"period": None, "cell": cell, "provinces": [], "national": {"pooled": {}, "distribution": {}}}


def _xlsx(body: bytes, name: str) -> Response:
    return Response(body, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


# ---------------------------------------------------------------- central analysts


@platform_blp.route("/taxonomy")
class Taxonomy(MethodView):
    @access(*ANALYSTS, scope=PLATFORM)
    @platform_blp.arguments(s.TaxonomyQuery, location="query")
    @platform_blp.response(200, s.TaxonomySchema)
    def get(self, query):
        """The national taxonomy (the current version, or the one asked for)"""
        return service.taxonomy_version(query.get("version"))


@platform_blp.route("/overview")
class Overview(MethodView):
    @access(*ANALYSTS, scope=PLATFORM)
    @platform_blp.arguments(s.PlatformQuery, location="query")
    @platform_blp.response(200, s.OverviewSchema)
    def get(self, query):
        """One row per province for a cell and period: tiers, indicators, outliers with their rule"""
        cell = service.cell_of(query)
        p = _period_or_latest(query)
        return service.overview(p, cell, provinces=query.get("province")) if p else _empty(cell)


@platform_blp.route("/cells")
class Cells(MethodView):
    @access(*ANALYSTS, scope=PLATFORM)
    @platform_blp.arguments(s.CellsQuery, location="query")
    @platform_blp.response(200, s.CellsSchema)
    def get(self, query):
        """Provinces by the cells of a breakdown (one or two dimensions); absent: no published figure"""
        cell = service.cell_of(query)
        p = _period_or_latest(query)
        if p is None:
            return {"period": None, "cell": cell, "by": query["by"], "terms": {}, "rows": []}
        return service.breakdown(p, cell, query["by"], provinces=query.get("province"))


def _month_arg(text: str | None, field: str) -> date | None:
    if not text:
        return None
    p = service.period(month=text)
    if p is None:
        raise Invalid(fields={field: ["YYYY-MM"]})
    return p.start


@platform_blp.route("/series")
class Series(MethodView):
    @access(*ANALYSTS, scope=PLATFORM)
    @platform_blp.arguments(s.SeriesQuery, location="query")
    @platform_blp.response(200, s.SeriesSchema)
    def get(self, query):
        """An indicator month by month for each province, with the provinces' median"""
        cell = service.cell_of(query)
        latest = service.latest_period()
        last = _month_arg(query.get("to"), "to") or (latest.start if latest else None)
        if last is None:
            return {"indicator": query["indicator"], "cell": cell, "months": [], "provinces": [], "median": []}
        first = _month_arg(query.get("from_"), "from") or date(last.year - 1, last.month, 1)
        return service.series(query["indicator"], first, last, cell, provinces=query.get("province"))


@platform_blp.route("/export")
class Export(MethodView):
    @access(*ANALYSTS, scope=PLATFORM)
    @platform_blp.arguments(s.ExportQuery, location="query")
    @platform_blp.response(200, content_type=XLSX)
    def get(self, query):
        """The overview or a breakdown as an Excel workbook with Vietnamese headers"""
        cell = service.cell_of(query)
        p = _period_or_latest(query)
        if query["view"] == "cells":
            by = query.get("by") or ["unit_kind"]
            data = service.breakdown(p, cell, by, provinces=query.get("province")) if p else {"rows": []}
            return _xlsx(exports.cells_xlsx(data), f"so-sanh-theo-o-{p.label if p else 'trong'}")
        data = service.overview(p, cell, provinces=query.get("province")) if p else _empty(cell)
        return _xlsx(exports.overview_xlsx(data), f"tong-quan-cac-tinh-{p.label if p else 'trong'}")


@platform_blp.route("/provinces")
class Provinces(MethodView):
    @access(*ANALYSTS, scope=PLATFORM)
    @platform_blp.response(200, s.ProvinceStatusSchema(many=True))
    def get(self):
        """Each province's months in the read model and, for the latest, how much was held back"""
        return service.provinces_status()


@platform_blp.route("/refreshes")
class Refreshes(MethodView):
    @access(*ANALYSTS, scope=PLATFORM)
    @platform_blp.response(200, s.RefreshSchema(many=True))
    @platform_blp.paginate()
    def get(self, pagination_parameters):
        """The read model's refreshes, newest first"""
        return page_of(service.list_refreshes(), pagination_parameters)

    @access(Role.platform_operator, scope=PLATFORM)
    @platform_blp.arguments(s.RefreshInSchema)
    @platform_blp.response(202, s.RefreshSchema)
    def post(self, data):
        """Refresh the read model now (every province, or those named; their months, or the last 13)"""
        tenants = None
        if data.get("provinces"):
            slugs = set(data["provinces"])
            found = dict(db.session.execute(select(Tenant.slug, Tenant.id).where(Tenant.slug.in_(slugs))).all())
            unknown = sorted(slugs - set(found))
            if unknown:
                raise Invalid(fields={"provinces": [f"unknown: {', '.join(unknown)}"]})
            tenants = list(found.values())
        months = [f"{m}-01" for m in data["months"]] if data.get("months") else None
        for month in months or []:
            service.period(month=month[:7])  # refuses 2025-13
        refresh = tasks.start("manual", tenants=tenants, months=months, by=current_principal())
        tasks.refresh_all.delay(str(refresh.id), data["force"])
        return service.get_refresh(refresh.id)


@platform_blp.route("/refreshes/<uuid:refresh_id>")
class RefreshOne(MethodView):
    @access(*ANALYSTS, scope=PLATFORM)
    @platform_blp.response(200, s.RefreshSchema)
    def get(self, refresh_id):
        """A refresh and its progress"""
        return service.get_refresh(refresh_id)


# ---------------------------------------------------------------- the province


@blp.route("/benchmarking/mappings")
class Mappings(MethodView):
    @access(Role.provincial_admin, Role.steering_committee, Role.auditor)
    @blp.response(200, s.MappingsOutSchema)
    def get(self):
        """The province's mapping to the national taxonomy, and what is still unmapped"""
        return {
            "taxonomy_version": mapping.current_version(),
            "mappings": mapping.mappings(),
            "unmapped": mapping.Resolver(tenancy.local_today(current_tenant())).unmapped(),
        }

    @access(Role.provincial_admin)
    @blp.arguments(s.MappingsInSchema)
    @blp.response(200, s.MappingsResultSchema)
    def put(self, data):
        """Create, change or remove (blank term) mappings: all of them or none; the province's months
        in the read model are refreshed"""
        actions = mapping.set_mappings(data["mappings"], by=current_principal())
        db.session.commit()
        refresh_id = None
        if any(actions[a] for a in ("create", "change", "remove")):
            refresh = tasks.start("mappings_changed", tenants=[current_tenant().id], by=current_principal())
            tasks.refresh_tenant.delay(str(current_tenant().id), str(refresh.id))
            refresh_id = refresh.id
        return {
            "created": len(actions["create"]),
            "changed": len(actions["change"]),
            "removed": len(actions["remove"]),
            "unchanged": len(actions["unchanged"]),
            "refresh_id": refresh_id,
        }


@blp.route("/benchmarking/preferences")
class Preferences(MethodView):
    @access(Role.provincial_admin, Role.steering_committee)
    @blp.response(200, s.PreferenceSchema)
    def get(self):
        """Whether the other provinces see this one by name"""
        return service.preference()

    @access(Role.provincial_admin)
    @blp.arguments(s.PreferenceSchema)
    @blp.response(200, s.PreferenceSchema)
    def put(self, data):
        """Opt in (or out) of being named to the other provinces"""
        preference = service.set_preference(data["named_to_peers"], by=current_principal())
        db.session.commit()
        return preference


@blp.route("/benchmarking/snapshots")
class Snapshots(MethodView):
    @access(Role.provincial_admin, Role.steering_committee, Role.auditor)
    @blp.response(200, s.SnapshotSchema(many=True))
    def get(self):
        """The province's months in the read model: published and suppressed cells, unmapped things"""
        return service.snapshots_of_tenant()


def _standing(query) -> dict:
    cell = service.cell_of(query)
    p = _period_or_latest(query)
    tenant = current_tenant()
    if p is None:
        return service.no_standing(tenant, cell)
    return service.standing(tenant.id, p, cell)


@blp.route("/benchmarking/standing")
class Standing(MethodView):
    @access(Role.provincial_admin, Role.steering_committee)
    @blp.arguments(s.PeriodQuery, location="query")
    @blp.response(200, s.StandingSchema)
    def get(self, query):
        """Where the province stands: its indicators against every province's (others unnamed unless
        they opted in)"""
        return _standing(query)


@blp.route("/benchmarking/standing/export")
class StandingExport(MethodView):
    @access(Role.provincial_admin, Role.steering_committee)
    @blp.arguments(s.PeriodQuery, location="query")
    @blp.response(200, content_type=XLSX)
    def get(self, query):
        """Where the province stands, as an Excel workbook with Vietnamese headers"""
        data = _standing(query)
        label = data["period"]["label"] if data["period"] else "trong"
        return _xlsx(exports.standing_xlsx(data), f"vi-tri-cua-tinh-{label}")
