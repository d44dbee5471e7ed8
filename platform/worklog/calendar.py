"""The tenant's working calendar: Monday to Friday, minus the Vietnamese public holidays (the
defaults below, by year), with the tenant's own exceptions on top (a holiday it adds, a Saturday
worked to make up for a bridge day)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from kpi_platform.audit import service as audit
from kpi_platform.context import require_tenant_id
from kpi_platform.db import db
from kpi_platform.errors import NotFound
from kpi_platform.worklog.models import CalendarDay, DayKind

# Public holidays for civil servants as announced each year (Tết and Giỗ Tổ follow the lunar
# calendar). Only weekdays matter; a tenant corrects or adds days through the calendar API.
PUBLIC_HOLIDAYS: dict[int, dict[date, str]] = {
    2025: {
        date(2025, 1, 1): "Tết Dương lịch",
        **{date(2025, 1, 27) + timedelta(days=i): "Tết Nguyên đán" for i in range(5)},  # 27-31/1
        date(2025, 4, 7): "Giỗ Tổ Hùng Vương",
        date(2025, 4, 30): "Ngày Giải phóng miền Nam",
        date(2025, 5, 1): "Quốc tế Lao động",
        date(2025, 5, 2): "Nghỉ bù (hoán đổi)",
        date(2025, 9, 1): "Quốc khánh",
        date(2025, 9, 2): "Quốc khánh",
    },
    2026: {
        date(2026, 1, 1): "Tết Dương lịch",
        date(2026, 1, 2): "Nghỉ bù (hoán đổi)",
        **{date(2026, 2, 16) + timedelta(days=i): "Tết Nguyên đán" for i in range(5)},  # 16-20/2
        date(2026, 4, 27): "Giỗ Tổ Hùng Vương (nghỉ bù)",
        date(2026, 4, 30): "Ngày Giải phóng miền Nam",
        date(2026, 5, 1): "Quốc tế Lao động",
        date(2026, 9, 1): "Quốc khánh",
        date(2026, 9, 2): "Quốc khánh",
    },
}


def exceptions(start: date, end: date) -> dict[date, tuple[DayKind, str]]:
    """Holidays and worked weekend days in [start, end]: the defaults, then the tenant's own."""
    days: dict[date, tuple[DayKind, str]] = {}
    for year in range(start.year, end.year + 1):
        for day, name in PUBLIC_HOLIDAYS.get(year, {}).items():
            if start <= day <= end:
                days[day] = (DayKind.holiday, name)
    for row in db.session.scalars(select(CalendarDay).where(CalendarDay.day >= start, CalendarDay.day <= end)):
        days[row.day] = (row.kind, row.name)
    return days


def working_days(start: date, end: date) -> list[date]:
    """The working days in [start, end]."""
    special = exceptions(start, end)
    days, day = [], start
    while day <= end:
        kind = special.get(day, (None, None))[0]
        if kind == DayKind.working or (kind is None and day.weekday() < 5):
            days.append(day)
        day += timedelta(days=1)
    return days


def is_working_day(day: date) -> bool:
    return bool(working_days(day, day))


def working_days_back(start: date, end: date) -> int:
    """How many working days after `start` up to and including `end` (0 when start is end)."""
    if start >= end:
        return 0
    return len(working_days(start + timedelta(days=1), end))


def set_day(day: date, kind: str, name: str) -> CalendarDay:
    row = db.session.get(CalendarDay, (require_tenant_id(), day)) or CalendarDay(day=day)
    row.kind, row.name = DayKind(kind), name.strip()
    db.session.add(row)
    db.session.flush()
    audit.record("calendar.set", "calendar_day", day.isoformat(), after={"kind": str(row.kind), "name": row.name})
    return row


def remove_day(day: date) -> None:
    row = db.session.get(CalendarDay, (require_tenant_id(), day))
    if row is None:
        raise NotFound("Ngày này không có ngoại lệ nào của tỉnh.", "The tenant has no exception on this day.")
    db.session.delete(row)
    db.session.flush()
    audit.record("calendar.remove", "calendar_day", day.isoformat(), before={"kind": str(row.kind), "name": row.name})
