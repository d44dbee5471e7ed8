"""The tenant's settings in force on a day, and saving a new version from a date. No Flask here.

A new version starting on day D ends the one in force on D there; versions that started later are
replaced (their periods would overlap). A version holds what the tenant stated, merged with what
the version in force then stated; reading merges it over the defaults (document.py). Reads are
kept for the rest of the session (a request or a task), so a request reads its settings once.
"""

from __future__ import annotations

from datetime import date

import marshmallow as ma
from sqlalchemy import event, func, select

from kpi_platform.audit import service as audit
from kpi_platform.db import TenantSession, db
from kpi_platform.errors import Invalid
from kpi_platform.periods import active_on
from kpi_platform.tenant_settings import document as doc
from kpi_platform.tenant_settings.document import TenantSettings
from kpi_platform.tenant_settings.models import SettingsVersion

_CACHE = "kpi_tenant_settings"  # Session.info key: (tenant, day) -> (version, TenantSettings)


def _cache() -> dict:
    return db.session.info.setdefault(_CACHE, {})


@event.listens_for(TenantSession, "after_soft_rollback")
def _forget_after_rollback(session, previous_transaction) -> None:
    session.info.pop(_CACHE, None)


def _read(day: date) -> tuple[SettingsVersion | None, TenantSettings]:
    from kpi_platform.context import require_tenant_id

    key = (require_tenant_id(), day)
    found = _cache().get(key)
    if found is None:
        version = db.session.scalar(select(SettingsVersion).where(active_on(SettingsVersion, day)))
        found = (version, _typed(version.document if version else {}, day))
        _cache()[key] = found
    return found


def _typed(stated: dict, day: date) -> TenantSettings:
    try:
        return doc.load(stated, day)
    except ma.ValidationError as error:
        raise invalid(error) from None


def invalid(error: ma.ValidationError) -> Invalid:
    paths = doc.error_paths(error.messages)
    names = ", ".join(sorted(paths))
    return Invalid(
        f"Cấu hình chưa hợp lệ: {names}.",
        f"The settings are not valid: {names}.",
        code="invalid_settings",
        fields=paths,
    )


def version_on(day: date) -> SettingsVersion | None:
    return _read(day)[0]


def settings_on(day: date) -> TenantSettings:
    """The typed settings in force on `day`: the tenant's version over the defaults."""
    return _read(day)[1]


def versions():
    return select(SettingsVersion).order_by(SettingsVersion.valid_from.desc())


def check(stated: dict, day: date) -> TenantSettings:
    """Validate what a tenant states (an API body, a pack's settings.yaml) as it would read on `day`."""
    return _typed(stated, day)


def _stated(stated: dict, valid_from: date) -> tuple[SettingsVersion | None, dict]:
    """The version in force on `valid_from`, and what a new version from then would state."""
    current = version_on(valid_from)
    changes = {k: v for k, v in stated.items() if v is not None}
    return current, doc.plain(doc.merged(current.document if current else {}, changes))


def would_change(stated: dict, *, valid_from: date) -> bool:
    current, document = _stated(stated, valid_from)
    return not (current is not None and current.document == document and current.valid_from <= valid_from)


def save(stated: dict, *, valid_from: date, by=None, origin: str | None = None) -> SettingsVersion | None:
    """A new version from `valid_from` unless the one in force then already says the same (None).
    `stated` may name a few keys only: it is merged over the version in force then."""
    if not would_change(stated, valid_from=valid_from):
        return None
    current, document = _stated(stated, valid_from)
    before, after = settings_on(valid_from), check(document, valid_from)
    if after.scoring_method != before.scoring_method and valid_from.day != 1:
        raise Invalid(
            "Đổi phương pháp tính điểm chỉ từ ngày đầu của một tháng (ranh giới kỳ đánh giá).",
            "The scoring method changes only from the first day of a month (a period boundary).",
            fields={"valid_from": ["first day of a month"]},
            code="method_change_mid_period",
        )
    later = db.session.scalars(select(SettingsVersion).where(SettingsVersion.valid_from >= valid_from)).all()
    for version in later:
        db.session.delete(version)
    db.session.flush()
    if current is not None and current.valid_from < valid_from:
        current.valid_to = valid_from
    number = (db.session.scalar(select(func.max(SettingsVersion.number))) or 0) + 1
    version = SettingsVersion(
        number=number,
        valid_from=valid_from,
        document=document,
        origin=origin,
        created_by=by.id if by else None,
    )
    db.session.add(version)
    db.session.flush()
    _cache().clear()
    audit.record(
        "scoring.settings.save",
        "scoring_settings",
        version.id,
        after={"number": number, "valid_from": valid_from.isoformat(), "origin": origin, "replaced": len(later)},
    )
    return version
