"""Org structure through HTTP on PostgreSQL: as-of queries across a merger, moves, transfers,
Vietnamese search and order, bulk imports, bad input, and who may see whom."""

from __future__ import annotations

import pytest
from support import build_org

from kpi_platform.context import tenant_scope
from kpi_platform.db import db
from kpi_platform.org import service as org


@pytest.fixture
def api(client, admin_a, tenant_a):
    base = f"/api/v1/t/{tenant_a.slug}"

    class Api:
        def get(self, path, headers=None, **query):
            return client.get(base + path, headers=headers or admin_a.headers, query_string=query)

        def post(self, path, body, headers=None):
            return client.post(base + path, headers=headers or admin_a.headers, json=body)

        def patch(self, path, body, headers=None):
            return client.patch(base + path, headers=headers or admin_a.headers, json=body)

        def put(self, path, body, headers=None):
            return client.put(base + path, headers=headers or admin_a.headers, json=body)

    return Api()


@pytest.fixture
def kh(tenant_a):
    return build_org(tenant_a)


def names(units) -> list[str]:
    return [u["name_vi"] for u in units]


def test_create_units_and_read_the_tree(api, kh):
    r = api.get("/org/tree", as_of="2025-03-01")
    assert r.status_code == 200
    (root,) = r.json
    assert root["unit"]["code"] == "T"
    assert [c["unit"]["code"] for c in root["children"]] == ["SNV", "X-CAMLAM"]
    assert [c["unit"]["code"] for c in root["children"][0]["children"]] == ["SNV-TCCB"]
    assert api.get("/org/tree", as_of="2024-12-31").json == [], "nothing existed before the start date"
    r = api.get(f"/org/units/{kh['division']}/ancestors", as_of="2025-03-01")
    assert [u["code"] for u in r.json] == ["SNV", "T"]
    r = api.get(f"/org/units/{kh['root']}/descendants", as_of="2025-03-01")
    assert {u["code"] for u in r.json} == {"SNV", "SNV-TCCB", "X-CAMLAM"}


def test_merger_of_communes_keeps_the_old_tree_for_earlier_dates(api, kh):
    """Two former Ninh Thuận communes merge into a new ward under Khánh Hòa from 1 July 2025."""
    made = {}
    for code, name in (("NT", "Tỉnh Ninh Thuận (cũ)"),):
        made[code] = api.post(
            "/org/units", {"code": code, "name_vi": name, "kind": "province", "valid_from": "2020-01-01"}
        ).json["id"]
    for code, name in (("NT-PHUOCDAN", "Xã Phước Dân"), ("NT-PHUOCHAU", "Xã Phước Hậu")):
        made[code] = api.post(
            "/org/units",
            {"code": code, "name_vi": name, "kind": "commune", "parent_id": made["NT"], "valid_from": "2020-01-01"},
        ).json["id"]
    clerk = api.post(
        "/officials",
        {
            "staff_code": "NT-01",
            "full_name": "Phan Thị Hạnh",
            "employment_kind": "cong_chuc",
            "assignment": {
                "unit_id": made["NT-PHUOCDAN"],
                "position_id": str(kh["staff_position"]),
                "valid_from": "2023-05-01",
            },
        },
    ).json
    r = api.post(
        "/org/reorganisations",
        {
            "effective_date": "2025-07-01",
            "reason": "Nghị quyết sáp nhập 2025",
            "creates": [{"code": "P-PHUOCHAI", "name_vi": "Xã Phước Hải", "kind": "commune", "parent": "T"}],
            "merges": [{"sources": [made["NT-PHUOCDAN"], "NT-PHUOCHAU"], "target": "P-PHUOCHAI"}],
            "dissolves": ["NT"],
        },
    )
    assert r.status_code == 201, r.json
    assert r.json == {
        "created_units": 1,
        "moved_units": 0,
        "merged_units": 2,
        "transferred_assignments": 1,
        "dissolved_units": 1,
    }
    ward = api.get("/org/units", q="Phước Hải", as_of="2025-07-01").json[0]

    before = api.get("/org/units", as_of="2025-06-30", page_size=100).json
    after = api.get("/org/units", as_of="2025-07-01", page_size=100).json
    assert {"Xã Phước Dân", "Xã Phước Hậu"} <= set(names(before)) and "Xã Phước Hải" not in names(before)
    assert "Xã Phước Dân" not in names(after) and "Xã Phước Hải" in names(after)

    # Who was where: the clerk belonged to Phước Dân in June, to Phước Hải from July.
    june = api.get(f"/org/units/{made['NT-PHUOCDAN']}/members", as_of="2025-06-30").json
    assert [m["official"]["staff_code"] for m in june] == ["NT-01"]
    july = api.get(f"/org/units/{ward['id']}/members", as_of="2025-07-01").json
    assert [m["official"]["staff_code"] for m in july] == ["NT-01"]
    history = api.get(f"/officials/{clerk['id']}/assignments").json
    assert [(a["valid_from"], a["valid_to"]) for a in history] == [("2023-05-01", "2025-07-01"), ("2025-07-01", None)]
    assert api.get(f"/org/units/{made['NT-PHUOCDAN']}", as_of="2025-07-02").status_code == 404


