"""ICD-O-3 histology: parsing, version drift, names and AJCC 8 scope.

Sources: ICD-O-3 behaviour codes (``icdo3-behavior``); ICD-O-3.2 morphology codes and WHO
Classification of Soft Tissue and Bone Tumours (2013, 2020) for names and code changes
(``icdo3-version-map``, ``icdo3-sarcoma-histologies``); AJCC Cancer Staging Manual 8th ed.
ch. 40-45 as routed by the SEER EOD 2018 schemas for scope (``ajcc8-scope``).

Behaviour /6 (malignant, metastatic site) and /9 (malignant, uncertain whether primary or
metastatic) are read as /3 (malignant, primary site) for name, scope and differentiation, with
a warning: staging the primary tumor assumes a primary malignant tumor. A digit that is not an
ICD-O-3 behaviour code (/4, /5, /7, /8) makes the code invalid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from cds.model import Problem, Severity, SiteGroup, TraceStep
from cds.numbers import MEMO_KEY_MAX
from cds.tables import table

ICDO3_PATTERN = re.compile(r"^(\d{4})/(\d)$")

BEHAVIOR = table("icdo3-behavior")
VERSION_MAP = table("icdo3-version-map")
SARCOMAS = table("icdo3-sarcoma-histologies")
SCOPE = table("ajcc8-scope")


@dataclass(frozen=True, slots=True)
class Histology:
    """One ICD-O-3 morphology as read, after version mapping."""

    code: str  # the code used by the tables, e.g. "8802/3"
    recorded: str  # the code as given, e.g. "8830/3"
    morphology: str  # "8802"
    behavior: str  # "3"
    name: str | None  # None: not a soft tissue sarcoma we know
    family: str | None  # "adipocytic", "leiomyosarcoma", ...
    trace: tuple[TraceStep, ...] = ()
    problems: tuple[Problem, ...] = ()  # e.g. behaviour /6 or /9 read as /3

    @property
    def is_sarcoma(self) -> bool:
        return self.name is not None

    @property
    def adipocytic(self) -> bool:
        return self.family == "adipocytic"


@dataclass(frozen=True, slots=True)
class Scope:
    """Whether the AJCC 8 soft tissue sarcoma chapters give this tumor a stage group."""

    scope: str  # "staged", "unusual", "not-sts", "not-sarcoma", "unknown"
    treatment: str  # "sts", "histology" or "none"
    reason: str | None
    problems: tuple[Problem, ...] = ()
    trace: tuple[TraceStep, ...] = ()

    @property
    def staged(self) -> bool:
        return self.scope in {"staged", "unknown"}


def is_icdo3(code: str) -> bool:
    """True when ``code`` has the ICD-O-3 form ``NNNN/B`` with B an ICD-O-3 behaviour code."""
    match = ICDO3_PATTERN.match(code.strip())
    return match is not None and BEHAVIOR.first(behavior=match.group(2)) is not None


def read_histology(code: str) -> Histology | None:
    """Parse, map old codes to current ones and name an ICD-O-3 morphology.

    Returns None when ``code`` is not of the form ``NNNN/B`` with B an ICD-O-3 behaviour code.
    """
    if len(code) > MEMO_KEY_MAX:  # a code is a few characters: a longer text is read, not kept
        return _read_histology(code)
    return _remembered_histology(code)


def _read_histology(code: str) -> Histology | None:
    code = code.strip()
    match = ICDO3_PATTERN.match(code)
    behavior_row = BEHAVIOR.first(behavior=match.group(2)) if match else None
    if match is None or behavior_row is None:
        return None
    trace: list[TraceStep] = []
    problems: list[Problem] = []
    current = code
    read_as = behavior_row.opt_text("read_as")
    if read_as is not None:
        current = f"{match.group(1)}/{read_as}"
        primary = BEHAVIOR.first(behavior=read_as)
        words = (
            f"{code} read as {current}: ICD-O-3 behaviour {behavior_row.key} is "
            f"{behavior_row.text('meaning')}"
        )
        if primary is not None:
            words += f"; {primary.key} is {primary.text('meaning')}"
        trace.append(BEHAVIOR.step(behavior_row, words))
        problems.append(
            Problem(
                code="histology-behavior-read-as-primary",
                message=f"Histology {code} is read as {current}: {behavior_row.text('note')}.",
                severity=Severity.WARNING,
                field="histology",
            )
        )
    mapped = VERSION_MAP.first(histology=current)
    if mapped is not None:
        previous, current = current, mapped.text("to")
        trace.append(
            VERSION_MAP.step(mapped, f"{previous} read as {current}: {mapped.text('note')}")
        )
    morphology, behavior = current.split("/")
    named = SARCOMAS.first(morphology=morphology, behavior=behavior)
    if named is not None:
        trace.append(SARCOMAS.step(named, f"ICD-O-3 {current} is {named.text('name')}"))
    return Histology(
        code=current,
        recorded=code,
        morphology=morphology,
        behavior=behavior,
        name=named.text("name") if named else None,
        family=named.text("family") if named else None,
        trace=tuple(trace),
        problems=tuple(problems),
    )


# A pure function of one short code, read twice per tumor (assess and grading) and again by
# the FHIR reader; its answer is frozen. Remembering it (and the scope below): cds.assess
# 0.128 -> 0.100 ms per new chart.
_remembered_histology = lru_cache(maxsize=2048)(_read_histology)


# A pure function of frozen values (typed: a SiteGroup and its text are different keys).
@lru_cache(maxsize=2048, typed=True)
def ajcc_scope(
    histology: Histology | None, site: SiteGroup | None, topography: str | None
) -> Scope:
    """Decide whether the tumor is in scope of the AJCC 8 soft tissue sarcoma chapters."""
    if histology is None:
        return Scope(
            scope="unknown",
            treatment="sts",
            reason=None,
            problems=(
                Problem(
                    code="histology-unknown",
                    message=(
                        "No histology recorded: staged as a soft tissue sarcoma, but confirm "
                        "the histology, since some types are not staged by the AJCC 8 soft "
                        "tissue sarcoma chapters and the grade depends on it."
                    ),
                    severity=Severity.WARNING,
                    field="histology",
                ),
            ),
        )
    if not histology.is_sarcoma:
        return Scope(
            scope="not-sarcoma",
            treatment="none",
            reason=(
                f"ICD-O-3 {histology.recorded} is not a soft tissue sarcoma histology; the AJCC 8 "
                "soft tissue sarcoma chapters and the PDQ soft tissue sarcoma treatment options "
                "do not apply."
            ),
            problems=(
                Problem(
                    code="histology-not-sarcoma",
                    message=(
                        f"Histology {histology.recorded} is not in the soft tissue sarcoma "
                        "histology table: confirm the histology."
                    ),
                    severity=Severity.WARNING,
                    field="histology",
                ),
            ),
        )
    row = SCOPE.first(
        topography=topography.upper() if topography else None,
        morphology=histology.morphology,
        behavior=histology.behavior,
        site=site.value if site else None,
    )
    if row is None:  # the table ends with a catch-all row; integrity tests check it
        raise LookupError(f"ajcc8-scope has no row for {histology.code}")
    reason = row.opt_text("reason")
    note = row.opt_text("note")
    problems: list[Problem] = []
    if note:
        problems.append(Problem(code="scope-note", message=note, field="histology"))
    words = reason or note or "within the AJCC 8 soft tissue sarcoma chapters"
    step = SCOPE.step(row, f"{histology.name} ({histology.code}): {words}")
    return Scope(
        scope=row.text("scope"),
        treatment=row.text("treatment"),
        reason=reason,
        problems=tuple(problems),
        trace=(step,),
    )
