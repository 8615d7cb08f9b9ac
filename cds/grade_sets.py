"""FNCLCC grade from partial information: component scores as sets, the total as a sum of sets.

FNCLCC (Trojani 1984; Guillou 1997; AJCC 8th ed. via NCI PDQ Tables 4-6): grade = the total of
the differentiation (1-3), mitotic count (1-3) and necrosis (0-2) scores; totals 2-3 are G1,
4-5 G2, 6-8 G3. Because the total is a sum, the known scores may fix the grade whatever the
unknown ones are: mitotic 3 + necrosis 2 = 5, so any differentiation score 1-3 gives a total
of 6-8, G3. A score known only as a set (a count "< 10 per 10 HPF" is score 1; necrosis
"< 50 %" is score 0 or 1) is handled the same way: the grade is every grade some combination
of possible scores gives, and it is determined when there is only one.

Nothing is assumed: an unknown or unreadable component is every score it could take.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from itertools import product

from cds.interval import Interval
from cds.model import Grade, Problem, Severity, TraceStep
from cds.numbers import Verdict, check, memo_key, shown
from cds.tables import TABLES, Table, table

TOTAL = table("fnclcc-grade")
#: Every score a component can take (PDQ Table 5), when nothing is known about it.
ALL_SCORES: dict[str, tuple[int, ...]] = {
    "differentiation": (1, 2, 3),
    "mitotic-count": (1, 2, 3),
    "necrosis": (0, 1, 2),
}
_QUANTITY = {"mitotic-count": "mitoses", "necrosis": "necrosis_pct"}


def component_scores(
    component: Table,
    name: str,
    value: Decimal | int | None,
    interval: Interval | None,
    *,
    unit: str,
    problems: list[Problem],
    trace: list[TraceStep],
) -> tuple[int, ...] | None:
    """The possible scores of a mitotic count or necrosis given as a value or an interval;
    None when unknown (or not usable: the problem says why)."""
    key = memo_key(value)
    if key is not None and TABLES.get(component.id) is component:
        scores, found, steps = _value_scores(component.id, name, unit, key)
        problems.extend(found)
        trace.extend(steps)
        return scores
    return direct_component_scores(
        component, name, value, interval, unit=unit, problems=problems, trace=trace
    )


# The scores, problems and trace step of a measured value are a pure function of the table,
# the component and the value's exact text: worked out once per value (a chart's mitotic
# count and necrosis are small numbers, seen again and again). Bounded, typed (10 and "10"
# are different keys). tests/cds/test_grade_sets_memo.py compares it with the direct path.
# With the T memo (cds/staging.py): stage 3.69 -> 3.48 million instructions per chart.
@lru_cache(maxsize=1024, typed=True)
def _value_scores(
    table_id: str, name: str, unit: str, key: int | str
) -> tuple[tuple[int, ...] | None, tuple[Problem, ...], tuple[TraceStep, ...]]:
    problems: list[Problem] = []
    trace: list[TraceStep] = []
    value = key if isinstance(key, int) else Decimal(key)
    scores = direct_component_scores(
        table(table_id), name, value, None, unit=unit, problems=problems, trace=trace
    )
    return scores, tuple(problems), tuple(trace)


def direct_component_scores(
    component: Table,
    name: str,
    value: Decimal | int | None,
    interval: Interval | None,
    *,
    unit: str,
    problems: list[Problem],
    trace: list[TraceStep],
) -> tuple[int, ...] | None:
    """``component_scores`` computed every time (what the memo of measured values is checked
    against)."""
    column = _QUANTITY[name]
    label = name.replace("-", " ")
    if value is not None:
        checked = check(column, value)
        if checked.verdict is Verdict.IMPOSSIBLE:
            problems.append(
                Problem(
                    code=f"invalid-{name}",
                    message=(
                        f"{label.capitalize()} {shown(value)}{unit} is an implausible value "
                        f"({checked.says}): not used."
                    ),
                    severity=Severity.WARNING,
                    field=name,
                )
            )
            return None
        if checked.verdict is Verdict.IMPLAUSIBLE:
            problems.append(
                Problem(
                    code=f"implausible-{name}",
                    message=f"{label.capitalize()} {shown(value)}{unit}: {checked.says}; used.",
                    severity=Severity.WARNING,
                    field=name,
                )
            )
        interval = Interval.point(Decimal(value))
    if interval is None:
        return None
    rows = component.overlapping(column, interval)
    if not rows:
        problems.append(
            Problem(
                code=f"invalid-{name}",
                message=(
                    f"{label.capitalize()} {interval.describe()}{unit} is out of range: not used."
                ),
                severity=Severity.WARNING,
                field=name,
            )
        )
        return None
    scores = tuple(r.integer("score") for r in rows)
    said = interval.describe() + unit
    if len(rows) == 1:
        words = f"{label} {said}: {rows[0].text('criterion')}, score {scores[0]}"
        if interval.exact is None:
            words = (
                f"{label} {said} lies wholly within {rows[0].text('criterion')}: score {scores[0]}"
            )
        trace.append(component.step(rows[0], words))
    else:
        spans = "; ".join(f"{r.text('criterion')} (score {r.integer('score')})" for r in rows)
        trace.append(
            component.step(
                rows[-1],
                f"{label} {said} is an interval: it spans {spans}, so the score is "
                f"{' or '.join(str(s) for s in scores)}",
            )
        )
    return scores


def _words(name: str, scores: tuple[int, ...] | None) -> str:
    possible = scores if scores is not None else ALL_SCORES[name]
    if len(possible) == 1:
        return f"{name.replace('-', ' ')} {possible[0]}"
    known = "unknown" if scores is None else "known only as"
    return f"{name.replace('-', ' ')} {known} {min(possible)}-{max(possible)}"


# How the trace step of a partial sum begins (the stage card shows the sum after it).
PARTIAL_SUM = "total = "


def possible_grades(
    parts: dict[str, tuple[int, ...] | None],
) -> tuple[tuple[Grade, ...], TraceStep | None]:
    """Every grade a combination of possible scores gives, in grade order, and, when some score
    is not one number, the trace step showing the arithmetic."""
    choices = [parts[name] or ALL_SCORES[name] for name in ALL_SCORES]
    totals = sorted({sum(combo) for combo in product(*choices)})
    grades: dict[Grade, None] = {}
    for total in totals:
        row = TOTAL.first(total=total)
        if row is None:  # integrity tests cover totals 2-8
            raise LookupError(f"fnclcc-grade has no row for total {total}")
        grades[Grade(row.text("grade"))] = None
    found = tuple(g for g in (Grade.G1, Grade.G2, Grade.G3) if g in grades)
    if all(parts[name] is not None and len(parts[name] or ()) == 1 for name in ALL_SCORES):
        return found, None
    sum_words = " + ".join(_words(name, parts[name]) for name in ALL_SCORES)
    span = f"{totals[0]}-{totals[-1]}" if len(totals) > 1 else str(totals[0])
    if len(found) == 1:
        words = (
            f"{PARTIAL_SUM}{sum_words} = {span}: {found[0]} whatever the "
            "scores not known exactly are (FNCLCC totals 2-3 G1, 4-5 G2, 6-8 G3)"
        )
        row = TOTAL.row(found[0].value)
    else:
        words = (
            f"{PARTIAL_SUM}{sum_words} = {span}: {' or '.join(found)}; the grade is not "
            "determined (FNCLCC totals 2-3 G1, 4-5 G2, 6-8 G3)"
        )
        row = TOTAL.row(found[-1].value)
    return found, TOTAL.step(row, words)
