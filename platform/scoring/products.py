"""Assigned products (giao việc) for the Decree 335 method: a manager assigns catalog items to an
official for a month, one by one or as a month's plan in bulk, or accepts the official's own plan;
approved work entries of the item complete them; the reviewer records failed quality assessments
and delays, and may mark a failure's cause as objective (then it costs nothing)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, select

from kpi_platform.audit import service as audit
from kpi_platform.catalog import job_descriptions
from kpi_platform.catalog import service as catalog
from kpi_platform.catalog.models import CatalogItem, CatalogItemVersion
from kpi_platform.context import require_tenant_id
from kpi_platform.db import db
from kpi_platform.errors import Conflict, Forbidden, Invalid, NotFound, bulk_failed, row_error_of
from kpi_platform.org import access as org_access
from kpi_platform.org import service as org
from kpi_platform.scoring import engine
from kpi_platform.scoring.engine import d
from kpi_platform.scoring.models import AssignedProduct, LeaderMark, ProductSource, ProductStatus
from kpi_platform.worklog.models import SCORED, WorkEntry


def _month(day: date) -> date:
    return day.replace(day=1)


def _require_assigner(principal, official_id, today) -> None:
    org_access.require_reviewer_or_admin(
        principal, official_id, today, what_vi="giao hoặc duyệt sản phẩm", what_en="assign or accept products"
    )


def get(product_id: uuid.UUID) -> AssignedProduct:
    product = db.session.get(AssignedProduct, (require_tenant_id(), product_id))
    if product is None:
        raise NotFound("Không tìm thấy sản phẩm được giao.", "Assigned product not found.")
    return product


def _allowed_in_month(official_id, month: date) -> set[uuid.UUID]:
    """Items the official may log on some day of the month (its start, middle or end: posts and job
    descriptions change rarely within a month)."""
    allowed: set[uuid.UUID] = set()
    for day in (month, month.replace(day=15), month.replace(day=28)):
        query = job_descriptions.allowed_items(official_id, day).with_only_columns(CatalogItem.id)
        allowed.update(db.session.scalars(query))
    return allowed


def _check_item(item_id, allowed: set[uuid.UUID]) -> None:
    if item_id not in allowed:
        raise Invalid(
            "Mục này không thuộc bản mô tả công việc của cán bộ trong tháng.",
            "This item is not in the official's job descriptions that month.",
            fields={"item_id": ["not allowed"]},
            code="item_not_allowed",
        )


def assign(rows: list[dict], *, by, today: date, source: str = "assigned") -> list[AssignedProduct]:
    """Assign (manager) or propose (the official's own plan, source "plan") products; all or nothing."""
    created, errors = [], []
    allowed: dict[tuple, set[uuid.UUID]] = {}
    own = org.official_for_principal(by.id)
    for number, row in enumerate(rows, start=1):
        try:
            official_id, month = row["official_id"], _month(row["month"])
            if source == ProductSource.plan:
                if own is None or own.id != official_id:
                    raise Forbidden("Chỉ tự lập kế hoạch cho mình.", "One plans one's own products only.")
            else:
                _require_assigner(by, official_id, today)
            if d(row["quantity"]) <= 0:
                raise Invalid(fields={"quantity": ["must be above 0"]})
            key = (official_id, month)
            if key not in allowed:  # three queries per official and month, not per row
                allowed[key] = _allowed_in_month(official_id, month)
            _check_item(row["item_id"], allowed[key])
        except (Invalid, Forbidden, NotFound) as error:
            errors.append(row_error_of(number, error))
            continue
        product = AssignedProduct(
            official_id=official_id,
            item_id=row["item_id"],
            month=month,
            quantity=d(row["quantity"]),
            deadline=row.get("deadline"),
            source=ProductSource(source),
            status=ProductStatus.proposed if source == ProductSource.plan else ProductStatus.assigned,
            note=row.get("note"),
            assigned_by=by.id,
            assessments=[],
        )
        created.append(product)
    if errors:
        raise bulk_failed(errors)
    db.session.add_all(created)
    db.session.flush()
    audit.record(
        "scoring.products.assign",
        "assigned_product",
        None,
        after={"source": source, "ids": [str(p.id) for p in created]},
    )
    return created


def accept(product_ids: list[uuid.UUID], *, by, today: date) -> list[AssignedProduct]:
    products = [get(i) for i in product_ids]
    for product in products:
        _require_assigner(by, product.official_id, today)
        if product.status != ProductStatus.proposed:
            raise Conflict(
                "Chỉ duyệt được kế hoạch đang đề xuất.", "Only proposed products can be accepted.", code="not_proposed"
            )
    for product in products:
        product.status, product.accepted_by = ProductStatus.assigned, by.id
    db.session.flush()
    audit.record("scoring.products.accept", "assigned_product", None, after={"ids": [str(p.id) for p in products]})
    return products


def cancel(product_id: uuid.UUID, *, by, today: date) -> AssignedProduct:
    product = get(product_id)
    _require_assigner(by, product.official_id, today)
    product.status = ProductStatus.cancelled
    db.session.flush()
    audit.record("scoring.products.cancel", "assigned_product", product.id)
    return product


def assess(product_id: uuid.UUID, *, kind: str, objective: bool, note: str | None, by, today: date):
    """Record a failed quality assessment ("quality") or a delay ("delay")."""
    product = get(product_id)
    _require_assigner(by, product.official_id, today)
    if kind not in ("quality", "delay"):
        raise Invalid(fields={"kind": ["quality or delay"]})
    if objective:
        product.objective_failures += 1
    elif kind == "quality":
        product.quality_failures += 1
    else:
        product.delays += 1
    product.assessments = [
        *product.assessments,
        {"kind": kind, "objective": objective, "note": note, "by": str(by.id), "on": today.isoformat()},
    ]
    db.session.flush()
    audit.record(
        "scoring.products.assess",
        "assigned_product",
        product.id,
        after={"kind": kind, "objective": objective, "note": note},
    )
    return product


def list_products(*, official_id=None, month: date | None = None, status: str | None = None):
    stmt = select(AssignedProduct).order_by(AssignedProduct.month.desc(), AssignedProduct.created_at)
    if official_id:
        stmt = stmt.where(AssignedProduct.official_id == official_id)
    if month:
        stmt = stmt.where(AssignedProduct.month == _month(month))
    if status:
        stmt = stmt.where(AssignedProduct.status == status)
    return stmt


def mark_unity(*, official_id: uuid.UUID, month: date, unity, by) -> LeaderMark:
    if d(unity) not in (Decimal(1), Decimal("0.5")):
        raise Invalid(fields={"unity": ["1.0 or 0.5"]})
    month = _month(month)
    mark = db.session.get(LeaderMark, (require_tenant_id(), official_id, month)) or LeaderMark(
        official_id=official_id, month=month
    )
    mark.unity, mark.marked_by = d(unity), by.id
    db.session.add(mark)
    db.session.flush()
    audit.record("scoring.leader_mark", "official", official_id, after={"month": month.isoformat(), "e": str(unity)})
    return mark


# ---------------------------------------------------------------- what the decree counts, for a month


def month_products(
    start: date, end: date, official_id: uuid.UUID | None = None
) -> dict[uuid.UUID, list[tuple[engine.Product, dict]]]:
    """official -> [(product as counted, its description for the explanation)]: the assigned
    products, completed by the month's approved quantity of their item (earliest deadline first),
    and what approved work is left over, as unplanned products counted completed."""
    done = defaultdict(Decimal)  # (official, item) -> approved quantity
    unplanned_weight: dict[tuple, Decimal] = defaultdict(Decimal)
    approved_quantity: dict[tuple, Decimal] = {}
    w = CatalogItemVersion.norm_minutes * CatalogItemVersion.complexity_coefficient / 60
    for official, item, quantity, weight in db.session.execute(
        select(WorkEntry.official_id, WorkEntry.item_id, func.sum(WorkEntry.quantity), func.sum(w * WorkEntry.quantity))
        .select_from(WorkEntry)
        .join(
            CatalogItemVersion,
            and_(
                CatalogItemVersion.tenant_id == WorkEntry.tenant_id, CatalogItemVersion.id == WorkEntry.item_version_id
            ),
        )
        .where(
            WorkEntry.work_date >= start,
            WorkEntry.work_date < end,
            WorkEntry.state.in_(SCORED),
            *([WorkEntry.official_id == official_id] if official_id else []),
        )
        .group_by(WorkEntry.official_id, WorkEntry.item_id)
    ):
        done[(official, item)] = approved_quantity[(official, item)] = d(quantity)
        unplanned_weight[(official, item)] = d(weight)
    assigned = db.session.scalars(
        select(AssignedProduct)
        .where(
            AssignedProduct.month == start,
            AssignedProduct.status == ProductStatus.assigned,
            *([AssignedProduct.official_id == official_id] if official_id else []),
        )
        .order_by(
            AssignedProduct.official_id,
            AssignedProduct.deadline.is_(None),
            AssignedProduct.deadline,
            AssignedProduct.created_at,
        )
    ).all()
    items = {
        i.id: i
        for i in db.session.scalars(select(CatalogItem).where(CatalogItem.id.in_({p.item_id for p in assigned})))
    }
    versions = {view["item"].id: view["version"] for view in catalog.views(list(items.values()), start)}
    out: dict[uuid.UUID, list] = defaultdict(list)
    unfinished: set[tuple] = set()
    for product in assigned:
        version = versions[product.item_id]
        unit_weight = engine.weight(version.norm_minutes, version.complexity_coefficient)
        key = (product.official_id, product.item_id)
        completed = done[key] >= d(product.quantity)
        if completed:
            done[key] -= d(product.quantity)
        else:
            unfinished.add(key)
        out[product.official_id].append(
            (
                engine.Product(
                    product.id, unit_weight * d(product.quantity), completed, product.quality_failures, product.delays
                ),
                {
                    "product_id": product.id,
                    "item_code": items[product.item_id].code,
                    "quantity": product.quantity,
                    "deadline": product.deadline,
                    "source": str(product.source),
                    "objective_failures": product.objective_failures,
                },
            )
        )
    for (official, item), left in done.items():
        # Approved work beyond (or without) an assignment counts as unplanned, assigned and
        # completed: its share of the weight. Work towards a product left unfinished does not.
        if left > 0 and (official, item) not in unfinished:
            weight = unplanned_weight[(official, item)] * left / approved_quantity[(official, item)]
            out[official].append(
                (
                    engine.Product(("unplanned", item), weight, True),
                    {"product_id": None, "item_id": item, "quantity": left, "source": "unplanned"},
                )
            )
    return out


def unity_marks(start: date) -> dict[uuid.UUID, Decimal]:
    return {
        o: d(u)
        for o, u in db.session.execute(
            select(LeaderMark.official_id, LeaderMark.unity).where(LeaderMark.month == start)
        )
    }
