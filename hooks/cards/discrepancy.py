"""The discrepancy card: where a value recorded in the chart disagrees with what the AJCC 8th
edition rules compute from the chart (AJCC Cancer Staging Manual 8th ed., ch. 40-44, via NCI
PDQ Tables 1-7), with both sources named."""

from __future__ import annotations

from cds.model import Problem
from hooks.cards import plain
from hooks.cards.common import (
    FIELD_SOURCES,
    OVERRIDE_REASONS_WIRE,
    STAGE_SOURCE_WIRE,
    NewUuid,
    problems,
    short,
)
from hooks.cards.markdown import DISCLAIMER, md, source_text, summary
from hooks.fhir.model import TumorReport
from hooks.fhir.writeback import DISCREPANCY_MARKERS, REJECTED_RECORDED, disagrees

# The inputs a computed value rests on, named next to a recorded value that disagrees.
RELATED_SOURCES = {
    "t": ("size_cm",),
    "grade": ("differentiation", "mitoses", "necrosis_pct"),
    "differentiation": ("histology",),
    "stage": ("t", "n", "m", "grade", "size_cm"),
}


def is_discrepancy(problem: Problem) -> bool:
    """The same test the write-back uses to hold back its suggestion (hooks.fhir.writeback)."""
    return disagrees(problem)


def discrepancy_card(report: TumorReport, *, new_uuid: NewUuid) -> plain.WireCard | None:
    tumor, a = report.tumor, report.assessment
    found = [p for p in problems(a) if is_discrepancy(p)]
    if not found:
        return None
    lines = ["The chart and the AJCC 8th edition rules disagree:", ""]
    for problem in dict.fromkeys(found):
        key = FIELD_SOURCES.get(problem.field or "", problem.field or "")
        source = tumor.sources.get(key)
        where = f" Recorded: {source_text(source)}." if source else ""
        lines.append(f"- {md(problem.message)}{where}")
        for other in tumor.others.get(key, ()):
            lines.append(f"  - also found: {source_text(other)}")
        for related in RELATED_SOURCES.get(key, ()):
            if related in tumor.sources:
                lines.append(f"  - computed from: {source_text(tumor.sources[related])}")
    lines += ["", "Check which value is right and correct the chart.", "", DISCLAIMER]
    fields = ", ".join(dict.fromkeys(short(p.field or "value") for p in found))
    return plain.card(
        uuid=new_uuid(),
        summary=summary(f"Recorded {fields} disagrees with computed", tumor.description),
        detail="\n".join(lines),
        indicator="warning",
        source=STAGE_SOURCE_WIRE,
        override_reasons=OVERRIDE_REASONS_WIRE,
    )


__all__ = [
    "DISCREPANCY_MARKERS",
    "REJECTED_RECORDED",
    "RELATED_SOURCES",
    "discrepancy_card",
    "is_discrepancy",
]
