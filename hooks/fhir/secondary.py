"""Metastases by code: which Conditions are a secondary malignant neoplasm, whether nodal
disease is regional (N1) or distant (M1) for a given primary, and SNOMED CT morphologies read
by code.

Sources (``hooks/fhir/tables/metastases.toml``, ``morphology.toml``): mCODE STU4
SecondaryCancerCondition and SecondaryCancerDisorderVS (SNOMED CT is-a 128462008, ICD-10-CM
C77-C79); ICD-10-CM C77 node regions; AJCC 8th edition general rules (nodes draining the
primary site are regional, any other nodal metastasis is M1). A Condition's ``display`` and
``text`` are free text: they are read only when no code is known, and the note says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from cds.model import SiteGroup
from hooks.fhir import codes
from hooks.fhir.read import JSON, as_list, codings, concept_text

_TABLE = codes._load("metastases.toml")
#: SNOMED CT secondary malignant neoplasm concept -> (name, nodal).
SECONDARY_SCT: Final[dict[str, tuple[str, bool]]] = {
    row["code"]: (row["name"], bool(row["nodal"])) for row in _TABLE["snomed"]
}
_ICD = _TABLE["icd10cm"]
SECONDARY_ICD10CM: Final[tuple[str, ...]] = tuple(_ICD["secondary"])
NODAL_ICD10CM: Final[str] = _ICD["nodal"]
NODE_REGIONS: Final[dict[str, str]] = dict(_ICD["node_regions"])
_REGIONAL_TOPOGRAPHY: Final[dict[str, tuple[str, ...]]] = {
    k: tuple(v) for k, v in _TABLE["regional"]["topography"].items()
}
_REGIONAL_GROUP: Final[dict[str, tuple[str, ...]]] = {
    k: tuple(v) for k, v in _TABLE["regional"]["site_group"].items()
}
MORPHOLOGY_SCT: Final = codes.MORPHOLOGY_SCT

#: SNOMED CT lymph node body structure -> node region ("" when it names none).
LYMPH_NODE_SITES: Final[dict[str, str]] = dict(_TABLE["lymph_node_sites"])
_NODE_REGION_WORDS: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])", re.IGNORECASE), region)
    for region, words in _TABLE["node_words"].items()
    for word in words
)

# Text fallback: words clinicians use for a metastasis ("Lung mets", "metastatic disease to
# liver", "secondary deposit"), unless negated or historical.
_METASTASIS_WORDS: Final = re.compile(
    r"\b(?:metasta\w*|mets|secondar(?:y|ies)\s+(?:malignant\s+)?(?:neoplasm|tumou?r|cancer|"
    r"deposit|malignancy)s?)\b",
    re.IGNORECASE,
)
_NEGATED: Final = re.compile(
    r"\b(?:no|not|without|negative|free of|history of|h/o|r/o|rule out|suspected|possible)\b",
    re.IGNORECASE,
)
_NODE_WORDS: Final = re.compile(r"\b(?:lymph\s*node|nodal|lymphadenopathy)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Secondary:
    """Why a Condition is read as a metastasis, and where."""

    how: str  # "SNOMED CT 94391008", "ICD-10-CM C78.01", "the mCODE ... profile", "its text ..."
    nodal: bool = False
    region: str | None = None  # ICD-10-CM C77 node region, when the code names one
    by_text: bool = False
    problem: str | None = None  # e.g. a SNOMED CT code that is not in the table


def _profiles(resource: JSON) -> list[str]:
    meta = resource.get("meta")
    if not isinstance(meta, dict):
        return []
    return [str(p).split("|", maxsplit=1)[0] for p in as_list(meta.get("profile"))]


def _with_node_site(found: Secondary, resource: JSON) -> Secondary:
    """A metastasis whose bodySite is a lymph node structure is nodal, in that node region
    unless its code already names one."""
    for site in as_list(resource.get("bodySite")):
        for system, code in codings(site):
            if system == codes.SCT and code in LYMPH_NODE_SITES:
                region = found.region or LYMPH_NODE_SITES[code] or None
                how = (
                    found.how
                    if found.nodal and found.region
                    else (f"{found.how}, body site SNOMED CT {code} (a lymph node)")
                )
                return Secondary(how, True, region, found.by_text, found.problem)
    return found


def with_region(found: Secondary | None, resource: JSON) -> Secondary | None:
    """A nodal metastasis whose code names no region: the region of its lymph node body
    site, else the region its own words name, if exactly one (said in ``how``)."""
    if found is None:
        return None
    found = _with_node_site(found, resource)
    if not found.nodal or found.region is not None:
        return found
    texts = [concept_text(resource.get("code")) or ""]
    texts += [concept_text(site) or "" for site in as_list(resource.get("bodySite"))]
    named = {
        (region, match.group(0))
        for text in texts
        for pattern, region in _NODE_REGION_WORDS
        if (match := pattern.search(text))
    }
    regions = {region for region, _ in named}
    if len(regions) != 1:
        return found
    word = sorted(w for _, w in named)[0]
    return Secondary(
        f"{found.how} (node region read from its words: {word!r})",
        nodal=True,
        region=regions.pop(),
        by_text=found.by_text,
        problem=found.problem,
    )


def by_code(resource: JSON) -> Secondary | None:
    """A metastasis by its code or profile (never by its words); a nodal one whose code names
    no region takes the region its words name."""
    return with_region(_by_code(resource), resource)


def _by_code(resource: JSON) -> Secondary | None:
    code = resource.get("code")
    found = codings(code)
    for system, value in found:
        if system == codes.ICD10CM and value.upper()[:3] in SECONDARY_ICD10CM:
            icd = value.upper()
            if len(icd) > 3 and icd[3] != ".":  # "C774" as some exports send it: "C77.4"
                icd = f"{icd[:3]}.{icd[3:]}"
            nodal = icd.startswith(NODAL_ICD10CM)
            region = NODE_REGIONS.get(icd[:5]) if nodal else None
            return Secondary(f"ICD-10-CM {icd}", nodal=nodal, region=region)
    for system, value in found:
        if system == codes.SCT and value in SECONDARY_SCT:
            return Secondary(f"SNOMED CT {value}", nodal=SECONDARY_SCT[value][1])
    if codes.SECONDARY_PROFILE in _profiles(resource):
        text = concept_text(code) or ""
        return Secondary(
            "the mCODE SecondaryCancerCondition profile",
            nodal=bool(_NODE_WORDS.search(text)),
        )
    return None


def by_text(resource: JSON) -> Secondary | None:
    """The fallback when no code is known: the Condition's own words say metastasis."""
    code = resource.get("code")
    text = concept_text(code) or ""
    if not text or not _METASTASIS_WORDS.search(text) or _NEGATED.search(text):
        return None
    unknown = [c for s, c in codings(code) if s == codes.SCT]
    problem = (
        f"SNOMED CT {unknown[0]} is not in the metastasis table; read as a metastasis from its "
        f"text {text!r}"
        if unknown
        else f"no code for a metastasis; read as a metastasis from its text {text!r}"
    )
    return with_region(
        Secondary(
            f"its text {text!r}",
            nodal=bool(_NODE_WORDS.search(text)),
            by_text=True,
            problem=problem,
        ),
        resource,
    )


