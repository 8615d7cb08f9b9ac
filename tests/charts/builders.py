"""Chart builders shaped like real EHR exports (Epic, Oracle Health, mCODE IG examples):
codes often without displays, clinicians' own text, several dates, comorbidities, Bundles of
type searchset. Each builder returns plain FHIR R4 JSON; the cases compose them.
"""

from __future__ import annotations

from typing import Any

SCT = "http://snomed.info/sct"
LNC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
UCUM = "http://unitsofmeasure.org"
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
HISTOLOGY_EXT = MCODE + "mcode-histology-morphology-behavior"
RELATED_EXT = "http://hl7.org/fhir/StructureDefinition/condition-related"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"

JSON = dict[str, Any]


def patient(pid: str, birth: str | None = "1961-04-12") -> JSON:
    out: JSON = {"resourceType": "Patient", "id": pid, "gender": "female"}
    if birth:
        out["birthDate"] = birth
    return out


def condition(
    cid: str,
    pid: str,
    *,
    code: JSON,
    morphology: tuple[str, str] | None = None,
    site: JSON | None = None,
    status: str = "active",
    category: str = "problem-list-item",
    onset: str = "2025-02-11",
    profile: str | None = None,
    related: str | None = None,
    extra: JSON | None = None,
) -> JSON:
    """A Condition as Epic/Oracle send it: clinicalStatus and category codes without display."""
    out: JSON = {
        "resourceType": "Condition",
        "id": cid,
        "clinicalStatus": {"coding": [{"system": CLINICAL, "code": status}]},
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": "confirmed",
                }
            ]
        },
        "category": [{"coding": [{"system": CATEGORY, "code": category}]}],
        "code": code,
        "subject": {"reference": f"Patient/{pid}"},
        "onsetDateTime": onset,
        "recordedDate": onset,
    }
    if profile:
        out["meta"] = {"profile": [MCODE + profile]}
    extensions = []
    if morphology:
        system, value = morphology
        extensions.append(
            {
                "url": HISTOLOGY_EXT,
                "valueCodeableConcept": {"coding": [{"system": system, "code": value}]},
            }
        )
    if related:
        extensions.append({"url": RELATED_EXT, "valueReference": {"reference": related}})
    if extensions:
        out["extension"] = extensions
    if site is not None:
        out["bodySite"] = [site]
    if extra:
        out.update(extra)
    return out


def concept(system: str, code: str, text: str | None = None) -> JSON:
    """A CodeableConcept with a code and no display (common in exports), optional text."""
    out: JSON = {"coding": [{"system": system, "code": code}]}
    if text is not None:
        out["text"] = text
    return out


def comorbidities(pid: str) -> list[JSON]:
    return [
        condition("htn", pid, code=concept(ICD10, "I10", "HTN"), onset="2012-05-01"),
        condition(
            "t2dm",
            pid,
            code=concept(SCT, "44054006", "Type 2 diabetes"),
            category="encounter-diagnosis",
            onset="2016-09-14",
        ),
    ]


def size(
    oid: str,
    pid: str,
    condition_id: str,
    mm: float,
    *,
    when: str = "2025-02-20",
    body_site: str | None = None,
    note: str | None = None,
    code_text: str | None = None,
) -> JSON:
    """Tumor size as a panel (LOINC 21889-1) with the greatest-dimension component in mm."""
    out: JSON = {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": concept(LNC, "21889-1", code_text),
        "subject": {"reference": f"Patient/{pid}"},
        "focus": [{"reference": f"Condition/{condition_id}"}],
        "effectiveDateTime": when,
        "component": [
            {
                "code": concept(LNC, "33728-7"),
                "valueQuantity": {"value": mm, "unit": "mm", "system": UCUM, "code": "mm"},
            }
        ],
    }
    if body_site:
        out["bodySite"] = {"text": body_site}
    if note:
        out["note"] = [{"text": note}]
    return out


def grade(oid: str, pid: str, condition_id: str, g: str, when: str = "2025-02-20") -> JSON:
    """FNCLCC grade (mCODE HistologicGrade, NCIT C18000), value SNOMED CT without display."""
    values = {"G1": "1228848004", "G2": "1228850007", "G3": "1228851006"}
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": concept(NCIT, "C18000"),
        "subject": {"reference": f"Patient/{pid}"},
        "focus": [{"reference": f"Condition/{condition_id}"}],
        "effectiveDateTime": when,
        "valueCodeableConcept": concept(SCT, values[g]),
        "method": concept(SCT, "426757001"),
    }


def category(
    oid: str, pid: str, condition_id: str, code: tuple[str, str], *, text: str, when: str
) -> JSON:
    """A recorded T/N/M category with the value as text only (e.g. 'ypT1')."""
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": concept(*code),
        "subject": {"reference": f"Patient/{pid}"},
        "focus": [{"reference": f"Condition/{condition_id}"}],
        "effectiveDateTime": when,
        "valueCodeableConcept": {"text": text},
    }


def bundle(resources: list[JSON]) -> JSON:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
    }


def hook_request(pid: str, resources: list[JSON]) -> JSON:
    """A patient-view request with the three prefetch keys filled as an EHR would."""
    by_type: dict[str, list[JSON]] = {"Patient": [], "Condition": [], "Observation": []}
    for resource in resources:
        by_type.setdefault(resource["resourceType"], []).append(resource)
    return {
        "hook": "patient-view",
        "hookInstance": "6f0d8a3e-2f1b-4c55-9a6e-0d8e5c1b7a21",
        "context": {"userId": "Practitioner/onc-1", "patientId": pid},
        "prefetch": {
            "patient": by_type["Patient"][0] if by_type["Patient"] else None,
            "conditions": bundle(by_type["Condition"]),
            "observations": bundle(by_type["Observation"]),
        },
    }
