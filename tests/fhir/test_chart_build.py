"""``chart._new_chart`` builds what ``Chart()`` builds (every field, in order, equal and
fresh), so ``collect`` may use it in place of the dataclass's ``__init__``."""

from __future__ import annotations

import dataclasses

from hooks.fhir.chart import Chart, _new_chart


def test_the_built_chart_is_the_default_chart() -> None:
    built, default = _new_chart(), Chart()
    assert type(built) is Chart
    assert built == default
    assert list(vars(built)) == [f.name for f in dataclasses.fields(Chart)] == list(vars(default))
    again = _new_chart()
    for f in dataclasses.fields(Chart):
        value = getattr(built, f.name)
        if isinstance(value, dict | list):
            assert value is not getattr(again, f.name)  # a fresh container per chart
