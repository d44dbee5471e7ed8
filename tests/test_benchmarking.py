"""Benchmarking across provinces: the read model holds and shows aggregates only, never a person and
never a small group, and no small group can be recovered by subtracting published figures.

Four provinces (built through benchmarking.demo_data: the services, then scoring runs and the
refresh) with different profiles; every name in them carries a marker that must appear nowhere in
the read model or in any response. The differencing tests attack the published cells with an exact
(fractions) linear algebra of their own, and with the pairs of queries a person would try.
"""

from __future__ import annotations

import io
import itertools
import zipfile
from collections import Counter
from datetime import date
from fractions import Fraction

import pytest
from benchmarking_world import MARKER, MONTHS, K, World
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select, text

from kpi_platform.audit.models import AuditEntry
from kpi_platform.benchmarking import demo_data, suppression
from kpi_platform.benchmarking.models import ALL
from kpi_platform.context import SYSTEM_TENANT_ID, tenant_scope
from kpi_platform.db import db
from kpi_platform.org.models import Assignment, JobPosition, Official, OrgUnit
from kpi_platform.scoring.models import PeriodResult

API = "/api/v1/benchmarking"


@pytest.fixture
def world(benchmark_world) -> World:
    return benchmark_world


@pytest.fixture(scope="module")
def owner(pg):
    """A superuser (row-level security is forced even on the tables' owner)."""
    engine = create_engine(pg.superuser)
    yield engine
    engine.dispose()


def _published(owner, tenant_id, month) -> dict:
    """The stored cells of a tenant's month, read past row-level security: key -> headcount."""
    with owner.connect() as c:
        rows = c.execute(
            text(
                "select unit_kind, sector, position_category, staff_kind, headcount from benchmark_cells "
                "where tenant_id = :t and month = :m"
            ),
            {"t": tenant_id, "m": month},
        ).all()
    return {tuple(r[:4]): r[4] for r in rows}


def _true_finest(tenant_id, month) -> Counter:
    """Who is in which finest cell, worked out here from the fixture's own tables (not by the code
    under test): the unit's kind and sector from demo_data.UNITS, the position's category."""
    units = {code: (kind, parent, sector, override) for code, _, kind, parent, sector, override in demo_data.UNITS}
    kinds = {"province": "provincial_office", "agency": "provincial_agency", "commune": "commune"}
    kinds["public_service_unit"] = "public_service_unit"
    categories = {"LD": "leadership", "CV": "specialised", "CV-TH": "shared_professional", "VT": "support"}

    def unit_cell(code):
        kind, parent, sector, override = units[code]
        national = override or ("inherit" if kind == "division" else kinds[kind])
        if national == "inherit":
            national = unit_cell(parent)[0]
        if sector is None:
            sector = "multi_sector" if kind == "commune" else unit_cell(parent)[1]
        return national, sector

    with tenant_scope(tenant_id):
        rows = db.session.execute(
            select(OrgUnit.code, JobPosition.code, Official.employment_kind)
            .select_from(PeriodResult)
            .join(Official, Official.id == PeriodResult.official_id)
            .join(Assignment, (Assignment.official_id == Official.id) & Assignment.is_primary)
            .join(JobPosition, JobPosition.id == Assignment.position_id)
            .join(OrgUnit, OrgUnit.id == Assignment.unit_id)
            .where(PeriodResult.run_id.in_(select(_latest_run_id(month))))
        ).all()
        db.session.rollback()
    return Counter((*unit_cell(u), categories.get(p, "unmapped"), str(k)) for u, p, k in rows)


