"""The benchmarks as Excel workbooks, with Vietnamese headers (spreadsheets.xlsx)."""

from __future__ import annotations

from kpi_platform.benchmarking.service import INDICATORS
from kpi_platform.spreadsheets import xlsx

RULES_VI = {
    "far": "khác xa trung vị các tỉnh",
    "above_8": "trên 8 giờ/ngày",
    "above_quota": "vượt hạn mức xuất sắc",
}
INDICATOR_COLUMNS = [(name, vi) for name, (vi, _, _) in INDICATORS.items()]
DIMENSION_HEADERS = [
    ("unit_kind", "Loại đơn vị"),
    ("sector", "Lĩnh vực"),
    ("position_category", "Nhóm vị trí việc làm"),
    ("staff_kind", "Loại cán bộ"),
]


def _outliers(row: dict) -> str:
    return "; ".join(f"{INDICATORS[o['indicator']][0]}: {RULES_VI.get(o['rule'], o['rule'])}" for o in row["outliers"])


def overview_xlsx(data: dict) -> bytes:
    period = (data.get("period") or {}).get("label", "")
    rows = [
        {
            "province": row["province"]["name_vi"],
            "period": period,
            "months": row["months"],
            **{d: (data.get("cell") or {}).get(d) for d, _ in DIMENSION_HEADERS},
            **row["indicators"],
            "outliers": _outliers(row),
            "published": "có" if row["published"] else "không (dưới ngưỡng hoặc được che)",
        }
        for row in data["provinces"]
    ]
    columns = [
        ("province", "Tỉnh, thành phố"),
        ("period", "Kỳ"),
        ("months", "Số tháng có số liệu"),
        *DIMENSION_HEADERS,
        ("published", "Có số liệu công bố"),
        *INDICATOR_COLUMNS,
        ("outliers", "Dấu hiệu bất thường"),
    ]
    return xlsx("Tổng quan các tỉnh", columns, rows, title=f"So sánh giữa các tỉnh, kỳ {period}")


def cells_xlsx(data: dict) -> bytes:
    period = (data.get("period") or {}).get("label", "")
    rows = [
        {
            "province": row["province"]["name_vi"],
            "period": period,
            "months": row["months"],
            **row["cell"],
            **row["indicators"],
        }
        for row in data["rows"]
    ]
    columns = [("province", "Tỉnh, thành phố"), ("period", "Kỳ"), ("months", "Số tháng có số liệu"), *DIMENSION_HEADERS]
    return xlsx("So sánh theo ô", columns + INDICATOR_COLUMNS, rows, title=f"So sánh theo ô phân loại, kỳ {period}")


def standing_xlsx(data: dict) -> bytes:
    rows = []
    for name, (vi, _, _) in INDICATORS.items():
        comparison = (data.get("comparison") or {}).get(name) or {}
        spread = comparison.get("distribution") or {}
        rows.append(
            {
                "indicator": vi,
                "own": (data.get("indicators") or {}).get(name),
                "rank": comparison.get("rank"),
                "provinces": spread.get("n"),
                "q1": spread.get("q1"),
                "median": spread.get("median"),
                "q3": spread.get("q3"),
            }
        )
    columns = [
        ("indicator", "Chỉ số"),
        ("own", "Giá trị của tỉnh"),
        ("rank", "Thứ tự (từ thấp đến cao)"),
        ("provinces", "Số tỉnh có số liệu"),
        ("q1", "Tứ phân vị thứ nhất các tỉnh"),
        ("median", "Trung vị các tỉnh"),
        ("q3", "Tứ phân vị thứ ba các tỉnh"),
    ]
    period = (data.get("period") or {}).get("label", "")
    return xlsx("Vị trí của tỉnh", columns, rows, title=f"Vị trí của {data['province']['name_vi']}, kỳ {period}")
