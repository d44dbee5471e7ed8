"""The reviewer's pages: the queue of the team's submitted entries grouped by person and day with
their anomaly flags, approved many at once with a quality level or returned one by one with a
reason (worklog.service.review decides, all or nothing); and the team's month at a glance."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from kpi_platform.db import db
from kpi_platform.errors import DomainError
from kpi_platform.policy import page
from kpi_platform.web import reads
from kpi_platform.web.blueprint import bp
from kpi_platform.web.common import (
    message_of,
    month_day,
    my_official,
    no_official_page,
    not_a_reviewer_page,
    parse_uuid,
    reviews_anyone,
    today,
)
from kpi_platform.worklog import service as worklog


def _queue_page(*, error: str | None = None, form=None, status: int = 200):
    now = today()
    groups, total = reads.review_groups(g.principal, now)
    levels, default_quality = reads.quality_levels(now)
    shown = sum(group["count"] for group in groups)
    return (
        render_template(
            "review.html",
            groups=groups,
            total=total,
            shown=shown,
            levels=levels,
            default_quality=(form or {}).get("quality") or default_quality,
            error=error,
            form=form,
        ),
        status,
    )


@bp.get("/t/<tenant>/review")
@page()
def review():
    if my_official() is None:
        return no_official_page()
    if not reviews_anyone():
        return not_a_reviewer_page()
    return _queue_page()


def decisions_from(form) -> list[dict]:
    """The reviewer's decisions as the form carries them. "Trả lại mục này" returns that one entry;
    "Duyệt" approves the ticked entries (each at its own quality level, else the common one) and
    returns those given a reason."""
    one = parse_uuid(form.get("return_one"))
    if one is not None:
        return [{"id": one, "decision": "return", "reason": form.get(f"reason-{one}", "")}]
    ticked = {parse_uuid(value) for value in form.getlist("approve")}
    common = form.get("quality") or None
    decisions = []
    for entry_id in filter(None, map(parse_uuid, form.getlist("entry"))):
        reason = " ".join(form.get(f"reason-{entry_id}", "").split())
        if reason:
            decisions.append({"id": entry_id, "decision": "return", "reason": reason})
        elif entry_id in ticked:
            quality = form.get(f"quality-{entry_id}") or common
            decisions.append({"id": entry_id, "decision": "approve", "quality": quality})
    return decisions


@bp.post("/t/<tenant>/review")
@page()
def review_decide():
    if my_official() is None:
        return no_official_page()
    if not reviews_anyone():
        return not_a_reviewer_page()
    decisions = decisions_from(request.form)
    if not decisions:
        return _queue_page(error=_("Chưa chọn công việc nào để duyệt."), form=request.form, status=422)
    if any(d["decision"] == "return" and not d["reason"].strip() for d in decisions):
        return _queue_page(
            error=_("Hãy ghi lý do trả lại để người ghi biết cần sửa gì."), form=request.form, status=422
        )
    try:
        result = worklog.review(g.principal, decisions, today=today())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _queue_page(error=message_of(error), form=request.form, status=422)
    flash(
        _(
            "Đã duyệt %(approved)d, trả lại %(returned)d công việc.",
            approved=result["approved"],
            returned=result["returned"],
        ),
        "ok",
    )
    return redirect(url_for("web.review"))


@bp.get("/t/<tenant>/team")
@page()
def team():
    official = my_official()
    if official is None:
        return no_official_page()
    if not reviews_anyone():
        return not_a_reviewer_page()
    now = today()
    day = month_day(request.args.get("month"), now)
    first = day.replace(day=1)
    previous = first - timedelta(days=1)
    return render_template(
        "team.html",
        team=reads.team_month(official.id, day, now),
        now=now,
        ratings=reads.rating_names(first),
        previous=previous.strftime("%Y-%m"),
        following=None if day >= now else (first + timedelta(days=32)).strftime("%Y-%m"),
    )
