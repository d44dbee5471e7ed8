"""The embedded demo: tenants from tenants/*/tenant.yaml, a few accounts, and their API tokens.

Idempotent: a tenant that exists is left as it is.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from kpi_platform.context import SYSTEM_TENANT_ID, tenant_scope
from kpi_platform.db import db
from kpi_platform.identity import service as identity
from kpi_platform.tenancy import service as tenancy

DEMO_TOKEN_DAYS = 365


def packs_dir() -> Path:
    return Path.cwd() / "tenants"


def _account(email: str, name: str, roles: list[str]) -> tuple[str, str]:
    principal = identity.find_principal_by_email(email) or identity.create_principal(
        email=email, display_name=name, roles=roles
    )
    _, raw = identity.issue_token(principal, name="demo", days=DEMO_TOKEN_DAYS, max_days=DEMO_TOKEN_DAYS)
    db.session.commit()
    return email, raw


def seed(token_file: Path) -> list[str]:
    """Create the demo tenants and accounts; write fresh tokens to token_file; return its lines."""
    lines = []
    with tenant_scope(SYSTEM_TENANT_ID):
        email, raw = _account("operator@platform.demo", "Vận hành nền tảng", ["platform_operator"])
        lines.append(f"platform  {email:32} {raw}")
    for pack in sorted(packs_dir().glob("*/tenant.yaml")):
        spec = yaml.safe_load(pack.read_text(encoding="utf-8"))
        tenant = tenancy.get_tenant_by_slug(spec["slug"]) or tenancy.create_tenant(
            slug=spec["slug"],
            name_vi=spec["name_vi"],
            name_en=spec["name_en"],
            kind=spec.get("kind", "province"),
            status=spec.get("status", "provisioning"),
            time_zone=spec.get("time_zone", "Asia/Ho_Chi_Minh"),
        )
        with tenant_scope(tenant.id):
            for local, name, roles in (
                ("admin", "Quản trị viên tỉnh", ["provincial_admin"]),
                ("auditor", "Thanh tra Sở Nội vụ", ["auditor"]),
                ("nguyen.van.a", "Nguyễn Văn A", ["official"]),
            ):
                email, raw = _account(f"{local}@{tenant.slug}.demo", name, roles)
                lines.append(f"{tenant.slug:9} {email:32} {raw}")
    token_file.parent.mkdir(parents=True, exist_ok=True)
    header = "# Demo API tokens (send as 'Authorization: Bearer <token>'); regenerated at each start.\n"
    token_file.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    return lines
