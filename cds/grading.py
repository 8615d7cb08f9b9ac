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

from functools import lru_cache

from cds.frozen import builder
from cds.grade_sets import component_scores, possible_grades
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
from cds.numbers import shown
from cds.tables import Row, new_step, table

DIFFERENTIATION = table("fnclcc-differentiation")
MITOTIC = table("fnclcc-mitotic-count")
NECROSIS = table("fnclcc-necrosis")
TOTAL = table("fnclcc-grade")
NOT_GRADED = table("fnclcc-not-graded")

COMPONENTS = ("differentiation", "mitotic-count", "necrosis")

# Built through their slots, not their frozen __init__ (cds.frozen): one of each per tumor.
_new_scores = builder(FnclccScores)
_new_grade = builder(GradeResult)


# The not-graded row of a morphology: a pure function of the code and the table, looked up
# once per code (keyword query and its checks every tumor otherwise).
@lru_cache(maxsize=2048)
def _not_graded(morphology: str) -> Row | None:
    return NOT_GRADED.first(morphology=morphology)


def _differentiation(
    inputs: TumorInputs,
    histology: Histology | None,
    problems: list[Problem],
    trace: list[TraceStep],
) -> int | None:
    found = _scored(histology.code) if histology else None
    given = inputs.differentiation
    if given is not None:
        if given not in (1, 2, 3):
            problems.append(
                Problem(
                    code="invalid-differentiation",
                    message=f"Differentiation score {shown(given)} is not 1, 2 or 3: not used.",
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
            row = found[0] if found else None
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
    if found is None:
        return None
    _, score, assumed, step = found
    if assumed is not None:
        problems.append(assumed)
    trace.append(step)
    return score


# The score a histology gives, with its problem and trace step: a pure function of the code,
# built once per code (with the total's row below and the T steps in cds/staging.py:
# cds.assess 0.064 -> 0.039 ms per new chart).
@lru_cache(maxsize=2048)
def _scored(code: str) -> tuple[Row, int, Problem | None, TraceStep] | None:
    """The differentiation row of ``code``, its score, the assumption problem (if any) and the
    trace step; None when the table has no row for the code."""
    row = DIFFERENTIATION.first(histology=code)
    if row is None:
        return None
    score = row.integer("score")
    words = f"{row.text('name')} ({row.key}): differentiation score {score} ({row.text('cite')})"
    note = row.opt_text("note")
    if note:
        words += f"; {note}"
    assumption = row.opt_text("assumption")
    assumed = None
    if assumption:
        words += f"; assumption: {assumption}"
        assumed = Problem(
            code="differentiation-assumed",
            message=f"Differentiation score {score} assumed: {assumption}.",
            severity=Severity.WARNING,
            field="differentiation",
        )
    return row, score, assumed, DIFFERENTIATION.step(row, words)


def _unreadable(names: tuple[str, ...]) -> list[Problem]:
    """Components the chart holds but that could not be read: unknown, never assumed absent."""
    return [
        Problem(
            code=f"unreadable-{name}",
            message=(
                f"The {name.replace('-', ' ')} in the chart could not be read: it is unknown "
                "(every score it could take is considered), not absent."
            ),
            severity=Severity.WARNING,
            field=name,
        )
        for name in COMPONENTS
        if name in names
    ]


def _from_scores(
    scores: FnclccScores,
    parts: dict[str, tuple[int, ...] | None],
    trace: list[TraceStep],
    *,
    show_partial: bool,
) -> tuple[Grade | None, tuple[Grade, ...], tuple[str, ...]]:
    """The grade the FNCLCC scores give (complete, or fixed by the known part of the sum), the
    grades still possible otherwise, and the components that would decide it. The arithmetic
    on a partial score is traced when it decides something (no recorded G1-G3 stands)."""
    total = scores.total
    if total is not None:
        row, computed, span = _total_row(total)
        trace.append(
            TOTAL.step(
                row,
                f"total score {scores.differentiation} + {scores.mitotic} + {scores.necrosis} = "
                f"{total}: {computed} (total {span})",
            )
        )
        return computed, (), ()
    missing = tuple(
        name
        for name, part in zip(
            COMPONENTS, (scores.differentiation, scores.mitotic, scores.necrosis), strict=True
        )
        if part is None
    )
    if all(part is None for part in parts.values()):
        return None, (), missing
    grades, step = possible_grades(parts)
    if len(grades) == len(COMPONENTS):  # G1, G2 or G3: the known scores narrow nothing down
        return None, (), missing
    if step is not None and show_partial:
        trace.append(step)
    if len(grades) == 1:
        return grades[0], (), ()
    return None, grades, missing


# The row, grade and bounds in words of each total (2-8), found once each.
@lru_cache(maxsize=64)
def _total_row(total: int) -> tuple[Row, Grade, str]:
    row = TOTAL.first(total=total)
    if row is None:  # cannot happen for valid scores; integrity tests cover 2-8
        raise LookupError(f"fnclcc-grade has no row for total {total}")
    return row, Grade(row.text("grade")), row.bounds("total").describe()


def _outside_options(
    recorded: Grade, computed: Grade | None, options: tuple[Grade, ...]
) -> list[Problem]:
    """A recorded grade that the known part of the FNCLCC score rules out."""
    if computed is not None or not options or recorded in options:
        return []
    return [
        Problem(
            code="grade-disagrees-with-scores",
            message=(
                f"Recorded grade {recorded} is not among {' or '.join(options)} that the FNCLCC "
                "scores known allow; the recorded grade is used."
            ),
            severity=Severity.WARNING,
            field="grade",
        )
    ]


def _gx_yields(
    computed: Grade, scores: FnclccScores, problems: list[Problem], trace: list[TraceStep]
) -> None:
    """A recorded GX gives way to the grade the FNCLCC scores give: say so."""
    if scores.total is None:  # the known part of the sum fixes the grade
        trace.append(
            TraceStep(
                table="fnclcc-grade",
                row="GX",
                source=TOTAL.source,
                explanation=(
                    "GX as recorded means the grade cannot be assessed, but the FNCLCC scores "
                    f"known give {computed} whatever the others are: {computed} is used"
                ),
            )
        )
        return
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

    not_graded = _not_graded(histology.morphology) if histology else None
    differentiation = None if not_graded else _differentiation(inputs, histology, problems, trace)
    mitotic_set = component_scores(
        MITOTIC,
        "mitotic-count",
        inputs.mitoses,
        inputs.mitoses_range,
        unit=" per 10 HPF",
        problems=problems,
        trace=trace,
    )
    necrosis_set = component_scores(
        NECROSIS,
        "necrosis",
        inputs.necrosis_pct,
        inputs.necrosis_range,
        unit="%",
        problems=problems,
        trace=trace,
    )
    problems.extend(_unreadable(inputs.unreadable))
    parts = {
        "differentiation": (differentiation,) if differentiation is not None else None,
        "mitotic-count": mitotic_set,
        "necrosis": necrosis_set,
    }
    scores = _new_scores(
        differentiation=differentiation,
        mitotic=mitotic_set[0] if mitotic_set and len(mitotic_set) == 1 else None,
        necrosis=necrosis_set[0] if necrosis_set and len(necrosis_set) == 1 else None,
    )

    computed: Grade | None = None
    options: tuple[Grade, ...] = ()
    missing: tuple[str, ...] = ()
    if not_graded is not None:
        reason = not_graded.text("reason")
        trace.append(NOT_GRADED.step(not_graded, f"GX: {reason}"))
        problems.append(
            Problem(code="grade-not-applicable", message=f"Grade is GX: {reason}.", field="grade")
        )
    else:
        computed, options, missing = _from_scores(
            scores, parts, trace, show_partial=inputs.grade in (None, Grade.GX)
        )

    recorded = inputs.grade
    from_scores = computed is not None or bool(options)  # the FNCLCC scores said something
    if recorded is None and inputs.grade_options:
        computed, options = _two_tier(inputs.grade_options, computed, options, problems, trace)
    if recorded is Grade.GX and computed is not None:
        grade, basis = computed, Basis.DERIVED
        _gx_yields(computed, scores, problems, trace)
    elif recorded is not None:
        grade, basis = recorded, Basis.RECORDED
        trace.append(
            new_step(
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
        if recorded is not Grade.GX:
            problems.extend(_outside_options(recorded, computed, options))
            options = ()
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
        grade, missing = computed, ()
        basis = Basis.DERIVED if from_scores or not inputs.grade_options else Basis.RECORDED
    else:
        grade = Grade.GX
        basis = Basis.RECORDED if inputs.grade_options else Basis.UNKNOWN
        if missing and not options:
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
    return _new_grade(
        grade=grade,
        basis=basis,
        scores=scores,
        missing=missing,
        provisional=provisional,
        problems=tuple(problems),
        trace=tuple(trace),
        options=options if grade is Grade.GX else (),
    )


def _two_tier(
    recorded: tuple[Grade, ...],
    computed: Grade | None,
    options: tuple[Grade, ...],
    problems: list[Problem],
    trace: list[TraceStep],
) -> tuple[Grade | None, tuple[Grade, ...]]:
    """A recorded grade known only as a set (two-tier "high grade" = G2 or G3, "low grade" =
    G1; ``hooks/fhir/tables/value_grammar.toml``) combined with what the FNCLCC scores say.

    The FNCLCC grade is the AJCC 8 system: a grade computed from the scores is used, with a
    warning when the two-tier grade does not allow it; otherwise the possibilities are those
    both allow (their intersection), or, when they contradict, the union with a warning.
    """
    said = " or ".join(recorded)
    fnclcc = TOTAL.source
    if computed is not None:
        if computed not in recorded:
            problems.append(
                Problem(
                    code="grade-disagrees-with-scores",
                    message=(
                        f"The recorded grade ({said}) does not allow {computed}, which the FNCLCC "
                        f"scores give; {computed} is used."
                    ),
                    severity=Severity.WARNING,
                    field="grade",
                )
            )
        return computed, ()
    if not options:
        words = f"recorded grade {said} (a grade of a two-tier or three-tier system)"
        if len(recorded) == 1:
            trace.append(
                TraceStep("fnclcc-grade", recorded[0].value, fnclcc, f"{words}: {recorded[0]}")
            )
            return recorded[0], ()
        trace.append(TraceStep("fnclcc-grade", "GX", fnclcc, f"{words}: the grade is {said}"))
        return None, recorded
    both = tuple(g for g in options if g in recorded)
    if both:
        words = (
            f"the recorded grade ({said}) and the FNCLCC scores known "
            f"({' or '.join(options)}) together allow only {' or '.join(both)}"
        )
        trace.append(
            TraceStep("fnclcc-grade", both[0].value if len(both) == 1 else "GX", fnclcc, words)
        )
        return (both[0], ()) if len(both) == 1 else (None, both)
    union = tuple(g for g in (Grade.G1, Grade.G2, Grade.G3) if g in recorded or g in options)
    problems.append(
        Problem(
            code="grade-disagrees-with-scores",
            message=(
                f"The recorded grade ({said}) contradicts the FNCLCC scores known "
                f"({' or '.join(options)}): the grade is {' or '.join(union)} until resolved."
            ),
            severity=Severity.WARNING,
            field="grade",
        )
    )
    return None, union
