"""Helpers shared by the tests (import as `from support import ...`)."""

from __future__ import annotations

import uuid

from kpi_platform.db import db, set_orm_filter_enabled
from kpi_platform.roles import TENANT_ROLES

MARKER_B = "MARKERB7Q"  # every text field of tenant B's accounts carries it
ALL_TENANT_ROLES = sorted(str(r) for r in TENANT_ROLES)


def bound_transaction(engine, *setup_sql: str):
    """Bind db.session to one connection inside a transaction that is rolled back afterwards."""
    connection = engine.connect()
    transaction = connection.begin()
    for statement in setup_sql:
        connection.exec_driver_sql(statement)
    db.session.remove()
    db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield connection
    finally:
        db.session.remove()
        transaction.rollback()
        connection.close()
        db.session.configure(bind=db.engine, join_transaction_mode="conditional_savepoint")
        set_orm_filter_enabled(True)


def build_org(tenant, marker: str = "", day=None, prefix: str = "") -> dict:
    """A small province: root, an agency with a division, a commune; two positions; three
    officials with primary assignments. Names carry `marker`. Committed to the test transaction."""
    from datetime import date  # noqa: PLC0415

    from kpi_platform.context import tenant_scope  # noqa: PLC0415
    from kpi_platform.org import service as org  # noqa: PLC0415

    day = day or date(2025, 1, 1)
    with tenant_scope(tenant.id):
        root = org.create_unit(
            code=prefix + "T", name_vi=f"UBND tỉnh {marker}", kind="province", parent_id=None, valid_from=day
        )
        agency = org.create_unit(
            code=prefix + "SNV", name_vi=f"Sở Nội vụ {marker}", kind="agency", parent_id=root.id, valid_from=day
        )
        division = org.create_unit(
            code=prefix + "SNV-TCCB",
            name_vi=f"Phòng Tổ chức {marker}",
            kind="division",
            parent_id=agency.id,
            valid_from=day,
        )
        commune = org.create_unit(
            code=prefix + "X-CAMLAM", name_vi=f"Xã Cam Lâm {marker}", kind="commune", parent_id=root.id, valid_from=day
        )
        head = org.create_position(code=prefix + "LD", name_vi=f"Giám đốc Sở {marker}", category="leadership")
        staff = org.create_position(code=prefix + "CV", name_vi=f"Chuyên viên {marker}", category="professional")
        director = org.create_official(
            staff_code=prefix + "NV001",
            full_name=f"Nguyễn Văn An {marker}".strip(),
            employment_kind="cong_chuc",
            assignment={"unit_id": agency.id, "position_id": head.id, "valid_from": day},
        )
        clerk = org.create_official(
            staff_code=prefix + "NV002",
            full_name=f"Trần Thị Bình {marker}".strip(),
            employment_kind="cong_chuc",
            assignment={"unit_id": division.id, "position_id": staff.id, "valid_from": day},
        )
        commune_clerk = org.create_official(
            staff_code=prefix + "X001",
            full_name=f"Lê Văn Cường {marker}".strip(),
            employment_kind="can_bo",
            assignment={"unit_id": commune.id, "position_id": staff.id, "valid_from": day},
        )
        org.set_unit_head(agency.id, director.id, effective_date=day)
        assignment = org.assignments_of(clerk.id)[0]
        db.session.commit()
    return {
        "root": root.id,
        "agency": agency.id,
        "division": division.id,
        "commune": commune.id,
        "head_position": head.id,
        "staff_position": staff.id,
        "director": director.id,
        "clerk": clerk.id,
        "commune_clerk": commune_clerk.id,
        "clerk_assignment": assignment.id,
    }


def build_catalog(tenant, org_ids: dict, marker: str = "", prefix: str = "", day=None) -> dict:
    """On top of build_org: a drafter (provincial admin) and the director of the agency, who is also
    on the steering committee, so one person can approve A/B/D and the agency's C items. Approved:
    a group B item and a group C item of the agency, and the staff position's tenant-wide and
    agency descriptions (the clerk of the agency may log both items; the commune clerk only B)."""
    from datetime import date  # noqa: PLC0415

    from kpi_platform.catalog import job_descriptions  # noqa: PLC0415
    from kpi_platform.catalog import service as catalog  # noqa: PLC0415
    from kpi_platform.context import tenant_scope  # noqa: PLC0415
    from kpi_platform.identity import service as identity  # noqa: PLC0415
    from kpi_platform.org import service as org  # noqa: PLC0415

    day = day or date(2025, 1, 1)
    with tenant_scope(tenant.id):
        tag = uuid.uuid4().hex[:6]
        drafter = identity.create_principal(
            email=f"soanthao-{tag}@example.vn", display_name=f"Soạn thảo {marker}", roles=["provincial_admin"]
        )
        director = identity.create_principal(
            email=f"giamdoc-{tag}@example.vn",
            display_name=f"Giám đốc {marker}",
            roles=["steering_committee", "unit_head", "official"],
        )
        org.update_official(org_ids["director"], {"principal_id": director.id})

        def approved_item(code, group, name, **extra):
            item = catalog.create_item(
                code=prefix + code,
                group=group,
                by=drafter,
                valid_from=day,
                name_vi=f"{name} {marker}".strip(),
                output_unit="văn bản",
                norm_minutes=60,
                complexity="normal",
                **extra,
            )
            catalog.submit(item.id, by=drafter)
            catalog.approve(item.id, by=director)
            return item

        common = approved_item("B-001", "B", "Soạn thảo văn bản hành chính")
        sector = approved_item("C-001", "C", "Thẩm định hồ sơ tổ chức bộ máy", agency_id=org_ids["agency"])
        descriptions = {}
        for key, agency_id, item in (("jd_common", None, common), ("jd_agency", org_ids["agency"], sector)):
            jd = job_descriptions.create(
                position_id=org_ids["staff_position"],
                agency_id=agency_id,
                lines_=[{"item_id": item.id, "expected_monthly_volume": 20}],
                valid_from=day,
                by=drafter,
            )
            job_descriptions.submit(jd.id, by=drafter)
            job_descriptions.approve(jd.id, by=director)
            descriptions[key] = jd.id
        db.session.commit()
    return {"drafter": drafter, "director": director, "item_b": common.id, "item_c": sector.id, **descriptions}


def browser_session(client, tenant, principal_id) -> str:
    """Give a test client the signed-in browser session the SSO callback would leave (the sign-in
    itself is driven for real in tests/test_sso_browser.py). Returns the session's secret."""
    from datetime import timedelta  # noqa: PLC0415

    from kpi_platform.context import tenant_scope  # noqa: PLC0415
    from kpi_platform.identity import service as identity  # noqa: PLC0415
    from kpi_platform.identity import sessions  # noqa: PLC0415

    with tenant_scope(tenant.id):
        principal = identity.get_principal(principal_id)
        timeouts = sessions.Timeouts(idle=timedelta(minutes=30), absolute=timedelta(hours=10))
        _, secret = sessions.start(principal, method="sso", timeouts=timeouts, id_token=None, user_agent="test")
        db.session.commit()
    with client.session_transaction() as cookie:
        cookie["logins"] = {**(cookie.get("logins") or {}), tenant.id.hex: secret}
    return secret
