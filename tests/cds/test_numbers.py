"""cds/numbers.py: the bounds every number passes before arithmetic, and the clinical core fed
extreme values directly (not through the reader): it reports them, never raises."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cds.assess import assess
from cds.model import SiteGroup, TumorInputs
from cds.numbers import Verdict, bounded, check, shown

HUGE_INT = 10**5000


@pytest.mark.parametrize(
    "raw",
    [
        "1E+500000",
        "1E+999999999",
        "-1E+999999999",
        "1e-999999",
        "NaN",
        "sNaN",
        "Infinity",
        float("inf"),
        float("nan"),
        pytest.param(HUGE_INT, id="5001-digit int"),
        Decimal("1E+999999999"),
        "9" * 33,
        "0." + "0" * 20 + "1",
        True,
        None,
        [5],
    ],
)
def test_out_of_bounds_is_none(raw: object) -> None:
    assert bounded(raw) is None


@pytest.mark.parametrize(
    ("raw", "value"),
    [("8.5", Decimal("8.5")), (85, Decimal(85)), (8.5, Decimal("8.5")), (" 12 ", Decimal(12))],
)
def test_ordinary_numbers_are_read_exactly(raw: object, value: Decimal) -> None:
    assert bounded(raw) == value


def test_shown_never_expands_a_number() -> None:
    assert len(shown(HUGE_INT)) < 40
    assert len(shown(Decimal("1E+999999999"))) < 40
    assert shown("1E+500000") == "1E+500000"
    assert shown(8.5) == "8.5"


@pytest.mark.parametrize(
    ("quantity", "raw", "verdict"),
    [
        ("size_cm", "100", Verdict.PLAUSIBLE),
        ("size_cm", "100.1", Verdict.IMPLAUSIBLE),
        ("size_cm", "1000", Verdict.IMPLAUSIBLE),
        ("size_cm", "1000.1", Verdict.IMPOSSIBLE),
        ("size_cm", "0", Verdict.IMPOSSIBLE),
        ("mitoses", "0", Verdict.PLAUSIBLE),
        ("mitoses", "100", Verdict.PLAUSIBLE),
        ("mitoses", "101", Verdict.IMPLAUSIBLE),
        ("mitoses", "1001", Verdict.IMPOSSIBLE),
        ("necrosis_pct", "0", Verdict.PLAUSIBLE),
        ("necrosis_pct", "100", Verdict.PLAUSIBLE),
        ("necrosis_pct", "100.01", Verdict.IMPOSSIBLE),
        ("necrosis_pct", "-0.01", Verdict.IMPOSSIBLE),
        ("age_years", "120", Verdict.PLAUSIBLE),
        ("age_years", "121", Verdict.IMPLAUSIBLE),
        ("age_years", "151", Verdict.IMPOSSIBLE),
    ],
)
def test_plausibility_table_boundaries(quantity: str, raw: str, verdict: Verdict) -> None:
    """The boundaries of cds/tables/plausibility.toml, each side (its rationale is in the file)."""
    assert check(quantity, raw).verdict is verdict


extreme_ints = st.one_of(st.integers(-(10**6), 10**6), st.sampled_from([HUGE_INT, -HUGE_INT]))
extreme_decimals = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from([Decimal("1E+999999999"), Decimal("-1E+999999999"), Decimal("1E-999999")]),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    size=st.one_of(st.none(), extreme_decimals),
    mitoses=st.one_of(st.none(), extreme_ints),
    necrosis=st.one_of(st.none(), extreme_decimals),
    differentiation=st.one_of(st.none(), extreme_ints),
)
def test_core_reports_extreme_inputs_and_never_raises(
    size: Decimal | None,
    mitoses: int | None,
    necrosis: Decimal | None,
    differentiation: int | None,
) -> None:
    a = assess(
        TumorInputs(
            site=SiteGroup.TRUNK_EXTREMITY,
            size_cm=size,
            mitoses=mitoses,
            necrosis_pct=necrosis,
            differentiation=differentiation,
            histology="8890/3",
        )
    )
    for problem in a.problems:
        assert len(problem.message) < 600
    for step in (*a.trace, *a.grade.trace):
        assert len(step.explanation) < 2000
