"""The compiled validity check (hooks.fhir.shape, written out by hooks.fhir.element_check) gives
exactly the verdict of the plain check it replaced (tests/fhir/shape_oracle.py: one closure per
element), on every resource of the repository's charts and fixtures, on the benchmark charts,
on systematic and random mutations of them, and on every primitive value tried character by
character. Each input is checked twice, so the second answer comes from the remembered values
(codes, code systems, dates, times) and must not differ either."""

from __future__ import annotations

import copy
import itertools
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.charts import chart_request
from hooks.fhir import element_check, shape
from tests.fhir import shape_oracle
from tests.fhir.test_shape import RESOURCES

BASE = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}


def same_verdict(resource: Any) -> None:
    expected = shape_oracle.surely_valid(resource)
    assert shape.surely_valid(resource) == expected, resource
    assert shape.surely_valid(resource) == expected, resource  # now from what was remembered


def _all_resources(data: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object with a resourceType, at any depth (Bundles and their entries)."""
    if isinstance(data, dict):
        if "resourceType" in data:
            yield data
        for value in data.values():
            yield from _all_resources(value)
    elif isinstance(data, list):
        for value in data:
            yield from _all_resources(value)


BENCH = [r for n in range(60) for r in _all_resources(chart_request(n)["prefetch"])]
CORPUS = [resource for _, resource in RESOURCES] + BENCH


def test_the_corpus_has_every_kind_of_resource() -> None:
    kinds = {r["resourceType"] for r in CORPUS}
    assert {"Observation", "Condition", "BodyStructure", "Patient", "Bundle"} <= kinds
    assert sum(shape_oracle.surely_valid(r) for r in CORPUS) > 1000


def test_same_verdict_on_every_resource_and_bench_chart() -> None:
    for resource in CORPUS:
        same_verdict(resource)


# ---- systematic mutations: every place of every distinct resource -------------------------

_BAD: tuple[Any, ...] = (
    None, "", " ", " padded", "padded ", "two  spaces", "has space", "tab\there", "new\nline",
    "\u00a0nbsp", "x\u2003", "bad id!", "a" * 65, "é", 0, 1, -1, 1.5, -0.0, float("inf"),
    float("nan"), 10**15, -(10**15), 10**15 - 1, 2**31, -(2**31), -(2**31) - 1, 2**31 - 1,
    True, False, {}, [], [{}], [[]], [None], [[{"text": "x"}]], {"unknown": "x"},
    {"text": "x"}, [{"text": "x"}], {"reference": "Patient/1"}, [{"reference": "Patient/1"}],
    {"coding": [{"system": "http://loinc.org", "code": "1-8"}]}, "2023-02-30", "2024-02-29",
    "2023-02-29", "2025-04-31", "2025-13-01", "2025-00-10", "2025-02-03T25:00:00Z",
    "2025-02-03T10:00:00", "2025-02-03T10:00:00+14:00", "2025-02-03T10:00:00.12Z", "2025",
    "2025-02", "2025-02-03T", "0999-01-01", "2025-02-03T10:00:00.123-05:00", "final",
    "Observation", "urn:uuid:1", "a b", "a  b", {"value": 1, "unit": "cm"}, {"start": "2025"},
)  # fmt: skip


def _places(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        yield (*path, "<new>")
        for key, value in node.items():
            yield (*path, key)
            yield from _places(value, (*path, key))
    elif isinstance(node, list):
        yield (*path, "<append>")
        for i, value in enumerate(node):
            yield (*path, i)
            yield from _places(value, (*path, i))


def _mutants(resource: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The resource with each element removed, replaced by each bad value, doubled into a list
    or unwrapped, joined by an unknown element or a second choice value, at every place."""
    for place in _places(resource, ()):
        *steps, last = place
        for bad in ("<delete>", "<wrap>", "<unwrap>", "<second-choice>", *_BAD):
            mutant = copy.deepcopy(resource)
            parent = mutant
            for step in steps:
                parent = parent[step]
            if last == "<new>":
                if bad == "<delete>":
                    parent.clear()
                elif bad == "<second-choice>":
                    parent.update(valueString="x", effectiveInstant="2025-01-01T00:00:00Z")
                elif isinstance(bad, str) and bad.startswith("<"):
                    continue
                else:
                    parent["unknownElement"] = copy.deepcopy(bad)
            elif last == "<append>":
                if isinstance(bad, str) and bad.startswith("<"):
                    continue
                parent.append(copy.deepcopy(bad))
            elif bad == "<delete>":
                del parent[last]
            elif bad == "<wrap>":
                parent[last] = [parent[last]]
            elif bad == "<unwrap>":
                value = parent[last]
                if not (isinstance(value, list) and value):
                    continue
                parent[last] = value[0]
            elif bad == "<second-choice>":
                continue
            else:
                parent[last] = copy.deepcopy(bad)
            yield mutant


def _distinct(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for resource in resources:
        key = repr(resource)
        if key not in seen:
            seen.add(key)
            out.append(resource)
    return out


MUTATED = [
    r
    for r in _distinct(CORPUS)
    if r["resourceType"] in {"Observation", "Condition", "BodyStructure"}
][:150]


@pytest.mark.parametrize("resource", MUTATED, ids=[r.get("id", "?") for r in MUTATED])
def test_same_verdict_on_every_mutation(resource: dict[str, Any]) -> None:
    verdicts = set()
    for mutant in _mutants(resource):
        same_verdict(mutant)
        verdicts.add(shape_oracle.surely_valid(mutant))
    assert verdicts == {True, False}  # the mutations reach both verdicts


# ---- random mutations -----------------------------------------------------------------------

_KEYS = [
    "text", "coding", "system", "code", "display", "reference", "value", "unit", "start", "end",
    "url", "valueString", "valueCodeableConcept", "userSelected", "versionId", "lastUpdated",
    "other",
]  # fmt: skip
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**33), max_value=2**33)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(_BAD)
    | st.text(alphabet=st.sampled_from("aZ09-.:/ \t\u00a0\u2028T+Z"), max_size=25),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=4)
    ),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_same_verdict_on_random_mutations(data: st.DataObject) -> None:
    resource = copy.deepcopy(data.draw(st.sampled_from(MUTATED)))
    for _ in range(data.draw(st.integers(1, 3))):
        places = [p for p in _places(resource, ()) if p[-1] not in {"<new>", "<append>"}]
        *steps, last = data.draw(st.sampled_from(places))
        parent = resource
        for step in steps:
            parent = parent[step]
        parent[last] = copy.deepcopy(data.draw(_json))  # _BAD's objects stay as they are
    same_verdict(resource)