def test_split_and_bad_reorganisation_change_nothing(api, kh):
    """A split in one call: two new units, the clerk goes to one of them, the old division ends.
    A reorganisation with one bad step changes nothing at all."""
    bad = {
        "effective_date": "2025-09-01",
        "reason": "Chia tách",
        "creates": [{"code": "TC-1", "name_vi": "Phòng Tổ chức 1", "kind": "division", "parent": "SNV"}],
        "transfers": [{"official_id": str(kh["clerk"]), "unit": "TC-1"}],
        "dissolves": ["SNV-TCCB", "SNV"],
    }
    r = api.post("/org/reorganisations", bad)
    assert r.status_code == 409 and "dissolves[1].unit_id" in r.json["error"]["fields"]
    assert api.get("/org/units", q="Phòng Tổ chức 1", as_of="2025-09-01").json == [], "nothing was kept"
    good = {
        **bad,
        "creates": [
            *bad["creates"],
            {"code": "TC-2", "name_vi": "Phòng Tổ chức 2", "kind": "division", "parent": str(kh["agency"])},
        ],
        "dissolves": ["SNV-TCCB"],
    }
    r = api.post("/org/reorganisations", good)
    assert r.status_code == 201, r.json
    assert r.json["created_units"] == 2 and r.json["dissolved_units"] == 1
    codes = [u["code"] for u in api.get(f"/org/units/{kh['agency']}/descendants", as_of="2025-09-01").json]
    assert codes == ["TC-1", "TC-2"]
    r = api.post(
        "/org/reorganisations",
        {"effective_date": "2025-09-02", "reason": "x", "moves": [{"unit": "NO-SUCH", "parent": "T"}]},
    )
    assert r.status_code == 422 and r.json["error"]["fields"] == {"moves[0].unit": ["unknown"]}


def test_moving_a_subtree_and_renaming_keep_history(api, kh):
    r = api.patch(
        f"/org/units/{kh['division']}",
        {
            "effective_date": "2025-08-01",
            "parent_id": str(kh["root"]),
            "name_vi": "Ban Tổ chức tỉnh",
            "reason": "Điều chỉnh",
        },
    )
    assert r.status_code == 200 and r.json["parent_id"] == str(kh["root"])
    old = api.get(f"/org/units/{kh['division']}", as_of="2025-07-31").json
    assert old["parent_id"] == str(kh["agency"]) and old["name_vi"].startswith("Phòng Tổ chức")
    assert [u["code"] for u in api.get(f"/org/units/{kh['agency']}/descendants", as_of="2025-07-31").json] == [
        "SNV-TCCB"
    ]
    assert api.get(f"/org/units/{kh['agency']}/descendants", as_of="2025-08-01").json == []
    versions = api.get(f"/org/units/{kh['division']}/history").json
    assert [(v["valid_from"], v["valid_to"]) for v in versions] == [("2025-01-01", "2025-08-01"), ("2025-08-01", None)]
    # Its people follow the unit: the clerk is now under the root's subtree, not the agency's.
    under_agency = api.get("/officials", unit_id=str(kh["agency"]), as_of="2025-08-02").json
    assert [o["staff_code"] for o in under_agency] == ["NV001"]


def test_transfer_keeps_the_old_assignment(api, kh):
    r = api.post(f"/officials/{kh['clerk']}/transfer", {"unit_id": str(kh["commune"]), "effective_date": "2025-09-15"})
    assert r.status_code == 201, r.json
    history = api.get(f"/officials/{kh['clerk']}/assignments").json
    assert [(a["unit_id"], a["valid_to"]) for a in history] == [
        (str(kh["division"]), "2025-09-15"),
        (str(kh["commune"]), None),
    ]
    assert [
        m["official"]["staff_code"] for m in api.get(f"/org/units/{kh['division']}/members", as_of="2025-09-14").json
    ] == ["NV002"]
    assert api.get(f"/org/units/{kh['division']}/members", as_of="2025-09-15").json == []


