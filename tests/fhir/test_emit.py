"""Emitted mCODE STU4 Observations: codes (typed from CLINICAL.md section 4), structure,
references, FHIR R4B validity and conformance to our profiles (fhircraft, offline)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from cds.assess import assess
from cds.model import Grade, SiteGroup, TumorInputs
from hooks.fhir import r4b
from hooks.fhir.emit import as_transaction_bundle, staging_observations
from hooks.fhir.model import PrimaryTumor, TumorReport
from hooks.services.staging import stage_patient
from tests.fhir.conftest import ProfileValidator, counter_ids, load

SCT = "http://snomed.info/sct"
MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
SCORES = "https://sarcoma-cds.org/fhir/CodeSystem/fnclcc"
EFFECTIVE = "2025-09-21T10:00:00Z"

CASES = [
    ("pat-lms", ["mcode-stu4-thigh-leiomyosarcoma.json"]),
    ("pat-rp", ["stu2-loinc-retroperitoneum.json"]),
    ("pat-messy", ["messy-forearm.json"]),
    ("pat-two", ["two-primaries.json"]),
    ("pat-trunk", ["ambiguous-site-nodal.json"]),
]  # the uterine fixtures emit nothing (test_nothing_is_recorded_for_a_tumor_outside_the_sts...)


def reports(patient: str, files: list[str]) -> list[TumorReport]:
    _, found = stage_patient(patient, [load(name) for name in files])
    return found


def emitted(patient: str, files: list[str]) -> list[list[dict[str, Any]]]:
    new_id = counter_ids()
    return [
        staging_observations(patient, report, effective=EFFECTIVE, new_id=new_id)
        for report in reports(patient, files)
    ]


def by_code(observations: list[dict[str, Any]], code: str) -> dict[str, Any]:
    return next(o for o in observations if o["code"]["coding"][0]["code"] == code)


def value_code(observation: dict[str, Any]) -> str:
    return str(observation["valueCodeableConcept"]["coding"][0]["code"])


def test_pathologic_trunk_extremity_stage() -> None:
    (observations,) = emitted("pat-lms", ["mcode-stu4-thigh-leiomyosarcoma.json"])
    stage = by_code(observations, "399588009")  # pathologic TNM stage grouping
    assert value_code(stage) == "1222802001"  # IIIA
    assert stage["meta"]["profile"] == [MCODE + "mcode-tnm-stage-group"]
    t = by_code(observations, "384625004")  # pT
    assert value_code(t) == "1229852009"  # pT2
    n = by_code(observations, "399534004")  # cN: no pathologic N recorded
    assert value_code(n) == "1229967007"  # cN0
    m = by_code(observations, "399387003")  # cM: there is no pM0
    assert value_code(m) == "1229901006"  # cM0
    assert "no pM0" in m["note"][0]["text"]
    grade = by_code(observations, "C18000")
    assert value_code(grade) == "1228850007"  # G2
    assert grade["method"]["coding"][0] == {"system": SCT, "code": "426757001"}
    scores = {
        o["code"]["coding"][0]["code"]: o["valueInteger"]
        for o in observations
        if o["code"]["coding"][0]["system"] == SCORES
    }
    assert scores == {
        "differentiation-score": 2,
        "mitotic-count-score": 2,
        "necrosis-score": 1,
        "total-score": 5,
    }
    for observation in (stage, t, n, m):
        assert observation["method"]["coding"][0]["code"] == "897275008"
    assert {r["reference"] for r in stage["hasMember"]} == {
        f"Observation/{o['id']}" for o in (t, n, m)
    }
    assert {r["reference"] for r in grade["hasMember"]} == {
        f"Observation/{o['id']}" for o in observations if o["code"]["coding"][0]["system"] == SCORES
    }
    assert [r["reference"] for r in stage["derivedFrom"]] == [
        "Observation/lms-cm",
        "Observation/lms-cn",
        "Observation/lms-grade",
        "Observation/lms-mitoses",
        "Observation/lms-necrosis",
        "Observation/lms-pt",
        "Observation/lms-size",
    ]
    assert [r["reference"] for r in t["derivedFrom"]] == [
        "Observation/lms-pt",
        "Observation/lms-size",
    ]
    for observation in observations:
        assert observation["status"] == "final"
        assert observation["subject"] == {"reference": "Patient/pat-lms"}
        assert observation["focus"] == [{"reference": "Condition/lms-thigh"}]
        assert observation["effectiveDateTime"] == EFFECTIVE
        assert observation["category"]
        assert observation["note"][0]["text"]


def test_clinical_stage_iv_from_a_secondary_condition() -> None:
    first, second = emitted("pat-two", ["two-primaries.json"])
    stage = by_code(second, "399537006")  # clinical stage group
    assert value_code(stage) == "1222837003"  # IV
    m = by_code(second, "399387003")
    assert value_code(m) == "1229903009"  # cM1
    # the first tumor is pathologic (specimen-based size): pT3, stage IIIB
    assert value_code(by_code(first, "384625004")) == "1229859000"
    assert value_code(by_code(first, "399588009")) == "1222805004"


def test_preliminary_inputs_make_preliminary_observations() -> None:
    (observations,) = emitted("pat-messy", ["messy-forearm.json"])
    assert {o["status"] for o in observations} == {"preliminary"}
    assert all("preliminary" in o["note"][0]["text"] for o in observations)


def test_no_stage_group_when_none_applies() -> None:
    # Head and neck: AJCC 8 ch. 40 gives T, N, M and grade but no stage group (CLINICAL.md 1).
    inputs = TumorInputs(site=SiteGroup.HEAD_NECK, size_cm=Decimal("3"), grade=Grade.G3)
    tumor = PrimaryTumor(condition="Condition/hn", description="Sarcoma of neck", inputs=inputs)
    observations = staging_observations(
        "pat-hn", TumorReport(tumor, assess(inputs)), effective=EFFECTIVE, new_id=counter_ids()
    )
    codes_emitted = {o["code"]["coding"][0]["code"] for o in observations}
    assert "399537006" not in codes_emitted
    assert "399588009" not in codes_emitted
    assert {"399504009", "399534004", "399387003", "C18000"} <= codes_emitted  # cT cN cM grade
    assert value_code(by_code(observations, "399504009")) == "1228929004"  # cT2: > 2, <= 4 cm


def test_nothing_is_recorded_for_a_tumor_outside_the_sts_chapters() -> None:
    # Uterine sarcoma: AJCC 8 ch. 54, not the soft tissue sarcoma chapters (CLINICAL.md 1), so
    # no AJCC STS category and no FNCLCC grade is written to the chart.
    assert emitted(
        "pat-uterus",
        ["uterine-leiomyosarcoma-condition.json", "uterine-leiomyosarcoma-size.json"],
    ) == [[]]


@pytest.mark.parametrize(("patient", "files"), CASES)
def test_every_emitted_resource_validates(
    patient: str, files: list[str], profile_validator: ProfileValidator
) -> None:
    for observations in emitted(patient, files):
        ids = [o["id"] for o in observations]
        assert len(ids) == len(set(ids))
        local = {f"Observation/{i}" for i in ids}
        for observation in observations:
            assert r4b.problem(observation) is None
            assert r4b.round_trip(observation) == observation
            profile_validator.validate(observation)
            for key in ("hasMember",):
                for ref in observation.get(key, []):
                    assert ref["reference"] in local  # resolvable inside the transaction
            prefix_code = observation["code"]["coding"][0]["code"]
            if prefix_code in {"399504009", "399534004", "399387003"}:  # c-coded T/N/M
                assert "valueCodeableConcept" in observation


@pytest.mark.parametrize(("patient", "files"), CASES)
def test_profiles_reject_a_broken_observation(
    patient: str, files: list[str], profile_validator: ProfileValidator
) -> None:
    for observations in emitted(patient, files):
        t = next(
            o for o in observations if o["meta"]["profile"][0].endswith("primary-tumor-category")
        )
        broken = dict(t)
        broken.pop("method")
        with pytest.raises(ValueError, match="method"):
            profile_validator.validate(broken)
        swapped = dict(t)
        other = "1228929004" if t["code"]["coding"][0]["code"] == "384625004" else "1229852009"
        swapped["valueCodeableConcept"] = {"coding": [{"system": SCT, "code": other}]}
        with pytest.raises(ValueError, match=r"sarc-t-[cp]"):
            profile_validator.validate(swapped)


def test_transaction_bundle_resolves_references() -> None:
    observations = [o for group in emitted("pat-two", ["two-primaries.json"]) for o in group]
    bundle = as_transaction_bundle(observations)
    assert r4b.problem(bundle) is None
    assert bundle["type"] == "transaction"
    urls = {e["fullUrl"] for e in bundle["entry"]}
    assert all(u.startswith("urn:uuid:") for u in urls)
    assert len(urls) == len(observations)
    for entry in bundle["entry"]:
        assert entry["request"] == {"method": "POST", "url": "Observation"}
        assert "id" not in entry["resource"]
        for ref in entry["resource"].get("hasMember", []):
            assert ref["reference"] in urls
        for ref in entry["resource"].get("derivedFrom", []):
            assert ref["reference"].startswith("Observation/")  # the chart's own inputs
        assert entry["resource"]["focus"][0]["reference"].startswith("Condition/")


def test_uuid_ids_become_their_own_urns(sequential_uuids: Any) -> None:
    (report,) = reports("pat-lms", ["mcode-stu4-thigh-leiomyosarcoma.json"])
    observations = staging_observations(
        "pat-lms", report, effective=EFFECTIVE, new_id=sequential_uuids
    )
    bundle = as_transaction_bundle(observations)
    assert [e["fullUrl"] for e in bundle["entry"]] == [f"urn:uuid:{o['id']}" for o in observations]
