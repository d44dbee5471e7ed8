"""What the page modules share: the tenant's today, the signed-in official, reading form fields,
and a domain error's message in the page's language. No business rule here."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask import g, render_template
from flask_babel import gettext as _

from kpi_platform.errors import DomainError, Invalid
from kpi_platform.org import access as org_access
from kpi_platform.org import service as org
from kpi_platform.roles import ADMIN, MANAGERS, OVERSIGHT, SCORING_RUNNERS
from kpi_platform.tenancy.service import tenant_today as today
from kpi_platform.web.i18n import current_language

REVIEWERS = MANAGERS
WATCHERS = OVERSIGHT


def my_official():
    """The official the signed-in account is linked to, or None."""
    if "page_official" not in g:
        g.page_official = org_access.own_official(g.principal)
    return g.page_official


def reviews_anyone() -> bool:
    """Whether the signed-in official reviews someone today (a manager or head, or a named reviewer)."""
    official = my_official()
    if official is None:
        return False
    if "page_reviews" not in g:
        g.page_reviews = bool(org.reviewees_of(official.id, today()))
    return g.page_reviews or g.principal.has_any_role(REVIEWERS)


def no_official_page():
    """An account with no official: admins and watchers are sent to their own pages' door."""
    return render_template("no_official.html", home=home_endpoint()), 403


def not_a_reviewer_page():
    return render_template("not_a_reviewer.html"), 403


def message_of(error: DomainError) -> str:
    return error.message_en if current_language() == "en" else error.message_vi


def parse_date(text: str | None, default: date | None = None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return default


def month_day(text: str | None, now: date) -> date:
    """The day a month page reads up to, from `?month=YYYY-MM`: today in this month (or for
    anything unreadable or ahead), the last day of a past month."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        first = date(year, month, 1)
    except ValueError:
        return now
    if first > now:
        return now
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return min(last, now)


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
    if reviews_anyone():
        links += [("web.review", _("Duyệt công việc")), ("web.team", _("Tháng của đơn vị"))]
    if principal.has_any_role(WATCHERS):
        links.append(("web.rollout", _("Triển khai")))
    if principal.has_any_role(ADMIN):
        links.append(("web.imports", _("Nhập gói dữ liệu")))
    if principal.has_any_role(SCORING_RUNNERS):
        links.append(("web.standing", _("Chúng ta đang ở đâu")))
    return links


def home_endpoint() -> str:
    """Where a person's work starts: reviewers at their queue, officials at their day, admins at the rollout."""
    principal = g.principal
    if my_official() is not None and reviews_anyone():
        return "web.review"
    if my_official() is not None:
        return "web.today"
    if principal.has_any_role(WATCHERS):
        return "web.rollout"
    return "web.me"
