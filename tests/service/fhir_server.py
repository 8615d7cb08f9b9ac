"""A real FHIR R4 server process on loopback for the fallback tests: SEKMET (PyPI
``sekmet-fhir``), a FastAPI FHIR R4 server with search by patient and token code, ``_count``
paging with ``next`` links, and static bearer-token authentication.

The server runs as a separate process (its own uvicorn) on 127.0.0.1 and a free port, with its
data in a temporary folder; the test patients are loaded with ordinary ``PUT`` requests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

TOKEN = "fallback-test-token-7f3a"  # noqa: S105 - a test server's static token


@dataclass(frozen=True)
class FhirServer:
    base: str
    token: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/fhir+json"}

    def put(self, resource: dict[str, Any]) -> None:
        url = f"{self.base}/{resource['resourceType']}/{resource['id']}"
        response = httpx.put(
            url,
            content=orjson.dumps(resource),
            headers={**self.headers(), "Content-Type": "application/fhir+json"},
            timeout=10,
        )
        if response.status_code not in (200, 201):
            raise RuntimeError(f"loading {url}: HTTP {response.status_code} {response.text[:300]}")

    def get(self, path_or_url: str) -> dict[str, Any]:
        url = path_or_url if path_or_url.startswith("http") else f"{self.base}/{path_or_url}"
        response = httpx.get(url, headers=self.headers(), timeout=10)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _sekmet_command() -> list[str]:
    script = Path(sys.executable).with_name("sekmet")
    if script.exists():
        return [str(script)]
    found = shutil.which("sekmet")
    if found is None:
        raise RuntimeError(
            "the sekmet-fhir package is not installed: pip install -e '.[dev]' brings it"
        )
    return [found]


@contextlib.contextmanager
def running_fhir_server(workdir: Path, *, startup_timeout: float = 60.0) -> Iterator[FhirServer]:
    port = free_port()
    base = f"http://127.0.0.1:{port}/fhir"
    config = workdir / "settings.yaml"
    config.write_text(
        "\n".join(
            [
                f"base_url: {base}",
                "host: 127.0.0.1",
                f"port: {port}",
                f"data_dir: {workdir / 'data'}",
                "server_auth:",
                "  types: [bearer]",
                f"  tokens: [{TOKEN}]",
                "simulator:",
                "  enabled: false",
                "log_inbound: false",
                "",
            ]
        )
    )
    log = (workdir / "server.log").open("wb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEKMET")}
    process = subprocess.Popen(
        [*_sekmet_command(), "serve", "-c", str(config)],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"FHIR server exited with {process.returncode}: "
                    + (workdir / "server.log").read_text(errors="replace")[-2000:]
                )
            try:
                if httpx.get(f"{base}/metadata", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("FHIR server did not start in time")
            time.sleep(0.2)
        yield FhirServer(base=base, token=TOKEN)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
