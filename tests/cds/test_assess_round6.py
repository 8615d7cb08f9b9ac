"""Shortcuts of this round in cds.assess and the tumor's Context: N and M members found by
value are the Enum calls' members (an unknown value still raises as the call does), and the
slot-built _Staged and Context are the objects their __init__ makes."""

from __future__ import annotations

from typing import Any

import pytest

from cds import assess
from cds.model import FnclccScores, M, N, Stage, Status
from hooks.fhir.chart import Chart
from hooks.fhir.tumor import Context, new_context
from tests.cds.same_object import same_object as _same


@pytest.mark.parametrize("enum", [N, M], ids=lambda e: e.__name__)
def test_members_by_value_are_the_enum_calls(enum: Any) -> None:
    by_value = assess._N_BY_VALUE if enum is N else assess._M_BY_VALUE
    assert set(by_value.values()) == set(enum)
    for member in enum:
        for value in (member.value, member):
            assert (by_value.get(value) or enum(value)) is enum(value)
    with pytest.raises(ValueError, match="is not a valid"):
        _ = by_value.get("N7") or enum("N7")


def test_the_slot_built_staged_is_the_init_one() -> None:
    args = (Stage.IIIA, Status.STAGED, None, (Stage.IIIA,), "why")
    _same(assess._new_staged(*args), assess._Staged(*args))
    _same(assess._new_staged(*args, collapsed=True), assess._Staged(*args, collapsed=True))


def test_the_slot_built_context_is_the_init_one() -> None:
    args = (Chart(), {}, ["Condition/a"], [], [], {}, {"Observation/o": "Condition/a"}, {})
    _same(new_context(*args), Context(*args))


_SCORE = [None, 0, 1, 2, 3]


def test_the_fnclcc_total_is_the_sum_of_known_parts() -> None:
    for d in _SCORE:
        for m in _SCORE:
            for n in _SCORE:
                parts = (d, m, n)
                plain = None if any(p is None for p in parts) else sum(p for p in parts if p)
                total = FnclccScores(d, m, n).total
                assert total == plain
                assert type(total) is type(plain)
