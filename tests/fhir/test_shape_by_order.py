"""A resource checked by the function of its own order of fields (hooks.fhir.element_check
``by_shape`` / ``shape_check``) gets the general compiled function's verdict: on every resource
of the corpus and every mutation of a sample of them, each with the function written for its
own order of fields; orders that can never be valid get no function; the number of orders given
a function is bounded; and the dispatcher really uses them (a general check that accepts
everything does not change a rejected verdict)."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest

from hooks.fhir import element_check, shape
from tests.fhir.test_shape_equivalence import CORPUS, MUTATED, _mutants

_ELEMENTS = {
    "Observation": shape._OBSERVATION,
    "Condition": shape._CONDITION,
    "BodyStructure": shape._BODY_STRUCTURE,
}


_WRITTEN: dict[tuple[str, tuple[Any, ...]], element_check.Check | None] = {}


def _by_own_order(element: element_check.Element, resource: Any) -> bool | None:
    """The verdict of the function written for ``resource``'s order of fields (None: none)."""
    key = (element.name, tuple(resource))
    if key not in _WRITTEN:  # written once per order (most mutations keep the order)
        _WRITTEN[key] = element_check.shape_check(element, key[1], shape._PRIMITIVES, shape._NAMES)
    check = _WRITTEN[key]
    return None if check is None else check(resource)


def _same(resource: Any, element: element_check.Element) -> bool | None:
    general = shape._CHECKS[element.name](resource)
    own = _by_own_order(element, resource)
    if own is None:
        assert not general, resource  # no function: no dict of that order is valid
    else:
        assert own == general, resource
    if resource.get("resourceType") == element.fields["resourceType"].codes[0]:  # type: ignore[union-attr]
        assert shape.surely_valid(resource) == general, resource
    return own


def test_every_resource_of_the_corpus() -> None:
    read = [r for r in CORPUS if r.get("resourceType") in _ELEMENTS]
    verdicts = [_same(r, _ELEMENTS[r["resourceType"]]) for r in read]
    assert verdicts.count(True) > 500  # most are valid and have a function of their own


@pytest.mark.parametrize("resource", MUTATED[::10], ids=[r.get("id", "?") for r in MUTATED[::10]])
def test_every_mutation(resource: dict[str, Any]) -> None:
    element = _ELEMENTS[resource["resourceType"]]
    verdicts = {_same(mutant, element) for mutant in _mutants(resource)}
    assert {True, False, None} <= verdicts


def test_orders_that_cannot_be_valid_get_no_function() -> None:
    observation = next(r for r in CORPUS if r.get("resourceType") == "Observation")
    element = shape._OBSERVATION
    for keys in (
        (),
        (*observation, "unknownElement"),
        tuple(k for k in observation if k != "status"),  # a required element missing
        (*observation, "valueString"),  # a second value[x]
        (*observation, 1),
    ):
        assert element_check.shape_check(element, keys, shape._PRIMITIVES, shape._NAMES) is None
    extension = shape._EXTENSION  # exactly two fields
    for keys in (("url",), ("url", "valueString", "valueCode")):
        assert element_check.shape_check(extension, keys, shape._PRIMITIVES, {}) is None


def test_values_are_read_in_the_order_of_their_fields() -> None:
    observation = copy.deepcopy(next(r for r in CORPUS if r.get("resourceType") == "Observation"))
    swapped = dict(reversed(observation.items()))
    check = element_check.shape_check(
        shape._OBSERVATION, tuple(observation), shape._PRIMITIVES, shape._NAMES
    )
    assert check is not None
    assert check(observation)
    # The function of one order never sees another: by_shape compares the keys first.
    assert shape.surely_valid(swapped) == shape._CHECKS["OBSERVATION"](swapped)


def test_the_dispatcher_uses_the_function_of_the_order_and_is_bounded() -> None:
    compiled: list[tuple[Any, ...]] = []

    def counting(*args: Any) -> Any:
        compiled.append(args[1])
        return original(*args)

    original = element_check.shape_check
    element_check.shape_check = counting
    try:
        accept_all = element_check.by_shape(
            shape._OBSERVATION, lambda v: True, shape._PRIMITIVES, shape._NAMES
        )
        base = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
        assert accept_all(base)
        assert not accept_all(base | {"status": "not a status"})  # the function's verdict
        assert len(compiled) == 1  # one order, one function, reused
        assert accept_all({"unknown": 1})  # no function: the general check's verdict
        compiled.clear()
        fields = {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                  "id": "x", "language": "en"}  # fmt: skip
        orders = list(itertools.permutations(fields))
        assert len(orders) > element_check.SHAPES_MAX
        rejected = 0
        for order in orders:
            assert accept_all({key: fields[key] for key in order})
            rejected += not accept_all({key: fields[key] for key in order} | {"id": "bad id"})
        # The bound (one order was learned before): past it, the general check answers.
        assert len(compiled) == rejected == element_check.SHAPES_MAX - 1
    finally:
        element_check.shape_check = original


def test_problem_looks_the_function_of_the_order_up_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``shape.problem`` reads the function of a resource's order from ``shape._SHAPES`` (the
    dispatcher's own memory), not through ``surely_valid``: its verdict is still
    ``surely_valid``'s, then R4B's, on valid resources and on invalid ones of a known order."""
    observation = next(r for r in CORPUS if r.get("resourceType") == "Observation")
    assert shape.surely_valid(observation)  # its order now has a function
    order = tuple(observation)
    assert order in shape._SHAPES["Observation"]
    calls: list[Any] = []
    written = shape._SHAPES["Observation"][order]

    def counting(v: Any) -> bool:
        calls.append(v)
        return written(v)

    monkeypatch.setitem(shape._SHAPES["Observation"], order, counting)
    monkeypatch.setattr(shape, "surely_valid", lambda v: pytest.fail("not looked up directly"))
    bad = copy.deepcopy(observation)
    bad["id"] = "bad id!"  # outside the id pattern: R4B rejects it too
    assert shape.problem(observation) is None
    reason = shape.problem(bad)
    assert reason is not None
    assert reason == shape.r4b.problem(bad)
    assert calls == [observation, bad]
    monkeypatch.undo()
    for resource in CORPUS:
        if resource.get("resourceType") in _ELEMENTS and not shape.surely_valid(resource):
            continue  # R4B decides those (asserted in test_shape.py)
        if resource.get("resourceType") in _ELEMENTS:
            assert shape.problem(resource) is None, resource
