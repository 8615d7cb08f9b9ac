"""FNCLCC histologic grade (AJCC 8th ed. soft tissue sarcoma chapters; NCI PDQ Tables 4-6).

Grade = differentiation score (1-3, from the histology unless the pathologist gives it)
+ mitotic count score (1-3) + necrosis score (0-2); totals 2-3 are G1, 4-5 G2, 6-8 G3. Any
unknown component gives GX with the list of what is missing. Grading is not valid
after neoadjuvant therapy and not recommended on core biopsies (Coindre, Arch Pathol Lab Med
2006;130:1448-1453): such grades are provisional.

A recorded grade and the component scores:

- a recorded G1, G2 or G3 is the pathologist's grade and is authoritative; a complete computed
  grade that differs from it is reported as a warning;
- a recorded GX means "grade cannot be assessed" (AJCC 8), not a finding the scores cannot
  see, so it yields to a complete FNCLCC score: the computed grade is used (basis derived) with
  a warning that the chart records GX although all three components are present. A grade of
  another system (e.g. "high grade") is read as a recorded GX (AJCC 8; SEER treats such grades
  as unknown), so a complete FNCLCC score replaces it too;
- with any component unknown a recorded GX stays GX (basis recorded).

This is the rule already applied to T: a recorded TX with a known size gives way to the size.
"""

from __future__ import annotations

from decimal import Decimal

from cds.histology import Histology, read_histology
from cds.model import (
    Basis,
    FnclccScores,
    Grade,
    GradeResult,
    Problem,
    Severity,
    TraceStep,
    TumorInputs,
)
from cds.tables import table

DIFFERENTIATION = table("fnclcc-differentiation")
MITOTIC = table("fnclcc-mitotic-count")
NECROSIS = table("fnclcc-necrosis")
TOTAL = table("fnclcc-grade")
NOT_GRADED = table("fnclcc-not-graded")

COMPONENTS = ("differentiation", "mitotic-count", "necrosis")


def _differentiation(
    inputs: TumorInputs,
    histology: Histology | None,
    problems: list[Problem],
    trace: list[TraceStep],
) -> int | None:
    row = DIFFERENTIATION.first(histology=histology.code) if histology else None
    given = inputs.differentiation
    if given is not None:
        if given not in (1, 2, 3):
            problems.append(
                Problem(
                    code="invalid-differentiation",
                    message=f"Differentiation score {given} is not 1, 2 or 3: not used.",
                    severity=Severity.WARNING,
                    field="differentiation",
                )
            )
            given = None
        else:
            trace.append(
                TraceStep(
                    table="fnclcc-differentiation",
                    row=f"score {given}",
                    source=DIFFERENTIATION.source,
                    explanation=f"differentiation score {given} as stated by the pathologist",
                )
            )
            if row is not None and row.integer("score") != given:
                problems.append(
                    Problem(
                        code="differentiation-stated",
                        message=(
                            f"The stated differentiation score {given} is used; the histology "
                            f"table gives {row.integer('score')} for {row.text('name')}."
                        ),
                        field="differentiation",
                    )
                )
            return given
    if row is None:
        return None
    score = row.integer("score")
    words = f"{row.text('name')} ({row.key}): differentiation score {score} ({row.text('cite')})"
    note = row.opt_text("note")
    if note:
        words += f"; {note}"
    assumption = row.opt_text("assumption")
    if assumption:
        words += f"; assumption: {assumption}"
        problems.append(
            Problem(
                code="differentiation-assumed",
                message=f"Differentiation score {score} assumed: {assumption}.",
                severity=Severity.WARNING,
                field="differentiation",
            )
        )
    trace.append(DIFFERENTIATION.step(row, words))
    return score


def _component(
    value: Decimal | int | None,
    name: str,
    unit: str,
    problems: list[Problem],
    trace: list[TraceStep],
) -> int | None:
    component = MITOTIC if name == "mitotic-count" else NECROSIS
    if value is None:
        return None
    column = "mitoses" if name == "mitotic-count" else "necrosis_pct"
    row = component.first(**{column: value})
    if row is None:
        problems.append(
            Problem(
                code=f"invalid-{name}",
                message=f"{name.capitalize()} {value}{unit} is out of range: not used.",
                severity=Severity.WARNING,
                field=name,
            )
        )
        return None
    score = row.integer("score")
    trace.append(
        component.step(
            row, f"{name.replace('-', ' ')} {value}{unit}: {row.text('criterion')}, score {score}"
        )
    )
    return score


def _recorded_gx_words(missing: tuple[str, ...], not_graded: bool) -> str:
    """Why a recorded GX stands: no complete FNCLCC score to replace it."""
    if not_graded:
        return "GX as recorded: this histology has no FNCLCC differentiation score"
    if missing:
        return (
            "GX as recorded: the grade cannot be assessed and the FNCLCC score is incomplete "
            f"(unknown: {', '.join(missing)})"
        )
    return "GX as recorded: the grade cannot be assessed"


