"""Fixtures for the worksheet's browser tests: the FHIR server process, the test EHR in front
of it, the service as its own uvicorn process, and Debian's chromium driven by Playwright.

Chromium comes from Debian (``make setup`` installs it when missing); Playwright's own browser
download is never used. Screenshots go to ``tests/artifacts/`` (not in git).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.security.servers import REPO, listening_socket
from tests.service.conftest import golden_request, prefetched_resources
from tests.service.fhir_server import FhirServer, running_fhir_server
from tests.smart.ehr import FakeEhr, running_ehr

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / "tests" / "artifacts"
PATIENTS = ("lms-thigh-gx", "lms-thigh-g3", "synovial-forearm-n1", "ddlps-retroperitoneum")


@pytest.fixture(scope="session")
def fhir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FhirServer]:
    with running_fhir_server(tmp_path_factory.mktemp("smart-fhir")) as server:
        for case in PATIENTS:
            for resource in prefetched_resources(golden_request(case)):
                server.put(resource)
        yield server


@pytest.fixture(scope="session")
def ehr(fhir: FhirServer) -> Iterator[FakeEhr]:
    with running_ehr(fhir) as running:
        yield running


@contextmanager
def running_service(ehr: FakeEhr, workdir: Path, **settings: str) -> Iterator[str]:
    """``hooks.app:app`` in its own uvicorn process, configured for the test EHR."""
    sock = listening_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SARCOMA_CDS_AUTH": "off",
        "SARCOMA_CDS_DB": str(workdir / "service.sqlite3"),
        "SARCOMA_CDS_ALLOW_INSECURE_HTTP": "on",
        "SARCOMA_CDS_PUBLIC_BASE_URL": base,
        "SARCOMA_CDS_SMART_FHIR_SERVERS": ehr.fhir_base,
        "SARCOMA_CDS_SMART_OPEN_SERVERS": f"{ehr.base}/open/fhir",
        "SARCOMA_CDS_FHIR_TIMEOUT": "5",
        "SARCOMA_CDS_FHIR_DEADLINE": "10",
        **{f"SARCOMA_CDS_{k.upper()}": v for k, v in settings.items()},
    }
    args = [sys.executable, "-m", "uvicorn", "hooks.app:app", "--fd", str(sock.fileno())]
    args += ["--log-level", "warning", "--timeout-graceful-shutdown", "2"]
    log = (workdir / "service.log").open("wb")
    process = subprocess.Popen(
        args, cwd=REPO, env=env, pass_fds=(sock.fileno(),), stdout=log, stderr=subprocess.STDOUT
    )
    sock.close()
    ehr.redirect_uris.add(f"{base}/smart/callback")
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError((workdir / "service.log").read_text()[-2000:])
            try:
                httpx.get(f"{base}/healthz", timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the service did not start") from None
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def service(ehr: FakeEhr, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_service(ehr, tmp_path_factory.mktemp("smart-service")) as base:
        yield base


@pytest.fixture
def make_service(ehr: FakeEhr, tmp_path: Path) -> Callable[..., AbstractContextManager[str]]:
    return lambda **settings: running_service(ehr, tmp_path, **settings)


@pytest.fixture(scope="module")  # closed before other modules' asyncio tests run
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run `make setup` (it installs it)")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    ARTIFACTS.mkdir(exist_ok=True)
    opened.screenshot(path=str(ARTIFACTS / f"{request.node.name}-last.png"), full_page=True)
    context.close()


def shot(page: Any, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
