"""Service instances as a hospital runs them: ``sarcoma-cds serve --workers N`` processes (a
uvicorn supervisor and its workers, in their own process group) on free loopback ports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.security.tokens import PUBLIC_BASE, SERVICE_PATH, Signer
from tests.service.fhir_server import free_port

REPO = Path(__file__).resolve().parents[2]
FEEDBACK_PATH = SERVICE_PATH + "/feedback"
FEEDBACK_AUD = PUBLIC_BASE + FEEDBACK_PATH


@dataclass(frozen=True)
class Instance:
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole instance: the supervisor and every worker."""
        os.killpg(self.process.pid, sig)


def auth_env(signer: Signer, tmp_path: Path, db: str, **extra: str) -> dict[str, str]:
    issuers = tmp_path / f"issuers-{uuid.uuid4().hex[:6]}.json"
    issuers.write_text(json.dumps({"issuers": [{"iss": signer.iss, "jwks": signer.jwks()}]}))
    return {
        "SARCOMA_CDS_AUTH": "on",
        "SARCOMA_CDS_TRUSTED_ISSUERS": str(issuers),
        "SARCOMA_CDS_PUBLIC_BASE_URL": PUBLIC_BASE,
        "SARCOMA_CDS_DB": db,
        "SARCOMA_CDS_DB_TIMEOUT": "1",
        "SARCOMA_CDS_LOG_LEVEL": "WARNING",
        **extra,
    }


@contextmanager
def instance(
    env: Mapping[str, str], tmp_path: Path, *, workers: int = 2, timeout: float = 90.0
) -> Iterator[Instance]:
    """``sarcoma-cds serve --workers N``; yielded once ``/readyz`` answers 200."""
    port = free_port()
    log = tmp_path / f"instance-{port}.log"
    args = [sys.executable, "-m", "hooks.cli", "serve", "--port", str(port)]
    args += ["--workers", str(workers)]
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **env}
    full_env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            args, cwd=REPO, env=full_env, stdout=out, stderr=out, start_new_session=True
        )
    server = Instance(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"serve exited with {process.returncode}: {log.read_text()}")
            try:
                if httpx.get(server.base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"serve not ready in {timeout} s: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            try:
                server.kill(signal.SIGTERM)
                process.wait(timeout=30)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                server.kill(signal.SIGKILL)
                process.wait(timeout=30)


def feedback_body(card: str, outcome: str = "accepted") -> dict[str, Any]:
    entry: dict[str, Any] = {
        "card": card,
        "outcome": outcome,
        "outcomeTimestamp": "2026-03-02T14:05:00Z",
    }
    if outcome == "accepted":
        entry["acceptedSuggestions"] = [{"id": str(uuid.uuid4())}]
    return {"feedback": [entry]}


def post_feedback(
    client: httpx.Client, server: Instance, signer: Signer, card: str
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {signer.token(FEEDBACK_AUD)}"}
    return client.post(server.base + FEEDBACK_PATH, json=feedback_body(card), headers=headers)


def export(db: str) -> list[dict[str, Any]]:
    """``sarcoma-cds feedback export`` against the database, as an operator would run it."""
    done = subprocess.run(
        [sys.executable, "-m", "hooks.cli", "feedback", "export"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "SARCOMA_CDS_DB": db},
        capture_output=True,
        check=True,
        timeout=60,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]
