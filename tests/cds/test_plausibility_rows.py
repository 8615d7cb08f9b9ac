"""``cds.numbers.check`` answers exactly as reading the plausibility row each time would.

The verdict and words of each row are read once from the table (``_JUDGED``), and each
quantity's rows are tried in table order without the engine's generic query (``_ROWS``); the
table engine takes a Decimal query value as it is instead of copying it
(``cds.tables._as_number``). Each is compared here with the direct computation at every
boundary of every row.
"""

from __future__ import annotations

from decimal import Decimal

from cds.numbers import (
    _JUDGED,
    _ROWS,
    PLAUSIBILITY,
    Checked,
    Verdict,
    bounded,
    check,
    possible_range,
)
from cds.tables import Range, _as_number


def _direct(quantity: str, raw: object) -> Checked:
    number = bounded(raw)
    limits = possible_range(quantity)
    if number is None:
        return Checked(
            None, Verdict.IMPOSSIBLE, f"not a finite number of reasonable size within {limits}"
        )
    row = PLAUSIBILITY.first(quantity=quantity, value=number)
    if row is None:
        return Checked(None, Verdict.IMPOSSIBLE, f"outside the possible range {limits}")
    return Checked(number, Verdict(row.text("verdict")), row.text("says"))


def test_each_row_is_read_once_as_it_reads() -> None:
    assert set(_JUDGED) == {row.key for row in PLAUSIBILITY.rows}
    for row in PLAUSIBILITY.rows:
        assert _JUDGED[row.key] == (Verdict(row.text("verdict")), row.text("says")), row.key


def test_each_quantity_tries_the_rows_the_table_engine_tries() -> None:
    assert set(_ROWS) == {"size_cm", "mitoses", "necrosis_pct", "age_years"}
    for quantity, rows in _ROWS.items():
        found = PLAUSIBILITY.every(quantity=quantity, value=None)  # no range: none match
        assert found == ()
        expected = [
            (row.bounds("value"), *_JUDGED[row.key])
            for row in PLAUSIBILITY.rows
            if row.condition("quantity") == (quantity,)
        ]
        assert list(rows) == expected, quantity


def test_every_boundary_checks_as_the_row_reads() -> None:
    step = Decimal("0.001")
    seen = 0
    for row in PLAUSIBILITY.rows:
        quantity = row.condition("quantity")
        bounds = row.condition("value")
        assert isinstance(quantity, tuple)
        assert isinstance(quantity[0], str)
        assert isinstance(bounds, Range)
        ends = [b for b in (bounds.gt, bounds.ge, bounds.lt, bounds.le) if b is not None]
        for end in ends:
            for value in (end - step, end, end + step, int(end), str(end), float(end)):
                assert check(quantity[0], value) == _direct(quantity[0], value), (row.key, value)
                seen += 1
    assert seen > 50
    for raw in (None, True, "x", Decimal("NaN"), Decimal("-Infinity"), "1E+99", 10**30):
        assert check("size_cm", raw) == _direct("size_cm", raw)


def test_a_decimal_query_value_is_compared_as_the_copy_was() -> None:
    for value in (Decimal("1.50"), Decimal("-0"), Decimal("1E+3"), Decimal(7)):
        found = _as_number(value)
        assert found == Decimal(value)
        assert str(found) == str(Decimal(value))
    for value in (Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), None, True, "1"):
        assert _as_number(value) is None
    assert _as_number(3) == Decimal(3)
