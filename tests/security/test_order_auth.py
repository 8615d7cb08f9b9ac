"""The order review services (order-select, order-sign) behind the real authenticator: the same
JWT checks, endpoint binding, replay store and fhirServer allowlist as the patient-view
service, and the FHIR fallback asks only for the context patient's data."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hooks.auth.issuers import TrustedIssuer
from tests.security.conftest import SANDBOX_FHIR
from tests.security.service import auth_settings, authenticated_service
from tests.security.test_service_auth import Recorder, assert_bare_401
from tests.security.tokens import PUBLIC_BASE, SERVICE_PATH, Signer

pytestmark = pytest.mark.anyio

SELECT = "/cds-services/sarcoma-therapy-select"
SIGN = "/cds-services/sarcoma-therapy-sign"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
FHIR_TOKEN = "FHIR-TOKEN-order-0123456789"  # noqa: S105 (a test value)


def order_body(hook: str, *, code: str = "1790099", prefetch: bool = True) -> dict[str, Any]:
    order = {
        "resourceType": "MedicationRequest",
        "id": "request-123",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": code}]},
    }
    context: dict[str, Any] = {
        "userId": "Practitioner/1",
        "patientId": "p1",
        "draftOrders": {"resourceType": "Bundle", "entry": [{"resource": order}]},
    }
    if hook == "order-select":
        context["selections"] = ["MedicationRequest/request-123"]
    body: dict[str, Any] = {
        "hook": hook,
        "hookInstance": "5d2b0b86-8a3f-4a8e-9c55-1f2e3d4c5b6a",
        "context": context,
    }
    empty = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    if prefetch:
        body["prefetch"] = {
            "patient": {"resourceType": "Patient", "id": "p1"},
            "conditions": empty,
            "observations": empty,
            "medicationRequests": empty,
            "medicationStatements": empty,
        }
    return body


def fallback_body(hook: str, server: str, code: str = "1790099") -> dict[str, Any]:
    body = order_body(hook, code=code, prefetch=False)
    body["fhirServer"] = server
    body["fhirAuthorization"] = {
        "access_token": FHIR_TOKEN,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "cds-service",
    }
    return body


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def service(
    tmp_path: Path, issuers: dict[str, TrustedIssuer], recorder: Recorder
) -> AsyncIterator[httpx.AsyncClient]:
    settings = auth_settings(tmp_path, allow_insecure_http=True)
    async with authenticated_service(
        settings, issuers, transport=httpx.MockTransport(recorder)
    ) as client:
        yield client


async def post(
    client: httpx.AsyncClient, path: str, token: str | None, body: dict[str, Any]
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return await client.post(path, json=body, headers=headers)


@pytest.mark.parametrize(("path", "hook"), [(SELECT, "order-select"), (SIGN, "order-sign")])
async def test_token_for_the_service_accepted(
    service: httpx.AsyncClient, sandbox_signer: Signer, path: str, hook: str
) -> None:
    response = await post(service, path, sandbox_signer.token(PUBLIC_BASE + path), order_body(hook))
    assert response.status_code == 200, response.text
    assert response.json() == {"cards": []}  # no sarcoma in this record


def _none_alg(signer: Signer, aud: str) -> str:
    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'none', 'kid': signer.kid})}.{b64(signer.claims(aud))}."


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda s: s.token(PUBLIC_BASE + SERVICE_PATH), id="token of patient-view"),
        pytest.param(lambda s: s.token(PUBLIC_BASE + SIGN), id="token of order-sign"),
        pytest.param(lambda s: s.token(PUBLIC_BASE + SELECT + "/feedback"), id="its feedback"),
        pytest.param(
            lambda s: s.token(
                PUBLIC_BASE + SELECT, exp=int(time.time()) - 3600, iat=int(time.time()) - 3900
            ),
            id="expired",
        ),
        pytest.param(lambda s: _none_alg(s, PUBLIC_BASE + SELECT), id="alg none"),
        pytest.param(lambda s: None, id="no token"),
    ],
)
async def test_refused_with_bare_401(
    service: httpx.AsyncClient, sandbox_signer: Signer, forge: Any
) -> None:
    assert_bare_401(await post(service, SELECT, forge(sandbox_signer), order_body("order-select")))


async def test_replay_refused(service: httpx.AsyncClient, sandbox_signer: Signer) -> None:
    token = sandbox_signer.token(PUBLIC_BASE + SIGN)
    assert (await post(service, SIGN, token, order_body("order-sign"))).status_code == 200
    assert_bare_401(await post(service, SIGN, token, order_body("order-sign")))


async def test_feedback_needs_its_own_token(
    service: httpx.AsyncClient, sandbox_signer: Signer
) -> None:
    feedback = {
        "feedback": [
            {
                "card": "7a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d",
                "outcome": "overridden",
                "overrideReason": {
                    "reason": {
                        "code": "clinical-trial",
                        "system": "https://sarcoma-cds.org/fhir/CodeSystem/override-reason",
                    }
                },
                "outcomeTimestamp": "2026-01-01T00:00:00Z",
            }
        ]
    }
    path = SELECT + "/feedback"
    assert_bare_401(await post(service, path, None, feedback))
    assert_bare_401(await post(service, path, sandbox_signer.token(PUBLIC_BASE + SELECT), feedback))
    response = await post(service, path, sandbox_signer.token(PUBLIC_BASE + path), feedback)
    assert response.status_code == 200
    assert response.json() == {"received": 1, "stored": 1}


@pytest.mark.parametrize(
    "server", ["https://evil.example.org/fhir", "https://169.254.169.254/latest"]
)
async def test_fhir_server_not_allowlisted_refused_without_any_call(
    service: httpx.AsyncClient,
    sandbox_signer: Signer,
    recorder: Recorder,
    server: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = sandbox_signer.token(PUBLIC_BASE + SELECT)
    with caplog.at_level(logging.INFO):
        response = await post(service, SELECT, token, fallback_body("order-select", server))
    assert response.status_code == 403
    assert response.json()["issue"][0]["code"] == "forbidden"
    assert recorder.requests == []
    assert FHIR_TOKEN not in caplog.text + response.text


async def test_an_order_we_do_not_review_needs_no_chart_and_calls_nothing(
    service: httpx.AsyncClient, sandbox_signer: Signer, recorder: Recorder
) -> None:
    # amoxicillin/clavulanate, the hook definition's own example: not a sarcoma agent
    body = fallback_body("order-select", "https://evil.example.org/fhir", code="617993")
    token = sandbox_signer.token(PUBLIC_BASE + SELECT)
    response = await post(service, SELECT, token, body)
    assert response.status_code == 200
    assert response.json() == {"cards": []}
    assert recorder.requests == []


async def test_allowlisted_fhir_server_is_asked_for_the_context_patient_only(
    service: httpx.AsyncClient,
    sandbox_signer: Signer,
    recorder: Recorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = sandbox_signer.token(PUBLIC_BASE + SIGN)
    with caplog.at_level(logging.DEBUG):
        response = await post(service, SIGN, token, fallback_body("order-sign", SANDBOX_FHIR))
    assert response.status_code == 200, response.text
    paths = sorted(r.url.path.rsplit("/", 1)[-1] for r in recorder.requests)
    assert paths == [
        "Condition",
        "MedicationRequest",
        "MedicationStatement",
        "Observation",
        "p1",
    ]
    for request in recorder.requests:
        assert str(request.url).startswith(SANDBOX_FHIR + "/")
        assert "p1" in str(request.url)
        assert request.headers["authorization"] == f"Bearer {FHIR_TOKEN}"
    assert FHIR_TOKEN not in caplog.text
