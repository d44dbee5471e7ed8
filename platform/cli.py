"""The `kpi-platform` command: serve the demo, run workers, migrate, manage tenants and accounts."""

from __future__ import annotations

import getpass
import json
import os
import sys
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from werkzeug.serving import run_simple

from kpi_platform.config import ConfigError, Settings
from kpi_platform.context import SYSTEM_TENANT_ID, Actor, set_actor, tenant_scope
from kpi_platform.db import db
from kpi_platform.errors import DomainError


def _create_app():
    from kpi_platform.app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def cli() -> None:
    """kpi-platform: KPI evaluation of officials, one tenant per province."""


def main() -> None:
    set_actor(Actor(None, f"cli:{getpass.getuser()}"))
    if sys.argv[1:2] == ["worker"] and os.environ.get("KPI_WORKER_METRICS_PORT"):
        # The prefork children count their tasks into files the worker's metrics port reads;
        # set before prometheus-client is first imported (with the app).
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="kpi-worker-metrics-"))
    try:
        if sys.argv[1:3] != ["db", "create-roles"]:  # the one command that needs no app configuration
            Settings.from_env()  # fail with a clear message, even for --help, before Flask loads the app
        cli.main(prog_name="kpi-platform")
    except ConfigError as exc:
        click.echo(f"Configuration error: {exc}", err=True)
        sys.exit(2)


def _settings() -> Settings:
    return current_app.config["SETTINGS"]


def _fail(exc: DomainError) -> None:
    detail = f" {exc.fields}" if exc.fields else ""
    raise click.ClickException(f"{exc.message_en} / {exc.message_vi}{detail}")


# ---------------------------------------------------------------- running


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port", default=lambda: int(os.environ.get("KPI_PORT", "8000")), type=int, show_default="8000 or $KPI_PORT"
)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Run the web app. In the demo: migrate the SQLite file and seed sample data first."""
    settings = _settings()
    if settings.is_demo:
        from kpi_platform import demo, migrate

        migrate.upgrade(settings.migration_database_url)
        token_file = settings.instance_path / "demo-tokens.txt"
        demo.seed(token_file)  # idempotent: brings a demo started again weeks later up to date
        db.session.remove()
        click.echo(f"Demo data ready. API tokens: {token_file}")
    else:
        raise click.ClickException(
            "serve runs the demo only (KPI_ENV=demo or development); in production run gunicorn -c gunicorn.conf.py"
        )
    click.echo(f"kpi-platform on http://{host}:{port}/  (API docs: http://{host}:{port}/api/docs)")
    # Werkzeug's server is enough for the demo; production runs gunicorn.
    run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)


@cli.command("worker", context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def worker(celery_args) -> None:
    """Start a Celery worker (extra arguments go to celery)."""
    current_app.extensions["celery"].worker_main(["worker", "--loglevel=INFO", *celery_args])


@cli.command("beat", context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def beat(celery_args) -> None:
    """Start Celery beat, the scheduler of periodic jobs."""
    current_app.extensions["celery"].start(["beat", "--loglevel=INFO", *celery_args])


# ---------------------------------------------------------------- database


@cli.group("db")
def db_group() -> None:
    """Schema and database roles."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations (as KPI_MIGRATION_DATABASE_URL, the tables' owner)."""
    from kpi_platform import migrate

    migrate.upgrade(_settings().migration_database_url, revision)
    click.echo(f"Schema at {migrate.current_revision(_settings().migration_database_url)}")


@db_group.command("create-roles", with_appcontext=False)
@click.option(
    "--superuser-url", envvar="KPI_SUPERUSER_DATABASE_URL", required=True, help="A connection allowed to create roles."
)
def db_create_roles(superuser_url: str) -> None:
    """Create the app role and the cross-tenant role (KPI_DB_APP_ROLE, KPI_DB_CROSS_TENANT_ROLE).

    Passwords are taken from KPI_DB_APP_PASSWORD and KPI_DB_CROSS_TENANT_PASSWORD when set."""
    from kpi_platform import migrate
    from kpi_platform.tenancy.rls import db_roles

    app_role, cross_role = db_roles()
    created = migrate.create_roles(
        superuser_url,
        {
            app_role: os.environ.get("KPI_DB_APP_PASSWORD"),
            cross_role: os.environ.get("KPI_DB_CROSS_TENANT_PASSWORD"),
        },
    )
    click.echo("Created: " + (", ".join(created) or "nothing (roles exist)"))


# ---------------------------------------------------------------- tenants


PACK_PARTS = (
    "settings",
    "catalog",
    "units",
    "positions",
    "officials",
    "concurrent_posts",
    "job_descriptions",
    "accounts",
    "rollout",
)


@cli.group("tenants")
def tenants_group() -> None:
    """The tenant registry (platform operators) and province packs (also as `kpi-platform tenant …`)."""


cli.add_command(tenants_group, "tenant")


