"""The treatment card: the options the NCI PDQ "Adult Soft Tissue Sarcoma Treatment" summary
describes for the tumor's stage and histology, in our words, with links to PDQ and to
ClinicalTrials.gov."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple
from urllib.parse import quote_plus

from cds.model import Assessment, Stage, TreatmentOption
from hooks.cards import context as clinical_context
from hooks.cards import plain
from hooks.cards.common import INFO_OVERRIDE_REASONS_WIRE, PDQ_URL, TREATMENT_SOURCE_WIRE, NewUuid
from hooks.cards.markdown import DISCLAIMER, link, md, summary
from hooks.cards.option_keys import Numbered, numbered
from hooks.fhir.model import TumorReport
from hooks.fhir.text import MEMO_TEXT_MAX

TRIALS_SEARCH = "https://clinicaltrials.gov/search?cond="
PDQ_LABEL = "NCI PDQ: Adult Soft Tissue Sarcoma Treatment"
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
# The option kinds this card shows (the others are on the notes card).
_CARD_KINDS = frozenset({"stage", "histology"})
# The pdq-treatment-extent row that picks PDQ's stage II-III options for localized GX disease.
GRADE_UNKNOWN_EXTENT = "localized, grade unknown (GX)"


def extent_row(a: Assessment) -> str | None:
    """The pdq-treatment-extent row that chose the PDQ section, from the trace."""
    for step in a.trace:  # a plain loop: no generator made per card
        if step.table == "pdq-treatment-extent":
            return step.row
    return None


@lru_cache(maxsize=1024)
def _shows_options(options: Numbered) -> bool:
    """Whether the card has options to show (stage or histology options), per options value
    (hooks.cards.option_keys): not tested option by option on every chart."""
    return any(o.kind in _CARD_KINDS for o in options.options)


def treatment_card(report: TumorReport, *, new_uuid: NewUuid) -> plain.WireCard | None:
    tumor, a = report.tumor, report.assessment
    if not _shows_options(numbered(a.treatment)):
        return None
    # GX groups with G1 for the stage, but PDQ's options depend on the grade: the options
    # shown are not those for the stage I group named.
    grade_unknown = a.stage is not None and extent_row(a) == GRADE_UNKNOWN_EXTENT
    if tumor.resolved:
        follow_up = [
            f"- **{md(o.title)}**: {md(o.detail)} ({md(o.source)})"
            for o in a.treatment
            if o.kind == "follow-up"
        ]
        lead = tuple(clinical_context.resolved_lead(tumor, follow_up, md))
        text = direct_card_text(
            a.treatment,
            a.stage,
            grade_unknown,
            tumor.description,
            a.histology_name,
            resolved_lead=lead,
        )
    else:
        text = card_text(a.treatment, a.stage, grade_unknown, tumor.description, a.histology_name)
    return plain.card(
        uuid=new_uuid(),
        summary=text.summary,
        detail=text.detail,
        indicator="info",
        source=TREATMENT_SOURCE_WIRE,
        links=[
            plain.link(label=PDQ_LABEL, url=PDQ_URL, auto_launchable=False),
            plain.link(label=text.trials_label, url=text.trials_url, auto_launchable=False),
        ],
        override_reasons=INFO_OVERRIDE_REASONS_WIRE,
    )


class CardText(NamedTuple):
    """The text of a treatment card: everything but its uuid."""

    summary: str
    detail: str
    trials_label: str
    trials_url: str


def card_text(
    options: tuple[TreatmentOption, ...],
    stage: Stage | None,
    grade_unknown: bool,
    description: str,
    histology_name: str | None,
) -> CardText:
    """The card's text for a tumor not recorded as resolved (``direct_card_text`` without a
    lead), remembered (a description longer than ``MEMO_TEXT_MAX`` is not kept)."""
    if len(description) > MEMO_TEXT_MAX:
        return direct_card_text(options, stage, grade_unknown, description, histology_name)
    return _card_text(numbered(options), stage, grade_unknown, description, histology_name)


# The text is a pure function of these values: the core's options (frozen, from its PDQ tables:
# a few combinations), the stage group, whether the grade is unknown, the tumor's description
# and the histology's name, all repeated from chart to chart. Keyed on the number of the
# options' value (hooks.cards.option_keys: every field counts; hashing the tuple itself cost
# 15,000 instructions a card) and typed (a Stage and its text differ).
# A bench chart's treatment card: 4.4 -> 2.3 us.
@lru_cache(maxsize=1024, typed=True)
def _card_text(
    options: Numbered,
    stage: Stage | None,
    grade_unknown: bool,
    description: str,
    histology_name: str | None,
) -> CardText:
    return direct_card_text(options.options, stage, grade_unknown, description, histology_name)


def direct_card_text(
    options: tuple[TreatmentOption, ...],
    stage: Stage | None,
    grade_unknown: bool,
    description: str,
    histology_name: str | None,
    *,
    resolved_lead: tuple[str, ...] | None = None,
) -> CardText:
    """The card's text computed directly; ``resolved_lead`` is the lead of a disease recorded
    as resolved (``hooks.cards.context.resolved_lead``), None when it is not."""
    named = f"stage {stage.value}" if stage else "this tumor"
    if stage and grade_unknown:
        named = f"stage {stage.value} (grade unknown)"
        said = (
            f"localized disease of unknown grade (GX; AJCC 8 stage {stage.value} counts GX as G1)"
        )
    else:
        said = named
    lines = [
        *(resolved_lead or ()),
        f"Options the {link('NCI PDQ summary', PDQ_URL)} describes for {said} "
        f"({md(description) or 'primary sarcoma'}), in our words:",
    ]
    groups: dict[str, list[TreatmentOption]] = {}
    for option in options:
        if option.kind in _CARD_KINDS:
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
    term = histology_name or "soft tissue sarcoma"
    prefix = f"Treatment options for {named}" if stage else "Treatment options"
    if resolved_lead is not None:
        prefix = "Recorded as resolved: follow-up first"
    return CardText(
        summary=summary(prefix, description),
        detail="\n".join(lines),
        trials_label=f"ClinicalTrials.gov: {term}"[:80],
        trials_url=trials_url(term),
    )


@lru_cache(maxsize=1024)  # one term per histology; quote_plus is 2 us
def trials_url(term: str) -> str:
    """The ClinicalTrials.gov search for a condition (its ``cond`` query parameter)."""
    return TRIALS_SEARCH + quote_plus(term.lower())
