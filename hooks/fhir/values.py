"""Reading the values of size, mitotic count, necrosis and grade Observations: numbers with
their FHIR comparator, text in the forms pathology reports use, and coded values.

The grammar is data (``hooks/fhir/tables/value_grammar.toml``, which documents it); this
module compiles it once. Every number goes through ``cds.numbers.bounded`` before anything
else is done with it, and the grammar's own number pattern is bounded in length, so the work
on any input is bounded by construction.

A reading is a ``Read``: the value (a Decimal, an ``Interval``, or a tuple of grades), or why
it could not be read. Callers turn "could not read" into a sentence naming the resource.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from cds.interval import COMPARATORS, Interval
from cds.model import Grade
from cds.numbers import bounded
from hooks.fhir import codes

_GRAMMAR: Final = codes.load_table("value_grammar.toml")
_NUMBER: Final = _GRAMMAR["number"]
_COMPARATOR_WORDS: Final[dict[str, str]] = dict(_GRAMMAR["comparators"])
_ROMAN: Final = {"i": "1", "ii": "2", "iii": "3", "x": "X"}


def _alternatives(words: list[str]) -> str:
    """A regex alternation of literal words, longest first (so "<=" wins over "<")."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _interval(text: str) -> Interval:
    """An interval in the table's notation, such as [0,0] or (0,100]."""
    match = re.fullmatch(r"([\[(])\s*([0-9.]+)\s*,\s*([0-9.]+)\s*([\])])", text)
    if match is None:
        raise ValueError(f"value_grammar.toml: malformed interval {text!r}")
    return Interval(Decimal(match[2]), match[1] == "[", Decimal(match[3]), match[4] == "]")


@dataclass(frozen=True, slots=True)
class _Quantity:
    units: dict[str, str]  # text unit (lower case) -> unit code handed to the caller
    unit_required: bool
    words: dict[str, Interval]
    pattern: re.Pattern[str]


def _quantity(name: str) -> _Quantity:
    section = _GRAMMAR[name]
    raw_units = section.get("units", {})
    units = (
        {u.lower(): c for u, c in raw_units.items()}
        if isinstance(raw_units, dict)
        else {u.lower(): u for u in raw_units}
    )
    words = {
        w.lower(): (_interval(v) if "," in v else Interval.point(Decimal(v)))
        for w, v in section.get("words", {}).items()
    }
    pattern = re.compile(
        rf"^(?P<cmp>{_alternatives(list(_COMPARATOR_WORDS))})?\s*(?P<num>{_NUMBER})\s*"
        rf"(?P<unit>{_alternatives(list(units))})?$",
        re.IGNORECASE,
    )
    return _Quantity(units, bool(section.get("unit_required")), words, pattern)


QUANTITIES: Final = {name: _quantity(name) for name in ("size", "mitoses", "necrosis")}
NECROSIS_CODES: Final[dict[codes.Coded, Interval]] = {
    codes.coded(k): _interval(v) for k, v in _GRAMMAR["necrosis"]["codes"].items()
}
_GRADE_NUMBERED: Final = re.compile(_GRAMMAR["grade"]["numbered"], re.IGNORECASE)
_GRADE_TIER: Final = re.compile(_GRAMMAR["grade"]["tier_pattern"]["pattern"], re.IGNORECASE)
GRADE_TIERS: Final[dict[str, tuple[Grade, ...]]] = {
    tier: tuple(Grade(g) for g in grades) for tier, grades in _GRAMMAR["grade"]["tiers"].items()
}
#: Longest text the grammar looks at (a value is a few words; longer text is not a value).
MAX_TEXT = 80


@dataclass(frozen=True, slots=True)
class Read:
    """A value read, or why not. ``unit`` is the unit code found (for sizes), else ""."""

    value: Decimal | Interval | None
    unit: str = ""
    problem: str | None = None


def comparator_interval(comparator: Any, number: Decimal) -> Interval | None:
    """The interval a FHIR Quantity.comparator means; None for an unknown comparator."""
    if comparator not in COMPARATORS:
        return None
    return Interval.bound(str(comparator), number)


def read_text(name: str, text: str) -> Read:
    """A size, mitotic count or necrosis written as text ("8.5 cm", "<50%", "none")."""
    grammar = QUANTITIES[name]
    cleaned = " ".join(text.split()).strip().rstrip(".")
    if len(cleaned) > MAX_TEXT:
        return Read(None, problem="longer than any value the grammar reads")
    lowered = cleaned.lower()
    if lowered in grammar.words:
        return Read(grammar.words[lowered])
    match = grammar.pattern.match(cleaned)
    if match is None:
        return Read(None, problem="not a value the reading grammar knows")
    unit_text = (match["unit"] or "").lower()
    if grammar.unit_required and not unit_text:
        return Read(None, problem="it has no unit")
    number = bounded(match["num"])
    if number is None:  # the pattern bounds the digits, so this is a guard, not a path
        return Read(None, problem="not a number")
    unit = grammar.units.get(unit_text, "")
    comparator = match["cmp"]
    if comparator is None:
        return Read(number, unit)
    return Read(Interval.bound(_COMPARATOR_WORDS[comparator.lower()], number), unit)


def read_grade_text(text: str) -> tuple[Grade, ...] | None:
    """The FNCLCC grades a grade written as text allows: ("G2",) for "grade 2 of 3",
    (G2, G3) for "high grade"; (GX,) for "GX"; None when the grammar does not read it."""
    cleaned = " ".join(text.split()).strip().rstrip(".")
    if len(cleaned) > MAX_TEXT:
        return None
    match = _GRADE_NUMBERED.match(cleaned)
    if match is not None:
        number = _ROMAN.get(match["n"].lower(), match["n"].upper())
        return (Grade("G" + number),)
    match = _GRADE_TIER.match(cleaned)
    if match is not None:
        return GRADE_TIERS[match["tier"].lower()]
    return None