def _print_tenant(tenant) -> None:
    click.echo(json.dumps({"id": str(tenant.id), **tenant.as_audit()}, ensure_ascii=False))


@tenants_group.command("list")
@with_appcontext
def tenants_list() -> None:
    from kpi_platform.tenancy import service as tenancy

    for tenant in db.session.scalars(tenancy.list_tenants()):
        _print_tenant(tenant)


@tenants_group.command("create")
@click.argument("slug_arg", required=False, metavar="[SLUG]")
@click.option("--slug", help="The tenant's slug (or give it as the argument).")
@click.option("--name-vi")
@click.option("--name-en")
@click.option("--kind", default="province", type=click.Choice(["province", "ministry"]))
@click.option("--status", default="provisioning", type=click.Choice(["provisioning", "pilot", "active", "suspended"]))
@click.option("--time-zone", default="Asia/Ho_Chi_Minh")
@click.option("--admin-email", help="Create the tenant's first provincial admin too.")
@click.option("--admin-name")
@click.option(
    "--from",
    "pack",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Load a pack: the whole pack when it is this tenant's own, else its tables, weights and A/B/D catalog.",
)
@with_appcontext
def tenants_create(slug_arg, slug, name_vi, name_en, kind, status, time_zone, admin_email, admin_name, pack) -> None:
    """Create a tenant, optionally from a pack (kpi-platform tenant create khanh-hoa --from tenants/khanh-hoa)."""
    from kpi_platform.onboarding import service as onboarding

    slug = slug or slug_arg
    if not slug:
        raise click.UsageError("give the tenant's slug")
    if pack is not None:
        try:
            tenant, outcome = onboarding.create_tenant_from(
                pack,
                slug=slug,
                name_vi=name_vi,
                name_en=name_en,
                admin_email=admin_email or f"admin@{slug}.gov.vn",
                admin_name=admin_name or "Quản trị viên tỉnh",
            )
        except DomainError as exc:
            _fail(exc)
        _print_tenant(tenant)
        _print_outcome(outcome)
        return
    if not (name_vi and name_en):
        raise click.UsageError("--name-vi and --name-en are required without --from")
    first_admin = {"email": admin_email, "display_name": admin_name or admin_email} if admin_email else None
    try:
        tenant = onboarding.create_tenant(
            slug=slug,
            name_vi=name_vi,
            name_en=name_en,
            kind=kind,
            status=status,
            time_zone=time_zone,
            first_admin=first_admin,
        )
    except DomainError as exc:
        _fail(exc)
    _print_tenant(tenant)


def _print_outcome(outcome) -> None:
    """The plan as JSON; each problem on its own line (file:line [column] Vietnamese / English)."""
    for problem in outcome.problems:
        where = f"{problem['file']}:{problem['line'] or '-'}" + (f" [{problem['column']}]" if problem["column"] else "")
        click.echo(f"{where} {problem['code']}: {problem['message_vi']} / {problem['message_en']}", err=True)
    click.echo(
        json.dumps(
            outcome.as_dict() if outcome.ok else {"ok": False, "problems": len(outcome.problems)},
            ensure_ascii=False,
            indent=2,
            default=str,
        )
    )
    if not outcome.ok:
        raise click.exceptions.Exit(1)