def test_secondary_posts_may_overlap_but_primaries_may_not(api, kh):
    body = {"unit_id": str(kh["commune"]), "position_id": str(kh["staff_position"]), "valid_from": "2025-03-01"}
    r = api.post(f"/officials/{kh['clerk']}/assignments", body)
    assert r.status_code == 409 and r.json["error"]["fields"] == {"valid_from": ["overlaps primary assignment"]}
    r = api.post(f"/officials/{kh['clerk']}/assignments", {**body, "is_primary": False, "share": 0.3})
    assert r.status_code == 201 and r.json["share"] == 0.3
    detail = api.get(f"/officials/{kh['clerk']}").json
    assert len(detail["assignments"]) == 2


def test_bad_input_gets_clear_errors(api, kh):
    r = api.patch(f"/org/units/{kh['agency']}", {"effective_date": "2025-05-01", "parent_id": str(kh["division"])})
    assert r.status_code == 422 and r.json["error"]["fields"] == {"parent_id": ["cycle"]}
    r = api.patch(f"/org/units/{kh['agency']}", {"effective_date": "2025-05-01", "parent_id": str(kh["agency"])})
    assert r.status_code == 422
    r = api.post(
        "/org/units",
        {
            "code": "NEW",
            "name_vi": "Mới",
            "kind": "agency",
            "parent_id": "00000000-0000-0000-0000-00000000abcd",
            "valid_from": "2025-01-01",
        },
    )
    assert r.status_code == 422 and r.json["error"]["fields"] == {"parent_id": ["unknown"]}
    r = api.post(
        "/org/units",
        {"code": "NEW", "name_vi": "Mới", "kind": "agency", "parent_id": str(kh["root"]), "valid_from": "2024-06-01"},
    )
    assert r.status_code == 422, "the parent did not exist yet on that day"
    r = api.post("/org/units", {"code": "T", "name_vi": "Trùng", "kind": "agency", "valid_from": "2025-01-01"})
    assert r.status_code == 409
    r = api.post("/org/units", {"code": "Q", "name_vi": "Q", "kind": "planet", "valid_from": "2025-01-01"})
    assert r.status_code == 422 and r.json["error"]["fields"] == {"kind": ["unknown"]}
    r = api.post(f"/org/units/{kh['agency']}/dissolve", {"effective_date": "2025-05-01"})
    assert r.status_code == 409, "a unit with people and sub-units cannot end"
    r = api.post(
        f"/officials/{kh['clerk']}/assignments",
        {
            "unit_id": str(kh["commune"]),
            "position_id": str(kh["staff_position"]),
            "valid_from": "2025-05-01",
            "valid_to": "2025-04-01",
            "is_primary": False,
        },
    )
    assert r.status_code == 422 and "valid_to" in r.json["error"]["fields"]
    r = api.get("/org/units", as_of="not-a-date")
    assert r.status_code == 422 and "as_of" in r.json["error"]["fields"]
    r = api.patch(f"/org/units/{kh['agency']}", {"effective_date": "2024-12-01", "name_vi": "X"})
    assert r.status_code == 404, "the unit did not exist on that date"


def test_changes_before_a_later_change_are_refused(api, kh):
    assert (
        api.patch(
            f"/org/units/{kh['commune']}", {"effective_date": "2025-10-01", "name_vi": "Phường Cam Lâm"}
        ).status_code
        == 200
    )
    r = api.patch(f"/org/units/{kh['commune']}", {"effective_date": "2025-06-01", "name_vi": "Xã khác"})
    assert r.status_code == 409 and "effective_date" in r.json["error"]["fields"]


