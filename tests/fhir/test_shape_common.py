"""The functions of a resource's field order read the small elements given in their common sets
of fields (``Element.common``: a Coding's system and code, a Reference's reference, ...) by key,
after their size, and leave every other dict to the element's general function
(hooks.fhir.element_check ``_Writer.common_fields``). That shortcut must never give another
verdict than the general check: here every such element of a resource, in each of its common
sets of fields, is given its keys in every order, a key missing, a key more (known, unknown,
not a text), a key swapped for another of the same size, each value replaced by values of
every wrong kind, and objects that are not plain dicts; the verdict of the function written for
the resource's order is compared with the general compiled check's and the oracle's."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from hooks.fhir import element_check, shape
from hooks.fhir.element_check import Element, Many, OneOf, Type
from tests.fhir import shape_oracle
from tests.fhir.test_shape_equivalence import BENCH

# One valid value of each primitive type.
_VALID = {
    "string": "x y",
    "id": "v-1.2",
    "code": "a-code",
    "uri": "http://example.org/cs",
    "boolean": True,
    "decimal": 1.5,
    "integer": 3,
    "dateTime": "2024-02-29",
    "instant": "2024-02-29T10:00:00Z",
}
# Values of every wrong kind (and some right ones for another field).
_OTHERS: tuple[Any, ...] = (
    None, "", " ", " x", "x ", "a b", "bad id!", "a" * 65, "2023-02-30", "2024-02-29T10:00:00",
    "2024", 0, -1, 1.5, float("nan"), float("inf"), 10**15, True, False, [], {}, [{}], [None],
    ["x"], {"text": "x"}, [{"text": "x"}], {"reference": "Patient/1"},
    [{"system": "http://x", "code": "c"}], "http://example.org/cs", "final", "<", "usual",
)  # fmt: skip


def _sample(t: Type) -> Any:
    """A valid value of ``t`` (an element in its first common set of fields)."""
    if isinstance(t, str):
        return _VALID[t]
    if isinstance(t, OneOf):
        return t.codes[0]
    if isinstance(t, Many):
        return [_sample(t.item)]
    names = t.common[0] if t.common else (t.required or (next(iter(t.fields)),))
    return {name: _sample(t.fields[name]) for name in names}


def _variants(e: Element, d: dict[Any, Any]) -> Iterator[Any]:
    """``d`` (a valid ``e``) changed in every way that may or may not keep it valid."""
    keys = list(d)
    for order in itertools.permutations(keys):
        yield {key: d[key] for key in order}
    for key in keys:
        yield {k: v for k, v in d.items() if k != key}  # one missing
        for other in [*e.fields, "unknownElement", 1]:
            if other not in d:  # one swapped for another of the same size
                swapped = {k: v for k, v in d.items() if k != key}
                swapped[other] = _sample(e.fields[other]) if other in e.fields else "x"
                yield swapped
        for bad in _OTHERS:  # one value of another kind
            yield d | {key: copy.deepcopy(bad)}
    for other in [*e.fields, "unknownElement", 1]:
        if other not in d:  # one more, valid or not
            yield d | {other: _sample(e.fields[other]) if other in e.fields else "x"}
            yield d | {other: None}
            yield {other: "x"} | d
    yield from ({}, [], [d], "x", None, 1, _Weird(d))


class _Weird(dict):  # type: ignore[type-arg]
    """A dict that is not a ``dict`` to ``type(v) is dict``."""


_WRITTEN: dict[tuple[str, tuple[Any, ...]], element_check.Check | None] = {}


def _same(element: Element, resource: dict[str, Any]) -> bool:
    """The verdict of the function of ``resource``'s order, asserted equal to the others."""
    key = (element.name, tuple(resource))
    if key not in _WRITTEN:
        _WRITTEN[key] = element_check.shape_check(element, key[1], shape._PRIMITIVES, shape._NAMES)
    own = _WRITTEN[key]
    general = shape._CHECKS[element.name](resource)
    assert own is not None
    assert own(resource) == general == shape_oracle.surely_valid(resource), resource
    assert own(resource) == general, resource  # again, from the remembered values
    return general


