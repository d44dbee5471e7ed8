"""The tenant's settings: one typed document for the API and the packs, merged deeply over the
defaults, refused with the dotted name of every bad key, the national method by default from 2026."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from packs import write_pack
from sqlalchemy import event

from kpi_platform.context import tenant_scope
from kpi_platform.db import db
from kpi_platform.onboarding import service as onboarding
from kpi_platform.tenant_settings import service as tenant_settings


@pytest.fixture
def admin(tenant_a, make_account):
    return make_account(tenant_a, roles=["provincial_admin"], name="Quản trị")


def _settings(client, tenant, admin, day: str) -> dict:
    r = client.get(f"/api/v1/t/{tenant.slug}/scoring/settings?as_of={day}", headers=admin.headers)
    assert r.status_code == 200
    return r.json["settings"]


def _put(client, tenant, admin, document: dict, valid_from="2025-01-01"):
    return client.put(
        f"/api/v1/t/{tenant.slug}/scoring/settings",
        headers=admin.headers,
        json={"valid_from": valid_from, "document": document},
    )


def test_a_new_tenant_scores_by_hours_before_2026_and_by_decree_335_from_then(client, tenant_a, admin):
    assert _settings(client, tenant_a, admin, "2025-12-31")["scoring_method"] == "hours"
    assert _settings(client, tenant_a, admin, "2026-01-01")["scoring_method"] == "decree-335"
    # A province that states its method keeps it after 2026 (Khánh Hòa's pack says "hours").
    assert _put(client, tenant_a, admin, {"scoring_method": "hours"}).status_code == 200
    assert _settings(client, tenant_a, admin, "2026-06-01")["scoring_method"] == "hours"


def test_one_key_changes_and_the_rest_of_its_section_stays(client, tenant_a, admin):
    assert _put(client, tenant_a, admin, {"logging": {"overtime_minutes_per_day": 90}}).status_code == 200
    r = _put(client, tenant_a, admin, {"logging": {"days_back": 10}}, valid_from="2025-03-01")
    assert r.status_code == 200
    logging = r.json["settings"]["logging"]
    # The earlier version's 90 and the default 25 are still there beside the new 10.
    assert logging == {"days_back": 10, "month_closes_on_day": 25, "overtime_minutes_per_day": 90}
    assert _settings(client, tenant_a, admin, "2025-02-01")["logging"]["days_back"] == 5  # the past keeps its version
    versions = client.get(f"/api/v1/t/{tenant_a.slug}/scoring/settings/versions", headers=admin.headers).json
    assert [v["document"] for v in versions] == [
        {"logging": {"days_back": 10, "overtime_minutes_per_day": 90}},
        {"logging": {"overtime_minutes_per_day": 90}},
    ]  # each version holds what the tenant stated, nothing more


@pytest.mark.parametrize(
    ("document", "bad_key"),
    [
        ({"logging": {"days_bak": 10}}, "logging.days_bak"),
        ({"loging": {"days_back": 10}}, "loging"),
        ({"weights": {"general_max": "ba mươi"}}, "weights.general_max"),
        ({"logging": {"days_back": 400}}, "logging.days_back"),
        ({"review": {"default_quality": "superb"}}, "review.default_quality"),
        ({"quality": [{"code": "good", "name_vi": "Tốt", "factor": 1.5}]}, "quality.0.factor"),
        ({"scoring_method": "kpi"}, "scoring_method"),
    ],
)
def test_a_bad_key_is_refused_by_its_name_and_nothing_is_saved(client, tenant_a, admin, document, bad_key):
    r = _put(client, tenant_a, admin, document)
    assert r.status_code == 422 and r.json["error"]["code"] == "invalid_settings"
    assert bad_key in r.json["error"]["fields"] and bad_key in r.json["error"]["message"]
    assert client.get(f"/api/v1/t/{tenant_a.slug}/scoring/settings/versions", headers=admin.headers).json == []


def test_a_packs_settings_are_checked_by_the_same_rules_with_their_line(tenant_a, tmp_path):
    settings = """valid_from: 2025-01-01
scoring_method: hours
weights: {general_max: 30, task_max: 70, hours_per_day: 8}
logging:
  days_back: 5
  days_bak: 7
"""
    folder = write_pack(tmp_path / "pack", tenant_a.slug, settings_yaml=settings)
    with tenant_scope(tenant_a.id):
        outcome = onboarding.run(onboarding.read(folder), by=None, today=date(2025, 5, 15), tenant_slug=tenant_a.slug)
    assert not outcome.ok
    (problem,) = [p for p in outcome.problems if p["file"] == "settings.yaml"]
    assert (problem["line"], problem["column"]) == (6, "logging.days_bak")  # the line of the key itself


def test_a_request_reads_its_settings_once(tenant_a):
    with tenant_scope(tenant_a.id):
        statements = []
        listener = event.listen(db.session.connection(), "before_cursor_execute", lambda *a, **k: statements.append(1))
        first = tenant_settings.settings_on(date(2025, 3, 3))
        again = tenant_settings.settings_on(date(2025, 3, 3))
        assert first is again and len(statements) == 1 and first.weights.hours_per_day == Decimal(8)
        del listener
        db.session.rollback()
