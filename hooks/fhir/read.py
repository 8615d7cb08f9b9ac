"""Reading single FHIR R4 resources (raw JSON mappings) into findings: one value per resource.

Everything here works on the raw JSON after it has been validated with ``hooks.fhir.r4b``; a
value that cannot be read is a ``Finding`` with ``value=None`` and a problem, never an
exception. ``hooks.fhir.extract`` decides which findings feed which tumor.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cds.frozen import builder
from cds.model import Grade, M, N, Stage, T
from cds.numbers import shown
from hooks.fhir import codes, measures, readings
from hooks.fhir.model import Source
from hooks.fhir.text import MEMO_TEXT_MAX, visible

JSON = Mapping[str, Any]

FINAL_STATUSES = frozenset({"final", "amended", "corrected"})
IGNORED_STATUSES = frozenset({"entered-in-error", "cancelled"})

# Observation feature -> TumorInputs field.
FIELD = {
    "size": "size_cm",
    "mitoses": "mitoses",
    "necrosis": "necrosis_pct",
    "differentiation": "differentiation",
    "grade": "grade",
    "histology": "histology",
    "t": "t",
    "n": "n",
    "m": "m",
    "stage": "stage",
}
_ENUM: dict[str, Any] = {"t": T, "n": N, "m": M, "stage": Stage, "grade": Grade}


@dataclass(frozen=True, slots=True)
class Finding:
    """One value for one TumorInputs field, read from one resource."""

    field: str  # TumorInputs field name
    value: Any  # Decimal, int, str or an enum of cds.model; None when unreadable
    source: Source
    final: bool
    when: datetime | None
    classification: str = ""  # "c", "p" or ""
    specimen_based: bool = False
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Links:
    """References an Observation makes that may tie it to a primary tumor."""

    conditions: tuple[str, ...] = ()  # focus / related-condition extension: "Condition/x"
    body_structures: tuple[str, ...] = ()  # focus on a BodyStructure (mCODE Tumor)
    derived_from: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    specimens: tuple[str, ...] = field(default=())


# Built through their slots, not their frozen __init__ (cds.frozen): one of each per
# Observation of a chart (with Checked and site Sources: extract of a bench chart 3.73 to 3.52
# million instructions, stage 4.28 to 4.06).
new_finding = builder(Finding)
new_source = builder(Source)
_new_links = builder(Links)

_OLDEST = datetime.min.replace(tzinfo=UTC)


def latest(candidates: Sequence[Finding]) -> Finding | None:
    """The value used of several: final before preliminary, then the most recent (of equal
    times, the one read last); None when no candidate has a value."""
    usable = [f for f in candidates if f.value is not None]
    # Most fields of a chart have one value: it is the one used, without ordering (extract of
    # a bench chart: 4.64 to 4.57 million instructions).
    if len(usable) < 2:
        return usable[0] if usable else None
    pool = [f for f in usable if f.final] or usable
    # ``max(pool, key=lambda f: (f.when or _OLDEST, index of f in usable))`` by one loop: pool
    # keeps the order of usable, so of equal times the later wins (``>=``), with no dict of
    # indexes nor a key call per value (tests/fhir/test_latest.py compares the two).
    chosen = pool[0]
    newest = chosen.when or _OLDEST
    for f in pool[1:]:
        when = f.when or _OLDEST
        if when >= newest:
            chosen, newest = f, when
    return chosen


# ---------------------------------------------------------------------------- basics


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def codings(concept: Any) -> list[codes.Coded]:
    if not isinstance(concept, dict):
        return []
    return [
        (c["system"] if isinstance(c.get("system"), str) else "", c["code"])
        for c in as_list(concept.get("coding"))
        if isinstance(c, dict) and isinstance(c.get("code"), str) and c["code"]
    ]


def feature_of(concept: Any) -> tuple[str, str] | None:
    """``codes.observation_feature(codings(concept))``: the feature and classification of the
    first coding in the feature table, found without listing every coding (every Observation
    of a chart is looked up: extract of a bench chart, 3.37 to 3.35 million instructions)."""
    if not isinstance(concept, dict):
        return None
    found = None
    coding = concept.get("coding")
    # The list itself, not a call of ``as_list`` (one call less per Observation).
    for c in coding if type(coding) is list else as_list(coding):
        if isinstance(c, dict):
            code = c.get("code")
            if isinstance(code, str) and code:
                system = c.get("system")
                found = codes.OBSERVATION_CODES.get(
                    (system if isinstance(system, str) else "", code)
                )
                if found is not None:
                    break
    return found


def first_code(concept: Any) -> str | None:
    """The code of the first of ``codings(concept)``, without listing them all: a status is read
    for every Condition of a chart (extract of a bench chart: 4.560 to 4.544 million
    instructions)."""
    if not isinstance(concept, dict):
        return None
    coding = concept.get("coding")
    for c in coding if type(coding) is list else as_list(coding):
        if isinstance(c, dict):
            code = c.get("code")
            if isinstance(code, str) and code:
                return code
    return None


def concept_text(concept: Any) -> str | None:
    """The concept as a person reads it: its text, else the first display, else None."""
    if not isinstance(concept, dict):
        return None
    text = concept.get("text")
    if isinstance(text, str) and (shown := visible(text).strip()):
        return shown
    for c in as_list(concept.get("coding")):
        if isinstance(c, dict) and isinstance(c.get("display"), str):
            return visible(c["display"])
    return None


def reference(value: Any, aliases: Mapping[str, str]) -> str | None:
    """A reference as ``Type/id`` (absolute URLs, ``_history`` and bundle fullUrls resolved)."""
    if not isinstance(value, dict):
        return None
    text = value.get("reference")
    if not isinstance(text, str):
        return None
    ref: str = text.strip()
    if ref in aliases:
        return aliases[ref]
    if len(ref) > MEMO_TEXT_MAX:
        return _relative.__wrapped__(ref)  # read, not kept
    return _relative(ref)


# A chart's Observations name the same few Conditions, specimens and panels again and again:
# each reference text is parsed once (extract of a bench chart: 4.72 to 4.69 million
# instructions). A pure function of one str (``text.strip()`` is always an exact str); the
# memory holds far more than one chart's references.
@functools.lru_cache(maxsize=512)
def _relative(ref: str) -> str | None:
    """``Type/id`` of a reference text that is not a Bundle fullUrl, else None."""
    if "/_history/" in ref:
        ref = ref.split("/_history/", maxsplit=1)[0]
    kind, _, rid = ref.rstrip("/").rpartition("/")
    if "//" in kind or kind.endswith("/"):  # empty path segments: the careful split below
        parts = [p for p in ref.split("/") if p]
        kind, rid = (parts[-2], parts[-1]) if len(parts) >= 2 else ("", "")
    else:
        kind = kind.rpartition("/")[2]
    if kind[:1].isupper() and rid:
        return f"{kind}/{rid}"
    return None


def parse_when(text: Any) -> datetime | None:
    """FHIR date/dateTime to an aware datetime (partial dates at their start; naive is UTC)."""
    if not isinstance(text, str) or not text:
        return None
    padded = text
    if len(text) == 4:
        padded = text + "-01-01"
    elif len(text) == 7:
        padded = text + "-01"
    try:
        moment = datetime.fromisoformat(padded.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo:
        return moment
    # ``moment.replace(tzinfo=UTC)``, without its keyword parsing: the same fields and fold
    # (a date-only text, e.g. a Condition's onset: 13.5 to 7.5 thousand instructions).
    return datetime.combine(moment.date(), moment.time(), UTC)


def effective(resource: JSON) -> tuple[str | None, datetime | None]:
    """When an Observation's value was true: effective[x], else issued."""
    # Most Observations have effectiveDateTime: the others are read only when it is not a date
    # (extract of a bench chart: 4.42 to 4.40 million instructions). The period is read first, as
    # before: a period that is not an object raises here whatever else the resource says.
    get = resource.get
    period = get("effectivePeriod")
    if period is None:  # most Observations: no period, nothing of it to read
        end = start = None
    else:
        period = period or {}
        end, start = period.get("end"), period.get("start")
    raw = get("effectiveDateTime")
    when = parse_when(raw)
    if when is not None:
        return str(raw), when
    for raw in (resource.get("effectiveInstant"), end, start, resource.get("issued")):
        when = parse_when(raw)
        if when is not None:
            return str(raw), when
    return None, None


