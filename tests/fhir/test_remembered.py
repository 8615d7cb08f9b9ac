"""Remembered answers (R4B verdicts per resource, the chart key responses are kept under)
never go stale and never cross patients: a changed byte is a new key."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hooks.fhir import r4b
from hooks.services import staging
from tests.fhir.conftest import FIXTURES, load


def chart(name: str = "mcode-stu4-thigh-leiomyosarcoma.json") -> list[dict[str, Any]]:
    return [e["resource"] for e in load(name)["entry"]]


def necrosis(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return next(r for r in resources if r.get("id") == "lms-necrosis")


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.json")))
def test_remembered_verdicts_give_the_same_extraction(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = load(name)
    resources = [e["resource"] for e in data["entry"]] if "entry" in data else [data]
    patient = next(
        (r["id"] for r in resources if r.get("resourceType") == "Patient"), "pat-unknown"
    )
    monkeypatch.setattr(r4b, "_verdicts", {})
    fresh = staging.stage_patient(patient, resources)  # every verdict computed
    remembered = staging.stage_patient(patient, resources)  # every verdict remembered
    assert remembered == fresh


def test_chart_key_changes_with_any_value_and_with_the_patient() -> None:
    resources = chart()
    key = staging.chart_key("pat-lms", resources)
    assert key is not None
    assert staging.chart_key("pat-lms", copy.deepcopy(resources)) == key
    changed = copy.deepcopy(resources)
    necrosis(changed)["valueQuantity"]["value"] = 31
    assert staging.chart_key("pat-lms", changed) != key
    assert staging.chart_key("someone-else", resources) != key


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
