"""JSON with numbers of any size, as RFC 8259 allows: parsed with orjson, and, only when orjson
refuses a number (one beyond a double, or an integer beyond 64 bits), parsed again keeping each
such number as its text. The reader then bounds that text like any numeric string
(``cds.numbers.bounded``) and reports it as an implausible value, instead of the whole request
or FHIR response being refused as "not JSON".

Python's own parser is used for the retry with hooks that see each number's text before any
conversion, so a 5000-digit integer is never converted (``int()`` of long digit strings is
quadratic, and refused beyond 4300 digits). Callers check the nesting depth before (the body
limits middleware does for requests; a FHIR response is capped in size).
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

#: Longest number text converted to a Python number on the retry (longer stays text).
MAX_NUMBER_TEXT = 32


def _integer(text: str) -> int | str:
    return int(text) if len(text) <= MAX_NUMBER_TEXT else text


def _real(text: str) -> float | str:
    if len(text) > MAX_NUMBER_TEXT:
        return text
    value = float(text)
    return value if math.isfinite(value) else text


def loads(raw: bytes | str) -> Any:
    """The JSON document; raises ``ValueError`` (``orjson.JSONDecodeError`` is one) when it is
    not JSON at all."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        if "number" not in str(error):
            raise
    try:
        return json.loads(
            raw,
            parse_int=_integer,
            parse_float=_real,
            parse_constant=lambda text: text,  # NaN, Infinity: not JSON, kept as text
        )
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
