"""A primary cancer Condition with a generic code (SNOMED CT 363346000, the mCODE primary cancer
profile) and no histology of its own takes its histology from an ICD-O-3 histology Observation
(LOINC 31206-6 / 59847-4) attached to it (CLINICAL.md section 4).

Fixtures are typed by hand; expected values come from CLINICAL.md: round cell liposarcoma
8853/3 has differentiation score 3, 2 mitoses per 10 HPF score 1, no necrosis scores 0, so
FNCLCC 3 + 1 + 0 = 4 is G2; 60 mm is T2 (> 5 and <= 10 cm) in the trunk and extremities (thigh,
SNOMED CT 68367000); T2 N0 M0 G2 is stage IIIA.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from cds.model import Grade, SiteGroup, Stage, T
from hooks.fhir.extract import extract
from hooks.services.staging import stage_patient

SCT = "http://snomed.info/sct"
LNC = "http://loinc.org"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
UCUM = "http://unitsofmeasure.org"
PRIMARY = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition"
MALIGNANT = {
    "coding": [{"system": SCT, "code": "363346000", "display": "Malignant neoplastic disease"}]
}
THIGH = {"coding": [{"system": SCT, "code": "68367000"}]}


def cancer(cid: str = "c1", *, body_site: dict[str, Any] | None = THIGH) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": cid,
        "meta": {"profile": [PRIMARY]},
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": "confirmed",
                }
            ]
        },
        "code": MALIGNANT,
        "subject": {"reference": "Patient/p1"},
        "recordedDate": "2026-01-05",
    }
    if body_site is not None:
        resource["bodySite"] = [body_site]
    return resource


def observation(oid: str, code: tuple[str, str], **value: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": code[0], "code": code[1]}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-01-10T10:00:00Z",
        **value,
    }


def histology(
    morphology: str, loinc: str = "31206-6", oid: str = "o-h", **extra: Any
) -> dict[str, Any]:
    return observation(
        oid,
        (LNC, loinc),
        valueCodeableConcept={"coding": [{"system": ICDO3, "code": morphology}]},
        **extra,
    )


def pathology() -> list[dict[str, Any]]:
    size = observation(
        "o-size",
        (LNC, "21889-1"),
        component=[
            {
                "code": {"coding": [{"system": LNC, "code": "33728-7"}]},
                "valueQuantity": {"value": 60, "unit": "mm", "system": UCUM, "code": "mm"},
            }
        ],
    )
    mitoses = observation("o-mit", (SCT, "371472000"), valueInteger=2)
    necrosis = observation(
        "o-nec",
        (SCT, "405921002"),
        valueQuantity={"value": 0, "unit": "%", "system": UCUM, "code": "%"},
    )
    return [size, mitoses, necrosis]


FOCUS = {"focus": [{"reference": "Condition/c1"}]}


@pytest.mark.parametrize(
    ("loinc", "extra"),
    [("31206-6", FOCUS), ("59847-4", {}), ("59847-4", FOCUS), ("31206-6", {})],
)
def test_generic_cancer_code_with_sarcoma_histology_observation_is_staged(
    loinc: str, extra: dict[str, Any]
) -> None:
    chart = [cancer(), histology("8853/3", loinc, **extra), *pathology()]
    extraction, reports = stage_patient("p1", chart)
    (report,) = reports
    tumor, assessment = report.tumor, report.assessment
    assert tumor.condition == "Condition/c1"
    assert tumor.inputs.histology == "8853/3"
    assert tumor.sources["histology"].reference == "Observation/o-h"
    assert tumor.inputs.site is SiteGroup.TRUNK_EXTREMITY
    assert tumor.inputs.size_cm == Decimal("6.0")
    assert assessment.grade.grade is Grade.G2
    assert assessment.t is T.T2
    assert assessment.stage is Stage.IIIA
    # The note says where the histology came from.
    assert any("Observation/o-h" in n and "8853/3" in n for n in tumor.notes)
    assert not any("Condition/c1" in n for n in extraction.notes)


def test_histology_observation_linked_through_derived_from() -> None:
    size = {**pathology()[0], "focus": [{"reference": "Condition/c1"}]}
    hist = histology("8853/3", derivedFrom=[{"reference": "Observation/o-size"}])
    other = cancer("c2", body_site=None)  # a second cancer: no default attachment
    (found,) = extract("p1", [cancer(), other, size, hist]).primaries
    assert found.condition == "Condition/c1"
    assert found.inputs.histology == "8853/3"


def test_non_sarcoma_histology_observation_keeps_it_another_cancer() -> None:
    extraction = extract("p1", [cancer(), histology("8140/3", **FOCUS), *pathology()])
    assert extraction.primaries == ()
    assert any(
        "Condition/c1" in n and "8140/3" in n and "Observation/o-h" in n and "not a soft" in n
        for n in extraction.notes
    )


def test_unlinked_histology_is_not_guessed_between_two_cancers() -> None:
    chart = [cancer("c1"), cancer("c2", body_site=None), histology("8853/3"), *pathology()]
    extraction = extract("p1", chart)
    assert extraction.primaries == ()
    assert any("Observation/o-h" in n for n in extraction.notes)


def test_soft_tissue_site_without_any_histology_is_not_staged_and_says_why() -> None:
    extraction = extract("p1", [cancer(), *pathology()])
    assert extraction.primaries == ()
    (note,) = [n for n in extraction.notes if "Condition/c1" in n]
    assert "soft tissue site" in note
    assert "histology is needed" in note
    assert "without a recorded sarcoma histology or soft tissue site" not in note


def test_no_site_and_no_histology_note() -> None:
    extraction = extract("p1", [cancer(body_site=None)])
    (note,) = [n for n in extraction.notes if "Condition/c1" in n]
    assert "no recorded histology" in note
    assert "no soft tissue site" in note