def test_search_with_and_without_diacritics_and_vietnamese_order(api, kh):
    people = [
        "Nguyễn Văn A",
        "Đặng Thị Ánh",
        "Võ Văn Anh",
        "Bùi Thị Ân",
        "Lê Thị Ă",
        "Phạm Đức Bảo",
        "Hoàng Văn Đạt",
        "Trịnh Văn Dũng",
    ]
    rows = [
        {
            "staff_code": f"S{i:03d}",
            "full_name": name,
            "employment_kind": "vien_chuc",
            "unit_code": "SNV-TCCB",
            "position_code": "CV",
            "valid_from": "2025-02-01",
        }
        for i, name in enumerate(people)
    ]
    assert api.post("/officials/bulk", {"rows": rows}).status_code == 201
    for query in ("nguyen van a", "Nguyễn Văn A", "NGUYEN VAN A", "nguyễn văn a"):
        found = api.get("/officials", q=query).json
        assert [o["full_name"] for o in found] == ["Nguyễn Văn A", "Nguyễn Văn An"], query
    assert {o["full_name"] for o in api.get("/officials", q="dat").json} == {"Hoàng Văn Đạt"}
    assert {o["full_name"] for o in api.get("/officials", q="S00").json} == {p for p in people[:8]}
    listed = [o["full_name"] for o in api.get("/officials", unit_id=str(kh["division"]), page_size=50).json]
    # By given name in the Vietnamese alphabet (a < ă < â < b < d < đ), tones breaking ties.
    assert listed == [
        "Nguyễn Văn A",
        "Võ Văn Anh",
        "Đặng Thị Ánh",
        "Lê Thị Ă",
        "Bùi Thị Ân",
        "Phạm Đức Bảo",
        "Trần Thị Bình",
        "Trịnh Văn Dũng",
        "Hoàng Văn Đạt",
    ]


def test_bulk_is_all_or_nothing_with_row_numbers(api, kh):
    rows = [
        {
            "staff_code": "OK1",
            "full_name": "Người Tốt",
            "employment_kind": "cong_chuc",
            "unit_code": "SNV",
            "position_code": "CV",
            "valid_from": "2025-02-01",
        },
        {
            "staff_code": "NV001",
            "full_name": "Trùng Mã",
            "employment_kind": "cong_chuc",
            "unit_code": "SNV",
            "position_code": "CV",
            "valid_from": "2025-02-01",
        },
        {
            "staff_code": "BAD3",
            "full_name": "Sai Đơn Vị",
            "employment_kind": "cong_chuc",
            "unit_code": "NOPE",
            "position_code": "CV",
            "valid_from": "2025-02-01",
        },
        {
            "staff_code": "BAD4",
            "full_name": "Sai Loại",
            "employment_kind": "tạm tuyển",
            "unit_code": "SNV",
            "position_code": "CV",
            "valid_from": "2025-02-01",
        },
        {
            "staff_code": "BAD5",
            "full_name": "Quá Sớm",
            "employment_kind": "cong_chuc",
            "unit_code": "SNV",
            "position_code": "CV",
            "valid_from": "2024-02-01",
        },
    ]
    r = api.post("/officials/bulk", {"rows": rows})
    assert r.status_code == 422
    errors = {e["row"]: e["fields"] for e in r.json["error"]["fields"]["rows"]}
    assert set(errors) == {4}, "schema errors are reported first, for every bad row"
    assert "employment_kind" in errors[4]
    rows[3]["employment_kind"] = "contract"
    r = api.post("/officials/bulk", {"rows": rows})
    assert r.status_code == 422
    errors = {e["row"]: e["fields"] for e in r.json["error"]["fields"]["rows"]}
    assert errors == {
        2: {"staff_code": ["taken"]},
        3: {"unit_code": ["unknown"]},
        5: {"unit_code": ["does not exist on valid_from"]},
    }
    assert api.get("/officials", q="Người Tốt").json == [], "nothing of a failed file is saved"

    units = [
        {"code": f"P{i}", "name_vi": f"Phòng {i}", "kind": "division", "parent_code": "SNV", "valid_from": "2025-01-01"}
        for i in range(300)
    ]
    units.append(
        {
            "code": "P-SUB",
            "name_vi": "Tổ thuộc Phòng 0",
            "kind": "division",
            "parent_code": "P0",
            "valid_from": "2025-01-01",
        }
    )
    r = api.post("/org/units/bulk", {"rows": units})
    assert r.status_code == 201 and r.json["created"] == 301
    r = api.post(
        "/org/units/bulk",
        {
            "rows": [
                {
                    "code": "P-NEW",
                    "name_vi": "X",
                    "kind": "division",
                    "parent_code": "MISSING",
                    "valid_from": "2025-01-01",
                },
                {"code": "P0", "name_vi": "Trùng", "kind": "division", "valid_from": "2025-01-01"},
            ]
        },
    )
    assert r.status_code == 422
    assert [e["row"] for e in r.json["error"]["fields"]["rows"]] == [1, 2]


