"""FHIR-server faults a real server cannot easily produce (httpx.MockTransport): timeouts,
error statuses, garbage bodies, a slow server against the overall deadline, hostile links."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

import httpx
import pytest

from hooks.web.settings import Settings
from tests.service.conftest import ClientFactory, hook_request
from tests.service.invariants import is_operation_outcome

pytestmark = pytest.mark.anyio

SERVICE = "/cds-services/sarcoma-staging"
BASE = "https://ehr.example.org/fhir"
TOKEN = "secret-access-token-0042"  # noqa: S105 - a test value


def fallback_request(drop: tuple[str, ...] = ("observations",)) -> dict[str, Any]:
    body = hook_request(
        fhirServer=BASE,
        fhirAuthorization={
            "access_token": TOKEN,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "sarcoma-cds",
        },
    )
    for key in drop:
        body["prefetch"].pop(key)
    return body


def searchset(*resources: dict[str, Any], next_url: str | None = None) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }
    if next_url:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


async def post(make_client: ClientFactory, handler: Any, body: dict[str, Any], **kw: Any) -> Any:
    async with make_client(transport=httpx.MockTransport(handler), **kw) as client:
        return await client.post(SERVICE, json=body)


@pytest.mark.parametrize(
    ("handler", "words"),
    [
        (lambda r: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=r)), "in time"),
        (lambda r: httpx.Response(401), "HTTP 401"),
        (lambda r: httpx.Response(500, text="stack trace here"), "HTTP 500"),
        (lambda r: httpx.Response(200, text="<html>not json</html>"), "not JSON"),
        (lambda r: httpx.Response(200, json=[1, 2]), "not a FHIR resource"),
        (lambda r: httpx.Response(200, json={"resourceType": "Patient"}), "not a Bundle"),
        (
            lambda r: httpx.Response(
                200,
                json={
                    "resourceType": "OperationOutcome",
                    "issue": [{"severity": "error", "code": "forbidden"}],
                },
            ),
            "OperationOutcome",
        ),
        (lambda r: httpx.Response(302, headers={"Location": "https://evil.example/x"}), "302"),
    ],
)
async def test_fhir_faults_are_412_operation_outcomes(
    make_client: ClientFactory, handler: Any, words: str
) -> None:
    response = await post(make_client, handler, fallback_request())
    assert response.status_code == 412
    body = response.json()
    assert is_operation_outcome(body)
    assert words in body["issue"][0]["diagnostics"]
    assert TOKEN not in response.text
    assert "stack trace" not in response.text


async def test_the_token_goes_to_the_fhir_server_only(make_client: ClientFactory) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host != "ehr.example.org":
            return httpx.Response(200, json=searchset())
        return httpx.Response(200, json=searchset(next_url="https://elsewhere.example/fhir/p2"))

    response = await post(make_client, handler, fallback_request())
    assert response.status_code == 412
    assert "outside fhirServer" in response.text
    assert [r.url.host for r in seen] == ["ehr.example.org"]
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"


async def test_queries_run_concurrently_within_the_deadline(
    make_client: ClientFactory, settings: Settings
) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.4)
        if request.url.path.endswith("/Patient/lms-thigh"):
            return httpx.Response(200, json={"resourceType": "Patient", "id": "lms-thigh"})
        return httpx.Response(200, json=searchset())

    started = time.perf_counter()
    body = fallback_request(drop=("patient", "conditions", "observations"))
    response = await post(make_client, handler, body)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    # three 0.4 s queries, issued together: well under their 1.2 s sum
    assert elapsed < 1.0


async def test_a_slow_server_hits_the_overall_deadline(
    make_client: ClientFactory, settings: Settings
) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json=searchset())

    tight = replace(settings, fhir_timeout=0.3, fhir_deadline=0.3)
    started = time.perf_counter()
    response = await post(make_client, handler, fallback_request(), settings=tight)
    assert response.status_code == 412
    assert "within 0.3 s" in response.text
    assert time.perf_counter() - started < 2


async def test_absent_data_without_fhir_server_is_412(client: httpx.AsyncClient) -> None:
    body = hook_request()
    del body["prefetch"]
    response = await client.post(SERVICE, json=body)
    assert response.status_code == 412
    assert is_operation_outcome(response.json())
    assert "patient, conditions, observations" in response.text


async def test_plain_http_fhir_server_is_refused_outside_tests(
    make_client: ClientFactory, settings: Settings
) -> None:
    body = fallback_request()
    body["fhirServer"] = "http://ehr.example.org/fhir"

    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("must not be called")

    strict = replace(settings, allow_insecure_http=False)
    response = await post(make_client, handler, body, settings=strict)
    assert response.status_code == 400
    assert "https" in response.text


async def test_complete_prefetch_never_calls_the_server(make_client: ClientFactory) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("must not be called")

    response = await post(make_client, handler, fallback_request(drop=()))
    assert response.status_code == 200


async def test_a_prefetch_value_that_is_not_a_resource_is_400(client: httpx.AsyncClient) -> None:
    body = hook_request()
    body["prefetch"]["conditions"] = "Condition?patient=x"
    response = await client.post(SERVICE, json=body)
    assert response.status_code == 400
    assert "prefetch.conditions" in response.text


async def test_tokens_never_reach_the_log(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, text=f"echo {request.headers['Authorization']}")

    body = fallback_request()
    response = await post(
        make_client,
        handler,
        body,
    )
    assert response.status_code == 412
    bad = await post(make_client, handler, {**body, "context": {"patientId": "a b"}})
    assert bad.status_code == 400
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "POST /cds-services/sarcoma-staging 412" in logged
    assert TOKEN not in logged
    assert TOKEN not in response.text + bad.text
