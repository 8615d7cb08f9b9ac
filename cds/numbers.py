"""Bounded numbers: every number read from a chart or a command line passes here before any
arithmetic, and is then checked against the plausibility table (``cds/tables/plausibility.toml``).

Why: Python's ``Decimal`` holds any exponent, and converting ``Decimal("1E+500000")`` to an
``int`` takes time quadratic in the exponent while formatting ``Decimal("1E+999999999")`` with
``:f`` writes a billion digits. So a number is refused *before* conversion when its text is
long, has many digits or a large exponent: the work done on any input is bounded by these
constants, not by the input. These bounds are not clinical (the plausibility table is): they
are far outside every clinical range and only keep the arithmetic small.

Verdicts: ``impossible`` (not a number, not finite, beyond the bounds, or outside every row
of the plausibility table: never used), ``implausible`` (possible but unusual: used, with a
warning), ``plausible``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from cds.frozen import builder
from cds.tables import Range, table

PLAUSIBILITY = table("plausibility")

#: Longest number text read at all (a clinical number needs far fewer characters).
MAX_CHARS = 32
#: Most significant digits kept (a measurement has at most a handful).
MAX_DIGITS = 18
#: Largest power of ten in either direction (1e9 cm or 1e-9 cm are already absurd).
MAX_EXPONENT = 9


class Verdict(StrEnum):
    PLAUSIBLE = "plausible"
    IMPLAUSIBLE = "implausible"
    IMPOSSIBLE = "impossible"


@dataclass(frozen=True, slots=True)
class Checked:
    """A number read and judged: ``value`` is None when the number is impossible."""

    value: Decimal | None
    verdict: Verdict
    says: str  # why, in words ("a greatest dimension above 100 cm is implausible ...")


# Built through its slots, not its frozen __init__ (cds.frozen): one per number read.
_new_checked = builder(Checked)


def bounded(raw: object) -> Decimal | None:
    """``raw`` (JSON number, Decimal or text) as a finite Decimal within the bounds, else None.

    Never converts anything unbounded: text is measured before parsing, ints by their bit
    length, Decimals by their digits and exponent before any comparison or arithmetic.
    """
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int):
        if raw.bit_length() > 64:  # 64 bits > 10**MAX_EXPONENT; never str() a huge int
            return None
        number = Decimal(raw)
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            return None
        number = Decimal(repr(raw))
    elif isinstance(raw, str):
        text = raw.strip()
        if not text or len(text) > MAX_CHARS:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
    elif isinstance(raw, Decimal):
        number = raw
    else:
        return None
    if not number.is_finite():
        return None
    digits = number.as_tuple().digits
    if len(digits) > MAX_DIGITS:
        return None
    if number and not -MAX_EXPONENT <= number.adjusted() <= MAX_EXPONENT:
        return None
    return number


#: Longest text a memory of the core is keyed on (a Decimal's text, a histology code): a longer
#: one is computed directly and not kept, so long strings from a chart cannot grow the memory.
MEMO_KEY_MAX = 64


def memo_key(value: object) -> int | str | None:
    """What a measured value is remembered by in a memo of its consequences: an int of at most
    64 bits itself, a Decimal by its exact text (never the Decimal: Decimal("8.3") ==
    Decimal("8.30") but they are shown differently); None for anything else, not remembered."""
    if type(value) is int:
        return value if value.bit_length() <= 64 else None
    if type(value) is Decimal:
        text = str(value)  # round-trips exactly: Decimal(text) has the same digits and exponent
        return text if len(text) <= MEMO_KEY_MAX else None
    return None


def shown(raw: object, limit: int = 24) -> str:
    """A number as a person reads it, never longer than ``limit`` characters (no expansion of
    exponents: ``1E+999999999`` stays as written)."""
    if isinstance(raw, int) and not isinstance(raw, bool) and raw.bit_length() > 64:
        text = f"an integer of about {int(raw.bit_length() * 0.30103)} digits"  # never str()
    elif isinstance(raw, Decimal) and raw.is_finite() and abs(raw.adjusted()) > MAX_DIGITS:
        text = f"{raw:E}"[:limit]  # never a positional expansion of a huge exponent
    else:
        text = raw if isinstance(raw, str) else repr(raw) if isinstance(raw, float) else str(raw)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _possible(quantity: str) -> Range:
    """The widest range of any row of ``quantity``: beyond it a value is impossible."""
    rows = [r for r in PLAUSIBILITY.rows if r.condition("quantity") == (quantity,)]
    if not rows:
        raise KeyError(f"plausibility has no rows for {quantity!r}")
    first, last = rows[0].bounds("value"), rows[-1].bounds("value")
    return Range(gt=first.gt, ge=first.ge, lt=last.lt, le=last.le)


def _possible_words() -> Mapping[str, str]:
    """``possible_range`` of every quantity the table has a row of its own for."""
    quantities = {
        cell[0]
        for row in PLAUSIBILITY.rows
        if isinstance(cell := row.condition("quantity"), tuple)
        and len(cell) == 1
        and isinstance(cell[0], str)
    }
    return {q: _possible(q).describe() for q in quantities}


# Worked out once from the table (it never changes): was 3 calls of a scan over every row
# per chart; check() 19 -> 10 us.
_POSSIBLE_WORDS = _possible_words()


# Each row's verdict and words, read once from the table (row keys are unique): was an enum
# look-up by value and two field reads per number checked.
_JUDGED: Mapping[str, tuple[Verdict, str]] = {
    row.key: (Verdict(row.text("verdict")), row.text("says")) for row in PLAUSIBILITY.rows
}


def _rows_of(quantity: str) -> tuple[tuple[Range, Verdict, str], ...] | None:
    """The rows ``PLAUSIBILITY.first`` tries for ``quantity``, in table order, as (range of
    the value, verdict, words); None when a row has no range (then the table engine decides)."""
    rows: list[tuple[Range, Verdict, str]] = []
    for row in PLAUSIBILITY.rows:
        cell = row.condition("quantity")
        if isinstance(cell, tuple) and not any(type(c) is str and c == quantity for c in cell):
            continue
        bounds = row.condition("value")
        if not isinstance(bounds, Range):
            return None
        rows.append((bounds, *_JUDGED[row.key]))
    return tuple(rows)


# Per quantity, its rows' ranges in table order: a finite number is judged by the first range
# that holds it, as ``PLAUSIBILITY.first`` would find it, without the engine's generic query
# (extract of a bench chart: 4.54 to 4.46 million instructions, stage 5.12 to 5.00).
_ROWS: Mapping[str, tuple[tuple[Range, Verdict, str], ...]] = {
    q: rows for q in _POSSIBLE_WORDS if (rows := _rows_of(q)) is not None
}


def possible_range(quantity: str) -> str:
    """The possible range in words, e.g. "> 0 and <= 300"."""
    words = _POSSIBLE_WORDS.get(quantity)
    return words if words is not None else _possible(quantity).describe()  # KeyError


def check(quantity: str, raw: object) -> Checked:
    """Read ``raw`` as ``quantity`` ("size_cm", "mitoses", "necrosis_pct", "age_years")."""
    number = bounded(raw)
    limits = possible_range(quantity)
    if number is None:
        return Checked(
            None, Verdict.IMPOSSIBLE, f"not a finite number of reasonable size within {limits}"
        )
    rows = _ROWS.get(quantity)
    if rows is None:
        row = PLAUSIBILITY.first(quantity=quantity, value=number)
        if row is not None:
            return Checked(number, *_JUDGED[row.key])
    else:
        for bounds, verdict, says in rows:
            if bounds.contains(number):
                return _new_checked(number, verdict, says)
    return Checked(None, Verdict.IMPOSSIBLE, f"outside the possible range {limits}")
