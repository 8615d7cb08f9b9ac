"""Charts where no sarcoma is staged: an empty answer only when there is nothing to say."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hooks.web.settings import Settings
from tests.service.harness import app_client
from tests.service.invariants import check_cards_response

pytestmark = pytest.mark.anyio

URL = "/cds-services/sarcoma-staging"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fhir"
SCT = "http://snomed.info/sct"


def request(patient: str, conditions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "hook": "patient-view",
        "hookInstance": "0b9c1a5e-3a0c-4b7e-9d61-1f1f6f3c2a10",
        "context": {"userId": "Practitioner/example", "patientId": patient},
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": patient},
            "conditions": {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [{"resource": c} for c in conditions],
            },
            "observations": {"resourceType": "Bundle", "type": "searchset", "entry": []},
        },
    }


def cancer(site_code: str, site_display: str) -> dict[str, Any]:
    # CLINICAL.md section 4: Condition.code SCT 363346000, bodySite a SNOMED body structure
    return {
        "resourceType": "Condition",
        "id": "cancer-1",
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "verificationStatus": {"coding": [{"code": "confirmed"}]},
        "code": {"coding": [{"system": SCT, "code": "363346000"}]},
        "bodySite": [{"coding": [{"system": SCT, "code": site_code, "display": site_display}]}],
        "subject": {"reference": "Patient/p-unstaged"},
    }


async def test_a_cancer_at_a_soft_tissue_site_without_histology_asks_for_it(
    settings: Settings,
) -> None:
    async with app_client(settings=settings) as client:
        body = await client.post(URL, json=request("p-unstaged", [cancer("68367000", "Thigh")]))
    assert body.status_code == 200
    [card] = body.json()["cards"]
    assert card["indicator"] == "info"
    assert "histology" in card["summary"]
    assert "Condition/cancer\\-1" in card["detail"]
    assert "31206\\-6" in card["detail"]  # how to record it
    assert check_cards_response(body.json()) == []


async def test_a_patient_without_a_possible_sarcoma_gets_no_cards(settings: Settings) -> None:
    data = json.loads((FIXTURES / "breast-only.json").read_text())
    resources = [e["resource"] for e in data["entry"]]
    patient = next(r["id"] for r in resources if r["resourceType"] == "Patient")
    conditions = [r for r in resources if r["resourceType"] == "Condition"]
    async with app_client(settings=settings) as client:
        body = (await client.post(URL, json=request(patient, conditions))).json()
    assert conditions
    assert body == {"cards": []}
