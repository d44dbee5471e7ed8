"""A small key-value cache: Redis when configured, process memory in the demo.

Every key is prefixed with the current tenant, so one province can never read another's entry.
"""

from __future__ import annotations

import threading
import time

import redis

from kpi_platform.context import require_tenant_id

KEY_PREFIX = "kpi"


def tenant_key(*parts: object) -> str:
    """kpi:t:<tenant id>:<parts...>; raises when no tenant is selected."""
    return ":".join([KEY_PREFIX, "t", str(require_tenant_id()), *(str(p) for p in parts)])


class MemoryStore:
    def __init__(self) -> None:
        self._data: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item and item[0] > time.monotonic():
            return item[1]
        self._data.pop(key, None)
        return None

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._live(key)

    def set(self, key: str, value: str, ttl: int) -> None:
        with self._lock:
            self._data[key] = (time.monotonic() + ttl, value)

    def add(self, key: str, value: str, ttl: int) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._data[key] = (time.monotonic() + ttl, value)
            return True

    def ping(self) -> bool:
        return True


class RedisStore:
    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=2, socket_connect_timeout=2)

    def get(self, key: str) -> str | None:
        return self.client.get(key)

    def set(self, key: str, value: str, ttl: int) -> None:
        self.client.set(key, value, ex=ttl)

    def add(self, key: str, value: str, ttl: int) -> bool:
        return bool(self.client.set(key, value, ex=ttl, nx=True))

    def ping(self) -> bool:
        return bool(self.client.ping())


class TenantCache:
    """get/set/add on tenant-prefixed keys."""

    def __init__(self) -> None:
        self.store: MemoryStore | RedisStore = MemoryStore()

    def init_app(self, app) -> None:
        url = app.config["SETTINGS"].redis_url
        self.store = RedisStore(url) if url else MemoryStore()
        app.extensions["kpi_cache"] = self

    def get(self, *parts) -> str | None:
        return self.store.get(tenant_key(*parts))

    def set(self, *parts, value: str, ttl: int) -> None:
        self.store.set(tenant_key(*parts), value, ttl)

    def add(self, *parts, value: str = "1", ttl: int) -> bool:
        """Set only if absent; True when this call set it (a per-tenant debounce)."""
        return self.store.add(tenant_key(*parts), value, ttl)


cache = TenantCache()
