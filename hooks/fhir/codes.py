"""Code systems and the code tables of CLINICAL.md section 4, in one place.

The tables themselves are data (``hooks/fhir/tables/*.toml``), each with ``id``, ``title`` and
``source``; this module loads them once at import (a malformed table fails loudly) and answers
lookups: which feature an Observation code carries, how a recorded T/N/M/stage/grade value
reads (SNOMED CT, AJCC code or text such as ``cT2``, ``3B``, ``Stage IIIA``), which site group
a body site or topography means, and which SNOMED CT concept we emit for a value.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from cds.model import Grade, M, N, SiteGroup, Stage, T
from hooks.fhir.text import MEMO_TEXT_MAX

SCT: Final = "http://snomed.info/sct"
LNC: Final = "http://loinc.org"
ICDO3: Final = "http://terminology.hl7.org/CodeSystem/icd-o-3"
ICD10CM: Final = "http://hl7.org/fhir/sid/icd-10-cm"
AJCC: Final = "http://cancerstaging.org"
NCIT: Final = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
UCUM: Final = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"

#: Stable base of everything this project defines (profiles, CodeSystem, ValueSets).
CANONICAL_BASE: Final = "https://sarcoma-cds.org/fhir"
#: Our CodeSystem for FNCLCC scores and the other concepts without a standard code.
SARC: Final = f"{CANONICAL_BASE}/CodeSystem/fnclcc"
MCODE_PROFILE: Final = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
HISTOLOGY_EXTENSION: Final = MCODE_PROFILE + "mcode-histology-morphology-behavior"
RELATED_CONDITION_EXTENSION: Final = MCODE_PROFILE + "mcode-related-condition"
CONDITION_RELATED_EXTENSION: Final = "http://hl7.org/fhir/StructureDefinition/condition-related"
LATERALITY_EXTENSION: Final = MCODE_PROFILE + "mcode-laterality-qualifier"

_ALIASES: Final = {"SCT": SCT, "LNC": LNC, "NCIT": NCIT, "SARC": SARC, "ICDO3": ICDO3}
_TABLES: Final = Path(__file__).with_name("tables")

Coded = tuple[str, str]  # (system, code)


def _coded(text: str) -> Coded:
    alias, _, code = text.partition("#")
    if alias not in _ALIASES or not code:
        raise ValueError(f"malformed code {text!r} in hooks/fhir/tables")
    return _ALIASES[alias], code


def coded(text: str) -> Coded:
    """``SCT#2667000`` -> (system, code), with the aliases above."""
    return _coded(text)


def _load(name: str) -> dict[str, Any]:
    with (_TABLES / name).open("rb") as handle:
        table = tomllib.load(handle)
    for key in ("id", "title", "source"):
        if not isinstance(table.get(key), str):
            raise ValueError(f"hooks/fhir/tables/{name} lacks {key!r}")
    return table


def load_table(name: str) -> dict[str, Any]:
    """A table of ``hooks/fhir/tables`` (checked for ``id``, ``title``, ``source``)."""
    return _load(name)


# --------------------------------------------------------------------------- input codes

_INPUTS = _load("inputs.toml")
#: Observation code -> (feature, classification "c" / "p" / "").
OBSERVATION_CODES: Final[dict[Coded, tuple[str, str]]] = {
    _coded(code): (row["feature"], row.get("classification", ""))
    for row in _INPUTS["observation"]
    for code in row["codes"]
}
SIZE_GREATEST: Final = _coded(_INPUTS["size_component"]["greatest"])
FNCLCC_METHOD: Final = _coded(_INPUTS["grading"]["fnclcc"])
GRADE_VALUES: Final[dict[Coded, Grade]] = {
    _coded(k): Grade(v) for k, v in _INPUTS["grade_values"].items()
}
OTHER_GRADE_VALUES: Final[dict[Coded, str]] = {
    _coded(k): v for k, v in _INPUTS["other_grade_values"].items()
}
_COND = _INPUTS["conditions"]
SECONDARY_PROFILE: Final[str] = _COND["secondary_profile"]
PRIMARY_PROFILE: Final[str] = _COND["primary_profile"]
SARCOMA_ICD10CM: Final[tuple[str, ...]] = tuple(_COND["sarcoma_icd10cm_prefixes"])
MALIGNANT_NEOPLASM_SCT: Final = frozenset(_coded(c) for c in _COND["malignant_neoplasm_sct"])