def _latest_run_id(month):
    from kpi_platform.scoring.models import PeriodRun  # noqa: PLC0415

    return (
        select(PeriodRun.id)
        .where(PeriodRun.kind == "month", PeriodRun.start == month, PeriodRun.status == "done")
        .order_by(PeriodRun.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )


def _all_levels(finest: Counter) -> Counter:
    counts = Counter()
    for key, n in finest.items():
        for margin in suppression.margins_of(key):
            counts[margin] += n
    return counts


class Attacker:
    """Exact linear algebra (fractions) over the published counts: which cells' counts are a
    combination of them? Unknowns: every non-empty finest cell (empty ones are known zeros)."""

    def __init__(self, published: dict, finest: Counter) -> None:
        self.columns = sorted(finest)
        self.basis: list[tuple[int, list]] = []  # (pivot column, row), reduced
        for cell in published:
            row = self._reduce(self._vector(cell))
            pivot = next((i for i, value in enumerate(row) if value), None)
            if pivot is None:
                continue
            row = [value / row[pivot] for value in row]
            self.basis = [
                (p, [a - base[pivot] * b for a, b in zip(base, row, strict=True)] if base[pivot] else base)
                for p, base in self.basis
            ]
            self.basis.append((pivot, row))

    def _vector(self, cell) -> list:
        return [Fraction(int(all(c in (ALL, v) for c, v in zip(cell, key, strict=True)))) for key in self.columns]

    def _reduce(self, row: list) -> list:
        for pivot, base in self.basis:
            if row[pivot]:
                factor = row[pivot]
                row = [a - factor * b for a, b in zip(row, base, strict=True)]
        return row

    def recovers(self, cell) -> bool:
        return not any(self._reduce(self._vector(cell)))


# ---------------------------------------------------------------- the suppression rule on its own


def _counts(people) -> dict:
    return dict(_all_levels(Counter(people)))


def test_a_small_cell_and_a_complement_are_suppressed_and_the_total_stays():
    people = [("agency", "health", "specialised", "cong_chuc")] * 40 + [
        ("agency", "health", "support", "cong_chuc")
    ] * 4
    people += [("commune", "multi_sector", "specialised", "cong_chuc")] * 30
    counts = _counts(people)
    outcome = suppression.suppress(counts, K)
    small = ("agency", "health", "support", "cong_chuc")
    assert small in outcome.primary
    assert outcome.complementary, "a small cell alone would be the agency's total minus its other cells"
    assert (ALL, ALL, ALL, ALL) not in outcome.suppressed
    published = {c: n for c, n in counts.items() if c not in outcome.suppressed}
    # the agency's total minus its specialised cell is no longer there to compute
    assert {
        ("agency", "health", ALL, "cong_chuc"),
        ("agency", "health", "specialised", "cong_chuc"),
    } & outcome.suppressed
    attacker = Attacker(published, Counter(people))
    assert not any(attacker.recovers(cell) for cell in outcome.primary)


PEOPLE = st.tuples(
    st.sampled_from(["provincial_agency", "commune", "ward", "public_service_unit"]),
    st.sampled_from(["health", "education", "finance"]),
    st.sampled_from(["leadership", "specialised", "support"]),
    st.sampled_from(["cong_chuc", "vien_chuc", "can_bo"]),
).map(lambda p: (p[0], "multi_sector" if p[0] in ("commune", "ward") else p[1], p[2], p[3]))


@settings(max_examples=25, deadline=None)
@given(st.lists(PEOPLE, min_size=15, max_size=160), st.sampled_from([5, 10]))
def test_no_small_cell_follows_from_the_published_ones(people, k):
    counts = _counts(people)
    outcome = suppression.suppress(counts, k)
    published = {c: n for c, n in counts.items() if c not in outcome.suppressed}
    assert all(n >= k for n in published.values())
    attacker = Attacker(published, Counter(people))
    for cell in sorted(outcome.primary):
        assert not attacker.recovers(cell), cell


# ---------------------------------------------------------------- the read model


def test_the_read_model_holds_no_small_cell_and_nothing_recoverable(world, owner):
    attacked = 0
    for province in world.provinces.values():
        for month in MONTHS:
            published = _published(owner, province.tenant.id, month)
            finest = _true_finest(province.tenant.id, month)
            truth = _all_levels(finest)
            assert published, "the province total at least is published"
            assert all(n >= K for n in published.values())
            assert all(truth[cell] == n for cell, n in published.items()), "published counts are the true ones"
            small = [cell for cell, n in truth.items() if 0 < n < K]
            assert small, "the fixture has small groups to protect"
            attacker = Attacker(published, finest)
            for cell in small:
                assert cell not in published
                assert not attacker.recovers(cell), f"{cell} follows from the published cells"
            # The attacks a person would try: in every line (one dimension varying, the others
            # fixed), the total minus the published parts; and two overlapping breakdowns.
            dims = range(4)
            for cell, n in published.items():
                for k in dims:
                    if cell[k] != ALL:
                        continue
                    parts = {c: m for c, m in published.items() if all(c[j] == cell[j] for j in dims if j != k)}
                    parts.pop(cell, None)
                    missing = [key for key in truth if all(key[j] == cell[j] for j in dims if j != k)]
                    missing = [key for key in missing if key[k] != ALL and key not in parts]
                    if len(missing) == 1:
                        attacked += 1
                        assert not 0 < n - sum(parts.values()) < K, (cell, missing)
            for a, b in itertools.combinations([c for c in published if sum(v != ALL for v in c) == 1], 2):
                both = tuple(x if x != ALL else y for x, y in zip(a, b, strict=True))
                if both in truth and both not in published and 0 < truth[both] < K:
                    attacked += 1
                    assert not attacker.recovers(both)
    assert attacked > 0


def test_no_person_data_in_the_read_model_tables(world, owner):
    with owner.connect() as c:
        people = c.execute(text("select id::text, staff_code, full_name from officials")).all()
        principals = [r[0] for r in c.execute(text("select id::text from principals")).all()]
        units = [r[0] for r in c.execute(text("select name_vi from org_unit_versions")).all()]
        dumps = [
            str(row)
            for table in ("benchmark_cells", "benchmark_snapshots", "benchmark_refreshes")
            for row in c.execute(text(f"select * from {table}")).all()  # noqa: S608
        ]
    blob = "\n".join(dumps)
    assert MARKER in "".join(units), "the fixture's names carry the marker"
    assert MARKER not in blob
    own = [p for p in people if MARKER in p[2]]
    assert len(own) > 200
    for official_id, staff_code, full_name in own:
        assert official_id not in blob and f"'{staff_code}'" not in blob and full_name not in blob
    assert not any(p in blob for p in principals)


def _scan(body: bytes, world: World, owner) -> list[str]:
    with owner.connect() as c:
        secrets = [r[0] for r in c.execute(text("select id::text from officials")).all()]
        secrets += [r[0] for r in c.execute(text("select staff_code from officials")).all()]
        secrets += [r[0] for r in c.execute(text("select id::text from principals")).all()]
    text_body = body.decode("utf-8", errors="replace")
    found = [MARKER] if MARKER in text_body else []
    found += [s for s in secrets if len(s) > 6 and s in text_body]
    return found


def _xlsx_text(body: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


def test_no_response_shows_a_person_or_a_tenants_own_text(world, client, owner):
    q = "month=2025-03"
    calls = [
        (f"{API}/overview?{q}", world.analyst_headers),
        (f"{API}/overview?quarter=2025-Q1&unit_kind=commune", world.analyst_headers),
        (f"{API}/cells?{q}&by=unit_kind,position_category", world.analyst_headers),
        (f"{API}/cells?{q}&by=sector&staff_kind=cong_chuc", world.analyst_headers),
        (f"{API}/series?indicator=excellent_share&from=2025-03&to=2025-04", world.analyst_headers),
        (f"{API}/provinces", world.analyst_headers),
        (f"{API}/refreshes", world.operator_headers),
        (f"{API}/taxonomy", world.analyst_headers),
    ]
    usual = world.provinces["usual"]
    calls += [
        (f"/api/v1/t/{usual.tenant.slug}/benchmarking/standing?{q}", usual.admin_headers),
        (f"/api/v1/t/{usual.tenant.slug}/benchmarking/snapshots", usual.admin_headers),
    ]
    for path, headers in calls:
        r = client.get(path, headers=headers)
        assert r.status_code == 200, (path, r.get_json())
        assert _scan(r.get_data(), world, owner) == [], path
    for path, headers in (
        (f"{API}/export?{q}", world.analyst_headers),
        (f"{API}/export?{q}&view=cells&by=unit_kind", world.analyst_headers),
        (f"/api/v1/t/{usual.tenant.slug}/benchmarking/standing/export?{q}", usual.admin_headers),
    ):
        r = client.get(path, headers=headers)
        assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
        assert _scan(_xlsx_text(r.get_data()), world, owner) == [], path


def test_central_analyst_sees_every_province_by_name_with_its_outliers(world, client):
    r = client.get(f"{API}/overview?month=2025-04", headers=world.analyst_headers)
    assert r.status_code == 200
    rows = {row["province"]["slug"]: row for row in r.json["provinces"]}
    assert {world.slug(k) for k in world.provinces} <= set(rows)
    hours = rows[world.slug("hours")]
    assert hours["province"]["name_vi"].startswith("Tỉnh Hours")
    assert hours["indicators"]["hours_per_day"] > 8
    assert {"indicator": "hours_per_day", "value": hours["indicators"]["hours_per_day"], "rule": "above_8"} in [
        {k: o[k] for k in ("indicator", "value", "rule")} for o in hours["outliers"]
    ]
    slow = rows[world.slug("slow")]
    assert {o["indicator"] for o in slow["outliers"]} >= {"coverage"}
    usual = rows[world.slug("usual")]
    assert usual["outliers"] == [] and usual["published"] and usual["method"] == "hours"
    assert abs(sum(usual["tiers"].values()) - 1) < 1e-6
    assert usual["indicators"]["headcount"] == pytest.approx(110, abs=3)
    assert r.json["national"]["distribution"]["hours_per_day"]["n"] >= 4

    quarter = client.get(f"{API}/overview?quarter=2025-Q1", headers=world.analyst_headers).json
    assert quarter["period"]["months"] == ["2025-01-01", "2025-02-01", "2025-03-01"]
    in_quarter = next(row for row in quarter["provinces"] if row["province"]["slug"] == world.slug("usual"))
    assert in_quarter["months"] == 1


def test_drilling_into_a_cell_and_a_series(world, client):
    slug = world.slug("usual")
    r = client.get(f"{API}/cells?month=2025-03&by=unit_kind&province={slug}", headers=world.analyst_headers)
    assert r.status_code == 200
    kinds = {row["cell"]["unit_kind"]: row for row in r.json["rows"]}
    assert "provincial_agency" in kinds and "commune" in kinds
    assert all(row["indicators"]["headcount"] >= K for row in r.json["rows"])
    assert "ward" in r.json["terms"]["unit_kind"] and "unmapped" in r.json["terms"]["unit_kind"]
    commune = client.get(
        f"{API}/overview?month=2025-03&unit_kind=commune&province={slug}", headers=world.analyst_headers
    ).json["provinces"][0]
    assert commune["indicators"]["headcount"] == kinds["commune"]["indicators"]["headcount"]
    s = client.get(f"{API}/series?indicator=coverage&from=2025-02&to=2025-04", headers=world.analyst_headers)
    assert s.status_code == 200
    line = next(p for p in s.json["provinces"] if p["province"]["slug"] == world.slug("slow"))
    assert [p["value"] is None for p in line["points"]] == [True, False, False]
    assert len(s.json["median"]) == 3


@pytest.mark.no_tx
def test_a_province_sees_itself_against_unnamed_others_unless_they_opt_in(world, client):
    high = world.provinces["high"]
    r = client.get(f"/api/v1/t/{high.tenant.slug}/benchmarking/standing?month=2025-04", headers=high.admin_headers)
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert world.slug("usual") in body, "the province that opted in is named"
    assert world.slug("hours") not in body and world.slug("slow") not in body
    points = r.json["comparison"]["hours_per_day"]["points"]
    assert len(points) >= 4 and sum(p["own"] for p in points) == 1
    assert [p["value"] for p in points] == sorted(p["value"] for p in points)
    own = next(p for p in points if p["own"])
    assert own["province"]["slug"] == high.tenant.slug
    assert r.json["indicators"]["hours_per_day"] == own["value"]

    # Opting out takes effect at once: the next read no longer names the province.
    usual = world.provinces["usual"]
    put = client.put(
        f"/api/v1/t/{usual.tenant.slug}/benchmarking/preferences",
        headers=usual.admin_headers,
        json={"named_to_peers": False},
    )
    assert put.status_code == 200 and put.json == {"named_to_peers": False}
    r = client.get(f"/api/v1/t/{high.tenant.slug}/benchmarking/standing?month=2025-04", headers=high.admin_headers)
    assert world.slug("usual") not in r.get_data(as_text=True)
    assert len(r.json["comparison"]["hours_per_day"]["points"]) == len(points)
    client.put(
        f"/api/v1/t/{usual.tenant.slug}/benchmarking/preferences",
        headers=usual.admin_headers,
        json={"named_to_peers": True},
    )


def test_every_read_is_audited_with_who_read_what(world, client):
    def reads():
        with tenant_scope(SYSTEM_TENANT_ID):
            return db.session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "cross_tenant.access", AuditEntry.actor_id == world.analyst_id
                )
            ).all()

    before = len(reads())
    client.get(f"{API}/overview?month=2025-03&sector=health", headers=world.analyst_headers)
    client.get(f"{API}/cells?month=2025-03&by=staff_kind", headers=world.analyst_headers)
    entries = reads()
    assert len(entries) == before + 2
    views = [e.after for e in entries if e.after.get("reason") == "benchmarking.read"][-2:]
    assert views[0]["view"] == "overview" and views[0]["cell"]["sector"] == "health"
    assert views[1]["view"] == "cells" and views[1]["by"] == ["staff_kind"]


