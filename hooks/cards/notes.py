"""The notes card of one tumor: PDQ notes that are not stage options (site, follow-up,
planning), why no stage group applies, and data-quality notes (NCI PDQ "Adult Soft Tissue
Sarcoma Treatment")."""

from __future__ import annotations

from cds.model import Status
from hooks.cards import plain
from hooks.cards.common import INFO_OVERRIDE_REASONS_WIRE, TREATMENT_SOURCE_WIRE, NewUuid
from hooks.cards.markdown import DISCLAIMER, md, summary
from hooks.fhir.model import TumorReport


def notes_card(report: TumorReport, *, new_uuid: NewUuid) -> plain.WireCard | None:
    tumor, a = report.tumor, report.assessment
    lines = []
    if a.status is Status.NOT_APPLICABLE and a.reason:
        lines.append(f"- No AJCC 8 stage group: {md(a.reason)}")
    for option in a.treatment:
        if option.kind not in {"stage", "histology"}:
            lines.append(f"- **{md(option.title)}**: {md(option.detail)} ({md(option.source)})")
    if tumor.preliminary:
        lines.append(
            "- Part of the data is preliminary (not final): recheck when the final "
            "report is available."
        )
    lines += [f"- {md(note)}" for note in tumor.notes]
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
