"""An assessment as the CLI's JSON contract and as text a clinician reads.

The JSON keys ``t``, ``n``, ``m``, ``grade``, ``stage``, ``status``, ``missing``,
``alternatives`` and ``treatment`` (each with ``id``, ``title``, ``source``) are a stable
contract (ARCHITECTURE.md); the other keys are extras. Values are in AJCC 8th edition
notation. Treatment text paraphrases the NCI PDQ Adult Soft Tissue Sarcoma Treatment summary.
"""

from __future__ import annotations

from cds.model import Assessment, Basis, Problem, TraceStep, TreatmentOption

PDQ_URL = "https://www.cancer.gov/types/soft-tissue-sarcoma/hp/adult-soft-tissue-treatment-pdq"

DISCLAIMER = (
    "Decision support only, citing the AJCC Cancer Staging Manual, 8th edition, via the NCI PDQ "
    f"Adult Soft Tissue Sarcoma Treatment summary ({PDQ_URL}); it does not replace the "
    "judgement of the treating team."
)

JsonValue = str | int | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


def _problem(p: Problem) -> dict[str, JsonValue]:
    return {"code": p.code, "severity": p.severity.value, "field": p.field, "message": p.message}


def _step(s: TraceStep) -> dict[str, JsonValue]:
    return {"table": s.table, "row": s.row, "source": s.source, "explanation": s.explanation}


def _option(o: TreatmentOption) -> dict[str, JsonValue]:
    return {
        "id": o.id,
        "title": o.title,
        "source": o.source,
        "kind": o.kind,
        "detail": o.detail,
        "evidence": o.evidence,
    }


def assessment_json(a: Assessment) -> dict[str, JsonValue]:
    """The assessment as one JSON-ready object (the ``sarcoma-cds stage --json`` contract)."""
    scores = a.grade.scores
    return {
        "t": a.t.value,
        "n": a.n.value,
        "m": a.m.value,
        "grade": a.grade.grade.value,
        "stage": a.stage.value if a.stage else None,
        "status": a.status.value,
        "missing": list(a.missing),
        "alternatives": [s.value for s in a.alternatives],
        # the T categories / grades still possible when t is TX / grade is GX because a value is
        # known only as an interval or a set (empty otherwise)
        "t_options": [t.value for t in a.t_options],
        "grade_options": [g.value for g in a.grade.options],
        "treatment": [_option(o) for o in a.treatment],
        "site": a.site.value if a.site else None,
        "histology_name": a.histology_name,
        "t_basis": a.t_basis.value,
        "n_basis": a.n_basis.value,
        "m_basis": a.m_basis.value,
        "grade_basis": a.grade.basis.value,
        "grade_provisional": a.grade.provisional,
        "scores": {
            "differentiation": scores.differentiation,
            "mitotic": scores.mitotic,
            "necrosis": scores.necrosis,
            "total": scores.total,
        },
        "reason": a.reason,
        "ajcc_sts": a.ajcc_sts,
        "problems": [_problem(p) for p in a.problems],
        "trace": [_step(s) for s in a.trace],
        "source": DISCLAIMER,
    }


def _basis(basis: Basis) -> str:
    return {
        Basis.RECORDED: "recorded",
        Basis.DERIVED: "derived",
        Basis.ASSUMED: "assumed",
        Basis.UNKNOWN: "unknown",
    }[basis]


def assessment_text(a: Assessment) -> str:
    """The derivation as a clinician reads it: each value and why, stage, gaps, options."""
    lines: list[str] = []
    site = a.site.value if a.site else "unknown"
    lines.append(f"Site group: {site}")
    if a.histology_name:
        lines.append(f"Histology: {a.histology_name}")
    lines.append("")
    lines.append("Derivation:")
    lines.extend(f"  - {s.explanation} [{s.table}: {s.row}]" for s in a.trace)
    lines.append("")
    grade = f"{a.grade.grade} ({_basis(a.grade.basis)})"
    if a.grade.provisional:
        grade += ", provisional"
    lines.append(
        f"T: {a.t} ({_basis(a.t_basis)})   N: {a.n} ({_basis(a.n_basis)})   "
        f"M: {a.m} ({_basis(a.m_basis)})   Grade: {grade}"
    )
    if a.stage is not None:
        lines.append(f"Stage: {a.stage} (AJCC 8th edition; status: {a.status})")
    else:
        lines.append(f"Stage: none (status: {a.status})")
    if a.reason:
        lines.append(f"Reason: {a.reason}")
    if a.alternatives:
        lines.append("Possible stages given what is missing: " + ", ".join(a.alternatives))
    lines.append("Missing: " + (", ".join(a.missing) if a.missing else "nothing"))
    if a.problems:
        lines.append("")
        lines.append("Notes:")
        lines.extend(f"  - [{p.severity}] {p.message}" for p in a.problems)
    if a.treatment:
        lines.append("")
        lines.append("Treatment options (paraphrasing NCI PDQ):")
        for o in a.treatment:
            lines.append(f"  - {o.title} [{o.kind}; PDQ: {o.source}]")
            lines.append(f"      {o.detail}")
            lines.append(f"      Evidence: {o.evidence}")
    lines.append("")
    lines.append(DISCLAIMER)
    return "\n".join(lines)