def extension_refs(resource: JSON, url: str, aliases: Mapping[str, str]) -> list[str]:
    refs = []
    for ext in as_list(resource.get("extension")):
        if isinstance(ext, dict) and ext.get("url") == url:
            ref = reference(ext.get("valueReference"), aliases)
            if ref:
                refs.append(ref)
    return refs


def _refs(value: Any, aliases: Mapping[str, str]) -> tuple[str, ...]:
    """The references an element holds (one or a list), unreadable ones left out."""
    if value is None:
        return ()
    # A plain loop, not a list comprehension and a generator: every Observation's links are read
    # (extract of a bench chart: 3.167 to 3.137 million instructions).
    found = []
    for item in value if isinstance(value, list) else [value]:
        ref = reference(item, aliases)
        if ref:
            found.append(ref)
    return tuple(found)


def links(resource: JSON, aliases: Mapping[str, str]) -> Links:
    # Most Observations carry one or two of the five elements: an absent one costs a test, not
    # a closure call and a list (extract of a bench chart: 4.77 to 4.72 million instructions),
    # nor a call of ``_refs`` (3.40 to 3.37).
    get = resource.get
    raw = get("focus")
    focus = () if raw is None else _refs(raw, aliases)
    named = focus
    if get("extension") is not None:
        related = extension_refs(resource, codes.RELATED_CONDITION_EXTENSION, aliases)
        if related:
            named = (*focus, *related)
    derived, members, specimens = get("derivedFrom"), get("hasMember"), get("specimen")
    return _new_links(
        tuple([r for r in named if r.startswith("Condition/")]) if named else (),
        tuple([r for r in focus if r.startswith("BodyStructure/")]) if focus else (),
        () if derived is None else _refs(derived, aliases),
        () if members is None else _refs(members, aliases),
        () if specimens is None else _refs(specimens, aliases),
    )


