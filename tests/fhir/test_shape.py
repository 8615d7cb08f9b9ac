"""The fast validity check (hooks.fhir.shape) against the strict R4B models (hooks.fhir.r4b).

The fast check may only accept what R4B accepts; everything else it hands to R4B, so the
verdicts and the error texts are R4B's. Asserted on every resource of every fixture, golden
request, realistic chart and benchmark chart in the repository, on mutations of each of them
(every element removed, retyped, emptied, or joined by an unknown element), and on the whole
extraction: the fast path and the strict mode read every chart identically.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bench.charts import chart_request
from hooks.fhir import r4b, shape
from hooks.fhir.extract import extract
from hooks.web.app import create_app
from hooks.web.settings import Settings
from tests.charts import build, test_reading
from tests.charts import cases as chart_cases

TESTS = Path(__file__).resolve().parents[1]
READ = frozenset({"Condition", "Observation", "BodyStructure"})


def _walk(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, dict):
        if data.get("resourceType") in READ:
            yield data
        for value in data.values():
            yield from _walk(value)
    elif isinstance(data, list):
        for value in data:
            yield from _walk(value)


def _charts() -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(name, patient id, resources) of every chart in the tests and the benchmark."""
    out: list[tuple[str, str, list[dict[str, Any]]]] = []
    for path in sorted(TESTS.rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        found = list(_walk(data))
        if found:
            patient = _patient(data, found)
            out.append((str(path.relative_to(TESTS)), patient, [data]))
    for case in chart_cases.CASES:
        out.append((f"charts/{case.name}", chart_cases.PID, list(case.resources)))
    for reading in test_reading.CASES:
        out.append((f"reading/{reading.id}", "p-build", build.chart(*reading.observations)))
    for n in range(5):
        request = chart_request(n)
        prefetch = list(request["prefetch"].values())
        out.append((f"bench/{n}", request["context"]["patientId"], prefetch))
    return out


def _patient(data: Any, found: list[dict[str, Any]]) -> str:
    context = data.get("context") if isinstance(data, dict) else None
    if isinstance(context, dict) and isinstance(context.get("patientId"), str):
        return str(context["patientId"])
    reference = (found[0].get("subject") or found[0].get("patient") or {}).get("reference", "")
    return str(reference).rsplit("/", 1)[-1]


CHARTS = _charts()
RESOURCES = [
    (f"{name}#{n}", resource)
    for name, _, resources in CHARTS
    for n, resource in enumerate(r for item in resources for r in _walk(item))
]


def test_the_corpus_is_the_repository_s_charts() -> None:
    names = {name.split("/")[0] for name, _, _ in CHARTS}
    assert {"fixtures", "golden", "charts", "reading", "bench"} <= names
    assert len(RESOURCES) > 300
    # The fast check carries the common case: most real resources never reach R4B.
    accepted = sum(shape.surely_valid(r) for _, r in RESOURCES)
    assert accepted > 0.9 * len(RESOURCES)


@pytest.mark.parametrize(("name", "resource"), RESOURCES, ids=[n for n, _ in RESOURCES])
def test_same_verdict_and_error_as_r4b(name: str, resource: dict[str, Any]) -> None:
    strict = r4b.validation_problem(resource)
    if shape.surely_valid(resource):
        assert strict is None, f"{name}: accepted by the fast check, R4B says {strict}"
    assert shape.problem(resource) == strict


_BAD_VALUES: tuple[Any, ...] = (
    None,
    "",
    " padded",
    "two  spaces",
    "has space",
    "bad id!",
    "2025-13-01",
    "2025-02-30",
    "2025-02-03T25:00:00Z",
    "2025-02-03T10:00:00",
    0,
    -1.5,
    2**40,
    True,
    {},
    [],
    [{}],
    {"unknown": "x"},
    [None],
)


def _mutants(resource: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The resource with one element removed, replaced by a bad value, or joined by an
    unknown element, at every place in it."""

    def places(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
        if isinstance(node, dict):
            yield (*path, "<new>")
            for key, value in node.items():
                yield (*path, key)
                yield from places(value, (*path, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield (*path, i)
                yield from places(value, (*path, i))

    for place in places(resource, ()):
        replacements: tuple[Any, ...] = (
            ("_deleted",) if place[-1] == "<new>" else ("_deleted", *_BAD_VALUES)
        )
        for bad in replacements:
            mutant = copy.deepcopy(resource)
            parent = mutant
            for step in place[:-1]:
                parent = parent[step]
            last = place[-1]
            if last == "<new>":
                parent["unknownElement"] = "x"
            elif bad == "_deleted":
                del parent[last]
            else:
                parent[last] = bad
            yield mutant


def _distinct_shapes() -> list[tuple[str, dict[str, Any]]]:
    seen: set[str] = set()
    out = []
    for name, resource in RESOURCES:
        key = json.dumps(resource, sort_keys=True)
        if key not in seen and shape.surely_valid(resource):
            seen.add(key)
            out.append((name, resource))
    return out[:120]


@pytest.mark.parametrize(("name", "resource"), _distinct_shapes())
def test_mutants_accepted_only_when_r4b_accepts(name: str, resource: dict[str, Any]) -> None:
    checked = 0
    for mutant in _mutants(resource):
        if shape.surely_valid(mutant):
            checked += 1
            assert r4b.validation_problem(mutant) is None, (name, mutant)
    assert checked > 0  # some mutations stay valid (a removed optional element)


def test_rejected_mutants_get_the_r4b_error() -> None:
    condition = next(r for _, r in RESOURCES if r["resourceType"] == "Condition")
    broken = dict(condition, recordedDate="2025-13-45")
    assert not shape.surely_valid(broken)
    reason = shape.problem(broken)
    assert reason is not None
    assert reason == r4b.validation_problem(broken)
    assert reason.startswith("recordedDate")


@pytest.mark.parametrize(("name", "patient", "resources"), CHARTS, ids=[c[0] for c in CHARTS])
def test_fast_path_and_strict_mode_read_every_chart_identically(
    name: str, patient: str, resources: list[dict[str, Any]]
) -> None:
    fast = extract(patient, resources)
    shape.set_strict(True)
    try:
        strict = extract(patient, resources)
    finally:
        shape.set_strict(False)
    assert fast == strict, name


def test_strict_mode_never_uses_the_fast_check(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_in_strict_mode(resource: Any) -> bool:
        raise AssertionError("the fast check ran in strict mode")

    monkeypatch.setattr(shape, "surely_valid", not_in_strict_mode)
    observation = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
    too_large = dict(observation, valueInteger=2**40)  # beyond a FHIR integer
    shape.set_strict(True)
    try:
        assert shape.strict()
        assert shape.problem(observation) is None
        assert shape.problem(too_large) == r4b.validation_problem(too_large)
        assert shape.problem(too_large) is not None
    finally:
        shape.set_strict(False)


def test_the_setting_switches_strict_mode(tmp_path: Path) -> None:
    settings = Settings.from_env({"SARCOMA_CDS_STRICT_FHIR": "on"})
    assert settings.strict_fhir
    assert not Settings.from_env({}).strict_fhir
    try:
        create_app(replace(settings, auth=False, db=tmp_path / "strict.sqlite3"))
        assert shape.strict()
        create_app(Settings(auth=False, db=tmp_path / "fast.sqlite3"))
        assert not shape.strict()
    finally:
        shape.set_strict(False)


def test_two_values_of_one_choice_group_go_to_r4b() -> None:
    observation = next(
        r for _, r in RESOURCES if r["resourceType"] == "Observation" and "valueQuantity" in r
    )
    assert shape.surely_valid(observation)
    both = dict(observation, valueString="72 mm")
    assert not shape.surely_valid(both)
    assert shape.problem(both) == r4b.validation_problem(both)
    assert shape.problem(both) is not None  # R4B: one value[x] only
