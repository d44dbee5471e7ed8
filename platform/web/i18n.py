"""Languages of the pages: Vietnamese by default, English when the user switches (?lang=en).

The choice is remembered in the session, not taken from the browser: many officials' browsers
say English while they read Vietnamese. Texts are written in Vietnamese in the templates and
translated to English in translations/en (make translations refreshes the catalog).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, request, session
from flask_babel import Babel, format_date, format_datetime, format_decimal, get_locale
from flask_babel import gettext as _

from kpi_platform.roles import role_name

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
TRANSLATIONS = Path(__file__).parent / "translations"

babel = Babel()


def select_locale() -> str:
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def remember_language() -> None:
    if request.path.startswith("/api/"):
        return
    chosen = request.args.get("lang")
    if chosen in LANGUAGES and session.get("lang") != chosen:
        session["lang"] = chosen


def tenant_status(status: str) -> str:
    names = {
        "provisioning": _("Đang chuẩn bị"),
        "pilot": _("Thí điểm"),
        "active": _("Đang áp dụng"),
        "suspended": _("Tạm ngưng"),
    }
    return names.get(str(status), str(status))


def current_language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def language_url(language: str) -> str:
    """This page in another language, keeping what it was asked with (a form's result goes back to
    the page the form is on)."""
    if request.method != "GET":
        return "?" + urlencode({"lang": language})
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return request.path + "?" + urlencode([*args, ("lang", language)])


def number(value, places: int = 2) -> str:
    """1234.5 -> "1.234,5" in Vietnamese, "1,234.5" in English; at most `places` decimals."""
    if value is None:
        return ""
    return format_decimal(Decimal(str(value)), format="#,##0." + "#" * places if places else "#,##0")


def hours(minutes) -> str:
    """Minutes shown as hours: 90 -> "1,5"."""
    return number(Decimal(str(minutes or 0)) / 60, 2)


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_locale=DEFAULT_LANGUAGE,
        default_timezone="Asia/Ho_Chi_Minh",
        default_translation_directories=str(TRANSLATIONS),
    )
    app.before_request(remember_language)
    app.jinja_env.globals.update(
        current_language=current_language,
        language_url=language_url,
        number=number,
        hours=hours,
        format_date=format_date,
        format_datetime=format_datetime,
        role_name=lambda role: role_name(role, current_language()),
        tenant_status=tenant_status,
        tenant_name=lambda tenant: tenant.name_en if current_language() == "en" and tenant.name_en else tenant.name_vi,
    )
