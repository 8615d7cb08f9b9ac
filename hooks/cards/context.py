"""Card text for the clinical context of issue 9: a patient under 18 (the adult PDQ summary
does not apply), a metastasis that could not be attributed to one of several primaries (the
stage each would have with it), values measured after neoadjuvant therapy (shown as yp, not
used), and a disease recorded as resolved (follow-up first).

Sources: NCI PDQ Adult Soft Tissue Sarcoma Treatment (adults only; the separate PDQ
Childhood Soft Tissue Sarcoma Treatment summary covers patients under 18; follow-up
section); AJCC 8th edition (any T, any N, M1 is stage IV; the y prefix).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from cds.model import Assessment, M, TumorInputs
from hooks.fhir.attach import FIELD_NAMES
from hooks.fhir.context import ADULT_AGE
from hooks.fhir.model import Extraction, PrimaryTumor, Source, TumorReport

CHILDHOOD_PDQ_URL = (
    "https://www.cancer.gov/types/soft-tissue-sarcoma/hp/child-soft-tissue-treatment-pdq"
)
Assess = Callable[[TumorInputs], Assessment]
Escape = Callable[[str], str]


def minor(extraction: Extraction) -> bool:
    """Younger than 18 at the time of the call (Patient.birthDate)."""
    return extraction.age_years is not None and extraction.age_years < ADULT_AGE


def without_adult_treatment(report: TumorReport) -> TumorReport:
    """The report less the adult PDQ treatment options, notes and the trace step that chose
    them: for a patient under 18 none of them applies."""
    a = report.assessment
    kept = tuple(step for step in a.trace if not step.table.startswith("pdq-"))
    return replace(report, assessment=replace(a, treatment=(), trace=kept))


def pediatric_lines(extraction: Extraction) -> list[str]:
    return [
        f"This patient is {extraction.age_years} years old. The staging below follows AJCC 8th "
        "edition, but the treatment options this service offers come from the NCI PDQ summary "
        "for **adults** and do not apply: soft tissue sarcoma in children and adolescents is "
        "covered by the separate PDQ summary Childhood Soft Tissue Sarcoma Treatment, and "
        "rhabdomyosarcoma by its own. No adult treatment options or notes are shown.",
    ]


def stage_lines(tumor: PrimaryTumor, assess: Assess | None, md: Escape) -> list[str]:
    """Extra sections of the stage card: unattributed metastases and post-treatment values."""
    lines: list[str] = []
    if tumor.possible_metastases:
        refs = ", ".join(md(r) for r in tumor.possible_metastases)
        what_if = ""
        if assess is not None:
            hypo = assess(replace(tumor.inputs, m=M.M1))
            group = hypo.stage.value if hypo.stage else "no stage group"
            what_if = f" If it belongs to this tumor: M1, stage {group}."
        lines += [
            "**Metastasis not attributed**",
            "",
            f"- {refs} names no primary tumor and the patient has several primary sarcomas: it "
            "could not be attributed and is not counted in the stage above (M1 if this "
            f"metastasis belongs to it).{what_if} Record which primary it belongs to (mCODE "
            "condition-related extension).",
            "",
        ]
    if tumor.post_treatment:
        lines += ["**After neoadjuvant therapy (yp; not used for this stage)**", ""]
        for field_name, sources in tumor.post_treatment.items():
            for source in sources:
                what = FIELD_NAMES.get(field_name, field_name)
                lines.append(f"- post-treatment {md(what)}: {_shown(source, md)}")
        lines.append("")
    return lines


def _shown(source: Source, md: Escape) -> str:
    parts = [md(source.text)] if source.text else []
    parts.append(md(source.reference))
    if source.date:
        parts.append(md(source.date[:10]))
    return ", ".join(parts)


def resolved_lead(tumor: PrimaryTumor, follow_up: list[str], md: Escape) -> list[str]:
    """The treatment card's first lines when the disease is recorded as resolved."""
    if not tumor.resolved:
        return []
    return [
        f"The disease is recorded as resolved ({md(tumor.resolved)}): follow-up comes first, "
        "not first-line treatment.",
        "",
        *follow_up,
        "",
        "For reference only, should the disease become active again (then discuss it as "
        "recurrent disease):",
        "",
    ]