# ---- primitives, value by value -------------------------------------------------------------

_WHITESPACE = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
_CHARACTERS = [chr(c) for c in range(0x3100)] + _WHITESPACE + ["\U0001f600", "\udc80"]

# Where each primitive type sits in a minimal valid Observation.
_PLACES = {
    "string": lambda v: BASE | {"code": {"text": v}},
    "uri": lambda v: BASE | {"implicitRules": v},
    "code": lambda v: BASE | {"language": v},
    "id": lambda v: BASE | {"id": v},
    "dateTime": lambda v: BASE | {"effectiveDateTime": v},
    "instant": lambda v: BASE | {"issued": v},
    "decimal": lambda v: BASE | {"valueQuantity": {"value": v}},
    "integer": lambda v: BASE | {"valueInteger": v},
    "boolean": lambda v: BASE | {"valueBoolean": v},
    "one of": lambda v: BASE | {"status": v},
}


@pytest.mark.parametrize("kind", ["string", "uri", "code", "id"])
def test_text_types_character_by_character(kind: str) -> None:
    place = _PLACES[kind]
    for c in _CHARACTERS:
        for text in (c, f"a{c}", f"{c}a", f"a{c}b", f"a {c}b", f"a{c}{c}b", f"{c} a", c * 65):
            same_verdict(place(text))


