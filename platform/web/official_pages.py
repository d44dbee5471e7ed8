"""The official's pages: "Hôm nay" (the day's entries, the fast add form, submitting, what came back
with the reviewer's reason) and "Tháng của tôi" (points so far against available time, the
projected rating, each line explained). The work-log and scoring services decide everything."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from kpi_platform.db import db
from kpi_platform.errors import DomainError, Invalid
from kpi_platform.policy import page
from kpi_platform.scoring import projection
from kpi_platform.web import reads
from kpi_platform.web.blueprint import bp
from kpi_platform.web.common import (
    message_of,
    month_day,
    my_official,
    no_official_page,
    parse_date,
    parse_quantity,
    parse_uuid,
    today,
)
from kpi_platform.worklog import service as worklog
from kpi_platform.worklog.presenter import entry_views


def _chosen_day(text: str | None, now: date) -> date:
    day = parse_date(text, now)
    return min(day, now)


def _today_page(official, day: date, *, error: str | None = None, form=None, status: int = 200):
    now = today()
    q = request.args.get("q", "") if form is None else form.get("q", "")
    choices, matching = reads.item_choices(official.id, day, q)
    entries = reads.day_entries(official.id, day)
    days = reads.recent_days(now)
    page_html = render_template(
        "today.html",
        official=official,
        day=day,
        now=now,
        days=days,
        too_far_back=day not in days,
        summary=worklog.day_summary(official.id, day),
        entries=entries,
        editable=[e for e in entries if e["state"] in worklog.EDITABLE],
        returned=[e for e in reads.returned_entries(official.id, now) if e["work_date"] != day],
        choices=choices,
        matching=matching,
        q=q,
        error=error,
        form=form or {},
        idempotency_key=uuid.uuid4().hex,
    )
    return page_html, status


@bp.get("/t/<tenant>/today", endpoint="today")
@page()
def today_page():
    official = my_official()
    if official is None:
        return no_official_page()
    return _today_page(official, _chosen_day(request.args.get("date"), today()))


@bp.get("/t/<tenant>/today/items")
@page()
def item_choices():
    """The add form's list of items, for the search box's live filtering (an HTML fragment)."""
    official = my_official()
    if official is None:
        return no_official_page()
    day = _chosen_day(request.args.get("date"), today())
    q = request.args.get("q", "")
    choices, matching = reads.item_choices(official.id, day, q)
    return render_template("_item_choices.html", choices=choices, matching=matching, q=q, selected=None)


@bp.post("/t/<tenant>/today")
@page()
def log_work():
    official = my_official()
    if official is None:
        return no_official_page()
    now = today()
    form = request.form
    day = _chosen_day(form.get("work_date"), now)
    key = (form.get("idempotency_key") or "").strip()[:100] or None
    submit = form.get("action") == "submit"
    try:
        item_id = parse_uuid(form.get("item_id"))
        if item_id is None:
            raise Invalid("Hãy chọn một mục công việc.", "Choose a work item.", fields={"item_id": ["required"]})
        entry = worklog.log_entry(  # a double tap on a slow phone logs once (the idempotency key)
            official.id,
            day,
            item_id,
            parse_quantity(form.get("quantity")),
            today=now,
            evidence_ref=form.get("evidence_ref"),
            note=(form.get("note") or "").strip() or None,
            idempotency_key=key,
            submit=submit,
            by=g.principal,
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _today_page(official, day, error=message_of(error), form=form, status=422)
    view = entry_views([entry], now)[0]
    if submit:
        flash(_("Đã ghi và gửi duyệt: %(item)s.", item=f"{view['item_code']} {view['item_name']}"), "ok")
    else:
        flash(
            _("Đã ghi: %(item)s. Nhớ gửi duyệt khi xong việc.", item=f"{view['item_code']} {view['item_name']}"), "ok"
        )
    return redirect(url_for("web.today", date=day.isoformat() if day != now else None))


@bp.post("/t/<tenant>/today/submit")
@page()
def submit_entries():
    official = my_official()
    if official is None:
        return no_official_page()
    ids = [i for i in map(parse_uuid, request.form.getlist("ids")) if i]
    back = request.form.get("date")
    if not ids:
        flash(_("Chưa chọn công việc nào để gửi."), "problem")
        return redirect(url_for("web.today", date=back or None))
    try:
        entries = worklog.submit(official.id, ids)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(message_of(error), "problem")
        return redirect(url_for("web.today", date=back or None))
    flash(_("Đã gửi duyệt %(num)s công việc.", num=len(entries)), "ok")
    return redirect(url_for("web.today", date=back or None))


def _edit_page(official, entry, *, error: str | None = None, form=None, status: int = 200):
    view = entry_views([entry], today())[0]
    choices, _matching = reads.item_choices(official.id, entry.work_date, every=True)
    return render_template("entry_edit.html", entry=view, choices=choices, error=error, form=form or {}), status


@bp.route("/t/<tenant>/entries/<uuid:work_entry_id>/edit", methods=["GET", "POST"])
@page()
def edit_entry(work_entry_id: uuid.UUID):
    """Fix a draft or a returned entry (the reviewer's reason is shown), then save or submit it again."""
    official = my_official()
    if official is None:
        return no_official_page()
    entry = worklog.own_entry(official.id, work_entry_id)
    if request.method == "GET":
        return _edit_page(official, entry)
    form = request.form
    try:
        changes = {
            "quantity": parse_quantity(form.get("quantity")),
            "evidence_ref": form.get("evidence_ref"),
            "note": (form.get("note") or "").strip() or None,
        }
        item_id = parse_uuid(form.get("item_id"))
        if item_id:
            changes["item_id"] = item_id
        worklog.update_entry(entry.id, changes, today=today(), by=g.principal)
        resubmit = form.get("action") == "submit"
        if resubmit:
            worklog.submit(official.id, [entry.id])
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _edit_page(
            official, worklog.own_entry(official.id, work_entry_id), error=message_of(error), form=form, status=422
        )
    flash(_("Đã sửa và gửi duyệt lại.") if resubmit else _("Đã lưu thay đổi."), "ok")
    return redirect(url_for("web.today", date=entry.work_date.isoformat() if entry.work_date != today() else None))


@bp.post("/t/<tenant>/entries/<uuid:work_entry_id>/delete")
@page()
def delete_entry(work_entry_id: uuid.UUID):
    official = my_official()
    if official is None:
        return no_official_page()
    entry = worklog.own_entry(official.id, work_entry_id)
    day = entry.work_date
    try:
        worklog.delete_entry(entry.id)
        db.session.commit()
        flash(_("Đã xóa công việc nháp."), "ok")
    except DomainError as error:
        db.session.rollback()
        flash(message_of(error), "problem")
    return redirect(url_for("web.today", date=day.isoformat() if day != today() else None))


# ---------------------------------------------------------------- my month


@bp.get("/t/<tenant>/month")
@page()
def month():
    official = my_official()
    if official is None:
        return no_official_page()
    now = today()
    day = month_day(request.args.get("month"), now)
    result = projection.month_so_far(official.id, day)
    method = reads.scoring_method(result["month"])
    decree = projection.decree_so_far(official.id, day) if method == "decree-335" else None
    previous = result["month"] - timedelta(days=1)
    return render_template(
        "month.html",
        official=official,
        result=result,
        now=now,
        ratings=reads.rating_names(result["month"]),
        task_max=reads.task_max(result["month"]),
        method=method,
        decree=decree,
        qualities={level.code: level for level in reads.quality_levels(result["month"])[0]},
        previous=previous.strftime("%Y-%m"),
        following=None if day >= now else (result["month"] + timedelta(days=32)).strftime("%Y-%m"),
    )
