"""The attack suite against the real service (``hooks.web.app.create_app``), authentication on."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hooks.auth.issuers import TrustedIssuer
from tests.security.conftest import EPIC_FHIR, SANDBOX_FHIR
from tests.security.service import auth_settings, authenticated_service, hook_request
from tests.security.test_attacks import ATTACKS
from tests.security.tokens import PUBLIC_BASE, SERVICE_PATH, Signer

pytestmark = pytest.mark.anyio


class Recorder:
    """Answers FHIR reads and searches for the allowlisted server; records every request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("/Patient/p1"):
            return httpx.Response(200, json={"resourceType": "Patient", "id": "p1"})
        return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset"})


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def service(
    tmp_path: Path, issuers: dict[str, TrustedIssuer], recorder: Recorder
) -> AsyncIterator[httpx.AsyncClient]:
    # http is allowed only because the Epic-style JWKS is served by a loopback test server.
    settings = auth_settings(tmp_path, allow_insecure_http=True)
    async with authenticated_service(
        settings, issuers, transport=httpx.MockTransport(recorder)
    ) as client:
        yield client


async def post(
    client: httpx.AsyncClient,
    token: str | None,
    body: dict[str, Any] | None = None,
    path: str = SERVICE_PATH,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return await client.post(path, json=body or hook_request(), headers=headers)


def assert_bare_401(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.content == b""
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["x-request-id"]


async def test_sandbox_style_token_accepted(
    service: httpx.AsyncClient, sandbox_signer: Signer
) -> None:
    response = await post(service, sandbox_signer.token())
    assert response.status_code == 200, response.text
    assert "cards" in response.json()


async def test_epic_style_token_accepted(service: httpx.AsyncClient, epic_signer: Signer) -> None:
    token = epic_signer.token(sub="epic-user", nbf=0, tenant="hospital-a")
    assert (await post(service, token)).status_code == 200


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_attack_refused(
    service: httpx.AsyncClient,
    sandbox_signer: Signer,
    attack: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reason, forge = ATTACKS[attack]
    token = forge(sandbox_signer)
    with caplog.at_level(logging.INFO):
        assert_bare_401(await post(service, token))
    assert reason in caplog.text
    for segment in token.split("."):
        if len(segment) >= 8:
            assert segment not in caplog.text


async def test_no_token_refused_on_every_endpoint(service: httpx.AsyncClient) -> None:
    assert_bare_401(await post(service, None))
    assert_bare_401(await service.get("/cds-services"))
    feedback = {
        "feedback": [
            {"card": "c", "outcome": "overridden", "outcomeTimestamp": "2026-01-01T00:00:00Z"}
        ]
    }
    assert_bare_401(await service.post(SERVICE_PATH + "/feedback", json=feedback))


async def test_tokens_are_bound_to_their_endpoint(
    service: httpx.AsyncClient, sandbox_signer: Signer
) -> None:
    discovery = sandbox_signer.token(PUBLIC_BASE + "/cds-services")
    headers = {"Authorization": f"Bearer {discovery}"}
    assert (await service.get("/cds-services", headers=headers)).status_code == 200
    # A token for discovery does not open the service, nor one for the service its feedback.
    assert_bare_401(await post(service, sandbox_signer.token(PUBLIC_BASE + "/cds-services")))
    feedback = {
        "feedback": [
            {"card": "c", "outcome": "overridden", "outcomeTimestamp": "2026-01-01T00:00:00Z"}
        ]
    }
    token = sandbox_signer.token()
    response = await service.post(
        SERVICE_PATH + "/feedback", json=feedback, headers={"Authorization": f"Bearer {token}"}
    )
    assert_bare_401(response)
    token = sandbox_signer.token(PUBLIC_BASE + SERVICE_PATH + "/feedback")
    response = await service.post(
        SERVICE_PATH + "/feedback", json=feedback, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200


async def test_replay_refused(service: httpx.AsyncClient, sandbox_signer: Signer) -> None:
    token = sandbox_signer.token()
    assert (await post(service, token)).status_code == 200
    assert_bare_401(await post(service, token))


def without_prefetch(server: str) -> dict[str, Any]:
    body = hook_request(fhirServer=server)
    del body["prefetch"]
    body["fhirAuthorization"] = {
        "access_token": "FHIR-TOKEN-abcdef123456",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "cds-service",
    }
    return body


@pytest.mark.parametrize(
    "server",
    [
        "https://evil.example.org/fhir",
        "https://launch.smarthealthit.org/v/r4/fhir-x",
        EPIC_FHIR,  # allowlisted for the other issuer
        "https://169.254.169.254/latest",
        "https://127.0.0.1/fhir",
    ],
)
async def test_fhir_server_not_allowlisted_refused_without_any_call(
    service: httpx.AsyncClient,
    sandbox_signer: Signer,
    recorder: Recorder,
    server: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO):
        response = await post(service, sandbox_signer.token(), without_prefetch(server))
    assert response.status_code == 403
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "forbidden"
    assert recorder.requests == []
    assert "FHIR-TOKEN-abcdef123456" not in caplog.text + response.text


async def test_allowlisted_fhir_server_is_queried_for_the_context_patient_only(
    service: httpx.AsyncClient, sandbox_signer: Signer, recorder: Recorder
) -> None:
    response = await post(service, sandbox_signer.token(), without_prefetch(SANDBOX_FHIR))
    assert response.status_code == 200, response.text
    assert len(recorder.requests) == 3
    for request in recorder.requests:
        assert str(request.url).startswith(SANDBOX_FHIR + "/")
        assert "p1" in str(request.url)
        assert request.headers["authorization"] == "Bearer FHIR-TOKEN-abcdef123456"


async def test_non_https_fhir_server_refused(
    tmp_path: Path, issuers: dict[str, TrustedIssuer], sandbox_signer: Signer
) -> None:
    http_server = SANDBOX_FHIR.replace("https://", "http://")
    recorder = Recorder()
    transport = httpx.MockTransport(recorder)
    async with authenticated_service(auth_settings(tmp_path), issuers, transport=transport) as c:
        response = await post(c, sandbox_signer.token(), without_prefetch(http_server))
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert recorder.requests == []


async def test_body_limits_in_front_of_the_service(
    service: httpx.AsyncClient, sandbox_signer: Signer
) -> None:
    headers = {
        "Authorization": f"Bearer {sandbox_signer.token()}",
        "content-type": "application/json",
    }
    deep = b"[" * 100 + b"]" * 100
    response = await service.post(SERVICE_PATH, content=deep, headers=headers)
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert response.headers["x-request-id"] in response.json()["issue"][0]["diagnostics"]
    big = b'{"pad": "' + b"x" * (6 * 1024 * 1024) + b'"}'
    response = await service.post(SERVICE_PATH, content=big, headers=headers)
    assert response.status_code == 413
    assert response.json()["issue"][0]["code"] == "too-long"


async def test_discovery_open_when_configured(
    tmp_path: Path, issuers: dict[str, TrustedIssuer]
) -> None:
    settings = auth_settings(tmp_path, discovery_open=True)
    async with authenticated_service(settings, issuers) as client:
        assert (await client.get("/cds-services")).status_code == 200
        assert_bare_401(await post(client, None))


async def test_tokens_never_stored_with_feedback(
    tmp_path: Path, issuers: dict[str, TrustedIssuer], sandbox_signer: Signer
) -> None:
    settings = auth_settings(tmp_path)
    feedback = {
        "feedback": [
            {
                "card": "9b0a3f0e-4c1a-4d8e-9a61-0f4f0c1f7c11",
                "outcome": "overridden",
                "overrideReason": {"userComment": "staged elsewhere"},
                "outcomeTimestamp": "2026-01-01T00:00:00Z",
            }
        ],
        "fhirAuthorization": {"access_token": "FHIR-TOKEN-in-feedback-77", "token_type": "Bearer"},
    }
    token = sandbox_signer.token(PUBLIC_BASE + SERVICE_PATH + "/feedback")
    async with authenticated_service(settings, issuers) as client:
        response = await client.post(
            SERVICE_PATH + "/feedback", json=feedback, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.text
    stored = b"".join(p.read_bytes() for p in settings.db.parent.glob(settings.db.name + "*"))
    assert b"staged elsewhere" in stored  # the feedback itself was stored
    for part in token.split("."):
        assert part.encode() not in stored
    assert b"FHIR-TOKEN-in-feedback-77" not in stored
