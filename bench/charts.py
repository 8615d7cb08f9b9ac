"""Distinct realistic charts for the benchmark: every request a different patient.

Each chart is one adult's patient-view prefetch as an EHR sends it after the service's prefetch
filter (``hooks.services.prefetch``): the Patient, all Conditions (one primary leiomyosarcoma of
the thigh and several comorbidities, some coded in SNOMED CT, some only in ICD-10-CM, codes
often without display) and only the Observations whose codes the filter asks for (tumor size on
two or three dates, mitotic count, necrosis, histologic grade, recorded cT/cN/cM and stage).
Labs and vital signs are not in it: the filter would not send them.

Every chart has its own patient id and resource ids, and its tumor values vary within the same
AJCC 8th edition and FNCLCC bins (size 5.1-10 cm: T2; mitoses 10-19 per 10 HPF: score 2;
necrosis 1-49 %: score 1; grade 2), so the clinical result is the same kind of answer while no
two charts share a byte that staging reads. About 15-22 KB of JSON each.

The wrk script cycles through the charts and also replaces the patient id in every request
with a counter, so that nothing remembered about a chart (or one of its resources) is reused.
"""

from __future__ import annotations

import random
from typing import Any

SCT = "http://snomed.info/sct"
LNC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
HISTOLOGY_EXT = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
)
PRIMARY_PROFILE = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition"
# Marks the patient id in every chart; the wrk script replaces it per request.
PATIENT_MARK = "bench-chart-"

# Comorbidities: (system, code, clinician's text). Some with a display, most without.
COMORBIDITIES = (
    (SCT, "44054006", "Type 2 diabetes mellitus"),
    (SCT, "38341003", "Hypertension"),
    (SCT, "55822004", "Hyperlipidemia"),
    (SCT, "195967001", "Asthma"),
    (SCT, "40930008", "Hypothyroidism"),
    (SCT, "235595009", "Gastroesophageal reflux disease"),
    (SCT, "35489007", "Depressive disorder"),
    (SCT, "709044004", "Chronic kidney disease"),
    (ICD10, "E66.9", "Obesity, unspecified"),
    (ICD10, "G47.33", "Obstructive sleep apnea"),
    (ICD10, "M17.11", "Primary osteoarthritis, right knee"),
    (ICD10, "I48.91", "Atrial fibrillation"),
)


def _concept(system: str, code: str, text: str, *, display: bool) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": system, "code": code}
    if display:
        coding["display"] = text
    return {"coding": [coding], "text": text}


def _coded(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


class _Chart:
    def __init__(self, n: int, rng: random.Random) -> None:
        self.n = n
        self.rng = rng
        self.patient = f"{PATIENT_MARK}{n}"
        self.prefix = f"{rng.randrange(16**8):08x}"  # resource ids differ between charts

    def rid(self, kind: str, k: int) -> str:
        return f"{self.prefix}-{kind}{k}"

    def subject(self) -> dict[str, Any]:
        return {"reference": f"Patient/{self.patient}"}

    def day(self, month: int, day: int) -> str:
        return f"2025-{month:02d}-{day:02d}"

    def meta(self) -> dict[str, Any]:
        return {
            "versionId": str(self.rng.randint(1, 9)),
            "lastUpdated": f"2025-04-{self.rng.randint(1, 28):02d}T{self.rng.randint(7, 18):02d}"
            f":{self.rng.randint(0, 59):02d}:00Z",
        }


def _primary(c: _Chart) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": c.rid("cond", 0),
        "meta": {**c.meta(), "profile": [PRIMARY_PROFILE]},
        "extension": [
            {
                "url": HISTOLOGY_EXT,
                "valueCodeableConcept": _concept(
                    "http://terminology.hl7.org/CodeSystem/icd-o-3",
                    "8890/3",
                    "Leiomyosarcoma, NOS",
                    display=c.rng.random() < 0.5,
                ),
            }
        ],
        "identifier": [
            {"system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.768076", "value": c.rid("dx", 0)}
        ],
        "clinicalStatus": _coded(CLINICAL, "active"),
        "verificationStatus": _coded(VERIFICATION, "confirmed"),
        "category": [_coded(CATEGORY, "problem-list-item")],
        "code": _concept(SCT, "363346000", "Leiomyosarcoma of left thigh", display=False),
        "bodySite": [_concept(SCT, "68367000", "Left thigh", display=c.rng.random() < 0.5)],
        "subject": c.subject(),
        "onsetDateTime": c.day(2, c.rng.randint(1, 20)),
        "recordedDate": c.day(3, c.rng.randint(1, 9)),
        "recorder": {"reference": f"Practitioner/{c.prefix}-onc", "display": "Oncologist"},
        "note": [{"text": "Deep mass of the left thigh, biopsy-proven leiomyosarcoma."}],
    }


def _comorbidity(c: _Chart, k: int, system: str, code: str, text: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": c.rid("cond", k),
        "meta": c.meta(),
        "clinicalStatus": _coded(CLINICAL, "active"),
        "verificationStatus": _coded(VERIFICATION, "confirmed"),
        "category": [_coded(CATEGORY, c.rng.choice(("problem-list-item", "encounter-diagnosis")))],
        "code": _concept(system, code, text, display=c.rng.random() < 0.3),
        "subject": c.subject(),
        "encounter": {"reference": f"Encounter/{c.prefix}-enc{k}"},
        "onsetDateTime": f"{c.rng.randint(2005, 2023)}-{c.rng.randint(1, 12):02d}-01",
        "recordedDate": f"{c.rng.randint(2015, 2024)}-{c.rng.randint(1, 12):02d}-15",
    }


