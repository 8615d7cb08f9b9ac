"""``cds.frozen.builder`` makes exactly the object the dataclass's own ``__init__`` makes."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cds.frozen import builder
from cds.model import Assessment, FnclccScores, GradeResult, TraceStep, TumorInputs
from cds.numbers import Checked, Verdict
from hooks.fhir.model import Extraction, Source, TumorReport
from hooks.fhir.read import Finding, Links
from tests.cds.same_object import same_object as _same

BUILT = [
    Finding, Source, Links, Checked, TumorInputs, Assessment, Extraction,
    TumorReport, FnclccScores, GradeResult, TraceStep,
]  # fmt: skip
_VALUE = st.one_of(
    st.none(), st.text(max_size=5), st.integers(), st.booleans(), st.tuples(st.text(max_size=3))
)


@pytest.mark.parametrize("cls", BUILT, ids=lambda c: c.__name__)
def test_the_same_parameters_and_defaults_as_init(cls: type) -> None:
    own = list(inspect.signature(cls).parameters.values())
    built = list(inspect.signature(builder(cls)).parameters.values())
    assert [(p.name, p.default) for p in built] == [(p.name, p.default) for p in own]


@pytest.mark.parametrize("cls", BUILT, ids=lambda c: c.__name__)
@given(data=st.data())
def test_the_same_object_as_init(cls: type, data: st.DataObject) -> None:
    names = [f.name for f in dataclasses.fields(cls)]
    required = [f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING]
    given_names = required + [n for n in names if n not in required and data.draw(st.booleans())]
    values = {n: data.draw(_VALUE) for n in given_names}
    _same(builder(cls)(**values), cls(**values))
    positional = [values[n] for n in names if n in values][: len(required)]
    _same(builder(cls)(*positional), cls(*positional))


def test_the_built_object_stays_frozen_and_hashes_alike() -> None:
    made = builder(Source)("Observation/x", "2025-01-01", "final", "8 cm")
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.text = "9 cm"  # type: ignore[misc]
    assert hash(made) == hash(Source("Observation/x", "2025-01-01", "final", "8 cm"))
    verdict = builder(Checked)(None, Verdict.IMPOSSIBLE, "no")
    assert verdict == Checked(None, Verdict.IMPOSSIBLE, "no")


def test_classes_it_cannot_build_alike_are_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Factory:
        a: list[int] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True, slots=True)
    class Post:
        a: int

        def __post_init__(self) -> None:
            pass

    for cls in (NoSlots, Factory, Post):
        with pytest.raises(TypeError):
            builder(cls)
