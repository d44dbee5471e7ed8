"""What operators see: /metrics (request, pool, queue and task series, behind its token) and the
JSON logs (request id, tenant, principal, task), with no secret or personal data in them."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
import zipfile
from pathlib import Path

import pytest

from kpi_platform import observability
from kpi_platform.onboarding import importer
from kpi_platform.onboarding import tasks as onboarding_tasks

METRICS_TOKEN = "metrics-" + "m" * 32


@pytest.fixture
def metrics(settings, monkeypatch, client):
    monkeypatch.setattr(settings, "metrics_token", METRICS_TOKEN)

    def scrape() -> str:
        r = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert r.status_code == 200 and r.mimetype == "text/plain"
        return r.get_data(as_text=True)

    return scrape


def value(text: str, name: str, **labels) -> float:
    """The sample of `name` whose labels include `labels` (0 when there is none)."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line[line.index("{") : line.index("}")]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def a_pack(tenant) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("tenant.yaml", f"slug: {tenant.slug}\nname_vi: A\nname_en: A\n")
    return out.getvalue()


def test_metrics_need_their_token(client, settings, monkeypatch):
    assert client.get("/metrics").status_code == 404  # no token configured: nothing to see
    monkeypatch.setattr(settings, "metrics_token", METRICS_TOKEN)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200


