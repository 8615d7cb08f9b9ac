"""What the staging worksheet shows for one primary soft tissue sarcoma.

Everything shown comes from the assessment (``cds.assess``: AJCC Cancer Staging Manual, 8th
edition, and the FNCLCC grade as reproduced in the NCI PDQ Adult Soft Tissue Sarcoma
Treatment summary) and from where extraction found each input (``PrimaryTumor.sources``).
The what-if is ``hooks.smart.whatif``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cds.model import Assessment, Basis, TreatmentOption, TumorInputs
from cds.report import DISCLAIMER, PDQ_URL
from hooks.fhir.model import PrimaryTumor, Source, TumorReport

SITE_WORDS = {
    "trunk-extremity": "trunk and extremities (AJCC 8 chapter 41)",
    "retroperitoneum": "retroperitoneum (AJCC 8 chapter 44)",
    "head-neck": "head and neck (AJCC 8 chapter 40)",
    "visceral": "abdomen and thoracic visceral organs (AJCC 8 chapter 42)",
}
MISSING_WORDS = {
    "site": "the primary site (which AJCC 8 chapter applies)",
    "size": "the greatest dimension of the tumor",
    "t-category": "the T category or the size it follows from",
    "histology": "the histology (ICD-O-3 morphology)",
    "differentiation": "the FNCLCC differentiation score",
    "mitotic-count": "the mitotic count per 10 high-power fields",
    "necrosis": "the percentage of tumor necrosis",
}
BASIS_WORDS = {
    Basis.RECORDED: "recorded in the chart",
    Basis.DERIVED: "derived by the rules",
    Basis.ASSUMED: "assumed (AJCC default)",
    Basis.UNKNOWN: "could not be determined",
}
#: The inputs shown with their sources: (TumorInputs field, label, unit).
INPUT_ROWS = (
    ("histology", "Histology", ""),
    ("site", "Primary site", ""),
    ("size_cm", "Greatest dimension", "cm"),
    ("differentiation", "FNCLCC differentiation score", ""),
    ("mitoses", "Mitotic count (per 10 HPF)", ""),
    ("necrosis_pct", "Necrosis", "%"),
    ("grade", "Recorded grade", ""),
    ("t", "Recorded T", ""),
    ("n", "Recorded N", ""),
    ("m", "Recorded M", ""),
    ("stage", "Recorded stage group", ""),
)


@dataclass(frozen=True, slots=True)
class ValueRow:
    label: str
    value: str
    reference: str
    date: str
    status: str
    superseded: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    value: str
    basis: str


@dataclass(frozen=True, slots=True)
class Step:
    text: str
    source: str
    table: str
    row: str


@dataclass(frozen=True, slots=True)
class TumorView:
    """One primary sarcoma on the worksheet (``hypothetical`` when from a what-if)."""

    key: str  # the Condition id
    condition: str
    description: str
    classification: str
    preliminary: bool
    hypothetical: bool
    site: str
    histology: str
    rows: tuple[ValueRow, ...]
    scores: tuple[tuple[str, str], ...]  # (component, score or "unknown")
    categories: tuple[Category, ...]
    stage: str
    status: str
    reason: str
    alternatives: tuple[str, ...]
    missing: tuple[str, ...]
    assumed: tuple[str, ...]
    notes: tuple[str, ...]  # could not be read, ignored, other data notes
    problems: tuple[str, ...]
    derivation: tuple[Step, ...]
    treatment: tuple[TreatmentOption, ...]
    form: Mapping[str, str]  # the what-if form's current values
    changed: tuple[str, ...] = ()  # the labels of what the clinician changed


def _date(source: Source | None) -> str:
    return (source.date or "")[:10] if source else ""


def _shown(tumor: PrimaryTumor, name: str, unit: str) -> str:
    value = getattr(tumor.inputs, name)
    if value is None:
        return ""
    source = tumor.sources.get(name)
    text = f"{value} {unit}".strip() if not hasattr(value, "value") else str(value.value)
    text = SITE_WORDS.get(text, text)
    if source and source.text and source.text != text:
        return f"{text} (charted as {source.text})"
    return text


def _rows(tumor: PrimaryTumor) -> tuple[ValueRow, ...]:
    rows = []
    for name, label, unit in INPUT_ROWS:
        value = _shown(tumor, name, unit)
        if not value:
            continue
        source = tumor.sources.get(name)
        if name == "site" and source is None:
            source = Source(reference=tumor.condition)
        others = tuple(
            f"{o.text or 'another value'} in {o.reference}"
            + (f" ({o.date[:10]})" if o.date else "")
            for o in tumor.others.get(name, ())
        )
        rows.append(
            ValueRow(
                label=label,
                value=value,
                reference=source.reference if source else "",
                date=_date(source),
                status=(source.status or "") if source else "",
                superseded=others,
            )
        )
    return tuple(rows)


def _assumed(a: Assessment) -> tuple[str, ...]:
    out = [p.message for p in a.problems if p.code.endswith("-assumed")]
    codes = {p.code for p in a.problems}
    if a.n_basis is Basis.ASSUMED and "n-assumed" not in codes:
        out.append("N0 assumed: no regional node finding is recorded (AJCC 8 has no NX).")
    if a.m_basis is Basis.ASSUMED and "m-assumed" not in codes:
        out.append("M0 assumed: no distant metastasis is recorded.")
    if a.grade.provisional:
        out.append("The grade is provisional (after neoadjuvant therapy or on a core biopsy).")
    return tuple(dict.fromkeys(out))


def form_values(inputs: TumorInputs) -> dict[str, str]:
    def text(value: object) -> str:
        if value is None:
            return ""
        return str(getattr(value, "value", value))

    return {
        "size_cm": text(inputs.size_cm),
        "mitoses": text(inputs.mitoses),
        "necrosis_pct": text(inputs.necrosis_pct),
        "differentiation": text(inputs.differentiation),
        "n": text(inputs.n),
        "m": text(inputs.m),
    }


def view(
    report: TumorReport,
    *,
    hypothetical: bool = False,
    changed: tuple[str, ...] = (),
) -> TumorView:
    tumor, a = report.tumor, report.assessment
    g = a.grade
    steps = {(s.table, s.row, s.explanation): s for s in (*g.trace, *a.trace)}
    score = g.scores
    return TumorView(
        key=tumor.condition.removeprefix("Condition/"),
        condition=tumor.condition,
        description=tumor.description or "Primary soft tissue sarcoma",
        classification="pathologic" if tumor.classification.value == "p" else "clinical",
        preliminary=tumor.preliminary,
        hypothetical=hypothetical,
        site=SITE_WORDS.get(a.site.value, a.site.value) if a.site else "unknown",
        histology=a.histology_name or tumor.inputs.histology or "unknown",
        rows=_rows(tumor),
        scores=tuple(
            (label, "unknown" if value is None else str(value))
            for label, value in (
                ("Differentiation", score.differentiation),
                ("Mitotic count", score.mitotic),
                ("Necrosis", score.necrosis),
                ("Total", score.total),
            )
        ),
        categories=(
            Category("T", f"{tumor.classification.value}{a.t.value}", BASIS_WORDS[a.t_basis]),
            Category("N", a.n.value, BASIS_WORDS[a.n_basis]),
            Category("M", a.m.value, BASIS_WORDS[a.m_basis]),
            Category(
                "Grade",
                g.grade.value + (" (provisional)" if g.provisional else ""),
                BASIS_WORDS[g.basis],
            ),
        ),
        stage=a.stage.value if a.stage else "",
        status=a.status.value,
        reason=a.reason or "",
        alternatives=tuple(s.value for s in a.alternatives if s != a.stage),
        missing=tuple(MISSING_WORDS.get(m, m) for m in a.missing),
        assumed=_assumed(a),
        notes=tumor.notes,
        problems=tuple(
            p.message for p in (*g.problems, *a.problems) if not p.code.endswith("-assumed")
        ),
        derivation=tuple(
            Step(
                s.explanation[:1].upper() + s.explanation[1:].rstrip("."), s.source, s.table, s.row
            )
            for s in steps.values()
        ),
        treatment=a.treatment,
        form=form_values(tumor.inputs),
        changed=changed,
    )


SOURCES = (
    ("AJCC Cancer Staging Manual, 8th edition (2017), chapters 40-42 and 44", ""),
    ("NCI PDQ Adult Soft Tissue Sarcoma Treatment (Health Professional Version)", PDQ_URL),
)
__all__ = ["DISCLAIMER", "SOURCES", "TumorView", "form_values", "view"]
