"""Extraction from realistic and messy FHIR R4 data (expected values typed from the fixtures)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from cds.model import Grade, M, N, SiteGroup, Stage, T
from hooks.fhir.extract import extract
from hooks.fhir.model import Classification, Extraction, PrimaryTumor
from tests.fhir.conftest import FIXTURES, load

ALL_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.json"))


def only(extraction: Extraction) -> PrimaryTumor:
    assert len(extraction.primaries) == 1
    return extraction.primaries[0]


def tumor(extraction: Extraction, condition: str) -> PrimaryTumor:
    return next(t for t in extraction.primaries if t.condition == condition)


def test_mcode_stu4_shapes() -> None:
    found = only(extract("pat-lms", [load("mcode-stu4-thigh-leiomyosarcoma.json")]))
    inputs = found.inputs
    assert found.condition == "Condition/lms-thigh"
    assert found.description == "Leiomyosarcoma of left thigh"
    assert inputs.site is SiteGroup.TRUNK_EXTREMITY
    assert inputs.topography == "C49.2"
    assert inputs.histology == "8890/3"
    assert inputs.size_cm == Decimal("8.2")
    assert inputs.mitoses == 14
    assert inputs.necrosis_pct == Decimal(30)
    assert (inputs.grade, inputs.t, inputs.n, inputs.m) == (Grade.G2, T.T2, N.N0, M.M0)
    assert found.classification is Classification.PATHOLOGIC  # pT2
    assert found.sources["t"].reference == "Observation/lms-pt"
    assert found.sources["size_cm"].text == "8.2 cm"
    assert found.prefixes == {"t": "p", "n": "c", "m": "c"}
    assert not found.preliminary
    assert found.input_references == (
        "Observation/lms-cm",
        "Observation/lms-cn",
        "Observation/lms-grade",
        "Observation/lms-mitoses",
        "Observation/lms-necrosis",
        "Observation/lms-pt",
        "Observation/lms-size",
    )


def test_stu2_loinc_codes_and_ajcc_values() -> None:
    found = only(extract("pat-rp", [load("stu2-loinc-retroperitoneum.json")]))
    inputs = found.inputs
    assert inputs.site is SiteGroup.RETROPERITONEUM
    assert inputs.topography == "C48.0"
    assert inputs.histology == "8858/3"
    assert inputs.size_cm == Decimal("18.0")  # 180 mm
    assert (inputs.t, inputs.n, inputs.m) == (T.T4, N.N0, M.M0)
    assert inputs.grade is Grade.G3  # "Grade 3" as text
    assert inputs.stage is Stage.IIIB  # AJCC "3B"
    assert found.classification is Classification.CLINICAL


def test_messy_data() -> None:
    extraction = extract("pat-messy", [load("messy-forearm.json")])
    found = only(extraction)
    inputs = found.inputs
    # 2 [in_i] (final, 2025-03-10) wins over 40 mm (preliminary) and the furlong (unknown unit).
    assert inputs.size_cm == Decimal("5.08")
    assert found.sources["size_cm"].reference == "Observation/size-in"
    assert [s.reference for s in found.others["size_cm"]] == ["Observation/size-mm-prelim"]
    # the furlong is a value the chart holds but that cannot be read: said, not dropped
    assert any(
        "could not read '1 furlong' in Observation/size-furlong (tumor size)" in said
        and "UCUM" in said
        for said in found.unreadable
    )
    assert not any("furlong" in note for note in found.notes)
    # the most recent of two contradicting T values, the other reported
    assert inputs.t is T.T1
    assert [s.reference for s in found.others["t"]] == ["Observation/ct2"]
    assert any("Observation/ct2" in note and "disagrees" in note for note in found.notes)
    # entered-in-error necrosis ignored; the final one used
    assert inputs.necrosis_pct == Decimal(10)
    assert any("necrosis-eie" in n and "entered-in-error" in n for n in extraction.notes)
    # only a preliminary mitotic count: used and the result marked preliminary
    assert inputs.mitoses == 22
    assert found.preliminary
    # "high grade" of a two-tier system: G2 or G3 (value_grammar.toml [grade]), with a note
    assert inputs.grade is None
    assert inputs.grade_options == (Grade.G2, Grade.G3)
    assert any("high grade" in note and "G2 or G3" in note for note in found.notes)
    # histology named in the Condition text, site from ICD-10-CM C49.12
    assert inputs.histology == "9040/3"
    assert (inputs.site, inputs.topography) == (SiteGroup.TRUNK_EXTREMITY, "C49.1")
    # another patient's resources, the OperationOutcome, the malformed Observation
    assert any(
        "another patient" in n
        and "Observation/other-pat-size" in n
        and "Condition/other-pat-ss" in n
        for n in extraction.notes
    )
    assert any("OperationOutcome" in n for n in extraction.notes)
    assert any("Observation/bad-size" in n and "not valid FHIR R4" in n for n in extraction.notes)


def test_two_primaries_attach_by_focus_specimen_derived_from_and_body_structure() -> None:
    extraction = extract("pat-two", [load("two-primaries.json")])
    assert [t.condition for t in extraction.primaries] == [
        "Condition/ups-thigh",
        "Condition/lps-rp",
    ]
    ups = tumor(extraction, "Condition/ups-thigh")
    assert ups.inputs.size_cm == Decimal("12.0")  # focus
    assert ups.inputs.mitoses == 25  # shared specimen
    assert ups.inputs.necrosis_pct == Decimal(50)  # derivedFrom the size Observation
    assert ups.inputs.m is None
    assert ups.classification is Classification.PATHOLOGIC  # specimen-based size
    lps = tumor(extraction, "Condition/lps-rp")
    assert lps.inputs.size_cm == Decimal(16)  # focus on a Tumor BodyStructure
    assert lps.inputs.grade is Grade.G3  # related-condition extension
    assert lps.inputs.m is M.M1  # secondary Condition naming this primary
    assert lps.sources["m"].reference == "Condition/lung-mets"
    assert lps.inputs.necrosis_pct is None
    assert any("unlinked-necrosis" in n and "2 sarcomas" in n for n in extraction.notes)
    # the breast cancer and its pT2 are not a sarcoma's
    assert any("Condition/breast-ca" in n for n in extraction.notes)
    assert ups.inputs.t is None
    assert lps.inputs.t is None


def test_non_sarcoma_is_ignored() -> None:
    extraction = extract("pat-breast", [load("breast-only.json")])
    assert extraction.primaries == ()


def test_single_resources_and_uterus() -> None:
    found = only(
        extract(
            "pat-uterus",
            [
                load("uterine-leiomyosarcoma-condition.json"),
                load("uterine-leiomyosarcoma-size.json"),
            ],
        )
    )
    assert found.inputs.topography is not None
    assert found.inputs.topography.startswith("C54")
    assert found.inputs.site is None
    assert found.inputs.size_cm == Decimal(9)  # attached by default: the only primary


def test_ambiguous_site_nodal_secondary_and_snomed_histology() -> None:
    found = only(extract("pat-trunk", [load("ambiguous-site-nodal.json")]))
    assert found.inputs.site is None
    assert found.inputs.topography == "C49.4"
    assert any("finer site" in n for n in found.notes)
    assert found.inputs.n is N.N1
    assert found.sources["n"].reference == "Condition/inguinal-nodes"
    assert any("regional" in n for n in found.notes)
    assert found.inputs.histology == "8901/3"  # named pleomorphic rhabdomyosarcoma
    assert found.inputs.stage is Stage.IIIA
    assert found.inputs.size_cm == Decimal("7.0")


# ----------------------------------------------------------------- inline safety rules


def _condition(cid: str = "c1", patient: str = "p1", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": cid,
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C49.22"}]},
        "subject": {"reference": f"Patient/{patient}"},
        **extra,
    }


def _size(oid: str, value: float, unit: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": extra.pop("status", "final"),
        "code": {"coding": [{"system": "http://loinc.org", "code": "33728-7"}]},
        "subject": {"reference": extra.pop("subject", "Patient/p1")},
        "valueQuantity": {
            "value": value,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
        **extra,
    }


def test_absolute_and_urn_subject_references() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": "urn:uuid:8c1b0b5e-6f4e-4d3c-9a0e-2b1d2c3d4e5f",
                "resource": {"resourceType": "Patient", "id": "p1"},
            },
            {
                "resource": _condition(
                    subject={"reference": "urn:uuid:8c1b0b5e-6f4e-4d3c-9a0e-2b1d2c3d4e5f"}
                )
            },
            {"resource": _size("s1", 61, "mm", subject="https://ehr.example.org/fhir/Patient/p1")},
        ],
    }
    bundle["entry"][1]["resource"]["subject"] = {
        "reference": "urn:uuid:8c1b0b5e-6f4e-4d3c-9a0e-2b1d2c3d4e5f"
    }
    found = only(extract("p1", [bundle]))
    assert found.inputs.size_cm == Decimal("6.1")


def test_final_beats_a_more_recent_preliminary() -> None:
    found = only(
        extract(
            "p1",
            [
                _condition(),
                _size("old-final", 30, "mm", effectiveDateTime="2025-01-01"),
                _size("new-prelim", 90, "mm", status="preliminary", effectiveDateTime="2025-02-01"),
            ],
        )
    )
    assert found.inputs.size_cm == Decimal("3.0")
    assert not found.preliminary


def test_amended_and_corrected_count_as_final() -> None:
    found = only(
        extract(
            "p1",
            [
                _condition(),
                _size("a", 30, "mm", status="amended", effectiveDateTime="2025-01-01"),
                _size(
                    "b", 40, "mm", status="corrected", effectiveDateTime="2025-01-02T08:00:00+02:00"
                ),
                _size("c", 90, "mm", status="preliminary", effectiveDateTime="2025-03-01"),
            ],
        )
    )
    assert found.inputs.size_cm == Decimal("4.0")
    assert not found.preliminary


def test_cancelled_and_entered_in_error_condition() -> None:
    extraction = extract(
        "p1",
        [
            _condition(
                verificationStatus={
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                            "code": "entered-in-error",
                        }
                    ]
                }
            ),
            _size("x", 30, "mm", status="cancelled"),
        ],
    )
    assert extraction.primaries == ()
    assert any("Condition/c1" in n and "entered-in-error" in n for n in extraction.notes)
    assert any("Observation/x" in n and "cancelled" in n for n in extraction.notes)


def test_malformed_condition_is_skipped_not_fatal() -> None:
    broken = _condition()
    broken["onsetDateTime"] = "last spring"
    extraction = extract("p1", [broken, _size("s", 30, "mm")])
    assert extraction.primaries == ()
    assert any("Condition/c1" in n and "not valid FHIR R4" in n for n in extraction.notes)


def test_garbage_items_are_noted() -> None:
    extraction = extract("p1", [{"hello": "world"}, _condition()])
    assert len(extraction.primaries) == 1
    assert any("not a FHIR resource" in n for n in extraction.notes)


def test_mitotic_count_as_quantity_and_per_area() -> None:
    mitoses = {
        "resourceType": "Observation",
        "id": "m1",
        "status": "final",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "371472000"}]},
        "subject": {"reference": "Patient/p1"},
        "valueQuantity": {"value": 9, "unit": "/10 HPF"},
    }
    per_area = copy.deepcopy(mitoses) | {"id": "m2"}
    per_area["valueQuantity"] = {"value": 4, "unit": "/mm2"}
    found = only(extract("p1", [_condition(), mitoses, per_area]))
    assert found.inputs.mitoses == 9
    assert any("Observation/m2" in n and "per area" in n for n in found.unreadable)


def test_necrosis_needs_a_percentage() -> None:
    necrosis = {
        "resourceType": "Observation",
        "id": "n1",
        "status": "final",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "405921002"}]},
        "subject": {"reference": "Patient/p1"},
        "valueQuantity": {"value": 0.4, "unit": "ratio"},
    }
    found = only(extract("p1", [_condition(), necrosis]))
    assert found.inputs.necrosis_pct is None
    assert any("Observation/n1" in n and "percentage" in n for n in found.unreadable)


def test_observation_without_subject_is_ignored() -> None:
    size = _size("s", 30, "mm")
    del size["subject"]
    extraction = extract("p1", [_condition(), size])
    assert only(extraction).inputs.size_cm is None
    assert any("Observation/s" in n and "patient" in n for n in extraction.notes)


def test_recurrence_status() -> None:
    condition = _condition(
        clinicalStatus={
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "recurrence",
                }
            ]
        }
    )
    assert only(extract("p1", [condition])).inputs.recurrent


def test_default_attachment_notes_another_cancer() -> None:
    other = {
        "resourceType": "Condition",
        "id": "crc",
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C18.7"}]},
        "subject": {"reference": "Patient/p1"},
    }
    extraction = extract("p1", [_condition(), other, _size("s", 30, "mm")])
    found = only(extraction)
    assert found.inputs.size_cm == Decimal("3.0")
    assert any("Observation/s" in n and "Condition/crc" in n for n in extraction.notes)


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_fast_and_fully_validated_paths_agree(name: str) -> None:
    data = load(name)
    patient = _patient_of(data)
    fast = extract(patient, [data])
    full = extract(patient, [data], validate_all=True)
    assert fast.primaries == full.primaries
    assert set(fast.notes) <= set(full.notes)


def _patient_of(data: dict[str, Any]) -> str:
    if data["resourceType"] == "Patient":
        return str(data["id"])
    if data["resourceType"] == "Bundle":
        for entry in data["entry"]:
            if entry["resource"]["resourceType"] == "Patient":
                return str(entry["resource"]["id"])
    reference = data.get("subject", {}).get("reference", "Patient/none")
    return str(reference).rsplit("/", 1)[1]


def test_tumor_morphology_panel_links_its_members() -> None:
    panel = {
        "resourceType": "Observation",
        "id": "panel",
        "status": "final",
        "extension": [
            {
                "url": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-related-condition",
                "valueReference": {"reference": "Condition/c2"},
            }
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": "77753-2"}]},
        "subject": {"reference": "Patient/p1"},
        "hasMember": [{"reference": "Observation/g"}],
    }
    grade = {
        "resourceType": "Observation",
        "id": "g",
        "status": "final",
        "code": {
            "coding": [
                {"system": "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl", "code": "C18000"}
            ]
        },
        "subject": {"reference": "Patient/p1"},
        "valueCodeableConcept": {
            "coding": [{"system": "http://snomed.info/sct", "code": "1228848004"}]
        },
    }
    extraction = extract("p1", [_condition("c1"), _condition("c2"), panel, grade])
    assert tumor(extraction, "Condition/c2").inputs.grade is Grade.G1
    assert tumor(extraction, "Condition/c1").inputs.grade is None


def test_condition_stage_assessment_links_the_stage_group_and_its_members() -> None:
    stage = {
        "resourceType": "Observation",
        "id": "sg",
        "status": "final",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "399537006"}]},
        "subject": {"reference": "Patient/p1"},
        "valueCodeableConcept": {
            "coding": [{"system": "http://snomed.info/sct", "code": "1222728005"}]
        },
        "hasMember": [{"reference": "Observation/t"}],
    }
    t = {
        "resourceType": "Observation",
        "id": "t",
        "status": "final",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "399504009"}]},
        "subject": {"reference": "Patient/p1"},
        "valueCodeableConcept": {
            "coding": [{"system": "http://snomed.info/sct", "code": "1228938002"}]
        },
    }
    first = _condition("c1", stage=[{"assessment": [{"reference": "Observation/sg"}]}])
    extraction = extract("p1", [first, _condition("c2"), stage, t])
    assert tumor(extraction, "Condition/c1").inputs.stage is Stage.IB
    assert tumor(extraction, "Condition/c1").inputs.t is T.T3  # cT3 via hasMember
    assert tumor(extraction, "Condition/c2").inputs.t is None


def test_cancer_without_histology_is_named_in_the_notes() -> None:
    other = {
        "resourceType": "Condition",
        "id": "mal",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "363346000"}]},
        "subject": {"reference": "Patient/p1"},
    }
    extraction = extract("p1", [other])
    assert extraction.primaries == ()
    assert any("Condition/mal" in n and "histology" in n for n in extraction.notes)


def test_bone_sarcoma_is_not_staged_as_soft_tissue() -> None:
    bone = _condition(
        "bone",
        code={
            "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C40.22"}],
            "text": "Ewing sarcoma of left femur",
        },
    )
    extraction = extract("p1", [bone])
    assert extraction.primaries == ()
    assert any("Condition/bone" in n and "bone" in n for n in extraction.notes)


def test_condition_stage_summary_is_a_recorded_stage() -> None:
    stage = [
        {
            "summary": {
                "coding": [{"system": "http://snomed.info/sct", "code": "1222802001"}],
                "text": "Stage IIIA",
            }
        }
    ]
    found = only(extract("p1", [_condition(stage=stage, onsetDateTime="2025-01-01")]))
    assert found.inputs.stage is Stage.IIIA
    assert found.sources["stage"].reference == "Condition/c1"
    not_sts = [
        {"summary": {"coding": [{"system": "http://snomed.info/sct", "code": "1222806003"}]}}
    ]
    found = only(extract("p1", [_condition(stage=not_sts)]))
    assert found.inputs.stage is None
    assert any("Condition/c1" in n and "stage group" in n for n in found.notes)