def test_accounts_stay_on_their_side(world, client):
    usual = world.provinces["usual"]
    assert (
        client.get(f"/api/v1/t/{usual.tenant.slug}/benchmarking/standing", headers=world.analyst_headers).status_code
        == 404
    )
    assert client.get(f"/api/v1/t/{usual.tenant.slug}/me", headers=world.analyst_headers).status_code == 404
    assert client.get(f"{API}/overview", headers=usual.admin_headers).status_code == 404
    assert client.post(f"{API}/refreshes", headers=world.analyst_headers, json={}).status_code == 403


def test_bad_filters_are_a_clear_422(world, client):
    h = world.analyst_headers
    for query in ("month=2025-13", "month=2025-03&year=2025", "unit_kind=castle", "quarter=2025-Q5"):
        r = client.get(f"{API}/overview?{query}", headers=h)
        assert r.status_code == 422, query
        assert r.json["error"]["code"] and r.json["error"]["message"]
    assert client.get(f"{API}/cells?by=colour", headers=h).status_code == 422
    assert client.get(f"{API}/series?indicator=happiness", headers=h).status_code == 422
    r = client.get(f"{API}/overview?unit_kind=castle", headers={**h, "Accept-Language": "en"})
    assert "national taxonomy" in r.json["error"]["message"]


