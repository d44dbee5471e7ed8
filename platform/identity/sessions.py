"""Server-side browser sessions: started at sign-in, ended at logout or after the idle or absolute
time-out. The browser's signed cookie holds only a random secret per tenant; the row here (under
the tenant's row-level security) says who it is and until when. No Flask here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from kpi_platform.audit import service as audit
from kpi_platform.db import db, utcnow
from kpi_platform.identity.models import LoginSession, Principal, PrincipalStatus
from kpi_platform.identity.service import hash_token
from kpi_platform.secrets_box import secrets_box

TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most once a minute


@dataclass(frozen=True)
class Timeouts:
    idle: timedelta
    absolute: timedelta


def start(principal: Principal, *, method: str, timeouts: Timeouts, id_token: str | None, user_agent: str | None):
    """Open a session; returns (row, secret). The secret goes into the cookie and nowhere else."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    row = LoginSession(
        principal_id=principal.id,
        secret_hash=hash_token(secret),
        method=method,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timeouts.absolute,
        id_token_encrypted=secrets_box.encrypt(id_token) if id_token else None,
        user_agent=(user_agent or "")[:300] or None,
    )
    db.session.add(row)
    db.session.flush()
    audit.record("identity.sign_in", "principal", principal.id, after={"method": method, "session": str(row.id)})
    return row, secret


def find(secret: str, timeouts: Timeouts) -> LoginSession | None:
    """The live session of this secret in the current tenant, or None (ending it if it timed out)."""
    row = db.session.scalar(select(LoginSession).where(LoginSession.secret_hash == hash_token(secret)))
    if row is None or row.ended_at is not None:
        return None
    now = utcnow()
    if now >= row.expires_at:
        _end(row, "absolute_timeout")
        return None
    if now - row.last_seen_at >= timeouts.idle:
        _end(row, "idle_timeout")
        return None
    if row.principal.status != PrincipalStatus.active:
        _end(row, "account_disabled")
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row


def _end(row: LoginSession, reason: str) -> None:
    row.ended_at = utcnow()
    row.end_reason = reason


def end(row: LoginSession, reason: str = "logout") -> str | None:
    """End a session; returns the ID token to hint the provider's own logout, if there was one."""
    _end(row, reason)
    audit.record("identity.sign_out", "principal", row.principal_id, after={"session": str(row.id), "reason": reason})
    return secrets_box.decrypt(row.id_token_encrypted) if row.id_token_encrypted else None


def end_all_for(principal_id, reason: str = "revoked") -> int:
    """End every open session of an account (account disabled, roles changed, admin's request)."""
    result = db.session.execute(
        update(LoginSession)
        .where(LoginSession.principal_id == principal_id, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )
    return result.rowcount
