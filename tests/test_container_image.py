"""The Dockerfile, built and run: where Debian's ``buildah`` and the base image are available
(``make image-base`` makes a stand-in base offline), the image is built from this tree, and
its ``sarcoma-cds`` command answers ``--version``, refuses an unconfigured start with one line,
and serves ``/healthz`` and a staging call. Elsewhere the test is skipped, saying what is
missing. Builds use ``STORAGE_DRIVER`` (vfs unless set) and chroot isolation, as the Makefile.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import httpx
import pytest

from tests.service.fhir_server import free_port

ROOT = Path(__file__).resolve().parents[1]
BASE = "docker.io/library/python:3.11-slim-bookworm"
TAG = "localhost/sarcoma-cds:test"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
ENV = {
    **os.environ,
    "STORAGE_DRIVER": os.environ.get("STORAGE_DRIVER", "vfs"),
    "BUILDAH_ISOLATION": os.environ.get("BUILDAH_ISOLATION", "chroot"),
}


def buildah(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["buildah", *args], capture_output=True, text=True, timeout=timeout, env=ENV, check=False
    )


def missing() -> str | None:
    if shutil.which("buildah") is None:
        return "buildah is not installed (apt-get install buildah, or make image-base)"
    if os.geteuid() != 0:
        return "building with buildah here needs root (chroot isolation)"
    if not buildah("images", "--quiet", BASE).stdout.strip():
        return f"the base image {BASE} is not in local storage (make image-base makes a stand-in)"
    return None


@pytest.fixture(scope="module")
def container() -> Iterator[str]:
    reason = missing()
    if reason is not None:
        pytest.skip(f"container image not built: {reason}")
    build = ["bud", "--pull-never", "--format", "docker", "-t", TAG]
    if CA_BUNDLE.is_file():  # the host's trust store, for pip behind a TLS-inspecting proxy
        build += ["-v", f"{CA_BUNDLE}:{CA_BUNDLE}:ro"]
    built = buildah(*build, str(ROOT))
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    made = buildah("from", "--pull-never", TAG)
    assert made.returncode == 0, made.stderr
    name = made.stdout.strip().splitlines()[-1]
    try:
        yield name
    finally:
        buildah("rm", name)
        buildah("rmi", TAG)


def run(name: str, *command: str, env: dict[str, str] | None = None) -> list[str]:
    args = ["buildah", "run", "--isolation", ENV["BUILDAH_ISOLATION"], "--user", "10001:10001"]
    for key, value in (env or {}).items():
        args += ["-e", f"{key}={value}"]
    return [*args, name, "--", *command]


def test_the_image_runs_the_installed_command(container: str) -> None:
    config = json.loads(buildah("inspect", "--type", "image", TAG).stdout)
    cmd = config["Docker"]["config"]["Cmd"]
    assert cmd[:2] == ["sarcoma-cds", "serve"]
    assert config["Docker"]["config"]["User"] == "10001:10001"
    assert config["Docker"]["config"]["Healthcheck"]["Test"][0] == "CMD"
    done = subprocess.run(
        run(container, "sarcoma-cds", "--version"),
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"sarcoma-cds {metadata.version('sarcoma-cds')}"


def test_an_unconfigured_start_is_one_line(container: str) -> None:
    done = subprocess.run(
        run(container, "sarcoma-cds", "serve", "--host", "127.0.0.1", "--port", "8080"),
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    ours = [line for line in done.stderr.splitlines() if line.startswith("sarcoma-cds")]
    assert len(ours) == 1
    assert "SARCOMA_CDS_TRUSTED_ISSUERS" in ours[0]
    assert "Traceback" not in done.stderr


def test_the_image_serves_healthz_and_a_staging_call(container: str) -> None:
    port = free_port()
    command = run(
        container,
        "sarcoma-cds",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        env={"SARCOMA_CDS_AUTH": "off", "SARCOMA_CDS_LOG_LEVEL": "WARNING"},
    )
    server = subprocess.Popen(
        command, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "the server in the image exited"
            try:
                health = httpx.get(base + "/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server in the image did not start"
                time.sleep(0.3)
        assert health.json() == {"status": "ok"}
        body = (ROOT / "examples" / "patient-view-staged.json").read_bytes()
        response = httpx.post(
            base + "/cds-services/sarcoma-staging",
            content=body,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        assert response.status_code == 200
        assert response.json()["cards"][0]["summary"].startswith("AJCC 8 stage IIIA")
    finally:
        # buildah run relays SIGTERM to the server, which shuts down gracefully
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
