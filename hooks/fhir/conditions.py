"""Reading Conditions: primary soft tissue sarcoma, secondary neoplasm, other cancer, or none.

A Condition is a primary sarcoma when its histology (mCODE histology-morphology-behavior
extension, or an ICD-O-3 morphology as its code) is a sarcoma-family morphology, or, with no
histology, when its code is an ICD-10-CM soft tissue sarcoma code (C49.x, C48.0-C48.2, C48.8)
or names a sarcoma. A primary cancer Condition with a generic code (SNOMED CT 363346000, the
mCODE primary cancer profile, an ICD-10-CM C code) and no histology of its own is undecided:
extraction decides it from the ICD-O-3 histology Observations attached to it
(``hooks.fhir.attach.decide_histology``). Secondary neoplasms are recognised by code
(``hooks.fhir.secondary``: the mCODE SecondaryCancerCondition profile, ICD-10-CM C77-C79, the
SNOMED CT concepts of the metastasis table, an ICD-O-3 behaviour /6), and by their text only
when no code is known. ICD-10-CM C49.A- is a gastrointestinal stromal tumor (AJCC 8 chapter
43), not a soft tissue sarcoma of the STS chapters.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from cds.histology import read_histology
from hooks.fhir import codes, secondary
from hooks.fhir.read import (
    JSON,
    as_list,
    codings,
    concept_text,
    extension_refs,
    first_code,
    histology,
    parse_when,
    reference,
)
from hooks.fhir.text import MEMO_TEXT_MAX, visible


class Kind(StrEnum):
    SARCOMA = "sarcoma"
    SECONDARY = "secondary"
    OTHER_CANCER = "other-cancer"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class ConditionInfo:
    kind: Kind
    morphology: str | None = None
    problems: tuple[str, ...] = ()
    nodal: bool = False  # a secondary in lymph nodes (ICD-10-CM C77.x)
    morphology_text: str | None = None  # the histology as the chart names it
    reason: str | None = None  # why another cancer is not staged here
    # A cancer with no histology of its own: its histology Observations decide whether it is
    # a sarcoma (hooks.fhir.attach.decide_histology).
    undecided: bool = False
    histology_source: str | None = None  # the Observation the histology was read from
    notes: tuple[str, ...] = ()  # notes for the tumor card (where the histology came from)
    secondary: secondary.Secondary | None = None  # why a SECONDARY was read as one


def _profiles(resource: JSON) -> list[str]:
    meta = resource.get("meta")
    if not isinstance(meta, dict):
        return []
    return [str(p).split("|", maxsplit=1)[0] for p in as_list(meta.get("profile"))]


def _icd10(resource: JSON) -> list[str]:
    return [c.upper() for s, c in codings(resource.get("code")) if s == codes.ICD10CM]


def condition_histology(resource: JSON) -> tuple[str | None, list[str], str | None]:
    """Morphology from the mCODE extension or an ICD-O-3 morphology coded as the Condition,
    with the problems found and the histology as the chart names it."""
    for ext in as_list(resource.get("extension")):
        if isinstance(ext, dict) and ext.get("url") == codes.HISTOLOGY_EXTENSION:
            concept = ext.get("valueCodeableConcept")
            found = histology(concept)
            if found.morphology:
                return found.morphology, found.problems, concept_text(concept)
    for system, code in codings(resource.get("code")):
        if system == codes.ICDO3:
            morphology = codes.parse_morphology(code)
            if morphology:
                return morphology, [], concept_text(resource.get("code"))
        if system == codes.SCT and code in secondary.MORPHOLOGY_SCT:
            # A SNOMED CT morphologic abnormality coded as the Condition: read by its id.
            return secondary.MORPHOLOGY_SCT[code], [], concept_text(resource.get("code"))
    return None, [], None


def classify(resource: JSON) -> ConditionInfo:
    code = resource.get("code")
    icd10 = _icd10(resource)
    morphology, problems, morphology_text = condition_histology(resource)
    metastasis = secondary.by_code(resource)
    if metastasis is None and morphology is not None and codes.behavior(morphology) == "6":
        metastasis = secondary.Secondary(f"ICD-O-3 behaviour /6 ({morphology})")
    if metastasis is not None:
        return _secondary(metastasis, morphology, problems)
    if any(c.startswith(GIST_ICD10CM) for c in icd10):
        return ConditionInfo(Kind.OTHER_CANCER, morphology, reason=GIST_REASON)
    where = site(resource).site
    if where is not None and (where.topography or "").startswith(codes.BONE_TOPOGRAPHY):
        return ConditionInfo(Kind.OTHER_CANCER, morphology, reason="a tumor of bone")
    if morphology is not None:
        if codes.is_sarcoma(morphology):
            return ConditionInfo(
                Kind.SARCOMA, morphology, tuple(problems), morphology_text=morphology_text
            )
        malignant = codes.behavior(morphology) == "3"
        return ConditionInfo(Kind.OTHER_CANCER if malignant else Kind.NONE, morphology)
    shown = concept_text(code) or ""
    named = codes.histology_from_name(shown) if shown else None
    if named and codes.is_sarcoma(named):
        return ConditionInfo(
            Kind.SARCOMA,
            named,
            (f"histology read as ICD-O-3 {named} from {shown!r}",),
            morphology_text=shown,
        )
    if any(c.startswith(codes.SARCOMA_ICD10CM) for c in icd10):
        return ConditionInfo(Kind.SARCOMA)
    worded = secondary.by_text(resource)  # no code said metastasis: the words may
    if worded is not None:
        return _secondary(worded, morphology, problems)
    cancer = (
        codes.PRIMARY_PROFILE in _profiles(resource)
        or any(c in codes.MALIGNANT_NEOPLASM_SCT for c in codings(code))
        or any(c[:1] == "C" and c[1:3].isdigit() and int(c[1:3]) <= 96 for c in icd10)
    )
    if not cancer:
        return ConditionInfo(Kind.NONE)
    return ConditionInfo(Kind.OTHER_CANCER, undecided=True)


def opaque_code(resource: JSON) -> str | None:
    """The codes of a Condition the reader could not classify and cannot read at all, as
    "SNOMED CT 94579000": no text, no display, no ICD-10-CM coding (ICD-10-CM codes outside
    C00-D49 are known not to be cancers) and no code in our tables. Such a Condition may be a
    metastasis coded by a SNOMED CT concept we do not ship: it is reported on the stage card
    as not understood, never silently taken as absent. None when the Condition is readable or
    not an active problem (clinicalStatus inactive, resolved, remission)."""
    code = resource.get("code")
    coded = codings(code)
    if not coded or concept_text(code) or _icd10(resource):
        return None
    status = [c for _, c in codings(resource.get("clinicalStatus"))]
    if any(s in {"inactive", "resolved", "remission"} for s in status):
        return None
    names = {codes.SCT: "SNOMED CT"}
    return ", ".join(f"{names.get(system, system or 'code')} {value}" for system, value in coded)


#: ICD-10-CM C49.A- (gastrointestinal stromal tumor, from FY2021): AJCC 8 chapter 43, outside
#: the soft tissue sarcoma chapters (CLINICAL.md section 1, scope).
GIST_ICD10CM: Final = "C49.A"
GIST_REASON: Final = (
    "a gastrointestinal stromal tumor (ICD-10-CM C49.A-), staged by AJCC 8 chapter 43 "
    "(GIST) rather than the soft tissue sarcoma chapters"
)


def _secondary(
    metastasis: secondary.Secondary, morphology: str | None, problems: list[str]
) -> ConditionInfo:
    return ConditionInfo(
        Kind.SECONDARY, morphology, tuple(problems), metastasis.nodal, secondary=metastasis
    )


@dataclass(frozen=True, slots=True)
class SiteInfo:
    site: codes.Site | None
    text: str | None  # the body site as the chart names it
    name: str | None = None  # its text, else the name of its SNOMED CT code (for descriptions)
    unknown: tuple[str, ...] = ()  # body site codes not in the site table ("SNOMED CT 123")

    @property
    def soft_tissue(self) -> bool:
        """An ICD-O-3 soft tissue topography (C47, C49, C48.0-C48.2, C48.8), where a cancer
        with no histology may be a soft tissue sarcoma."""
        topography = self.site.topography if self.site is not None else None
        return topography is not None and topography.startswith(codes.SOFT_TISSUE_TOPOGRAPHY)


def site(resource: JSON) -> SiteInfo:
    """Site group and topography: body site first (SNOMED CT or ICD-O-3), else ICD-10-CM."""
    shown: str | None = None
    named: str | None = None
    unknown: list[str] = []
    for body_site in as_list(resource.get("bodySite")):
        shown = shown or concept_text(body_site)
        for system, code in codings(body_site):
            if system == codes.SCT:
                named = named or codes.SNOMED_SITE_NAMES.get(code)
            found = (
                codes.site_of_snomed(code)
                if system == codes.SCT
                else codes.site_of_topography(code)
                if system == codes.ICDO3
                else None
            )
            if found is not None:
                return SiteInfo(found, shown, shown or named)
            if system in (codes.SCT, codes.ICDO3):
                label = "SNOMED CT" if system == codes.SCT else "ICD-O-3"
                unknown.append(f"{label} {code}")
    for code in _icd10(resource):
        found = codes.site_of_topography(code)
        if found is not None:
            return SiteInfo(found, shown, shown or named, tuple(unknown))
    return SiteInfo(None, shown, shown or named, tuple(unknown))


# SNOMED CT fully specified names carry a semantic tag; charts often copy them as display.
_TAG = re.compile(r"\s*\((?:body structure|disorder|morphologic abnormality|qualifier value)\)\s*$")
_SIDE = re.compile(r"\b(?:left|right|bilateral)\b", re.IGNORECASE)
# "Retroperitoneal structure" names a place by its adjective: say the noun.
_SARCOMA_NOS: Final = "8800/3"  # "sarcoma": names no specific histology
_PLACE_NOUNS: Final = {"retroperitoneal": "retroperitoneum", "uterine": "uterus"}


def _clean(text: str) -> str:
    return " ".join(_TAG.sub("", visible(text), count=1).split())


def site_words(text: str) -> str:
    """A body site as words for a sentence: "Thigh structure (body structure)" -> "thigh"."""
    words = _clean(text)
    words = _LEADING_STRUCTURE.sub("", words)
    words = _TRAILING_STRUCTURE.sub("", words)
    # Sentence case, acronyms kept: "Left Thigh" -> "left thigh", "CNS" stays.
    words = " ".join(w[:1].lower() + w[1:] if w[1:].islower() else w for w in words.split())
    return _PLACE_NOUNS.get(words.lower(), words)


def _mentions(name: str, words: str) -> re.Match[str] | None:
    pattern = _words_pattern(words) if len(words) <= MEMO_TEXT_MAX else _phrase(words)
    return pattern.search(name)


# Compiled once, not looked up in the ``re`` module's cache on every call (with the pattern
# text rebuilt and escaped each time for ``_mentions``; with context._SIDES: extract of a bench
# chart 3.52 to 3.48 million instructions, stage 4.06 to 4.03).
_LEADING_STRUCTURE: Final = re.compile(r"^(?:entire|structure of)\s+", re.IGNORECASE)
_TRAILING_STRUCTURE: Final = re.compile(r"\s+structure$", re.IGNORECASE)


def _phrase(words: str) -> re.Pattern[str]:
    """``words`` as a whole phrase (not inside a longer word or hyphenated name), any case."""
    return re.compile(rf"(?<![\w-]){re.escape(words)}(?![\w-])", re.IGNORECASE)


_words_pattern = functools.lru_cache(maxsize=256)(_phrase)


def _names_histology(name: str, histology_text: str) -> bool:
    """True when ``name`` already names the histology, or a specific one of its own (the
    chart's word is kept: "Angiosarcoma of scalp" for a "Hemangiosarcoma" morphology)."""
    if _mentions(name, histology_text):
        return True
    named = codes.histology_from_name(name)
    return named is not None and named != _SARCOMA_NOS


def description(
    resource: JSON,
    site_text: str | None,
    histology_text: str | None = None,
    morphology: str | None = None,
) -> str:
    """What the chart calls the tumor, e.g. "Leiomyosarcoma of left thigh".

    Built from ``Condition.code`` (text, else display), the histology when the code does not
    name it (as the chart names it, else the name of its ICD-O-3 ``morphology``), and the body
    site with its laterality unless the name already says where: the site is never said twice
    and the histology never dropped. A generic code ("Malignant neoplastic disease", "Cancer")
    thus reads "Round cell liposarcoma of left thigh".
    """
    texts = (
        concept_text(resource.get("code")),
        site_text,
        histology_text,
        morphology,
        _laterality(resource),
    )
    if any(text is not None and len(text) > MEMO_TEXT_MAX for text in texts):
        return _described.__wrapped__(*texts)  # read, not kept
    return _described(*texts)


# The description is words from five texts (regular expressions over each): a chart's tumor
# is named like many before it, so each set of texts is described once (extract of a bench
# chart: 3.35 to 3.28 million instructions). Texts in, text out: a pure function of its str
# arguments.
@functools.lru_cache(maxsize=1024)
def _described(
    code_text: str | None,
    site_text: str | None,
    histology_text: str | None,
    morphology: str | None,
    side: str | None,
) -> str:
    """``description`` from the Condition's code text and laterality."""
    name = _clean(code_text or "")
    histology_name = _clean(histology_text).removesuffix(", NOS") if histology_text else ""
    if codes.parse_morphology(histology_name):  # a bare ICD-O-3 code is not a name
        histology_name = ""
    if not histology_name and morphology:
        known = read_histology(morphology)
        if known is not None and known.name:
            histology_name = known.name[:1].upper() + known.name[1:]
    if histology_name and not (name and _names_histology(name, histology_name)):
        # The code is generic ("Malignant neoplastic disease") or names another histology
        # ("Sarcoma of thigh" for a leiomyosarcoma): lead with the histology, keep the place.
        place = name.rsplit(" of ", 1)[1] if " of " in name else ""
        name = f"{histology_name} of {place}" if place and not site_text else histology_name
    name = name or "Soft tissue sarcoma"
    where = site_words(site_text) if site_text else ""
    if where:
        stated = _SIDE.search(where)
        side = stated.group(0).lower() if stated else side
        core = " ".join(_SIDE.sub("", where).split())
        if not core:
            return name
        found = _mentions(name, core)
        if found is None:
            where = where if stated or not side else f"{side} {where}"
            return f"{name} of {where}"
        if side and not _SIDE.search(name):
            # "Leiomyosarcoma of thigh" with a left-sided body site: "... of left thigh".
            return f"{name[: found.start()]}{side} {name[found.start() :]}"
    return name


def _laterality(resource: JSON) -> str | None:
    for body_site in as_list(resource.get("bodySite")):
        if not isinstance(body_site, dict):
            continue
        for ext in as_list(body_site.get("extension")):
            if isinstance(ext, dict) and ext.get("url") == codes.LATERALITY_EXTENSION:
                text = concept_text(ext.get("valueCodeableConcept"))
                if text:
                    return text.split(" (")[0].lower()
    return None


def onset(resource: JSON) -> str | None:
    return onset_when(resource)[0]


def onset_when(resource: JSON) -> tuple[str | None, datetime | None]:
    """``onset(resource)`` and its time, ``parse_when`` of it (read once: a tumor dates its
    histology by it)."""
    for key in ("onsetDateTime", "recordedDate"):
        when = parse_when(resource.get(key))
        if when is not None:
            return str(resource[key]), when
    period = resource.get("onsetPeriod")
    if isinstance(period, dict):
        when = parse_when(period.get("start"))
        if when is not None:
            return str(period["start"]), when
    return None, None


def recurrent(resource: JSON) -> bool:
    return any(c in {"recurrence", "relapse"} for _, c in codings(resource.get("clinicalStatus")))


def verification(resource: JSON) -> str | None:
    return first_code(resource.get("verificationStatus"))


#: mCODE STU1 named the related primary with its own extension (STU2+ use condition-related).
_MCODE_STU1_RELATED: Final = codes.MCODE_PROFILE + "mcode-related-primary-cancer-condition"


def related_primaries(resource: JSON, aliases: Mapping[str, str]) -> list[str]:
    """The primary a secondary Condition names: mCODE relatedPrimaryCancerCondition
    (condition-related; the STU1 extension too), else a Condition in ``evidence.detail``."""
    named = extension_refs(resource, codes.CONDITION_RELATED_EXTENSION, aliases)
    named += extension_refs(resource, _MCODE_STU1_RELATED, aliases)
    if not named:
        for evidence in as_list(resource.get("evidence")):
            if isinstance(evidence, dict):
                for detail in as_list(evidence.get("detail")):
                    ref = reference(detail, aliases)
                    if ref and ref.startswith("Condition/"):
                        named.append(ref)
    return named
