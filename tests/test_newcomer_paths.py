"""What a newcomer and an operator run: the embedded demo on SQLite (`kpi-platform serve`) over real
HTTP, and the operator CLI against PostgreSQL."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kpi_platform import migrate

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "kpi_platform.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str | None = None, method: str = "GET", body: dict | None = None):
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if body:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class DemoServer:
    """`kpi-platform serve` on a fresh embedded instance of its own (SQLite, eager Celery), over HTTP;
    with `day`, started as if today were that day (tests/demo_on_a_day.py)."""

    def __init__(self, workdir: Path, day: str | None = None):
        self.workdir = workdir
        shutil.copytree(ROOT / "tenants", workdir / "tenants")
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("KPI_")}
        command = [*CLI, "serve"] if day is None else [sys.executable, str(ROOT / "tests" / "demo_on_a_day.py"), day]
        self.log = open(workdir / "serve.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port)], cwd=workdir, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait(self) -> tuple[str, dict, Path]:
        deadline = time.monotonic() + 300  # four start at once; a loaded machine is slow to seed them
        while time.monotonic() < deadline:
            try:
                if _get(f"{self.base}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            self.stop()
            pytest.fail("demo did not start: " + (self.workdir / "serve.log").read_text())
        tokens = {}
        for line in (self.workdir / "instance" / "demo-tokens.txt").read_text().splitlines():
            if line and not line.startswith("#"):
                slug, email, token = line.split()
                tokens[email] = token
        return self.base, tokens, self.workdir

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    server = DemoServer(tmp_path_factory.mktemp("newcomer"))
    yield server.wait()
    server.stop()


# The demo must show a meaningful month on any day: the 1st of a month (a Monday), 1 January (a
# holiday, with the next day off too), the middle of a month and its last day.
DEMO_DAYS = ("2026-06-01", "2026-01-01", "2026-03-16", "2026-07-31")


@pytest.fixture(scope="module")
def demo_on_days(tmp_path_factory):
    servers = {day: DemoServer(tmp_path_factory.mktemp(f"demo-{day}"), day) for day in DEMO_DAYS}  # started at once
    yield {day: server.wait() for day, server in servers.items()}
    for server in servers.values():
        server.stop()


@pytest.mark.sqlite
def test_demo_serves_pages_api_and_docs_on_sqlite(demo_server):
    base, tokens, workdir = demo_server
    assert (workdir / "instance" / "kpi-demo.sqlite3").exists()
    status, page = _get(f"{base}/")
    assert status == 200 and "Tỉnh Khánh Hòa" in page and "Chế độ trình diễn" in page
    assert _get(f"{base}/readyz")[0] == 200
    assert _get(f"{base}/api/docs")[0] == 200
    status, me = _get(f"{base}/api/v1/t/khanh-hoa/me", tokens["admin@khanh-hoa.demo"])
    assert status == 200 and json.loads(me)["principal"]["display_name"] == "Quản trị viên tỉnh"


@pytest.mark.sqlite
def test_demo_keeps_provinces_apart_on_sqlite(demo_server):
    base, tokens, _ = demo_server
    admin_kh = tokens["admin@khanh-hoa.demo"]
    assert _get(f"{base}/api/v1/t/ha-tinh/me", admin_kh)[0] == 404
    status, listing = _get(f"{base}/api/v1/t/khanh-hoa/principals?page_size=100", admin_kh)
    assert status == 200 and "ha-tinh" not in listing and "khanh-hoa.demo" in listing
    status, audit = _get(f"{base}/api/v1/t/khanh-hoa/audit?page_size=100", admin_kh)
    assert status == 200 and "ha-tinh" not in audit


@pytest.mark.sqlite
def test_demo_operator_creates_a_province_and_its_admin_signs_in(demo_server):
    base, tokens, workdir = demo_server
    operator = tokens["operator@platform.demo"]
    slug = f"thanh-hoa-{uuid.uuid4().hex[:4]}"
    status, body = _get(
        f"{base}/api/v1/platform/tenants",
        operator,
        "POST",
        {
            "slug": slug,
            "name_vi": "Tỉnh Thanh Hóa",
            "name_en": "Thanh Hoa",
            "first_admin": {"email": "admin@thanhhoa.vn", "display_name": "Quản trị Thanh Hóa"},
        },
    )
    assert status == 201, body
    env = {k: v for k, v in os.environ.items() if not k.startswith("KPI_")}
    r = subprocess.run(
        [*CLI, "accounts", "issue-token", "--tenant", slug, "--email", "admin@thanhhoa.vn"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip().splitlines()[-1]
    status, me = _get(f"{base}/api/v1/t/{slug}/me", token)
    assert status == 200 and json.loads(me)["tenant"]["name_vi"] == "Tỉnh Thanh Hóa"
    assert _get(f"{base}/api/v1/t/khanh-hoa/me", token)[0] == 404


@pytest.mark.no_tx
def test_operator_cli_against_postgresql(pg, tmp_path, client):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KPI_")},
        "KPI_ENV": "test",
        "KPI_INSTANCE_PATH": str(tmp_path),
        "KPI_DATABASE_URL": pg.app,
        "KPI_MIGRATION_DATABASE_URL": pg.owner,
        "KPI_CROSS_TENANT_DATABASE_URL": pg.cross_tenant,
    }

    def run(*args):
        r = subprocess.run([*CLI, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        return r.returncode, r.stdout, r.stderr

    slug = f"cli-{uuid.uuid4().hex[:8]}"
    code, out, err = run("db", "upgrade")
    assert code == 0 and f"Schema at {migrate.current_revision(pg.owner)}" in out, err
    code, out, err = run(
        "tenants",
        "create",
        "--slug",
        slug,
        "--name-vi",
        "Tỉnh Cà Mau",
        "--name-en",
        "Ca Mau",
        "--status",
        "pilot",
        "--admin-email",
        "qt@camau.vn",
        "--admin-name",
        "Quản trị Cà Mau",
    )
    assert code == 0, err
    assert json.loads(out)["name_vi"] == "Tỉnh Cà Mau"
    code, out, err = run("tenants", "create", "--slug", slug, "--name-vi", "X", "--name-en", "X")
    assert code != 0 and "already exists" in err
    code, out, err = run("accounts", "issue-token", "--tenant", slug, "--email", "qt@camau.vn", "--days", "2")
    assert code == 0, err
    token = out.strip()
    r = client.get(f"/api/v1/t/{slug}/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json["principal"]["roles"] == ["provincial_admin"]
    code, out, err = run("tenants", "suspend", slug)
    assert code == 0 and json.loads(out)["status"] == "suspended"
    r = client.get(f"/api/v1/t/{slug}/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403 and r.json["error"]["code"] == "tenant_suspended"
    code, out, err = run("tenants", "list")
    assert code == 0 and slug in out
    code, out, err = run("serve")
    assert code != 0 and "demo only" in err


@pytest.mark.sqlite
def test_demo_org_tree_shows_the_merger_on_sqlite(demo_server):
    base, tokens, _ = demo_server
    admin = tokens["admin@khanh-hoa.demo"]

    def root_names(day):
        status, body = _get(f"{base}/api/v1/t/khanh-hoa/org/tree?as_of={day}", admin)
        assert status == 200
        return {node["unit"]["name_vi"]: [c["unit"]["name_vi"] for c in node["children"]] for node in json.loads(body)}

    june, july = root_names("2025-06-30"), root_names("2025-07-01")
    assert "Xã Phước Dân" in june["UBND tỉnh Ninh Thuận (cũ)"]
    assert "UBND tỉnh Ninh Thuận (cũ)" not in july and "Xã Phước Hải" in july["UBND tỉnh Khánh Hòa"]
    status, body = _get(f"{base}/api/v1/t/khanh-hoa/officials?q=nguyen%20van%20a", admin)
    assert status == 200 and [o["full_name"] for o in json.loads(body)] == ["Nguyễn Văn A"]
    official = tokens["le.van.cuong@khanh-hoa.demo"]
    status, body = _get(f"{base}/api/v1/t/khanh-hoa/officials", official)
    assert status == 200 and [o["staff_code"] for o in json.loads(body)] == ["KH0003"], "an official sees themself"
    head = tokens["nguyen.van.a@khanh-hoa.demo"]  # heads Sở Nội vụ: sees its divisions' people too
    status, body = _get(f"{base}/api/v1/t/khanh-hoa/officials", head)
    assert status == 200 and {"KH0001", "KH0002", "KH0003"} <= {o["staff_code"] for o in json.loads(body)}


@pytest.mark.sqlite
def test_a_province_created_from_its_pack_can_be_signed_into(tmp_path):
    """kpi-platform tenant create khanh-hoa --from tenants/khanh-hoa on a fresh embedded instance,
    then the development login lists the pack's accounts and lets one in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KPI_")}
    env["KPI_INSTANCE_PATH"] = str(tmp_path / "instance")

    def run(*args):
        r = subprocess.run([*CLI, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        return r.returncode, r.stdout, r.stderr

    assert run("db", "upgrade")[0] == 0
    code, out, err = run("tenant", "create", "khanh-hoa", "--from", str(ROOT / "tenants" / "khanh-hoa"))
    assert code == 0, err
    assert '"ok": true' in out and '"officials"' in out
    code, out, err = run("tenant", "import", str(ROOT / "tenants" / "khanh-hoa"))
    assert code == 0, err
    assert json.loads(out)["changes"] == 0  # the same pack again: nothing to do
    code, out, err = run("tenant", "rollout", "khanh-hoa")
    assert code == 0 and "[x] Gói dữ liệu đã được kiểm tra" in out

    (tmp_path / "tenants").mkdir()  # no demo packs here: only the province just created
    port = _free_port()
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if _get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        status, page = _get(f"{base}/t/khanh-hoa/dev-login")
        assert status == 200 and "quantri@khanhhoa.gov.vn" in page and "Đăng nhập phát triển" in page
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _dev_login(base: str, name: str):
    """A browser-like client (cookies, redirects) signed in through the demo's development login."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{base}/t/khanh-hoa/dev-login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    row = re.search(re.escape(name) + r'<br>.*?name="principal_id" value="([^"]+)">\s*<input type="hidden" name="next" '
                    r'value="([^"]*)"', page, re.S)  # fmt: skip
    body = urllib.parse.urlencode({"csrf_token": token, "principal_id": row.group(1), "next": row.group(2)}).encode()
    with opener.open(f"{base}/t/khanh-hoa/dev-login", data=body, timeout=10) as response:
        return opener, response.geturl(), response.read().decode()


def _month_before(day: date) -> str:
    return (day.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def _check_the_demo_work_pages(base: str, today: date) -> None:
    """Each seeded account opens on its work page with something to do and something to read."""
    assert "Thử cả vòng công việc trong một phút" in _get(f"{base}/")[1]
    head, url, page = _dev_login(base, "Nguyễn Văn A")  # heads Sở Nội vụ: the latest work waits for him
    assert url.endswith("/t/khanh-hoa/review") and "đang chờ bạn duyệt" in page and "Cảnh báo" in page
    assert "Lê Văn Cường" in page and "Châu Văn Xuân" in page
    team = head.open(f"{base}/t/khanh-hoa/team", timeout=10).read().decode()
    assert "Lê Văn Cường" in team and "Không hoàn thành nhiệm vụ" not in team, "nobody falls behind at a fair pace"
    last_team = head.open(f"{base}/t/khanh-hoa/team?month={_month_before(today)}", timeout=10).read().decode()
    assert "(chính thức)" in last_team and "Hoàn thành" in last_team  # last month is closed and scored

    official, url, page = _dev_login(base, "Lê Văn Cường")
    # The returned entry, with the reviewer's reason and the way to fix it (under "Bị trả lại, cần sửa",
    # or in today's own list when it is today's).
    assert url.endswith("/t/khanh-hoa/today") and "Bị trả lại" in page and "Lý do" in page and "Sửa và gửi lại" in page
    month = official.open(f"{base}/t/khanh-hoa/month", timeout=10).read().decode()
    assert "Đã duyệt" in month and "Xếp loại dự kiến" in month
    last = official.open(f"{base}/t/khanh-hoa/month?month={_month_before(today)}", timeout=10).read().decode()
    assert "Kết quả chính thức của tháng" in last and "Đã khóa sổ" in last

    _, url, page = _dev_login(base, "Quản trị viên tỉnh")
    assert url.endswith("/t/khanh-hoa/rollout") and "Lộ trình triển khai" in page
    logged = re.search(r"entries_logged\D+(\d+)|Công việc đã ghi\D+(\d+)", page)
    assert logged and int(logged.group(1) or logged.group(2)) > 0, "the rollout follows the demo's data"


@pytest.mark.sqlite
def test_demo_opens_on_the_work_pages_with_work_to_review_on_sqlite(demo_server):
    base, _, _ = demo_server
    _check_the_demo_work_pages(base, datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date())


@pytest.mark.sqlite
@pytest.mark.parametrize("day", DEMO_DAYS)
def test_the_demo_has_a_month_to_show_on_any_day(demo_on_days, day):
    base, _, _ = demo_on_days[day]
    _check_the_demo_work_pages(base, date.fromisoformat(day))


@pytest.mark.sqlite
def test_demo_central_analyst_sees_the_overview_and_drills_into_a_cell_on_sqlite(demo_server):
    base, tokens, _ = demo_server
    analyst = tokens["analyst@platform.demo"]
    status, body = _get(f"{base}/api/v1/benchmarking/overview", analyst)
    assert status == 200, body
    overview = json.loads(body)
    published = [row for row in overview["provinces"] if row["published"]]
    assert len(published) >= 3 and len(overview["period"]["months"]) == 1
    assert any(row["outliers"] for row in published), "the demo's provinces differ enough to flag one"
    status, body = _get(f"{base}/api/v1/benchmarking/cells?by=unit_kind&province=lam-dong", analyst)
    assert status == 200 and {row["cell"]["unit_kind"] for row in json.loads(body)["rows"]} >= {"provincial_agency"}
    assert _get(f"{base}/api/v1/t/lam-dong/benchmarking/standing", analyst)[0] == 404
    status, body = _get(f"{base}/api/v1/t/lam-dong/benchmarking/standing", tokens["admin@lam-dong.demo"])
    assert status == 200 and json.loads(body)["published"]