def fnclcc_grade(inputs: TumorInputs) -> GradeResult:
    """The FNCLCC grade of one tumor, with its component scores, what is missing and why."""
    histology = read_histology(inputs.histology) if inputs.histology else None
    problems: list[Problem] = []
    trace: list[TraceStep] = []

    not_graded = NOT_GRADED.first(morphology=histology.morphology) if histology else None
    differentiation = None if not_graded else _differentiation(inputs, histology, problems, trace)
    mitotic = _component(inputs.mitoses, "mitotic-count", " per 10 HPF", problems, trace)
    necrosis = _component(inputs.necrosis_pct, "necrosis", "%", problems, trace)
    scores = FnclccScores(differentiation=differentiation, mitotic=mitotic, necrosis=necrosis)

    computed: Grade | None = None
    missing: tuple[str, ...] = ()
    if not_graded is not None:
        reason = not_graded.text("reason")
        trace.append(NOT_GRADED.step(not_graded, f"GX: {reason}"))
        problems.append(
            Problem(code="grade-not-applicable", message=f"Grade is GX: {reason}.", field="grade")
        )
    elif scores.total is None:
        missing = tuple(
            name
            for name, part in zip(COMPONENTS, (differentiation, mitotic, necrosis), strict=True)
            if part is None
        )
    else:
        row = TOTAL.first(total=scores.total)
        if row is None:  # cannot happen for valid scores; integrity tests cover 2-8
            raise LookupError(f"fnclcc-grade has no row for total {scores.total}")
        computed = Grade(row.text("grade"))
        trace.append(
            TOTAL.step(
                row,
                f"total score {differentiation} + {mitotic} + {necrosis} = {scores.total}: "
                f"{computed} (total {row.bounds('total').describe()})",
            )
        )

    recorded = inputs.grade
    if recorded is Grade.GX and computed is not None:
        grade, basis = computed, Basis.DERIVED
        trace.append(
            TraceStep(
                table="fnclcc-grade",
                row="GX",
                source=TOTAL.source,
                explanation=(
                    f"GX as recorded means the grade cannot be assessed, but all three FNCLCC "
                    f"components are present and give {computed} (total {scores.total}): "
                    f"{computed} is used"
                ),
            )
        )
        problems.append(
            Problem(
                code="grade-recorded-gx-disagrees-with-scores",
                message=(
                    "The recorded grade is GX (cannot be assessed, or a grade of another system "
                    "read as GX), but all three FNCLCC components are present and give "
                    f"{computed} (total {scores.total}): {computed} is used."
                ),
                severity=Severity.WARNING,
                field="grade",
            )
        )
    elif recorded is not None:
        grade, basis = recorded, Basis.RECORDED
        trace.append(
            TraceStep(
                table="fnclcc-grade",
                row=str(recorded),
                source=TOTAL.source,
                explanation=(
                    f"{recorded} as recorded: a recorded FNCLCC grade is authoritative"
                    if recorded is not Grade.GX
                    else _recorded_gx_words(missing, not_graded is not None)
                ),
            )
        )
        if computed is not None and computed != recorded:
            problems.append(
                Problem(
                    code="grade-disagrees-with-scores",
                    message=(
                        f"Recorded grade {recorded} differs from {computed} computed from the "
                        f"FNCLCC scores (total {scores.total}); the recorded grade is used."
                    ),
                    severity=Severity.WARNING,
                    field="grade",
                )
            )
        if not_graded is not None and recorded != Grade.GX:
            problems.append(
                Problem(
                    code="grade-recorded-for-ungraded-histology",
                    message=(
                        f"Recorded grade {recorded} is used, although {not_graded.text('reason')}."
                    ),
                    severity=Severity.WARNING,
                    field="grade",
                )
            )
        if recorded != Grade.GX:
            missing = ()
    elif computed is not None:
        grade, basis = computed, Basis.DERIVED
    else:
        grade, basis = Grade.GX, Basis.UNKNOWN
        if missing:
            trace.append(
                TraceStep(
                    table="fnclcc-grade",
                    row="GX",
                    source=TOTAL.source,
                    explanation=f"GX: FNCLCC score unknown for {', '.join(missing)}",
                )
            )

    provisional = bool(inputs.grade_caveats)
    if provisional:
        problems.append(
            Problem(
                code="grade-provisional",
                message=(
                    f"Grade {grade} is provisional ({'; '.join(inputs.grade_caveats)}): FNCLCC "
                    "grading is not valid after neoadjuvant therapy and not recommended on core "
                    "biopsies (Coindre 2006)."
                ),
                severity=Severity.WARNING,
                field="grade",
            )
        )
    return GradeResult(
        grade=grade,
        basis=basis,
        scores=scores,
        missing=missing,
        provisional=provisional,
        problems=tuple(problems),
        trace=tuple(trace),
    )
