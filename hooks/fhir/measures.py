"""The values of tumor size, mitotic count, necrosis and grade Observations, in every encoding
charts use: valueQuantity (with or without ``comparator``), valueInteger, valueString and
valueCodeableConcept, read with the grammar of ``hooks/fhir/tables/value_grammar.toml``.

Sources: FHIR R4 Quantity (``comparator`` makes the value a bound: an interval); UCUM length
units; FNCLCC (NCI PDQ Tables 4-6); mCODE PresentAbsentVS for coded necrosis. Every number is
bounded (``cds.numbers``) before any arithmetic and checked against the plausibility table.

Each reader answers ``(value, text, problems)`` like the others in ``hooks.fhir.read``. A value
that is present but cannot be used has a first problem starting with ``COULD_NOT_READ`` or
``IMPLAUSIBLE``: ``hooks.fhir.tumor`` reports those as facts the chart holds but that could not
be read, never as missing data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

from cds.interval import Interval
from cds.model import Grade
from cds.numbers import Verdict, bounded, check, shown
from hooks.fhir import codes
from hooks.fhir.values import NECROSIS_CODES, comparator_interval, read_grade_text, read_text

COULD_NOT_READ: Final = "could not read: "
IMPLAUSIBLE: Final = "implausible value: "

Reading = tuple[Any, str | None, list[str]]
Option = tuple[str | None, str | None, str | None]  # (system, code, text)

_QUANTITY: Final = {"size": "size_cm", "mitoses": "mitoses", "necrosis": "necrosis_pct"}
_UNIT_WORDS: Final = {"size_cm": "cm", "mitoses": " per 10 HPF", "necrosis_pct": "%"}


def quantity_text(quantity: Mapping[str, Any]) -> str:
    """The quantity as the chart shows it ("<50 %", "85 mm"), numbers never expanded."""
    comparator = quantity.get("comparator")
    value = shown(quantity.get("value"))
    unit = quantity.get("unit") or quantity.get("code") or ""
    prefix = comparator if isinstance(comparator, str) else ""
    return f"{prefix}{value} {unit}".strip()


def _judged(name: str, value: Decimal | Interval) -> tuple[Decimal | Interval | None, list[str]]:
    """``value`` (a number or the bounds of an interval) against the plausibility table."""
    quantity = _QUANTITY[name]
    bounds = [value] if isinstance(value, Decimal) else [value.low, value.high]
    notes: list[str] = []
    for bound in bounds:
        if bound is None:
            continue
        checked = check(quantity, bound)
        if checked.verdict is Verdict.IMPOSSIBLE:
            return None, [f"{IMPLAUSIBLE}{checked.says}; not used"]
        if checked.verdict is Verdict.IMPLAUSIBLE:
            notes.append(f"{shown(bound)}{_UNIT_WORDS[quantity]}: {checked.says}; used as recorded")
    return value, notes


def _number(raw: Any, comparator: Any) -> Decimal | Interval | str:
    """A Quantity's value with its comparator, or the problem (a string)."""
    number = bounded(raw)
    if number is None:
        return f"{IMPLAUSIBLE}not a finite number of reasonable size; not used"
    if comparator is None:
        return number
    interval = comparator_interval(comparator, number)
    if interval is None:
        return f"{COULD_NOT_READ}comparator {shown(comparator)!r} is not <, <=, >= or >"
    return interval


def _scaled(value: Decimal | Interval, factor: Decimal) -> Decimal | Interval:
    if isinstance(value, Decimal):
        return value * factor
    return Interval(
        None if value.low is None else value.low * factor,
        value.low_closed,
        None if value.high is None else value.high * factor,
        value.high_closed,
    )


def size(quantity: Any, string: Any) -> Reading:
    """Greatest dimension in cm (Decimal, or Interval with a comparator)."""
    if isinstance(quantity, dict):
        text = quantity_text(quantity)
        found = _number(quantity.get("value"), quantity.get("comparator"))
        if isinstance(found, str):
            return None, text, [found]
        factor = codes.size_in_cm(
            Decimal(1), quantity.get("system"), quantity.get("code"), quantity.get("unit")
        )
        if factor is None:
            return None, text, [f"{COULD_NOT_READ}the unit is not a known UCUM length"]
    elif isinstance(string, str):
        text = string
        read = read_text("size", string)
        if read.value is None:
            return None, text, [f"{COULD_NOT_READ}{read.problem}"]
        found = read.value
        factor = codes.size_in_cm(Decimal(1), None, read.unit, None)
        if factor is None:  # every grammar unit is a UCUM length: a table error
            return None, text, [f"{COULD_NOT_READ}the unit is not a known length"]
    else:
        return None, None, ["it has no greatest tumor dimension"]
    value, notes = _judged("size", _scaled(found, factor))
    if value is None:
        return None, text, notes
    return value, text, [f"tumor size {n}" for n in notes]