def uncertain(resource: JSON) -> str | None:
    """Words of a metastasis that were not read as one (negated, historical, suspected): a
    note for the chart, so the clinician knows it was seen and not counted."""
    text = concept_text(resource.get("code")) or ""
    if text and _METASTASIS_WORDS.search(text) and _NEGATED.search(text):
        return text
    return None


def name_of(resource: JSON) -> str:
    """What to call the metastasis in a note: the chart's words, else the concept's name."""
    text = concept_text(resource.get("code"))
    if text:
        return text
    for system, value in codings(resource.get("code")):
        if system == codes.SCT and value in SECONDARY_SCT:
            return SECONDARY_SCT[value][0]
    return "secondary malignant neoplasm"


@dataclass(frozen=True, slots=True)
class NodalRule:
    """Whether nodal disease is regional (N1) or distant (M1) for one primary, and why."""

    regional: bool | None  # None: cannot be decided from the chart
    reason: str


def regional(region: str | None, topography: str | None, site: SiteGroup | None) -> NodalRule:
    """AJCC 8 general rule: nodes draining the primary site are regional (N1), others M1."""
    if region is None:
        return NodalRule(
            None,
            "the code does not name the node region, so whether these nodes are regional "
            "cannot be decided",
        )
    basins: tuple[str, ...] | None = None
    where = ""
    if topography:
        for length in (5, 3):
            basins = _REGIONAL_TOPOGRAPHY.get(topography[:length])
            if basins is not None:
                where = f"a primary at ICD-O-3 {topography}"
                break
    if basins is None and site is not None:
        basins = _REGIONAL_GROUP.get(site.value)
        where = f"a {site.value} primary"
    if basins is None:
        return NodalRule(
            None,
            f"{region} nodes: the primary's site does not say which nodes drain it",
        )
    if region in basins:
        return NodalRule(
            True, f"{region} nodes drain {where} and are regional (AJCC 8: regional nodes, N1)"
        )
    return NodalRule(
        False,
        f"{region} nodes do not drain {where} ({' or '.join(basins)} nodes do): non-regional "
        "nodal metastasis is distant metastasis (AJCC 8: M1)",
    )
