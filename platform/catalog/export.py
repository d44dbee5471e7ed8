"""The approved catalog as of a day, as rows and as CSV or Excel with Vietnamese headers."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import and_, select

from kpi_platform.catalog.models import GROUP_NAMES, CatalogItem, CatalogItemVersion, VersionState
from kpi_platform.catalog.service import loggable_on
from kpi_platform.db import db
from kpi_platform.org import service as org
from kpi_platform.org.models import OrgUnitVersion

COLUMNS = (
    ("code", "Mã", "Code"),
    ("group", "Nhóm", "Group"),
    ("group_name", "Tên nhóm", "Group name"),
    ("agency", "Cơ quan (nhóm C)", "Agency (group C)"),
    ("name_vi", "Tên sản phẩm/công việc", "Work item"),
    ("output_unit", "Đơn vị sản phẩm", "Output unit"),
    ("norm_minutes", "Định mức (phút/sản phẩm)", "Norm (minutes per unit)"),
    ("complexity", "Độ phức tạp", "Complexity"),
    ("coefficient", "Hệ số phức tạp", "Complexity coefficient"),
    ("weight_hours", "Quy đổi (giờ chuẩn/sản phẩm)", "Weight (standard hours per unit)"),
    ("field", "Lĩnh vực", "Field"),
    ("done_definition", "Tiêu chí hoàn thành", "What counts as done"),
    ("version", "Phiên bản", "Version"),
    ("valid_from", "Hiệu lực từ", "In force from"),
)


def approved_rows(day: date) -> list[dict]:
    agency = select(OrgUnitVersion.unit_id, OrgUnitVersion.name_vi).where(org.active_on(OrgUnitVersion, day)).subquery()
    rows = db.session.execute(
        select(CatalogItem, CatalogItemVersion, agency.c.name_vi)
        .join(
            CatalogItemVersion,
            and_(
                CatalogItemVersion.tenant_id == CatalogItem.tenant_id,
                CatalogItemVersion.item_id == CatalogItem.id,
                CatalogItemVersion.state == VersionState.approved,
                org.active_on(CatalogItemVersion, day),
            ),
        )
        .outerjoin(agency, agency.c.unit_id == CatalogItem.agency_id)
        .where(loggable_on(day))
        .order_by(CatalogItem.item_group, CatalogItem.code)
    )
    return [
        {
            "code": item.code,
            "group": str(item.item_group),
            "group_name": GROUP_NAMES[item.item_group][0],
            "agency": agency_name or "",
            "name_vi": version.name_vi,
            "output_unit": version.output_unit,
            "norm_minutes": version.norm_minutes,
            "complexity": version.complexity,
            "coefficient": version.complexity_coefficient,
            "weight_hours": (Decimal(version.norm_minutes) * Decimal(version.complexity_coefficient) / 60).quantize(
                Decimal("0.0001")
            ),
            "field": version.field or "",
            "done_definition": version.done_definition or "",
            "version": version.number,
            "valid_from": version.valid_from,
        }
        for item, version, agency_name in rows
    ]


def to_csv(rows: list[dict]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Vietnamese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([vi for _, vi, _ in COLUMNS])
    for row in rows:
        writer.writerow([row[key] for key, _, _ in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(rows: list[dict], day: date) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Danh mục"
    sheet.append([vi for _, vi, _ in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in (row[key] for key, _, _ in COLUMNS)])
    sheet.freeze_panes = "A2"
    for index, (key, vi, _) in enumerate(COLUMNS, start=1):
        width = max([len(vi)] + [len(str(row[key])) for row in rows[:500]])
        sheet.column_dimensions[get_column_letter(index)].width = min(60, width + 2)
    workbook.properties.title = f"Danh mục sản phẩm công việc đã duyệt ({day.isoformat()})"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