def observation_feature(codings: list[Coded]) -> tuple[str, str] | None:
    """The feature (``size``, ``t``, ...) and classification an Observation code carries."""
    for coding in codings:
        found = OBSERVATION_CODES.get(coding)
        if found is not None:
            return found
    return None


# --------------------------------------------------------------------------- output codes

_OUTPUTS = _load("outputs.toml")
AJCC8_METHOD: Final = _coded(_OUTPUTS["method"]["ajcc8"])
FNCLCC_GRADING: Final = _coded(_OUTPUTS["method"]["fnclcc"])
DISPLAY: Final[dict[Coded, str]] = {_coded(k): v for k, v in _OUTPUTS["display"].items()}
OUTPUT_CODE: Final[dict[str, dict[str, Coded]]] = {
    kind: {feature: _coded(code) for feature, code in rows.items()}
    for kind, rows in _OUTPUTS["code"].items()
}
_VALUES: Final[dict[str, dict[str, str]]] = _OUTPUTS["value"]


def output_value(feature: str, classification: str, value: str) -> Coded:
    """SNOMED CT concept we emit for a T/N/M/stage/grade value.

    ``classification`` ("c" or "p") picks the prefix of T/N/M values; there is no pM0 (AJCC 8),
    so a pathologic M0 is the cM0 concept (callers say so in a note).
    """
    if feature == "stage":
        return SCT, _VALUES["stage"][value]
    if feature == "grade":
        return SCT, _VALUES["grade"][value]
    table = _VALUES[classification]
    if value not in table:  # pM0
        table = _VALUES["c"]
    return SCT, table[value]


#: SNOMED CT value concept -> (category value, classification), read back for input.
_SCT_CATEGORY: Final[dict[str, tuple[str, str]]] = {
    code: (value, prefix) for prefix in ("c", "p") for value, code in _VALUES[prefix].items()
}
_SCT_STAGE: Final[dict[str, str]] = {code: value for value, code in _VALUES["stage"].items()}

# ------------------------------------------------------------------ value parsing (T/N/M/stage)

_CATEGORY_RE: Final = re.compile(
    r"^(?:AJCC\s*(?:8(?:th)?)?\s*)?(?P<y>y|r|a)?(?P<prefix>[cp])?(?P<letter>[TNM])\s*"
    r"(?P<value>X|0|1|2|3|4)(?P<sub>[abc])?$",
    re.IGNORECASE,
)
_STAGE_RE: Final = re.compile(
    r"^(?:(?:AJCC\s*)?(?:(?:clinical|pathologic(?:al)?|prognostic)\s+)?stage(?:\s*group)?\s*)?"
    r"(?P<roman>IV|I{1,3}|[1-4])\s*(?P<sub>[ABC])?$",
    re.IGNORECASE,
)
_ARABIC: Final = {"1": "I", "2": "II", "3": "III", "4": "IV"}
_ENUMS: Final[dict[str, Any]] = {"t": T, "n": N, "m": M}


@dataclass(frozen=True, slots=True)
class Parsed:
    """A recorded value read from a coding or text: the value, or why it could not be read."""

    value: str | None  # AJCC notation without prefix ("T2", "N1", "IIIA", "G2")
    prefix: str = ""  # "c", "p" or "" when the value does not say
    problem: str | None = None


