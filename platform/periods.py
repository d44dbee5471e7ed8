"""Effective-dated periods, shared by every capability: every period is half-open,
valid_from <= day < valid_to, and NULL means open-ended."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, or_

MAX_DEPTH = 64  # no real org tree is this deep; bounds the recursive walks whatever the data


def active_on(model, day: date):
    """valid_from <= day < valid_to (NULL: open)."""
    return and_(model.valid_from <= day, or_(model.valid_to.is_(None), model.valid_to > day))


def overlaps(model, start: date, end: date | None):
    """The row's period meets [start, end) (end None: open)."""
    conditions = [or_(model.valid_to.is_(None), model.valid_to > start)]
    if end is not None:
        conditions.append(model.valid_from < end)
    return and_(*conditions)


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1)
