"""An Observation's value reading remembered by the exact elements it is read from.

Reading a size, mitotic count or necrosis (``hooks.fhir.measures``: the Quantity's number
bounded, converted and judged against the plausibility table) or a coded grade, T, N, M, stage
or histology (the value's codings and text against the code tables and the reading grammar)
is a pure function of a few elements of the Observation: the ``valueQuantity``'s value,
comparator, system, code and unit, or the ``valueCodeableConcept``'s text and codings, its
``valueString`` and (for a grade) its ``method``. Charts record the same few values again and
again (sizes in whole millimetres, counts and percentages in whole numbers, G2, cT2, cN0), so
the reading ``(value, text, problems, prefix)`` is remembered under those elements: an
Observation with the same elements gets the same reading whatever its id, dates, status or
links. The readings are immutable values that name no resource.

A key is built only from the exact types JSON gives (str, int, float, None, and Decimal for a
caller's own numbers), each number with its type and exact text (``8.3`` and ``8.30``, ``0.0``
and ``-0.0``, ``85`` and ``85.0`` are shown differently); anything else, and any text over
``MEMO_TEXT_MAX`` characters, is read directly and not kept. tests/fhir/test_readings.py
compares the remembered reading with the direct one on every Observation of the repository's
charts and on generated values.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping
from decimal import Decimal
from typing import Any

from hooks.fhir.text import MEMO_TEXT_MAX

JSON = Mapping[str, Any]
#: (value, text, problems, prefix): what ``read.observation_finding`` makes a Finding of.
Reading = tuple[Any, str | None, tuple[str, ...], str]

_KEPT = 4096  # readings remembered (a few hundred bytes each); forgotten all at once when full
_CODINGS_MAX = 8  # a value concept carries one or two codings: more are read directly
_NUMBER_MAX = 64  # a number's text (cds.numbers.MEMO_KEY_MAX): longer is read directly

_TEXT_TYPES = frozenset({str, type(None)})  # what a text element of a key may be

_readings: dict[Hashable, Reading] = {}
_lock = threading.Lock()


def reading(resource: JSON, feature: str, read: Callable[[JSON, str], Reading]) -> Reading:
    """``read(resource, feature)``, remembered under the elements it reads."""
    keyed = _KEYS.get(feature)
    key = None if keyed is None else keyed(resource)
    if key is None:
        return read(resource, feature)
    found = _readings.get(key)
    if found is None:
        found = read(resource, feature)
        with _lock:
            if len(_readings) >= _KEPT:
                _readings.clear()
            _readings[key] = found
    return found


# ------------------------------------------------------------------------------- keys
# Written out with one type test per element, no call per text: a key costs a fraction of the
# reading it saves.


def _quantity(value: object) -> tuple[object, ...] | None:
    """Every element of a Quantity the readers use: its value by type and exact text, its
    comparator, system, code and unit (each a str or None, together at most MEMO_TEXT_MAX
    characters). None when it is not kept."""
    if type(value) is not dict:
        return None
    get = value.get
    number: Any
    number, comparator, system, code, unit = (
        get("value"), get("comparator"), get("system"), get("code"), get("unit"),
    )  # fmt: skip
    kind = type(number)
    if kind is int:
        if number.bit_length() > 64:  # an int, never a bool
            return None
    elif kind is float:
        if number == 0:  # 0.0 == -0.0, shown differently; other equal floats are one float
            number = repr(number)
    elif kind is str or kind is Decimal:
        number = str(number)  # a Decimal's str keeps its digits and exponent exactly
        if len(number) > _NUMBER_MAX:
            return None
    elif number is not None:
        return None
    # Each text a str or None, told by the set of their types, and their lengths summed: no
    # loop over the four (_concept reads its codings the same way).
    if not {type(comparator), type(system), type(code), type(unit)} <= _TEXT_TYPES:
        return None
    if (
        len(comparator or "") + len(system or "") + len(code or "") + len(unit or "")
        > MEMO_TEXT_MAX
    ):
        return None
    return kind, number, comparator, system, code, unit


def _concept(value: object) -> tuple[object, ...] | None:
    """A CodeableConcept's text and its codings' system, code and display (each a str or
    None, together at most MEMO_TEXT_MAX characters): what the readers use of it. ``()`` when
    absent; None when it is not kept."""
    if value is None:
        return ()
    if type(value) is not dict:
        return None
    text, coding = value.get("text"), value.get("coding")
    if text is None:
        size = 0
    elif type(text) is str and len(text) <= MEMO_TEXT_MAX:
        size = len(text)
    else:
        return None
    if coding is None:  # read as no coding, like an empty list
        return (text,)
    if type(coding) is not list or len(coding) > _CODINGS_MAX:
        return None
    found: list[object] = [text]
    for item in coding:
        if type(item) is not dict:
            return None
        get = item.get
        system, code, display = get("system"), get("code"), get("display")
        # Each part a str or None, told by the set of their types (no loop over the three)
        if not {type(system), type(code), type(display)} <= _TEXT_TYPES:
            return None
        size += len(system or "") + len(code or "") + len(display or "")
        found += (system, code, display)
    if size > MEMO_TEXT_MAX:
        return None
    return tuple(found)


def _string(resource: JSON) -> tuple[str | None] | None:
    """``valueString`` (at most MEMO_TEXT_MAX characters): the readers read a str and pass
    over anything else."""
    value = resource.get("valueString")
    if value is None or (type(value) is str and len(value) <= MEMO_TEXT_MAX):
        return (value,)
    return None


def _size_key(resource: JSON) -> Hashable:
    # With no component, a size is read from valueQuantity alone (a dict: valueString unread).
    if resource.get("component") is not None:
        return None
    quantity = _quantity(resource.get("valueQuantity"))
    return None if quantity is None else ("size", quantity)


def _mitoses_key(resource: JSON) -> Hashable:
    # valueInteger, when present (even null), is read before valueQuantity.
    if "valueInteger" in resource:
        return None
    quantity = _quantity(resource.get("valueQuantity"))
    return None if quantity is None else ("mitoses", quantity)


def _necrosis_key(resource: JSON) -> Hashable:
    # A valueQuantity (a dict) is the necrosis: its coded or written value is not read.
    quantity = _quantity(resource.get("valueQuantity"))
    return None if quantity is None else ("necrosis", quantity)


def _coded_key(feature: str, *, method: bool = False) -> Callable[[JSON], Hashable]:
    """The key of a value read from valueCodeableConcept and valueString (and, for a grade,
    the method that gave it)."""

    def key(resource: JSON) -> Hashable:
        concept, string = _concept(resource.get("valueCodeableConcept")), _string(resource)
        given = _concept(resource.get("method")) if method else ()
        if concept is None or string is None or given is None:
            return None
        return feature, concept, string, given

    return key


_KEYS: dict[str, Callable[[JSON], Hashable]] = {
    "size": _size_key,
    "mitoses": _mitoses_key,
    "necrosis": _necrosis_key,
    "grade": _coded_key("grade", method=True),
    "histology": _coded_key("histology"),
    **{feature: _coded_key(feature) for feature in ("t", "n", "m", "stage")},
}