def test_reviewer_is_the_unit_head_unless_overridden(api, kh):
    clerk = api.get(f"/officials/{kh['clerk']}").json
    assert clerk["effective_reviewer_id"] == str(kh["director"]), "head of the agency above the division"
    director = api.get(f"/officials/{kh['director']}").json
    assert director["effective_reviewer_id"] is None, "the head of the agency has no head above in this tree"
    r = api.patch(f"/officials/{kh['clerk']}", {"reviewer_id": str(kh["commune_clerk"])})
    assert r.status_code == 200 and r.json["effective_reviewer_id"] == str(kh["commune_clerk"])
    r = api.patch(f"/officials/{kh['clerk']}", {"reviewer_id": str(kh["clerk"])})
    assert r.status_code == 422


def test_managers_see_their_subtree_and_officials_themselves(api, kh, make_account, tenant_a):
    manager = make_account(tenant_a, roles=["manager"])
    official = make_account(tenant_a, roles=["official"])
    unlinked = make_account(tenant_a, roles=["manager"])
    with tenant_scope(tenant_a.id):
        org.update_official(kh["director"], {"principal_id": manager.id})
        org.update_official(kh["commune_clerk"], {"principal_id": official.id})
        db.session.commit()
    seen = {o["staff_code"] for o in api.get("/officials", headers=manager.headers).json}
    assert seen == {"NV001", "NV002"}, "the agency and its division, not the commune"
    assert api.get(f"/officials/{kh['commune_clerk']}", headers=manager.headers).status_code == 404
    assert api.get(f"/officials/{kh['clerk']}", headers=manager.headers).status_code == 200
    assert api.get(f"/org/units/{kh['commune']}/members", headers=manager.headers).status_code == 404
    assert {o["staff_code"] for o in api.get("/officials", headers=official.headers).json} == {"X001"}
    assert api.get(f"/officials/{kh['clerk']}", headers=official.headers).status_code == 404
    assert api.get("/officials", headers=unlinked.headers).json == []
    assert api.get("/org/tree", headers=official.headers).status_code == 200, "the org chart is shared"
    r = api.post(
        "/org/units",
        {"code": "Z", "name_vi": "Z", "kind": "agency", "valid_from": "2025-01-01"},
        headers=manager.headers,
    )
    assert r.status_code == 403


def test_tenant_unit_kinds_and_positions(api, kh):
    r = api.post("/org/unit-kinds", {"code": "special_zone", "name_vi": "Đặc khu", "name_en": "Special zone"})
    assert r.status_code == 201
    kinds = {k["code"]: k for k in api.get("/org/unit-kinds").json}
    assert kinds["special_zone"]["built_in"] is False and kinds["commune"]["built_in"] is True
    assert (
        api.post(
            "/org/units",
            {
                "code": "DK",
                "name_vi": "Đặc khu Trường Sa",
                "kind": "special_zone",
                "parent_id": str(kh["root"]),
                "valid_from": "2025-07-01",
            },
        ).status_code
        == 201
    )
    r = api.post(
        "/org/positions/bulk",
        {
            "rows": [
                {"code": "KT", "name_vi": "Kế toán", "category": "support", "unit_kinds": ["agency", "commune"]},
                {"code": "CV", "name_vi": "Trùng", "category": "professional"},
                {"code": "XX", "name_vi": "Sai", "category": "boss"},
            ]
        },
    )
    assert r.status_code == 422 and [e["row"] for e in r.json["error"]["fields"]["rows"]] == [3]
    positions = api.get("/org/positions", category="leadership").json
    assert [p["code"] for p in positions] == ["LD"]
    r = api.patch(f"/org/positions/{kh['staff_position']}", {"unit_kinds": ["division", "commune"]})
    assert r.status_code == 200 and r.json["unit_kinds"] == ["commune", "division"]


def test_linking_an_account_checks_it(api, kh, make_account, tenant_a, tenant_b):
    other_tenant = make_account(tenant_b)
    r = api.patch(f"/officials/{kh['clerk']}", {"principal_id": str(other_tenant.id)})
    assert r.status_code == 422 and r.json["error"]["fields"] == {"principal_id": ["unknown"]}
    account = make_account(tenant_a)
    assert api.patch(f"/officials/{kh['clerk']}", {"principal_id": str(account.id)}).status_code == 200
    r = api.patch(f"/officials/{kh['director']}", {"principal_id": str(account.id)})
    assert r.status_code == 409 and r.json["error"]["fields"] == {"principal_id": ["taken"]}


