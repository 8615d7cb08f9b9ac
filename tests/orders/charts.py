"""Charts and order requests for the order review tests, shaped like real exports.

Charts are mCODE STU4 shapes (primary cancer Condition with the histology extension, tumor
size, FNCLCC grade and cM Observations), with the untidiness of EHR exports: grade and M as
text values, codes without displays. Orders are shaped like the CDS Hooks Sandbox's Rx View
and Rx Sign screens (a MedicationRequest with an RxNorm clinical drug coding, display and text,
id ``request-123``, ``draftOrders`` a Bundle without ``type``) and like EHR exports (branded
or clinical drug codes, a contained Medication, text only, a referenced Medication).
"""

from __future__ import annotations

from typing import Any

from tests.security.patients import CONDITION_PROFILE, HISTOLOGY_URL, LOINC, SNOMED, coding

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
PATIENT = "pat-ord"


def condition(histology: str, *, recurrent: bool = False, site: str = "68367000") -> dict[str, Any]:
    status = "recurrence" if recurrent else "active"
    return {
        "resourceType": "Condition",
        "id": "sarcoma-1",
        "meta": {"profile": [CONDITION_PROFILE]},
        "extension": [
            {
                "url": HISTOLOGY_URL,
                "valueCodeableConcept": coding(
                    "http://terminology.hl7.org/CodeSystem/icd-o-3", histology
                ),
            }
        ],
        "clinicalStatus": coding(
            "http://terminology.hl7.org/CodeSystem/condition-clinical", status
        ),
        "verificationStatus": coding(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed"
        ),
        "code": coding(SNOMED, "363346000", "Malignant neoplastic disease"),
        "bodySite": [coding(SNOMED, site)],
        "subject": {"reference": f"Patient/{PATIENT}"},
        "onsetDateTime": "2025-09-02",
    }


def size(cm: float) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "size-1",
        "status": "final",
        "code": coding(LOINC, "21889-1"),
        "subject": {"reference": f"Patient/{PATIENT}"},
        "focus": [{"reference": "Condition/sarcoma-1"}],
        "effectiveDateTime": "2025-09-20",
        "component": [
            {
                "code": coding(LOINC, "33728-7"),
                "valueQuantity": {
                    "value": cm,
                    "unit": "cm",
                    "system": "http://unitsofmeasure.org",
                    "code": "cm",
                },
            }
        ],
    }


def grade(value: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "grade-1",
        "status": "final",
        "code": coding(NCIT, "C18000", "Histologic Grade"),
        "subject": {"reference": f"Patient/{PATIENT}"},
        "focus": [{"reference": "Condition/sarcoma-1"}],
        "effectiveDateTime": "2025-09-20",
        "method": {"text": "FNCLCC"},
        "valueCodeableConcept": {"text": value},
    }


def distant(value: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "cm-1",
        "status": "final",
        "code": coding(SNOMED, "399387003", "cM category"),
        "subject": {"reference": f"Patient/{PATIENT}"},
        "focus": [{"reference": "Condition/sarcoma-1"}],
        "effectiveDateTime": "2025-09-05",
        "valueCodeableConcept": {"text": value},
    }


def searchset(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"resource": r} for r in resources],
    }


def chart(
    histology: str | None,
    *,
    size_cm: float | None = 8.0,
    grade_text: str | None = "G3",
    m: str | None = None,
    recurrent: bool = False,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(conditions, observations) of one primary sarcoma of the thigh."""
    conditions = [condition(histology or "", recurrent=recurrent)] if histology else []
    if conditions and not histology:
        conditions[0]["extension"] = []
    observations = []
    if size_cm is not None:
        observations.append(size(size_cm))
    if grade_text is not None:
        observations.append(grade(grade_text))
    if m is not None:
        observations.append(distant(m))
    return conditions, observations


def prior_request(
    rid: str, text: str, code: str | None, status: str = "completed"
) -> dict[str, Any]:
    """An earlier MedicationRequest as an oncology EHR exports it."""
    concept: dict[str, Any] = {"text": text}
    if code:
        concept["coding"] = [{"system": RXNORM, "code": code}]
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": concept,
        "subject": {"reference": f"Patient/{PATIENT}"},
        "authoredOn": "2025-10-01",
    }


def sandbox_order(code: str, name: str, rid: str = "request-123") -> dict[str, Any]:
    """The MedicationRequest the Sandbox's Rx View and Rx Sign screens build (R4)."""
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "draft",
        "subject": {"reference": f"Patient/{PATIENT}"},
        "authoredOn": "2026-01-01",
        "dosageInstruction": [
            {
                "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": 1,
                            "system": "http://unitsofmeasure.org",
                            "code": "{pill}",
                        }
                    }
                ],
            }
        ],
        "medicationCodeableConcept": {
            "text": name,
            "coding": [{"display": name, "system": RXNORM, "code": code}],
        },
    }


def ehr_order(rid: str, shape: str, agent_text: str, code: str | None = None) -> dict[str, Any]:
    """An EHR's draft MedicationRequest: ``coded`` (clinical drug code, display), ``contained``
    (a contained Medication with an ingredient), ``text`` (free text only)."""
    order: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{PATIENT}"},
        "encounter": {"reference": "Encounter/enc-1"},
        "requester": {"reference": "Practitioner/onc-1"},
        "dosageInstruction": [{"text": "per protocol, day 1 of 21-day cycle"}],
    }
    if shape == "coded":
        order["medicationCodeableConcept"] = {
            "coding": [{"system": RXNORM, "code": code, "display": agent_text}]
        }
    elif shape == "contained":
        order["contained"] = [
            {
                "resourceType": "Medication",
                "id": "med",
                "code": {"text": agent_text},
                "ingredient": [
                    {
                        "itemCodeableConcept": {
                            "coding": [{"system": RXNORM, "code": code}] if code else [],
                            "text": agent_text,
                        },
                        "isActive": True,
                    }
                ],
            }
        ]
        order["medicationReference"] = {"reference": "#med"}
    elif shape == "text":
        order["medicationCodeableConcept"] = {"text": agent_text}
    else:
        raise ValueError(shape)
    return order


def order_request(
    hook: str,
    orders: list[dict[str, Any]],
    *,
    conditions: list[dict[str, Any]],
    observations: list[dict[str, Any]],
    history: list[dict[str, Any]] | None = None,
    selections: list[str] | None = None,
    extra_draft: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    drafts = [*orders, *(extra_draft or [])]
    context: dict[str, Any] = {
        "userId": "Practitioner/onc-1",
        "patientId": PATIENT,
        "encounterId": "enc-1",
        "draftOrders": {"resourceType": "Bundle", "entry": [{"resource": r} for r in drafts]},
    }
    if hook == "order-select":
        context["selections"] = selections or [f"MedicationRequest/{o['id']}" for o in orders]
    history = history or []
    return {
        "hook": hook,
        "hookInstance": "8a0f5c3e-2d1b-4e6f-9a7c-0b1d2e3f4a5b",
        "context": context,
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": PATIENT},
            "conditions": searchset(*conditions),
            "observations": searchset(*observations),
            "medicationRequests": searchset(
                *[r for r in history if r["resourceType"] == "MedicationRequest"]
            ),
            "medicationStatements": searchset(
                *[r for r in history if r["resourceType"] == "MedicationStatement"]
            ),
        },
    }
