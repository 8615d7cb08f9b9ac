"""Remembered Observation readings (hooks.fhir.readings) are the direct readings: two
Observations with the same key read exactly the same (compared by repr, so 8.3 and 8.30, 0.0
and -0.0, 85 and 85.0 count as different), on every Observation of the repository's charts,
on a grid of edge values and on generated ones; and the check finds a key that confuses
values that read differently."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hooks.fhir import readings
from hooks.fhir.read import feature_of, read_value
from tests.fhir.test_shape import RESOURCES

FEATURES = tuple(readings._KEYS)
SCT = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"


def direct(resource: dict[str, Any], feature: str) -> str:
    """The direct reading, exactly (repr tells Decimal('8.3') from Decimal('8.30')), or the
    exception it raises."""
    try:
        return repr(read_value(resource, feature))
    except Exception as error:  # the same exception must come from the memory
        return f"raises {type(error).__name__}: {error}"


def conflicts(resources: Iterable[dict[str, Any]], feature: str) -> list[tuple[str, str]]:
    """Pairs of different direct readings of resources with the same key."""
    seen: dict[Hashable, str] = {}
    found = []
    for resource in resources:
        key = readings._KEYS[feature](resource)
        if key is None:
            continue
        reading = direct(resource, feature)
        if seen.setdefault(key, reading) != reading:
            found.append((seen[key], reading))
    return found


OBSERVATIONS = [r for _, r in RESOURCES if r.get("resourceType") == "Observation"]


def test_the_corpus_has_observations_of_every_feature() -> None:
    features = {f[0] for r in OBSERVATIONS if (f := feature_of(r.get("code"))) is not None}
    assert set(FEATURES) <= features


@pytest.mark.parametrize("feature", FEATURES)
def test_same_key_same_reading_on_every_chart(feature: str) -> None:
    assert conflicts(OBSERVATIONS, feature) == []


@pytest.mark.parametrize("feature", FEATURES)
def test_the_remembered_reading_is_the_direct_one(feature: str) -> None:
    readings._readings.clear()
    for resource in OBSERVATIONS:
        for _ in range(2):  # first read, then remembered
            try:
                got = repr(readings.reading(resource, feature, read_value))
            except Exception as error:
                got = f"raises {type(error).__name__}: {error}"
            assert got == direct(resource, feature)


# ------------------------------------------------------------------------- edge values

NUMBERS: list[Any] = [
    85, 85.0, "85", Decimal("85"), Decimal("85.0"), Decimal("8.5E+1"), 8.3, Decimal("8.3"),
    Decimal("8.30"), "8.30", 0, 0.0, -0.0, Decimal("0"), Decimal("-0"), Decimal("0E+2"), True,
    False, 1, 1.0, None, float("nan"), float("inf"), -float("inf"), 10**30, 2**64, 2**63,
    -(2**63), 1e300, "1E+500000", " 8.3 ", "", [8.3], {"value": 1}, 12, 12.5, 150, 150.0,
]  # fmt: skip
COMPARATORS: list[Any] = [None, "<", ">=", "ad", 5, ""]
UNITS: list[Any] = [None, "cm", "mm", "%", "/10.[HPF]", "/10 HPF", "1/mm2", "mm²", "", 3]
SYSTEMS: list[Any] = [None, UCUM, "http://example.org", 1]


def quantities() -> Iterable[dict[str, Any]]:
    for number, comparator in itertools.product(NUMBERS, COMPARATORS):
        yield {"valueQuantity": {"value": number, "comparator": comparator, "unit": "cm"}}
        yield {"valueQuantity": {"value": number, "code": "mm", "system": UCUM}}
    for unit, code, system in itertools.product(UNITS, UNITS, SYSTEMS):
        quantity = {"value": 12, "unit": unit, "code": code, "system": system}
        yield {"valueQuantity": {k: v for k, v in quantity.items() if v is not None}}
        yield {"valueQuantity": quantity}
    yield {"valueQuantity": {"value": 12}, "valueInteger": 12}
    yield {"valueQuantity": {"value": 12}, "valueInteger": None}
    yield {"valueQuantity": {"value": 12}, "valueString": "3 cm"}
    yield {"valueQuantity": {"value": 12, "unit": "cm"}, "component": []}
    yield {"valueQuantity": {"value": 12, "unit": "cm"}, "component": None}
    greatest = {"coding": [{"system": "http://loinc.org", "code": "33728-7"}]}
    for code in (None, greatest):  # a component's greatest dimension, read unless the code is
        yield {
            "code": code,
            "valueQuantity": {"value": 12, "unit": "cm"},
            "component": [{"code": greatest, "valueQuantity": {"value": 30, "unit": "mm"}}],
        }
    yield {"valueQuantity": {"value": 12}, "valueCodeableConcept": {"text": "present"}}
    yield {"valueQuantity": None, "valueString": "12 mm"}
    yield {"valueString": "12 mm"}
    yield {}


CONCEPTS: list[Any] = [
    None, {}, "G2", [], {"text": "G2"}, {"text": "g2 "}, {"text": ""}, {"text": 2},
    {"coding": None}, {"coding": []}, {"coding": {"system": SCT, "code": "1228850007"}},
    {"coding": [{"system": SCT, "code": "1228850007"}]},
    {"coding": [{"system": SCT, "code": "1228850007"}], "text": "G2"},
    {"coding": [{"system": SCT, "code": "1228850007", "display": "Grade 3"}]},
    {"coding": [{"code": "1228850007"}, {"system": SCT, "code": "1228929004"}]},
    {"coding": [{"system": SCT, "code": "1228929004"}], "text": "pT2"},
    {"coding": [{"system": SCT, "code": "1229967007"}], "text": "cN0"},
    {"coding": [{"system": SCT, "code": "1229901006", "display": "cM0"}]},
    {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/icd-o-3", "code": "8890/3"}]},
    {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/icd-o-3", "display": "8890/3"}]},
    {"coding": [{"system": SCT, "code": "51549004"}], "text": "Leiomyosarcoma"},
    {"coding": [{"system": SCT, "code": 5}]}, {"coding": ["G2"]}, {"coding": [None]},
    {"text": "high grade"}, {"text": "grade 2 of 3"}, {"text": "Stage IIIA"},
    {"coding": [{"system": SCT, "code": "1228850007"}], "text": "G2", "id": "x"},
]  # fmt: skip
STRINGS: list[Any] = [None, "G3", "cT2", "leiomyosarcoma", "", 3, "  high grade  "]
METHODS: list[Any] = [
    None,
    {"coding": [{"system": SCT, "code": "703546005"}], "text": "FNCLCC"},
    {"coding": [{"system": SCT, "code": "1"}]},
    {"text": "Nottingham"},
]


def coded() -> Iterable[dict[str, Any]]:
    for concept, string, method in itertools.product(CONCEPTS, STRINGS, METHODS):
        resource: dict[str, Any] = {"valueCodeableConcept": concept, "valueString": string}
        if method is not None:
            resource["method"] = method
        yield resource
        yield {k: v for k, v in resource.items() if v is not None}


@pytest.mark.parametrize("feature", ["size", "mitoses", "necrosis"])
def test_same_key_same_reading_on_edge_quantities(feature: str) -> None:
    assert conflicts(quantities(), feature) == []


@pytest.mark.parametrize("feature", ["grade", "histology", "t", "n", "m", "stage"])
def test_same_key_same_reading_on_edge_concepts(feature: str) -> None:
    assert conflicts(coded(), feature) == []


def test_most_edge_values_are_kept() -> None:
    """The grid exercises the memory, not only the direct path."""
    kept = [r for r in quantities() if readings._KEYS["size"](r) is not None]
    assert len(kept) > 200
    kept = [r for r in coded() if readings._KEYS["grade"](r) is not None]
    assert len(kept) > 200


# --------------------------------------------------------------------------- generated

values = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from(["8.3", "8.30", "-0", "5E+1", "x"]),
    st.none(),
    st.booleans(),
)
texts = st.one_of(st.none(), st.sampled_from(["cm", "mm", "%", "<", ">=", UCUM, "", "G2"]))


@settings(max_examples=300)
@given(st.lists(st.tuples(values, texts, texts, texts, texts), min_size=2, max_size=12))
def test_same_key_same_reading_on_generated_quantities(
    rows: list[tuple[Any, Any, Any, Any, Any]],
) -> None:
    resources = [
        {"valueQuantity": {"value": v, "comparator": c, "system": s, "code": k, "unit": u}}
        for v, c, s, k, u in rows
    ]
    # Each value also next to the same value of the other number types
    resources += [
        {"valueQuantity": {**r["valueQuantity"], "value": other}}
        for r in resources
        for other in (_same_number(r["valueQuantity"]["value"]))
    ]
    for feature in ("size", "mitoses", "necrosis"):
        assert conflicts(resources, feature) == []


def _same_number(value: Any) -> list[Any]:
    """Other spellings of ``value``'s number (int, float, Decimal, text)."""
    if isinstance(value, bool) or value is None:
        return [int(bool(value))]
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return []
    if not number.is_finite() or abs(number.adjusted()) > 30:
        return [str(value)]
    return [number, str(number), float(number), number.normalize(), int(number)]


# ------------------------------------------------------------------ the check can fail


def _confusing(keyed: Callable[[object], Any]) -> Callable[[object], Any]:
    """A broken quantity key: the number by value, not by its type and text."""

    def key(value: object) -> Any:
        found = keyed(value)
        if found is None or not isinstance(value, dict):
            return found
        number = value.get("value")
        return (number if isinstance(number, int | float) else found[1], *found[2:])

    return key


def test_the_check_finds_a_key_that_confuses_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readings, "_quantity", _confusing(readings._quantity))
    assert conflicts(quantities(), "size") != []


def test_the_check_finds_a_key_that_forgets_the_method(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(readings._KEYS, "grade", readings._coded_key("grade"))
    assert conflicts(coded(), "grade") != []