def _observation(
    c: _Chart, k: int, code: dict[str, Any], value: dict[str, Any], when: str
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": c.rid("obs", k),
        "meta": c.meta(),
        "identifier": [{"system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.798268", "value": f"{k}"}],
        "status": "final",
        "category": [_coded(OBS_CATEGORY, "laboratory")],
        "code": code,
        "subject": c.subject(),
        "focus": [{"reference": f"Condition/{c.rid('cond', 0)}"}],
        "encounter": {"reference": f"Encounter/{c.prefix}-enc0"},
        "effectiveDateTime": f"{when}T{c.rng.randint(8, 17):02d}:{c.rng.randint(0, 59):02d}:00Z",
        "issued": f"{when}T18:00:00Z",
        "performer": [
            {"reference": f"Practitioner/{c.prefix}-path", "display": "Pathologist"},
            {"reference": "Organization/bench-lab", "display": "Pathology laboratory"},
        ],
        **value,
    }


def _quantity(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": code}}


def _observations(c: _Chart) -> list[dict[str, Any]]:
    rng = c.rng
    out: list[dict[str, Any]] = []
    size = _concept(LNC, "33728-7", "Size.maximum dimension in Tumor", display=False)
    # Imaging before biopsy and the resection specimen: the most recent one is used.
    for month, day in ((2, rng.randint(1, 9)), (3, rng.randint(10, 20)), (4, rng.randint(1, 20))):
        mm = rng.randint(51, 100)
        value = _quantity(mm / 10, "cm", "cm") if rng.random() < 0.3 else _quantity(mm, "mm", "mm")
        out.append(_observation(c, len(out), size, value, c.day(month, day)))
    report = c.day(4, rng.randint(21, 28))
    features = [
        (
            _concept(SCT, "371472000", "Mitotic count", display=False),
            _quantity(rng.randint(10, 19), "/10 HPF", "/10.[HPF]"),
        ),
        (
            _concept(SCT, "405921002", "Percentage of tumor necrosis", display=False),
            _quantity(rng.randint(1, 49), "%", "%"),
        ),
        (
            _concept(NCIT, "C18000", "Histologic grade", display=False),
            {"valueCodeableConcept": _concept(SCT, "1228850007", "G2", display=False)},
        ),
        (
            _concept(SCT, "399504009", "cT category", display=False),
            {"valueCodeableConcept": _concept(SCT, "1228929004", "cT2", display=False)},
        ),
        (
            _concept(SCT, "399534004", "cN category", display=False),
            {"valueCodeableConcept": _concept(SCT, "1229967007", "cN0", display=False)},
        ),
        (
            _concept(SCT, "399387003", "cM category", display=False),
            {"valueCodeableConcept": _concept(SCT, "1229901006", "cM0", display=False)},
        ),
    ]
    for code, value in features:
        out.append(_observation(c, len(out), code, value, report))
    # A second mitotic count read on another block (an earlier, preliminary report).
    out.append(
        _observation(
            c,
            len(out),
            _concept(SCT, "371472000", "Mitotic count", display=False),
            _quantity(rng.randint(10, 19), "/10 HPF", "/10.[HPF]"),
            c.day(4, rng.randint(1, 20)),
        )
        | {"status": "preliminary"}
    )
    return out


def _searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "id": f"{resources[0]['id']}-set" if resources else "empty-set",
        "type": "searchset",
        "total": len(resources),
        "link": [{"relation": "self", "url": "https://ehr.example.org/fhir/search"}],
        "entry": [
            {
                "fullUrl": f"https://ehr.example.org/fhir/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


def chart_request(n: int, seed: int = 13) -> dict[str, Any]:
    """Chart number ``n`` as a patient-view request (the same ``n`` and seed, the same chart)."""
    c = _Chart(n, random.Random(seed * 1_000_003 + n))  # noqa: S311 - test data, not secrets
    picked = c.rng.sample(COMORBIDITIES, c.rng.randint(4, 7))
    conditions = [_primary(c)] + [
        _comorbidity(c, k, *entry) for k, entry in enumerate(picked, start=1)
    ]
    return {
        "hook": "patient-view",
        "hookInstance": f"{c.prefix}-5a7e-4d8b-9a53-{n:012d}",
        "context": {"userId": "Practitioner/bench-oncologist", "patientId": c.patient},
        "prefetch": {
            "patient": {
                "resourceType": "Patient",
                "id": c.patient,
                "meta": c.meta(),
                "identifier": [{"system": "urn:oid:1.2.840.114350", "value": f"MRN{n:07d}"}],
                "name": [{"family": f"Bench{n}", "given": ["Chart"]}],
                "gender": c.rng.choice(("female", "male")),
                "birthDate": f"{c.rng.randint(1940, 1995)}-{c.rng.randint(1, 12):02d}-"
                f"{c.rng.randint(1, 28):02d}",
            },
            "conditions": _searchset(conditions),
            "observations": _searchset(_observations(c)),
        },
    }
