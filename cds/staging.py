"""AJCC 8th edition T category and prognostic stage group for soft tissue sarcoma.

Sources: AJCC Cancer Staging Manual 8th ed., ch. 40 (head and neck), 41 (trunk and
extremities), 42 (abdomen and thoracic visceral organs) and 44 (retroperitoneum), via NCI PDQ
Tables 1-3 and 7. Which size table and which stage table apply to a site group is data
(``ajcc8-site-groups``), not code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from cds.interval import Interval
from cds.model import Basis, Grade, M, N, Problem, Severity, SiteGroup, Stage, Status, T, TraceStep
from cds.numbers import Verdict, check, memo_key, shown
from cds.tables import Range, Row, Table, table

SITES = table("ajcc8-site-groups")
T_CATEGORIES = table("ajcc8-t-categories")
N_TABLE = table("ajcc8-n")
M_TABLE = table("ajcc8-m")

STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)
GRADES_IF_UNKNOWN: tuple[Grade, ...] = (Grade.G1, Grade.G2, Grade.G3)


@dataclass(frozen=True, slots=True)
class TResult:
    t: T
    basis: Basis
    missing: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    trace: tuple[TraceStep, ...] = ()
    options: tuple[T, ...] = ()  # the T categories a size interval allows, when t is TX


@dataclass(frozen=True, slots=True)
class NodeOrMetastasis:
    category: str  # "N0", "N1", "M0" or "M1"
    basis: Basis
    problems: tuple[Problem, ...] = ()
    trace: tuple[TraceStep, ...] = ()


@dataclass(frozen=True, slots=True)
class StageResult:
    stage: Stage | None
    status: Status
    reason: str | None = None
    trace: tuple[TraceStep, ...] = ()


# The row of each site group, found once (was a table lookup, several per tumor).
_SITE_ROWS: dict[SiteGroup, Row | None] = {s: SITES.first(site=s.value) for s in SiteGroup}


def site_row(site: SiteGroup) -> Row:
    row = _SITE_ROWS[site] if type(site) is SiteGroup else SITES.first(site=site.value)
    if row is None:  # every SiteGroup has a row; integrity tests check it
        raise LookupError(f"ajcc8-site-groups has no row for {site}")
    return row


def _cm(value: Decimal) -> str:
    return f"{value:f}"


def _size_words(bounds: Range) -> str:
    """Range bounds in cm, leaving out the lower bound of 0 ("<= 5 cm", "> 5 and <= 10 cm")."""
    parts = []
    if bounds.gt is not None and bounds.gt != 0:
        parts.append(f"> {bounds.gt}")
    if bounds.ge is not None:
        parts.append(f">= {bounds.ge}")
    if bounds.le is not None:
        parts.append(f"<= {bounds.le}")
    if bounds.lt is not None:
        parts.append(f"< {bounds.lt}")
    return " and ".join(parts) + " cm"


# The T and the bounds in words of each size-table row, worked out once per row.
@lru_cache(maxsize=64)
def _size_row(size_table_id: str, row_key: str) -> tuple[T, str]:
    row = table(size_table_id).row(row_key)
    return T(row.text("t")), _size_words(row.bounds("size_cm"))


def t_from_size(site: SiteGroup, size_cm: Decimal) -> tuple[T, TraceStep] | None:
    """The T category the greatest dimension decides at this site, with its trace step."""
    group = site_row(site)
    size_table_id = group.opt_text("t_size_table")
    if size_table_id is None:
        return None
    size_table = table(size_table_id)
    row = size_table.first(size_cm=size_cm)
    if row is None:
        return None
    t, bounds = _size_row(size_table_id, row.key)
    words = f"greatest dimension {_cm(size_cm)} cm is {bounds}: {t} ({group.text('chapter')})"
    if site is SiteGroup.HEAD_NECK and t is T.T3:
        words += (
            "; T4a/T4b depend on invasion of adjoining structures and come only from a recorded T"
        )
    return t, size_table.step(row, words)


def t_from_range(site: SiteGroup, size: Interval) -> tuple[tuple[T, ...], TraceStep] | None:
    """The T categories a greatest dimension known only as an interval allows at this site
    (every size-table row some value of the interval falls in), with its trace step."""
    group = site_row(site)
    size_table_id = group.opt_text("t_size_table")
    if size_table_id is None:
        return None
    size_table = table(size_table_id)
    rows = size_table.overlapping("size_cm", size)
    if not rows:
        return None
    options = tuple(T(r.text("t")) for r in rows)
    ranges = "; ".join(f"{r.key} {_size_words(r.bounds('size_cm'))}" for r in rows)
    if len(options) == 1:
        words = (
            f"greatest dimension {size.describe('cm')} lies wholly within {ranges}: {options[0]} "
            f"({group.text('chapter')})"
        )
    else:
        words = (
            f"greatest dimension {size.describe('cm')} is an interval, not a measurement: it "
            f"spans {ranges}, so T is {' or '.join(options)} ({group.text('chapter')})"
        )
    return options, size_table.step(rows[0] if len(rows) == 1 else rows[-1], words)


def _checked_size(size_cm: Decimal | None, problems: list[Problem]) -> Decimal | None:
    """The size if usable: bounded and possible (``cds/tables/plausibility.toml``), with a
    warning when implausible; an impossible size is reported and not used."""
    if size_cm is None:
        return None
    checked = check("size_cm", size_cm)
    if checked.verdict is Verdict.IMPOSSIBLE:
        problems.append(
            Problem(
                code="invalid-size",
                message=(
                    f"Tumor size {shown(size_cm)} cm is an implausible value ({checked.says}): "
                    "not used."
                ),
                severity=Severity.WARNING,
                field="size",
            )
        )
        return None
    if checked.verdict is Verdict.IMPLAUSIBLE:
        problems.append(
            Problem(
                code="implausible-size",
                message=f"Tumor size {shown(size_cm)} cm: {checked.says}; used as recorded.",
                severity=Severity.WARNING,
                field="size",
            )
        )
    return size_cm


def t_category(
    site: SiteGroup | None,
    size_cm: Decimal | None,
    recorded: T | None,
    *,
    size_range: Interval | None = None,
) -> TResult:
    """T from a recorded category (authoritative), the greatest dimension, or the T categories
    a size interval allows (then TX with ``options`` when more than one)."""
    if size_range is None:
        if size_cm is None:
            return _t_remembered(site, recorded, None)
        key = memo_key(size_cm)
        if isinstance(key, str):  # a Decimal, by its exact text
            return _t_remembered(site, recorded, key)
    return direct_t_category(site, size_cm, recorded, size_range=size_range)


# The T of a site, a recorded T and a measured size is a pure function of the two enums and
# the size's exact text (never the Decimal: 8.3 and 8.30 are written differently in the
# trace): worked out once per combination. Bounded, typed; the TResult is frozen.
# tests/cds/test_t_memo.py compares it with the direct computation. With the score memo
# (cds/grade_sets.py): stage 3.69 -> 3.48 million instructions per chart.
@lru_cache(maxsize=1024, typed=True)
def _t_remembered(site: SiteGroup | None, recorded: T | None, size_text: str | None) -> TResult:
    size_cm = None if size_text is None else Decimal(size_text)
    return direct_t_category(site, size_cm, recorded)


def direct_t_category(
    site: SiteGroup | None,
    size_cm: Decimal | None,
    recorded: T | None,
    *,
    size_range: Interval | None = None,
) -> TResult:
    """``t_category`` computed every time (what its memo is checked against)."""
    problems: list[Problem] = []
    trace: list[TraceStep] = []
    if size_cm is None and size_range is not None and size_range.exact is not None:
        size_cm, size_range = size_range.exact, None
    size_cm = _checked_size(size_cm, problems)
    if size_cm is not None:
        size_range = None

    if site is None:
        if recorded is not None and recorded is not T.TX:
            trace.append(
                TraceStep(
                    table=T_CATEGORIES.id,
                    row=str(recorded),
                    source=T_CATEGORIES.source,
                    explanation=f"{recorded} as recorded (site group unknown, so not checked)",
                )
            )
            return TResult(recorded, Basis.RECORDED, (), tuple(problems), tuple(trace))
        known = size_cm is not None or size_range is not None
        unknown: tuple[str, ...] = () if known else ("size",)
        return TResult(T.TX, Basis.UNKNOWN, unknown, tuple(problems), tuple(trace))
    ranged = t_from_range(site, size_range) if size_range is not None else None

    group = site_row(site)
    valid: Row | None = None
    if recorded is not None:
        valid = T_CATEGORIES.first(site=site.value, t=recorded.value)
        if valid is None:
            instead = (
                "T is taken from the greatest dimension"
                if size_cm is not None and group.opt_text("t_size_table") is not None
                else "T is unknown"
            )
            problems.append(
                Problem(
                    code="t-invalid-for-site",
                    message=(
                        f"Recorded {recorded} is not a T category of AJCC 8 for "
                        f"{group.text('name')} ({group.text('chapter')}): not used; {instead}."
                    ),
                    severity=Severity.WARNING,
                    field="t-category",
                )
            )
            trace.append(
                TraceStep(
                    table=T_CATEGORIES.id,
                    row=f"no row for {group.key} {recorded}",
                    source=T_CATEGORIES.source,
                    explanation=(
                        f"{recorded} as recorded is not a T category of AJCC 8 for "
                        f"{group.text('name')} ({group.text('chapter')}): not used; {instead}"
                    ),
                )
            )
        elif recorded is T.TX and size_cm is not None:
            problems.append(
                Problem(
                    code="t-recorded-tx-with-size",
                    message=(
                        "T was recorded as TX but a tumor size is known: T is taken from the size."
                    ),
                    severity=Severity.WARNING,
                    field="t-category",
                )
            )
            valid = None

    derived = t_from_size(site, size_cm) if size_cm is not None else None
    if ranged is not None and len(ranged[0]) == 1:
        derived = (ranged[0][0], ranged[1])
    if (
        (size_cm is not None or size_range is not None)
        and valid is None
        and (group.opt_text("t_size_table") is None)
    ):
        problems.append(
            Problem(
                code="size-does-not-decide-t",
                message=(
                    f"At {group.text('name')} sites T depends on organ involvement and "
                    "multifocality, not size: give the recorded T category."
                ),
                field="t-category",
            )
        )

    if recorded is not None and valid is not None:
        step, comparable = _recorded_t(site, recorded)
        trace.append(step)
        if (
            derived is not None
            and size_cm is not None
            and comparable
            and derived[0] is not recorded
        ):
            problems.append(
                Problem(
                    code="t-disagrees-with-size",
                    message=(
                        f"Recorded {recorded} differs from {derived[0]} given by the greatest "
                        f"dimension {_cm(size_cm)} cm ({group.text('chapter')}); the recorded "
                        "T is used."
                    ),
                    severity=Severity.WARNING,
                    field="t-category",
                )
            )
        if ranged is not None and comparable and recorded not in ranged[0]:
            problems.append(
                Problem(
                    code="t-disagrees-with-size",
                    message=(
                        f"Recorded {recorded} differs from {' or '.join(ranged[0])} allowed by "
                        f"the greatest dimension {size_range.describe('cm') if size_range else ''}"
                        f" ({group.text('chapter')}); the recorded T is used."
                    ),
                    severity=Severity.WARNING,
                    field="t-category",
                )
            )
        return TResult(recorded, Basis.RECORDED, (), tuple(problems), tuple(trace))

    if derived is not None:
        trace.append(derived[1])
        return TResult(derived[0], Basis.DERIVED, (), tuple(problems), tuple(trace))

    if ranged is not None:
        trace.append(ranged[1])
        return TResult(
            T.TX, Basis.UNKNOWN, ("size",), tuple(problems), tuple(trace), options=ranged[0]
        )
    missing = group.text("t_missing")
    # A recorded T invalid for the site group was reported above: it is not "no recorded T".
    category = "no valid recorded T category" if recorded is not None else "no recorded T category"
    trace.append(
        TraceStep(
            table=SITES.id,
            row=group.key,
            source=SITES.source,
            explanation=(
                f"TX: {category} and no tumor size at {group.text('name')} sites"
                if missing == "size"
                else f"TX: at {group.text('name')} sites T comes only from a recorded category"
            ),
        )
    )
    return TResult(T.TX, Basis.UNKNOWN, (missing,), tuple(problems), tuple(trace))


# The trace step of a valid recorded T, and whether a size can be compared with it: a pure
# function of two enums, built once each (typed: a StrEnum member is not its text).
@lru_cache(maxsize=256, typed=True)
def _recorded_t(site: SiteGroup, recorded: T) -> tuple[TraceStep, bool]:
    valid = T_CATEGORIES.first(site=site.value, t=recorded.value)
    if valid is None:  # only called with a row found for this site and T
        raise LookupError(f"ajcc8-t-categories has no row for {site} {recorded}")
    step = T_CATEGORIES.step(
        valid,
        f"{recorded} as recorded ({valid.text('definition')}); a recorded T is authoritative",
    )
    comparable = recorded.value in site_row(site).texts("t_from_size") or recorded is T.T0
    return step, comparable


def _node_or_metastasis(
    recorded: N | M | None, lookup: Table, column: str, code: str, field: str
) -> NodeOrMetastasis:
    key = recorded.value if recorded is not None else "unknown"
    row = lookup.first(**{column: key})
    if row is None:  # rows exist for every category and for "unknown"
        raise LookupError(f"{lookup.id} has no row for {key}")
    category = row.text("category")
    if row.flag("assumed"):
        message = f"{category} assumed: {row.text('definition')}."
        return NodeOrMetastasis(
            category,
            Basis.ASSUMED,
            (Problem(code=code, message=message, field=field),),
            (lookup.step(row, message),),
        )
    step = lookup.step(row, f"{category} as recorded: {row.text('definition')}")
    return NodeOrMetastasis(category, Basis.RECORDED, (), (step,))


# Pure functions of enums (a few hundred combinations at most); their answers are frozen. The
# caches are typed: a StrEnum member and its text are equal but must not share an answer.
# With the site rows found once: cds.assess 0.100 -> 0.082 ms per new chart.
@lru_cache(maxsize=8, typed=True)
def n_category(recorded: N | None) -> NodeOrMetastasis:
    """N as recorded, or N0 assumed: AJCC 8 counts unknown nodal status as N0 (PDQ Table 2)."""
    return _node_or_metastasis(recorded, N_TABLE, "n", "n-assumed", "n")


@lru_cache(maxsize=8, typed=True)
def m_category(recorded: M | None) -> NodeOrMetastasis:
    """M as recorded, or M0 assumed when distant metastasis is not recorded (PDQ Table 3)."""
    return _node_or_metastasis(recorded, M_TABLE, "m", "m-assumed", "m")


@lru_cache(maxsize=1024, typed=True)
def stage_group(site: SiteGroup, t: T, n: N, m: M, grade: Grade) -> StageResult:
    """The AJCC 8 stage group, or why there is none (head and neck, visceral, TX, T0)."""
    group = site_row(site)
    stage_table_id = group.opt_text("stage_table")
    if stage_table_id is None:
        reason = group.text("no_stage_reason")
        return StageResult(
            None, Status.NOT_APPLICABLE, reason, (SITES.step(group, f"no stage group: {reason}"),)
        )
    stages = table(stage_table_id)
    row = stages.first(t=t.value, n=n.value, m=m.value, grade=grade.value)
    if row is None:  # the grid test covers every T x N x M x G; reaching here is a table bug
        raise LookupError(f"{stages.id} has no row for {t} {n} {m} {grade}")
    stage_text = row.opt_text("stage")
    stage = Stage(stage_text) if stage_text else None
    status = Status(row.text("status"))
    grouping = f"{t} {n} {m} {grade}"
    if stage is not None:
        words = f"{grouping}: stage {stage} ({group.text('chapter')}, row {row.key})"
        if grade is Grade.GX:
            words += "; GX is grouped with G1 by the AJCC rule"
    else:
        words = f"{grouping}: no stage group. {row.text('reason')}"
    return StageResult(stage, status, row.opt_text("reason"), (stages.step(row, words),))


def possible_stages(
    sites: Iterable[SiteGroup],
    t_values: Iterable[T],
    n: N,
    m: M,
    grades: Iterable[Grade],
) -> tuple[Stage, ...]:
    """Every stage group reachable over the given values, in stage order."""
    found: set[Stage] = set()
    grade_list = tuple(grades)
    t_list = tuple(t_values)
    for site in sites:
        for t in t_list:
            for grade in grade_list:
                result = stage_group(site, t, n, m, grade)
                if result.stage is not None:
                    found.add(result.stage)
    return tuple(s for s in STAGE_ORDER if s in found)


@lru_cache(maxsize=1)
def staged_sites() -> tuple[SiteGroup, ...]:
    """The site groups AJCC 8 gives stage groups for (trunk/extremities, retroperitoneum)."""
    return tuple(s for s in SiteGroup if site_row(s).opt_text("stage_table") is not None)


@lru_cache(maxsize=16, typed=True)
def stageable_t(site: SiteGroup) -> tuple[T, ...]:
    """The T values a stage group exists for at this site (expanded when T is unknown)."""
    return tuple(T(v) for v in site_row(site).texts("t_stageable"))