def mitoses(resource: Mapping[str, Any]) -> Reading:
    """Mitotic count per 10 high-power fields: a whole number, or an Interval."""
    if "valueInteger" in resource:
        raw = resource["valueInteger"]
        text = shown(raw)
        found: Decimal | Interval | str = _number(raw, None)
    elif isinstance(resource.get("valueQuantity"), Mapping):
        quantity = resource["valueQuantity"]
        text = quantity_text(quantity)
        unit = str(quantity.get("code") or quantity.get("unit") or "")
        if "mm2" in unit.replace("²", "2"):
            problem = "it is per area, not per 10 high-power fields"
            return None, text, [f"{COULD_NOT_READ}{problem}"]
        found = _number(quantity.get("value"), quantity.get("comparator"))
    elif isinstance(resource.get("valueString"), str):
        text = resource["valueString"]
        read = read_text("mitoses", text)
        found = read.value if read.value is not None else f"{COULD_NOT_READ}{read.problem}"
    else:
        return None, None, ["it has no mitotic count value"]
    if isinstance(found, str):
        return None, text, [found]
    if isinstance(found, Decimal) and found != found.to_integral_value():
        return None, text, [f"{COULD_NOT_READ}a count of mitoses is a whole number"]
    value, notes = _judged("mitoses", found)
    if value is None:
        return None, text, notes
    if isinstance(value, Decimal):
        return int(value), text, [f"mitotic count {n}" for n in notes]  # bounded: cheap
    return value, text, [f"mitotic count {n}" for n in notes]


def _coded_necrosis(options: Iterable[Option]) -> Interval | None:
    for system, code, _ in options:
        if system and code and (system, code) in NECROSIS_CODES:
            return NECROSIS_CODES[(system, code)]
    return None


def necrosis(resource: Mapping[str, Any], options: Iterable[Option], text: str | None) -> Reading:
    """Percentage of tumor necrosis: a Decimal, or an Interval ("<50 %", "present")."""
    quantity = resource.get("valueQuantity")
    found: Decimal | Interval | str
    if isinstance(quantity, dict):
        text = quantity_text(quantity)
        unit = quantity.get("code") if quantity.get("code") is not None else quantity.get("unit")
        if unit != "%":
            return None, text, [f"{COULD_NOT_READ}it is not a percentage"]
        found = _number(quantity.get("value"), quantity.get("comparator"))
    else:
        option_list = list(options)
        coded = _coded_necrosis(option_list)
        if coded is not None:
            found = coded
        else:
            texts = [t for s, c, t in option_list if t and not c] + [
                c for s, c, _ in option_list if c and not s
            ]
            if not texts and text is None:
                return None, None, ["it has no necrosis value"]
            read = read_text("necrosis", texts[0] if texts else text or "")
            found = read.value if read.value is not None else f"{COULD_NOT_READ}{read.problem}"
    if isinstance(found, str):
        return None, text, [found]
    value, notes = _judged("necrosis", found)
    return value, text, notes


def grade(
    options: Iterable[Option], text: str | None, method: list[codes.Coded], method_text: str
) -> Reading:
    """The FNCLCC grade: a Grade, or a tuple of grades for a tier ("high grade" = G2 or G3).
    A grade from another grading system (Observation.method) is GX, as before."""
    grades: tuple[Grade, ...] | None = None
    seen = False
    for system, code, display in options:
        seen = seen or bool(code or display)
        if system and code and (system, code) in codes.GRADE_VALUES:
            grades = (codes.GRADE_VALUES[(system, code)],)
        elif system and code and (system, code) in codes.OTHER_GRADE_VALUES:
            grades = read_grade_text(codes.OTHER_GRADE_VALUES[(system, code)])
        else:
            grades = next(
                (g for g in (read_grade_text(t) for t in (code, display) if t) if g), None
            )
        if grades is not None:
            break
    if grades is None:
        if not seen:
            return None, text, ["it has no grade value"]
        return None, text, [f"{COULD_NOT_READ}not a grade the reading grammar knows"]
    if grades != (Grade.GX,) and method and codes.FNCLCC_METHOD not in method:
        problem = f"grade {text!r} was given by another system ({method_text}), not FNCLCC"
        return Grade.GX, text, [problem]
    notes = []
    if len(grades) > 1:
        notes.append(
            f"grade {text!r} read as {' or '.join(grades)}: a grade of a two-tier system, not an "
            "FNCLCC number (AJCC 7th ed. and pathology reports: high grade = G2 or G3; sources "
            "differ: SEER records such a grade as unknown)"
        )
    return (grades[0] if len(grades) == 1 else grades), text, notes
