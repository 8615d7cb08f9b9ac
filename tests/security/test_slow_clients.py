"""Slow and greedy clients against a real ``sarcoma-cds serve`` process on 127.0.0.1.

A client trickling its headers or body holds a connection (and a file descriptor) only until
``SARCOMA_CDS_REQUEST_TIMEOUT``; connections beyond ``SARCOMA_CDS_LIMIT_CONCURRENCY`` are
answered 503; request headers over ``SARCOMA_CDS_MAX_HEADER_BYTES`` are refused. Before,
``serve`` set none of these and a trickling client was kept for ever.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hooks.web.server import RequestDeadlineProtocol, uvicorn_options
from hooks.web.settings import Settings
from tests.service.fhir_server import free_port

REPO = Path(__file__).resolve().parents[2]
REQUEST_TIMEOUT = 1.0
LIMIT = 4
#: How long a test waits for the server to close a connection: far above REQUEST_TIMEOUT, so
#: that a loaded machine cannot fail it; without the deadline the wait always runs out.
PATIENCE = 15.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "SARCOMA_CDS_AUTH": "off",
        "SARCOMA_CDS_DB": str(tmp_path_factory.mktemp("slow") / "db.sqlite3"),
        "SARCOMA_CDS_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT),
        "SARCOMA_CDS_LIMIT_CONCURRENCY": str(LIMIT),
        "SARCOMA_CDS_MAX_HEADER_BYTES": "4096",
        "SARCOMA_CDS_LOG_LEVEL": "ERROR",
    }
    command = [sys.executable, "-m", "hooks.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "sarcoma-cds serve exited during start-up"
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "sarcoma-cds serve did not start"
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


def connect(base: str) -> socket.socket:
    port = int(base.rsplit(":", 1)[1])
    return socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)


def closed_by_server(sock: socket.socket) -> bool:
    """Wait (up to PATIENCE) for the server to close; True when it did."""
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    finally:
        sock.close()


def test_a_client_trickling_its_headers_is_disconnected(server: str) -> None:
    sock = connect(server)
    sock.sendall(b"POST /cds-services/sarcoma-staging HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    assert closed_by_server(sock)


def test_a_client_that_never_sends_a_byte_is_disconnected(server: str) -> None:
    assert closed_by_server(connect(server))


def test_a_client_trickling_its_body_is_disconnected(server: str) -> None:
    sock = connect(server)
    sock.sendall(
        b"POST /cds-services/sarcoma-staging HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"hook": '
    )
    assert closed_by_server(sock)


def test_a_slow_second_request_on_a_kept_alive_connection_is_disconnected(server: str) -> None:
    sock = connect(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert b"200 OK" in sock.recv(4096)
    sock.sendall(b"GET /healthz HTTP/1.1\r\n")  # then nothing: uvicorn's keep-alive timer is off
    assert closed_by_server(sock)


def test_an_ordinary_request_on_a_connection_is_answered(server: str) -> None:
    with httpx.Client() as client:
        for _ in range(3):
            assert client.get(server + "/healthz").status_code == 200
            time.sleep(REQUEST_TIMEOUT * 0.6)  # kept alive across what would be a deadline


def test_unfinished_headers_over_the_limit_are_refused_at_once(server: str) -> None:
    """h11 buffers at most SARCOMA_CDS_MAX_HEADER_BYTES of an unfinished request head."""
    sock = connect(server)
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"x" * 8000)
        answer = sock.recv(4096)
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 400 ")


def test_connections_beyond_the_limit_are_answered_503(server: str) -> None:
    hogs = [connect(server) for _ in range(LIMIT)]
    for sock in hogs:
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")  # incomplete: each holds its connection
    time.sleep(0.2)
    try:
        assert httpx.get(server + "/healthz", timeout=PATIENCE).status_code == 503
    finally:
        for sock in hogs:
            sock.close()
    deadline = time.monotonic() + PATIENCE
    while httpx.get(server + "/healthz", timeout=PATIENCE).status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_serve_passes_the_settings_to_uvicorn() -> None:
    settings = Settings(
        limit_concurrency=7, backlog=11, timeout_keep_alive=3, max_header_bytes=2048
    )
    options = uvicorn_options(settings)
    assert options["http"] is RequestDeadlineProtocol
    assert options["limit_concurrency"] == 7
    assert options["backlog"] == 11
    assert options["timeout_keep_alive"] == 3
    assert options["h11_max_incomplete_event_size"] == 2048