@tenants_group.command("import")
@click.argument("pack", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--tenant", "slug", help="Default: the slug in the pack's tenant.yaml.")
@click.option("--dry-run", is_flag=True, help="Validate and show what would change; change nothing.")
@click.option("--only", help=f"Comma-separated parts: {', '.join(PACK_PARTS)}.")
@with_appcontext
def tenants_import(pack: Path, slug, dry_run, only) -> None:
    """Validate a pack and import all of it, or nothing (kpi-platform tenant import tenants/khanh-hoa)."""
    from kpi_platform.onboarding import service as onboarding
    from kpi_platform.tenancy import service as tenancy

    raw = onboarding.read(pack)
    slug = slug or (raw.documents.get("tenant.yaml") or {}).get("slug")
    if not slug:
        raise click.UsageError("the pack's tenant.yaml names no slug; give --tenant")
    try:
        tenant = tenancy.require_tenant_by_slug(slug)
        with tenant_scope(tenant.id):
            outcome = onboarding.run(
                raw,
                by=None,
                today=tenancy.local_today(tenant),
                dry_run=dry_run,
                only=onboarding.parts_from(only),
                tenant_slug=slug,
            )
    except DomainError as exc:
        _fail(exc)
    _print_outcome(outcome)


@tenants_group.command("absorb")
@click.argument("slug")
@click.argument("pack", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--on", "on", required=True, type=click.DateTime(["%Y-%m-%d"]), help="The merger's date.")
@click.option("--under", required=True, help="Code of the host unit the absorbed units move under.")
@click.option("--prefix", default="", help="Put before the absorbed units' codes (e.g. NT-).")
@click.option(
    "--position-map",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with columns from_code,to_code mapping the pack's positions onto this tenant's.",
)
@click.option("--dry-run", is_flag=True)
@with_appcontext
def tenants_absorb(slug, pack: Path, on, under, prefix, position_map, dry_run) -> None:
    """Bring a merged province's units and people under SLUG from a date (history kept)."""
    import csv

    from kpi_platform.onboarding import service as onboarding
    from kpi_platform.tenancy import service as tenancy

    mapping = {}
    if position_map:
        with position_map.open(encoding="utf-8-sig") as f:
            mapping = {row["from_code"].strip(): row["to_code"].strip() for row in csv.DictReader(f)}
    try:
        tenant = tenancy.require_tenant_by_slug(slug)
        with tenant_scope(tenant.id):
            outcome = onboarding.absorb(
                onboarding.read(pack),
                on=on.date(),
                under=under,
                prefix=prefix,
                position_map=mapping,
                by=None,
                today=tenancy.local_today(tenant),
                dry_run=dry_run,
            )
    except DomainError as exc:
        _fail(exc)
    _print_outcome(outcome)


@tenants_group.command("rollout")
@click.argument("slug")
@with_appcontext
def tenants_rollout(slug) -> None:
    """The tenant's rollout checklist with its evidence."""
    from kpi_platform.onboarding import rollout
    from kpi_platform.tenancy import service as tenancy

    try:
        tenant = tenancy.require_tenant_by_slug(slug)
    except DomainError as exc:
        _fail(exc)
    checklist = rollout.checklist_for(tenant.id, tenancy.local_today(tenant))
    for step in checklist["steps"]:
        click.echo(f"[{'x' if step['done'] else ' '}] {step['title_vi']} / {step['title_en']}")
    click.echo(json.dumps(checklist, ensure_ascii=False, indent=2, default=str))


@tenants_group.command("update")
@click.argument("slug")
@click.option("--name-vi")
@click.option("--name-en")
@click.option("--status", type=click.Choice(["provisioning", "pilot", "active", "suspended"]))
@click.option("--time-zone")
@with_appcontext
def tenants_update(slug, **fields) -> None:
    from kpi_platform.tenancy import service as tenancy

    try:
        tenant = tenancy.update_tenant(slug, {k: v for k, v in fields.items() if v is not None})
    except DomainError as exc:
        _fail(exc)
    _print_tenant(tenant)


@tenants_group.command("suspend")
@click.argument("slug")
@with_appcontext
def tenants_suspend(slug) -> None:
    from kpi_platform.tenancy import service as tenancy

    try:
        _print_tenant(tenancy.suspend_tenant(slug))
    except DomainError as exc:
        _fail(exc)


# ---------------------------------------------------------------- accounts and tokens


def _tenant_id(slug: str):
    from kpi_platform.tenancy import service as tenancy

    if slug == "platform":
        return SYSTEM_TENANT_ID
    try:
        return tenancy.require_tenant_by_slug(slug).id
    except DomainError as exc:
        _fail(exc)


@cli.group("accounts")
def accounts_group() -> None:
    """Accounts (principals) and their API tokens. Use --tenant platform for global accounts."""


@accounts_group.command("create")
@click.option("--tenant", "slug", required=True, help="Tenant slug, or 'platform' for global accounts.")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True)
@with_appcontext
def accounts_create(slug, email, name, roles) -> None:
    from kpi_platform.identity import service as identity

    with tenant_scope(_tenant_id(slug)):
        try:
            principal = identity.create_principal(email=email, display_name=name, roles=list(roles))
            db.session.commit()
        except DomainError as exc:
            _fail(exc)
        click.echo(json.dumps({"id": str(principal.id), **principal.as_audit()}, ensure_ascii=False))


@accounts_group.command("issue-token")
@click.option("--tenant", "slug", required=True, help="Tenant slug, or 'platform' for global accounts.")
@click.option("--email", required=True)
@click.option("--name", "token_name", default="cli", show_default=True)
@click.option("--days", default=None, type=int)
@with_appcontext
def accounts_issue_token(slug, email, token_name, days) -> None:
    """Print a new API token for an account (shown once)."""
    from kpi_platform.identity import service as identity

    settings = _settings()
    with tenant_scope(_tenant_id(slug)):
        principal = identity.find_principal_by_email(email)
        if principal is None:
            raise click.ClickException(f"No account {email} in {slug}.")
        try:
            _, raw = identity.issue_token(
                principal, name=token_name, days=days or settings.token_default_days, max_days=settings.token_max_days
            )
            db.session.commit()
        except DomainError as exc:
            _fail(exc)
        click.echo(raw)


@cli.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Create the demo tenants and accounts and write fresh tokens to instance/demo-tokens.txt."""
    from kpi_platform import demo

    for line in demo.seed(_settings().instance_path / "demo-tokens.txt"):
        click.echo(line)


if __name__ == "__main__":
    main()
