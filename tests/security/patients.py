"""Synthetic soft tissue sarcoma patients (mCODE STU4 shapes), one distinct tumor each."""

from __future__ import annotations

from typing import Any

CONDITION_PROFILE = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition"
)
HISTOLOGY_URL = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
)
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    value = {"system": system, "code": code}
    if display:
        value["display"] = display
    return {"coding": [value]}


def patient(pid: str) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "name": [{"family": f"Test-{pid}"}]}


def condition(pid: str, *, metastatic: bool = False) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": f"{pid}-sarcoma",
        "meta": {"profile": [CONDITION_PROFILE]},
        "extension": [
            {
                "url": HISTOLOGY_URL,
                "valueCodeableConcept": coding(
                    "http://terminology.hl7.org/CodeSystem/icd-o-3", "8890/3", "Leiomyosarcoma"
                ),
            }
        ],
        "clinicalStatus": coding(
            "http://terminology.hl7.org/CodeSystem/condition-clinical", "active"
        ),
        "verificationStatus": coding(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed"
        ),
        "code": coding(SNOMED, "363346000", "Malignant neoplastic disease"),
        "bodySite": [coding(SNOMED, "68367000", "Thigh structure")],
        "subject": {"reference": f"Patient/{pid}"},
        "onsetDateTime": "2025-09-02",
    }
    return resource


def tumor_size(pid: str, size_cm: float) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"{pid}-size",
        "status": "final",
        "code": coding(LOINC, "21889-1", "Size Tumor"),
        "subject": {"reference": f"Patient/{pid}"},
        "focus": [{"reference": f"Condition/{pid}-sarcoma"}],
        "effectiveDateTime": "2025-09-20",
        "component": [
            {
                "code": coding(LOINC, "33728-7", "Size.maximum dimension in Tumor"),
                "valueQuantity": {
                    "value": size_cm,
                    "unit": "cm",
                    "system": "http://unitsofmeasure.org",
                    "code": "cm",
                },
            }
        ],
    }


def searchset(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"resource": r} for r in resources],
    }


def chart(pid: str, size_cm: float) -> dict[str, dict[str, Any]]:
    """The three prefetch keys of the sarcoma-staging service for one patient."""
    return {
        "patient": patient(pid),
        "conditions": searchset(condition(pid)),
        "observations": searchset(tumor_size(pid, size_cm)),
    }
