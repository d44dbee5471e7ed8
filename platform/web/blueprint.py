"""The blueprint every page module adds its routes to (views.py imports them all)."""

from __future__ import annotations

from flask import Blueprint
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("web", __name__, template_folder="templates")
# Swagger UI's files are served locally, so /api/docs works without internet access.
swagger_ui = Blueprint("swagger_ui", __name__, static_folder=swagger_ui_path, static_url_path="/api/swagger-ui")
