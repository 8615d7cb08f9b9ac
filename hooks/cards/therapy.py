"""Therapy review cards for the order hooks: one card per ordered agent and rule of
``pdq-therapy-rules`` (``cds.therapy``), citing the section and sentence of the NCI PDQ Adult
Soft Tissue Sarcoma Treatment summary the rule rests on.

A card names the agent and the reason in its summary; its detail says which order it is
about and how the agent was identified, the tumor, stage and histology the rule rests on, what
medication history was searched (for the history rule), and that the product is decision
support. The link opens the PDQ summary at the sentence the rule rests on (a URL text
fragment: browsers without fragment support open the summary at its top). Text from the chart
is escaped before it goes into Markdown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final
from urllib.parse import quote

from cds.model import Assessment, Basis, Status
from cds.therapy import Finding, TumorContext
from hooks.fhir.codes import CANONICAL_BASE
from hooks.fhir.medications import Given, Identified, MedicationHistory, MedicationOrder
from hooks.fhir.model import TumorReport
from hooks.web.wire import Card, CardSource, Coding, Link

PDQ_URL: Final = (
    "https://www.cancer.gov/types/soft-tissue-sarcoma/hp/adult-soft-tissue-treatment-pdq"
)
SOURCE: Final = CardSource(
    label="NCI PDQ Adult Soft Tissue Sarcoma Treatment (updated 2024-04-10)", url=PDQ_URL
)
SUMMARY_MAX: Final = 139
OVERRIDE_SYSTEM: Final = f"{CANONICAL_BASE}/CodeSystem/override-reason"
# fhir_profiles/CodeSystem-override-reason.json defines these codes.
OVERRIDE_REASONS: Final = (
    Coding(code="treating-team-decision", system=OVERRIDE_SYSTEM, display="Treating team decision"),
    Coding(code="clinical-trial", system=OVERRIDE_SYSTEM, display="Given within a clinical trial"),
    Coding(
        code="history-not-in-record",
        system=OVERRIDE_SYSTEM,
        display="Relevant history is not in this record",
    ),
)
DISCLAIMER: Final = (
    "_Decision support only: it reviews the order against the PDQ summary and the data in this "
    "record, and does not replace the treating team's judgement._"
)
_MD_ESCAPES: Final = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()<>#+-.!|~&"})


def md(text: str) -> str:
    """Escape chart text for GitHub-flavoured Markdown (no emphasis, links, HTML or tables)."""
    return " ".join(text.split()).translate(_MD_ESCAPES)


def section_link(finding: Finding) -> str:
    """The PDQ summary, scrolled to the sentence the rule rests on (URL text fragment; in a
    fragment's text "-" and "," are syntax, so they are percent-encoded too)."""
    return f"{PDQ_URL}#:~:text={quote(finding.quote, safe='').replace('-', '%2D')}"


# The PDQ section the tumor's options come from (cds.therapy.tumor_context), in words.
EXTENTS: Final = {
    "stage-i": "PDQ stage I section",
    "stage-ii-iii": "PDQ stage II and node-negative stage III section",
    "node-positive": "PDQ advanced stage III (N1) section",
    "stage-iv": "PDQ stage IV section (distant metastasis)",
    "recurrent": "PDQ recurrent disease section",
    "histology-only": "not staged by AJCC 8; PDQ's histology-specific options",
}


def summary(finding: Finding) -> str:
    reason = finding.reason
    if finding.subtype:
        reason = f"{reason} for {finding.subtype}"
    text = f"{finding.agent_name}: {reason}"
    if len(text) > SUMMARY_MAX:
        text = text[: SUMMARY_MAX - 1].rstrip(" ,;:") + "…"
    return text


def _stage_text(a: Assessment, tumor: TumorContext) -> str:
    if a.stage is not None and tumor.stage is not None:
        tnmg = f"{a.t.value} {a.n.value} {a.m.value} {a.grade.grade.value}"
        assumed = [v.value for v, b in ((a.n, a.n_basis), (a.m, a.m_basis)) if b is Basis.ASSUMED]
        note = ""
        if assumed:
            note = (
                f"; {' and '.join(assumed)} assumed: not recorded, and AJCC 8 counts unknown "
                "nodes and metastases as N0 and M0 (record them if known, e.g. M1)"
            )
        return f"AJCC 8th edition stage {a.stage.value} ({tnmg}{note})"
    if a.stage is not None:
        others = ", ".join(s.value for s in a.alternatives) or a.stage.value
        return f"AJCC 8th edition stage {a.stage.value}, not determined (could be {others})"
    if a.status is Status.NOT_APPLICABLE:
        return "no AJCC 8th edition stage group applies" + (
            f" ({md(a.reason)})" if a.reason else ""
        )
    return "stage unknown (" + (", ".join(a.missing) or "data missing") + " not recorded)"


def therapy_card(
    finding: Finding,
    *,
    order: MedicationOrder,
    identified: Identified,
    report: TumorReport,
    tumor: TumorContext,
    history: MedicationHistory,
    earlier: tuple[Given, ...],
    new_id: Callable[[], str],
) -> Card:
    a = report.assessment
    histology = tumor.histology
    histology_text = (
        f"{md(histology.name or 'unnamed')} (ICD-O-3 {histology.code})"
        if histology is not None
        else "not recorded"
    )
    lines = [
        f"**Order:** {md(order.text)} ({order.reference}); {finding.agent_name} identified by "
        f"{identified.basis}"
        + (f": {md(identified.chart_text)}." if identified.chart_text else "."),
        "",
        f"**Tumor:** {md(report.tumor.description)} ({report.tumor.condition}); histology "
        f"{histology_text}; {_stage_text(a, tumor)}"
        + (f"; {EXTENTS[tumor.extent]}." if tumor.extent in EXTENTS else "."),
        "",
        f"**Why this card:** {finding.detail}",
    ]
    if finding.subtype:
        lines.append(
            f"For {finding.subtype}, PDQ Table 9 lists: {'; '.join(finding.subtype_agents)}."
        )
    if finding.history:
        given = "; ".join(str(r) for r in earlier) or "none"
        lines += [
            "",
            f"**History searched:** {history.searched()}. Systemic agents for sarcoma found: "
            f"{md(given)}.",
        ]
    lines += [
        "",
        f"**Source:** NCI PDQ Adult Soft Tissue Sarcoma Treatment (health professional "
        f"version, updated 2024-04-10), section *{finding.section}* (rule "
        f"`{finding.rule}`). Our paraphrase, not the summary's text.",
        "",
        DISCLAIMER,
    ]
    return Card(
        uuid=new_id(),
        summary=summary(finding),
        detail="\n".join(lines),
        indicator="warning" if finding.indicator == "warning" else "info",
        source=SOURCE,
        overrideReasons=list(OVERRIDE_REASONS),
        links=[Link(label=f"PDQ: {finding.section}", url=section_link(finding))],
    )
