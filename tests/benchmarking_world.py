"""The provinces the benchmarking tests share (built once per run, committed for real): four
provinces of 60 to 110 officials with two scored months each, built by benchmarking.demo_data with
a marker in every name, a central analyst, an operator, and each province's admin."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import pytest

from kpi_platform.benchmarking import demo_data
from kpi_platform.context import SYSTEM_TENANT_ID, tenant_scope
from kpi_platform.db import db
from kpi_platform.identity import service as identity

MARKER = "BMKX7Q"
MONTHS = [date(2025, 3, 1), date(2025, 4, 1)]
K = 10


@dataclass
class Province:
    tenant: object
    admin_headers: dict


@dataclass
class World:
    provinces: dict  # key -> Province
    analyst_headers: dict
    analyst_id: object
    operator_headers: dict

    def slug(self, key: str) -> str:
        return self.provinces[key].tenant.slug


def _token(tenant_id, email: str | None = None, roles=None, name="x") -> tuple[dict, object]:
    with tenant_scope(tenant_id):
        principal = (identity.find_principal_by_email(email) if email else None) or identity.create_principal(
            email=f"{uuid.uuid4().hex[:8]}@example.vn", display_name=name, roles=roles
        )
        _, raw = identity.issue_token(principal, name="test", days=30, max_days=365)
        db.session.commit()
    return {"Authorization": f"Bearer {raw}"}, principal.id


@pytest.fixture(scope="session")
def benchmark_world(app) -> World:
    tag = uuid.uuid4().hex[:6]
    profiles = {
        "usual": (110, demo_data.Profile(), True),
        "hours": (64, demo_data.Profile(hours=9.2, spread=0.9), False),
        "slow": (60, demo_data.Profile(coverage=0.7, review_days=6), False),
        "high": (66, demo_data.Profile(hours=7.4, spread=1.2), False),
    }
    provinces = {}
    for number, (key, (size, profile, named)) in enumerate(profiles.items(), start=1):
        tenant = demo_data.build_province(
            f"bm{tag}-{key}",
            f"Tỉnh {key.title()} {tag}",
            f"{key.title()} Province",
            officials=size,
            months=MONTHS,
            profile=profile,
            seed=number,
            marker=MARKER,
            min_size=K,
            named_to_peers=named,
        )
        headers, _ = _token(tenant.id, email=f"admin@{tenant.slug}.demo")
        provinces[key] = Province(tenant=tenant, admin_headers=headers)
    analyst, analyst_id = _token(SYSTEM_TENANT_ID, roles=["central_analyst"], name="Phân tích")
    operator, _ = _token(SYSTEM_TENANT_ID, roles=["platform_operator"], name="Vận hành")
    return World(provinces=provinces, analyst_headers=analyst, analyst_id=analyst_id, operator_headers=operator)
