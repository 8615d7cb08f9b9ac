"""Every file in examples/ is a request the service accepts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from hooks.services.registry import default_pipeline
from tests.service.conftest import ClientFactory
from tests.service.fhir_server import FhirServer
from tests.service.invariants import check_cards_response

pytestmark = pytest.mark.anyio

EXAMPLES = Path(__file__).parents[2] / "examples"
SERVICE = "/cds-services/sarcoma-staging"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((EXAMPLES / name).read_bytes())
    return data


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in EXAMPLES.glob("patient-view-*.json") if "fhir-server" not in p.name),
)
async def test_patient_view_examples_get_cards(make_client: ClientFactory, name: str) -> None:
    async with make_client(pipeline=default_pipeline()) as client:
        response = await client.post(SERVICE, json=load(name))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cards"]
    assert check_cards_response(body) == []


async def test_fhir_server_example_against_a_real_server(
    make_client: ClientFactory, fhir_server: FhirServer
) -> None:
    request = load("patient-view-fhir-server.json")
    assert "prefetch" not in request
    request["fhirServer"] = fhir_server.base
    request["fhirAuthorization"]["access_token"] = fhir_server.token
    async with make_client(pipeline=default_pipeline()) as client:
        response = await client.post(SERVICE, json=request)
    assert response.status_code == 200, response.text
    assert response.json()["cards"][0]["summary"].startswith("AJCC 8 stage IIIA")


@pytest.mark.parametrize("name", ["feedback-accepted.json", "feedback-overridden.json"])
async def test_feedback_examples_are_stored(make_client: ClientFactory, name: str) -> None:
    async with make_client() as client:
        response = await client.post(SERVICE + "/feedback", json=load(name))
    assert response.json() == {"received": 1, "stored": 1}
