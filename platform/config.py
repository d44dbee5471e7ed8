"""Settings from environment variables. The defaults give the embedded demo.

Every variable is prefixed with KPI_. Production refuses to start on the demo's defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_SECRET_KEY = "demo-only-insecure-secret-key"  # noqa: S105 - refused outside the demo
ENVIRONMENTS = ("demo", "development", "test", "production")
# Settings field -> its environment variable, for the rate limits ("<count>/<second|minute|hour|day>").
LIMIT_VARIABLES = {
    "limit_auth_failures_per_address": "KPI_LIMIT_AUTH_FAILURES_PER_ADDRESS",
    "limit_auth_failures_per_token": "KPI_LIMIT_AUTH_FAILURES_PER_TOKEN",
    "limit_sign_in": "KPI_LIMIT_SIGN_IN",
    "limit_webhook": "KPI_LIMIT_WEBHOOK",
    "limit_uploads": "KPI_LIMIT_UPLOADS",
    "limit_exports": "KPI_LIMIT_EXPORTS",
    "limit_api": "KPI_LIMIT_API",
}


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
    # The app's connections go through PgBouncer in transaction mode: no server-side prepared
    # statements, since consecutive transactions may run on different server connections.
    database_pgbouncer: bool = False
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
    # Absolute URLs (the webhook URL, SSO redirect and logout URLs) are built on this, never on the
    # request's Host header. Required in production; unset elsewhere means "the request's host".
    public_url: str = ""
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host (0: trust none).
    proxy_count: int = 0
    # /api/docs (Swagger UI; the OpenAPI JSON stays public) and the tenant list on "/".
    api_docs: bool = True
    tenant_list: bool = True
    # Strict-Transport-Security max-age; 0 sends none (the demo runs on plain http).
    hsts_seconds: int = 0
    # One size limit for uploads (packs) and so for every request body.
    upload_max_bytes: int = 20 * 1024 * 1024
    # Rows one table of a pack may hold; past it the pack is refused with a located problem.
    pack_max_rows: int = 100_000
    # Rate limits (Flask-Limiter on KPI_RATELIMIT_STORAGE_URL, default the Redis URL, else memory).
    ratelimit_enabled: bool = True
    ratelimit_storage_url: str = ""
    ratelimit_key_prefix: str = "kpi:rl"
    limit_auth_failures_per_address: str = "30/minute"
    limit_auth_failures_per_token: str = "10/minute"  # noqa: S105 - a rate, not a secret
    limit_sign_in: str = "30/minute"
    limit_webhook: str = "600/minute"
    limit_uploads: str = "20/hour"
    limit_exports: str = "120/hour"
    limit_api: str = "3000/minute"
    # How long clients are told to wait (Retry-After) when the database or Redis is unreachable.
    outage_retry_after_seconds: int = 5
    # GET /metrics needs "Authorization: Bearer <this>"; unset: /metrics answers 404.
    metrics_token: str = ""
    # A Celery worker serves its own metrics on this port (0: none).
    worker_metrics_port: int = 0
    # "json" (one JSON object a line) or "text".
    log_format: str = "text"

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
        production = env == "production"
        instance = Path(e.get("KPI_INSTANCE_PATH") or Path.cwd() / "instance").resolve()
        database_url = e.get("KPI_DATABASE_URL") or f"sqlite:///{instance / 'kpi-demo.sqlite3'}"
        settings = cls(
            env=env,
            instance_path=instance,
            database_url=database_url,
            migration_database_url=e.get("KPI_MIGRATION_DATABASE_URL") or database_url,
            cross_tenant_database_url=e.get("KPI_CROSS_TENANT_DATABASE_URL") or database_url,
            database_pgbouncer=_bool(e.get("KPI_DATABASE_PGBOUNCER"), default=False),
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
            public_url=(e.get("KPI_PUBLIC_URL") or "").strip().rstrip("/"),
            proxy_count=int(e.get("KPI_PROXY_COUNT") or 0),
            api_docs=_bool(e.get("KPI_API_DOCS"), default=not production),
            tenant_list=_bool(e.get("KPI_TENANT_LIST"), default=not production),
            hsts_seconds=int(e.get("KPI_HSTS_SECONDS") or (31_536_000 if production else 0)),
            upload_max_bytes=int(e.get("KPI_UPLOAD_MAX_BYTES") or 20 * 1024 * 1024),
            pack_max_rows=int(e.get("KPI_PACK_MAX_ROWS") or 100_000),
            ratelimit_enabled=_bool(e.get("KPI_RATELIMIT_ENABLED"), default=True),
            ratelimit_storage_url=e.get("KPI_RATELIMIT_STORAGE_URL") or "",
            outage_retry_after_seconds=int(e.get("KPI_OUTAGE_RETRY_AFTER_SECONDS") or 5),
            metrics_token=e.get("KPI_METRICS_TOKEN") or "",
            worker_metrics_port=int(e.get("KPI_WORKER_METRICS_PORT") or 0),
            log_format=(e.get("KPI_LOG_FORMAT") or ("json" if production else "text")).strip().lower(),
            **{name: e[variable] for name, variable in LIMIT_VARIABLES.items() if e.get(variable)},
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
        self._validate_formats()
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
        if not self.public_url.startswith("https://"):
            problems.append("KPI_PUBLIC_URL must be the https:// address users reach (absolute URLs are built on it)")
        if problems:
            raise ConfigError("Refusing to start in production: " + "; ".join(problems) + ".")

    def _validate_formats(self) -> None:
        from limits import parse_many

        problems = []
        for name, variable in LIMIT_VARIABLES.items():
            try:
                parse_many(getattr(self, name))
            except ValueError:
                problems.append(f"{variable} must read like '20/minute' (got {getattr(self, name)!r})")
        if self.public_url:
            parts = urlsplit(self.public_url)
            if (
                parts.scheme not in ("http", "https")
                or not parts.netloc
                or parts.path not in ("", "/")
                or (parts.query or parts.fragment)
            ):
                problems.append(
                    "KPI_PUBLIC_URL must be a scheme and host such as https://kpi.example.gov.vn "
                    f"(got {self.public_url!r})"
                )
        if self.log_format not in ("json", "text"):
            problems.append(f"KPI_LOG_FORMAT must be json or text (got {self.log_format!r})")
        if self.upload_max_bytes < 1024 or self.pack_max_rows < 1:
            problems.append("KPI_UPLOAD_MAX_BYTES must be at least 1024 and KPI_PACK_MAX_ROWS at least 1")
        if problems:
            raise ConfigError("; ".join(problems) + ".")