def test_export_has_vietnamese_headers(world, client):
    from openpyxl import load_workbook  # noqa: PLC0415

    r = client.get(f"{API}/export?month=2025-03", headers=world.analyst_headers)
    sheet = load_workbook(io.BytesIO(r.get_data()), read_only=True).active
    header = [c.value for c in next(sheet.iter_rows())]
    assert header[:3] == ["Tỉnh, thành phố", "Kỳ", "Số tháng có số liệu"]
    assert "Tỷ lệ hoàn thành xuất sắc" in header and "Dấu hiệu bất thường" in header
    names = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert any(name.startswith("Tỉnh Hours") for name in names)


def test_refresh_is_idempotent_and_reports_its_progress(world, client, owner):
    slug = world.slug("high")
    before = _published(owner, world.provinces["high"].tenant.id, MONTHS[0])
    r = client.post(
        f"{API}/refreshes", headers=world.operator_headers, json={"provinces": [slug], "months": ["2025-03"]}
    )
    assert r.status_code == 202
    refresh = client.get(f"{API}/refreshes/{r.json['id']}", headers=world.operator_headers).json
    assert refresh["status"] == "done" and refresh["done"] == refresh["total"] == 1
    assert refresh["outcome"] == {"unchanged": 1}
    r = client.post(
        f"{API}/refreshes",
        headers=world.operator_headers,
        json={"provinces": [slug], "months": ["2025-03"], "force": True},
    )
    assert client.get(f"{API}/refreshes/{r.json['id']}", headers=world.operator_headers).json["outcome"] == {
        "refreshed": 1
    }
    assert _published(owner, world.provinces["high"].tenant.id, MONTHS[0]) == before
    assert (
        client.post(f"{API}/refreshes", headers=world.operator_headers, json={"provinces": ["nowhere"]}).status_code
        == 422
    )


