"""The validity check as it was before it was compiled from its rules (hooks.fhir.shape at
commit 8f2855d: one closure per element, a call per element, the leaf memory): the oracle the
compiled check must agree with on every input (tests/fhir/test_shape_equivalence.py)."""

# ruff: noqa: SIM110

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

Check = Callable[[Any], bool]


def surely_valid(resource: Mapping[str, Any]) -> bool:
    resource_type = resource.get("resourceType")
    check = _RESOURCES.get(resource_type) if type(resource_type) is str else None
    return check is not None and check(resource)


# ---- primitive types (FHIR R4 datatypes.html#primitive), each a subset of what R4B accepts --

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_CODE = re.compile(r"[^\s]+( [^\s]+)*")
_URI = re.compile(r"\S+")
_DATE_TIME = re.compile(
    r"(?P<y>[1-9][0-9]{3})(-(?P<m>0[1-9]|1[0-2])(-(?P<d>0[1-9]|[12][0-9]|3[01])"
    r"(T(?P<t>([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{3})?)(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9]))?)?)?"
)


def _string(v: Any) -> bool:
    return type(v) is str and v != "" and not v[0].isspace() and not v[-1].isspace()


def _id(v: Any) -> bool:
    return type(v) is str and _ID.fullmatch(v) is not None


def _code(v: Any) -> bool:
    return type(v) is str and _CODE.fullmatch(v) is not None


def _uri(v: Any) -> bool:
    return type(v) is str and _URI.fullmatch(v) is not None


def _boolean(v: Any) -> bool:
    return type(v) is bool


def _decimal(v: Any) -> bool:
    return (type(v) is int and abs(v) < 10**15) or (type(v) is float and math.isfinite(v))


def _integer(v: Any) -> bool:
    return type(v) is int and -(2**31) <= v < 2**31


def _date_time(v: Any, *, instant: bool = False) -> bool:
    if type(v) is not str:
        return False
    m = _DATE_TIME.fullmatch(v)
    if m is None or (instant and m["t"] is None):
        return False
    day = m["d"]
    if day is None or day <= "28":
        # The pattern already bounds month, hour, minute, second and offset: only the 29th to
        # the 31st can name a day the month does not have (2023-02-30), which the calendar
        # decides below.
        return True
    try:
        date.fromisoformat(v[:10])
    except ValueError:
        return False
    return True


def _instant(v: Any) -> bool:
    return _date_time(v, instant=True)


def _date(v: Any) -> bool:
    return _date_time(v) and "T" not in v


def _one_of(*codes: str) -> Check:
    allowed = frozenset(codes)
    return lambda v: type(v) is str and v in allowed


# ---- complex types: a whitelist of element -> check; required elements; choice groups ------


def _element(
    fields: dict[str, Check],
    required: tuple[str, ...] = (),
    choices: tuple[tuple[str, ...], ...] = (),
) -> Check:
    # The set tests run in C over the dict's keys: unknown names, required names and one value
    # per choice group are decided without a Python step per key.
    allowed = frozenset(fields)
    needed = frozenset(required)
    groups = tuple(frozenset(group) for group in choices)

    def check(v: Any) -> bool:
        if type(v) is not dict or not v:
            return False
        keys = v.keys()
        if not keys <= allowed or not needed <= keys:
            return False
        for group in groups:
            if len(keys & group) > 1:
                return False  # two values of one choice group (e.g. value[x])
        for key, value in v.items():
            if not fields[key](value):
                return False
        return True

    return check


# Leaf elements (Coding, Reference, Period, Identifier) recur across charts: the same codings,
# statuses and categories in every chart. An element whose values are all strings and that was
# found valid once is remembered by its items; a later element with exactly the same items is
# valid without running the checks again (a str never equals a non-str, so a remembered key
# matches only the same strings). Bounded: forgotten all at once when full. Measured on the
# bench charts (callgrind), with the set tests above: 2.31 million instructions per new chart
# before, 1.98 million after.
_REMEMBERED_MAX = 16_384


def _remembered(check: Check) -> Check:
    known: set[tuple[tuple[str, Any], ...]] = set()

    def remembered(v: Any) -> bool:
        if type(v) is not dict:
            return False
        key = tuple(v.items())
        try:
            if key in known:
                return True
        except TypeError:  # a list or an object inside: not remembered, checked in full
            return check(v)
        if not check(v):
            return False
        if all(type(x) is str for x in v.values()):
            if len(known) >= _REMEMBERED_MAX:
                known.clear()
            known.add(key)
        return True

    return remembered


def _many(item: Check) -> Check:
    def check(v: Any) -> bool:
        if type(v) is not list or not v:
            return False
        for x in v:
            if not item(x):
                return False
        return True

    return check


def _resource(
    resource_type: str,
    fields: dict[str, Check],
    required: tuple[str, ...] = (),
    choices: tuple[tuple[str, ...], ...] = (),
) -> Check:
    common = {
        "resourceType": lambda v: v == resource_type,
        "id": _id,
        "meta": META,
        "implicitRules": _uri,
        "language": _code,
        "extension": _many(EXTENSION),
        "identifier": _many(IDENTIFIER),
    }
    return _element(common | fields, required, choices)


CODING = _remembered(
    _element(
        {
            "system": _uri,
            "version": _string,
            "code": _code,
            "display": _string,
            "userSelected": _boolean,
        }
    )
)


