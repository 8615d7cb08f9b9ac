"""Clinical context that changes what a chart's values mean (issue 9, CLINICAL.md section 5):
values measured after neoadjuvant therapy (``yp``), several lesions of one primary measured
together, duplicate Conditions for one tumor, a disease recorded as resolved, and the
patient's age.

Sources: AJCC Cancer Staging Manual 8th edition, general rules (the ``y`` prefix marks a
classification after neoadjuvant therapy, which does not replace the pretreatment one; with
multiple tumors T is assigned by the largest); FHIR R4 Condition.clinicalStatus and
abatement[x]; NCI PDQ Adult Soft Tissue Sarcoma Treatment (adults; children and adolescents
are covered by the separate PDQ Childhood Soft Tissue Sarcoma Treatment summary).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, Final

import orjson

from hooks.fhir import conditions
from hooks.fhir.conditions import ConditionInfo
from hooks.fhir.read import JSON, Finding, as_list, codings, concept_text, first_code, reference
from hooks.fhir.text import MEMO_TEXT_MAX

#: Condition.clinicalStatus codes meaning the disease is not active (FHIR R4
#: condition-clinical): staged as recorded, but treatment leads with follow-up.
RESOLVED_STATUSES: Final = frozenset({"inactive", "resolved", "remission"})
#: PDQ covers adults; younger patients have the childhood summary (CLINICAL.md section 5).
ADULT_AGE: Final = 18

# An Observation measured after neoadjuvant therapy: a y-prefixed category (ypT2, yT1) or the
# words pathology reports and mCODE-based exports use for it.
_AFTER_TREATMENT: Final = re.compile(
    r"(?<![A-Za-z])y[cp]?[TNM]\s*[0-4X]|"
    r"\b(?:post[- ]?(?:neoadjuvant|treatment|therapy|chemotherapy|radiation|radiotherapy)|"
    r"(?:after|following)\s+(?:neoadjuvant|preoperative)\s+(?:therapy|treatment|"
    r"chemotherapy|radiation|radiotherapy|chemoradiation)|ypTNM|treatment effect)\b",
    re.IGNORECASE,
)
# Every match of _AFTER_TREATMENT in ASCII text holds one of these once the text is lowercased
# ("y" and a c, p, T, N or M; the first word of each other branch). For ASCII text, lower() is
# exact and the IGNORECASE pattern can match ASCII letters only, so a text without any of them
# has no match: one case-sensitive scan instead of the full pattern at every position (1.4 to
# 0.3 us per Observation; tests/fhir/test_post_treatment_hint.py compares the two).
_HINT: Final = re.compile(r"y[cptnm]|post|after|following|treatment effect")


def after_treatment(text: str) -> re.Match[str] | None:
    """The first words in ``text`` saying it was measured after neoadjuvant therapy, or None
    (``_AFTER_TREATMENT.search``, answered at once for ASCII text without a hint of it)."""
    if text.isascii() and _HINT.search(text.lower()) is None:
        return None
    return _AFTER_TREATMENT.search(text)


def _texts(resource: JSON) -> list[str]:
    """The texts of an Observation that may say it was measured after neoadjuvant therapy, in
    the order they are searched."""
    # A list built in one call, not a generator resumed once per text: most Observations carry
    # a code and nothing else of these (extract of a bench chart: 3.75 to 3.73 million
    # instructions).
    texts: list[str] = []
    add = texts.append
    get = resource.get
    for key in ("code", "valueCodeableConcept", "method", "interpretation"):
        value = get(key)
        if value is None:
            continue
        for concept in value if isinstance(value, list) else [value]:
            text = concept_text(concept)
            if text:
                add(text)
            if isinstance(concept, dict):
                for coding in as_list(concept.get("coding")):
                    if isinstance(coding, dict):
                        add(str(coding.get("code") or ""))
                        add(str(coding.get("display") or ""))
    if isinstance(get("valueString"), str):
        add(resource["valueString"])
    for note in as_list(get("note")):
        if isinstance(note, dict) and isinstance(note.get("text"), str):
            add(note["text"])
    for specimen in as_list(get("specimen")):
        if isinstance(specimen, dict) and isinstance(specimen.get("display"), str):
            add(specimen["display"])
    return texts


def post_treatment(resource: JSON) -> str | None:
    """Why an Observation describes the tumor after neoadjuvant therapy, or None."""
    # The elements read, as JSON, of an Observation already found to say nothing of it are
    # found in a set: one call of orjson instead of a walk in Python (the same code and value
    # concepts come in every chart; the ten Observations of a bench chart: 117,000 to 77,000
    # instructions).
    key = _elements_key(resource)
    if key is not None and key in _QUIET_ELEMENTS:
        return None
    # Most Observations say nothing of it: their raw texts are checked one by one, without
    # building the list (extract of a bench chart: 3.47 to 3.40 million instructions).
    if _hint_free(resource):
        if key is not None:
            _remember_quiet(key, resource)
        return None
    found = after_treatment("\n".join(_texts(resource)))
    return f"{found.group(0)!r}" if found else None


#: The elements of an Observation that ``_texts`` reads texts from, in its order.
_ELEMENT_KEYS: Final = (
    "code",
    "valueCodeableConcept",
    "method",
    "interpretation",
    "valueString",
    "note",
    "specimen",
)
#: JSON of the elements of Observations found hint-free (``_remember_quiet``; bounded, cleared
#: when full).
_QUIET_ELEMENTS: set[bytes] = set()
_QUIET_ELEMENTS_MAX = 4096
# bytes: longer elements are read, not remembered (as every memory keyed on chart text: no text
# over MEMO_TEXT_MAX characters is kept, tests/security/test_memo_bounds.py)
_ELEMENTS_KEY_MAX = MEMO_TEXT_MAX


def _elements_key(resource: JSON) -> bytes | None:
    """The JSON of the elements ``_texts`` reads (None when they are not plain JSON values:
    subclasses of str, dict, int or list are refused, not serialized as their base)."""
    get = resource.get
    try:
        return orjson.dumps(
            (
                get("code"),
                get("valueCodeableConcept"),
                get("method"),
                get("interpretation"),
                get("valueString"),
                get("note"),
                get("specimen"),
            ),
            option=orjson.OPT_PASSTHROUGH_SUBCLASS,
        )
    except TypeError:  # orjson.JSONEncodeError is one
        return None


def _remember_quiet(key: bytes, resource: JSON) -> None:
    """Remember ``key`` of a hint-free Observation whose elements are exactly the JSON values
    the key holds (a tuple where JSON has a list is read as one value, not as items; a NaN is
    written null: those are not remembered).

    Another Observation with the same key then reads the same texts, or fewer (a tuple in place
    of a list is not walked), or "nan", "inf" or "-inf" where this one has null: none holds a
    hint, so its ``post_treatment`` is None too."""
    if len(key) > _ELEMENTS_KEY_MAX:
        return
    if orjson.loads(key) != [resource.get(k) for k in _ELEMENT_KEYS]:
        return  # [1] != (1,), nan != None: not plain JSON
    if len(_QUIET_ELEMENTS) >= _QUIET_ELEMENTS_MAX:
        _QUIET_ELEMENTS.clear()
    _QUIET_ELEMENTS.add(key)


#: ASCII texts known to hold no ``_HINT`` once lowercased (bounded: cleared when full).
_QUIET: set[str] = set()
_QUIET_MAX = 8192


def _quiet(text: object) -> bool:
    """``text`` is an ASCII str with no hint of the pattern (False for anything else)."""
    if type(text) is not str:
        return False
    if text in _QUIET:
        return True
    if not text.isascii() or _HINT.search(text.lower()) is not None:
        return False
    if len(text) <= MEMO_TEXT_MAX:
        if len(_QUIET) >= _QUIET_MAX:
            _QUIET.clear()
        _QUIET.add(text)
    return True


def _hint_free(resource: JSON) -> bool:
    """True only when ``post_treatment`` is certainly None: every raw text ``_texts`` reads is
    ASCII without a hint. ``visible`` leaves ASCII text as it is and ``strip`` only shortens
    it; no hint holds a newline, so a match in the joined texts holds a hint within one text;
    and for ASCII text a match always holds a hint (``after_treatment``)."""
    # A text already known quiet is found in the set here, without a call of ``_quiet`` (an
    # exact str in ``_QUIET`` is what ``_quiet`` answers True for at once), and an absent
    # element costs a test, not a call of ``as_list`` (extract of a bench chart: 2.857 to
    # 2.818 million instructions; tests/fhir/test_post_treatment_walk.py compares it with the
    # walk as first written).
    quiet = _QUIET
    get = resource.get
    for key in _CONCEPT_KEYS:
        value = get(key)
        if value is None:
            continue
        for concept in value if isinstance(value, list) else (value,):
            if not isinstance(concept, dict):
                continue  # concept_text gives None, and there are no codings
            text = concept.get("text")
            if (
                text is not None
                and (type(text) is not str or text not in quiet)
                and isinstance(text, str)
                and not _quiet(text)
            ):
                return False
            coding = concept.get("coding")
            if coding is None:
                continue
            for item in coding if isinstance(coding, list) else (coding,):
                if isinstance(item, dict):
                    # ``_texts`` reads str(code or ""): a falsy code adds "", anything else
                    # that is not a str is left to it.
                    code, display = item.get("code"), item.get("display")
                    if code and (type(code) is not str or code not in quiet) and not _quiet(code):
                        return False
                    if (
                        display
                        and (type(display) is not str or display not in quiet)
                        and not _quiet(display)
                    ):
                        return False
    string = get("valueString")
    if (
        string is not None
        and (type(string) is not str or string not in quiet)
        and isinstance(string, str)
        and not _quiet(string)
    ):
        return False
    notes = get("note")
    if notes is not None:
        for note in notes if isinstance(notes, list) else (notes,):
            text = note.get("text") if isinstance(note, dict) else None
            if isinstance(text, str) and not _quiet(text):
                return False
    specimens = get("specimen")
    if specimens is not None:
        for specimen in specimens if isinstance(specimens, list) else (specimens,):
            shown = specimen.get("display") if isinstance(specimen, dict) else None
            if isinstance(shown, str) and not _quiet(shown):
                return False
    return True


_CONCEPT_KEYS: Final = ("code", "valueCodeableConcept", "method", "interpretation")


def lesion(resource: JSON, aliases: Mapping[str, str]) -> tuple[str, ...] | None:
    """What distinguishes the lesion an Observation measures: the mCODE Tumor BodyStructure it
    focuses on, its own bodySite, or its specimen. None when it does not say."""
    keys: list[str] = []
    for item in as_list(resource.get("focus")):
        ref = reference(item, aliases)
        if ref and ref.startswith("BodyStructure/"):
            keys.append(ref)
    site = resource.get("bodySite")
    if isinstance(site, dict):
        keys += [f"{s}|{c}" for s, c in codings(site)] or [str(concept_text(site) or "")]
    for item in as_list(resource.get("specimen")):
        ref = reference(item, aliases)
        if ref:
            keys.append(ref)
    keys = [k for k in keys if k]
    return tuple(sorted(keys)) or None


def largest_lesion(
    candidates: Sequence[Finding], resources: Mapping[str, JSON], aliases: Mapping[str, str]
) -> tuple[Finding, str] | None:
    """Several final, different sizes measured on the same (most recent) day: the largest,
    with a note saying so (AJCC 8: multiple tumors, T by the largest), and whether the chart
    says they are distinct lesions."""
    final = [f for f in candidates if f.value is not None and f.final and f.source.date]
    if len(final) < 2:
        return None
    day = max(str(f.source.date)[:10] for f in final)
    same = [f for f in final if str(f.source.date)[:10] == day]
    if len(same) < 2 or len({f.value for f in same}) < 2:
        return None
    keys = {f.source.reference: lesion(resources[f.source.reference], aliases) for f in same}
    chosen = max(same, key=lambda f: f.value)
    sizes = ", ".join(f"{f.source.reference} {f.source.text or f.value}" for f in same)
    largest = chosen.source.text or chosen.value
    if None not in keys.values() and len(set(keys.values())) == len(same):
        note = (
            f"{len(same)} lesions of this tumor were measured on {day} ({sizes}): T is "
            f"assigned by the largest, {largest} (AJCC 8 general rules, multiple tumors)."
        )
    else:  # the chart does not say whether these are several lesions or one measured twice
        note = (
            f"{len(same)} different sizes were recorded on {day} ({sizes}) without saying which "
            f"lesion each measures: the largest, {largest}, was used (AJCC 8: with multiple "
            "tumors T is assigned by the largest); if they measure one lesion, check which "
            "value is right."
        )
    return chosen, note


def resolved(resource: JSON) -> str | None:
    """Why the Condition is recorded as no longer active, or None."""
    # Plain loops, not a list and two generators: read for every tumor (tests/fhir/
    # test_tumor_round5.py compares it with the plain reading).
    for _, code in codings(resource.get("clinicalStatus")):
        if code in RESOLVED_STATUSES:
            return f"clinicalStatus {code}"
    for key in _ABATEMENT:
        value = resource.get(key)
        if value not in (None, False):
            when = f" {value}" if isinstance(value, str) else ""
            return f"abatement recorded{when}"
    return None


_ABATEMENT: Final = (
    "abatementDateTime",
    "abatementAge",
    "abatementPeriod",
    "abatementRange",
    "abatementString",
    "abatementBoolean",
)


def clinical_status(resource: JSON) -> str | None:
    return first_code(resource.get("clinicalStatus"))


def duplicates(
    primaries: Sequence[str], infos: Mapping[str, ConditionInfo], resources: Mapping[str, JSON]
) -> dict[str, str]:
    """Conditions that record the same tumor twice (e.g. a problem-list entry and an encounter
    diagnosis): the same recorded ICD-O-3 histology and the same site (site group,
    topography and laterality). Conditions without a histology are never merged: two of them
    at one site may be two tumors. Returns duplicate -> the one kept (the first in the
    chart)."""
    merged: dict[str, str] = {}
    seen: dict[tuple[Any, ...], str] = {}
    for ref in primaries:
        info = infos[ref]
        where = conditions.site(resources[ref])
        if info.morphology is None or where.site is None:
            continue
        key = (info.morphology, where.site.site, where.site.topography, _side(resources[ref]))
        if key in seen:
            merged[ref] = seen[key]
        else:
            seen[key] = ref
    return merged


# Each side as a whole word, compiled once (not looked up in the ``re`` module's cache).
_SIDES: Final = tuple((s, re.compile(rf"\b{s}\b")) for s in ("left", "right"))


def _side(resource: JSON) -> str:
    """Laterality as recorded (a left and a right thigh tumor are two tumors)."""
    words = " ".join(
        filter(
            None,
            [concept_text(b) for b in as_list(resource.get("bodySite"))]
            + [concept_text(resource.get("code"))],
        )
    ).lower()
    sides = {s for s, said in _SIDES if said.search(words)}
    lateral = conditions._laterality(resource)
    if lateral:
        sides.add(lateral)
    return ",".join(sorted(sides))


def age_years(
    patient_id: str, resources: Iterable[JSON], today: date
) -> tuple[int | None, str | None]:
    """The patient's age in whole years on ``today`` from Patient.birthDate, and a note when
    the birth date cannot be read."""
    for resource in resources:
        if resource.get("resourceType") != "Patient" or resource.get("id") != patient_id:
            continue
        born = resource.get("birthDate")
        if born is None:
            return None, None
        try:
            parts = [int(p) for p in str(born).split("-")]
        except ValueError:
            return None, f"Patient/{patient_id} birthDate {born!r} could not be read."
        if len(parts) == 1:  # a year only: one of two ages; the lower is given when both
            years = today.year - parts[0]  # fall on the same side of 18
            if years - 1 >= ADULT_AGE or years < ADULT_AGE:
                return years - 1, None
            return None, f"Patient/{patient_id} birthDate {born!r} gives no exact age."
        year, month = parts[0], parts[1]
        day = parts[2] if len(parts) > 2 else 1
        try:
            birth = date(year, month, day)
        except ValueError:
            return None, f"Patient/{patient_id} birthDate {born!r} could not be read."
        years = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
        return years, None
    return None, None