def test_mappings_through_the_api_all_or_nothing(world, client):
    slow = world.provinces["slow"]
    url = f"/api/v1/t/{slow.tenant.slug}/benchmarking/mappings"
    r = client.get(url, headers=slow.admin_headers)
    assert r.status_code == 200 and r.json["taxonomy_version"] == 1
    assert r.json["unmapped"]["positions"] == ["HD"], "the contract position is left unmapped"
    bad = client.put(
        url,
        headers=slow.admin_headers,
        json={
            "mappings": [
                {"subject": "position", "code": "HD", "dimension": "position_category", "term": "support"},
                {"subject": "unit", "code": "NO-SUCH", "dimension": "sector", "term": "health"},
                {"subject": "item", "code": "B-01", "dimension": "unit_kind", "term": "commune"},
                {"subject": "unit_kind", "code": "commune", "dimension": "unit_kind", "term": "village"},
            ]
        },
    )
    assert bad.status_code == 422
    assert [row["row"] for row in bad.json["error"]["fields"]["rows"]] == [2, 3, 4]
    assert bad.json["error"]["fields"]["rows"][2]["fields"] == {"term": ["unknown_term"]}
    assert client.get(url, headers=slow.admin_headers).json["unmapped"]["positions"] == ["HD"], "nothing saved"


