"""CDS Hooks cards for each primary soft tissue sarcoma: the composer that assembles the card
list (stage, treatment options, data gaps, discrepancies, notes; then the data notes).

Each card kind has its own module in ``hooks/cards/``; cards are decision support: each says
so, cites its source (AJCC 8th edition via the NCI PDQ "Adult Soft Tissue Sarcoma Treatment"
summary, paraphrased), and shows where every value came from. Text taken from the chart is
escaped before it goes into Markdown (``hooks/cards/markdown.py``). Indicators are ``info``
unless the clinician has something to act on (``warning``). The staging Observations are
delivered only as the ``create`` actions of the stage card's one suggestion.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cds.model import Stage
from hooks.cards import context as clinical_context
from hooks.cards.common import (
    FIELD_SOURCES,
    INFO_OVERRIDE_REASONS,
    OVERRIDE_REASONS,
    OVERRIDE_SYSTEM,
    PDQ_URL,
    SITE_NAMES,
    STAGE_SOURCE,
    TREATMENT_SOURCE,
    Assess,
    Observations,
    tnmg,
)
from hooks.cards.data_gaps import WHAT_TO_RECORD, data_gaps_card
from hooks.cards.data_notes import data_notes_card
from hooks.cards.discrepancy import (
    DISCREPANCY_MARKERS,
    REJECTED_RECORDED,
    RELATED_SOURCES,
    discrepancy_card,
    is_discrepancy,
)
from hooks.cards.markdown import DISCLAIMER, ROUTINE_STATUSES, SUMMARY_MAX, md, truncate
from hooks.cards.notes import notes_card
from hooks.cards.stage import describe_observation, stage_card
from hooks.cards.treatment import GRADE_UNKNOWN_EXTENT, TRIALS_SEARCH, treatment_card
from hooks.fhir.model import Extraction, TumorReport
from hooks.web.wire import Card, Link


@dataclass(frozen=True, slots=True)
class CardFactory:
    """Builds the cards of one response; ``new_uuid`` gives every card and suggestion its id."""

    new_uuid: Callable[[], str]
    observations: Observations
    assess: Assess | None = None  # the core, for "what would change" in the data-gaps card
    launch_url: str | None = None  # the staging worksheet's SMART launch URL (hooks.smart)

    def cards(self, extraction: Extraction, reports: Sequence[TumorReport]) -> list[Card]:
        """Per primary sarcoma: stage, treatment, data gaps, discrepancy, notes; then the data
        notes of the extraction. No primary sarcoma: no cards."""
        out: list[Card] = []
        if reports and clinical_context.minor(extraction):  # the adult PDQ does not apply
            out.append(self.pediatric_card(extraction))
            reports = [clinical_context.without_adult_treatment(r) for r in reports]
        for report in reports:
            out.append(self.stage_card(report))
            for build in (self.treatment_card, self.data_gaps_card, self.discrepancy_card):
                card = build(report)
                if card is not None:
                    out.append(card)
            notes = self.notes_card(report)
            if notes is not None:
                out.append(notes)
        # Without a sarcoma the chart's notes are not ours to show (a breast cancer patient
        # gets no sarcoma card), except resources about another patient (an integration fault
        # the clinician and the EHR team must hear about rather than an empty answer) and a
        # cancer at a soft tissue site whose histology is missing (it may be a sarcoma).
        if extraction.notes and (
            reports
            or extraction.other_patient
            or extraction.histology_needed
            or extraction.out_of_scope
        ):
            out.append(self.data_notes_card(extraction))
        return out

    def pediatric_card(self, extraction: Extraction) -> Card:
        lines = [*clinical_context.pediatric_lines(extraction), "", DISCLAIMER]
        return Card(
            uuid=self.new_uuid(),
            summary="Patient under 18: adult soft tissue sarcoma treatment guidance does not apply",
            detail="\n".join(lines),
            indicator="warning",
            source=TREATMENT_SOURCE,
            links=[
                Link(
                    label="NCI PDQ: Childhood Soft Tissue Sarcoma Treatment",
                    url=clinical_context.CHILDHOOD_PDQ_URL,
                    autoLaunchable=False,
                )
            ],
            overrideReasons=list(INFO_OVERRIDE_REASONS),
        )

    def stage_card(self, report: TumorReport) -> Card:
        return stage_card(
            report,
            new_uuid=self.new_uuid,
            observations=self.observations,
            assess=self.assess,
            launch_url=self.launch_url,
        )

    def treatment_card(self, report: TumorReport) -> Card | None:
        return treatment_card(report, new_uuid=self.new_uuid)

    def data_gaps_card(self, report: TumorReport) -> Card | None:
        return data_gaps_card(report, new_uuid=self.new_uuid, assess=self.assess)

    def discrepancy_card(self, report: TumorReport) -> Card | None:
        return discrepancy_card(report, new_uuid=self.new_uuid)

    def notes_card(self, report: TumorReport) -> Card | None:
        return notes_card(report, new_uuid=self.new_uuid)

    def data_notes_card(self, extraction: Extraction) -> Card:
        return data_notes_card(extraction, new_uuid=self.new_uuid)


# The names this module had before the card kinds got their own modules, for existing callers.
__all__ = [
    "DISCLAIMER",
    "DISCREPANCY_MARKERS",
    "FIELD_SOURCES",
    "GRADE_UNKNOWN_EXTENT",
    "OVERRIDE_REASONS",
    "OVERRIDE_SYSTEM",
    "PDQ_URL",
    "REJECTED_RECORDED",
    "RELATED_SOURCES",
    "ROUTINE_STATUSES",
    "SITE_NAMES",
    "STAGE_SOURCE",
    "SUMMARY_MAX",
    "TREATMENT_SOURCE",
    "TRIALS_SEARCH",
    "WHAT_TO_RECORD",
    "CardFactory",
    "Stage",
    "describe_observation",
    "is_discrepancy",
    "md",
    "tnmg",
    "truncate",
]
