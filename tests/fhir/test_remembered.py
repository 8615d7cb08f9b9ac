"""Remembered answers (staging per chart, R4B verdicts per resource) never go stale and never
cross patients: a changed byte is a new answer, and the remembered answer equals a fresh one."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hooks import staging
from hooks.fhir import r4b
from tests.fhir.conftest import FIXTURES, load


def chart(name: str = "mcode-stu4-thigh-leiomyosarcoma.json") -> list[dict[str, Any]]:
    return [e["resource"] for e in load(name)["entry"]]


def necrosis(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return next(r for r in resources if r.get("id") == "lms-necrosis")


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.json")))
def test_remembered_answer_equals_a_fresh_one(name: str) -> None:
    data = load(name)
    resources = [e["resource"] for e in data["entry"]] if "entry" in data else [data]
    patient = next(
        (r["id"] for r in resources if r.get("resourceType") == "Patient"), "pat-unknown"
    )
    first = staging.stage_patient(patient, resources)
    again = staging.stage_patient(patient, resources)
    fresh = staging.compute(patient, resources)
    assert first == again
    assert (first[0], tuple(first[1])) == fresh


def test_a_changed_value_is_a_new_answer() -> None:
    resources = chart()
    _, before = staging.stage_patient("pat-lms", resources)
    assert before[0].tumor.inputs.necrosis_pct == 30
    changed = copy.deepcopy(resources)
    necrosis(changed)["valueQuantity"]["value"] = 60
    _, after = staging.stage_patient("pat-lms", changed)
    assert after[0].tumor.inputs.necrosis_pct == 60
    assert after[0].assessment.grade.scores.necrosis == 2


def test_another_patient_id_is_never_served_this_patients_answer() -> None:
    resources = chart()
    extraction, reports = staging.stage_patient("pat-lms", resources)
    assert len(reports) == 1
    other, other_reports = staging.stage_patient("someone-else", resources)
    assert other_reports == []  # every resource belongs to pat-lms: nothing is staged
    assert other.patient_id == "someone-else"
    assert extraction.patient_id == "pat-lms"


def test_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staging, "ANSWERS_KEPT", 3)
    monkeypatch.setattr(staging, "_answers", {})
    resources = chart()
    for value in range(10):
        changed = copy.deepcopy(resources)
        necrosis(changed)["valueQuantity"]["value"] = value
        staging.stage_patient("pat-lms", changed)
        assert len(staging._answers) <= 3


def test_r4b_verdicts_are_per_content(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(r4b, "_verdicts", {})
    good = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
    bad = {"resourceType": "Observation", "status": "final"}  # code is required
    assert r4b.problem(good) is None
    assert r4b.problem(good) is None
    reason = r4b.problem(bad)
    assert reason is not None
    assert r4b.problem(bad) == reason == r4b.validation_problem(bad)
    assert len(r4b._verdicts) == 2
    # same keys in another order: the same content, one verdict
    assert r4b.problem(dict(reversed(list(good.items())))) is None
    assert len(r4b._verdicts) == 2


def test_r4b_verdict_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(r4b, "_verdicts", {})
    monkeypatch.setattr(r4b, "VERDICTS_KEPT", 4)
    for n in range(12):
        r4b.problem({"resourceType": "Observation", "status": "final", "code": {"text": str(n)}})
        assert len(r4b._verdicts) <= 4
