"""Emitted mCODE STU4 Observations: codes (typed from CLINICAL.md section 4), structure,
references, FHIR R4B validity and conformance to our profiles (fhircraft, offline)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from cds.assess import assess
from cds.model import Grade, SiteGroup, TumorInputs
from hooks.fhir import r4b, writeback
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


def without(resources: dict[str, Any], *ids: str) -> dict[str, Any]:
    """The fixture Bundle without the Observations ``ids`` (a chart with less recorded)."""
    entries = [e for e in resources["entry"] if e["resource"].get("id") not in ids]
    return resources | {"entry": entries}


def lms_reports(*dropped: str) -> list[TumorReport]:
    _, found = stage_patient(
        "pat-lms", [without(load("mcode-stu4-thigh-leiomyosarcoma.json"), *dropped)]
    )
    return found


def emit(report: TumorReport) -> list[dict[str, Any]]:
    return staging_observations("pat-lms", report, effective=EFFECTIVE, new_id=counter_ids())


def test_only_what_the_chart_does_not_hold_is_recorded() -> None:
    # pT2, cN0, cM0 and G2 are recorded in the chart: only the stage group is new, and it
    # points at the chart's own T, N and M Observations (no duplicates).
    (report,) = lms_reports()
    (stage,) = emit(report)
    assert stage["code"]["coding"][0]["code"] == "399588009"  # pathologic TNM stage grouping
    assert value_code(stage) == "1222802001"  # IIIA
    assert stage["meta"]["profile"] == [MCODE + "mcode-tnm-stage-group"]
    assert stage["method"]["coding"][0]["code"] == "897275008"
    assert [r["reference"] for r in stage["hasMember"]] == [
        "Observation/lms-pt",
        "Observation/lms-cn",
        "Observation/lms-cm",
    ]
    assert [r["reference"] for r in stage["derivedFrom"]] == [
        "Observation/lms-cm",
        "Observation/lms-cn",
        "Observation/lms-grade",
        "Observation/lms-mitoses",
        "Observation/lms-necrosis",
        "Observation/lms-pt",
        "Observation/lms-size",
    ]
    assert stage["status"] == "final"
    assert stage["subject"] == {"reference": "Patient/pat-lms"}
    assert stage["focus"] == [{"reference": "Condition/lms-thigh"}]
    assert stage["effectiveDateTime"] == EFFECTIVE
    assert stage["identifier"][0]["system"] == writeback.IDENTIFIER_SYSTEM
    assert stage["identifier"][0]["value"].startswith("lms-thigh-stage-")
    assert stage["meta"]["tag"] == [
        {
            "system": writeback.TAG_SYSTEM,
            "code": "accepted-suggestion",
            "display": "Recorded from an accepted sarcoma-cds suggestion",
        }
    ]


def test_n0_and_m0_by_convention_carry_a_note_and_a_tag() -> None:
    # Without the recorded cN0 and cM0, N0 and M0 rest on the AJCC convention for unrecorded
    # nodal and distant status: written only with a note (and tag) saying so.
    (report,) = lms_reports("lms-cn", "lms-cm")
    observations = emit(report)
    n = by_code(observations, "399534004")  # cN
    m = by_code(observations, "399387003")  # cM
    assert value_code(n) == "1229967007"  # cN0
    assert value_code(m) == "1229901006"  # cM0
    assert "convention for unrecorded nodal status" in n["note"][0]["text"]
    assert "convention for unrecorded distant status" in m["note"][0]["text"]
    assert "not a finding" in n["note"][0]["text"]
    for observation in (n, m):
        assert {t["code"] for t in observation["meta"]["tag"]} == {
            "accepted-suggestion",
            "ajcc-convention",
        }
    stage = by_code(observations, "399588009")
    assert {t["code"] for t in stage["meta"]["tag"]} == {"accepted-suggestion"}
    assert all("convention" not in note["text"] for note in stage["note"])
    assert writeback.label(report, writeback.plan(report)) == (
        "Record stage IIIA (N0 and M0 assumed: no nodal or distant disease recorded)"
    )
    # the recorded pT2 and G2 are not written again
    assert {o["code"]["coding"][0]["code"] for o in observations} == {
        "399588009",
        "399534004",
        "399387003",
    }


def test_a_grade_resting_on_an_assumed_differentiation_score_is_not_recorded() -> None:
    # Leiomyosarcoma NOS: differentiation 2 assumed; mitoses 14 (score 2), necrosis 30 % (1):
    # total 5 (G2) with 2, but 6 (G3) with 3: the grade, and so the stage, is not determined.
    (report,) = lms_reports("lms-grade")
    assert report.assessment.grade.grade is Grade.G2
    assert emit(report) == []
    assert "differentiation score" in (writeback.plan(report).blocked or "")


def test_an_assumed_differentiation_score_is_never_written_as_an_fnclcc_score() -> None:
    # Leiomyosarcoma NOS, mitoses 25 (3), necrosis 60 % (2): G3 with any differentiation score,
    # so the grade is recorded with its determined components, without the assumed score 2
    # and without the total that rests on it.
    inputs = TumorInputs(
        site=SiteGroup.TRUNK_EXTREMITY,
        histology="8890/3",
        size_cm=Decimal(7),
        mitoses=25,
        necrosis_pct=Decimal(60),
    )
    tumor = PrimaryTumor(condition="Condition/lms", description="Leiomyosarcoma", inputs=inputs)
    observations = emit(TumorReport(tumor, assess(inputs)))
    grade = by_code(observations, "C18000")
    assert value_code(grade) == "1228851006"  # G3
    scores = {
        o["code"]["coding"][0]["code"]: o["valueInteger"]
        for o in observations
        if o["code"]["coding"][0]["system"] == SCORES
    }
    assert scores == {"mitotic-count-score": 3, "necrosis-score": 2}
    assert {r["reference"] for r in grade["hasMember"]} == {
        f"Observation/{o['id']}" for o in observations if o["code"]["coding"][0]["system"] == SCORES
    }
    assert "with any differentiation score" in grade["note"][-1]["text"]


def test_nothing_is_recorded_when_the_stage_depends_on_missing_data() -> None:
    # GX: stage IB (GX grouped with G1) or IIIA (G2, G3): no record suggestion at all.
    inputs = TumorInputs(site=SiteGroup.TRUNK_EXTREMITY, histology="8890/3", size_cm=Decimal(7))
    tumor = PrimaryTumor(condition="Condition/lms", description="Leiomyosarcoma", inputs=inputs)
    report = TumorReport(tumor, assess(inputs))
    assert report.assessment.grade.grade is Grade.GX
    assert emit(report) == []
    assert "IB, IIIA" in (writeback.plan(report).blocked or "")


def test_identifiers_are_stable_and_tied_to_the_inputs() -> None:
    (report,) = lms_reports("lms-cn", "lms-cm")
    first = [o["identifier"] for o in emit(report)]
    again = [o["identifier"] for o in emit(lms_reports("lms-cn", "lms-cm")[0])]
    assert first == again
    assert len({i[0]["value"] for i in first}) == len(first)
    other = [o["identifier"] for o in emit(lms_reports("lms-cn", "lms-cm", "lms-size")[0])]
    assert not {i[0]["value"] for i in other} & {i[0]["value"] for i in first}


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
    first, _ = reports("pat-two", ["two-primaries.json"])
    observations = emit(TumorReport(replace(first.tumor, preliminary=True), first.assessment))
    assert observations
    assert {o["status"] for o in observations} == {"preliminary"}
    assert all("preliminary" in o["note"][-1]["text"] for o in observations)


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
    for report, observations in zip(reports(patient, files), emitted(patient, files), strict=True):
        ids = [o["id"] for o in observations]
        assert len(ids) == len(set(ids))
        # inside the transaction, or the chart's own recorded staging Observations
        local = {f"Observation/{i}" for i in ids} | set(report.tumor.input_references)
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


def test_profiles_reject_a_broken_observation(profile_validator: ProfileValidator) -> None:
    # Every T category the fixtures emit (charts with a recorded T emit none).
    categories = [
        o
        for patient, files in CASES
        for observations in emitted(patient, files)
        for o in observations
        if o["meta"]["profile"][0].endswith("primary-tumor-category")
    ]
    assert len(categories) >= 2
    for t in categories:
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
    for entry, observation in zip(bundle["entry"], observations, strict=True):
        identifier = observation["identifier"][0]
        assert entry["request"] == {
            "method": "POST",
            "url": "Observation",
            "ifNoneExist": f"identifier={identifier['system']}|{identifier['value']}",
        }
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


def test_profiles_require_our_identifier_and_the_convention_note(
    profile_validator: ProfileValidator,
) -> None:
    (report,) = lms_reports("lms-cn", "lms-cm")
    n = by_code(emit(report), "399534004")
    profile_validator.validate(n)
    anonymous = {k: v for k, v in n.items() if k != "identifier"}
    with pytest.raises(ValueError, match="identifier"):
        profile_validator.validate(anonymous)
    foreign = n | {"identifier": [{"system": "urn:example:other", "value": "1"}]}
    with pytest.raises(ValueError, match="sarc-identifier"):
        profile_validator.validate(foreign)
    unexplained = n | {"note": n["note"][1:]}
    with pytest.raises(ValueError, match="sarc-convention"):
        profile_validator.validate(unexplained)
