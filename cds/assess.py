"""The one entry point of the clinical core: grade, stage and treatment options for one tumor.

AJCC Cancer Staging Manual 8th ed. (soft tissue sarcoma, ch. 40-45) and the FNCLCC grade, as
reproduced in NCI PDQ Adult Soft Tissue Sarcoma Treatment (Tables 1-9, updated 2024-04-10).

Uncertainty is part of the answer: with GX the stage is the one AJCC assigns (GX groups with
G1) and ``alternatives`` lists every stage the unknown grade allows; with TX no stage is
assigned and ``alternatives`` lists every stage the unknown T allows. Assumed N0/M0 are AJCC
rules, not missing data, and are not expanded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cds.frozen import builder
from cds.grading import fnclcc_grade
from cds.histology import Histology, Scope, ajcc_scope, read_histology
from cds.model import (
    Assessment,
    Grade,
    GradeResult,
    M,
    N,
    Problem,
    Severity,
    SiteGroup,
    Stage,
    Status,
    T,
    TraceStep,
    TumorInputs,
)
from cds.numbers import bounded
from cds.staging import (
    GRADES_IF_UNKNOWN,
    SITES,
    TResult,
    m_category,
    n_category,
    possible_stages,
    site_row,
    stage_group,
    stageable_t,
    staged_sites,
    t_category,
    t_from_range,
    t_from_size,
)
from cds.treatment import TreatmentPlan, treatment_options

NOT_STAGED_SCOPES = frozenset({"unusual", "not-sts", "not-sarcoma"})
OUTSIDE_STS_SCOPES = frozenset({"not-sts", "not-sarcoma"})  # not even ch. 45

SITE_UNKNOWN_REASON = (
    "The site group is unknown. AJCC 8 stage groups exist only for the trunk and extremities "
    "(ch. 41) and the retroperitoneum (ch. 44); there is no recommended stage grouping for "
    "the head and neck or the abdomen and thoracic visceral organs. The alternatives are the "
    "stages possible at the two staged site groups."
)


def _dedupe(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _t_values_at(site: SiteGroup, t: TResult, inputs: TumorInputs) -> tuple[T, ...]:
    """The T values to try at ``site``: the known T, else those the size (or its interval)
    gives there, else all."""
    stageable = stageable_t(site)
    if t.t is not T.TX:
        return (t.t,) if t.t in stageable or t.t is T.T0 else ()
    size = bounded(inputs.size_cm) if inputs.site is None else None  # bounded before use
    if size is not None and size > 0:
        derived = t_from_size(site, size)
        if derived is not None:
            return (derived[0],)
    if inputs.site is None and inputs.size_cm is None and inputs.size_range is not None:
        ranged = t_from_range(site, inputs.size_range)
        if ranged is not None:
            return ranged[0]
    return t.options or stageable


# Built through its slots, not its frozen __init__ (cds.frozen): one per tumor, 19 fields.
_new_assessment = builder(Assessment)


_N_BY_VALUE: dict[str, N] = {member.value: member for member in N}
_M_BY_VALUE: dict[str, M] = {member.value: member for member in M}


@dataclass(frozen=True, slots=True)
class _Staged:
    stage: Stage | None
    status: Status
    reason: str | None
    alternatives: tuple[Stage, ...]
    why: str  # why no stage, for the treatment notes
    collapsed: bool = False  # every remaining possibility gives one stage group


# Built through its slots, not its frozen __init__ (cds.frozen): one per tumor.
_new_staged = builder(_Staged)


def _stage(
    inputs: TumorInputs,
    *,
    scope: Scope,
    t: TResult,
    n: N,
    m: M,
    grade: GradeResult,
    trace: list[TraceStep],
) -> _Staged:
    """Stage group, status, reason, alternatives, and why no stage (for treatment notes)."""
    grades = grade.options or (GRADES_IF_UNKNOWN if grade.grade is Grade.GX else (grade.grade,))
    if scope.scope in NOT_STAGED_SCOPES:
        why = "AJCC 8 gives no stage group for this tumor"
        return _new_staged(None, Status.NOT_APPLICABLE, scope.reason, (), why)
    if inputs.site is None:
        found: set[Stage] = set()
        for site in staged_sites():
            found.update(possible_stages([site], _t_values_at(site, t, inputs), n, m, grades))
        trace.append(
            TraceStep(
                table=SITES.id,
                row="site unknown",
                source=SITES.source,
                explanation=SITE_UNKNOWN_REASON,
            )
        )
        return _new_staged(
            None,
            Status.INSUFFICIENT_DATA,
            SITE_UNKNOWN_REASON,
            tuple(s for s in Stage if s in found),
            "the site group, and so the stage group, is unknown",
        )
    if inputs.site not in staged_sites():
        result = stage_group(inputs.site, t.t, n, m, grade.grade)
        trace.extend(result.trace)
        site_name = site_row(inputs.site).text("name")
        why = f"AJCC 8 has no stage groups for sarcomas of the {site_name}"
        return _new_staged(result.stage, result.status, result.reason, (), why)
    why = "no stage group could be assigned with the data given"
    if t.t is not T.TX and grade.grade is not Grade.GX:
        result = stage_group(inputs.site, t.t, n, m, grade.grade)
        trace.extend(result.trace)
        return _new_staged(result.stage, result.status, result.reason, (), why)
    t_values = _t_values_at(inputs.site, t, inputs)
    possible = possible_stages([inputs.site], t_values, n, m, grades)
    if len(possible) == 1 and (t.options or grade.options):
        rows = {
            step.row: step
            for tv in t_values
            for g in grades
            for step in stage_group(inputs.site, tv, n, m, g).trace
        }
        for step in rows.values():  # each stage-table row reached, once
            trace.append(
                replace(
                    step,
                    explanation=(
                        f"every remaining possibility (T {' or '.join(t_values)}; grade "
                        f"{' or '.join(grades)}; {n} {m}) gives stage {possible[0]} (row "
                        f"{step.row}): the stage group is determined"
                    ),
                )
            )
        return _new_staged(possible[0], Status.STAGED, None, (), why, collapsed=True)
    if len(t.options) > 1 or (grade.options and Grade.G1 not in grade.options):
        # GX's AJCC grouping with G1 does not apply when G1 is excluded, nor a T from a size
        # interval: the stage group is one of the alternatives.
        shown = f"T {' or '.join(t_values)}, grade {' or '.join(grades)}"
        reason = (
            f"The stage group depends on values known only as a range or a set ({shown}): "
            f"it is {' or '.join(possible)}."
        )
        trace.append(
            TraceStep(
                table=site_row(inputs.site).text("stage_table"),
                row="alternatives",
                source=SITES.source,
                explanation=reason,
            )
        )
        return _new_staged(None, Status.INSUFFICIENT_DATA, reason, possible, why)
    result = stage_group(inputs.site, t.t, n, m, grade.grade)
    trace.extend(result.trace)
    return _new_staged(result.stage, result.status, result.reason, possible, why)


def _treatment(
    inputs: TumorInputs,
    *,
    stage: Stage | None,
    n: N,
    m: M,
    grade: GradeResult,
    histology: Histology | None,
    scope: Scope,
    why: str,
) -> TreatmentPlan:
    """PDQ options; with a set of possible grades, those every grade of the set gives when they
    all agree (G2 and G3 lead to the same PDQ sections), else those for GX."""

    def plan_for(g: Grade) -> TreatmentPlan:
        return treatment_options(
            site=inputs.site,
            stage=stage,
            n=n,
            m=m,
            grade=g,
            histology=histology,
            scope=scope,
            recurrent=inputs.recurrent,
            no_stage_why=why,
            topography=inputs.topography,
        )

    if grade.options:
        plans = [plan_for(g) for g in grade.options]
        if all(p.options == plans[0].options for p in plans):
            return plans[0]
    return plan_for(grade.grade)


def assess(inputs: TumorInputs) -> Assessment:
    """Grade, T/N/M, stage group (or why none), treatment options, problems and trace."""
    problems: list[Problem] = []
    trace: list[TraceStep] = []
    missing: list[str] = []

    histology = read_histology(inputs.histology) if inputs.histology is not None else None
    if inputs.histology is not None and histology is None:
        problems.append(
            Problem(
                code="invalid-histology",
                message=(
                    f"Histology {inputs.histology!r} is not an ICD-O-3 code of the form "
                    "NNNN/B with behaviour /0, /1, /2, /3, /6 or /9: treated as unknown."
                ),
                severity=Severity.WARNING,
                field="histology",
            )
        )
    if histology is not None:
        problems.extend(histology.problems)
        trace.extend(histology.trace)
    scope = ajcc_scope(histology, inputs.site, inputs.topography)
    problems.extend(scope.problems)
    trace.extend(scope.trace)

    grade = fnclcc_grade(inputs)
    t = t_category(inputs.site, inputs.size_cm, inputs.t, size_range=inputs.size_range)
    n = n_category(inputs.n)
    m = m_category(inputs.m)
    # The members by their values, found in a dict, not by two Enum calls (an unknown value
    # goes to the Enum call and raises as before).
    n_value = _N_BY_VALUE.get(n.category) or N(n.category)
    m_value = _M_BY_VALUE.get(m.category) or M(m.category)
    problems.extend(grade.problems)
    trace.extend(grade.trace)
    for part in (t, n, m):
        problems.extend(part.problems)
        trace.extend(part.trace)

    if inputs.site is None:
        missing.append("site")
    missing.extend(t.missing)
    if histology is None:
        missing.append("histology")
    missing.extend(grade.missing)

    staged = _stage(inputs, scope=scope, t=t, n=n_value, m=m_value, grade=grade, trace=trace)
    stage, status, reason, alternatives = (
        staged.stage,
        staged.status,
        staged.reason,
        staged.alternatives,
    )
    no_stage_why = staged.why
    if staged.collapsed:  # what is still unknown does not change the stage group
        settled = {"size"} if t.options else set()
        if grade.options:
            settled |= {"differentiation", "mitotic-count", "necrosis", "grade"}
        missing = [item for item in missing if item not in settled]

    higher = [s for s in alternatives if s is not stage]
    if grade.grade is Grade.GX and stage is not None and higher and t.t is not T.TX:
        others = [g for g in grade.options or GRADES_IF_UNKNOWN if g is not Grade.G1]
        problems.append(
            Problem(
                code="gx-grouped-with-g1",
                message=(
                    f"Grade unknown (GX): AJCC 8 groups GX with G1, giving stage {stage}; with "
                    f"{' or '.join(others)} the stage would be {' or '.join(higher)}."
                ),
                severity=Severity.WARNING,
                field="grade",
            )
        )
    if inputs.stage is not None and stage is not None and inputs.stage is not stage:
        problems.append(
            Problem(
                code="stage-disagrees",
                message=f"Recorded stage {inputs.stage} differs from stage {stage} derived here.",
                severity=Severity.WARNING,
                field="stage",
            )
        )
    if inputs.recurrent:
        problems.append(
            Problem(
                code="recurrent",
                message=(
                    "Recurrent tumor: restaged with the same AJCC system as a primary tumor and "
                    "noted as recurrent (PDQ); options are those for recurrent disease."
                ),
            )
        )

    plan = _treatment(
        inputs,
        stage=stage,
        n=n_value,
        m=m_value,
        grade=grade,
        histology=histology,
        scope=scope,
        why=no_stage_why,
    )
    trace.extend(plan.trace)

    return _new_assessment(
        status=status,
        site=inputs.site,
        t=t.t,
        t_basis=t.basis,
        n=n_value,
        n_basis=n.basis,
        m=m_value,
        m_basis=m.basis,
        grade=grade,
        stage=stage,
        alternatives=alternatives,
        missing=_dedupe(missing),
        reason=reason,
        histology_name=histology.name if histology else None,
        problems=tuple(problems),
        trace=tuple(trace),
        treatment=plan.options,
        ajcc_sts=scope.scope not in OUTSIDE_STS_SCOPES,
        t_options=t.options,
    )
