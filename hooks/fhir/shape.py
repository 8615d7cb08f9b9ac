"""The fast validity check of the resources extraction reads (FHIR R4, hl7.org/fhir/R4:
Condition, Observation, BodyStructure and the data types they use).

``fhir.resources.R4B`` builds a full model of every resource it validates: about 0.3 ms for an
Observation, most of a new chart's CPU time. This module checks the same resources in one pass
over the parsed JSON against a whitelist of the elements real charts carry, each with its FHIR
data type rules (id, code, uri, string, decimal, dateTime, instant, the element names and
cardinalities, required elements, one value per choice group). It only ever *accepts*: a
resource it is not certain about (an element it does not know, an odd value, a primitive's
``_extension``, an empty object) is handed to the R4B model, whose verdict and error text are
then the answer. So the verdicts are R4B's verdicts, and the errors are R4B's errors, by
construction; the tests assert on every fixture, chart and thousands of mutated resources that
nothing this module accepts is rejected by R4B.

The whitelist is written as data (``Element`` rules, below) and compiled once at import into one
plain function per resource type with every nested check written out in it
(``hooks.fhir.element_check``): a resource is checked by one call, with no Python call per
element. Callgrind, bench charts (``surely_valid`` over a new chart's Conditions and
Observations): 1.81 million instructions per chart as a tree of closures, 1.17 million compiled,
0.88 million with a function per order of a resource's fields (``element_check.by_shape``).

``SARCOMA_CDS_STRICT_FHIR=on`` (``hooks.web.settings``) skips this check and validates every
read resource with R4B.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from hooks.fhir import r4b
from hooks.fhir.element_check import Element, Many, OneOf, Type, by_shape, compile_checks
from hooks.fhir.text import MEMO_TEXT_MAX

Check = Callable[[Any], bool]

_strict = False


def set_strict(on: bool) -> None:
    """Validate every read resource with the R4B models (the opt-in strict mode)."""
    global _strict  # noqa: PLW0603 - one process-wide switch, set once at start-up
    _strict = on


def strict() -> bool:
    return _strict


def problem(resource: Mapping[str, Any]) -> str | None:
    """Why ``resource`` is not valid FHIR R4, or None: ``r4b.problem``'s answer, computed
    without the R4B model whenever the resource is certainly valid."""
    if not _strict:
        # ``surely_valid`` with the function of a known field order looked up here: one call
        # to the check, not three (with the id test below, problem over a bench chart's
        # Conditions and Observations: 888 to 873 thousand instructions).
        kind = resource.get("resourceType")
        if type(kind) is str and type(resource) is dict and (shapes := _SHAPES.get(kind)):
            known = shapes.get(tuple(resource))
            if known(resource) if known is not None else _RESOURCES[kind](resource):
                return None
            return r4b.problem(resource)
        if surely_valid(resource):
            return None
    return r4b.problem(resource)


def surely_valid(resource: Mapping[str, Any]) -> bool:
    """True only when ``resource`` is certainly valid (False means: ask R4B)."""
    resource_type = resource.get("resourceType")
    check = _RESOURCES.get(resource_type) if type(resource_type) is str else None
    return check is not None and check(resource)


# ---- primitive types (FHIR R4 datatypes.html#primitive), each a subset of what R4B accepts --
# The functions are the plain statement of each type; ``_PRIMITIVES`` below writes the same
# tests inline for the compiled checks (tests/fhir/test_shape_equivalence.py compares them).

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_CODE = re.compile(r"[^\s]+( [^\s]+)*")
_URI = re.compile(r"\S+")
_DATE_TIME = re.compile(
    r"(?P<y>[1-9][0-9]{3})(-(?P<m>0[1-9]|1[0-2])(-(?P<d>0[1-9]|[12][0-9]|3[01])"
    r"(T(?P<t>([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{3})?)(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9]))?)?)?"
)
#: Bound of each memory of valid values below (forgotten all at once when full).
REMEMBERED_MAX = 16_384


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
    # Matched, the text is YYYY, YYYY-MM, YYYY-MM-DD (10 characters) or a date with a time (20
    # or more): its length tells the parts (no group lookups).
    if _DATE_TIME.fullmatch(v) is None or (instant and len(v) <= 10):
        return False
    if len(v) < 10 or v[8:10] <= "28":
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


# Valid texts remembered (bounded: forgotten all at once when full). Code systems, codes and
# timestamps recur within a chart and across charts; a set lookup costs a fraction of the
# pattern match. A dateTime is remembered as its date (the first 10 characters) and the rest
# (its time and offset, or ""): the pattern is a date followed by an optional time, and the
# calendar reads the date only, so any remembered date joined to any remembered rest is valid.
_URIS: set[str] = set()
_CODES: set[str] = set()
_DATES: set[str] = set()
_TIMES: set[str] = set()


def _remember(known: set[str], v: str) -> None:
    if len(v) > MEMO_TEXT_MAX:
        return  # valid, but not kept (hooks.fhir.text.MEMO_TEXT_MAX)
    if len(known) >= REMEMBERED_MAX:
        known.clear()
    known.add(v)


def _new_uri(v: str) -> bool:
    valid = _uri(v)
    if valid:
        _remember(_URIS, v)
    return valid


def _new_code(v: str) -> bool:
    valid = _code(v)
    if valid:
        _remember(_CODES, v)
    return valid


def _new_date_time(v: str) -> bool:
    valid = _date_time(v)
    if valid:
        _remember(_DATES, v[:10])
        _remember(_TIMES, v[10:])
    return valid


def _element(
    fields: dict[str, Check],
    required: tuple[str, ...] = (),
    choices: tuple[tuple[str, ...], ...] = (),
) -> Check:
    """The plain check of one element from checks of its fields (no memory, a call per field):
    the statement of an ``Element`` rule that the compiled checks are compared with."""
    allowed = frozenset(fields)
    needed = frozenset(required)
    groups = tuple(frozenset(group) for group in choices)

    def check(v: Any) -> bool:
        if type(v) is not dict or not v:
            return False
        keys = v.keys()
        if not keys <= allowed or not needed <= keys:
            return False
        if any(len(keys & group) > 1 for group in groups):
            return False  # two values of one choice group (e.g. value[x])
        return all(fields[key](value) for key, value in v.items())

    return check


# ---- the rules: element -> type; required elements; choice groups ------------------------
# (The check of one chart's elements used to remember whole leaf elements (Coding, Reference,
# Period, Identifier) by their items; written out, checking them costs what building the key
# did: callgrind, bench charts, 1.50 million instructions per new chart with that memory, 1.49
# without; so only single values are remembered now, above.)

# The fields of the small elements are listed commonest first: the compiled check compares a
# key with them in this order (callgrind, bench charts: 0.89 to 0.88 million per chart).
# ``common``: the sets of fields real exports give each small element most often (one per
# size; as the test fixtures, the mCODE examples, the Epic- and Oracle-shaped charts and the
# bench charts carry them); the function of a resource's field order reads a dict of one of
# them by key, any other by the element's general check (element_check.common_fields). Extract
# of a bench chart: 2.086 to 1.964 million instructions.
_CODING = Element(
    "CODING",
    {"system": "uri", "code": "code", "display": "string", "version": "string",
     "userSelected": "boolean"},
    common=(("system", "code"), ("system", "code", "display")),
)  # fmt: skip
_CONCEPT = Element(
    "CONCEPT", {"coding": Many(_CODING), "text": "string"}, common=(("coding",), ("coding", "text"))
)
_REFERENCE = Element(
    "REFERENCE",
    {"reference": "string", "display": "string", "type": "uri"},
    common=(("reference",), ("reference", "display")),
)
_PERIOD = Element(
    "PERIOD", {"start": "dateTime", "end": "dateTime"}, common=(("start",), ("start", "end"))
)
_QUANTITY = Element(
    "QUANTITY",
    {"value": "decimal", "unit": "string", "system": "uri", "code": "code",
     "comparator": OneOf(("<", "<=", ">=", ">"))},
    common=(("value", "unit", "system", "code"),),
)  # fmt: skip
_IDENTIFIER = Element(
    "IDENTIFIER",
    {"system": "uri", "value": "string", "use": OneOf(("usual", "official", "temp", "secondary",
     "old")), "type": _CONCEPT, "period": _PERIOD},
    common=(("system", "value"),),
)  # fmt: skip
_META = Element(
    "META",
    {"versionId": "id", "lastUpdated": "instant", "source": "uri", "profile": Many("uri"),
     "security": Many(_CODING), "tag": Many(_CODING)},
    common=(("profile",), ("versionId", "lastUpdated"), ("versionId", "lastUpdated", "profile")),
)  # fmt: skip
_ANNOTATION = Element(
    "ANNOTATION",
    {"text": "string", "authorString": "string", "authorReference": _REFERENCE,
     "time": "dateTime"},
    required=("text",),
    choices=(("authorString", "authorReference"),),
)  # fmt: skip
_EXTENSION_VALUES: dict[str, Type] = {
    "valueCodeableConcept": _CONCEPT,
    "valueReference": _REFERENCE,
    "valueString": "string",
    "valueCode": "code",
    "valueBoolean": "boolean",
    "valueDateTime": "dateTime",
    "valueQuantity": _QUANTITY,
    "valueCoding": _CODING,
}
# An extension has exactly one value here (nested extensions are left to R4B).
_EXTENSION = Element(
    "EXTENSION",
    {"url": "uri", **_EXTENSION_VALUES},
    required=("url",),
    choices=(tuple(_EXTENSION_VALUES),),
    size=2,
)
_OBS_VALUES: dict[str, Type] = {
    "valueQuantity": _QUANTITY,
    "valueCodeableConcept": _CONCEPT,
    "valueString": "string",
    "valueBoolean": "boolean",
    "valueInteger": "integer",
    "valueDateTime": "dateTime",
    "valuePeriod": _PERIOD,
}
_COMPONENT = Element(
    "COMPONENT",
    {"code": _CONCEPT, **_OBS_VALUES, "interpretation": Many(_CONCEPT)},
    required=("code",),
    choices=(tuple(_OBS_VALUES),),
)


def _resource(
    resource_type: str,
    fields: dict[str, Type],
    required: tuple[str, ...] = (),
    choices: tuple[tuple[str, ...], ...] = (),
) -> Element:
    common: dict[str, Type] = {
        "resourceType": OneOf((resource_type,)),
        "id": "id",
        "meta": _META,
        "implicitRules": "uri",
        "language": "code",
        "extension": Many(_EXTENSION),
        "identifier": Many(_IDENTIFIER),
    }
    return Element(resource_type.upper(), common | fields, required, choices)


_OBSERVATION = _resource(
    "Observation",
    {
        "status": OneOf(
            ("registered", "preliminary", "final", "amended", "corrected", "cancelled",
             "entered-in-error", "unknown")
        ),
        "basedOn": Many(_REFERENCE),
        "partOf": Many(_REFERENCE),
        "category": Many(_CONCEPT),
        "code": _CONCEPT,
        "subject": _REFERENCE,
        "focus": Many(_REFERENCE),
        "encounter": _REFERENCE,
        "effectiveDateTime": "dateTime",
        "effectivePeriod": _PERIOD,
        "effectiveInstant": "instant",
        "issued": "instant",
        "performer": Many(_REFERENCE),
        **_OBS_VALUES,
        "interpretation": Many(_CONCEPT),
        "note": Many(_ANNOTATION),
        "bodySite": _CONCEPT,
        "method": _CONCEPT,
        "specimen": _REFERENCE,
        "device": _REFERENCE,
        "hasMember": Many(_REFERENCE),
        "derivedFrom": Many(_REFERENCE),
        "component": Many(_COMPONENT),
    },
    required=("status", "code"),
    choices=(("effectiveDateTime", "effectivePeriod", "effectiveInstant"), tuple(_OBS_VALUES)),
)  # fmt: skip
_CONDITION = _resource(
    "Condition",
    {
        "clinicalStatus": _CONCEPT,
        "verificationStatus": _CONCEPT,
        "category": Many(_CONCEPT),
        "severity": _CONCEPT,
        "code": _CONCEPT,
        "bodySite": Many(_CONCEPT),
        "subject": _REFERENCE,
        "encounter": _REFERENCE,
        "onsetDateTime": "dateTime",
        "onsetPeriod": _PERIOD,
        "onsetString": "string",
        "abatementDateTime": "dateTime",
        "abatementPeriod": _PERIOD,
        "abatementString": "string",
        "recordedDate": "dateTime",
        "recorder": _REFERENCE,
        "asserter": _REFERENCE,
        "stage": Many(
            Element("STAGE", {"summary": _CONCEPT, "assessment": Many(_REFERENCE),
                              "type": _CONCEPT})
        ),
        "evidence": Many(
            Element("EVIDENCE", {"code": Many(_CONCEPT), "detail": Many(_REFERENCE)})
        ),
        "note": Many(_ANNOTATION),
    },
    required=("subject",),
    choices=(
        ("onsetDateTime", "onsetPeriod", "onsetString"),
        ("abatementDateTime", "abatementPeriod", "abatementString"),
    ),
)  # fmt: skip
_BODY_STRUCTURE = _resource(
    "BodyStructure",
    {
        "active": "boolean",
        "morphology": _CONCEPT,
        "location": _CONCEPT,
        "locationQualifier": Many(_CONCEPT),
        "description": "string",
        "patient": _REFERENCE,
    },
    required=("patient",),
)

# ---- the compiled checks -----------------------------------------------------------------
# Each primitive type as an expression true when {x} is valid: the same tests as the functions
# above, written inline (str.strip tests both ends at once; the codes, code systems and dates
# are looked up among the remembered ones first). tests/fhir/test_shape_equivalence.py
# compares them with those functions character by character.
_DATE_TIME_KNOWN = "({x}[:10] in DATES and {x}[10:] in TIMES or new_date_time({x}))"
_PRIMITIVES: dict[str, str] = {
    "string": "type({x}) is str and {x} != '' and {x}.strip() == {x}",
    # [A-Za-z0-9\-.]{1,64} without the pattern: an ASCII text's alphanumerics are exactly
    # A-Z, a-z and 0-9, and "-" and "." made letters leave a valid id alphanumeric (and an
    # empty text is not); ids are chart-specific, never remembered (about 30 per chart).
    "id": "type({x}) is str and len({x}) <= 64 and {x}.isascii()"
    " and {x}.replace('-', 'a').replace('.', 'a').isalnum()",
    "code": "type({x}) is str and ({x} in CODES or new_code({x}))",
    "uri": "type({x}) is str and ({x} in URIS or new_uri({x}))",
    "boolean": "type({x}) is bool",
    "decimal": "type({x}) is int and -(10**15) < {x} < 10**15"
    " or type({x}) is float and isfinite({x})",
    "integer": "type({x}) is int and -(2**31) <= {x} < 2**31",
    "dateTime": "type({x}) is str and " + _DATE_TIME_KNOWN,
    "instant": "type({x}) is str and len({x}) > 10 and " + _DATE_TIME_KNOWN,
}
_NAMES: dict[str, Any] = {
    "isfinite": math.isfinite,
    "URIS": _URIS,
    "new_uri": _new_uri,
    "CODES": _CODES,
    "new_code": _new_code,
    "DATES": _DATES,
    "TIMES": _TIMES,
    "new_date_time": _new_date_time,
}
_CHECKS = compile_checks(
    [_CODING, _CONCEPT, _REFERENCE, _OBSERVATION, _CONDITION, _BODY_STRUCTURE],
    _PRIMITIVES,
    _NAMES,
)
CODING: Check = _CHECKS["CODING"]
CONCEPT: Check = _CHECKS["CONCEPT"]
REFERENCE: Check = _CHECKS["REFERENCE"]
# A resource is checked by a function of its own order of fields (element_check.by_shape);
# ``_SHAPES`` holds those functions by resource type and field order (read by ``problem``).
_SHAPES: dict[str, dict[tuple[Any, ...], Check]] = {
    "Observation": {},
    "Condition": {},
    "BodyStructure": {},
}
_RESOURCES: dict[str, Check] = {
    resource_type: by_shape(
        element, _CHECKS[element.name], _PRIMITIVES, _NAMES, _SHAPES[resource_type]
    )
    for resource_type, element in (
        ("Observation", _OBSERVATION),
        ("Condition", _CONDITION),
        ("BodyStructure", _BODY_STRUCTURE),
    )
}
