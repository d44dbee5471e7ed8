"""The rollout path Khánh Hòa took, as a checklist with evidence read from the tenant's own data:
pack validated → catalog approved → officials and reviewers loaded → SSO tested → pilot running →
norms calibrated after the pilot → official start → extension to further units.

The manual steps (pilot start, official start, extensions) are rollout events, recorded through
the API or by a pack's rollout.yaml; the tenant's status follows them (provisioning → pilot →
active) once their day has come.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select

from kpi_platform.audit import service as audit
from kpi_platform.audit.models import AuditEntry
from kpi_platform.catalog.models import CatalogItem, CatalogItemVersion, ItemStatus, JobDescriptionVersion, VersionState
from kpi_platform.context import require_tenant_id
from kpi_platform.db import db
from kpi_platform.errors import Invalid
from kpi_platform.identity.models import IdentityProvider, Principal
from kpi_platform.onboarding.models import RolloutEvent, RolloutStep
from kpi_platform.org import service as org
from kpi_platform.org.models import Assignment, Official, OrgUnit
from kpi_platform.periods import active_on
from kpi_platform.tenancy import service as tenancy
from kpi_platform.tenancy.models import TenantStatus
from kpi_platform.tenant_settings.document import plain
from kpi_platform.worklog.models import WorkEntry

STEPS = (
    ("pack_validated", "Gói dữ liệu đã được kiểm tra", "Pack validated"),
    ("catalog_approved", "Danh mục và bản mô tả công việc đã được duyệt", "Catalog and job descriptions approved"),
    ("people_loaded", "Đã nạp cán bộ và người đánh giá", "Officials and reviewers loaded"),
    ("sso_tested", "Đã kiểm tra kết nối đăng nhập một lần (SSO)", "SSO tested"),
    ("pilot_running", "Đã chọn đơn vị thí điểm và đang chạy", "Pilot units chosen and running"),
    ("norms_calibrated", "Đã chuẩn hóa định mức sau thí điểm", "Norms calibrated after the pilot"),
    ("official_start", "Ngày áp dụng chính thức", "Official start date"),
    ("extension", "Mở rộng sang các đơn vị khác", "Extension to further units"),
)


def _last_audit(*actions: str) -> AuditEntry | None:
    return db.session.scalar(
        select(AuditEntry).where(AuditEntry.action.in_(actions)).order_by(AuditEntry.occurred_at.desc()).limit(1)
    )


def _who(entry: AuditEntry | None) -> dict | None:
    return {"at": entry.occurred_at, "by": entry.actor_label} if entry else None


def events(step: RolloutStep | None = None) -> list[RolloutEvent]:
    stmt = select(RolloutEvent).order_by(RolloutEvent.on_date, RolloutEvent.recorded_at)
    if step:
        stmt = stmt.where(RolloutEvent.step == step)
    return db.session.scalars(stmt).all()


def record_event(*, step: str, on_date: date, unit_codes: list[str], note: str | None, by) -> RolloutEvent:
    step = RolloutStep(step)
    known = set(db.session.scalars(select(OrgUnit.code).where(OrgUnit.code.in_(unit_codes))))
    unknown = [code for code in unit_codes if code not in known]
    if unknown:
        raise Invalid(
            f"Không có đơn vị: {', '.join(unknown)}.",
            f"Unknown units: {', '.join(unknown)}.",
            fields={"unit_codes": unknown},
        )
    if step in (RolloutStep.pilot_started, RolloutStep.extension) and not unit_codes:
        raise Invalid("Hãy chọn các đơn vị.", "Name the units.", fields={"unit_codes": ["required"]})
    event = RolloutEvent(step=step, on_date=on_date, unit_codes=unit_codes, note=note, recorded_by=by.id)
    db.session.add(event)
    db.session.flush()
    audit.record(
        "rollout.event",
        "rollout_event",
        event.id,
        after={"step": str(step), "on_date": on_date.isoformat(), "units": unit_codes, "note": note},
    )
    return event


def status_for(today: date) -> TenantStatus:
    """What the rollout events say the tenant's status is on `today`."""
    started = [e for e in events() if e.on_date <= today]
    if any(e.step == RolloutStep.official_start for e in started):
        return TenantStatus.active
    if any(e.step == RolloutStep.pilot_started for e in started):
        return TenantStatus.pilot
    return TenantStatus.provisioning


def follow_status(today: date) -> TenantStatus | None:
    """Move the tenant's status forward to what its rollout says (never back, never out of suspension)."""
    tenant = tenancy.get_tenant(require_tenant_id())
    order = [TenantStatus.provisioning, TenantStatus.pilot, TenantStatus.active]
    wanted = status_for(today)
    if tenant.status not in order or order.index(wanted) <= order.index(tenant.status):
        return None
    tenancy.update_tenant(tenant.slug, {"status": wanted})
    return wanted


