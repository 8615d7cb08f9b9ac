"""A malformed resource never fails extraction: every value of every fixture resource is
replaced in turn by values of the wrong shape, and extraction must still answer."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from hooks.fhir.extract import extract
from hooks.services.staging import stage_patient
from tests.fhir.conftest import load

WRONG: tuple[Any, ...] = (None, 7, "x", [{"a": 1}], {})


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from paths(item, (*prefix, index))


def replaced(resource: dict[str, Any], path: tuple[Any, ...], new: Any) -> dict[str, Any]:
    copied = copy.deepcopy(resource)
    target: Any = copied
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return copied


@pytest.mark.parametrize(
    ("patient", "name"),
    [("pat-two", "two-primaries.json"), ("pat-messy", "messy-forearm.json")],
)
def test_wrong_shapes_never_raise(patient: str, name: str) -> None:
    bundle = load(name)
    resources = [entry["resource"] for entry in bundle["entry"]]
    checked = 0
    for index, resource in enumerate(resources):
        for path in paths(resource):
            if path[0] == "resourceType":
                continue
            for new in WRONG:
                mutated = [
                    *resources[:index],
                    replaced(resource, path, new),
                    *resources[index + 1 :],
                ]
                extract(patient, mutated)  # the fast path: it reads raw JSON first
                checked += 1
    assert checked > 500


def test_staging_survives_a_nonsense_bundle() -> None:
    nonsense = {"resourceType": "Bundle", "type": "searchset", "entry": [1, "x", {"resource": 3}]}
    extraction, reports = stage_patient("p", [nonsense, {"resourceType": 5}, []])  # type: ignore[list-item]
    assert reports == []
    assert extraction.primaries == ()
