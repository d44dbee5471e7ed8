"""What the page modules share: the tenant's today, the signed-in official, reading form fields,
and a domain error's message in the page's language. No business rule here."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import g, render_template
from flask_babel import gettext as _

from kpi_platform.errors import DomainError, Invalid
from kpi_platform.identity.roles import Role
from kpi_platform.org import service as org
from kpi_platform.tenancy import service as tenancy
from kpi_platform.web.i18n import current_language

REVIEWERS = {Role.manager, Role.unit_head}
WATCHERS = {Role.provincial_admin, Role.steering_committee, Role.auditor, Role.support_staff}


def today() -> date:
    return tenancy.local_today(g.tenant)


def my_official():
    """The official the signed-in account is linked to, or None."""
    if "page_official" not in g:
        g.page_official = org.official_for_principal(g.principal.id)
    return g.page_official


def no_official_page():
    return render_template("no_official.html"), 403


def message_of(error: DomainError) -> str:
    return error.message_en if current_language() == "en" else error.message_vi


def parse_date(text: str | None, default: date | None = None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return default


def parse_uuid(text: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID((text or "").strip())
    except ValueError:
        return None


def parse_quantity(text: str | None) -> Decimal:
    """A quantity as typed on a phone: "2", "1,5" or "1.5"."""
    raw = (text or "").strip().replace(" ", "").replace(",", ".")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise Invalid(
            "Số lượng phải là một số, ví dụ 1 hoặc 1,5.",
            "The quantity must be a number, such as 1 or 1.5.",
            fields={"quantity": ["not a number"]},
        )
    return number


def nav_links() -> list[tuple[str, str]]:
    """(endpoint, label) of the pages the signed-in person works with, for the header."""
    principal = g.get("principal")
    if principal is None or g.get("tenant") is None:
        return []
    links = []
    if my_official() is not None:
        links += [("web.today", _("Hôm nay")), ("web.month", _("Tháng của tôi"))]
    if principal.has_any_role(REVIEWERS):
        links += [("web.review", _("Duyệt công việc")), ("web.team", _("Tháng của đơn vị"))]
    if principal.has_any_role(WATCHERS):
        links.append(("web.rollout", _("Triển khai")))
    if principal.has_any_role({Role.provincial_admin}):
        links.append(("web.imports", _("Nhập gói dữ liệu")))
    if principal.has_any_role({Role.provincial_admin, Role.steering_committee}):
        links.append(("web.standing", _("Chúng ta đang ở đâu")))
    return links


def home_endpoint() -> str:
    """Where a person's work starts: reviewers at their queue, officials at their day, admins at the rollout."""
    principal = g.principal
    if principal.has_any_role(REVIEWERS) and my_official() is not None:
        return "web.review"
    if my_official() is not None:
        return "web.today"
    if principal.has_any_role(WATCHERS):
        return "web.rollout"
    return "web.me"
