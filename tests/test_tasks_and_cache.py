"""Celery tasks carry their tenant; caches are keyed by tenant."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from kpi_platform.cache import cache, tenant_key
from kpi_platform.celery_app import MissingTenant
from kpi_platform.context import NoTenantContext, current_tenant_id, tenant_scope
from kpi_platform.db import db, utcnow
from kpi_platform.identity.models import ApiToken
from kpi_platform.identity.tasks import purge_expired_tokens, purge_expired_tokens_all_tenants


def _age_tokens(account, days: int) -> None:
    with tenant_scope(account.tenant.id):
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.principal_id == account.id)
            .values(expires_at=utcnow() - timedelta(days=days))
        )
        db.session.commit()


def _token_count(tenant) -> int:
    with tenant_scope(tenant.id):
        return len(db.session.scalars(select(ApiToken.id)).all())


def test_task_under_a_touches_only_a(make_account, tenant_a, tenant_b):
    old_a, old_b = make_account(tenant_a), make_account(tenant_b)
    fresh_a = make_account(tenant_a)
    _age_tokens(old_a, 200)
    _age_tokens(old_b, 200)
    before_a, before_b = _token_count(tenant_a), _token_count(tenant_b)

    result = purge_expired_tokens.delay(str(tenant_a.id), older_than_days=90)

    assert result.get() == 1
    assert _token_count(tenant_a) == before_a - 1
    assert _token_count(tenant_b) == before_b, "B's expired token must survive a task run for A"
    with tenant_scope(tenant_a.id):
        assert db.session.get(ApiToken, (tenant_a.id, fresh_a_token_id(fresh_a))) is not None


def fresh_a_token_id(account):
    with tenant_scope(account.tenant.id):
        return db.session.scalars(select(ApiToken.id).where(ApiToken.principal_id == account.id)).one()


def test_task_without_tenant_refuses_to_run():
    with pytest.raises(TypeError):  # refused at enqueue time by the task's signature
        purge_expired_tokens.delay()
    with pytest.raises(MissingTenant):  # and by the worker, for a message that names no tenant
        purge_expired_tokens.delay(None, older_than_days=1)
    with pytest.raises(MissingTenant):
        purge_expired_tokens.apply(kwargs={"tenant_id": ""}).get()


def test_task_with_unknown_tenant_refuses_to_run():
    with pytest.raises(MissingTenant, match="unknown tenant"):
        purge_expired_tokens.delay(str(uuid.uuid4()))


def test_task_leaves_the_callers_tenant_in_place(make_account, tenant_a, tenant_b):
    make_account(tenant_a)
    with tenant_scope(tenant_a.id):
        purge_expired_tokens.delay(str(tenant_b.id))
        assert current_tenant_id() == tenant_a.id
        assert {t.tenant_id for t in db.session.scalars(select(ApiToken))} == {tenant_a.id}


def test_beat_job_enqueues_one_task_per_tenant(tenant_a, tenant_b):
    count = purge_expired_tokens_all_tenants.delay().get()
    assert count >= 3  # the system tenant, A and B at least


def test_cache_keys_differ_by_tenant(tenant_a, tenant_b):
    with tenant_scope(tenant_a.id):
        key_a = tenant_key("dashboard", 1)
        cache.set("dashboard", 1, value="A's figures", ttl=30)
    with tenant_scope(tenant_b.id):
        key_b = tenant_key("dashboard", 1)
        assert cache.get("dashboard", 1) is None
        cache.set("dashboard", 1, value="B's figures", ttl=30)
    with tenant_scope(tenant_a.id):
        assert cache.get("dashboard", 1) == "A's figures"
    assert key_a != key_b
    assert str(tenant_a.id) in key_a and str(tenant_b.id) in key_b
    # The cache is the real Redis of the test configuration.
    assert cache.store.client.get(key_a) == "A's figures"


def test_cache_needs_a_tenant():
    with pytest.raises(NoTenantContext):
        tenant_key("anything")


@pytest.mark.no_tx
def test_task_through_real_redis_broker_and_worker(app, make_account_committed, tenant_a, tenant_b):
    """A message over Redis to a real worker thread: the tenant travels with it, and the worker's
    own database session (the app role, RLS on) touches only that tenant."""
    from celery.contrib.testing.worker import start_worker  # noqa: PLC0415

    celery = app.extensions["celery"]
    old_a, old_b = make_account_committed(tenant_a), make_account_committed(tenant_b)
    _age_tokens(old_a, 200)
    _age_tokens(old_b, 200)
    celery.conf.task_always_eager = False
    try:
        with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            result = purge_expired_tokens.delay(str(tenant_a.id), older_than_days=90)
            assert result.get(timeout=30) == 1
            missing = purge_expired_tokens.apply_async(kwargs={"tenant_id": None, "older_than_days": 1})
            with pytest.raises(MissingTenant):
                missing.get(timeout=30)
    finally:
        celery.conf.task_always_eager = True
    assert _token_count(tenant_b) >= 1
    with tenant_scope(tenant_b.id):
        ids = db.session.scalars(select(ApiToken.id).where(ApiToken.principal_id == old_b.id)).all()
    assert ids, "B's expired token must survive"