def CONCEPT(v: Any) -> bool:
    """CodeableConcept (``coding``, ``text``), the commonest element, written out (callgrind,
    bench charts: the check of a new chart 2.01 -> 1.82 million instructions)."""
    if type(v) is not dict or not v:
        return False
    for key, value in v.items():
        if key == "coding":
            if type(value) is not list or not value:
                return False
            for coding in value:
                if not CODING(coding):
                    return False
        elif key != "text" or not _string(value):
            return False
    return True


REFERENCE = _remembered(_element({"reference": _string, "type": _uri, "display": _string}))
PERIOD = _remembered(_element({"start": _date_time, "end": _date_time}))
QUANTITY = _element(
    {
        "value": _decimal,
        "comparator": _one_of("<", "<=", ">=", ">"),
        "unit": _string,
        "system": _uri,
        "code": _code,
    }
)
IDENTIFIER = _remembered(
    _element(
        {
            "use": _one_of("usual", "official", "temp", "secondary", "old"),
            "type": CONCEPT,
            "system": _uri,
            "value": _string,
            "period": PERIOD,
        }
    )
)
META = _element(
    {
        "versionId": _id,
        "lastUpdated": _instant,
        "source": _uri,
        "profile": _many(_uri),
        "security": _many(CODING),
        "tag": _many(CODING),
    }
)
ANNOTATION = _element(
    {"authorString": _string, "authorReference": REFERENCE, "time": _date_time, "text": _string},
    required=("text",),
    choices=(("authorString", "authorReference"),),
)
_EXTENSION_VALUES: dict[str, Check] = {
    "valueCodeableConcept": CONCEPT,
    "valueReference": REFERENCE,
    "valueString": _string,
    "valueCode": _code,
    "valueBoolean": _boolean,
    "valueDateTime": _date_time,
    "valueQuantity": QUANTITY,
    "valueCoding": CODING,
}
# An extension has exactly one value here (nested extensions are left to R4B).
_EXTENSION_FIELDS = _element(
    {"url": _uri, **_EXTENSION_VALUES}, required=("url",), choices=(tuple(_EXTENSION_VALUES),)
)


def EXTENSION(v: Any) -> bool:
    return _EXTENSION_FIELDS(v) and len(v) == 2


_OBS_VALUES: dict[str, Check] = {
    "valueQuantity": QUANTITY,
    "valueCodeableConcept": CONCEPT,
    "valueString": _string,
    "valueBoolean": _boolean,
    "valueInteger": _integer,
    "valueDateTime": _date_time,
    "valuePeriod": PERIOD,
}
COMPONENT = _element(
    {
        "code": CONCEPT,
        **_OBS_VALUES,
        "interpretation": _many(CONCEPT),
    },
    required=("code",),
    choices=(tuple(_OBS_VALUES),),
)
OBSERVATION = _resource(
    "Observation",
    {
        "status": _one_of(
            "registered",
            "preliminary",
            "final",
            "amended",
            "corrected",
            "cancelled",
            "entered-in-error",
            "unknown",
        ),
        "basedOn": _many(REFERENCE),
        "partOf": _many(REFERENCE),
        "category": _many(CONCEPT),
        "code": CONCEPT,
        "subject": REFERENCE,
        "focus": _many(REFERENCE),
        "encounter": REFERENCE,
        "effectiveDateTime": _date_time,
        "effectivePeriod": PERIOD,
        "effectiveInstant": _instant,
        "issued": _instant,
        "performer": _many(REFERENCE),
        **_OBS_VALUES,
        "interpretation": _many(CONCEPT),
        "note": _many(ANNOTATION),
        "bodySite": CONCEPT,
        "method": CONCEPT,
        "specimen": REFERENCE,
        "device": REFERENCE,
        "hasMember": _many(REFERENCE),
        "derivedFrom": _many(REFERENCE),
        "component": _many(COMPONENT),
    },
    required=("status", "code"),
    choices=(("effectiveDateTime", "effectivePeriod", "effectiveInstant"), tuple(_OBS_VALUES)),
)
CONDITION = _resource(
    "Condition",
    {
        "clinicalStatus": CONCEPT,
        "verificationStatus": CONCEPT,
        "category": _many(CONCEPT),
        "severity": CONCEPT,
        "code": CONCEPT,
        "bodySite": _many(CONCEPT),
        "subject": REFERENCE,
        "encounter": REFERENCE,
        "onsetDateTime": _date_time,
        "onsetPeriod": PERIOD,
        "onsetString": _string,
        "abatementDateTime": _date_time,
        "abatementPeriod": PERIOD,
        "abatementString": _string,
        "recordedDate": _date_time,
        "recorder": REFERENCE,
        "asserter": REFERENCE,
        "stage": _many(
            _element({"summary": CONCEPT, "assessment": _many(REFERENCE), "type": CONCEPT})
        ),
        "evidence": _many(_element({"code": _many(CONCEPT), "detail": _many(REFERENCE)})),
        "note": _many(ANNOTATION),
    },
    required=("subject",),
    choices=(
        ("onsetDateTime", "onsetPeriod", "onsetString"),
        ("abatementDateTime", "abatementPeriod", "abatementString"),
    ),
)
BODY_STRUCTURE = _resource(
    "BodyStructure",
    {
        "active": _boolean,
        "morphology": CONCEPT,
        "location": CONCEPT,
        "locationQualifier": _many(CONCEPT),
        "description": _string,
        "patient": REFERENCE,
    },
    required=("patient",),
)
_RESOURCES: dict[str, Check] = {
    "Observation": OBSERVATION,
    "Condition": CONDITION,
    "BodyStructure": BODY_STRUCTURE,
}
