"""Onboarding: validate and import packs (now, or as a job in Celery with progress), create a tenant
from the reference pack, absorb a merged province. No Flask here."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from kpi_platform.audit import service as audit
from kpi_platform.context import require_tenant_id, tenant_scope
from kpi_platform.db import db, separate_session, utcnow
from kpi_platform.errors import Invalid, NotFound
from kpi_platform.identity import service as identity
from kpi_platform.jobs import service as jobs
from kpi_platform.onboarding import importer, source
from kpi_platform.onboarding.models import ImportJob, JobStatus
from kpi_platform.onboarding.rollout import follow_status
from kpi_platform.onboarding.validate import FILE_OF_PART, Existing, Pack, validate
from kpi_platform.org import service as org
from kpi_platform.tenancy import service as tenancy

log = logging.getLogger(__name__)
PARTS = tuple(FILE_OF_PART)
TEMPLATE_PARTS = {"settings", "catalog"}  # what "start from a template" takes: tables, weights, catalog A/B/D


@dataclass
class Outcome:
    ok: bool
    problems: list[dict]
    report: dict | None = None
    changes: int = 0

    def as_dict(self) -> dict:
        return {"ok": self.ok, "problems": self.problems, "plan": self.report, "changes": self.changes}


def parts_from(text: str | None) -> set[str] | None:
    if not text:
        return None
    parts = {p.strip() for p in text.split(",") if p.strip()}
    unknown = parts - set(PARTS)
    if unknown:
        raise Invalid(
            f"Phần lạ: {', '.join(sorted(unknown))} (có: {', '.join(PARTS)}).",
            f"Unknown parts: {', '.join(sorted(unknown))} (known: {', '.join(PARTS)}).",
            fields={"only": ["unknown part"]},
        )
    return parts


def read(path_or_bytes, name: str | None = None, *, max_rows: int = source.DEFAULT_MAX_ROWS) -> source.RawPack:
    """A folder path, or the bytes of a .zip or .xlsx upload; at most max_rows rows per table."""
    if isinstance(path_or_bytes, Path):
        return source.from_folder(path_or_bytes, max_rows)
    name = name or "upload"
    if name.lower().endswith(".xlsx"):
        return source.from_workbook(path_or_bytes, name, max_rows)
    return source.from_zip(path_or_bytes, name, max_rows)


def check(raw: source.RawPack, *, only: set[str] | None = None, tenant_slug: str | None = None) -> Pack:
    if raw.unreadable:  # its problems say why; checking the rest would only add noise
        return Pack(name=raw.name)
    pack = validate(raw, Existing.load(), only=only)
    if tenant_slug and pack.tenant and pack.tenant["slug"] != tenant_slug:
        raw.problem(
            "tenant.yaml",
            raw.documents["tenant.yaml"].get("__line__"),
            "slug",
            "wrong_tenant",
            f"Gói dành cho '{pack.tenant['slug']}', không phải '{tenant_slug}'.",
            f"The pack is for '{pack.tenant['slug']}', not '{tenant_slug}'.",
        )
    return pack


def run(
    raw: source.RawPack,
    *,
    by,
    today: date,
    dry_run: bool = False,
    only: set[str] | None = None,
    tenant_slug: str | None = None,
    origin: str | None = None,
    progress=None,
    then=None,
) -> Outcome:
    """Validate everything, then import all of it or nothing. Commits unless dry_run or invalid.
    `then(report)` runs after the import, inside the same transaction (absorbing a province uses it)."""
    pack = check(raw, only=only, tenant_slug=tenant_slug)
    problems = sorted((p.as_dict() for p in raw.problems), key=lambda p: (p["file"], p["line"] or 0, p["column"] or ""))
    if problems:
        db.session.rollback()
        return Outcome(ok=False, problems=problems)
    try:
        report = importer.import_pack(pack, by=by, today=today, dry_run=dry_run, origin=origin, progress=progress)
        extra = then(report) if then and not dry_run else None
    except Exception:
        db.session.rollback()
        raise
    if dry_run:
        db.session.rollback()
        audit.record("onboarding.validate", "pack", None, after={"pack": raw.name, "counts": report.as_dict()})
    db.session.commit()
    if not dry_run:
        follow_status(today)  # the tenant registry commits on its own connection, after the import
    outcome = Outcome(ok=True, problems=[], report=report.as_dict(), changes=report.changes)
    if extra:
        outcome.report = {**outcome.report, **extra}
    return outcome


# ---------------------------------------------------------------- jobs (uploads, run in Celery)


def create_job(*, source_name: str, archive: bytes, dry_run: bool, only: set[str] | None, by) -> ImportJob:
    job = ImportJob(
        source_name=source_name[:300],
        archive=archive,
        dry_run=dry_run,
        options={"only": sorted(only) if only else None},
        created_by=by.id,
        progress={"phase": "queued", "done": 0, "total": 0},
    )
    db.session.add(job)
    db.session.flush()
    return job


def start_import(*, source_name: str, archive: bytes, dry_run: bool, only: set[str] | None, by):
    """An import job and the background job that runs it, in the caller's transaction: the caller
    commits, then hands it over (jobs.dispatch). Returns (import job, background job)."""
    job = create_job(source_name=source_name, archive=archive, dry_run=dry_run, only=only, by=by)
    label = f"{'check' if dry_run else 'import'} {job.source_name}"
    return job, jobs.schedule("onboarding.run_import_job", label=label[:120], by=by, import_job_id=str(job.id))


def get_job(job_id: uuid.UUID) -> ImportJob:
    job = db.session.get(ImportJob, (require_tenant_id(), job_id))
    if job is None:
        raise NotFound("Không tìm thấy lượt nhập.", "Import job not found.")
    return job


def list_jobs():
    return select(ImportJob).order_by(ImportJob.created_at.desc())


def _save_progress(job_id: uuid.UUID, phase: str, done: int, total: int) -> None:
    """Written and committed on a session of its own, so the API sees it while the import runs."""
    with separate_session():
        job = db.session.get(ImportJob, (require_tenant_id(), job_id))
        job.progress = {"phase": phase, "done": done, "total": total}
        db.session.commit()


def run_job(job_id: uuid.UUID, *, today: date, max_rows: int = source.DEFAULT_MAX_ROWS) -> ImportJob:
    job = get_job(job_id)
    if job.status not in (JobStatus.queued, JobStatus.running):  # running: a worker died in it, rolled back
        return job
    job.status, job.started_at = JobStatus.running, utcnow()
    archive, name, dry_run = job.archive, job.source_name, job.dry_run
    only = set(job.options.get("only") or []) or None
    by = identity.get_principal(job.created_by)
    slug = tenancy.get_tenant(require_tenant_id()).slug
    db.session.commit()
    try:
        outcome = run(
            read(archive, name, max_rows=max_rows),
            by=by,
            today=today,
            dry_run=dry_run,
            only=only,
            tenant_slug=slug,
            progress=lambda phase, done, total: _save_progress(job_id, phase, done, total),
        )
        status = JobStatus.succeeded if outcome.ok else JobStatus.invalid
        report = outcome.as_dict()
    except Exception as error:  # the import rolled back; the job says so instead of staying "running"
        log.exception("import job %s failed", job_id)
        db.session.rollback()
        failure = source.Problem(
            name,
            None,
            None,
            "import_failed",
            "Không nhập được gói do lỗi hệ thống; không có gì thay đổi. Hãy thử lại hoặc báo bộ phận hỗ trợ.",
            "The pack could not be imported because of a system error; nothing changed. Try again or tell support.",
        )
        status = JobStatus.failed
        report = {"ok": False, "problems": [failure.as_dict()], "error": type(error).__name__}
    job = get_job(job_id)
    job.status, job.report, job.finished_at, job.archive = status, report, utcnow(), None
    job.progress = {**(job.progress or {}), "phase": "finished"}
    db.session.commit()
    return job


# ---------------------------------------------------------------- a new tenant from a pack


def create_tenant(*, first_admin: dict | None = None, **fields):
    """A new tenant (the registry's fields) and, in the same transaction, its first provincial admin."""

    def with_admin(session, tenant) -> None:
        if first_admin:
            identity.create_principal_in(
                session,
                tenant,
                email=first_admin["email"],
                display_name=first_admin["display_name"],
                roles=["provincial_admin"],
            )

    return tenancy.create_tenant(**fields, then=with_admin)


def create_tenant_from(
    pack_path: Path,
    *,
    slug: str,
    name_vi: str | None = None,
    name_en: str | None = None,
    admin_email: str,
    admin_name: str,
    today_fn=None,
) -> tuple[object, Outcome]:
    """Create a tenant and its first provincial admin, then load the pack: the whole of it when the
    pack is the province's own (same slug), otherwise only what a template gives (tables, weights and
    the catalog's A/B/D items, arriving as submitted for the new province's own approval)."""
    raw = read(pack_path)
    spec = raw.documents.get("tenant.yaml") or {}
    own = spec.get("slug") == slug
    tenant = create_tenant(
        slug=slug,
        name_vi=name_vi or (spec.get("name_vi") if own else None) or slug,
        name_en=name_en or (spec.get("name_en") if own else None) or slug,
        kind=spec.get("kind", "province"),
        time_zone=spec.get("time_zone", "Asia/Ho_Chi_Minh"),
        first_admin={"email": admin_email, "display_name": admin_name},
    )
    with tenant_scope(tenant.id):
        admin = identity.find_principal_by_email(admin_email)
        today = (today_fn or tenancy.local_today)(tenant)
        if own:
            return tenant, run(raw, by=admin, today=today, tenant_slug=slug)
        catalog = raw.documents.get("catalog.yaml")
        if catalog and isinstance(catalog.get("items"), list):
            catalog["items"] = [i for i in catalog["items"] if not (isinstance(i, dict) and i.get("group") == "C")]
            catalog.pop("approval", None)
        return tenant, run(raw, by=admin, today=today, only=TEMPLATE_PARTS, origin=f"template:{raw.name}")


# ---------------------------------------------------------------- absorbing a merged province


def absorb(
    raw: source.RawPack,
    *,
    on: date,
    under: str,
    prefix: str = "",
    position_map: dict[str, str] | None = None,
    by,
    today: date,
    dry_run: bool = False,
) -> Outcome:
    """Bring another pack's units and people under this tenant: its tree is created with its own
    history (under its former root), then on `on` the former root's units move under `under` and the
    former root ends — as "as of" reports before `on` still show. Job positions map onto the host's
    (same code, or `position_map`); people whose position cannot be mapped are left out and listed."""
    position_map = position_map or {}
    host_positions = set(db.session.scalars(select(org.JobPosition.code)))
    host_units = set(db.session.scalars(select(org.OrgUnit.code)))
    host_staff = set(db.session.scalars(select(org.Official.staff_code)))
    if under not in host_units:
        raise Invalid(
            f"Không có đơn vị '{under}'.", f"No unit '{under}' in this tenant.", fields={"under": ["unknown"]}
        )
    for name in ("settings.yaml", "catalog.yaml", "rollout.yaml"):
        raw.documents.pop(name, None)
    for name in ("positions.csv", "job_descriptions.csv", "accounts.csv"):
        raw.tables.pop(name, None)
    unmapped: dict[str, list] = {}  # the pack's position code -> "file:line staff_code" left out
    dropped: set[str] = set()

    def mapped(row) -> bool:
        code = row.values.get("position_code", "")
        target = position_map.get(code, code)
        if target not in host_positions:
            unmapped.setdefault(code, []).append(f"{row.file}:{row.line} {row.values.get('staff_code', '')}")
            dropped.add(row.values.get("staff_code", ""))
            return False
        row.values["position_code"] = target
        return True

    roots = []
    for row in raw.tables.get("units.csv", []):
        for column in ("code", "parent_code"):
            if row.values.get(column):
                row.values[column] = prefix + row.values[column]
        if row.values["code"] in host_units:
            raw.problem(
                row.file,
                row.line,
                "code",
                "code_taken",
                "Mã đơn vị đã có ở tỉnh tiếp nhận; hãy dùng tiền tố.",
                "The unit code is taken in the host tenant; use a prefix.",
            )
        if not row.values.get("parent_code"):
            roots.append(row.values["code"])
    for name in ("officials.csv", "concurrent_posts.csv"):
        kept = []
        for row in raw.tables.get(name, []):
            row.values["unit_code"] = prefix + row.values.get("unit_code", "")
            if name == "officials.csv" and row.values.get("staff_code") in host_staff:
                raw.problem(
                    row.file,
                    row.line,
                    "staff_code",
                    "code_taken",
                    "Mã cán bộ đã có ở tỉnh tiếp nhận.",
                    "The staff code is taken in the host tenant.",
                )
            if mapped(row):
                kept.append(row)
        raw.tables[name] = kept
    for row in raw.tables.get("units.csv", []):
        if row.values.get("head_staff_code", "") in dropped:
            row.values["head_staff_code"] = ""

    def merge(report) -> dict:
        children = [
            row.values["code"] for row in raw.tables.get("units.csv", []) if row.values.get("parent_code") in roots
        ]
        summary = org.reorganise(
            effective_date=on,
            reason=f"Tiếp nhận {raw.name} từ ngày {on:%d/%m/%Y}",
            moves=[{"unit": code, "parent": under} for code in children],
            dissolves=roots,
        )
        return {"merge": summary}

    outcome = run(
        raw,
        by=by,
        today=today,
        dry_run=dry_run,
        only={"units", "officials", "concurrent_posts"},
        origin=f"absorb:{raw.name}",
        then=merge,
    )
    outcome.report = {**(outcome.report or {}), "unmapped_positions": unmapped} if outcome.ok else outcome.report
    if outcome.ok and unmapped:
        outcome.problems = []
    return outcome