_OTHER_LINKS = frozenset({"extension", "derivedFrom", "hasMember", "specimen"})


def shared_links(resource: JSON, aliases: Mapping[str, str], known: dict[str, Links]) -> Links:
    """``links(resource, aliases)``, made once per chart for the Observations whose only link is
    one ``focus`` reference: they name the same tumor again and again (``known``: reference
    text -> Links, for one chart, whose ``aliases`` never change)."""
    # A chart's values all focus on the primary: one Links per tumor, not one per Observation
    # (extract of a bench chart: 2.818 to 2.697 million instructions; tests/fhir/
    # test_reader_links.py compares it with the plain reading).
    get = resource.get
    focus = get("focus")
    if (
        type(focus) is list
        and len(focus) == 1
        and type(item := focus[0]) is dict
        and type(text := item.get("reference")) is str
        # None of the other four elements: absent, told by one set operation in C (a present
        # one, even null, is looked at one by one as before)
        and (
            resource.keys().isdisjoint(_OTHER_LINKS)
            or (
                get("extension") is None
                and get("derivedFrom") is None
                and get("hasMember") is None
                and get("specimen") is None
            )
        )
    ):
        found = known.get(text)
        if found is None:
            found = known[text] = links(resource, aliases)
        return found
    return links(resource, aliases)


# ----------------------------------------------------------------------- observations


def _size(resource: JSON) -> tuple[Any, str | None, list[str]]:
    quantity: Any = None
    if codes.SIZE_GREATEST not in codings(resource.get("code")):
        for component in as_list(resource.get("component")):
            if isinstance(component, dict) and codes.SIZE_GREATEST in codings(
                component.get("code")
            ):
                quantity = component.get("valueQuantity")
    if quantity is None:
        quantity = resource.get("valueQuantity")
    return measures.size(quantity, resource.get("valueString"))


def _mitoses(resource: JSON) -> tuple[Any, str | None, list[str]]:
    return measures.mitoses(resource)


def _necrosis(resource: JSON) -> tuple[Any, str | None, list[str]]:
    return measures.necrosis(resource, _value_options(resource), _value_text(resource))


def _differentiation(resource: JSON) -> tuple[Any, str | None, list[str]]:
    raw = resource.get("valueInteger")
    if isinstance(raw, int) and not isinstance(raw, bool) and raw in (1, 2, 3):
        return raw, str(raw), []
    if raw is None:
        return None, None, ["it has no FNCLCC differentiation score (valueInteger)"]
    problem = f"{measures.COULD_NOT_READ}an FNCLCC differentiation score is 1, 2 or 3"
    return None, shown(raw), [problem]


def _value_options(resource: JSON) -> Iterator[tuple[str | None, str | None, str | None]]:
    """Every (system, code, text) a coded or string value offers, most specific first."""
    concept = resource.get("valueCodeableConcept")
    if isinstance(concept, dict):
        for c in as_list(concept.get("coding")):
            if isinstance(c, dict):
                display = c.get("display")
                yield (
                    c.get("system"),
                    c.get("code"),
                    visible(display) if isinstance(display, str) else display,
                )
        if concept.get("text"):
            yield None, None, visible(str(concept["text"]))
    if isinstance(resource.get("valueString"), str):
        yield None, None, visible(resource["valueString"])


