"""The data-notes card: what extraction set aside while reading the chart (another patient's
resources, entered-in-error, a cancer at a soft tissue site without histology, ...)."""

from __future__ import annotations

from hooks.cards import plain
from hooks.cards.common import INFO_OVERRIDE_REASONS_WIRE, STAGE_SOURCE_WIRE, NewUuid
from hooks.cards.markdown import DISCLAIMER, md
from hooks.fhir.model import Extraction


def data_notes_card(extraction: Extraction, *, new_uuid: NewUuid) -> plain.WireCard:
    lines = ["While reading the chart:", "", *[f"- {md(n)}" for n in extraction.notes]]
    if extraction.other_patient:
        lines += [
            "",
            "The EHR sent data about another patient with this chart. It was not used; "
            "please report this to the team that runs the EHR integration.",
        ]
    lines += ["", DISCLAIMER]
    return plain.card(
        uuid=new_uuid(),
        summary=(
            "Sarcoma staging: data about another patient was sent and ignored"
            if extraction.other_patient
            else "Sarcoma staging: record the histology of a cancer at a soft tissue site"
            if extraction.histology_needed and not extraction.primaries
            else "Sarcoma staging: notes on the data read from the chart"
        ),
        detail="\n".join(lines),
        indicator="warning" if extraction.other_patient else "info",
        source=STAGE_SOURCE_WIRE,
        override_reasons=INFO_OVERRIDE_REASONS_WIRE,
    )
