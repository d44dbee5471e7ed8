"""Paging a select for flask-smorest's @blp.paginate() (page, page_size, X-Pagination header)."""

from __future__ import annotations

from sqlalchemy import Select, func, select

from kpi_platform.db import db


def page_of(stmt: Select, pagination_parameters, *, scalars: bool = True) -> list:
    """One page of `stmt` (entities, or rows when scalars=False) and the total count."""
    count = select(func.count()).select_from(stmt.order_by(None).subquery())
    pagination_parameters.item_count = db.session.scalar(count)
    page = stmt.limit(pagination_parameters.page_size).offset(pagination_parameters.first_item)
    return db.session.scalars(page).all() if scalars else db.session.execute(page).all()
