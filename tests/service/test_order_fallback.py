"""The order review's prefetch fallback against a real FHIR R4 server process (SEKMET on
loopback): the chart and the medication history come from ``fhirServer``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.orders.charts import PATIENT, RXNORM, chart, order_request, sandbox_order
from tests.service.conftest import ClientFactory
from tests.service.fhir_server import TOKEN, FhirServer

pytestmark = pytest.mark.anyio


def earlier_doxorubicin() -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": "ord-stmt-dox",
        "status": "completed",
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": "1790099"}],
            "text": "doxorubicin (outside hospital, 2024)",
        },
        "subject": {"reference": f"Patient/{PATIENT}"},
        "effectivePeriod": {"start": "2024-02-01", "end": "2024-06-30"},
    }


async def test_order_sign_reads_chart_and_history_from_the_fhir_server(
    make_client: ClientFactory, fhir_server: FhirServer
) -> None:
    conditions, observations = chart("8852/3", m="cM1")  # myxoid liposarcoma, stage IV
    for resource in [
        {"resourceType": "Patient", "id": PATIENT},
        *conditions,
        *observations,
        earlier_doxorubicin(),
    ]:
        fhir_server.put(resource)
    body = order_request(
        "order-sign",
        [sandbox_order("867502", "pazopanib 200 MG Oral Tablet")],
        conditions=conditions,
        observations=observations,
    )
    del body["prefetch"]
    body["fhirServer"] = fhir_server.base
    body["fhirAuthorization"] = {
        "access_token": TOKEN,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "sarcoma-cds",
    }
    async with make_client() as client:
        response = await client.post("/cds-services/sarcoma-therapy-sign", json=body)
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    # Adipocytic: the warning. The earlier doxorubicin on the server: no history card.
    assert [c["summary"] for c in cards] == ["Pazopanib: not for adipocytic sarcoma (liposarcoma)"]
    assert "ICD-O-3 8852/3" in cards[0]["detail"]
