"""The prefetch fallback against a real FHIR R4 server process (SEKMET on loopback).

Each golden request is sent without (part of) its prefetch; the service must fetch the same
data from ``fhirServer`` with the ``fhirAuthorization`` token and give the golden answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from hooks.services.prefetch import PREFETCH_TEMPLATES, render
from hooks.services.registry import default_pipeline
from tests.service.conftest import ClientFactory, golden_request
from tests.service.fhir_server import TOKEN, FhirServer, free_port
from tests.service.harness import without_narrative
from tests.service.invariants import is_operation_outcome
from tests.service.reports import FakeStager, fake_pipeline

pytestmark = pytest.mark.anyio

SERVICE = "/cds-services/sarcoma-staging"
GOLDEN = Path(__file__).parents[1] / "golden" / "cases"
CASES = sorted(p.name.split(".")[0] for p in GOLDEN.glob("*.request.json"))


def golden_response(name: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((GOLDEN / f"{name}.response.json").read_bytes())
    return data


def with_server(
    request: dict[str, Any], server: FhirServer, *, drop: tuple[str, ...], token: str = TOKEN
) -> dict[str, Any]:
    request["fhirServer"] = server.base
    request["fhirAuthorization"] = {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/Patient.read patient/Condition.read patient/Observation.read",
        "subject": "sarcoma-cds",
    }
    for key in drop:
        request["prefetch"].pop(key)
    return request


@pytest.mark.parametrize("case", CASES)
async def test_no_prefetch_at_all_gives_the_golden_answer(
    make_client: ClientFactory, fhir_server: FhirServer, case: str
) -> None:
    request = with_server(
        golden_request(case), fhir_server, drop=("patient", "conditions", "observations")
    )
    async with make_client(pipeline=default_pipeline()) as client:
        response = await client.post(SERVICE, json=request)
    assert response.status_code == 200, response.text
    assert without_narrative(response.json()) == golden_response(case)


async def test_one_absent_key_is_fetched(
    make_client: ClientFactory, fhir_server: FhirServer
) -> None:
    request = with_server(golden_request("lms-thigh-g3"), fhir_server, drop=("observations",))
    async with make_client(pipeline=default_pipeline()) as client:
        response = await client.post(SERVICE, json=request)
    assert without_narrative(response.json()) == golden_response("lms-thigh-g3")


@pytest.mark.parametrize("shape", ["outcome", "bundle-with-outcome"])
async def test_an_operation_outcome_in_prefetch_is_treated_as_missing(
    make_client: ClientFactory, fhir_server: FhirServer, shape: str
) -> None:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout", "diagnostics": "query timed out"}],
    }
    request = with_server(golden_request("lms-thigh-g3"), fhir_server, drop=())
    request["prefetch"]["observations"] = (
        outcome
        if shape == "outcome"
        else {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": outcome, "search": {"mode": "outcome"}}],
        }
    )
    async with make_client(pipeline=default_pipeline()) as client:
        response = await client.post(SERVICE, json=request)
    assert without_narrative(response.json()) == golden_response("lms-thigh-g3")


@pytest.mark.parametrize("severity", ["information", "warning"])
async def test_a_searchset_with_an_informational_outcome_is_used_as_it_is(
    make_client: ClientFactory, severity: str
) -> None:
    # FHIR searchsets may carry an OperationOutcome entry (search.mode "outcome") with warnings,
    # e.g. an ignored search parameter, next to the matches: that is data, not a client error,
    # so it must be neither discarded nor re-fetched (the request names no fhirServer).
    request = golden_request("lms-thigh-g3")
    for key in ("fhirServer", "fhirAuthorization"):
        request.pop(key, None)
    request["prefetch"]["observations"]["entry"].append(
        {
            "resource": {
                "resourceType": "OperationOutcome",
                "issue": [
                    {"severity": severity, "code": "not-supported", "diagnostics": "_sort ignored"}
                ],
            },
            "search": {"mode": "outcome"},
        }
    )
    async with make_client(pipeline=default_pipeline()) as client:
        response = await client.post(SERVICE, json=request)
    assert response.status_code == 200, response.text
    assert without_narrative(response.json()) == golden_response("lms-thigh-g3")


async def test_a_paged_prefetch_is_completed_by_following_next_links(
    make_client: ClientFactory, fhir_server: FhirServer
) -> None:
    query = render(PREFETCH_TEMPLATES["observations"], "golden-lms") + "&_count=1"
    first_page = fhir_server.get(query)
    assert len(first_page["entry"]) == 1
    assert any(link["relation"] == "next" for link in first_page["link"])
    request = with_server(golden_request("lms-thigh-g3"), fhir_server, drop=())
    request["prefetch"]["observations"] = first_page
    async with make_client(pipeline=default_pipeline()) as client:
        response = await client.post(SERVICE, json=request)
    assert without_narrative(response.json()) == golden_response("lms-thigh-g3")


@pytest.mark.parametrize(
    "value", [None, {"resourceType": "Bundle", "type": "searchset", "total": 0}]
)
async def test_null_or_empty_prefetch_is_not_queried_again(
    make_client: ClientFactory, fhir_server: FhirServer, value: Any
) -> None:
    stager = FakeStager()
    request = with_server(golden_request("lms-thigh-g3"), fhir_server, drop=())
    request["prefetch"]["observations"] = value
    async with make_client(pipeline=fake_pipeline(stager)) as client:
        response = await client.post(SERVICE, json=request)
    assert response.json() == {"cards": []}
    [(_, resources)] = stager.seen
    assert [r["resourceType"] for r in resources] == ["Patient", "Condition"]


async def test_only_the_context_patient_is_queried(
    make_client: ClientFactory, fhir_server: FhirServer
) -> None:
    stager = FakeStager()
    request = with_server(
        golden_request("lms-thigh-gx"), fhir_server, drop=("patient", "conditions", "observations")
    )
    async with make_client(pipeline=fake_pipeline(stager)) as client:
        await client.post(SERVICE, json=request)
    [(patient, resources)] = stager.seen
    assert patient == "golden-gx"
    assert sorted(r["id"] for r in resources) == [
        "golden-gx",
        "golden-gx-primary",
        "golden-gx-size",
    ]


async def test_a_token_the_server_refuses_is_412_without_the_token(
    make_client: ClientFactory, fhir_server: FhirServer
) -> None:
    request = with_server(
        golden_request("lms-thigh-g3"),
        fhir_server,
        drop=("observations",),
        token="not-the-right-token-9c1d",  # noqa: S106 - a wrong test token
    )
    async with make_client(pipeline=default_pipeline()) as client:
        response = await client.post(SERVICE, json=request)
    assert response.status_code == 412
    assert is_operation_outcome(response.json())
    assert "401" in response.text
    assert "not-the-right-token-9c1d" not in response.text


async def test_an_unreachable_fhir_server_is_412(
    make_client: ClientFactory, fhir_server: FhirServer
) -> None:
    request = with_server(golden_request("lms-thigh-g3"), fhir_server, drop=("conditions",))
    request["fhirServer"] = f"http://127.0.0.1:{free_port()}/fhir"
    async with make_client(pipeline=default_pipeline()) as client:
        response = await client.post(SERVICE, json=request)
    assert response.status_code == 412
    assert is_operation_outcome(response.json())
