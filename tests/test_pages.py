"""The pages: Vietnamese first with English complete, errors as pages, the demo's front door."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import translations  # noqa: E402
from babel.messages.mofile import read_mo  # noqa: E402


def test_every_text_on_the_pages_has_its_english_and_the_compiled_catalog_is_current():
    english = translations.english()
    used = {message.id for message in translations.extract() if message.id}
    missing = sorted(text for text in used if not (english.get(text) and english.get(text).string))
    assert not missing, f"run `make translations` and translate: {missing}"
    # The compiled catalog Flask-Babel reads must say what the .po says. Compared as messages, not
    # bytes: another Babel release writes the same catalog with other bytes.
    with (translations.CATALOG / "messages.mo").open("rb") as f:
        compiled = {message.id: message.string for message in read_mo(f) if message.id}
    written = {message.id: message.string for message in english if message.id and message.string}
    assert compiled == written, "messages.mo is stale: run `make translations`"


def test_the_front_page_lists_the_provinces_with_their_sign_in(client, tenant_a):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in page and "Các tỉnh, thành phố" in page
    assert f'href="/t/{tenant_a.slug}/login"' in page and "Tỉnh Khánh Hòa (A)" in page
    english = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "Provinces and cities" in english and "Province A" in english


def test_pages_answer_with_pages_and_the_api_with_json(client, tenant_a):
    r = client.get(f"/t/{tenant_a.slug}/me")
    assert r.status_code == 302 and r.headers["Location"].startswith(f"/t/{tenant_a.slug}/login?next=")
    r = client.get(f"/api/v1/t/{tenant_a.slug}/me")
    assert r.status_code == 401 and r.json["error"]["code"] == "authentication_required"
    r = client.get("/t/no-such-province/login")
    assert r.status_code == 404 and r.mimetype == "text/html" and "Không tìm thấy" in r.get_data(as_text=True)
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    login = client.get(f"/t/{tenant_a.slug}/login")
    assert login.headers["X-Frame-Options"] == "DENY" and login.headers["Cache-Control"] == "no-store"
    # An address no page has is a page too, in the person's language; the API keeps its JSON.
    r = client.get(f"/t/{tenant_a.slug}/nonexistent")
    assert r.status_code == 404 and r.mimetype == "text/html" and "Không tìm thấy" in r.get_data(as_text=True)
    r = client.get(f"/t/{tenant_a.slug}/nonexistent?lang=en")
    assert r.status_code == 404 and r.mimetype == "text/html" and "Not found" in r.get_data(as_text=True)
    r = client.get("/api/v1/t/nonexistent/at/all")
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
