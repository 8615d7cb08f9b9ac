"""The Dockerfile, read as instructions (no Docker engine runs on the development machines):
slim base, dependencies before source, non-root user, a health check the app answers, and
``sarcoma-cds serve`` (installed in the image) serving hooks.app:app."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest

from hooks.cli import build_parser
from hooks.web.app import create_app
from hooks.web.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_slim_base_dependencies_first_then_source_as_a_non_root_user() -> None:
    steps = instructions()
    keywords = [k for k, _ in steps]
    assert steps[0][0] == "FROM"
    assert re.match(r"python:3\.1[1-9][\w.-]*-slim", steps[0][1])
    copies = [rest for k, rest in steps if k == "COPY"]
    assert copies[0].startswith("pyproject.toml")
    assert any(c.startswith("hooks/") for c in copies[1:])
    user = next(rest for k, rest in steps if k == "USER")
    assert user.split(":")[0] not in {"0", "root"}
    assert keywords.index("USER") > max(i for i, k in enumerate(keywords) if k == "RUN")


def test_the_dependency_layer_installs_the_runtime_dependencies(tmp_path: Path) -> None:
    run = next(rest for k, rest in instructions() if k == "RUN" and "tomllib" in rest)
    script = re.search(r'python -c "(.*?)" >', run)
    assert script is not None
    (tmp_path / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    listed = subprocess.run(
        [sys.executable, "-c", script.group(1).replace('\\"', '"')],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    with (ROOT / "pyproject.toml").open("rb") as handle:
        expected = tomllib.load(handle)["project"]["dependencies"]
    assert listed == expected


@pytest.mark.anyio
async def test_the_health_check_and_the_command_match_the_app(tmp_path: Path) -> None:
    steps = dict(instructions())
    assert "/healthz" in steps["HEALTHCHECK"]
    command = json.loads(steps["CMD"])
    # the installed `sarcoma-cds serve`: checks the configuration, runs uvicorn with the limits
    assert command[:2] == ["sarcoma-cds", "serve"]
    assert build_parser().parse_args(command[1:]).port == 8080
    app = create_app(Settings(auth=False, db=tmp_path / "feedback.sqlite3"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            assert (await client.get("/healthz")).status_code == 200


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_the_image_installs_the_package_so_the_command_is_on_the_path() -> None:
    runs = [rest for k, rest in instructions() if k == "RUN"]
    assert any("pip install --no-compile --no-deps /app" in r for r in runs)
    assert any("sarcoma-cds --version" in r for r in runs)
    copied = " ".join(rest for k, rest in instructions() if k == "COPY")
    for needed in ("README.md", "LICENSE"):  # pyproject.toml names them
        assert needed in copied
    env = " ".join(rest for k, rest in instructions() if k == "ENV")
    assert "PYTHONPATH" not in env  # the installed package runs, not the source tree