def test_metrics_show_requests_pool_queue_and_tasks(metrics, client, admin_a, tenant_a):
    before = metrics()
    for _ in range(3):
        assert client.get(f"/api/v1/t/{tenant_a.slug}/me", headers=admin_a.headers).status_code == 200
    client.get(f"/api/v1/t/{tenant_a.slug}/me", headers={"Authorization": "Bearer nope"})
    r = client.post(
        f"/api/v1/t/{tenant_a.slug}/onboarding/imports",
        headers=admin_a.headers,
        data={"file": (io.BytesIO(a_pack(tenant_a)), "goi.zip"), "dry_run": "true"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 202
    with pytest.raises(ValueError):  # a task that fails: counted by its name as failed
        onboarding_tasks.run_import_job.apply(args=[str(tenant_a.id), "not-a-job-id"], throw=True)
    after = metrics()

    me = {"endpoint": "identity.Me", "method": "GET"}
    grew = value(after, "kpi_http_requests_total", **me, status="200") - value(
        before, "kpi_http_requests_total", **me, status="200"
    )
    assert grew == 3
    assert value(after, "kpi_http_requests_total", **me, status="401") >= 1
    assert value(after, "kpi_http_request_duration_seconds_count", **me) >= 4
    task = "onboarding.run_import_job"
    assert value(after, "kpi_celery_tasks_total", task=task, outcome="succeeded") >= 1 + value(
        before, "kpi_celery_tasks_total", task=task, outcome="succeeded"
    )
    assert value(after, "kpi_celery_tasks_total", task=task, outcome="failed") >= 1
    assert value(after, "kpi_celery_task_duration_seconds_count", task=task) >= 2
    assert 'kpi_db_pool_connections{engine="app",state="checked_out"}' in after
    assert 'kpi_celery_queue_length{queue="celery"}' in after  # the test Redis is the broker
    # Label values are route names and statuses, never paths with ids or tenants in them.
    assert tenant_a.slug not in after and str(admin_a.id) not in after


# ---------------------------------------------------------------- logs


@pytest.fixture
def json_lines():
    """Everything logged meanwhile, formatted as production formats it (JSON, context fields)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(observability.ContextFilter())
    handler.setFormatter(observability.json_formatter())
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_logs_are_json_with_request_tenant_principal_and_task(json_lines, client, admin_a, tenant_a, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the importer broke")

    monkeypatch.setattr(importer, "import_pack", broken)
    r = client.post(
        f"/api/v1/t/{tenant_a.slug}/onboarding/imports",
        headers={**admin_a.headers, "X-Request-ID": "req-logs-0001"},
        data={"file": (io.BytesIO(a_pack(tenant_a)), "goi.zip"), "dry_run": "true"},
        content_type="multipart/form-data",
    )
    assert r.get_json()["status"] == "failed"
    failed = next(line for line in json_lines() if line["message"].startswith("import job"))
    assert failed["level"] == "ERROR" and failed["logger"] == "kpi_platform.onboarding.service"
    assert failed["request_id"] == "req-logs-0001"
    assert failed["tenant"] == tenant_a.slug and failed["tenant_id"] == str(tenant_a.id)
    assert failed["task_name"] == "onboarding.run_import_job" and uuid.UUID(failed["task_id"])
    assert "exc_info" in failed and "the importer broke" in failed["exc_info"]
    # Outside the task, the request's own lines carry the principal.
    client.get(f"/api/v1/t/{tenant_a.slug}/me", headers={**admin_a.headers, "X-Request-ID": "req-logs-0002"})
    logging.getLogger("kpi_platform.test").info("marker")  # no request: the fields are there, empty
    last = json_lines()[-1]
    assert last["message"] == "marker" and last["request_id"] == "" and last["principal_id"] == ""


def test_no_secret_or_personal_data_reaches_the_logs(json_lines, app, client, make_account, tenant_a, monkeypatch):
    from sqlalchemy import text

    from kpi_platform.db import db
    from kpi_platform.identity import service as identity

    admin = make_account(tenant_a, roles=["provincial_admin"], name="Nguyễn Thị Bí Mật", email="bi.mat@example.vn")
    secrets = {admin.token, admin.token[4:], "bi.mat@example.vn", "Nguyễn Thị Bí Mật", "Bí Mật"}
    base = f"/api/v1/t/{tenant_a.slug}"
    # Tokens, good and bad, on the API.
    client.get(f"{base}/me", headers=admin.headers)
    wrong = admin.token[:-6] + "zzzzzz"
    secrets.add(wrong)
    client.get(f"{base}/me", headers={"Authorization": f"Bearer {wrong}"})
    # A person's data in a body that fails, and one the database refuses.
    person = {"email": "nguoi.moi@example.vn", "display_name": "Trần Văn Riêng Tư", "roles": ["official"]}
    secrets |= {person["email"], person["display_name"]}
    client.post(f"{base}/principals", headers=admin.headers, json={**person, "roles": ["nope"]})
    client.post(f"{base}/principals", headers=admin.headers, json=person)
    client.post(f"{base}/principals", headers=admin.headers, json=person)  # a conflict
    # The e-document secret, shown once.
    integration = client.put(f"{base}/worklog/edoc/integration", headers=admin.headers, json={"rotate_secret": True})
    secret = integration.get_json().get("secret")
    assert secret
    secrets.add(secret)
    client.post(f"{base}/worklog/edoc/events", data=b"{}", headers={"X-KPI-Timestamp": "1", "X-KPI-Signature": secret})

    # Errors that reach the handlers with the person's values inside the SQL: a value the database
    # cannot read, and a statement that fails outright (logged with its traceback).
    def fails_with(statement):
        def create_principal(**data):
            db.session.execute(text(statement), {"email": data["email"], "name": data["display_name"]})

        return create_principal

    for statement in (
        "select cast(:email as integer), :name",
        "select * from no_such_table where email = :email and name = :name",
    ):
        monkeypatch.setattr(identity, "create_principal", fails_with(statement))
        r = client.post(f"{base}/principals", headers=admin.headers, json={**person, "email": "rieng.tu@example.vn"})
        assert r.status_code in (422, 500), r.get_json()
    secrets.add("rieng.tu@example.vn")

    lines = json_lines()
    messages = [line["message"] for line in lines]
    assert any(m.startswith("data error reached the handler") for m in messages), messages
    unhandled = next(line for line in lines if line["message"].startswith("unhandled error"))
    assert "no_such_table" in unhandled["exc_info"]  # the statement is there, its values are not
    logged = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    leaked = sorted(s for s in secrets if s and s in logged)
    assert leaked == [], f"found in the logs: {leaked}\n{logged[:3000]}"


def test_gunicorn_workers_share_their_counters(tmp_path):
    """Under gunicorn (gunicorn.conf.py) every worker counts into the same series, whichever
    worker answers the scrape."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "KPI_ENV": "demo",
        "KPI_INSTANCE_PATH": str(tmp_path),
        "KPI_METRICS_TOKEN": METRICS_TOKEN,
        "PORT": str(port),
        "GUNICORN_WORKERS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    root = Path(__file__).resolve().parent.parent
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
                time.sleep(0.2)
        for _ in range(29):  # with the readiness probe above: 30, spread over the workers
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()
        seen = set()
        for _ in range(4):
            scrape = urllib.request.Request(
                f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
            )
            text = urllib.request.urlopen(scrape, timeout=5).read().decode()
            seen.add(value(text, "kpi_http_requests_total", endpoint="health.healthz", status="200"))
        assert seen == {30.0}
    finally:
        server.terminate()
        server.wait(timeout=30)
