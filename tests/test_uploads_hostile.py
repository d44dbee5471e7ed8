"""Hostile and broken uploads: every failure is a located, translated problem, within bounded memory
(CSV rows are streamed out of the archive and a table stops at KPI_PACK_MAX_ROWS), and one size
limit (KPI_UPLOAD_MAX_BYTES) holds for the API and the page alike. The memory figures are in
benchmarks/upload_memory.py."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from openpyxl import Workbook

from kpi_platform.onboarding import importer, source

HEADER = "code,name_vi,kind,valid_from,parent_code\n"


def a_zip(files: dict[str, bytes | str], *, folder: str = "") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(folder + name, content)
    return out.getvalue()


def units(n: int) -> str:
    return HEADER + "T,Tỉnh,province,2025-01-01,\n" + "".join(f"X{i},Xã {i},commune,2025-01-01,T\n" for i in range(n))


def lying(data: bytes, member: bytes = b"units.csv", claimed: int = 100) -> bytes:
    """The archive's local and central headers claim `claimed` bytes for `member`."""
    data = bytearray(data)
    for signature, size_at, name_length_at, name_at in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        start = 0
        while (found := data.find(signature, start)) >= 0:
            length = struct.unpack_from("<H", data, found + name_length_at)[0]
            if bytes(data[found + name_at : found + name_at + length]).endswith(member):
                struct.pack_into("<I", data, found + size_at, claimed)
            start = found + 4
    return bytes(data)


def located(pack) -> list[tuple]:
    return [(p.file, p.line, p.code) for p in pack.problems]


def test_not_an_archive(tmp_path):
    pack = source.from_zip(b"PK\x03\x04 not really", "goi.zip")
    assert located(pack) == [("goi.zip", None, "invalid_archive")] and pack.unreadable
    assert pack.problems[0].message_vi and pack.problems[0].message_en


def test_an_archive_whose_headers_lie_about_sizes():
    data = lying(a_zip({"tenant.yaml": "slug: x\nname_vi: X\nname_en: X\n", "units.csv": units(2000)}, folder="p/"))
    with pytest.raises(zipfile.BadZipFile):  # what the job used to end with
        zipfile.ZipFile(io.BytesIO(data)).read("p/units.csv")
    pack = source.from_zip(data, "goi.zip")
    assert located(pack) == [("units.csv", None, "damaged_archive")]
    assert "p/units.csv" in pack.problems[0].message_vi and "p/units.csv" in pack.problems[0].message_en


def test_a_zip_bomb_is_refused_before_it_is_unpacked(monkeypatch):
    monkeypatch.setattr(source, "MAX_ARCHIVE_BYTES", 1_000_000)
    bomb = a_zip({"tenant.yaml": "slug: x\n", "units.csv": HEADER + "0" * 5_000_000})
    assert len(bomb) < 20_000
    pack = source.from_zip(bomb, "bom.zip")
    assert located(pack) == [("bom.zip", None, "archive_too_large")]


def test_a_table_past_the_row_limit_is_refused_on_the_first_line_beyond():
    data = a_zip({"tenant.yaml": "slug: x\nname_vi: X\nname_en: X\n", "units.csv": units(50)})
    pack = source.from_zip(data, "goi.zip", max_rows=10)
    assert located(pack) == [("units.csv", 12, "too_many_rows")]  # header on line 1, ten rows kept
    assert len(pack.tables["units.csv"]) == 10 and pack.unreadable
    assert "10" in pack.problems[0].message_en
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "units"
    sheet.append(["code", "name_vi", "kind", "valid_from"])
    for i in range(20):
        sheet.append([f"X{i}", f"Xã {i}", "commune", "2025-01-01"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    pack = source.from_workbook(buffer.getvalue(), "goi.xlsx", max_rows=5)
    assert located(pack) == [("units.csv", 7, "too_many_rows")]


def test_text_that_is_not_utf8_is_located_on_its_line():
    data = a_zip(
        {"tenant.yaml": "slug: x\nname_vi: X\nname_en: X\n", "units.csv": units(3).encode() + "Xã 9".encode("utf-16")}
    )
    pack = source.from_zip(data, "goi.zip")
    assert ("units.csv", 6, "not_utf8") in located(pack)


# ---------------------------------------------------------------- through the API


def upload(client, account, tenant, data: bytes, name: str = "goi.zip", **form):
    return client.post(
        f"/api/v1/t/{tenant.slug}/onboarding/imports",
        headers=account.headers,
        data={"file": (io.BytesIO(data), name), "dry_run": "true", **form},
        content_type="multipart/form-data",
    )


def tenant_yaml(tenant) -> str:
    return f"slug: {tenant.slug}\nname_vi: Tỉnh A\nname_en: A\n"


def test_a_lying_archive_ends_its_job_with_a_located_problem(client, admin_a, tenant_a):
    data = lying(a_zip({"tenant.yaml": tenant_yaml(tenant_a), "units.csv": units(2000)}))
    r = upload(client, admin_a, tenant_a, data)
    assert r.status_code == 202
    job = r.get_json()
    assert job["status"] == "invalid"
    assert [(p["file"], p["code"]) for p in job["report"]["problems"]] == [("units.csv", "damaged_archive")]
    assert "error" not in job["report"]


def test_the_row_limit_is_a_setting(client, admin_a, tenant_a, settings, monkeypatch):
    monkeypatch.setattr(settings, "pack_max_rows", 5)
    r = upload(client, admin_a, tenant_a, a_zip({"tenant.yaml": tenant_yaml(tenant_a), "units.csv": units(10)}))
    problems = r.get_json()["report"]["problems"]
    assert [(p["file"], p["line"], p["code"]) for p in problems] == [("units.csv", 7, "too_many_rows")]


def test_an_unexpected_failure_is_a_problem_too(client, admin_a, tenant_a, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(importer, "import_pack", broken)
    r = upload(client, admin_a, tenant_a, a_zip({"tenant.yaml": tenant_yaml(tenant_a)}))
    job = r.get_json()
    assert job["status"] == "failed"
    assert [(p["file"], p["code"]) for p in job["report"]["problems"]] == [("goi.zip", "import_failed")]
    assert job["report"]["problems"][0]["message_vi"]


def test_one_upload_limit_for_the_api_and_the_page(app, client, admin_a, tenant_a, settings, monkeypatch):
    from support import browser_session

    monkeypatch.setattr(settings, "upload_max_bytes", 2048)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048 + 1024)
    just_over = b"x" * 2049
    r = upload(client, admin_a, tenant_a, just_over)
    assert r.status_code == 422 and r.get_json()["error"]["fields"] == {"file": ["size"]}
    r = upload(client, admin_a, tenant_a, b"x" * 10_000)  # past the request limit: refused unread
    assert r.status_code == 413 and r.get_json()["error"]["code"] == "payload_too_large"
    browser_session(client, tenant_a, admin_a.id)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    page = client.post(
        f"/t/{tenant_a.slug}/imports",
        data={"file": (io.BytesIO(just_over), "goi.zip"), "mode": "check"},
        content_type="multipart/form-data",
    )
    assert page.status_code == 413 and "quá lớn" in page.get_data(as_text=True)