def _value_text(resource: JSON) -> str | None:
    concept = resource.get("valueCodeableConcept")
    if isinstance(concept, dict):
        text = concept_text(concept)
        if text:
            return text
        found = codings(concept)
        return found[0][1] if found else None
    value = resource.get("valueString")
    return visible(value) if isinstance(value, str) else None


def _category(resource: JSON, feature: str) -> tuple[Any, str | None, list[str], str]:
    problems: list[str] = []
    for system, code, text in _value_options(resource):
        parsed = codes.parse_category(feature, system, code, text if not code else None)
        if parsed.value is None and system not in (codes.SCT, codes.AJCC) and text and code:
            parsed = codes.parse_category(feature, None, None, text)
        if parsed.value is not None:
            return _ENUM[feature](parsed.value), _value_text(resource), [], parsed.prefix
        if parsed.problem:
            problems.append(parsed.problem)
    return None, _value_text(resource), problems[:1] or ["it has no value"], ""


def _grade(resource: JSON) -> tuple[Any, str | None, list[str]]:
    method = codings(resource.get("method"))
    method_text = concept_text(resource.get("method")) or (method[0][1] if method else "")
    return measures.grade(_value_options(resource), _value_text(resource), method, method_text)


def _histology(resource: JSON) -> tuple[Any, str | None, list[str]]:
    found = histology(resource.get("valueCodeableConcept"))
    if found.morphology is None and isinstance(resource.get("valueString"), str):
        named = codes.histology_from_name(resource["valueString"])
        found = Histology(named, [] if named is None else [_named(resource["valueString"], named)])
    if found.morphology is None:
        return None, _value_text(resource), found.problems or ["the histology is not ICD-O-3"]
    return found.morphology, _value_text(resource), found.problems


_READERS = {
    "size": _size,
    "mitoses": _mitoses,
    "necrosis": _necrosis,
    "differentiation": _differentiation,
    "grade": _grade,
    "histology": _histology,
}


def read_value(resource: JSON, feature: str) -> readings.Reading:
    """The value an Observation carrying ``feature`` records, read directly: (value, text,
    problems, c/p prefix of a recorded category)."""
    if feature in ("t", "n", "m", "stage"):
        value, text, problems, prefix = _category(resource, feature)
        return value, text, tuple(problems), prefix
    value, text, problems = _READERS[feature](resource)
    return value, text, tuple(problems), ""


def observation_finding(
    resource: JSON, feature: str, classification: str, ref: str, status: str
) -> Finding:
    """Read the value of an Observation already known to carry ``feature``."""
    date, when = effective(resource)
    # The value is read once per set of elements it is read from (hooks.fhir.readings).
    value, text, problems, prefix = readings.reading(resource, feature, read_value)
    if classification and prefix and prefix != classification:
        problems = (
            *problems,
            f"value {text!r} has a {prefix}-prefix but the Observation is coded as "
            f"{'pathologic' if classification == 'p' else 'clinical'}; read as coded",
        )
    return new_finding(
        FIELD[feature],
        value,
        new_source(ref, date, status, text),
        status in FINAL_STATUSES,
        when,
        classification or prefix,
        bool(resource.get("specimen")),
        problems,
    )


# -------------------------------------------------------------------------- histology


@dataclass(frozen=True, slots=True)
class Histology:
    morphology: str | None  # ICD-O-3 "HHHH/B"
    problems: list[str]


def _named(text: str, morphology: str) -> str:
    return f"histology {text!r} read as ICD-O-3 {morphology} from its name"


def histology(concept: Any) -> Histology:
    """ICD-O-3 morphology from a CodeableConcept: an ICD-O-3 coding, else a named histology."""
    if not isinstance(concept, dict):
        return Histology(None, [])
    for system, code in codings(concept):
        if system == codes.ICDO3:
            morphology = codes.parse_morphology(code)
            if morphology:
                return Histology(morphology, [])
    for c in as_list(concept.get("coding")):
        if isinstance(c, dict) and c.get("system") == codes.ICDO3:
            morphology = codes.parse_morphology(str(c.get("display") or ""))
            if morphology:
                return Histology(morphology, [])
    unknown = []
    for system, code in codings(concept):
        if system == codes.SCT:
            if code in codes.MORPHOLOGY_SCT:  # by concept id: the display may say anything
                return Histology(codes.MORPHOLOGY_SCT[code], [])
            unknown.append(code)
    text = concept_text(concept)
    if text:
        named = codes.histology_from_name(text)
        if named:
            said = [_named(text, named)]
            if unknown:
                said.insert(0, f"SNOMED CT morphology {unknown[0]} is not in the morphology table")
            return Histology(named, said)
    return Histology(None, [])
