from __future__ import annotations

from flask import Blueprint, current_app, render_template
from swagger_ui_bundle import swagger_ui_path

from kpi_platform.db import db
from kpi_platform.identity.auth import public
from kpi_platform.tenancy import service as tenancy

bp = Blueprint("web", __name__, template_folder="templates")
# Swagger UI's files are served locally, so /api/docs works without internet access.
swagger_ui = Blueprint("swagger_ui", __name__, static_folder=swagger_ui_path, static_url_path="/api/swagger-ui")


@bp.get("/")
@public
def index():
    settings = current_app.config["SETTINGS"]
    tenants = db.session.scalars(tenancy.list_tenants()).all()
    demo_tokens = None
    if settings.is_demo:
        path = settings.instance_path / "demo-tokens.txt"
        demo_tokens = path.read_text(encoding="utf-8") if path.exists() else None
    return render_template("index.html", tenants=tenants, settings=settings, demo_tokens=demo_tokens)