def parse_category(feature: str, system: str | None, code: str | None, text: str | None) -> Parsed:
    """Read a recorded T, N, M or stage value from SNOMED CT, an AJCC code or text."""
    if system == SCT and code:
        if feature == "stage":
            if code in _SCT_STAGE:
                return Parsed(_SCT_STAGE[code])
        elif code in _SCT_CATEGORY:
            value, prefix = _SCT_CATEGORY[code]
            if value[0].lower() == feature:
                return Parsed(value, prefix)
        return Parsed(None, problem=f"SNOMED CT {code} is not an AJCC 8 {feature.upper()} value")
    raw = (code if system == AJCC and code else None) or text or code
    if not raw:
        return Parsed(None, problem="no value")
    raw = raw.strip()
    if feature == "stage":
        return _parse_stage(raw)
    match = _CATEGORY_RE.match(raw.replace(" ", ""))
    if match is None or match["letter"].lower() != feature:
        return Parsed(None, problem=f"{raw!r} is not an AJCC {feature.upper()} category")
    if match["y"]:
        return Parsed(None, problem=f"{raw!r} is a post-therapy or recurrence classification")
    value = match["letter"].upper() + match["value"].upper() + (match["sub"] or "").lower()
    try:
        enum_value = _ENUMS[feature](value)
    except ValueError:
        return Parsed(None, problem=f"{raw!r} is not an AJCC 8 soft tissue sarcoma category")
    return Parsed(str(enum_value), (match["prefix"] or "").lower())


def _parse_stage(raw: str) -> Parsed:
    match = _STAGE_RE.match(raw.strip())
    if match is None:
        return Parsed(None, problem=f"{raw!r} is not an AJCC stage group")
    roman = _ARABIC.get(match["roman"], match["roman"].upper())
    value = roman + (match["sub"] or "").upper()
    try:
        return Parsed(str(Stage(value)))
    except ValueError:
        return Parsed(None, problem=f"{raw!r} is not an AJCC 8 soft tissue sarcoma stage group")


_GRADE_RE: Final = re.compile(
    r"^(?:FNCLCC\s*)?(?:histologic(?:al)?\s*)?(?:grade\s*|G\s*)(?P<g>X|[1-3])$", re.IGNORECASE
)


def parse_grade(system: str | None, code: str | None, text: str | None) -> Parsed:
    """Read an FNCLCC grade. A grade of another system is GX (problem says which it was)."""
    if system and code:
        if (system, code) in GRADE_VALUES:
            return Parsed(str(GRADE_VALUES[(system, code)]))
        if (system, code) in OTHER_GRADE_VALUES:
            return Parsed(
                "GX", problem=f"{OTHER_GRADE_VALUES[(system, code)]} is not an FNCLCC grade"
            )
    raw = (text or code or "").strip()
    match = _GRADE_RE.match(raw)
    if match:
        return Parsed("G" + match["g"].upper())
    if raw:
        return Parsed("GX", problem=f"{raw!r} is not an FNCLCC grade")
    return Parsed(None, problem="no value")


# --------------------------------------------------------------------------------- sites

