"""The fifth round of reader shortcuts gives exactly what the plain computations give: a naive
date or time made aware without ``replace``, a tumor's core inputs built field by field, the
resolved status read by plain loops; each compared with the plain computation it replaces,
on every resource of the repository's charts and on generated input."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cds.interval import Interval
from cds.model import Grade, T, TumorInputs
from hooks.fhir.context import RESOLVED_STATUSES, resolved
from hooks.fhir.model import Source
from hooks.fhir.read import codings, parse_when
from hooks.fhir.tumor import CORE_NAMES, RANGED, _inputs
from tests.fhir.test_shape import RESOURCES

# ------------------------------------------------------------------------- parse_when


def _plain_parse_when(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    padded = text
    if len(text) == 4:
        padded = text + "-01-01"
    elif len(text) == 7:
        padded = text + "-01"
    try:
        moment = datetime.fromisoformat(padded.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _same_moment(text: Any) -> None:
    got, plain = parse_when(text), _plain_parse_when(text)
    assert got == plain, text
    if plain is not None:
        assert got is not None
        assert (repr(got), got.fold, got.tzinfo) == (repr(plain), plain.fold, plain.tzinfo), text


_MOMENT = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.none()
)


@settings(max_examples=500)
@given(_MOMENT, st.sampled_from(["date", "minutes", "seconds", "auto", "milliseconds"]))
def test_generated_naive_times_read_as_the_plain_definition(moment: datetime, spec: str) -> None:
    text = moment.date().isoformat() if spec == "date" else moment.isoformat(timespec=spec)
    _same_moment(text)
    _same_moment(text + "Z")
    _same_moment(text[:4])
    _same_moment(text[:7])


@settings(max_examples=300)
@given(st.text(max_size=30))
def test_generated_texts_read_as_the_plain_definition(text: str) -> None:
    _same_moment(text)


def test_chart_dates_read_as_the_plain_definition() -> None:
    seen = 0
    for _, resource in RESOURCES:
        for key in ("onsetDateTime", "recordedDate", "effectiveDateTime", "issued"):
            if key in resource:
                _same_moment(resource[key])
                seen += 1
    assert seen > 400
    for text in ["2025", "2025-02", "2025-02-06", "2025-02-06T10:00:00", "2025-W06-4", None, 5]:
        _same_moment(text)


# ------------------------------------------------------------------------------ inputs


def _plain_inputs(
    values: dict[str, Any], unread_sources: dict[str, Source], recurrent: bool
) -> TumorInputs:
    ranges = {k: values.pop(k) for k in RANGED if isinstance(values.get(k), Interval)}
    grade_options = values.pop("grade") if isinstance(values.get("grade"), tuple) else ()
    return TumorInputs(
        site=values.get("site"),
        topography=values.get("topography"),
        histology=values.get("histology"),
        size_cm=values.get("size_cm"),
        differentiation=values.get("differentiation"),
        mitoses=values.get("mitoses"),
        necrosis_pct=values.get("necrosis_pct"),
        grade=values.get("grade"),
        t=values.get("t"),
        n=values.get("n"),
        m=values.get("m"),
        stage=values.get("stage"),
        recurrent=recurrent,
        size_range=ranges.get("size_cm"),
        mitoses_range=ranges.get("mitoses"),
        necrosis_range=ranges.get("necrosis_pct"),
        grade_options=grade_options,
        unreadable=tuple(CORE_NAMES[k] for k in unread_sources if k in CORE_NAMES),
    )


_INTERVAL = st.sampled_from([Interval.bound(">", Decimal(5)), Interval.bound("<=", Decimal(50))])
_VALUE = st.one_of(
    st.none(),
    _INTERVAL,
    st.sampled_from([Decimal("8.3"), Decimal("8.30"), 12, Grade.G2, T.T2, "8890/3"]),
    st.sampled_from([(Grade.G2, Grade.G3), ()]),
)
_FIELDS = [
    "site", "topography", "histology", "size_cm", "differentiation", "mitoses", "necrosis_pct",
    "grade", "t", "n", "m", "stage",
]  # fmt: skip
_UNREAD = st.dictionaries(
    st.sampled_from([*CORE_NAMES, "t", "histology"]), st.just(Source("Observation/x"))
)


@settings(max_examples=1000)
@given(st.dictionaries(st.sampled_from(_FIELDS), _VALUE), _UNREAD, st.booleans())
def test_generated_values_give_the_plain_inputs(
    values: dict[str, Any], unread: dict[str, Source], recurrent: bool
) -> None:
    mine, plain = dict(values), dict(values)
    got, expected = _inputs(mine, unread, recurrent), _plain_inputs(plain, unread, recurrent)
    assert repr(got) == repr(expected)
    assert got == expected
    assert mine == plain  # the same fields leave ``values``


# ---------------------------------------------------------------------------- resolved


def _plain_resolved(resource: dict[str, Any]) -> str | None:
    status = [c for _, c in codings(resource.get("clinicalStatus"))]
    found = next((c for c in status if c in RESOLVED_STATUSES), None)
    abated = next(
        (
            key
            for key in (
                "abatementDateTime",
                "abatementAge",
                "abatementPeriod",
                "abatementRange",
                "abatementString",
                "abatementBoolean",
            )
            if resource.get(key) not in (None, False)
        ),
        None,
    )
    if found:
        return f"clinicalStatus {found}"
    if abated:
        value = resource[abated]
        when = f" {value}" if isinstance(value, str) else ""
        return f"abatement recorded{when}"
    return None


_STATUS = st.fixed_dictionaries(
    {},
    optional={
        "coding": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "system": st.just("http://x"),
                    "code": st.sampled_from(["active", "resolved", "remission", "", 3]),
                },
            ),
            max_size=3,
        )
    },
)
_ABATED = st.one_of(
    st.none(), st.just(False), st.just(True), st.just(0), st.just(""), st.just("2024-02-01"),
    st.just({"start": "2024"}), st.just({"value": 3}),
)  # fmt: skip


@settings(max_examples=1000)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "clinicalStatus": _STATUS,
            "abatementDateTime": _ABATED,
            "abatementAge": _ABATED,
            "abatementPeriod": _ABATED,
            "abatementString": _ABATED,
            "abatementBoolean": _ABATED,
        },
    )
)
def test_generated_conditions_give_the_plain_resolved(resource: dict[str, Any]) -> None:
    assert resolved(resource) == _plain_resolved(resource)


def test_chart_conditions_give_the_plain_resolved() -> None:
    found = 0
    for _, resource in RESOURCES:
        if resource.get("resourceType") == "Condition":
            assert resolved(resource) == _plain_resolved(resource)
            found += resolved(resource) is not None
    assert found > 0  # the corpus holds resolved Conditions: the test can fail
