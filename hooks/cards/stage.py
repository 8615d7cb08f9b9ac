"""The stage card: AJCC 8th edition T, N, M, FNCLCC grade and stage group of one primary soft
tissue sarcoma, where each value came from, and the suggestion recording the mCODE staging
Observations (AJCC Cancer Staging Manual 8th ed., ch. 40-44, via NCI PDQ Tables 1-7)."""

from __future__ import annotations

from typing import Any

from cds.model import Assessment, Basis, Grade, Status
from hooks.cards.common import (
    SITE_NAMES,
    STAGE_SOURCE,
    NewUuid,
    Observations,
    problems,
    tnmg,
)
from hooks.cards.markdown import DISCLAIMER, md, source_text, summary
from hooks.fhir.model import PrimaryTumor, Source, TumorReport
from hooks.web.wire import Action, Card, Suggestion

SUGGESTION_LABEL = "Record AJCC 8th edition staging"


def stage_card(report: TumorReport, *, new_uuid: NewUuid, observations: Observations) -> Card:
    tumor, a = report.tumor, report.assessment
    if a.status is Status.STAGED and a.stage is not None:
        prefix = f"AJCC 8 stage {a.stage.value} ({tnmg(tumor, a)})"
        if tumor.preliminary:
            prefix = "Preliminary: " + prefix
    elif a.status is Status.NOT_APPLICABLE:
        prefix = f"No AJCC 8 stage group ({tnmg(tumor, a)})"
    else:
        prefix = f"AJCC 8 stage needs more data ({tnmg(tumor, a)})"
    lines = [_headline(tumor, a), "", *_values_table(tumor, a), ""]
    if a.trace or a.grade.trace:
        lines += ["**How it was decided**", ""]
        steps = {(s.table, s.row, s.explanation): s for s in (*a.grade.trace, *a.trace)}
        for step in steps.values():
            lines.append(
                f"- {md(step.explanation)} ({md(step.table)} row {md(step.row)}; {md(step.source)})"
            )
        lines.append("")
    assumptions = _assumptions(a)
    if assumptions:
        lines += ["**Assumptions**", "", *[f"- {x}" for x in assumptions], ""]
    unused = _not_used(a)
    if unused:
        lines += ["**Chart data not used**", "", *[f"- {x}" for x in unused], ""]
    lines.append(DISCLAIMER)
    suggestion = _record_suggestion(report, new_uuid=new_uuid, observations=observations)
    return Card(
        uuid=new_uuid(),
        summary=summary(prefix, tumor.description),
        detail="\n".join(lines),
        indicator="info",
        source=STAGE_SOURCE,
        suggestions=[suggestion] if suggestion else None,
        selectionBehavior="at-most-one" if suggestion else None,
    )


def _headline(tumor: PrimaryTumor, a: Assessment) -> str:
    name = md(tumor.description) or "Primary sarcoma"
    site = SITE_NAMES.get(a.site, "site group unknown") if a.site else "site group unknown"
    if a.status is Status.STAGED and a.stage is not None:
        head = f"**{name}**: AJCC 8th edition stage **{a.stage.value}**, {site}."
    elif a.status is Status.NOT_APPLICABLE:
        reason = md(a.reason.rstrip(". ")) if a.reason else "no AJCC 8 stage group applies"
        head = f"**{name}**: no AJCC 8th edition stage group. {reason}."
    else:
        head = f"**{name}**: the AJCC 8th edition stage group cannot be assigned yet, {site}."
    if tumor.preliminary:
        head += " Some of the data is preliminary: the result may change."
    return head


