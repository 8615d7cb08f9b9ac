"""The remembered scores of a measured mitotic count or necrosis (``cds.grade_sets``) are
exactly what the direct computation gives, for every value, in any order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cds import grade_sets
from cds.grade_sets import component_scores, direct_component_scores
from cds.grading import MITOTIC, NECROSIS
from cds.model import Problem, TraceStep
from cds.numbers import memo_key
from cds.tables import Table

COMPONENTS = [(MITOTIC, "mitotic-count", " per 10 HPF"), (NECROSIS, "necrosis", "%")]
# Equal as numbers, shown differently: a memo keyed on the Decimal would mix them up.
VALUES: list[Decimal | int] = [
    *[Decimal(t) for t in ("8.3", "8.30", "10", "1E+1", "10.0", "0", "-0", "0.00", "-1")],
    *[Decimal(t) for t in ("49.999", "50", "5E+1", "100", "100.0", "101", "1E+30", "NaN")],
    *[Decimal(t) for t in ("Infinity", "9" * 19, "1." + "0" * 70)],
    *[0, 1, 9, 10, 19, 20, 50, 99, 100, 1000, -3, 2**64, 2**70],
]


def _both(
    component: Table, name: str, unit: str, value: Decimal | int | None
) -> tuple[object, object]:
    out: list[tuple[object, list[Problem], list[TraceStep]]] = []
    for compute in (component_scores, direct_component_scores):
        problems: list[Problem] = []
        trace: list[TraceStep] = []
        scores = compute(component, name, value, None, unit=unit, problems=problems, trace=trace)
        out.append((scores, problems, trace))
    return out[0], out[1]


def _same(memo: object, direct: object) -> None:
    assert memo == direct
    assert repr(memo) == repr(direct)  # the words too (Decimal("8.30") is not shown as 8.3)


@pytest.mark.parametrize(("component", "name", "unit"), COMPONENTS, ids=lambda c: str(c)[:20])
def test_every_value_the_same_as_direct_twice(component: Table, name: str, unit: str) -> None:
    for _ in range(2):  # the second round is answered from the memo
        for value in VALUES:
            _same(*_both(component, name, unit, value))


@given(
    st.sampled_from(COMPONENTS),
    st.one_of(
        st.integers(min_value=-5, max_value=200),
        st.decimals(allow_nan=False, allow_infinity=False, places=2, max_value=150, min_value=-1),
        st.decimals(),
        st.booleans(),
    ),
)
def test_any_value_the_same_as_direct(component: tuple[Table, str, str], value: object) -> None:
    table_, name, unit = component
    _same(*_both(table_, name, unit, value))  # type: ignore[arg-type]


def test_only_short_exact_keys_are_remembered() -> None:
    assert memo_key(Decimal("8.30")) == "8.30"
    assert memo_key(Decimal("8.3")) == "8.3"
    assert memo_key(10) == 10
    assert memo_key(True) is None  # a bool is not the int 1
    assert memo_key(2**70) is None
    assert memo_key(Decimal("1." + "0" * 70)) is None  # text over 64 characters
    assert memo_key(None) is None
    grade_sets._value_scores.cache_clear()
    _both(NECROSIS, "necrosis", "%", Decimal("1." + "0" * 70))
    assert grade_sets._value_scores.cache_info().currsize == 0
