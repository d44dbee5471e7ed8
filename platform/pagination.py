"""Paging a select for flask-smorest's @blp.paginate() (page, page_size, X-Pagination header)."""

from __future__ import annotations

from sqlalchemy import Select, func, select

from kpi_platform.db import db
from kpi_platform.errors import Invalid

MAX_OFFSET = 10_000_000  # far beyond any real list; keeps OFFSET inside the database's integer range


def page_of(stmt: Select, pagination_parameters, *, scalars: bool = True) -> list:
    """One page of `stmt` (entities, or rows when scalars=False) and the total count."""
    if pagination_parameters.first_item > MAX_OFFSET:
        raise Invalid("Số trang quá lớn.", "The page number is too large.", fields={"page": ["too large"]})
    count = select(func.count()).select_from(stmt.order_by(None).subquery())
    pagination_parameters.item_count = db.session.scalar(count)
    page = stmt.limit(pagination_parameters.page_size).offset(pagination_parameters.first_item)
    return db.session.scalars(page).all() if scalars else db.session.execute(page).all()
