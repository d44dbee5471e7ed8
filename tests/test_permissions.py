"""Who may act on whom (org/access.py): nobody records leave, marks or discipline for themself, a
manager lists only the leave of the people they may see, and an account with no official gets one
answer wherever its own work is asked for."""

from __future__ import annotations

import pytest

from kpi_platform.context import tenant_scope
from kpi_platform.db import db
from kpi_platform.org import service as org


def leave(official_id, note="Nghỉ phép năm"):
    return {"official_id": str(official_id), "first_day": "2025-03-10", "last_day": "2025-03-11", "kind": "annual",
            "note": note}  # fmt: skip


def test_nobody_records_leave_marks_or_discipline_for_themself(client, province):
    w = province
    director, ids = w.director, w.ids
    r = client.post(w.url("/scoring/leave"), headers=director.headers, json=leave(ids["director"]))
    assert r.status_code == 403 and r.json["error"]["code"] == "not_for_yourself"
    r = client.post(w.url("/scoring/leave"), headers=director.headers, json=leave(ids["clerk"]))
    assert r.status_code == 201  # the clerk's reviewer records hers
    mark = {"month": "2025-03-01", "score": 30}
    r = client.put(
        w.url("/scoring/general-marks"), headers=director.headers, json={**mark, "official_id": str(ids["director"])}
    )
    assert r.status_code == 403 and r.json["error"]["code"] == "not_for_yourself"
    r = client.put(
        w.url("/scoring/general-marks"), headers=director.headers, json={**mark, "official_id": str(ids["clerk"])}
    )
    assert r.status_code == 200
    # The admin linked to an official of the roster may not record that official's discipline.
    with tenant_scope(w.tenant.id):
        org.update_official(ids["director"], {"principal_id": w.admin.id})
        db.session.commit()
    record = {"measure": "khien_trach", "decision_number": "1/QĐ", "decision_date": "2025-02-01"}
    r = client.post(
        w.url("/scoring/discipline"), headers=w.admin.headers, json={**record, "official_id": str(ids["director"])}
    )
    assert r.status_code == 403 and r.json["error"]["code"] == "not_for_yourself"
    r = client.post(
        w.url("/scoring/discipline"), headers=w.admin.headers, json={**record, "official_id": str(ids["clerk"])}
    )
    assert r.status_code == 201


def test_a_manager_lists_only_the_leave_of_people_they_may_see(client, province):
    w = province
    ids = w.ids
    assert client.post(w.url("/scoring/leave"), headers=w.admin.headers, json=leave(ids["clerk"])).status_code == 201
    private = leave(ids["commune_clerk"], note="Điều trị bệnh, giữ kín")
    assert client.post(w.url("/scoring/leave"), headers=w.admin.headers, json=private).status_code == 201
    seen = client.get(w.url("/scoring/leave"), headers=w.director.headers)
    assert seen.status_code == 200 and [row["official_id"] for row in seen.json] == [str(ids["clerk"])]
    assert "giữ kín" not in seen.get_data(as_text=True)
    everyone = client.get(w.url("/scoring/leave"), headers=w.admin.headers).json
    assert {row["official_id"] for row in everyone} == {str(ids["clerk"]), str(ids["commune_clerk"])}
    r = client.get(w.url(f"/scoring/leave?official_id={ids['commune_clerk']}"), headers=w.director.headers)
    assert r.status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/worklog/day", "/scoring/me", "/me/allowed-items", "/scoring/products", "/worklog/entries"],
)
def test_an_account_without_an_official_gets_one_answer(client, province, path):
    r = client.get(province.url(path), headers=province.admin.headers)
    assert r.status_code == 403 and r.json["error"]["code"] == "no_official"