def _values_table(tumor: PrimaryTumor, a: Assessment) -> list[str]:
    src = tumor.sources.get
    g = a.grade
    scores = g.scores
    parts = [
        f"differentiation {scores.differentiation}" if scores.differentiation else None,
        f"mitotic {scores.mitotic}" if scores.mitotic else None,
        f"necrosis {scores.necrosis}" if scores.necrosis is not None else None,
    ]
    score_text = ", ".join(p for p in parts if p)
    if scores.total is not None:
        score_text += f"; total {scores.total}"
    grade_value = g.grade.value + (" (provisional)" if g.provisional else "")
    rows = [
        (
            "Histology",
            md(a.histology_name or tumor.inputs.histology or "unknown"),
            "",
            source_text(src("histology")),
        ),
        (
            "Site group",
            SITE_NAMES[a.site] if a.site else "unknown",
            "",
            source_text(src("site") or Source(reference=tumor.condition)),
        ),
        (
            "Greatest dimension",
            f"{tumor.inputs.size_cm} cm" if tumor.inputs.size_cm is not None else "unknown",
            "",
            source_text(src("size_cm")),
        ),
        (
            "T",
            f"{tumor.classification.value}{a.t.value}",
            a.t_basis.value,
            source_text(src("t") or src("size_cm")),
        ),
        ("N", a.n.value, a.n_basis.value, source_text(src("n"))),
        ("M", a.m.value, a.m_basis.value, source_text(src("m"))),
        (
            "Mitotic count (per 10 HPF)",
            str(tumor.inputs.mitoses) if tumor.inputs.mitoses is not None else "unknown",
            "",
            source_text(src("mitoses")),
        ),
        (
            "Necrosis",
            f"{tumor.inputs.necrosis_pct} %"
            if tumor.inputs.necrosis_pct is not None
            else "unknown",
            "",
            source_text(src("necrosis_pct")),
        ),
        (
            "FNCLCC grade",
            grade_value + (f" ({score_text})" if score_text else ""),
            g.basis.value,
            source_text(src("grade"))
            if src("grade") or g.basis is not Basis.DERIVED
            else "FNCLCC scores from the rows above",
        ),
        (
            "Stage group",
            a.stage.value if a.stage else "none",
            "derived" if a.stage else "",
            "AJCC 8th edition stage table",
        ),
    ]
    out = ["| Item | Value | Basis | Source (value, resource, date) |", "|---|---|---|---|"]
    out += [
        f"| {item} | {value} | {basis or '-'} | {source} |" for item, value, basis, source in rows
    ]
    return out


def _assumptions(a: Assessment) -> list[str]:
    # The core states its own assumptions (N0, M0, a differentiation score): say each once.
    stated = [p for p in problems(a) if p.code.endswith("-assumed")]
    codes = {p.code for p in stated}
    out = []
    if a.n_basis is Basis.ASSUMED and "n-assumed" not in codes:
        out.append(
            "N0 assumed: no regional node finding is recorded (AJCC 8 has no NX for "
            "soft tissue sarcoma; unknown nodal status is N0)."
        )
    if a.m_basis is Basis.ASSUMED and "m-assumed" not in codes:
        out.append("M0 assumed: no distant metastasis is recorded.")
    out += [md(p.message) for p in stated]
    higher = [p for p in problems(a) if p.code == "gx-grouped-with-g1"]
    if higher:  # the core names the stage with G2 or G3 (CLINICAL.md section 1)
        out += [md(p.message) for p in higher]
    elif a.grade.grade is Grade.GX:
        out.append(
            "GX: the FNCLCC grade cannot be assessed from the chart; AJCC groups GX "
            "with G1, so the stage shown is the lower of the possibilities."
        )
    if a.grade.provisional:
        out.append(
            "The grade is provisional (graded after neoadjuvant therapy or on a core biopsy)."
        )
    return list(dict.fromkeys(out))


def _not_used(a: Assessment) -> list[str]:
    """Chart values the core set aside as malformed or out of range (``invalid-*``: size,
    histology, differentiation, mitotic count, necrosis), which no other card states."""
    return list(dict.fromkeys(md(p.message) for p in problems(a) if p.code.startswith("invalid-")))


def _record_suggestion(
    report: TumorReport, *, new_uuid: NewUuid, observations: Observations
) -> Suggestion | None:
    resources = observations(report)
    if not resources:
        return None
    actions = [
        Action(type="create", description=describe_observation(r), resource=r) for r in resources
    ]
    return Suggestion(label=SUGGESTION_LABEL, uuid=new_uuid(), actions=actions)


def describe_observation(resource: dict[str, Any]) -> str:
    """``Create <what>: <value>`` for an action, from the Observation's own code and value."""
    what = _concept_text(resource.get("code")) or "staging Observation"
    value = _concept_text(resource.get("valueCodeableConcept"))
    if value is None:
        quantity = resource.get("valueQuantity")
        if isinstance(quantity, dict) and "value" in quantity:
            value = f"{quantity['value']} {quantity.get('unit', '')}".strip()
        elif "valueInteger" in resource:
            value = str(resource["valueInteger"])
    return f"Create {what}: {value}" if value else f"Create {what}"


def _concept_text(concept: Any) -> str | None:
    if not isinstance(concept, dict):
        return None
    text = concept.get("text")
    if isinstance(text, str) and text:
        return text
    for coding in concept.get("coding", []) if isinstance(concept.get("coding"), list) else []:
        if isinstance(coding, dict):
            label = coding.get("display") or coding.get("code")
            if isinstance(label, str) and label:
                return label
    return None
