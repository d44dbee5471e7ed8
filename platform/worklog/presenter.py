"""Entries as the API and the pages show them: with their item, norm, standard time and official's
name, whether they are overdue for review, and (when asked) their anomaly flags — a fixed number
of queries whatever the number of entries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import and_, select

from kpi_platform.catalog.models import CatalogItem, CatalogItemVersion
from kpi_platform.db import db
from kpi_platform.org.models import Official
from kpi_platform.worklog import anomalies, service
from kpi_platform.worklog.models import WorkEntry


def entry_views(entries: list[WorkEntry], today: date, *, flags: bool = False) -> list[dict]:
    if not entries:
        return []
    items = {
        row.id: row
        for row in db.session.execute(
            select(CatalogItemVersion.id, CatalogItem.code, CatalogItemVersion.name_vi, CatalogItemVersion.norm_minutes)
            .join(
                CatalogItem,
                and_(
                    CatalogItem.tenant_id == CatalogItemVersion.tenant_id, CatalogItem.id == CatalogItemVersion.item_id
                ),
            )
            .where(CatalogItemVersion.id.in_({e.item_version_id for e in entries}))
        )
    }
    names = dict(
        db.session.execute(
            select(Official.id, Official.full_name).where(Official.id.in_({e.official_id for e in entries}))
        ).all()
    )
    found = anomalies.flags_for(entries, today, day_minutes=service.Rules.on(today).day_minutes) if flags else {}
    cutoff = service.escalation_cutoff(today)  # once, not per entry
    out = []
    for entry in entries:
        item = items[entry.item_version_id]
        out.append(
            {
                **{c.key: getattr(entry, c.key) for c in WorkEntry.__table__.columns if c.key != "tenant_id"},
                "item_code": item.code,
                "item_name": item.name_vi,
                "norm_minutes": item.norm_minutes,
                "standard_minutes": Decimal(str(item.norm_minutes)) * Decimal(str(entry.quantity)),
                "official_name": names.get(entry.official_id),
                "escalated": service.escalated(entry, cutoff),
                "flags": found.get(entry.id, []),
            }
        )
    return out
