"""The treatment card: the options the NCI PDQ "Adult Soft Tissue Sarcoma Treatment" summary
describes for the tumor's stage and histology, in our words, with links to PDQ and to
ClinicalTrials.gov."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote_plus

from cds.model import Assessment, TreatmentOption
from hooks.cards import context as clinical_context
from hooks.cards import plain
from hooks.cards.common import INFO_OVERRIDE_REASONS_WIRE, PDQ_URL, TREATMENT_SOURCE_WIRE, NewUuid
from hooks.cards.markdown import DISCLAIMER, link, md, summary
from hooks.fhir.model import TumorReport

TRIALS_SEARCH = "https://clinicaltrials.gov/search?cond="
# Options whose evidence note changes the choice between them, so the card shows it (NCI PDQ
# Adult Soft Tissue Sarcoma Treatment, treatment option sections and Table 9): an option
# limited to some patients or situations, or one whose benefit is local control or response
# without an overall survival gain. Other evidence notes (e.g. that complete resection matters
# most) stay behind the PDQ link. Keyed by option title (tests check each exists in the table).
CHOICE_EVIDENCE = frozenset(
    {
        "Wide excision with negative margins",
        "Surgery with preoperative or postoperative radiation therapy",
        "High-dose radiation therapy for an unresectable tumor",
        "Radiation therapy and/or chemotherapy followed by surgery",
        "Surgery and lymphadenectomy",
        "Surgery with neoadjuvant or adjuvant therapy",
        "Doxorubicin plus ifosfamide (with mesna)",
        "Resection of lung metastases",
        "Chemotherapy and targeted therapy after first-line chemotherapy",
        "Immune checkpoint inhibitors (under clinical evaluation)",
    }
)
# The pdq-treatment-extent row that picks PDQ's stage II-III options for localized GX disease.
GRADE_UNKNOWN_EXTENT = "localized, grade unknown (GX)"


def extent_row(a: Assessment) -> str | None:
    """The pdq-treatment-extent row that chose the PDQ section, from the trace."""
    return next((s.row for s in a.trace if s.table == "pdq-treatment-extent"), None)


def treatment_card(report: TumorReport, *, new_uuid: NewUuid) -> plain.WireCard | None:
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
    follow_up = [
        f"- **{md(o.title)}**: {md(o.detail)} ({md(o.source)})"
        for o in a.treatment
        if o.kind == "follow-up"
    ]
    lines = [
        *clinical_context.resolved_lead(tumor, follow_up, md),
        f"Options the {link('NCI PDQ summary', PDQ_URL)} describes for {said} "
        f"({md(tumor.description) or 'primary sarcoma'}), in our words:",
    ]
    groups: dict[str, list[TreatmentOption]] = {}
    for option in options:
        groups.setdefault(option.source, []).append(option)
    for section, members in groups.items():
        lines += ["", f"**{md(section)}**"]
        for option in members:
            note = f": {md(option.evidence)}" if option.title in CHOICE_EVIDENCE else ""
            lines.append(f"- {md(option.title)}{note}")
    lines += [
        "",
        "Discuss in a multidisciplinary sarcoma team; clinical trials are an "
        "option at every stage.",
        "",
        DISCLAIMER,
    ]
    term = a.histology_name or "soft tissue sarcoma"
    links = [
        plain.link(
            label="NCI PDQ: Adult Soft Tissue Sarcoma Treatment",
            url=PDQ_URL,
            auto_launchable=False,
        ),
        plain.link(
            label=f"ClinicalTrials.gov: {term}"[:80],
            url=trials_url(term),
            auto_launchable=False,
        ),
    ]
    prefix = f"Treatment options for {stage}" if a.stage else "Treatment options"
    if tumor.resolved:
        prefix = "Recorded as resolved: follow-up first"
    return plain.card(
        uuid=new_uuid(),
        summary=summary(prefix, tumor.description),
        detail="\n".join(lines),
        indicator="info",
        source=TREATMENT_SOURCE_WIRE,
        links=links,
        override_reasons=INFO_OVERRIDE_REASONS_WIRE,
    )


@lru_cache(maxsize=1024)  # one term per histology; quote_plus is 2 us
def trials_url(term: str) -> str:
    """The ClinicalTrials.gov search for a condition (its ``cond`` query parameter)."""
    return TRIALS_SEARCH + quote_plus(term.lower())
