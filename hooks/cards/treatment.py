"""The treatment card: the options the NCI PDQ "Adult Soft Tissue Sarcoma Treatment" summary
describes for the tumor's stage and histology, in our words, with links to PDQ and to
ClinicalTrials.gov."""

from __future__ import annotations

from urllib.parse import quote_plus

from cds.model import Assessment
from hooks.cards.common import PDQ_URL, TREATMENT_SOURCE, NewUuid
from hooks.cards.markdown import DISCLAIMER, md, summary
from hooks.fhir.model import TumorReport
from hooks.web.wire import Card, Link

TRIALS_SEARCH = "https://clinicaltrials.gov/search?cond="
# The pdq-treatment-extent row that picks PDQ's stage II-III options for localized GX disease.
GRADE_UNKNOWN_EXTENT = "localized, grade unknown (GX)"


def extent_row(a: Assessment) -> str | None:
    """The pdq-treatment-extent row that chose the PDQ section, from the trace."""
    return next((s.row for s in a.trace if s.table == "pdq-treatment-extent"), None)


def treatment_card(report: TumorReport, *, new_uuid: NewUuid) -> Card | None:
    tumor, a = report.tumor, report.assessment
    options = [o for o in a.treatment if o.kind in {"stage", "histology"}]
    if not options:
        return None
    stage = f"stage {a.stage.value}" if a.stage else "this tumor"
    if a.stage and extent_row(a) == GRADE_UNKNOWN_EXTENT:
        # GX groups with G1 for the stage, but PDQ's options depend on the grade: the
        # options shown are not those for the stage I group named.
        stage = f"stage {a.stage.value} (grade unknown)"
        said = (
            f"localized disease of unknown grade (GX; AJCC 8 stage {a.stage.value} counts GX as G1)"
        )
    else:
        said = stage
    lines = [
        f"Options the NCI PDQ summary describes for {said} "
        f"({md(tumor.description) or 'primary sarcoma'}), in our words:",
        "",
    ]
    for option in options:
        lines.append(
            f"- **{md(option.title)}**: {md(option.detail)} "
            f"_{md(option.evidence)}_ ({md(option.source)})"
        )
    lines += [
        "",
        "Discuss in a multidisciplinary sarcoma team; clinical trials are an "
        "option at every stage.",
        "",
        DISCLAIMER,
    ]
    links = [Link(label="NCI PDQ: Adult Soft Tissue Sarcoma Treatment", url=PDQ_URL)]
    term = a.histology_name or "soft tissue sarcoma"
    links.append(
        Link(label=f"Clinical trials: {term}"[:80], url=TRIALS_SEARCH + quote_plus(term.lower()))
    )
    prefix = f"Treatment options for {stage}" if a.stage else "Treatment options"
    return Card(
        uuid=new_uuid(),
        summary=summary(prefix, tumor.description),
        detail="\n".join(lines),
        indicator="info",
        source=TREATMENT_SOURCE,
        links=links,
    )
