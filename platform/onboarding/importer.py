"""Importing a valid pack into the current tenant: what would be created, changed, left alone or
retired (the plan, which is all a dry run does), then the same done in one transaction.

Rows are keyed by their codes, so importing the same pack twice changes nothing. New rows go in
with one multi-row INSERT per table; the few that change go through the services (they keep the
effective-dated history). Changes take effect on `today` (the import day) unless the pack says a
later day.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert, or_, select, update

from kpi_platform.audit import service as audit
from kpi_platform.benchmarking import service as benchmarking
from kpi_platform.catalog import service as catalog
from kpi_platform.catalog.models import (
    CatalogItem,
    CatalogItemVersion,
    ItemStatus,
    JobDescription,
    JobDescriptionLine,
    JobDescriptionVersion,
    VersionState,
)
from kpi_platform.catalog.service import VERSION_FIELDS
from kpi_platform.context import require_tenant_id
from kpi_platform.db import db, utcnow
from kpi_platform.identity import service as identity
from kpi_platform.identity.models import Principal
from kpi_platform.onboarding.models import RolloutEvent, RolloutStep
from kpi_platform.onboarding.validate import Pack
from kpi_platform.org import service as org
from kpi_platform.org.models import (
    Assignment,
    EmploymentKind,
    JobPosition,
    Official,
    OfficialStatus,
    OrgUnit,
    OrgUnitVersion,
    PositionCategory,
    UnitHead,
)
from kpi_platform.tenant_settings import service as tenant_settings
from kpi_platform.vietnamese import fold

SAMPLE = 20  # codes listed per action in a report
Progress = Callable[[str, int, int], None]


@dataclass
class Report:
    counts: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    samples: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))

    def add(self, part: str, action: str, code: str) -> None:
        self.counts[part][action] += 1
        if len(self.samples[part][action]) < SAMPLE:
            self.samples[part][action].append(code)

    def as_dict(self) -> dict:
        return {
            part: {**dict(actions), "examples": {a: self.samples[part][a] for a in actions if a != "unchanged"}}
            for part, actions in self.counts.items()
        }

    @property
    def changes(self) -> int:
        return sum(n for actions in self.counts.values() for a, n in actions.items() if a != "unchanged")


class _Import:
    def __init__(self, pack: Pack, *, dry_run: bool, by, today: date, origin: str, progress: Progress | None):
        self.pack, self.dry_run, self.by, self.today, self.origin = pack, dry_run, by, today, origin
        self.by_id = by.id if by is not None else None  # None: the command line, with no account
        self.progress = progress or (lambda phase, done, total: None)
        self.tenant_id = require_tenant_id()
        self.report = Report()
        self.unit_ids = dict(db.session.execute(select(OrgUnit.code, OrgUnit.id)).all())
        self.position_ids = dict(db.session.execute(select(JobPosition.code, JobPosition.id)).all())
        self.official_ids = dict(db.session.execute(select(Official.staff_code, Official.id)).all())
        self.item_ids = dict(db.session.execute(select(CatalogItem.code, CatalogItem.id)).all())

    # ------------------------------------------------------------ helpers

    def _insert(self, model, rows: list[dict]) -> None:
        if rows and not self.dry_run:
            # render_nulls: without it SQLAlchemy leaves out the None keys and splits the batch into
            # runs of rows with the same keys (a sometimes-empty email made it ~4 rows per INSERT).
            db.session.execute(
                insert(model).execution_options(render_nulls=True),
                [{"tenant_id": self.tenant_id, **row} for row in rows],
            )

    def _update(self, model, rows: list[dict]) -> None:
        """ORM bulk UPDATE by primary key (tenant_id, id)."""
        if rows and not self.dry_run:
            db.session.execute(update(model), [{"tenant_id": self.tenant_id, **row} for row in rows])

    def _effective(self, wanted: date | None, after: date | None) -> date:
        """A change's first day: the pack's, or the import day, and after `after` in any case."""
        day = wanted if wanted and wanted > self.today else self.today
        if after is not None and day <= after:
            day = after + timedelta(days=1)
        return day

    # ------------------------------------------------------------ parts

    def settings(self) -> None:
        document = self.pack.settings
        if not document:
            return
        complexity = document.get("complexity")
        if complexity:
            wanted = {level["code"]: Decimal(level["coefficient"]) for level in complexity}
            current = {level["code"]: Decimal(str(level["coefficient"])) for level in catalog.complexity_levels()}
            stored = bool(db.session.scalar(select(catalog.ComplexityLevel.code).limit(1)))
            if wanted == current and stored:
                self.report.add("complexity", "unchanged", "table")
            else:
                self.report.add("complexity", "change", "table")
                if not self.dry_run:
                    catalog.set_complexity_levels(
                        [{k: level[k] for k in ("code", "name_vi", "name_en", "coefficient")} for level in complexity]
                    )
        rest = {k: val for k, val in document.items() if k not in ("complexity", "valid_from")}
        same = not tenant_settings.would_change(rest, valid_from=document["valid_from"])
        self.report.add("settings", "unchanged" if same else "change", document["valid_from"].isoformat())
        if not same and not self.dry_run:
            tenant_settings.save(rest, valid_from=document["valid_from"], by=self.by, origin=self.origin)

    def units(self) -> None:
        rows = self.pack.units
        if not rows:
            return
        current = {
            unit_id: version
            for unit_id, version in db.session.execute(
                select(OrgUnitVersion.unit_id, OrgUnitVersion).order_by(OrgUnitVersion.valid_from)
            )
        }
        new_units, new_versions = [], []
        for number, row in enumerate(rows, start=1):
            parent_id = self.unit_ids.get(row["parent_code"]) if row.get("parent_code") else None
            unit_id = self.unit_ids.get(row["code"])
            if unit_id is None:
                unit_id = uuid.uuid4()
                self.unit_ids[row["code"]] = unit_id
                new_units.append({"id": unit_id, "code": row["code"], "created_at": utcnow()})
                new_versions.append(
                    {
                        "id": uuid.uuid4(),
                        "unit_id": unit_id,
                        "name_vi": row["name_vi"],
                        "kind": row["kind"],
                        "parent_id": parent_id,
                        "valid_from": row["valid_from"],
                        "change_reason": f"Nhập từ gói {self.pack.name}",
                    }
                )
                self.report.add("units", "create", row["code"])
                continue
            version = current.get(unit_id)
            changes = {
                name: value
                for name, value in (("name_vi", row["name_vi"]), ("kind", row["kind"]), ("parent_id", parent_id))
                if version is None or getattr(version, name) != value
            }
            if not changes:
                self.report.add("units", "unchanged", row["code"])
                continue
            self.report.add("units", "change", row["code"])
            if not self.dry_run:
                org.change_unit(
                    unit_id,
                    effective_date=self._effective(None, version.valid_from if version else None),
                    reason=f"Nhập từ gói {self.pack.name}",
                    **changes,
                )
            self.progress("units", number, len(rows))
        self._insert(OrgUnit, new_units)
        self._insert(OrgUnitVersion, new_versions)
        self.progress("units", len(rows), len(rows))

    def positions(self) -> None:
        existing = {p.code: p for p in db.session.scalars(select(JobPosition))}
        new = []
        for row in self.pack.positions:
            position = existing.get(row["code"])
            kinds = sorted(set(row["unit_kinds"]))
            if position is None:
                position_id = uuid.uuid4()
                self.position_ids[row["code"]] = position_id
                new.append(
                    {
                        "id": position_id,
                        "code": row["code"],
                        "name_vi": row["name_vi"],
                        "category": PositionCategory(row["category"]),
                        "unit_kinds": kinds,
                        "created_at": utcnow(),
                    }
                )
                self.report.add("positions", "create", row["code"])
            elif (position.name_vi, str(position.category), sorted(position.unit_kinds or [])) != (
                row["name_vi"],
                row["category"],
                kinds,
            ):
                self.report.add("positions", "change", row["code"])
                if not self.dry_run:
                    org.update_position(
                        position.id, {"name_vi": row["name_vi"], "category": row["category"], "unit_kinds": kinds}
                    )
            else:
                self.report.add("positions", "unchanged", row["code"])
        self._insert(JobPosition, new)

    def officials(self) -> None:
        rows = self.pack.officials
        if not rows:
            return
        # Plain rows, not ORM objects: a re-import compares tens of thousands of them.
        existing = {
            o.staff_code: o
            for o in db.session.execute(
                select(Official.id, Official.staff_code, Official.full_name, Official.email, Official.employment_kind)
            )
        }
        # Each official's primary post from today on (the current one, or one that starts later).
        primary = {
            a.official_id: a
            for a in db.session.execute(
                select(Assignment.official_id, Assignment.unit_id, Assignment.position_id, Assignment.valid_from)
                .where(Assignment.is_primary, or_(Assignment.valid_to.is_(None), Assignment.valid_to > self.today))
                .order_by(Assignment.valid_from)
            )
        }
        new_officials, new_assignments = [], []
        for number, row in enumerate(rows, start=1):
            names = org._official_fields(row["full_name"])
            unit_id, position_id = self.unit_ids[row["unit_code"]], self.position_ids[row["position_code"]]
            official = existing.get(row["staff_code"])
            if official is None:
                official_id = uuid.uuid4()
                self.official_ids[row["staff_code"]] = official_id
                now = utcnow()
                new_officials.append(
                    {
                        "id": official_id,
                        "staff_code": row["staff_code"],
                        "email": row.get("email"),
                        "employment_kind": EmploymentKind(row["employment_kind"]),
                        "status": OfficialStatus.active,
                        "created_at": now,
                        "updated_at": now,
                        **names,
                    }
                )
                new_assignments.append(
                    {
                        "id": uuid.uuid4(),
                        "official_id": official_id,
                        "unit_id": unit_id,
                        "position_id": position_id,
                        "is_primary": True,
                        "share": row["share"],
                        "valid_from": row["valid_from"],
                    }
                )
                self.report.add("officials", "create", row["staff_code"])
            else:
                changed = False
                fields = {
                    "full_name": names["full_name"],
                    "email": row.get("email"),
                    "employment_kind": row["employment_kind"],
                }
                if (official.full_name, official.email, str(official.employment_kind)) != tuple(fields.values()):
                    changed = True
                    if not self.dry_run:
                        org.update_official(official.id, fields)
                post = primary.get(official.id)
                if post is None or (post.unit_id, post.position_id) != (unit_id, position_id):
                    changed = True
                    if not self.dry_run:
                        effective = self._effective(row["valid_from"], post.valid_from if post else None)
                        if post is None:
                            org.add_assignment(
                                official.id, unit_id=unit_id, position_id=position_id, valid_from=effective
                            )
                        else:
                            org.transfer_official(
                                official.id, unit_id=unit_id, position_id=position_id, effective_date=effective
                            )
                self.report.add("officials", "change" if changed else "unchanged", row["staff_code"])
            if number % 1000 == 0:
                self.progress("officials", number, len(rows))
        self._insert(Official, new_officials)
        self._insert(Assignment, new_assignments)
        self.progress("officials", len(rows), len(rows))

    def heads_and_reviewers(self) -> None:
        """A unit's first head starts with the unit's own first day in the pack; a later change of
        head starts on the import day (the past heads stay on record)."""
        latest = {  # each unit's latest headship: the head as the pack describes it, now or from a later day
            h.unit_id: h for h in db.session.scalars(select(UnitHead).order_by(UnitHead.valid_from))
        }
        first_heads = []
        for row in self.pack.units:
            wanted = self.official_ids.get(row["head_staff_code"]) if row.get("head_staff_code") else None
            unit_id = self.unit_ids.get(row["code"])
            current = latest.get(unit_id)
            if wanted is None or (current is not None and current.official_id == wanted and current.valid_to is None):
                continue
            self.report.add("unit_heads", "change", row["code"])
            if unit_id is None:  # a unit a dry run would create
                continue
            if current is None:
                first_heads.append({"id": uuid.uuid4(), "unit_id": unit_id, "official_id": wanted,
                                    "valid_from": row["valid_from"], "valid_to": None})  # fmt: skip
            elif not self.dry_run:
                org.set_unit_head(unit_id, wanted, effective_date=max(self.today, current.valid_from))
        self._insert(UnitHead, first_heads)
        reviewers = dict(db.session.execute(select(Official.staff_code, Official.reviewer_id)).all())
        updates = []
        for row in self.pack.officials:
            wanted = self.official_ids.get(row["reviewer_staff_code"]) if row.get("reviewer_staff_code") else None
            if wanted is not None and reviewers.get(row["staff_code"]) != wanted:
                updates.append({"id": self.official_ids[row["staff_code"]], "reviewer_id": wanted})
                self.report.add("reviewers", "change", row["staff_code"])
        self._update(Official, updates)

    def concurrent_posts(self) -> None:
        held = {
            (a.official_id, a.unit_id, a.position_id)
            for a in db.session.execute(
                select(Assignment.official_id, Assignment.unit_id, Assignment.position_id).where(
                    Assignment.is_primary.is_(False)
                )
            )
        }
        new = []
        for row in self.pack.posts:
            key = (
                self.official_ids[row["staff_code"]],
                self.unit_ids[row["unit_code"]],
                self.position_ids[row["position_code"]],
            )
            code = f"{row['staff_code']}@{row['unit_code']}"
            if key in held:
                self.report.add("concurrent_posts", "unchanged", code)
                continue
            held.add(key)
            new.append(
                {
                    "id": uuid.uuid4(),
                    "official_id": key[0],
                    "unit_id": key[1],
                    "position_id": key[2],
                    "is_primary": False,
                    "share": row["share"],
                    "valid_from": row["valid_from"],
                }
            )
            self.report.add("concurrent_posts", "create", code)
        self._insert(Assignment, new)

    # ------------------------------------------------------------ catalog and job descriptions

    @property
    def _approval(self) -> dict | None:
        return (self.pack.catalog or {}).get("approval")

    def _decision_note(self) -> str | None:
        approval = self._approval
        return f"{approval['decision']} ngày {approval['date']:%d/%m/%Y}" if approval else None

    def _version_state(self) -> dict:
        """Approved under the pack's decision, or submitted for approval in the platform."""
        now = utcnow()
        if self._approval:
            return {
                "state": VersionState.approved,
                "submitted_by": self.by_id,
                "submitted_at": now,
                "decided_by": self.by_id,
                "decided_at": now,
            }
        return {"state": VersionState.submitted, "submitted_by": self.by_id, "submitted_at": now}

    def catalog(self) -> None:
        document = self.pack.catalog
        if not document:
            return
        coefficients = {level["code"]: Decimal(str(level["coefficient"])) for level in catalog.complexity_levels()}
        if self.pack.settings and self.pack.settings.get("complexity"):
            coefficients = {l["code"]: Decimal(l["coefficient"]) for l in self.pack.settings["complexity"]}  # noqa: E741
        items = {i.code: i for i in db.session.scalars(select(CatalogItem))}
        latest = {}
        for version in db.session.scalars(select(CatalogItemVersion).order_by(CatalogItemVersion.number)):
            latest[version.item_id] = version
        approved_latest = {}
        for version in db.session.scalars(
            select(CatalogItemVersion)
            .where(CatalogItemVersion.state == VersionState.approved)
            .order_by(CatalogItemVersion.number)
        ):
            approved_latest[version.item_id] = version
        state = self._version_state()
        status = ItemStatus.approved if self._approval else ItemStatus.submitted
        note = self._decision_note()
        new_items, new_versions, ended = [], [], []
        for row in document["items"]:
            values = {name: row.get(name) for name in VERSION_FIELDS}
            values["norm_minutes"] = Decimal(row["norm_minutes"]).quantize(Decimal("0.01"))
            values["complexity_coefficient"] = coefficients[row["complexity"]]
            item = items.get(row["code"])
            if item is None:
                item_id = uuid.uuid4()
                self.item_ids[row["code"]] = item_id
                new_items.append(
                    {
                        "id": item_id,
                        "code": row["code"],
                        "item_group": row["group"],
                        "agency_id": self.unit_ids.get(row["agency"]) if row.get("agency") else None,
                        "status": status,
                        "name_vi": row["name_vi"],
                        "field": row.get("field"),
                        "search_text": fold(f"{row['code']} {row['name_vi']}"),
                        "origin": self.origin,
                        "created_at": utcnow(),
                    }
                )
                new_versions.append(
                    {
                        "id": uuid.uuid4(),
                        "item_id": item_id,
                        "number": 1,
                        "valid_from": document["valid_from"],
                        "created_by": self.by_id,
                        "change_note": note,
                        **values,
                        **state,
                    }
                )
                self.report.add("catalog_items", "create", row["code"])
                continue
            last = latest[item.id]
            current = {name: getattr(last, name) for name in (*VERSION_FIELDS, "complexity_coefficient")}
            if {k: _same(v) for k, v in current.items()} == {k: _same(v) for k, v in values.items()}:
                self.report.add("catalog_items", "unchanged", row["code"])
                continue
            self.report.add("catalog_items", "change", row["code"])
            if self.dry_run:
                continue
            if last.state != VersionState.approved:  # a pending version: it takes the pack's values
                for name, value in values.items():
                    setattr(last, name, value)
                last.state, last.submitted_by, last.submitted_at = state["state"], self.by_id, utcnow()
                if self._approval:
                    previous = approved_latest.get(item.id)
                    last.decided_by, last.decided_at = self.by_id, utcnow()
                    if previous is not None:
                        previous.valid_to = last.valid_from
                    item.status = ItemStatus.approved
                continue
            valid_from = self._effective(document["valid_from"], last.valid_from)
            new_versions.append(
                {
                    "id": uuid.uuid4(),
                    "item_id": item.id,
                    "number": last.number + 1,
                    "valid_from": valid_from,
                    "created_by": self.by_id,
                    "change_note": note,
                    **values,
                    **state,
                }
            )
            if self._approval:
                ended.append({"id": last.id, "valid_to": valid_from})
                item.name_vi, item.field = values["name_vi"], values["field"]
                item.search_text = fold(f"{item.code} {values['name_vi']}")
        # Items this pack brought earlier and no longer lists are retired from today.
        listed = {row["code"] for row in document["items"]}
        for code, item in items.items():
            if item.origin == self.origin and code not in listed and item.status == ItemStatus.approved:
                self.report.add("catalog_items", "retire", code)
                last = approved_latest[item.id]
                if not self.dry_run and last.valid_from < self.today:
                    # The pack is the decision here, so the service's approver check does not apply.
                    item.status, item.retired_on = ItemStatus.retired, self.today
                    item.retire_reason = f"Không còn trong gói {self.pack.name}"
                    last.valid_to = min(last.valid_to or self.today, self.today)
                    audit.record("catalog.item.retire", "catalog_item", item.id, after={"code": code, "by": "import"})
        self._insert(CatalogItem, new_items)
        if not self.dry_run:
            db.session.flush()
        self._update(CatalogItemVersion, ended)
        self._insert(CatalogItemVersion, new_versions)
        if self._approval and not self.dry_run and (new_versions or ended):
            audit.record(
                "catalog.import.approved",
                "catalog",
                None,
                after={"decision": note, "versions": len(new_versions), "pack": self.pack.name},
            )

    def job_descriptions(self) -> None:
        if not self.pack.lines:
            return
        wanted: dict[tuple, dict] = defaultdict(dict)
        for row in self.pack.lines:
            volume = row.get("expected_monthly_volume")
            wanted[(row["position_code"], row.get("agency_code"))][self.item_ids[row["item_code"]]] = (
                Decimal(volume).quantize(Decimal("0.01")) if volume is not None else None
            )
        existing = {(jd.position_id, jd.agency_id): jd for jd in db.session.scalars(select(JobDescription))}
        latest = {}
        for version in db.session.scalars(select(JobDescriptionVersion).order_by(JobDescriptionVersion.number)):
            latest[version.job_description_id] = version
        current_lines: dict = defaultdict(dict)
        if latest:
            for line in db.session.execute(
                select(
                    JobDescriptionLine.version_id,
                    JobDescriptionLine.item_id,
                    JobDescriptionLine.expected_monthly_volume,
                ).where(JobDescriptionLine.version_id.in_([v.id for v in latest.values()]))
            ):
                current_lines[line.version_id][line.item_id] = (
                    Decimal(line.expected_monthly_volume).quantize(Decimal("0.01"))
                    if line.expected_monthly_volume is not None
                    else None
                )
        state = self._version_state()
        valid_from = (self.pack.catalog or {}).get("valid_from") or self.today
        new_jds, new_versions, new_lines, ended = [], [], [], []
        for done, ((position_code, agency_code), lines) in enumerate(
            sorted(wanted.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")), start=1
        ):
            position_id = self.position_ids[position_code]
            agency_id = self.unit_ids[agency_code] if agency_code else None
            code = f"{position_code}/{agency_code or '*'}"
            jd = existing.get((position_id, agency_id))
            if jd is None:
                jd_id, number, starts = uuid.uuid4(), 1, valid_from
                new_jds.append(
                    {
                        "id": jd_id,
                        "position_id": position_id,
                        "agency_id": agency_id,
                        "origin": self.origin,
                        "created_at": utcnow(),
                    }
                )
                self.report.add("job_descriptions", "create", code)
            else:
                last = latest[jd.id]
                if current_lines[last.id] == lines:
                    self.report.add("job_descriptions", "unchanged", code)
                    continue
                self.report.add("job_descriptions", "change", code)
                jd_id, number = jd.id, last.number + 1
                starts = self._effective(valid_from, last.valid_from)
                if last.state != VersionState.approved:
                    ended.append(("pending", last))
                elif self._approval:
                    ended.append(("approved", last, starts))
            version_id = uuid.uuid4()
            new_versions.append(
                {
                    "id": version_id,
                    "job_description_id": jd_id,
                    "number": number,
                    "valid_from": starts,
                    "created_by": self.by_id,
                    **state,
                }
            )
            new_lines += [
                {"version_id": version_id, "item_id": item_id, "expected_monthly_volume": volume}
                for item_id, volume in lines.items()
            ]
            if done % 500 == 0:
                self.progress("job_descriptions", done, len(wanted))
        if self.dry_run:
            return
        for entry in ended:
            if entry[0] == "pending":  # replaced by the pack's version
                db.session.execute(
                    JobDescriptionLine.__table__.delete().where(
                        JobDescriptionLine.tenant_id == self.tenant_id, JobDescriptionLine.version_id == entry[1].id
                    )
                )
                db.session.delete(entry[1])
            else:
                entry[1].valid_to = entry[2]
        db.session.flush()
        self._insert(JobDescription, new_jds)
        self._insert(JobDescriptionVersion, new_versions)
        self._insert(JobDescriptionLine, new_lines)
        self.progress("job_descriptions", len(wanted), len(wanted))

    # ------------------------------------------------------------ accounts and rollout

    def accounts(self) -> None:
        principals = {p.email: p for p in db.session.scalars(select(Principal))}
        for row in self.pack.accounts:
            principal = principals.get(row["email"])
            if principal is None:
                self.report.add("accounts", "create", row["email"])
                if not self.dry_run:
                    principal = identity.create_principal(
                        email=row["email"], display_name=row["display_name"], roles=row["roles"]
                    )
            elif sorted(principal.roles) != sorted(row["roles"]) or principal.display_name != row["display_name"]:
                self.report.add("accounts", "change", row["email"])
                if not self.dry_run:
                    identity.update_principal(
                        principal.id, {"roles": row["roles"], "display_name": row["display_name"]}
                    )
            else:
                self.report.add("accounts", "unchanged", row["email"])
            if row.get("staff_code") and not self.dry_run:
                official = db.session.get(Official, (self.tenant_id, self.official_ids[row["staff_code"]]))
                if official.principal_id != principal.id:
                    official.principal_id = principal.id
                    self.report.add("account_links", "change", row["staff_code"])
        if not self.dry_run:
            db.session.flush()

    def benchmarking(self) -> None:
        """The mapping to the national taxonomy: rows keyed by (subject, code, dimension)."""
        if not self.pack.mappings:
            return
        actions = benchmarking.apply_mappings(self.pack.mappings, by=self.by, dry_run=self.dry_run)
        for action, keys in actions.items():
            for key in keys:
                self.report.add("benchmarking", action, key)

    def rollout(self) -> None:
        plan = self.pack.rollout
        if not plan:
            return
        wanted = []
        if plan.get("pilot"):
            wanted.append((RolloutStep.pilot_started, plan["pilot"]["start"], plan["pilot"]["units"]))
        if plan.get("official_start"):
            wanted.append((RolloutStep.official_start, plan["official_start"], []))
        for extension in plan.get("extensions") or []:
            wanted.append((RolloutStep.extension, extension["date"], extension["units"]))
        have = {(e.step, e.on_date) for e in db.session.scalars(select(RolloutEvent))}
        new = []
        for step, day, units in wanted:
            key = f"{step}:{day.isoformat()}"
            if (step, day) in have:
                self.report.add("rollout", "unchanged", key)
                continue
            self.report.add("rollout", "create", key)
            new.append(
                {
                    "id": uuid.uuid4(),
                    "step": step,
                    "on_date": day,
                    "unit_codes": list(units),
                    "note": f"Theo gói {self.pack.name}",
                    "recorded_by": self.by_id,
                    "recorded_at": utcnow(),
                }
            )
        self._insert(RolloutEvent, new)

    def run(self) -> Report:
        steps = (
            ("settings", self.settings),
            ("units", self.units),
            ("positions", self.positions),
            ("officials", self.officials),
            ("units", self.heads_and_reviewers),
            ("concurrent_posts", self.concurrent_posts),
            ("catalog", self.catalog),
            ("job_descriptions", self.job_descriptions),
            ("accounts", self.accounts),
            ("benchmarking", self.benchmarking),
            ("rollout", self.rollout),
        )
        for index, (phase, step) in enumerate(steps, start=1):
            self.progress(phase, 0, 0)
            step()
            if not self.dry_run:
                db.session.flush()
            self.progress("parts", index, len(steps))
        if not self.dry_run and self.report.changes:
            audit.record(
                "onboarding.import",
                "pack",
                None,
                after={"pack": self.pack.name, "origin": self.origin, "counts": _plain_counts(self.report)},
            )
        return self.report


def _same(value):
    """Compare stored and pack values alike: numbers as Decimals, blanks as None."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return Decimal(str(value)).normalize()
    return value if value not in ("",) else None


def _plain_counts(report: Report) -> dict:
    return {part: dict(actions) for part, actions in report.counts.items()}


def import_pack(
    pack: Pack,
    *,
    by,
    today: date,
    dry_run: bool = False,
    origin: str | None = None,
    progress: Progress | None = None,
) -> Report:
    """Import (or with dry_run, only plan) a validated pack into the current tenant. The caller commits."""
    work = _Import(pack, dry_run=dry_run, by=by, today=today, origin=origin or f"pack:{pack.name}", progress=progress)
    return work.run()
