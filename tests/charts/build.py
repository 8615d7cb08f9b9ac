"""Charts shaped like real EHR exports, built per test: a patient with one leiomyosarcoma of the
thigh (ICD-10-CM C49.22 problem-list entry, free text, the mCODE histology extension with
ICD-O-3 8890/3), an unrelated comorbidity, and the Observations each test adds (codes without
displays, several dates, the values in the encodings pathology systems send)."""

from __future__ import annotations

from typing import Any

PATIENT = "chart-pt"
SUBJECT = {"reference": f"Patient/{PATIENT}"}
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
HISTOLOGY_EXT = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
)

# Observation codes the reader knows (hooks/fhir/tables/inputs.toml)
SIZE = {"coding": [{"system": LOINC, "code": "33728-7"}]}
MITOSES = {"coding": [{"system": SCT, "code": "371472000"}]}
NECROSIS = {"coding": [{"system": SCT, "code": "405921002"}]}
GRADE = {"coding": [{"system": LOINC, "code": "33732-9"}]}
DIFFERENTIATION = {
    "coding": [
        {
            "system": "https://sarcoma-cds.org/fhir/CodeSystem/fnclcc",
            "code": "differentiation-score",
        }
    ]
}


def patient() -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": PATIENT,
        "name": [{"family": "Okafor", "given": ["Ada"]}],
        "gender": "female",
        "birthDate": "1961-04-12",
    }


def sarcoma(site_code: str = "C49.22", text: str = "Leiomyosarcoma, left thigh") -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": "lms",
        "extension": [
            {
                "url": HISTOLOGY_EXT,
                "valueCodeableConcept": {"coding": [{"system": ICDO3, "code": "8890/3"}]},
            }
        ],
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": "confirmed",
                }
            ]
        },
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                        "code": "problem-list-item",
                    }
                ]
            }
        ],
        "code": {
            "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": site_code}],
            "text": text,
        },
        "subject": SUBJECT,
        "onsetDateTime": "2025-09-02",
    }


def comorbidity() -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": "htn",
        "code": {"coding": [{"system": SCT, "code": "38341003"}], "text": "Hypertension"},
        "subject": SUBJECT,
        "onsetDateTime": "2012-01-01",
    }


def observation(oid: str, code: dict[str, Any], **value: Any) -> dict[str, Any]:
    """A final pathology Observation; ``value`` holds the value[x] element(s)."""
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": code,
        "subject": SUBJECT,
        "effectiveDateTime": "2025-09-10T14:02:00-04:00",
        **value,
    }


def quantity(value: Any, unit: str, code: str | None = None, comparator: str | None = None) -> Any:
    q: dict[str, Any] = {"value": value, "unit": unit, "system": UCUM, "code": code or unit}
    if comparator is not None:
        q["comparator"] = comparator
    return q


def chart(*observations: dict[str, Any]) -> list[dict[str, Any]]:
    return [patient(), sarcoma(), comorbidity(), *observations]


def bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def hook_request(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A patient-view request whose prefetch holds ``resources``."""
    conditions = [r for r in resources if r["resourceType"] == "Condition"]
    observations = [r for r in resources if r["resourceType"] == "Observation"]
    return {
        "hook": "patient-view",
        "hookInstance": "4b1f0b8e-2f4e-4a0a-9d7e-3f1c2a5b6c7d",
        "context": {"userId": "Practitioner/example", "patientId": PATIENT},
        "prefetch": {
            "patient": patient(),
            "conditions": {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [{"resource": r} for r in conditions],
            },
            "observations": {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [{"resource": r} for r in observations],
            },
        },
    }
