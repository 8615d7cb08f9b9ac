"""The second round of reader shortcuts gives exactly what the plain reading gives.

Each shortcut of hooks.fhir (a list built in one call instead of a generator, look-ups by value
in a dict instead of an Enum call, compiled patterns instead of the ``re`` module's cache, ...)
is compared here with the plain computation it replaces, on every resource of the repository's
charts and on generated input.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from hooks.fhir import context
from hooks.fhir.read import JSON, as_list, concept_text
from tests.fhir.test_shape import RESOURCES


def _texts_direct(resource: JSON) -> Iterable[str]:
    """hooks.fhir.context._texts as it was written first: a generator."""
    for key in ("code", "valueCodeableConcept", "method", "interpretation"):
        for concept in as_list(resource.get(key)):
            text = concept_text(concept)
            if text:
                yield text
            if isinstance(concept, dict):
                for coding in as_list(concept.get("coding")):
                    if isinstance(coding, dict):
                        yield str(coding.get("code") or "")
                        yield str(coding.get("display") or "")
    if isinstance(resource.get("valueString"), str):
        yield resource["valueString"]
    for note in as_list(resource.get("note")):
        if isinstance(note, dict) and isinstance(note.get("text"), str):
            yield note["text"]
    for specimen in as_list(resource.get("specimen")):
        if isinstance(specimen, dict) and isinstance(specimen.get("display"), str):
            yield specimen["display"]


def _observations() -> Iterator[JSON]:
    for _, resource in RESOURCES:
        if resource.get("resourceType") == "Observation":
            yield resource


def test_texts_as_the_generator_gave_them_on_every_chart_observation() -> None:
    seen = 0
    for resource in _observations():
        assert context._texts(resource) == list(_texts_direct(resource))
        seen += 1
    assert seen > 50


_LEAF = st.one_of(st.none(), st.text(max_size=6), st.integers(), st.booleans())
_CODING = st.one_of(
    _LEAF,
    st.fixed_dictionaries(
        {}, optional={"code": _LEAF, "display": _LEAF, "system": st.just("http://loinc.org")}
    ),
)
_CONCEPT = st.one_of(
    _LEAF,
    st.fixed_dictionaries(
        {}, optional={"text": _LEAF, "coding": st.one_of(_CODING, st.lists(_CODING, max_size=3))}
    ),
)
_ANY_CONCEPT = st.one_of(_CONCEPT, st.lists(_CONCEPT, max_size=3))
_HOLDER = st.one_of(_LEAF, st.fixed_dictionaries({}, optional={"text": _LEAF, "display": _LEAF}))


@given(
    st.fixed_dictionaries(
        {"resourceType": st.just("Observation")},
        optional={
            "code": _ANY_CONCEPT,
            "valueCodeableConcept": _ANY_CONCEPT,
            "method": _ANY_CONCEPT,
            "interpretation": _ANY_CONCEPT,
            "valueString": _LEAF,
            "note": st.one_of(_HOLDER, st.lists(_HOLDER, max_size=3)),
            "specimen": st.one_of(_HOLDER, st.lists(_HOLDER, max_size=3)),
        },
    )
)
def test_texts_as_the_generator_gave_them_on_generated_observations(
    resource: dict[str, Any],
) -> None:
    assert context._texts(resource) == list(_texts_direct(resource))
