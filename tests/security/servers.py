"""Real server processes on 127.0.0.1 for tests: uvicorn apps started as subprocesses.

The listening socket is created here and handed to uvicorn (``--fd``), so there is no race
for a free port.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Server:
    base: str
    process: subprocess.Popen[bytes]


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


@contextmanager
def uvicorn_process(
    target: str,
    env: Mapping[str, str],
    *,
    factory: bool = False,
    ready_path: str = "/healthz",
    startup_timeout: float = 20.0,
) -> Iterator[Server]:
    """Run ``uvicorn target`` in a subprocess; yield once it answers HTTP on ``ready_path``."""
    sock = listening_socket()
    port = sock.getsockname()[1]
    args = [sys.executable, "-m", "uvicorn", target, "--fd", str(sock.fileno())]
    args += ["--log-level", "warning", "--no-access-log", "--timeout-graceful-shutdown", "2"]
    if factory:
        args.append("--factory")
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **env}
    process = subprocess.Popen(args, cwd=REPO, env=full_env, pass_fds=(sock.fileno(),))
    sock.close()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{target} exited with {process.returncode} during start-up")
            try:
                httpx.get(base + ready_path, timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{target} did not start within {startup_timeout} s"
                    ) from None
                time.sleep(0.05)
        yield Server(base, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
