"""ICD-O-3 histology: parsing, version drift, names and AJCC 8 scope.

Sources: ICD-O-3.2 morphology codes and WHO Classification of Soft Tissue and Bone Tumours
(2013, 2020) for names and code changes (``icdo3-version-map``,
``icdo3-sarcoma-histologies``); AJCC Cancer Staging Manual 8th ed. ch. 40-45 as routed by the
SEER EOD 2018 schemas for scope (``ajcc8-scope``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cds.model import Problem, Severity, SiteGroup, TraceStep
from cds.tables import table

ICDO3_PATTERN = re.compile(r"^(\d{4})/(\d)$")

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
    """True when ``code`` has the ICD-O-3 morphology/behaviour form ``NNNN/B``."""
    return ICDO3_PATTERN.match(code) is not None


def read_histology(code: str) -> Histology | None:
    """Parse, map old codes to current ones and name an ICD-O-3 morphology.

    Returns None when ``code`` is not of the form ``NNNN/B``.
    """
    code = code.strip()
    if not is_icdo3(code):
        return None
    trace: list[TraceStep] = []
    mapped = VERSION_MAP.first(histology=code)
    current = code
    if mapped is not None:
        current = mapped.text("to")
        trace.append(VERSION_MAP.step(mapped, f"{code} read as {current}: {mapped.text('note')}"))
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
    )


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
