"""Settings from environment variables. The defaults give the embedded demo.

Every variable is prefixed with KPI_. Production refuses to start on the demo's defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SECRET_KEY = "demo-only-insecure-secret-key"  # noqa: S105 - refused outside the demo
ENVIRONMENTS = ("demo", "development", "test", "production")


class ConfigError(RuntimeError):
    """The configuration cannot run; the message says what to set."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass
class Settings:
    env: str = "demo"
    instance_path: Path = field(default_factory=lambda: Path.cwd() / "instance")
    database_url: str = ""
    migration_database_url: str = ""
    cross_tenant_database_url: str = ""
    redis_url: str | None = None
    secret_key: str = DEFAULT_SECRET_KEY
    base_domain: str = ""
    celery_eager: bool = True
    # Fernet keys for secrets kept in the database (comma separated; the first one encrypts).
    encryption_keys: str = ""
    token_default_days: int = 90
    token_max_days: int = 365
    # Browser sessions end after this long without a request, and after this long in any case.
    session_idle_minutes: int = 30
    session_absolute_hours: int = 10
    # In production an issuer on a private network (10.x, 192.168.x …) is refused unless this is on;
    # loopback, link-local (cloud metadata) and other special addresses are refused in any case.
    sso_allow_private_issuers: bool = False
    # Benchmarking: no cell of fewer officials is published (nor one that would give it away).
    benchmark_min_group_size: int = 10
    # Test-only switch used to prove the isolation tests catch a missing ORM layer.
    tenant_orm_filter: bool = True

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_demo(self) -> bool:
        return self.env in ("demo", "development")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        e = os.environ if environ is None else environ
        env = e.get("KPI_ENV", "demo").strip().lower()
        instance = Path(e.get("KPI_INSTANCE_PATH") or Path.cwd() / "instance").resolve()
        database_url = e.get("KPI_DATABASE_URL") or f"sqlite:///{instance / 'kpi-demo.sqlite3'}"
        settings = cls(
            env=env,
            instance_path=instance,
            database_url=database_url,
            migration_database_url=e.get("KPI_MIGRATION_DATABASE_URL") or database_url,
            cross_tenant_database_url=e.get("KPI_CROSS_TENANT_DATABASE_URL") or database_url,
            redis_url=e.get("KPI_REDIS_URL") or None,
            secret_key=e.get("KPI_SECRET_KEY") or DEFAULT_SECRET_KEY,
            base_domain=e.get("KPI_BASE_DOMAIN") or "",
            celery_eager=_bool(e.get("KPI_CELERY_EAGER"), default=env in ("demo", "development", "test")),
            encryption_keys=e.get("KPI_ENCRYPTION_KEYS") or "",
            token_default_days=int(e.get("KPI_TOKEN_DEFAULT_DAYS") or 90),
            token_max_days=int(e.get("KPI_TOKEN_MAX_DAYS") or 365),
            session_idle_minutes=int(e.get("KPI_SESSION_IDLE_MINUTES") or 30),
            session_absolute_hours=int(e.get("KPI_SESSION_ABSOLUTE_HOURS") or 10),
            sso_allow_private_issuers=_bool(e.get("KPI_SSO_ALLOW_PRIVATE_ISSUERS"), default=False),
            benchmark_min_group_size=int(e.get("KPI_BENCHMARK_MIN_GROUP_SIZE") or 10),
        )
        for key, value in overrides.items():
            setattr(settings, key, value)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.env not in ENVIRONMENTS:
            raise ConfigError(f"KPI_ENV must be one of {', '.join(ENVIRONMENTS)}; got {self.env!r}.")
        if self.benchmark_min_group_size < 3:
            raise ConfigError("KPI_BENCHMARK_MIN_GROUP_SIZE must be at least 3.")
        if not self.tenant_orm_filter and self.env != "test":
            raise ConfigError("The tenant ORM filter can only be switched off in KPI_ENV=test.")
        if self.env != "production":
            return
        problems = []
        if self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < 32:
            problems.append("KPI_SECRET_KEY must be set to a random value of at least 32 characters")
        if self.is_sqlite:
            problems.append("KPI_DATABASE_URL must point to PostgreSQL (SQLite is for the demo only)")
        elif self.cross_tenant_database_url == self.database_url:
            problems.append("KPI_CROSS_TENANT_DATABASE_URL must connect as the cross-tenant role, not the app role")
        if not self.redis_url:
            problems.append("KPI_REDIS_URL must be set (Celery broker and cache)")
        if self.celery_eager:
            problems.append("KPI_CELERY_EAGER must be off in production")
        if not self.encryption_keys:
            problems.append("KPI_ENCRYPTION_KEYS must be set (Fernet keys for secrets stored in the database)")
        if problems:
            raise ConfigError("Refusing to start in production: " + "; ".join(problems) + ".")