def test_scoring_a_month_refreshes_its_benchmark(world, client, owner):
    """The hook: a month's scoring run (Celery) refreshes that month in the read model."""
    slow = world.provinces["slow"]
    r = client.post(
        f"/api/v1/t/{slow.tenant.slug}/scoring/runs",
        headers=slow.admin_headers,
        json={"kind": "month", "start": "2025-05-01"},
    )
    assert r.status_code in (201, 202), r.json
    assert _published(owner, slow.tenant.id, date(2025, 5, 1))  # nobody logged in May, but all were scored


# ---------------------------------------------------------------- the onboarding pack's mapping

GOOD_MAPPING = """subject,code,dimension,term
unit_kind,province,unit_kind,provincial_office
unit_kind,agency,unit_kind,provincial_agency
unit_kind,division,unit_kind,inherit
unit_kind,commune,unit_kind,commune
unit_kind,commune,sector,multi_sector
unit,SYT,sector,health
unit,X-AN,unit_kind,ward
position_category,leadership,position_category,leadership
position,CV,position_category,specialised
item,C-SYT-001,sector,health
"""


def test_a_packs_mapping_is_checked_in_place_and_imports_once(tenant_a, tmp_path):
    from packs import write_pack  # noqa: PLC0415

    from kpi_platform.benchmarking import mapping  # noqa: PLC0415
    from kpi_platform.onboarding import service as onboarding  # noqa: PLC0415

    bad = GOOD_MAPPING + (
        "unit,NO-SUCH,sector,health\n"  # line 12
        "item,B-001,unit_kind,commune\n"  # line 13: an item maps to a sector only
        "unit_kind,commune,unit_kind,village\n"  # line 14: not a term (and repeats line 5's key)
        "planet,X,sector,health\n"  # line 15
    )
    with tenant_scope(tenant_a.id):
        folder = write_pack(tmp_path / "bad", tenant_a.slug)
        (folder / "benchmarking.csv").write_text(bad, encoding="utf-8")
        outcome = onboarding.run(onboarding.read(folder), by=None, today=date(2025, 5, 15), tenant_slug=tenant_a.slug)
        assert not outcome.ok
        problems = {(p["line"], p["column"], p["code"]) for p in outcome.problems if p["file"] == "benchmarking.csv"}
        assert problems == {
            (12, "code", "unknown_reference"),
            (13, "dimension", "wrong_dimension"),
            (14, "term", "unknown_term"),
            (14, "code", "duplicate"),
            (15, "subject", "unknown_subject"),
        }
        assert mapping.mappings() == [], "nothing imported"

        folder = write_pack(tmp_path / "good", tenant_a.slug)
        (folder / "benchmarking.csv").write_text(GOOD_MAPPING, encoding="utf-8")
        outcome = onboarding.run(onboarding.read(folder), by=None, today=date(2025, 5, 15), tenant_slug=tenant_a.slug)
        assert outcome.ok, outcome.problems
        assert outcome.report["benchmarking"]["create"] == 10
        resolver = mapping.Resolver(date(2025, 5, 15))
        by_code = {code: unit_id for unit_id, (code, _, _) in resolver.units.items()}
        assert resolver.unit(by_code["SYT-NVY"]) == ("provincial_agency", "health"), "a division inherits"
        assert resolver.unit(by_code["X-AN"]) == ("ward", "multi_sector")
        assert resolver.unit(by_code["T"]) == ("provincial_office", "unmapped"), "no sector is guessed"
        assert resolver.position("TP", "leadership") == "leadership"
        assert resolver.position("CV", "professional") == "specialised"
        again = onboarding.run(onboarding.read(folder), by=None, today=date(2025, 5, 15), tenant_slug=tenant_a.slug)
        assert again.ok and again.report["benchmarking"] == {"unchanged": 10, "examples": {}}


