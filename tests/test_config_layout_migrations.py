"""Configuration refusals, the platform/ layout trap, and models vs migrations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from kpi_platform.config import DEFAULT_SECRET_KEY, ConfigError, Settings
from kpi_platform.models import Base

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "KPI_ENV": "production",
    "KPI_SECRET_KEY": "s" * 48,
    "KPI_DATABASE_URL": "postgresql+psycopg://kpi_app@db/kpi",
    "KPI_CROSS_TENANT_DATABASE_URL": "postgresql+psycopg://kpi_cross_tenant@db/kpi",
    "KPI_REDIS_URL": "redis://redis:6379/0",
    "KPI_ENCRYPTION_KEYS": "hJt3p1Yx0Wq7m0b3a9Vq3Yw3Z2l0ZkR2c1VxS3BkQWJjZGU=",
    "KPI_PUBLIC_URL": "https://kpi.example.gov.vn",
}


def test_demo_defaults_need_nothing(tmp_path):
    settings = Settings.from_env({"KPI_INSTANCE_PATH": str(tmp_path)})
    assert settings.env == "demo" and settings.celery_eager and settings.redis_url is None
    assert settings.database_url == f"sqlite:///{tmp_path / 'kpi-demo.sqlite3'}"


def test_production_accepts_a_complete_configuration():
    settings = Settings.from_env(PRODUCTION)
    assert not settings.celery_eager and not settings.is_sqlite


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"KPI_SECRET_KEY": DEFAULT_SECRET_KEY}, "KPI_SECRET_KEY"),
        ({"KPI_SECRET_KEY": ""}, "KPI_SECRET_KEY"),
        ({"KPI_SECRET_KEY": "short"}, "KPI_SECRET_KEY"),
        ({"KPI_DATABASE_URL": "sqlite:///x.db"}, "PostgreSQL"),
        ({"KPI_CROSS_TENANT_DATABASE_URL": ""}, "KPI_CROSS_TENANT_DATABASE_URL"),
        ({"KPI_REDIS_URL": ""}, "KPI_REDIS_URL"),
        ({"KPI_CELERY_EAGER": "true"}, "KPI_CELERY_EAGER"),
        ({"KPI_ENCRYPTION_KEYS": ""}, "KPI_ENCRYPTION_KEYS"),
        ({"KPI_PUBLIC_URL": ""}, "KPI_PUBLIC_URL"),
        ({"KPI_PUBLIC_URL": "http://kpi.example.gov.vn"}, "KPI_PUBLIC_URL"),
        ({"KPI_PUBLIC_URL": "https://kpi.example.gov.vn/app"}, "KPI_PUBLIC_URL"),
        ({"KPI_LIMIT_API": "many"}, "KPI_LIMIT_API"),
        ({"KPI_LOG_FORMAT": "xml"}, "KPI_LOG_FORMAT"),
    ],
)
def test_production_refuses_demo_defaults(override, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({**PRODUCTION, **override})


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigError, match="KPI_ENV"):
        Settings.from_env({"KPI_ENV": "staging"})


def test_the_cli_says_why_it_will_not_start(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "KPI_ENV": "production", "KPI_INSTANCE_PATH": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-m", "kpi_platform.cli", "tenants", "list"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert r.returncode != 0
    assert "Refusing to start in production" in r.stderr and "KPI_SECRET_KEY" in r.stderr
    assert "Traceback" not in r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "kpi_platform.cli", "--help"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert r.returncode == 2 and "Refusing to start" in r.stderr and "Traceback" not in r.stderr


def test_platform_folder_is_not_a_package_and_stdlib_platform_still_works():
    assert not (ROOT / "platform" / "__init__.py").exists()
    code = "import platform, kpi_platform.catalog; print(platform.system()); print(kpi_platform.catalog.__file__)"
    # From the repository root, as under python -m, flask, celery and gunicorn.
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    system, catalog_file = r.stdout.split()
    assert system == "Linux"
    assert Path(catalog_file) == ROOT / "platform" / "catalog" / "__init__.py"


def test_ruff_forbids_stdlib_shadowing():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"A005"' in pyproject or '"A"' in pyproject


def test_models_and_migrations_agree(pg):
    engine = create_engine(pg.owner)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ; write a migration: {diff}"
