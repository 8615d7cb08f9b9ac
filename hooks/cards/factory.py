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
from hooks.cards import plain
from hooks.cards.common import (
    FIELD_SOURCES,
    INFO_OVERRIDE_REASONS_WIRE,
    OVERRIDE_REASONS,
    OVERRIDE_SYSTEM,
    PDQ_URL,
    SITE_NAMES,
    STAGE_SOURCE,
    TREATMENT_SOURCE,
    TREATMENT_SOURCE_WIRE,
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
from hooks.web.wire import Card


@dataclass(frozen=True, slots=True)
class CardFactory:
    """Builds the cards of one response; ``new_uuid`` gives every card and suggestion its id.

    ``wire_cards`` gives them as plain wire dicts (``hooks.cards.plain``: what the service
    sends); ``cards`` and the per-kind methods give the same as pydantic ``Card`` models."""

    new_uuid: Callable[[], str]
    observations: Observations
    assess: Assess | None = None  # the core, for "what would change" in the data-gaps card
    launch_url: str | None = None  # the staging worksheet's SMART launch URL (hooks.smart)

    def cards(self, extraction: Extraction, reports: Sequence[TumorReport]) -> list[Card]:
        """Per primary sarcoma: stage, treatment, data gaps, discrepancy, notes; then the data
        notes of the extraction. No primary sarcoma: no cards."""
        return [plain.model(card) for card in self.wire_cards(extraction, reports)]

    def wire_cards(
        self, extraction: Extraction, reports: Sequence[TumorReport]
    ) -> list[plain.WireCard]:
        """``cards`` as wire dicts, without the models (0.06 ms per chart less)."""
        out: list[plain.WireCard] = []
        if reports and clinical_context.minor(extraction):  # the adult PDQ does not apply
            out.append(self._pediatric(extraction))
            reports = [clinical_context.without_adult_treatment(r) for r in reports]
        new_uuid, assess = self.new_uuid, self.assess
        for report in reports:
            out.append(
                stage_card(
                    report,
                    new_uuid=new_uuid,
                    observations=self.observations,
                    assess=assess,
                    launch_url=self.launch_url,
                )
            )
            for card in (
                treatment_card(report, new_uuid=new_uuid),
                data_gaps_card(report, new_uuid=new_uuid, assess=assess),
                discrepancy_card(report, new_uuid=new_uuid),
                notes_card(report, new_uuid=new_uuid),
            ):
                if card is not None:
                    out.append(card)
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
            out.append(data_notes_card(extraction, new_uuid=new_uuid))
        return out

    def _pediatric(self, extraction: Extraction) -> plain.WireCard:
        lines = [*clinical_context.pediatric_lines(extraction), "", DISCLAIMER]
        return plain.card(
            uuid=self.new_uuid(),
            summary="Patient under 18: adult soft tissue sarcoma treatment guidance does not apply",
            detail="\n".join(lines),
            indicator="warning",
            source=TREATMENT_SOURCE_WIRE,
            links=[
                plain.link(
                    label="NCI PDQ: Childhood Soft Tissue Sarcoma Treatment",
                    url=clinical_context.CHILDHOOD_PDQ_URL,
                    auto_launchable=False,
                )
            ],
            override_reasons=INFO_OVERRIDE_REASONS_WIRE,
        )

    def pediatric_card(self, extraction: Extraction) -> Card:
        return plain.model(self._pediatric(extraction))

    def stage_card(self, report: TumorReport) -> Card:
        return plain.model(
            stage_card(
                report,
                new_uuid=self.new_uuid,
                observations=self.observations,
                assess=self.assess,
                launch_url=self.launch_url,
            )
        )

    def treatment_card(self, report: TumorReport) -> Card | None:
        return _model(treatment_card(report, new_uuid=self.new_uuid))

    def data_gaps_card(self, report: TumorReport) -> Card | None:
        return _model(data_gaps_card(report, new_uuid=self.new_uuid, assess=self.assess))

    def discrepancy_card(self, report: TumorReport) -> Card | None:
        return _model(discrepancy_card(report, new_uuid=self.new_uuid))

    def notes_card(self, report: TumorReport) -> Card | None:
        return _model(notes_card(report, new_uuid=self.new_uuid))

    def data_notes_card(self, extraction: Extraction) -> Card:
        return plain.model(data_notes_card(extraction, new_uuid=self.new_uuid))


def _model(card: plain.WireCard | None) -> Card | None:
    return None if card is None else plain.model(card)


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
