"""WSGI entry point for gunicorn: `gunicorn -c gunicorn.conf.py`."""

from kpi_platform.app import create_app

app = create_app()
