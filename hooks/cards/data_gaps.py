"""The data-gaps card: what to record to complete the AJCC 8th edition staging, and how the
stage group would change with each possible value (answered by the clinical core itself;
AJCC Cancer Staging Manual 8th ed., ch. 40-44, via NCI PDQ Tables 1-7)."""

from __future__ import annotations

from dataclasses import replace

from cds.model import Assessment, Grade, SiteGroup, Status, T, TumorInputs
from hooks.cards import plain
from hooks.cards.common import OVERRIDE_REASONS_WIRE, STAGE_SOURCE_WIRE, Assess, NewUuid, short
from hooks.cards.markdown import DISCLAIMER, md, summary
from hooks.fhir.model import TumorReport
from hooks.fhir.writeback import grade_rests_on_assumption

WHAT_TO_RECORD = {
    "site": "the primary site (Condition.bodySite; ICD-O-3 C47.3-C47.5 and C49.3-C49.5 "
    "need a finer site: trunk wall or visceral)",
    "size": "the greatest dimension of the tumor (LOINC 33728-7, in mm or cm)",
    "t-category": "the T category, or the tumor size it follows from",
    "histology": "the histology as an ICD-O-3 morphology code",
    "differentiation": "the FNCLCC differentiation score (1-3) for the histology",
    "mitotic-count": "the mitotic count per 10 high-power fields (SNOMED CT 371472000)",
    "necrosis": "the percentage of tumor necrosis (SNOMED CT 405921002)",
    "grade": "the FNCLCC grade (G1-G3)",
}
GRADE_PARTS = ("differentiation", "mitotic-count", "necrosis")


def data_gaps_card(
    report: TumorReport, *, new_uuid: NewUuid, assess: Assess | None
) -> plain.WireCard | None:
    tumor, a = report.tumor, report.assessment
    if a.status is Status.NOT_APPLICABLE:
        return None  # no stage group to complete; the stage card says why
    missing = list(a.missing)
    ungradable = any(p.code == "grade-not-applicable" for p in a.grade.problems)
    if (
        a.grade.grade is Grade.GX
        and not a.grade.options  # a set of grades is a grade the stage can rest on
        and not ungradable
        and "grade" not in missing
        and not any(m in missing for m in GRADE_PARTS)
    ):
        missing.append("grade")
    if "differentiation" not in missing and grade_rests_on_assumption(tumor, a):
        missing.append("differentiation")  # the assumed score decides the grade: record it
    if not missing:
        return None
    lines = ["Recording these would complete the AJCC 8th edition staging:", ""]
    for item in missing:
        lines.append(f"- {WHAT_TO_RECORD.get(item, md(item))}")
    if any(m in missing for m in GRADE_PARTS):
        lines.append("- or the FNCLCC grade itself (G1-G3) as stated in the pathology report")
    effects = what_if(tumor.inputs, a, assess)
    lines.append("")
    if effects:
        lines.append(f"How the stage would change: {effects}.")
    elif len(a.alternatives) > 1:
        lines.append("Possible stage groups: " + ", ".join(s.value for s in a.alternatives) + ".")
    lines += ["", DISCLAIMER]
    names = ", ".join(dict.fromkeys(short(m) for m in missing))
    prefix = f"Record {names} to complete staging"
    if effects:
        prefix = f"{prefix} ({effects})"
        if len(prefix) > 100:
            prefix = f"Record {names} to complete staging"
    return plain.card(
        uuid=new_uuid(),
        summary=summary(prefix, tumor.description),
        detail="\n".join(lines),
        indicator="warning",
        source=STAGE_SOURCE_WIRE,
        override_reasons=OVERRIDE_REASONS_WIRE,
    )


def what_if(inputs: TumorInputs, a: Assessment, assess: Assess | None) -> str:
    """Stage groups under each possible value of the missing item, from the core itself."""
    if assess is None or a.status is Status.NOT_APPLICABLE:
        return ""
    # One unknown at a time, in the order that decides most: site (which table), then the
    # grade, then T. Each hypothetical is answered by the core itself.
    trials: list[tuple[str, TumorInputs]] = []
    if a.site is None:
        trials = [(_site_short(s), replace(inputs, site=s)) for s in SiteGroup]
    elif a.grade.grade is Grade.GX:
        grades = a.grade.options or (Grade.G1, Grade.G2, Grade.G3)  # only those still possible
        trials = [(g.value, replace(inputs, grade=g)) for g in grades]
    elif a.t is T.TX or "size" in a.missing:
        t_values = a.t_options or (T.T1, T.T2, T.T3, T.T4)
        trials = [(t.value, replace(inputs, t=t)) for t in t_values]
    if not trials:
        return ""
    by_stage: dict[str, list[str]] = {}
    for label, hypo in trials:
        result = assess(hypo)
        key = result.stage.value if result.stage else "no stage group"
        by_stage.setdefault(key, []).append(label)
    if len(by_stage) < 2:
        return ""
    return "; ".join(f"{stage} if {' or '.join(labels)}" for stage, labels in by_stage.items())


def _site_short(site: SiteGroup) -> str:
    return {
        SiteGroup.TRUNK_EXTREMITY: "trunk or extremity",
        SiteGroup.RETROPERITONEUM: "retroperitoneal",
        SiteGroup.HEAD_NECK: "head and neck",
        SiteGroup.VISCERAL: "visceral",
    }[site]
