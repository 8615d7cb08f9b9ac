"""What several cards share: card sources, override reasons, names of site groups and inputs,
and the core's problems (AJCC 8th edition via the NCI PDQ "Adult Soft Tissue Sarcoma
Treatment" summary)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cds.model import Assessment, Problem, SiteGroup, TumorInputs
from hooks.cards import plain
from hooks.fhir.codes import CANONICAL_BASE
from hooks.fhir.model import PrimaryTumor, TumorReport
from hooks.web.wire import CardSource, Coding

PDQ_URL = "https://www.cancer.gov/types/soft-tissue-sarcoma/hp/adult-soft-tissue-treatment-pdq"
STAGE_SOURCE = CardSource(label="AJCC 8th edition via NCI PDQ", url=PDQ_URL)
TREATMENT_SOURCE = CardSource(label="NCI PDQ Adult Soft Tissue Sarcoma Treatment", url=PDQ_URL)

SITE_NAMES = {
    SiteGroup.TRUNK_EXTREMITY: "trunk and extremities (AJCC 8 chapter 41)",
    SiteGroup.RETROPERITONEUM: "retroperitoneum (AJCC 8 chapter 44)",
    SiteGroup.HEAD_NECK: "head and neck (AJCC 8 chapter 40)",
    SiteGroup.VISCERAL: "abdomen and thoracic visceral organs (AJCC 8 chapter 42)",
}

# How the core names an input in ``Assessment.missing`` / ``Problem.field``, mapped to the
# ``TumorInputs`` field whose source ``PrimaryTumor.sources`` records.
FIELD_SOURCES = {
    "site": "site",
    "size": "size_cm",
    "t-category": "t",
    "histology": "histology",
    "differentiation": "differentiation",
    "mitotic-count": "mitoses",
    "necrosis": "necrosis_pct",
    "grade": "grade",
    "t": "t",
    "n": "n",
    "m": "m",
    "stage": "stage",
}

# Reasons a clinician can pick when dismissing a card (CDS Hooks 2.0 ``overrideReasons``);
# they come back in feedback as ``overrideReason.reason``.
OVERRIDE_SYSTEM = f"{CANONICAL_BASE}/CodeSystem/override-reason"
OVERRIDE_REASONS = (
    Coding(
        code="recorded-elsewhere",
        system=OVERRIDE_SYSTEM,
        display="The data is recorded elsewhere (e.g. a pathology report not yet coded)",
    ),
    Coding(
        code="chart-is-right",
        system=OVERRIDE_SYSTEM,
        display="The chart is right; the computed value does not apply to this patient",
    ),
    Coding(
        code="not-needed-now", system=OVERRIDE_SYSTEM, display="Not needed for the current decision"
    ),
)

# Reasons for dismissing an informational card (treatment options, notes): the override reason
# CodeSystem defines them with the others.
INFO_OVERRIDE_REASONS = (
    Coding(
        code="not-applicable",
        system=OVERRIDE_SYSTEM,
        display="Does not apply to this patient",
    ),
    OVERRIDE_REASONS[2],
)

# The same as wire dicts, made once (hooks.cards.plain).
STAGE_SOURCE_WIRE = plain.source(STAGE_SOURCE)
TREATMENT_SOURCE_WIRE = plain.source(TREATMENT_SOURCE)
OVERRIDE_REASONS_WIRE = plain.codings(OVERRIDE_REASONS)
INFO_OVERRIDE_REASONS_WIRE = plain.codings(INFO_OVERRIDE_REASONS)

Assess = Callable[[TumorInputs], Assessment]
Observations = Callable[[TumorReport], list[dict[str, Any]]]
NewUuid = Callable[[], str]


def tnmg(tumor: PrimaryTumor, a: Assessment) -> str:
    # Only T carries the c/p prefix: N and M are often clinical or assumed (N0/M0) even when
    # the tumor was measured on a resection specimen.
    # Each a StrEnum, formatted as its value: no ``.value`` (a Python property, 0.1 us each).
    return f"{tumor.classification}{a.t} {a.n} {a.m} {a.grade.grade}"


def problems(a: Assessment) -> list[Problem]:
    """The core's problems, each once (the grade's are also among the assessment's)."""
    found = (*a.grade.problems, *a.problems)
    # Most often none, or one Problem object in both tuples: answered without hashing them
    # (a Problem's hash is a Python call): 10,000 -> 4,900 instructions a call.
    if len(found) < 2:
        return list(found)
    if len(found) == 2 and found[0] is found[1]:
        return [found[0]]
    return list(dict.fromkeys(found))


def short(name: str) -> str:
    return {
        "mitotic-count": "mitotic count",
        "t-category": "T category",
        "size": "size",
        "t": "T",
        "n": "N",
        "m": "M",
    }.get(name, name.replace("-", " ").replace("_", " "))
