"""``hooks.fhir.read.effective`` reads effectiveDateTime first and the other times only when
it is not a date; compared with the plain definition (every candidate in order) on every
Observation of the repository's charts and on generated times, including malformed ones (a
period that is not an object raises in both)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hooks.fhir.read import JSON, effective, parse_when
from tests.fhir.test_shape import RESOURCES


def _plain(resource: JSON) -> tuple[str | None, datetime | None]:
    for raw in (
        resource.get("effectiveDateTime"),
        resource.get("effectiveInstant"),
        (resource.get("effectivePeriod") or {}).get("end"),
        (resource.get("effectivePeriod") or {}).get("start"),
        resource.get("issued"),
    ):
        when = parse_when(raw)
        if when is not None:
            return str(raw), when
    return None, None


def _outcome(read: Any, resource: JSON) -> object:
    try:
        return read(resource)
    except AttributeError as error:
        return type(error)


_TIME = st.one_of(
    st.none(),
    st.sampled_from(["2025", "2025-02", "2025-02-04", "2025-02-04T12:45:00Z", "", "soon", 7]),
)
_PERIOD = st.one_of(
    st.none(),
    st.fixed_dictionaries({}, optional={"start": _TIME, "end": _TIME}),
    st.sampled_from(["2025", [], {}]),
)


@settings(max_examples=500)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "effectiveDateTime": _TIME,
            "effectiveInstant": _TIME,
            "effectivePeriod": _PERIOD,
            "issued": _TIME,
        },
    )
)
def test_generated_times_read_as_the_plain_definition(resource: dict[str, Any]) -> None:
    assert _outcome(effective, resource) == _outcome(_plain, resource)


def test_every_observation_of_the_charts_reads_as_before() -> None:
    observations = [r for _, r in RESOURCES if r.get("resourceType") == "Observation"]
    assert len(observations) > 150
    for resource in observations:
        assert effective(resource) == _plain(resource)


def test_the_candidates_are_tried_in_order() -> None:
    period = {"start": "2025-01-01", "end": "2025-02-01"}
    cases = [
        ({"effectiveDateTime": "2025-03-01", "effectivePeriod": period}, "2025-03-01"),
        ({"effectiveInstant": "2025-04-01T00:00:00Z", "effectivePeriod": period}, None),
        ({"effectiveDateTime": "soon", "effectivePeriod": period}, "2025-02-01"),
        ({"effectivePeriod": {"start": "2025-01-01"}, "issued": "2025-05-01"}, "2025-01-01"),
        ({"issued": "2025-05-01T10:00:00Z"}, "2025-05-01T10:00:00Z"),
    ]
    for resource, expected in cases:
        found = effective(resource)
        assert found == _plain(resource)
        if expected is not None:
            assert found[0] == expected


def test_a_period_that_is_not_an_object_still_raises() -> None:
    resource = {"effectiveDateTime": "2025-02-04", "effectivePeriod": "2025"}
    assert _outcome(effective, resource) is AttributeError is _outcome(_plain, resource)