def test_global_accounts_sign_in_at_the_platforms_own_sign_in_page(client):
    r = client.get("/benchmarking/?month=2025-03")
    assert r.status_code == 302 and r.headers["Location"].startswith("/t/platform/login?next=/benchmarking/")
    login = client.get(r.headers["Location"])
    assert login.status_code == 200
    assert client.get("/t/platform/").status_code == 404, "the system tenant has no province pages"
    assert client.get("/api/v1/t/platform/me").status_code == 404


def test_the_overview_costs_the_same_statements_whatever_the_number_of_provinces(world, client):
    """Auth (5), the taxonomy (2), and through the door: its tenant setting, cells, snapshots,
    tenants, preferences and the audit entry (6); here also the test transaction's savepoint (2).
    No statement per province or per cell."""
    from sqlalchemy import event  # noqa: PLC0415

    seen = []

    def count(*args):
        seen.append(1)

    engines = {db.engine, db.cross_tenant_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    client.get(f"{API}/overview?month=2025-04", headers=world.analyst_headers)  # the token's use is noted once
    try:
        counts = []
        for query in (
            "month=2025-03",
            "month=2025-03&province=" + world.slug("usual"),
            "quarter=2025-Q2&sector=health",
        ):
            seen.clear()
            assert client.get(f"{API}/overview?{query}", headers=world.analyst_headers).status_code == 200
            counts.append(len(seen))
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
    assert counts == [15, 15, 15], counts
