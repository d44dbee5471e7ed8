"""Scoring through the API: settings (versioned), period runs in Celery with their results and the
explanation of each score, leave, general-criteria marks, disciplinary records, organisational KPI
and staffing norms, with Excel exports.

Provincial admins and the steering committee run it; auditors read everything; an official reads
their own results; reviewers read and mark their reviewees.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from kpi_platform.db import db
from kpi_platform.errors import Invalid, NotFound
from kpi_platform.jobs import service as jobs
from kpi_platform.jobs.schemas import with_job
from kpi_platform.org import access as org_access
from kpi_platform.org import service as org
from kpi_platform.pagination import page_of
from kpi_platform.policy import access, current_principal
from kpi_platform.roles import SCORING_READERS, SCORING_RUNNERS, Role
from kpi_platform.scoring import kpi, products, records, runs, staffing, tasks
from kpi_platform.scoring import schemas as s
from kpi_platform.scoring.models import PeriodResult
from kpi_platform.spreadsheets import xlsx
from kpi_platform.tenancy.service import tenant_today as today
from kpi_platform.tenant_settings import service as tenant_settings
from kpi_platform.tenant_settings.document import TenantSettings, plain
from kpi_platform.worklog import service as worklog

blp = Blueprint(
    "scoring",
    __name__,
    url_prefix="/api/v1/t/<tenant>",
    description="Scoring: settings, period results and their explanation, ratings, organisational KPI, staffing.",
)
RUNNERS = SCORING_RUNNERS
READERS = SCORING_READERS

RESULT_COLUMNS = [
    ("staff_code", "Mã cán bộ"),
    ("full_name", "Họ và tên"),
    ("duty_group", "Nhóm vị trí"),
    ("working_days", "Ngày làm việc"),
    ("available_hours", "Giờ chuẩn khả dụng"),
    ("points", "Điểm giờ chuẩn đạt được"),
    ("task", "Điểm kết quả nhiệm vụ (70)"),
    ("general", "Điểm tiêu chí chung (30)"),
    ("total", "Tổng điểm"),
    ("tier", "Xếp loại (hạng)"),
    ("tier_name", "Mức xếp loại"),
    ("demoted_by_quota", "Hạ do vượt tỷ lệ"),
    ("disqualified", "Không được xếp loại cao (kỷ luật)"),
]


def visible_official(official_id):
    return org_access.require_visible(current_principal(), official_id, today())


def _named(results: list[PeriodResult], run) -> list[dict]:
    people = {
        o.id: o
        for o in db.session.scalars(select(org.Official).where(org.Official.id.in_([r.official_id for r in results])))
    }
    tier_names = TenantSettings.from_document(run.settings).rating_names_vi
    return [
        {
            **{
                c.key: getattr(r, c.key) for c in PeriodResult.__table__.columns if c.key not in ("tenant_id", "run_id")
            },
            "staff_code": people[r.official_id].staff_code,
            "full_name": people[r.official_id].full_name,
            "tier_name": tier_names.get(r.tier),
        }
        for r in results
    ]


# ---------------------------------------------------------------- settings


@blp.route("/scoring/settings")
class Settings(MethodView):
    @access()
    @blp.arguments(s.AsOfSchema, location="query")
    @blp.response(200, s.SettingsOutSchema)
    def get(self, query):
        """The settings in force on a day (the tenant's version over the defaults of domain.md)"""
        day = query.get("as_of") or today()
        version = tenant_settings.version_on(day)
        return {
            "valid_from": version.valid_from if version else None,
            "version": version.number if version else None,
            "settings": tenant_settings.settings_on(day).document,
        }

    @access(*RUNNERS)
    @blp.arguments(s.SettingsInSchema)
    @blp.response(200, s.SettingsOutSchema)
    def put(self, data):
        """A new version from a date (the keys sent change, the others stay); the open months since
        then are recomputed with it"""
        version = tenant_settings.save(data["document"], valid_from=data["valid_from"], by=current_principal())
        scheduled = []
        if version is not None:
            scheduled = tasks.recompute_open_months(data["valid_from"], today=today(), by=current_principal())
        db.session.commit()
        for _, job in scheduled:
            jobs.dispatch(job)
        months = [month for month, _ in scheduled]
        return {
            "valid_from": data["valid_from"],
            "version": version.number if version else None,
            "settings": tenant_settings.settings_on(data["valid_from"]).document,
            "recomputing": months,
        }


@blp.route("/scoring/settings/versions")
class SettingsVersions(MethodView):
    @access()
    @blp.response(200, s.SettingsVersionSchema(many=True))
    def get(self):
        """Every settings version, newest first"""
        return db.session.scalars(tenant_settings.versions()).all()


# ---------------------------------------------------------------- closing a month


@blp.route("/worklog/periods/<int:year>-<int:month>/close")
class ClosePeriod(MethodView):
    @access(Role.provincial_admin)
    @blp.response(201, s.ClosedPeriodSchema)
    def post(self, year: int, month: int):
        """Close a month: nothing dated in it can change any more; its approved entries lock and the
        month (with its quarter and year when it ends them) is scored in the background, by the job
        returned (kept even while the background service is down, and run once it is back)"""
        if not (1 <= month <= 12 and 2000 <= year <= 2100):
            raise Invalid(fields={"month": ["invalid"]})
        period, job = tasks.close_month(date(year, month, 1), by=current_principal())
        db.session.commit()
        jobs.dispatch(job)
        return with_job(worklog.get_period(period.month), s.ClosedPeriodSchema, jobs.get(job.id))


# ---------------------------------------------------------------- runs and results


@blp.route("/scoring/runs")
class Runs(MethodView):
    @access(*READERS)
    @blp.arguments(s.RunListQuerySchema, location="query")
    @blp.response(200, s.RunSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Runs, newest period first"""
        return page_of(runs.list_runs(query.get("kind")), pagination_parameters)

    @access(*RUNNERS)
    @blp.arguments(s.RunInSchema)
    @blp.response(202, s.RunSchema)
    def post(self, data):
        """Compute a month, quarter or year (quarters and years average the months' totals) in the background"""
        run, job = tasks.schedule_run(data["kind"], data["start"], reason="manual", by=current_principal())
        db.session.commit()
        jobs.dispatch(job)
        return with_job(runs.get_run(run.id), s.RunSchema, jobs.get(job.id))


@blp.route("/scoring/runs/<uuid:run_id>")
class RunById(MethodView):
    @access(*READERS)
    @blp.response(200, s.RunSchema)
    def get(self, run_id):
        """A run: its status, progress and the settings version it used"""
        return runs.get_run(run_id)


@blp.route("/scoring/runs/<uuid:run_id>/results")
class RunResults(MethodView):
    @access(*READERS)
    @blp.arguments(s.ResultQuerySchema, location="query")
    @blp.response(200, s.ResultSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters, run_id):
        """The run's results, best total first"""
        run = runs.get_run(run_id)
        stmt = runs.results(
            run_id, agency_id=query.get("agency_id"), unit_id=query.get("unit_id"), tier=query.get("tier")
        )
        return _named(page_of(stmt, pagination_parameters), run)


@blp.route("/scoring/runs/<uuid:run_id>/export")
class RunExport(MethodView):
    @access(*READERS)
    @blp.arguments(s.ExportQuerySchema, location="query")
    @blp.response(200, description="the results and ratings as an Excel workbook")
    def get(self, query, run_id):
        """Period results and ratings as Excel, with Vietnamese headers"""
        run = runs.get_run(run_id)
        rows = _named(db.session.scalars(runs.results(run_id)).all(), run)
        body = xlsx("Kết quả", RESULT_COLUMNS, rows, title=f"Kết quả đánh giá {run.kind} {run.start.isoformat()}")
        name = f"ket-qua-{run.kind}-{run.start.isoformat()}.xlsx"
        return Response(
            body,
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


@blp.route("/scoring/runs/<uuid:run_id>/results/<uuid:official_id>")
class Explanation(MethodView):
    @access()
    @blp.response(200, s.ExplanationSchema)
    def get(self, run_id, official_id):
        """Why this score: the lines (entry → item version → factors → points), the totals, the rating"""
        visible_official(official_id)
        return runs.explain(run_id, official_id)


@blp.route("/scoring/runs/<uuid:run_id>/units/<uuid:unit_id>")
class UnitExplanation(MethodView):
    @access(*READERS, Role.unit_head)
    @blp.response(200, s.UnitExplanationSchema)
    def get(self, run_id, unit_id):
        """A unit's results: its people's totals and tiers, the average, the tiers' counts, its KPI lines"""
        run = runs.get_run(run_id)
        principal = current_principal()
        if not principal.has_any_role(READERS) and not org_access.leads_unit_of(
            principal, unit_id, run.end - timedelta(days=1)
        ):
            raise NotFound()
        out = runs.explain_unit(run_id, unit_id)
        out["members"] = _named(out["members"], run)
        if out["kpi"]:
            out["kpi"] = plain(out["kpi"])
        return out


@blp.route("/scoring/me")
class MyResults(MethodView):
    @access()
    @blp.arguments(s.MyResultQuerySchema, location="query")
    @blp.response(200, s.ExplanationSchema)
    def get(self, query):
        """My result for a period (default: the latest scored), from its latest run, explained"""
        official_id = org_access.require_own_official(current_principal()).id
        if query.get("start"):
            run = runs.latest_run(query["kind"], runs.period_of(query["kind"], query["start"])[0])
        else:
            run = db.session.scalar(
                runs.list_runs(query["kind"]).where(runs.PeriodRun.status == runs.RunStatus.done).limit(1)
            )
        if run is None:
            raise NotFound("Kỳ này chưa được tính điểm.", "This period has not been scored yet.")
        return runs.explain(run.id, official_id)


# ---------------------------------------------------------------- leave, marks, discipline


@blp.route("/scoring/leave")
class LeaveList(MethodView):
    @access(*READERS, Role.unit_head, Role.manager)
    @blp.arguments(s.OfficialQuerySchema, location="query")
    @blp.response(200, s.LeaveSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Recorded leave (of one official, or of everyone you may see)"""
        if query.get("official_id"):
            visible_official(query["official_id"])
        scope = org_access.scope_of(current_principal(), today())
        return page_of(records.leaves(query.get("official_id"), within=scope.official_ids()), pagination_parameters)

    @access(Role.provincial_admin, Role.unit_head, Role.manager)
    @blp.arguments(s.LeaveSchema)
    @blp.response(201, s.LeaveSchema)
    def post(self, data):
        """Record approved leave (its working days are not available time), never your own"""
        visible_official(data["official_id"])
        org_access.require_not_self(
            current_principal(), data["official_id"], what_vi="ghi nghỉ phép", what_en="record leave"
        )
        leave = records.record_leave(by=current_principal(), **data)
        db.session.commit()
        return leave


@blp.route("/scoring/general-marks")
class GeneralMarks(MethodView):
    @access()
    @blp.arguments(s.GeneralMarkSchema)
    @blp.response(200, s.GeneralMarkSchema)
    def put(self, data):
        """The reviewer marks the general criteria (0-30) of a reviewee for a month"""
        principal = current_principal()
        org_access.require_reviewer_or_admin(
            principal,
            data["official_id"],
            today(),
            what_vi="chấm tiêu chí chung",
            what_en="mark the general criteria",
        )
        mark = records.mark_general(by=principal, **data)
        db.session.commit()
        return mark


@blp.route("/scoring/discipline")
class Discipline(MethodView):
    @access(*READERS)
    @blp.arguments(s.OfficialQuerySchema, location="query")
    @blp.response(200, s.DisciplineSchema(many=True))
    def get(self, query):
        """Disciplinary records (reprimand or heavier in the year keeps a rating at the lowest tier)"""
        return db.session.scalars(records.disciplinary_records(query.get("official_id"))).all()

    @access(Role.provincial_admin)
    @blp.arguments(s.DisciplineSchema)
    @blp.response(201, s.DisciplineSchema)
    def post(self, data):
        """Record a disciplinary decision (never your own)"""
        org_access.require_not_self(
            current_principal(), data["official_id"], what_vi="ghi quyết định kỷ luật", what_en="record discipline"
        )
        record = records.record_discipline(by=current_principal(), **data)
        db.session.commit()
        return record


# ---------------------------------------------------------------- organisational KPI and staffing


@blp.route("/scoring/kpi/indicators")
class Indicators(MethodView):
    @access()
    @blp.response(200, s.IndicatorSchema(many=True))
    def get(self):
        """The tenant's organisational KPI indicators"""
        return db.session.scalars(kpi.indicators()).all()

    @access(*RUNNERS)
    @blp.arguments(s.IndicatorSchema)
    @blp.response(201, s.IndicatorSchema)
    def post(self, data):
        """Add an indicator (administrative reform, service quality, socio-economic …)"""
        indicator = kpi.create_indicator(**data)
        db.session.commit()
        return indicator


@blp.route("/scoring/kpi/values")
class KpiValues(MethodView):
    @access(*RUNNERS)
    @blp.arguments(s.KpiValueInSchema)
    @blp.response(200, s.KpiRankSchema(many=True))
    def put(self, data):
        """Set an indicator's target, actual and weight for an agency or locality in a period"""
        kpi.set_value(by=current_principal(), **data)
        db.session.commit()
        return kpi.ranking(data["kind"], data["start"])


@blp.route("/scoring/kpi/scores")
class KpiScores(MethodView):
    @access()
    @blp.arguments(s.KpiQuerySchema, location="query")
    @blp.response(200, s.KpiRankSchema(many=True))
    def get(self, query):
        """Each agency's or locality's score for a period, ranked, with its indicator lines"""
        return kpi.ranking(query["kind"], query.get("start") or today().replace(day=1))


STAFFING_COLUMNS = [
    ("unit_code", "Mã đơn vị"),
    ("unit_name", "Đơn vị"),
    ("position_name", "Vị trí việc làm"),
    ("credited_hours", "Giờ chuẩn được ghi nhận"),
    ("needed_fte", "Biên chế cần (quy đổi)"),
    ("headcount", "Biên chế hiện có"),
    ("difference", "Thừa (+) / thiếu (-)"),
]


@blp.route("/scoring/staffing")
class Staffing(MethodView):
    @access(*READERS)
    @blp.arguments(s.StaffingQuerySchema, location="query")
    @blp.response(200)
    def get(self, query):
        """Full-time equivalents each unit and position needs against its headcount (JSON or Excel)"""
        day = today()
        table = staffing.staffing(
            query.get("date_from") or day.replace(month=1, day=1), query.get("date_to") or day + timedelta(days=1)
        )
        if query["format"] == "xlsx":
            body = xlsx("Định biên", STAFFING_COLUMNS, table["lines"], title="Định biên theo khối lượng công việc")
            return Response(
                body,
                mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                headers={"Content-Disposition": 'attachment; filename="dinh-bien.xlsx"'},
            )
        return plain(table)


# ---------------------------------------------------------------- assigned products (Decree 335)


@blp.route("/scoring/products")
class Products(MethodView):
    @access()
    @blp.arguments(s.ProductQuerySchema, location="query")
    @blp.response(200, s.ProductSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Assigned products of an official (default: yourself) and month"""
        official_id = query.get("official_id") or org_access.require_own_official(current_principal()).id
        visible_official(official_id)
        stmt = products.list_products(official_id=official_id, month=query.get("month"), status=query.get("status"))
        return page_of(stmt, pagination_parameters)

    @access()
    @blp.arguments(s.ProductsInSchema)
    @blp.response(201, s.ProductSchema(many=True))
    def post(self, data):
        """Assign products to your reviewees for a month (one, or a month's plan in bulk); all or nothing"""
        created = products.assign(data["products"], by=current_principal(), today=today())
        db.session.commit()
        return created


@blp.route("/scoring/products/plan")
class ProductPlan(MethodView):
    @access()
    @blp.arguments(s.ProductsInSchema)
    @blp.response(201, s.ProductSchema(many=True))
    def post(self, data):
        """Propose your own plan for a month; it counts once your reviewer accepts it"""
        created = products.assign(data["products"], by=current_principal(), today=today(), source="plan")
        db.session.commit()
        return created


@blp.route("/scoring/products/accept")
class ProductAccept(MethodView):
    @access()
    @blp.arguments(s.ProductIdsSchema)
    @blp.response(200, s.ProductSchema(many=True))
    def post(self, data):
        """Accept a reviewee's proposed products"""
        accepted = products.accept(data["ids"], by=current_principal(), today=today())
        db.session.commit()
        return accepted


@blp.route("/scoring/products/<uuid:product_id>/assessments")
class ProductAssessments(MethodView):
    @access()
    @blp.arguments(s.AssessmentSchema)
    @blp.response(201, s.ProductSchema)
    def post(self, data, product_id):
        """Record a failed quality assessment or a delay (25 % off its points unless the cause is objective)"""
        product = products.assess(product_id, by=current_principal(), today=today(), **data)
        db.session.commit()
        return product


@blp.route("/scoring/products/<uuid:product_id>")
class ProductById(MethodView):
    @access()
    @blp.response(200, s.ProductSchema)
    def delete(self, product_id):
        """Cancel an assigned product"""
        product = products.cancel(product_id, by=current_principal(), today=today())
        db.session.commit()
        return product


@blp.route("/scoring/leader-marks")
class LeaderMarks(MethodView):
    @access()
    @blp.arguments(s.UnitySchema)
    @blp.response(200, s.UnitySchema)
    def put(self, data):
        """A leader's superior sets criterion e (internal unity) for a month: 1.0 or 0.5"""
        org_access.require_reviewer_or_admin(
            current_principal(),
            data["official_id"],
            today(),
            what_vi="chấm tiêu chí đoàn kết nội bộ của lãnh đạo",
            what_en="set a leader's internal unity",
        )
        mark = products.mark_unity(by=current_principal(), **data)
        db.session.commit()
        return {"official_id": mark.official_id, "month": mark.month, "unity": mark.unity}