def test_a_cycle_through_a_later_change_is_refused(api, kh):
    """Agency under the commune from July, then the commune under the agency from March: on July 1st
    that would be a loop, though on March 1st it is not."""
    assert (
        api.patch(
            f"/org/units/{kh['agency']}", {"effective_date": "2025-07-01", "parent_id": str(kh["commune"])}
        ).status_code
        == 200
    )
    r = api.patch(f"/org/units/{kh['commune']}", {"effective_date": "2025-03-01", "parent_id": str(kh["agency"])})
    assert r.status_code == 422 and r.json["error"]["fields"] == {"parent_id": ["cycle"]}
    tree = api.get("/org/tree", as_of="2025-07-01").json
    assert [n["unit"]["code"] for n in tree] == ["T"]


def test_members_are_paginated_and_merge_into_unknown_target_is_422(api, kh):
    r = api.get(f"/org/units/{kh['root']}/members", subtree="true", page_size=2)
    assert r.status_code == 200 and len(r.json) == 2
    assert '"total": 3' in r.headers["X-Pagination"]
    r = api.post(
        "/org/reorganisations",
        {"effective_date": "2024-01-01", "reason": "x", "merges": [{"sources": ["X-CAMLAM"], "target": "SNV"}]},
    )
    assert r.status_code == 422 and r.json["error"]["fields"] == {"merges[0].target": ["unknown"]}


def test_unit_head_assignment_end_position_and_dissolve_through_http(api, kh):
    # A new head for the division: the clerk's reviewer becomes the division head, not the director.
    r = api.put(f"/org/units/{kh['division']}/head", {"official_id": str(kh["commune_clerk"])})
    assert r.status_code == 200 and r.json["head_official_id"] == str(kh["commune_clerk"])
    assert api.get(f"/officials/{kh['clerk']}").json["effective_reviewer_id"] == str(kh["commune_clerk"])
    r = api.put(f"/org/units/{kh['division']}/head", {"official_id": "00000000-0000-0000-0000-000000000009"})
    assert r.status_code == 422 and r.json["error"]["fields"] == {"head_official_id": ["unknown"]}
    assert api.put(f"/org/units/{kh['division']}/head", {"official_id": None}).json["head_official_id"] is None
    # Heads are effective-dated: a head from a past day, kept in the unit's history.
    r = api.put(
        f"/org/units/{kh['commune']}/head", {"official_id": str(kh["commune_clerk"]), "effective_date": "2025-02-01"}
    )
    assert r.status_code == 200 and r.json["head_official_id"] == str(kh["commune_clerk"])
    assert api.get(f"/org/units/{kh['commune']}", as_of="2025-01-31").json["head_official_id"] is None
    heads = api.get(f"/org/units/{kh['commune']}/heads").json
    assert [(h["official_id"], h["valid_from"], h["valid_to"]) for h in heads] == [
        (str(kh["commune_clerk"]), "2025-02-01", None)
    ]
    r = api.put(f"/org/units/{kh['commune']}/head", {"official_id": None, "effective_date": "2025-01-15"})
    assert r.status_code == 409  # before a later change: the history is changed from its end only
    # Positions no longer take a job description id (descriptions are found by position).
    r = api.post(
        "/org/positions", {"code": "X1", "name_vi": "X", "category": "support", "job_description_id": str(kh["root"])}
    )
    assert r.status_code == 422 and "job_description_id" in r.json["error"]["fields"]

    position = api.get(f"/org/positions/{kh['staff_position']}").json
    assert position["code"] == "CV" and position["category"] == "professional"

    # End the clerk's assignment; the division is then empty and can be dissolved from that day.
    (assignment,) = api.get(f"/officials/{kh['clerk']}/assignments").json
    r = api.patch(f"/officials/{kh['clerk']}/assignments/{assignment['id']}", {"valid_to": "2025-10-01"})
    assert r.status_code == 200 and r.json["valid_to"] == "2025-10-01"
    r = api.patch(f"/officials/{kh['clerk']}/assignments/{assignment['id']}", {"valid_to": "2024-01-01"})
    assert r.status_code == 422
    r = api.post(f"/org/units/{kh['division']}/dissolve", {"effective_date": "2025-10-01", "reason": "Giải thể"})
    assert r.status_code == 200 and r.json[-1]["valid_to"] == "2025-10-01"
    assert api.get(f"/org/units/{kh['division']}", as_of="2025-10-01").status_code == 404
    assert api.get(f"/org/units/{kh['division']}", as_of="2025-09-30").status_code == 200
