"""Fixtures for the security suite: test-time keys, a real loopback JWKS server, the app."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from hooks.auth import AuthConfig, Authenticator
from hooks.auth.issuers import TrustedIssuer, parse_trusted_issuers
from hooks.store.replay import SqliteReplayStore
from tests.security.app_under_test import build_app
from tests.security.tokens import EPIC_ISS, PUBLIC_BASE, SANDBOX_ISS, Signer

SANDBOX_JKU = "https://sandbox.cds-hooks.org/.well-known/jwks.json"
SANDBOX_FHIR = "https://launch.smarthealthit.org/v/r4/fhir"
EPIC_FHIR = "https://fhir.epic.example.org/api/FHIR/R4"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class JwksServer:
    """A real HTTP server on 127.0.0.1 serving configurable routes, counting requests."""

    base: str
    routes: dict[str, Route]
    hits: dict[str, int]

    def url(self, path: str) -> str:
        return self.base + path

    def serve_json(self, path: str, document: Any, **kwargs: Any) -> str:
        self.routes[path] = Route(body=orjson.dumps(document), **kwargs)
        return self.url(path)


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    routes: dict[str, Route] = {}
    hits: dict[str, int] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits[self.path] = hits.get(self.path, 0) + 1
            route = routes.get(self.path, Route(status=404))
            if route.delay:
                time.sleep(route.delay)
            try:
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield JwksServer(f"http://127.0.0.1:{server.server_address[1]}", routes, hits)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def sandbox_signer() -> Signer:
    """Sandbox-style: ES384, inline JWKS, the Sandbox's jku header."""
    return Signer(iss=SANDBOX_ISS, alg="ES384", jku=SANDBOX_JKU)


@pytest.fixture(scope="session")
def epic_signer_key() -> Signer:
    return Signer(iss=EPIC_ISS, alg="RS384")


@pytest.fixture
def epic_signer(epic_signer_key: Signer, jwks_server: JwksServer) -> Signer:
    """Epic-style: RS384, keys only from its (allowlisted) jku."""
    jku = jwks_server.serve_json("/epic/jwks.json", epic_signer_key.jwks())
    epic_signer_key.jku = jku
    return epic_signer_key


def issuers_document(sandbox: Signer, epic: Signer) -> dict[str, Any]:
    return {
        "issuers": [
            {
                "iss": sandbox.iss,
                "algorithms": ["ES384"],
                "jwks": sandbox.jwks(),
                "jku": [SANDBOX_JKU],
                "fhir_servers": [SANDBOX_FHIR],
            },
            {
                "iss": epic.iss,
                "jku": [epic.jku],
                "fhir_servers": [EPIC_FHIR],
                "tenants": ["hospital-a"],
            },
        ]
    }


@pytest.fixture
def issuers(
    sandbox_signer: Signer, epic_signer: Signer, tmp_path: Path
) -> dict[str, TrustedIssuer]:
    return parse_trusted_issuers(
        issuers_document(sandbox_signer, epic_signer),
        source=tmp_path / "issuers.json",
        allow_http=True,
    )


@pytest.fixture
def auth_config(tmp_path: Path) -> AuthConfig:
    return AuthConfig(
        enabled=True,
        public_base_url=PUBLIC_BASE,
        db_path=tmp_path / "cds.sqlite3",
        # Only the loopback JWKS server is plain http; fhirServer checks use their own config.
        allow_insecure_http=True,
        jwks_timeout=1.0,
    )


@pytest.fixture
async def authenticator(
    auth_config: AuthConfig, issuers: dict[str, TrustedIssuer]
) -> AsyncIterator[Authenticator]:
    store = SqliteReplayStore(auth_config.db_path)
    async with httpx.AsyncClient() as http:
        yield Authenticator(auth_config, issuers=issuers, replay_store=store, http=http)
    store.close()


@pytest.fixture
async def client(authenticator: Authenticator) -> AsyncIterator[httpx.AsyncClient]:
    """Requests reach the app at an internal address, as behind a reverse proxy."""
    transport = httpx.ASGITransport(app=build_app(authenticator))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as c:
        yield c