def _entries_in(unit_codes: list[str], since: date) -> int:
    if not unit_codes:
        return 0
    unit_ids = select(OrgUnit.id).where(OrgUnit.code.in_(unit_codes))
    in_units = select(Assignment.official_id).where(Assignment.unit_id.in_(unit_ids))
    return db.session.scalar(
        select(func.count())
        .select_from(WorkEntry)
        .where(WorkEntry.work_date >= since, WorkEntry.official_id.in_(in_units))
    )


def checklist(today: date) -> dict:
    tenant = tenancy.get_tenant(require_tenant_id())
    steps = {}
    imported = _last_audit("onboarding.import", "onboarding.validate")
    steps["pack_validated"] = (
        imported is not None,
        {**(_who(imported) or {}), "pack": (imported.after or {}).get("pack") if imported else None},
    )

    by_status = dict(db.session.execute(select(CatalogItem.status, func.count()).group_by(CatalogItem.status)).all())
    approved_jds = db.session.scalar(
        select(func.count())
        .select_from(JobDescriptionVersion)
        .where(JobDescriptionVersion.state == VersionState.approved)
    )
    waiting = db.session.scalar(
        select(func.count()).select_from(CatalogItemVersion).where(CatalogItemVersion.state == VersionState.submitted)
    )
    steps["catalog_approved"] = (
        by_status.get(ItemStatus.approved, 0) > 0 and approved_jds > 0,
        {
            "approved_items": by_status.get(ItemStatus.approved, 0),
            "waiting_for_approval": waiting,
            "approved_job_description_versions": approved_jds,
        },
    )

    officials = db.session.scalar(select(func.count()).select_from(Official))
    with_post = db.session.scalar(
        select(func.count(func.distinct(Assignment.official_id))).where(active_on(Assignment, today))
    )
    headed = len(org.heads_on(today))
    units = db.session.scalar(select(func.count()).select_from(OrgUnit))
    accounts = db.session.scalar(select(func.count()).select_from(Principal))
    steps["people_loaded"] = (
        officials > 0 and headed > 0,
        {
            "officials": officials,
            "officials_with_a_post_today": with_post,
            "units": units,
            "units_with_a_head": headed,
            "accounts": accounts,
        },
    )

    provider = db.session.get(IdentityProvider, tenant.id)
    checked = _last_audit("identity.provider.check")
    ok = bool(checked and (checked.after or {}).get("ok"))
    steps["sso_tested"] = (
        provider is not None and ok,
        {"configured": provider is not None, "last_check_ok": ok if checked else None, **(_who(checked) or {})},
    )

    pilots = events(RolloutStep.pilot_started)
    pilot = pilots[0] if pilots else None
    pilot_entries = _entries_in(pilot.unit_codes, pilot.on_date) if pilot else 0
    steps["pilot_running"] = (
        pilot is not None and pilot.on_date <= today and pilot_entries > 0,
        {
            "start": pilot.on_date if pilot else None,
            "units": pilot.unit_codes if pilot else [],
            "entries_logged": pilot_entries,
        },
    )

    calibrated = 0
    if pilot:
        calibrated = db.session.scalar(
            select(func.count())
            .select_from(CatalogItemVersion)
            .where(
                CatalogItemVersion.state == VersionState.approved,
                CatalogItemVersion.number > 1,
                CatalogItemVersion.valid_from > pilot.on_date,
            )
        )
    steps["norms_calibrated"] = (calibrated > 0, {"new_versions_since_pilot": calibrated})

    starts = events(RolloutStep.official_start)
    start = starts[-1] if starts else None
    steps["official_start"] = (start is not None and start.on_date <= today, {"date": start.on_date if start else None})

    extensions = events(RolloutStep.extension)
    steps["extension"] = (
        any(e.on_date <= today for e in extensions),
        {"extensions": [{"date": e.on_date, "units": e.unit_codes} for e in extensions]},
    )
    done = [key for key, _, _ in STEPS if steps[key][0]]
    return {
        "tenant": tenant.slug,
        "status": str(tenant.status),
        "status_by_rollout": str(status_for(today)),
        "steps": [
            {"step": key, "title_vi": vi, "title_en": en, "done": steps[key][0], "evidence": plain(steps[key][1])}
            for key, vi, en in STEPS
        ],
        "done": len(done),
        "total": len(STEPS),
    }


def checklist_for(tenant_id: uuid.UUID, today: date) -> dict:
    from kpi_platform.context import tenant_scope

    with tenant_scope(tenant_id):
        return checklist(today)
