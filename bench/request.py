"""The realistic patient-view request the benchmark sends.

A chart as an EHR would prefetch it: one Patient, three Conditions (a primary leiomyosarcoma
of the thigh and two unrelated chronic conditions) and twenty Observations
(tumor size, mitotic count, necrosis, grade, recorded cT/cN/cM and stage, plus vital signs and
laboratory results the service must skip). About 20 KB of JSON.
"""

from __future__ import annotations

from typing import Any

SCT = "http://snomed.info/sct"
LNC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
PATIENT = "bench-patient-1"


def _coding(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _observation(
    n: int, code: dict[str, Any], value: dict[str, Any], category: str
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"bench-obs-{n}",
        "meta": {"lastUpdated": "2024-03-02T09:00:00Z"},
        "status": "final",
        "category": [
            _coding(
                "http://terminology.hl7.org/CodeSystem/observation-category", category, category
            )
        ],
        "code": code,
        "subject": {"reference": f"Patient/{PATIENT}"},
        "focus": [{"reference": "Condition/bench-primary"}],
        "effectiveDateTime": f"2024-03-01T{8 + n % 10:02d}:00:00Z",
        "issued": "2024-03-02T09:00:00Z",
        "performer": [{"reference": "Practitioner/bench-pathologist", "display": "A. Pathologist"}],
        **value,
    }


def _conditions() -> list[dict[str, Any]]:
    subject = {"reference": f"Patient/{PATIENT}"}
    clinical = _coding(
        "http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"
    )
    verified = _coding(
        "http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", "Confirmed"
    )
    return [
        {
            "resourceType": "Condition",
            "id": "bench-primary",
            "meta": {
                "profile": [
                    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition"
                ]
            },
            "extension": [
                {
                    "url": "http://hl7.org/fhir/us/mcode/StructureDefinition/"
                    "mcode-histology-morphology-behavior",
                    "valueCodeableConcept": _coding(
                        "http://terminology.hl7.org/CodeSystem/icd-o-3", "8890/3", "Leiomyosarcoma"
                    ),
                }
            ],
            "clinicalStatus": clinical,
            "verificationStatus": verified,
            "category": [
                _coding(
                    "http://terminology.hl7.org/CodeSystem/condition-category",
                    "problem-list-item",
                    "Problem List Item",
                )
            ],
            "code": _coding(SCT, "363346000", "Leiomyosarcoma of left thigh"),
            "bodySite": [_coding(SCT, "68367000", "Left thigh")],
            "subject": subject,
            "onsetDateTime": "2024-02-10",
            "recordedDate": "2024-03-02",
        },
        {
            "resourceType": "Condition",
            "id": "bench-diabetes",
            "clinicalStatus": clinical,
            "verificationStatus": verified,
            "code": _coding(SCT, "44054006", "Diabetes mellitus type 2"),
            "subject": subject,
            "recordedDate": "2024-03-05",
        },
        {
            "resourceType": "Condition",
            "id": "bench-hypertension",
            "clinicalStatus": clinical,
            "verificationStatus": verified,
            "code": _coding(SCT, "38341003", "Hypertensive disorder"),
            "subject": subject,
            "recordedDate": "2019-06-01",
        },
    ]


def _observations() -> list[dict[str, Any]]:
    q = "valueQuantity"
    tumor = [
        (
            _coding(LNC, "33728-7", "Size.maximum dimension in Tumor"),
            {q: {"value": 72, "unit": "mm", "system": UCUM, "code": "mm"}},
        ),
        (
            _coding(SCT, "371472000", "Mitotic count"),
            {q: {"value": 14, "unit": "/10 HPF", "system": UCUM, "code": "/10.[HPF]"}},
        ),
        (
            _coding(SCT, "405921002", "Percentage of tumor necrosis"),
            {q: {"value": 30, "unit": "%", "system": UCUM, "code": "%"}},
        ),
        (
            _coding(
                "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl", "C18000", "Histologic grade"
            ),
            {"valueCodeableConcept": _coding(SCT, "1228850007", "G2")},
        ),
        (
            _coding(SCT, "399504009", "cT category"),
            {"valueCodeableConcept": _coding(SCT, "1228929004", "cT2")},
        ),
        (
            _coding(SCT, "399534004", "cN category"),
            {"valueCodeableConcept": _coding(SCT, "1229967007", "cN0")},
        ),
        (
            _coding(SCT, "399387003", "cM category"),
            {"valueCodeableConcept": _coding(SCT, "1229901006", "cM0")},
        ),
        (
            _coding(SCT, "399537006", "Clinical TNM stage grouping"),
            {"valueCodeableConcept": _coding(SCT, "1222802001", "IIIA")},
        ),
    ]
    other = [
        ("8867-4", "Heart rate", 72, "/min"),
        ("8480-6", "Systolic blood pressure", 128, "mm[Hg]"),
        ("8462-4", "Diastolic blood pressure", 81, "mm[Hg]"),
        ("8310-5", "Body temperature", 36.8, "Cel"),
        ("29463-7", "Body weight", 81.5, "kg"),
        ("8302-2", "Body height", 178, "cm"),
        ("2160-0", "Creatinine", 0.9, "mg/dL"),
        ("718-7", "Hemoglobin", 13.2, "g/dL"),
        ("6690-2", "Leukocytes", 6.4, "10*3/uL"),
        ("777-3", "Platelets", 251, "10*3/uL"),
        ("2345-7", "Glucose", 98, "mg/dL"),
        ("2951-2", "Sodium", 139, "mmol/L"),
    ]
    observations = [
        _observation(n, code, value, "laboratory") for n, (code, value) in enumerate(tumor)
    ]
    for n, (loinc, display, value, unit) in enumerate(other, start=len(tumor)):
        category = "vital-signs" if n < len(tumor) + 6 else "laboratory"
        obs = _observation(
            n,
            _coding(LNC, loinc, display),
            {q: {"value": value, "unit": unit, "system": UCUM, "code": unit}},
            category,
        )
        del obs["focus"]
        observations.append(obs)
    return observations


def _searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [
            {
                "fullUrl": f"https://ehr.example.org/fhir/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


def patient_view_request(
    *, with_prefetch: bool = True, fhir_server: str | None = None
) -> dict[str, Any]:
    """The patient-view request body; without prefetch the service must query ``fhir_server``."""
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/bench-oncologist", "patientId": PATIENT},
    }
    if fhir_server is not None:
        body["fhirServer"] = fhir_server
        body["fhirAuthorization"] = {
            "access_token": "bench-access-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/Patient.read patient/Condition.read patient/Observation.read",
            "subject": "sarcoma-staging",
        }
    if with_prefetch:
        body["prefetch"] = {
            "patient": {
                "resourceType": "Patient",
                "id": PATIENT,
                "name": [{"family": "Bench", "given": ["Example"]}],
                "gender": "female",
                "birthDate": "1968-04-12",
            },
            "conditions": _searchset(_conditions()),
            "observations": _searchset(_observations()),
        }
    return body


def fhir_resources() -> list[dict[str, Any]]:
    """The same chart as plain resources, to load into a FHIR server for the fallback path."""
    prefetch = patient_view_request()["prefetch"]
    return [prefetch["patient"]] + [
        e["resource"] for key in ("conditions", "observations") for e in prefetch[key]["entry"]
    ]