_SITES = _load("sites.toml")
_SNOMED_SITES: Final[dict[str, tuple[SiteGroup | None, str | None]]] = {
    code: (SiteGroup(row["site"]) if row["site"] else None, row.get("topography"))
    for row in _SITES["snomed"]
    for code in row["codes"]
}
_TOPOGRAPHY: Final[dict[str, SiteGroup]] = {
    k: SiteGroup(v) for k, v in _SITES["topography"].items()
}
AMBIGUOUS_TOPOGRAPHY: Final = frozenset(_SITES["ambiguous"]["codes"])
#: SNOMED CT body structure -> words for a description, when the chart gives no text.
SNOMED_SITE_NAMES: Final[dict[str, str]] = dict(_SITES["snomed_names"])
SOFT_TISSUE_TOPOGRAPHY: Final[tuple[str, ...]] = tuple(_SITES["soft_tissue"]["prefixes"])
_TOPOGRAPHY_RE: Final = re.compile(r"^C\d\d(?:\.?\d+)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Site:
    site: SiteGroup | None
    topography: str | None
    problem: str | None = None


def normal_topography(code: str) -> str | None:
    """``C49.2`` for ``c492``, ``C49.2`` or ICD-10-CM ``C49.22`` (laterality digit dropped)."""
    code = code.strip().upper()
    if not _TOPOGRAPHY_RE.match(code):
        return None
    digits = code[1:].replace(".", "")
    return f"C{digits[:2]}" + (f".{digits[2]}" if len(digits) > 2 else "")


def site_of_topography(code: str) -> Site | None:
    """Site group for an ICD-O-3 topography or an ICD-10-CM C47-C49 code (same shapes)."""
    topo = normal_topography(code)
    if topo is None:
        return None
    if topo in AMBIGUOUS_TOPOGRAPHY or topo in {"C47", "C49"}:
        return Site(
            None,
            topo,
            f"site {topo} does not say whether the tumor is in the trunk wall or an internal "
            "organ: record a finer site",
        )
    for length in (5, 3):
        group = _TOPOGRAPHY.get(topo[:length])
        if group is not None:
            return Site(group, topo)
    return Site(None, topo)


#: Bone and articular cartilage: sarcomas there are bone sarcomas (AJCC 8 ch. 38), not STS.
BONE_TOPOGRAPHY: Final = ("C40", "C41")


def site_of_snomed(code: str) -> Site | None:
    found = _SNOMED_SITES.get(code)
    if found is None:
        return None
    return Site(found[0], found[1])


# ----------------------------------------------------------------------------- histology

_HISTOLOGY = _load("histology.toml")
_SARCOMA_RANGES: Final[tuple[tuple[int, int], ...]] = tuple(
    (int(low), int(high)) for low, high in _HISTOLOGY["sarcoma_ranges"]
)
# Whole words only: "sarcoma" must not match carcinosarcoma, osteosarcoma or lymphosarcoma.
_NAMES: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])"), morphology)
    for name, morphology in sorted(_HISTOLOGY["names"].items(), key=lambda item: -len(item[0]))
)
#: SNOMED CT morphologic abnormality -> ICD-O-3 morphology (read by concept id, not display).
MORPHOLOGY_SCT: Final[dict[str, str]] = dict(_load("morphology.toml")["concepts"])
_MORPHOLOGY_RE: Final = re.compile(r"^(?P<h>\d{4})\s*/\s*(?P<b>[0-9])$")


def parse_morphology(code: str) -> str | None:
    """ICD-O-3 morphology ``HHHH/B`` (accepts ``8890/3``, ``8890 / 3``); None otherwise."""
    match = _MORPHOLOGY_RE.match(code.strip())
    return f"{match['h']}/{match['b']}" if match else None


def histology_from_name(text: str) -> str | None:
    """ICD-O-3 morphology for a histology named in text (longest known name wins)."""
    if len(text) > MEMO_TEXT_MAX:
        return _histology_named(text)  # read, not kept
    return _remembered_histology_named(text)


def _histology_named(text: str) -> str | None:
    lowered = " ".join(text.lower().replace("(morphologic abnormality)", "").split())
    for name, morphology in _NAMES:
        if name.search(lowered):
            return morphology
    return None


# chart texts repeat
_remembered_histology_named = functools.lru_cache(maxsize=4096)(_histology_named)


def behavior(morphology: str) -> str:
    return morphology[-1]


def is_sarcoma(morphology: str) -> bool:
    """A soft tissue sarcoma family morphology with behaviour /1 or /3 (handed to the core)."""
    number = int(morphology[:4])
    return behavior(morphology) in {"1", "3"} and any(
        low <= number <= high for low, high in _SARCOMA_RANGES
    )


# ---------------------------------------------------------------------------------- units

_TO_CM: Final[dict[str, Decimal]] = {
    "mm": Decimal("0.1"),
    "cm": Decimal(1),
    "m": Decimal(100),
    "[in_i]": Decimal("2.54"),  # international inch, exactly 2.54 cm (UCUM)
}


def size_in_cm(
    value: Decimal, system: str | None, code: str | None, unit: str | None
) -> Decimal | None:
    """Convert a UCUM length to cm exactly; None for a unit we do not know (never guessed)."""
    if system not in (None, UCUM):
        return None
    unit_code = code if code is not None else unit
    factor = _TO_CM.get(unit_code or "")
    return None if factor is None else value * factor
