"""The quickstart as a new user runs it: ``make run &``, ``make wait``, a request, then stopping
make. Killing make (its pid only, as ``kill $!`` in a script does) stops the server it
started; before, the server kept running and held the port."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.service.fhir_server import free_port

ROOT = Path(__file__).resolve().parents[1]
#: Generous bounds for a loaded machine; the checks are functional (up, then down).
PATIENCE = 60.0


def test_make_run_then_wait_then_killing_make_stops_the_server(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "SARCOMA_CDS_DB": str(tmp_path / "db.sqlite3")}
    make = subprocess.Popen(
        ["make", "-s", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: only make is signalled below
    )
    base = f"http://127.0.0.1:{port}"
    try:
        waited = subprocess.run(
            ["make", "-s", "wait", f"PORT={port}", f"WAIT={int(PATIENCE)}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=PATIENCE + 30,
            check=False,
        )
        assert waited.returncode == 0, waited.stderr
        assert f"{base} is up" in waited.stdout
        assert httpx.get(base + "/cds-services", timeout=5).status_code == 200

        make.send_signal(signal.SIGTERM)  # make only, not its process group
        make.wait(timeout=PATIENCE)
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                httpx.get(base + "/healthz", timeout=1)
            except httpx.TransportError:
                break  # nothing listens any more: the server stopped with make
            assert time.monotonic() < deadline, "the server outlived make run"
            time.sleep(0.2)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(make.pid, signal.SIGTERM)  # whatever is left of the run, if anything
        make.wait(timeout=PATIENCE)


def test_make_wait_gives_up_with_one_line_when_nothing_answers() -> None:
    done = subprocess.run(
        ["make", "-s", "wait", f"PORT={free_port()}", "WAIT=1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "make wait: nothing answers" in done.stderr
