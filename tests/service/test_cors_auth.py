"""CORS for browser clients (the CDS Hooks Sandbox) and the authenticator hook."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import httpx
import pytest
from starlette.requests import Request

from hooks.web.app import StartupError, create_app
from hooks.web.errors import AuthenticationError
from hooks.web.settings import Settings
from tests.service.conftest import SANDBOX_ORIGIN, ClientFactory, hook_request
from tests.service.invariants import is_operation_outcome
from tests.service.reports import FakeStager, fake_pipeline

pytestmark = pytest.mark.anyio

SERVICE = "/cds-services/sarcoma-staging"


def preflight(origin: str, method: str = "POST") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type",
    }


@pytest.mark.parametrize("path", ["/cds-services", SERVICE, SERVICE + "/feedback"])
@pytest.mark.parametrize(
    "origin", [SANDBOX_ORIGIN, "http://localhost:3000", "http://127.0.0.1:8081"]
)
async def test_preflight_allows_authorization_and_content_type(
    client: httpx.AsyncClient, path: str, origin: str
) -> None:
    response = await client.options(path, headers=preflight(origin))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed
    assert "content-type" in allowed
    assert "POST" in response.headers["access-control-allow-methods"]


async def test_preflight_refuses_other_origins(client: httpx.AsyncClient) -> None:
    response = await client.options(SERVICE, headers=preflight("https://evil.example"))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    assert is_operation_outcome(body)
    rid = response.headers["X-Request-ID"]
    assert body["id"] == rid
    assert rid in body["issue"][0]["diagnostics"]
    assert "origin" in body["issue"][0]["diagnostics"]


async def test_preflight_refusing_a_header_is_an_operation_outcome(
    client: httpx.AsyncClient,
) -> None:
    headers = {**preflight(SANDBOX_ORIGIN), "Access-Control-Request-Headers": "x-secret"}
    response = await client.options(SERVICE, headers=headers)
    assert response.status_code == 400
    assert is_operation_outcome(response.json())
    # The origin is allowed: the browser may read why.
    assert response.headers["access-control-allow-origin"] == SANDBOX_ORIGIN


async def test_internal_errors_carry_cors_headers(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with make_client(pipeline=fake_pipeline(FakeStager(fail=True))) as c:
        with caplog.at_level(logging.INFO, logger="hooks.service"):
            response = await c.post(
                SERVICE, json=hook_request(), headers={"Origin": SANDBOX_ORIGIN}
            )
    assert response.status_code == 500
    assert response.headers["access-control-allow-origin"] == SANDBOX_ORIGIN
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()
    body = response.json()
    assert is_operation_outcome(body)
    rid = response.headers["X-Request-ID"]
    assert body["id"] == rid
    assert "Traceback" not in response.text
    assert "boom" not in response.text
    failed = [r for r in caplog.records if r.levelno == logging.ERROR and rid in r.getMessage()]
    assert len(failed) == 1
    assert failed[0].exc_info is not None  # the traceback is in the log, not the body
    assert any(f"POST {SERVICE} 500" in r.getMessage() for r in caplog.records)


async def test_localhost_origins_can_be_turned_off(
    make_client: ClientFactory, settings: Settings
) -> None:
    async with make_client(settings=replace(settings, cors_allow_localhost=False)) as client:
        response = await client.options(SERVICE, headers=preflight("http://localhost:3000"))
    assert response.status_code == 400


async def test_simple_responses_carry_cors_headers(client: httpx.AsyncClient) -> None:
    response = await client.post(SERVICE, json=hook_request(), headers={"Origin": SANDBOX_ORIGIN})
    assert response.headers["access-control-allow-origin"] == SANDBOX_ORIGIN
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()


class FakeAuthenticator:
    """Accepts ``Authorization: Bearer good``; records identities passed to the policy."""

    def __init__(self, *, discovery_open: bool = False) -> None:
        self.discovery_open = discovery_open
        self.checked: list[tuple[Any, str]] = []

    async def authenticate(self, request: Request) -> Any:
        if request.headers.get("authorization") != "Bearer good":
            raise AuthenticationError("no valid token")
        return {"iss": "https://ehr.example.org"}

    def check_fhir_server(self, identity: Any, url: str) -> None:
        self.checked.append((identity, url))


@pytest.fixture
def auth_settings(settings: Settings) -> Settings:
    return replace(settings, auth=True)


async def test_every_call_is_authenticated(
    make_client: ClientFactory, auth_settings: Settings
) -> None:
    async with make_client(settings=auth_settings, authenticator=FakeAuthenticator()) as client:
        for method, path, body in [
            ("GET", "/cds-services", None),
            ("POST", SERVICE, hook_request()),
            ("POST", SERVICE + "/feedback", {"feedback": []}),
            ("POST", "/cds-services/unknown", hook_request()),
        ]:
            response = await client.request(method, path, json=body)
            assert response.status_code == 401, path
            assert response.content == b""
        good = {"Authorization": "Bearer good"}
        assert (await client.get("/cds-services", headers=good)).status_code == 200
        assert (await client.post(SERVICE, json=hook_request(), headers=good)).status_code == 200
        assert (await client.get("/healthz")).status_code == 200


async def test_discovery_can_be_open(make_client: ClientFactory, auth_settings: Settings) -> None:
    async with make_client(
        settings=auth_settings, authenticator=FakeAuthenticator(discovery_open=True)
    ) as client:
        assert (await client.get("/cds-services")).status_code == 200
        assert (await client.post(SERVICE, json=hook_request())).status_code == 401
    async with make_client(
        settings=replace(auth_settings, discovery_open=True), authenticator=FakeAuthenticator()
    ) as client:
        assert (await client.get("/cds-services")).status_code == 200


async def test_the_identity_reaches_the_fhir_server_policy(
    make_client: ClientFactory, auth_settings: Settings
) -> None:
    auth = FakeAuthenticator()
    body = hook_request(fhirServer="https://ehr.example.org/fhir/")
    del body["prefetch"]["observations"]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset"})

    async with make_client(
        settings=auth_settings, authenticator=auth, transport=httpx.MockTransport(handler)
    ) as client:
        response = await client.post(SERVICE, json=body, headers={"Authorization": "Bearer good"})
    assert response.status_code == 200
    assert auth.checked == [({"iss": "https://ehr.example.org"}, "https://ehr.example.org/fhir")]


async def test_auth_on_without_an_authenticator_fails_at_startup(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SARCOMA_CDS_TRUSTED_ISSUERS", "SARCOMA_CDS_AUTH"):
        monkeypatch.delenv(name, raising=False)
    app = create_app(replace(settings, auth=True))
    with pytest.raises(StartupError, match="SARCOMA_CDS_AUTH=off"):
        async with app.router.lifespan_context(app):
            pass


class JwtStyleAuthenticator(FakeAuthenticator):
    """Raises the security module's own exception type, as hooks.auth.Authenticator does."""

    async def authenticate(self, request: Request) -> Any:
        from hooks.auth import AuthenticationError as JwtAuthenticationError  # noqa: PLC0415

        raise JwtAuthenticationError("bad signature")


async def test_hooks_auth_errors_are_a_bare_401(
    make_client: ClientFactory, auth_settings: Settings
) -> None:
    async with make_client(settings=auth_settings, authenticator=JwtStyleAuthenticator()) as c:
        response = await c.post(SERVICE, json=hook_request())
    assert response.status_code == 401
    assert response.content == b""
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["X-Request-ID"]


async def test_oversized_bodies_are_refused_with_an_operation_outcome(
    client: httpx.AsyncClient,
) -> None:
    huge = b'{"hook": "patient-view", "pad": "' + b"x" * (6 * 1024 * 1024) + b'"}'
    response = await client.post(
        SERVICE, content=huge, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["id"] == response.headers["X-Request-ID"]


async def test_private_network_access_preflight(client: httpx.AsyncClient) -> None:
    headers = {**preflight(SANDBOX_ORIGIN), "Access-Control-Request-Private-Network": "true"}
    response = await client.options(SERVICE, headers=headers)
    assert response.status_code == 200
    assert response.headers["access-control-allow-private-network"] == "true"
    refused = await client.options(SERVICE, headers={**headers, "Origin": "https://evil.example"})
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert is_operation_outcome(refused.json())
