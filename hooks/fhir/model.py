"""What extraction hands to the rest of the service: per primary sarcoma, the clinical inputs
for the core plus where each one came from.

FHIR references are kept as relative literal references ("Observation/abc") so cards can name
their sources and emitted Observations can point back at them (``derivedFrom``).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from enum import StrEnum

from cds.model import Assessment, TumorInputs


class Classification(StrEnum):
    """AJCC classification the staging rests on; decides the c/p prefix of what we emit."""

    CLINICAL = "c"
    PATHOLOGIC = "p"


_REFERENCE = operator.attrgetter("reference")


@dataclass(frozen=True, slots=True)
class Source:
    """Where one input value came from."""

    reference: str  # "Observation/123" or "Condition/456"
    date: str | None = None  # effective date/time as recorded (FHIR dateTime string)
    status: str | None = None  # the resource's status ("final", "preliminary", ...)
    text: str | None = None  # the value as the chart shows it, e.g. "55 mm", "pT2"
    # Set when the resource is one of this service's own Observations, written from an accepted
    # suggestion: "suggestion", or "convention" for an N0/M0 by the AJCC convention
    # (hooks.fhir.writeback)
    accepted: str | None = None


@dataclass(frozen=True, slots=True)
class PrimaryTumor:
    """One primary soft tissue sarcoma Condition with its inputs for the core.

    ``sources`` maps an input field name of :class:`cds.model.TumorInputs` ("size_cm",
    "mitoses", "t", ...) to where it came from. ``others`` keeps, per field, the values that
    were found but not used (older or superseded), so the card can report them.
    """

    condition: str  # "Condition/<id>"
    description: str  # e.g. "Leiomyosarcoma of left thigh" (chart text, not escaped)
    inputs: TumorInputs
    classification: Classification = Classification.CLINICAL
    # Clinical context (issue 9; CLINICAL.md section 5). ``also``: duplicate Conditions of this
    # same tumor (same histology and site), merged into it and cited. ``clinical_status``: its
    # Condition.clinicalStatus code. ``resolved``: why the disease is recorded as no longer
    # active ("clinicalStatus resolved", "abatement recorded 2024-02-01"), else None.
    # ``post_treatment``: values measured after neoadjuvant therapy (ypT, post-treatment size),
    # by TumorInputs field name: shown as such, never used for the pretreatment stage.
    # ``possible_metastases``: metastasis Conditions that name no primary while the patient
    # has several; each may belong to this tumor (the card shows the stage with M1).
    also: tuple[str, ...] = ()
    clinical_status: str | None = None
    resolved: str | None = None
    post_treatment: dict[str, tuple[Source, ...]] = field(default_factory=dict)
    possible_metastases: tuple[str, ...] = ()
    sources: dict[str, Source] = field(default_factory=dict)
    others: dict[str, tuple[Source, ...]] = field(default_factory=dict)
    preliminary: bool = False  # the result rests on at least one preliminary input
    notes: tuple[str, ...] = ()  # data-quality notes concerning this tumor
    # c/p prefix of each recorded category as read ("t", "n", "m", "stage" -> "c" or "p"),
    # so that emitted Observations keep a recorded pN1 pathologic and a cM0 clinical.
    prefixes: dict[str, str] = field(default_factory=dict)
    # Facts in the chart that could not be read, one sentence each: never turned into assumptions
    unreadable: tuple[str, ...] = ()
    # Per TumorInputs field, the resource whose value could not be read when no other value of
    # that field was usable (the card names it instead of "not recorded")
    unread_sources: dict[str, Source] = field(default_factory=dict)

    @property
    def input_references(self) -> tuple[str, ...]:
        """Every Observation the inputs rest on, for ``derivedFrom`` (stable order)."""
        refs = {*map(_REFERENCE, self.sources.values())}  # gathered in C
        return tuple(sorted(r for r in refs if r.startswith("Observation/")))


@dataclass(frozen=True, slots=True)
class Extraction:
    """Everything read from one patient's resources."""

    patient_id: str
    primaries: tuple[PrimaryTumor, ...] = ()
    notes: tuple[str, ...] = ()  # notes not tied to one tumor (ignored resources, ...)
    other_patient: int = 0  # resources about another patient, ignored (an integration fault)
    # Cancer Conditions at a soft tissue site with no histology: possibly a sarcoma, not staged
    histology_needed: tuple[str, ...] = ()
    # Metastasis Conditions that name no primary while the patient has several primaries
    # (each tumor lists them in ``possible_metastases``); the patient's age in whole years at
    # the time of the call, from Patient.birthDate (None when not known).
    unattributed_metastases: tuple[str, ...] = ()
    age_years: int | None = None
    # Cancer Conditions coded as a tumor outside the STS chapters that a chart may call a
    # sarcoma (ICD-10-CM C49.A- GIST): not staged, and the data notes card says why.
    out_of_scope: tuple[str, ...] = ()
    # Primary sarcoma Conditions beyond the per-call limit (hooks.services.bounds): not staged
    left_out: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TumorReport:
    """One primary tumor as read from the chart, with the core's answer for it."""

    tumor: PrimaryTumor
    assessment: Assessment
