"""Fuzz (hypothesis) over numeric strings and exponents for every quantity the reader accepts:
size, mitotic count and necrosis as valueQuantity (string or JSON number, with or without a
comparator), valueInteger and valueString. Reading never raises, and whatever it keeps is a
bounded number inside the plausibility table (issue 14 item 1). Runtime is bounded by
construction (every number is measured before it is converted), so no timing is asserted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cds.interval import Interval
from cds.numbers import MAX_DIGITS, MAX_EXPONENT, Verdict, check
from hooks.fhir.read import observation_finding
from hooks.services.staging import stage_patient
from tests.charts.build import MITOSES, NECROSIS, SIZE, chart, observation

FEATURES = {"size": SIZE, "mitoses": MITOSES, "necrosis": NECROSIS}
QUANTITY = {"size": "size_cm", "mitoses": "mitoses", "necrosis": "necrosis_pct"}

number_texts = st.one_of(
    st.from_regex(r"[+-]?[0-9]{0,40}(\.[0-9]{0,40})?([eE][+-]?[0-9]{1,12})?", fullmatch=True),
    st.sampled_from(
        ["1E+500000", "1E+999999999", "-1E+999999999", "1e308", "NaN", "Infinity", "-0", "sNaN"]
    ),
    st.text(max_size=60),
)
json_numbers = st.one_of(
    st.integers(min_value=-(10**200), max_value=10**200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
)
comparators = st.sampled_from([None, "<", "<=", ">", ">=", "ad", "~", 5])
units = st.sampled_from(["cm", "mm", "m", "[in_i]", "%", "/10{HPF}", "1/mm2", "furlong", ""])
words = st.sampled_from(["", " cm", " mm", "%", " per 10 HPF", "/10 HPF", " inches", " %"])


@st.composite
def values(draw: st.DrawFn) -> dict[str, Any]:
    raw = draw(st.one_of(number_texts, json_numbers))
    shape = draw(st.sampled_from(["quantity", "integer", "string"]))
    if shape == "quantity":
        quantity: dict[str, Any] = {"value": raw, "unit": draw(units)}
        quantity["code"] = quantity["unit"]
        comparator = draw(comparators)
        if comparator is not None:
            quantity["comparator"] = comparator
        return {"valueQuantity": quantity}
    if shape == "integer":
        return {"valueInteger": raw}
    prefix = draw(st.sampled_from(["", "<", ">=", "less than ", "> "]))
    return {"valueString": f"{prefix}{raw}{draw(words)}"}


def within_bounds(number: Decimal, quantity: str) -> bool:
    return (
        len(number.as_tuple().digits) <= MAX_DIGITS + 4  # unit conversion adds a few digits
        and (not number or abs(number.adjusted()) <= MAX_EXPONENT + 3)
        and check(quantity, number).verdict is not Verdict.IMPOSSIBLE
    )


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(feature=st.sampled_from(sorted(FEATURES)), value=values())
def test_reading_any_number_never_raises_and_keeps_only_bounded_values(
    feature: str, value: dict[str, Any]
) -> None:
    resource = observation("x", FEATURES[feature], **value)
    finding = observation_finding(resource, feature, "", "Observation/x", "final")
    kept = finding.value
    if kept is None:
        assert finding.problems  # always says why
        return
    quantity = QUANTITY[feature]
    if isinstance(kept, Interval):
        for bound in (kept.low, kept.high):
            assert bound is None or within_bounds(bound, quantity)
    else:
        assert within_bounds(Decimal(kept), quantity)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(feature=st.sampled_from(sorted(FEATURES)), value=values())
def test_staging_a_chart_with_any_number_never_raises(feature: str, value: dict[str, Any]) -> None:
    resources = chart(observation("x", FEATURES[feature], **value))
    extraction, reports = stage_patient("chart-pt", resources)
    assert len(reports) == 1
    tumor = reports[0].tumor
    said = " ".join((*tumor.unreadable, *tumor.notes, *extraction.notes))
    if "Observation/x" not in tumor.input_references:
        assert "Observation/x" in said  # a value not used is always accounted for