def test_dates_and_instants_value_by_value() -> None:
    times = ("", "T", "T00:00:00Z", "T23:59:59.123+13:59", "T12:00:00-05:00", "T24:00:00Z",
             "T10:00:00", "T10:00:00.1Z", "T10:00:00+14:00", " ", "Z")  # fmt: skip
    texts = [
        f"{year}-{month:02d}-{day:02d}{time}"
        for year in ("2023", "2024", "1900", "0999")
        for month in range(14)
        for day in range(33)
        for time in times
    ] + ["2025", "2025-02", "2025-2", "20250203", "", "2025-02-03 ", " 2025-02-03"]
    for kind in ("dateTime", "instant"):
        for text in texts:
            same_verdict(_PLACES[kind](text))
    # Any remembered date joined to any remembered time: the halves are remembered apart.
    dates = ["2024-02-29", "2023-02-28", "2023-02-29", "2023-04-31", "2023"]
    rests = ["", "T10:00:00Z", "T99:00:00Z", "T10:00:00+05:30"]
    for date, rest in itertools.product(dates, rests):
        for kind in ("dateTime", "instant"):
            same_verdict(_PLACES[kind](date + rest))


def test_numbers_and_codes_value_by_value() -> None:
    values: list[Any] = [
        0, -1, 1, 10**15, 10**15 - 1, -(10**15), -(10**15) + 1, 2**31, 2**31 - 1, -(2**31),
        -(2**31) - 1, 10**400, 0.5, -0.0, float("inf"), float("-inf"), float("nan"), 1e308,
        True, False, None, "1", [1], "final", "unknown", "Final", "final ", "registered",
    ]  # fmt: skip
    for kind in ("decimal", "integer", "boolean", "one of", "string", "code", "uri"):
        for value in values:
            same_verdict(_PLACES[kind](value))


def test_every_type_of_non_dict_resource_and_mapping() -> None:
    class Weird(dict):  # type: ignore[type-arg]
        pass

    observation = copy.deepcopy(next(r for r in CORPUS if r["resourceType"] == "Observation"))
    for resource in (
        {},
        {"resourceType": 1},
        {"resourceType": "Patient"},
        Weird(observation),
        observation | {"code": Weird(observation["code"])},
        observation | {"subject": Weird(observation["subject"])},
        observation | {"category": tuple(observation["category"])},
        observation | {1: "x"},
    ):
        same_verdict(resource)


def test_the_generated_text_is_the_rules_written_out() -> None:
    """Both ways of finding a field (a chain of comparisons, a numbered lookup) are in use."""
    namespace: dict[str, Any] = {}
    source = element_check.compiled_source(
        [shape._OBSERVATION, shape._CODING], shape._PRIMITIVES, namespace
    )
    assert "def OBSERVATION(v):" in source
    assert "def CODING(v):" in source
    assert "elif k" in source  # the Coding's few fields
    assert any(name.startswith("INDEX_") for name in namespace)  # the Observation's many


def test_ids_without_the_pattern_character_by_character_and_by_length() -> None:
    """The compiled id test (ASCII, length, "-" and "." made letters, alphanumeric) gives the
    pattern's verdict on every character alone and at every place of the longest ids, on the
    lengths around 64 and on the texts made of "-" and "." only (which are valid)."""
    compiled = eval(  # noqa: S307 - the rule's own expression, as the compiled checks use it
        "lambda x: " + shape._PRIMITIVES["id"].format(x="x"), dict(shape._NAMES)
    )
    texts: list[Any] = ["", "-", ".", "-.", "a-b.c", "-" * 64, "." * 65, "a" * 64, "a" * 65,
                        None, 1, b"a", ["a"]]  # fmt: skip
    for c in _CHARACTERS:
        texts += [c, c * 64, c * 65, "a" * 63 + c, c + "a" * 63, "-" + c, c + "."]
    for text in texts:
        assert bool(compiled(text)) == shape_oracle._id(text) == shape._id(text), repr(text)
    for text in texts[:30] + [c for c in _CHARACTERS if c.isalnum()]:
        same_verdict(_PLACES["id"](text))
