"""The container recipe (Dockerfile, .dockerignore, scripts/docker/), checked without a container
engine: the Dockerfile is read with the `dockerfile` package (BuildKit's own parser), and the
entrypoint is run for real with stand-ins of the programs it starts."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import dockerfile
import pytest

ROOT = Path(__file__).parents[1]


def _stages() -> list[list[dockerfile.Command]]:
    stages: list[list[dockerfile.Command]] = []
    for command in dockerfile.parse_file(str(ROOT / "Dockerfile")):
        if command.cmd == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(command)
    return stages


def _final() -> list[dockerfile.Command]:
    return _stages()[-1]


def _one(stage, cmd: str) -> dockerfile.Command:
    found = [c for c in stage if c.cmd == cmd]
    assert len(found) == 1, f"expected one {cmd} in the final stage, found {len(found)}"
    return found[0]


def test_multi_stage_on_a_slim_python_without_build_tools_in_the_final_stage():
    stages = _stages()
    assert len(stages) >= 2
    images = [stage[0].value[0] for stage in stages]
    assert all(re.match(r"python:\$\{PYTHON_VERSION\}-slim", image) for image in images), images
    final_runs = " ".join(" ".join(c.value) for c in _final() if c.cmd == "RUN")
    for tool in ("gcc", "build-essential", "make ", "-dev", "git", "curl"):
        assert tool not in final_runs, f"{tool} in the final stage"
    assert "--no-install-recommends" in final_runs and "rm -rf /var/lib/apt/lists" in final_runs
    copies = [c.value for c in _final() if c.cmd == "COPY"]
    assert ("--from=build" in {f for c in _final() if c.cmd == "COPY" for f in c.flags}) and any(
        v[0] == "/opt/kpi" for v in copies
    ), "the final stage takes the virtual environment from the build stage"


def test_build_stage_compiles_translations_and_installs_the_project_as_a_wheel():
    build = " ".join(" ".join(c.value) for c in _stages()[0] if c.cmd == "RUN")
    assert "python scripts/translations.py --compile" in build
    assert re.search(r"pip install \.(\s|$)", build) and "pip install -e" not in build


def test_the_compile_step_gives_the_english_pages(tmp_path):
    """What the build stage runs: messages.po compiled the way scripts/translations.py does it."""
    import gettext  # noqa: PLC0415
    import io  # noqa: PLC0415
    import sys  # noqa: PLC0415

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import translations  # noqa: PLC0415
    finally:
        sys.path.pop(0)
    catalog = translations.english()
    compiled = gettext.GNUTranslations(io.BytesIO(translations.compiled(catalog)))
    translated = [m for m in catalog if m.id and m.string and isinstance(m.id, str)]
    assert len(translated) > 50
    assert all(compiled.gettext(m.id) == m.string for m in translated)


def test_runs_as_a_numeric_non_root_user_with_a_healthcheck_and_one_entrypoint():
    final = _final()
    user = _one(final, "USER").value[0]
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) != 0 and (not gid or int(gid) != 0), user  # numeric: runAsNonRoot can check it
    healthcheck = _one(final, "HEALTHCHECK")
    assert healthcheck.value == ("CMD", "kpi-healthcheck")
    assert any(flag.startswith("--interval=") for flag in healthcheck.flags)
    assert _one(final, "ENTRYPOINT").value == ("kpi-entrypoint",)
    assert _one(final, "CMD").value == ("web",)
    env = " ".join(" ".join(c.value) for c in final if c.cmd == "ENV")
    assert "KPI_ENV production" in env or "KPI_ENV=production" in env
    assert "/tmp" in env, "what is written at run time goes to /tmp (read-only root filesystem)"
    copied = {c.value[-1]: c.value[0] for c in final if c.cmd == "COPY"}
    for target in ("/usr/local/bin/kpi-entrypoint", "/usr/local/bin/kpi-healthcheck"):
        assert (ROOT / copied[target]).is_file(), target
    assert (ROOT / copied["./"]).name == "gunicorn.conf.py"


def test_dockerignore_sends_only_what_the_image_needs():
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "everything is excluded, then the needed paths allowed back"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    sources = [
        c.value[0]
        for stage in _stages()
        for c in stage
        if c.cmd == "COPY" and not any(f.startswith("--from") for f in c.flags)
    ]
    for source in sources:
        assert any(source == a or source.startswith(a + "/") for a in allowed), f"{source} is not in the context"
    for private in (".venv", ".git", "instance", "tests", "node_modules", "build"):
        assert private not in allowed


@pytest.fixture
def stand_ins(tmp_path):
    """Stand-ins for the programs the entrypoint starts: each writes its name and arguments."""
    record = tmp_path / "argv"
    for name in ("gunicorn", "kpi-platform", "pgbouncer", "celery"):
        program = tmp_path / name
        program.write_text(f'#!/bin/sh\nprintf "%s\\n" "{name}" "$@" > "{record}"\n')
        program.chmod(0o755)

    def run(*args: str, env: dict | None = None) -> list[str]:
        environment = {"PATH": f"{tmp_path}:{os.environ['PATH']}", **(env or {})}
        subprocess.run(["sh", str(ROOT / "scripts/docker/entrypoint.sh"), *args], env=environment, check=True)
        return record.read_text().splitlines()

    return run


def test_entrypoint_starts_each_process_by_name(stand_ins):
    assert stand_ins() == ["gunicorn", "-c", "gunicorn.conf.py"]
    assert stand_ins("web", "--workers", "3") == ["gunicorn", "-c", "gunicorn.conf.py", "--workers", "3"]
    assert stand_ins("worker", "--concurrency=4") == ["kpi-platform", "worker", "--concurrency=4"]
    assert stand_ins("beat", env={"KPI_BEAT_SCHEDULE": "/tmp/s"}) == ["kpi-platform", "beat", "--schedule", "/tmp/s"]
    assert stand_ins("migrate") == ["kpi-platform", "db", "upgrade"]
    assert stand_ins("create-roles") == ["kpi-platform", "db", "create-roles"]
    assert stand_ins("pgbouncer", env={"PGBOUNCER_CONFIG": "/etc/p.ini"}) == ["pgbouncer", "/etc/p.ini"]
    assert stand_ins("celery", "inspect", "ping") == ["celery", "inspect", "ping"]


def test_healthcheck_knows_each_process():
    script = (ROOT / "scripts/docker/healthcheck.sh").read_text()
    assert "/proc/1/cmdline" in script
    assert "/healthz" in script and "inspect ping" in script and "6432" in script
    assert subprocess.run(["sh", "-n", str(ROOT / "scripts/docker/healthcheck.sh")], check=False).returncode == 0
