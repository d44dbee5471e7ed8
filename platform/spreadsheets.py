"""Excel workbooks with Vietnamese headers, streamed (write-only), for every export."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter


def xlsx(sheet_title: str, columns: list[tuple[str, str]], rows: list[dict], *, title: str | None = None) -> bytes:
    """columns: (key in the rows, Vietnamese header). Decimals become numbers."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    sheet.freeze_panes = "A2"
    for index, (key, header) in enumerate(columns, start=1):
        width = max([len(header)] + [len(str(row.get(key) if row.get(key) is not None else "")) for row in rows[:500]])
        sheet.column_dimensions[get_column_letter(index)].width = min(60, width + 2)
    cells = []
    for _, header in columns:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)
    for row in rows:
        sheet.append([_cell(row.get(key)) for key, _ in columns])
    if title:
        workbook.properties.title = title
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, dict)):
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return value
