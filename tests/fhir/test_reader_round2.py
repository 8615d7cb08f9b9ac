"""The second round of reader shortcuts gives exactly what the plain reading gives.

Each shortcut of hooks.fhir (a list built in one call instead of a generator, look-ups by value
in a dict instead of an Enum call, compiled patterns instead of the ``re`` module's cache, ...)
is compared here with the plain computation it replaces, on every resource of the repository's
charts and on generated input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from hooks.fhir import conditions, context
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


# ---- compiled patterns (hooks.fhir.conditions.site_words, _mentions; context._side) -------

_WORDS = st.lists(
    st.sampled_from(
        ["Entire", "entire", "STRUCTURE OF", "structure", "Structure", "of", "left", "Left",
         "right", "thigh", "Thigh", "retroperitoneal", "leio-myosarcoma", "sarcoma", "a+b",
         "(x)", "[y", ".", "*", "\\", " ", "  ", "\t", "-", "\u00e9", "\u017f"]
    ),
    max_size=8,
).map(" ".join)  # fmt: skip


def _site_words_direct(text: str) -> str:
    words = conditions._clean(text)
    words = re.sub(r"^(?:entire|structure of)\s+", "", words, flags=re.IGNORECASE)
    words = re.sub(r"\s+structure$", "", words, flags=re.IGNORECASE)
    words = " ".join(w[:1].lower() + w[1:] if w[1:].islower() else w for w in words.split())
    return conditions._PLACE_NOUNS.get(words.lower(), words)


def _span(found: re.Match[str] | None) -> tuple[int, int, str] | None:
    return None if found is None else (found.start(), found.end(), found.group(0))


@given(st.one_of(_WORDS, st.text(max_size=20)))
def test_site_words_as_the_module_functions_give_them(text: str) -> None:
    assert conditions.site_words(text) == _site_words_direct(text)


@given(st.one_of(_WORDS, st.text(max_size=20)), st.one_of(_WORDS, st.text(max_size=8)))
def test_mentions_as_a_pattern_built_on_each_call_finds_them(name: str, words: str) -> None:
    direct = re.search(rf"(?<![\w-]){re.escape(words)}(?![\w-])", name, re.IGNORECASE)
    assert _span(conditions._mentions(name, words)) == _span(direct)


def test_mentions_examples() -> None:
    assert _span(conditions._mentions("Leiomyosarcoma of Thigh", "thigh")) == (18, 23, "Thigh")
    assert conditions._mentions("Leiomyosarcoma of thighs", "thigh") is None
    assert conditions._mentions("leio-myosarcoma", "myosarcoma") is None


def _side_direct(resource: JSON) -> str:
    words = " ".join(
        filter(
            None,
            [concept_text(b) for b in as_list(resource.get("bodySite"))]
            + [concept_text(resource.get("code"))],
        )
    ).lower()
    sides = {s for s in ("left", "right") if re.search(rf"\b{s}\b", words)}
    lateral = conditions._laterality(resource)
    if lateral:
        sides.add(lateral)
    return ",".join(sorted(sides))


@given(_WORDS, _WORDS)
def test_side_as_the_module_functions_give_it(code: str, site: str) -> None:
    resource = {"code": {"text": code}, "bodySite": [{"text": site}]}
    assert context._side(resource) == _side_direct(resource)


def test_side_on_every_chart_condition() -> None:
    for _, resource in RESOURCES:
        if resource.get("resourceType") == "Condition":
            assert context._side(resource) == _side_direct(resource)


def test_site_words_examples() -> None:
    for text, words in [
        ("Thigh Structure", "thigh"),
        ("Entire thigh", "thigh"),
        ("STRUCTURE OF left thigh (body structure)", "left thigh"),
        ("Retroperitoneal structure", "retroperitoneum"),
    ]:
        assert conditions.site_words(text) == _site_words_direct(text) == words
