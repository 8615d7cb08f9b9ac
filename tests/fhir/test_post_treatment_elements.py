"""``hooks.fhir.context.post_treatment`` remembers, as the JSON of the elements ``_texts``
reads, the Observations found to say nothing of neoadjuvant therapy (``_QUIET_ELEMENTS``).
Compared here with the direct reading (``after_treatment`` over the joined ``_texts``), first
and second time, on the repository's charts and on values that serialize alike but are read
differently (a tuple for a list, a NaN for a null): those must never be answered from a
remembered key. The generated Observations of ``test_post_treatment_walk`` are read twice
there."""

from __future__ import annotations

import orjson

from hooks.fhir import context
from tests.fhir.test_post_treatment_walk import _direct
from tests.fhir.test_shape import RESOURCES


def test_chart_observations_read_as_the_direct_reading() -> None:
    observations = [r for _, r in RESOURCES if r.get("resourceType") == "Observation"]
    for _ in range(2):
        for resource in observations:
            assert context.post_treatment(resource) == _direct(resource)


def test_a_quiet_observation_is_remembered_and_answers_its_twin() -> None:
    context._QUIET_ELEMENTS.clear()
    quiet = {"resourceType": "Observation", "code": {"text": "Tumor size"}, "id": "a"}
    assert context.post_treatment(quiet) is None
    key = context._elements_key(quiet)
    assert key in context._QUIET_ELEMENTS
    twin = quiet | {"id": "b", "status": "final"}  # elements not read: the same key
    assert context._elements_key(twin) == key
    assert context.post_treatment(twin) is None


def test_what_serializes_alike_but_reads_differently_is_not_remembered() -> None:
    # A tuple is written as a JSON array but read as one value (no texts): a list with the
    # same JSON reads its items, here a hint. Remembering the tuple's key would answer None.
    words = "ypT2"
    as_tuple = {"resourceType": "Observation", "note": ({"text": words},)}
    as_list = {"resourceType": "Observation", "note": [{"text": words}]}
    assert context._elements_key(as_tuple) == context._elements_key(as_list)
    assert context.post_treatment(as_tuple) is None
    assert context.post_treatment(as_list) == repr(words)
    interpretation = {"resourceType": "Observation", "interpretation": ({"text": words},)}
    listed = {"resourceType": "Observation", "interpretation": [{"text": words}]}
    assert context.post_treatment(interpretation) is None
    assert context.post_treatment(listed) == repr(words)
    # A NaN code is written null; it is read as "nan" (no hint either way).
    nan = {"resourceType": "Observation", "code": {"coding": [{"code": float("nan")}]}}
    assert context.post_treatment(nan) is None
    assert context._elements_key(nan) not in context._QUIET_ELEMENTS


def test_subclasses_and_other_types_are_not_keyed() -> None:
    class Text(str):
        def __str__(self) -> str:
            return "post-treatment"

    odd = {"resourceType": "Observation", "code": {"coding": [{"code": Text("x")}]}}
    assert context._elements_key(odd) is None
    assert context.post_treatment(odd) == _direct(odd)
    assert context._elements_key({"code": {"text": 10**30}}) is None  # beyond 64 bits


def test_remembered_keys_are_bounded() -> None:
    for i in range(context._QUIET_ELEMENTS_MAX + 5):
        context.post_treatment({"resourceType": "Observation", "code": {"text": f"size {i}"}})
    assert len(context._QUIET_ELEMENTS) <= context._QUIET_ELEMENTS_MAX
    long_text = "size " * 1000
    resource = {"resourceType": "Observation", "code": {"text": long_text}}
    assert context.post_treatment(resource) is None
    assert orjson.dumps((resource["code"],)) not in context._QUIET_ELEMENTS
    assert context._elements_key(resource) not in context._QUIET_ELEMENTS
