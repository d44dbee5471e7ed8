"""Languages of the pages: Vietnamese by default, English when the user switches (?lang=en).

The choice is remembered in the session, not taken from the browser: many officials' browsers
say English while they read Vietnamese. Texts are written in Vietnamese in the templates and
translated to English in translations/en (make translations refreshes the catalog).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request, session
from flask_babel import Babel, format_date, format_datetime, get_locale
from flask_babel import gettext as _

from kpi_platform.identity.roles import role_name

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
        format_date=format_date,
        format_datetime=format_datetime,
        role_name=lambda role: role_name(role, current_language()),
        tenant_status=tenant_status,
        tenant_name=lambda tenant: tenant.name_en if current_language() == "en" and tenant.name_en else tenant.name_vi,
    )