_O, _C, _B = shape._OBSERVATION, shape._CONDITION, shape._BODY_STRUCTURE
_CODING, _CONCEPT, _REFERENCE = shape._CODING, shape._CONCEPT, shape._REFERENCE
# Where each element with common sets of fields sits: the resource's rule, the field, the
# element, and the field's value made of the changed element ``d``.
_PLACES: list[tuple[Element, str, Element, Any]] = [
    (_O, "meta", shape._META, lambda d: d),
    (_O, "identifier", shape._IDENTIFIER, lambda d: [d]),
    (_O, "identifier", _CONCEPT, lambda d: [{"system": "http://x", "type": d}]),
    (_O, "category", _CONCEPT, lambda d: [d]),
    (_O, "code", _CONCEPT, lambda d: d),
    (_O, "code", _CODING, lambda d: {"coding": [d]}),
    (_O, "code", _CODING, lambda d: {"coding": [_sample(_CODING), d], "text": "x"}),
    (_O, "meta", _CODING, lambda d: {"versionId": "1", "tag": [d]}),
    (_O, "subject", _REFERENCE, lambda d: d),
    (_O, "performer", _REFERENCE, lambda d: [_sample(_REFERENCE), d]),
    (_O, "effectivePeriod", shape._PERIOD, lambda d: d),
    (_O, "valueQuantity", shape._QUANTITY, lambda d: d),
    (_O, "valueCodeableConcept", _CODING, lambda d: {"coding": [d], "text": "x"}),
    (_C, "meta", shape._META, lambda d: d),
    (_C, "clinicalStatus", _CONCEPT, lambda d: d),
    (_C, "clinicalStatus", _CODING, lambda d: {"coding": [d]}),
    (_C, "onsetPeriod", shape._PERIOD, lambda d: d),
    (_C, "recorder", _REFERENCE, lambda d: d),
    (_B, "patient", _REFERENCE, lambda d: d),
]
_BASES = {
    "OBSERVATION": {"resourceType": "Observation", "id": "o1", "status": "final",
                    "code": {"text": "x"}},
    "CONDITION": {"resourceType": "Condition", "id": "c1", "subject": {"reference": "P/1"}},
    "BODYSTRUCTURE": {"resourceType": "BodyStructure", "patient": {"reference": "P/1"}},
}  # fmt: skip
_CASES = [(*place, names) for place in _PLACES for names in place[2].common]


def test_every_element_with_common_sets_of_fields_has_a_place() -> None:
    assert {e.name for _, _, e, _ in _PLACES} == {
        "META", "IDENTIFIER", "CONCEPT", "CODING", "REFERENCE", "PERIOD", "QUANTITY"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("resource", "field", "e", "put", "names"),
    _CASES,
    ids=[f"{r.name}.{f}:{e.name}:{'+'.join(n)}" for r, f, e, _, n in _CASES],
)
def test_every_change_of_a_common_element_gets_the_general_verdict(
    resource: Element, field: str, e: Element, put: Any, names: tuple[str, ...]
) -> None:
    d = {name: _sample(e.fields[name]) for name in names}
    base = _BASES[resource.name]
    verdicts = set()
    for value in _variants(e, d):
        placed = put(copy.deepcopy(value))
        for changed in (base | {field: placed}, {field: placed} | base):
            verdicts.add(_same(resource, changed))
    assert verdicts == {True, False}


def test_the_shortcut_is_written_for_the_bench_orders_and_bounded() -> None:
    """The bench Observation's function reads its Codings by size and key, falls back to the
    general functions by name, and stays a bounded text."""
    observation = next(r for r in BENCH if r["resourceType"] == "Observation")
    namespace = dict(shape._NAMES)
    source = element_check.shape_source(
        shape._OBSERVATION, tuple(observation), shape._PRIMITIVES, namespace
    )
    assert source is not None
    assert "['system']" in source
    assert "except KeyError:" in source
    assert {"GENERAL_CODING", "GENERAL_CONCEPT", "GENERAL_REFERENCE"} <= set(namespace)
    assert len(source) < 40_000
    general = element_check.compiled_source([shape._OBSERVATION], shape._PRIMITIVES, {})
    assert "GENERAL_" not in general  # the general functions are the plain statements
    assert "['system']" not in general


def test_common_sets_of_fields_that_cannot_be_told_apart_or_valid_are_refused() -> None:
    fields: dict[str, Type] = {"a": "string", "b": "string", "c": "string"}
    for common in ((("a", "b"), ("a", "c")), (("a", "x"),), (("a", "a"),), (("b",),)):
        e = Element("E", fields, required=("a",), common=common)
        outer = Element("OUTER", {"e": e})
        with pytest.raises(ValueError, match="E:"):
            element_check.shape_check(outer, ("e",), shape._PRIMITIVES, {})
