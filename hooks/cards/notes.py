"""The notes card of one tumor: PDQ notes that are not stage options (site, follow-up,
planning), why no stage group applies, and data-quality notes (NCI PDQ "Adult Soft Tissue
Sarcoma Treatment")."""

from __future__ import annotations

from functools import lru_cache

from cds.model import Status, TreatmentOption
from hooks.cards import plain
from hooks.cards.common import INFO_OVERRIDE_REASONS_WIRE, TREATMENT_SOURCE_WIRE, NewUuid
from hooks.cards.markdown import DISCLAIMER, md, md_once, summary
from hooks.cards.option_keys import Numbered, numbered
from hooks.fhir.model import TumorReport


def notes_card(report: TumorReport, *, new_uuid: NewUuid) -> plain.WireCard | None:
    tumor, a = report.tumor, report.assessment
    lines = []
    if a.status is Status.NOT_APPLICABLE and a.reason:
        lines.append(f"- No AJCC 8 stage group: {md(a.reason)}")
    lines += option_notes(a.treatment)
    if tumor.preliminary:
        lines.append(
            "- Part of the data is preliminary (not final): recheck when the final "
            "report is available."
        )
    lines += [f"- {md_once(note)}" for note in tumor.notes]  # each names the chart's resources
    if not lines:
        return None
    body = ["Notes for this tumor:", "", *lines, "", DISCLAIMER]
    return plain.card(
        uuid=new_uuid(),
        summary=summary("Sarcoma notes", tumor.description),
        detail="\n".join(body),
        indicator="info",
        source=TREATMENT_SOURCE_WIRE,
        override_reasons=INFO_OVERRIDE_REASONS_WIRE,
    )


def option_notes(options: tuple[TreatmentOption, ...]) -> tuple[str, ...]:
    """One line per option that is not a stage or histology option (site, follow-up,
    planning notes): its title, detail and PDQ section."""
    return _option_notes(numbered(options))


# The core's options are frozen and come from its PDQ tables, a few combinations in all (an
# option's detail may name why no stage group applies, also one of a few texts): remembered,
# not rebuilt per chart. Keyed on the number of the options' value (every field counts), not
# on the tuple (hooks.cards.option_keys: 15,000 instructions a card less).
@lru_cache(maxsize=1024)
def _option_notes(options: Numbered) -> tuple[str, ...]:
    return direct_option_notes(options.options)


def direct_option_notes(options: tuple[TreatmentOption, ...]) -> tuple[str, ...]:
    """``option_notes`` computed directly (the memo's reference)."""
    return tuple(
        f"- **{md(o.title)}**: {md(o.detail)} ({md(o.source)})"
        for o in options
        if o.kind not in {"stage", "histology"}
    )
