"""``cds.frozen.every_field_builder`` (PrimaryTumor) makes exactly the object the dataclass's own
``__init__`` makes (the other slot-built values: tests/cds/test_frozen.py); the not-graded row
of a morphology, remembered, is the table's own answer."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cds import grading
from cds.frozen import every_field_builder
from hooks.fhir.model import PrimaryTumor
from tests.cds.same_object import same_object as _same

_VALUE = st.one_of(
    st.none(),
    st.text(max_size=5),
    st.integers(),
    st.booleans(),
    st.tuples(st.text(max_size=3)),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@pytest.mark.parametrize("cls", [PrimaryTumor], ids=lambda c: c.__name__)
@given(data=st.data())
def test_every_field_given_the_same_object_as_init(cls: type, data: st.DataObject) -> None:
    values = {f.name: data.draw(_VALUE) for f in dataclasses.fields(cls)}
    _same(every_field_builder(cls)(**values), cls(**values))
    positional = [values[f.name] for f in dataclasses.fields(cls)]
    _same(every_field_builder(cls)(*positional), cls(*positional))


def test_every_field_builder_wants_every_field() -> None:
    build: Any = every_field_builder(PrimaryTumor)
    with pytest.raises(TypeError):
        build(condition="Condition/x", description="x", inputs=None)


def test_the_remembered_not_graded_row_is_the_tables() -> None:
    morphologies = {row.key for row in grading.NOT_GRADED.rows}
    morphologies |= {"8890", "8802", "9044", "0000", "8800"}
    for morphology in sorted(morphologies):
        assert grading._not_graded(morphology) is grading.NOT_GRADED.first(morphology=morphology)
