"""The indexed and remembered lookups give the same answers as the plain computation.

``Table.first``/``every`` remember the rows the value and prefix columns select and check the
range columns on those rows only; ``Table.overlapping`` keeps each row's range as an interval;
``Interval.overlaps`` is written out; pure functions of small values are remembered
(``functools.lru_cache``). Each is compared here with the plain scan over every row (each
row's own ``Row.matches``) or the undecorated function, over every shipped table and every
boundary.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from decimal import Decimal

import pytest

from cds import grading, staging, treatment
from cds.histology import _read_histology, ajcc_scope, read_histology
from cds.interval import Interval
from cds.model import Grade, M, N, SiteGroup, Stage, T
from cds.numbers import PLAUSIBILITY, _possible, possible_range
from cds.tables import TABLES, Query, Range, Row, Table, table


def scan(t: Table, query: dict[str, Query]) -> tuple[Row, ...]:
    """Every row matching ``query``, by each row's own test, in table order."""
    return tuple(row for row in t.rows if row.matches(t.match, query))


def boundaries(bounds: Range) -> list[Decimal]:
    step = Decimal("0.001")
    return [
        v + d
        for v in (bounds.gt, bounds.ge, bounds.lt, bounds.le)
        if v is not None
        for d in (-step, Decimal(0), step)
    ]


def column_values(t: Table, column: str) -> list[Query]:
    """Every value a cell of ``column`` names or bounds, and values no cell holds."""
    values: list[Query] = [None, "no such value", 0, True, False, Decimal("NaN")]
    for row in t.rows:
        cond = row.condition(column)
        if isinstance(cond, Range):
            values += boundaries(cond)
            values += [int(v) for v in boundaries(cond) if v == v.to_integral_value()]
        elif cond is not None:
            values += list(cond)
            values += [f"{c}.9" for c in cond if isinstance(c, str)]  # prefix matches
            values += [int(c) for c in cond if isinstance(c, bool)]  # 1 is not True
    return list(dict.fromkeys((type(v), v) for v in values).keys())  # type: ignore[arg-type]


def queries(t: Table, count: int = 400) -> list[dict[str, Query]]:
    """Each row's own cells as a query, then ``count`` random combinations of column values."""
    rng = random.Random(t.id)  # noqa: S311 - test data, not secrets
    domains = {c: [v for _, v in column_values(t, c)] for c in t.match}
    found = [
        {c: (cond[0] if isinstance(cond := row.condition(c), tuple) else None) for c in t.match}
        for row in t.rows
    ]
    found += [{c: rng.choice(vs) for c, vs in domains.items()} for _ in range(count)]
    return found


@pytest.mark.parametrize("table_id", sorted(TABLES))
def test_indexed_lookup_equals_the_scan_over_every_row(table_id: str) -> None:
    t = TABLES[table_id]
    for query in queries(t):
        expected = scan(t, query)
        for _ in range(2):  # found, then remembered
            assert t.every(**query) == expected, query
            assert t.first(**query) == (expected[0] if expected else None), query


@pytest.mark.parametrize(
    "table_id", sorted(i for i, t in TABLES.items() if "range" in t.match.values())
)
def test_every_range_boundary_of_every_row(table_id: str) -> None:
    t = TABLES[table_id]
    ranged = [c for c, kind in t.match.items() if kind == "range"]
    for row in t.rows:
        for column in ranged:
            bounds = row.condition(column)
            if not isinstance(bounds, Range):
                continue
            for value in boundaries(bounds):
                for query in queries(t, count=5):
                    query[column] = value
                    expected = scan(t, query)
                    assert t.every(**query) == expected, query
                    assert t.first(**query) == (expected[0] if expected else None), query


def reference_overlaps(a: Interval, b: Interval) -> bool:
    """``Interval.overlaps`` as first written: the max of the lows, the min of the highs."""
    known_lows = [
        (v, c) for v, c in ((a.low, a.low_closed), (b.low, b.low_closed)) if v is not None
    ]
    known_highs = [
        (v, c) for v, c in ((a.high, a.high_closed), (b.high, b.high_closed)) if v is not None
    ]
    if not known_lows or not known_highs:
        return True
    low = max(v for v, _ in known_lows)
    low_closed = all(c for v, c in known_lows if v == low)
    high = min(v for v, _ in known_highs)
    high_closed = all(c for v, c in known_highs if v == high)
    return low < high or (low == high and low_closed and high_closed)


ENDS = [None, Decimal(0), Decimal(1), Decimal("1.0"), Decimal(2), Decimal(3)]
INTERVALS = [
    Interval(low, low_closed, high, high_closed)
    for low, high in itertools.product(ENDS, ENDS)
    for low_closed, high_closed in itertools.product((False, True), repeat=2)
]


def test_overlaps_equals_the_first_written_version() -> None:
    for a, b in itertools.product(INTERVALS, INTERVALS):
        assert a.overlaps(b) == reference_overlaps(a, b), (a, b)


@pytest.mark.parametrize(
    "table_id", sorted(i for i, t in TABLES.items() if "range" in t.match.values())
)
def test_overlapping_equals_the_scan_over_every_row(table_id: str) -> None:
    t = TABLES[table_id]
    for column in (c for c, kind in t.match.items() if kind == "range"):
        ends = sorted(
            {
                v
                for r in t.rows
                if isinstance(b := r.condition(column), Range)
                for v in boundaries(b)
            }
        )
        intervals = [Interval.point(v) for v in ends] + [
            Interval(low, lc, high, hc)
            for low, high in itertools.combinations([None, *ends, None], 2)
            for lc, hc in ((True, True), (False, False), (True, False))
        ]
        for interval in intervals:
            expected = tuple(
                row
                for row in t.rows
                if isinstance(b := row.condition(column), Range)
                and reference_overlaps(b.interval, interval)
            )
            assert t.overlapping(column, interval) == expected, interval


def test_possible_range_equals_the_scan_of_the_plausibility_table() -> None:
    quantities = {str(q) for r in PLAUSIBILITY.rows for q in r.condition("quantity") or ()}
    assert quantities >= {"size_cm", "mitoses", "necrosis_pct", "age_years"}
    for quantity in quantities:
        assert possible_range(quantity) == _possible(quantity).describe()
    with pytest.raises(KeyError):
        possible_range("weight_kg")


HISTOLOGIES = sorted(
    {str(c) for r in table("fnclcc-differentiation").rows for c in r.condition("histology") or ()}
    | {"8890/3", "8890/6", "8830/3", "9999/3", "8890/4", " 8890/3", "abc", ""}
)


def test_remembered_histology_equals_reading_it() -> None:
    for code in HISTOLOGIES:
        for _ in range(2):
            assert read_histology(code) == _read_histology(code)
            histology = read_histology(code)
            for site in (None, *SiteGroup):
                for topography in (None, "C49.2", "c22.0", "C54.1"):
                    assert ajcc_scope(histology, site, topography) == ajcc_scope.__wrapped__(
                        histology, site, topography
                    )


def test_remembered_differentiation_equals_building_it() -> None:
    for code in HISTOLOGIES:
        assert grading._scored(code) == grading._scored.__wrapped__(code)
    for total in range(2, 9):
        assert grading._total_row(total) == grading._total_row.__wrapped__(total)
    with pytest.raises(LookupError):
        grading._total_row(99)


def outcome(function: Callable[..., object], *args: object) -> object:
    """What ``function`` returns, or the error it raises (type and message)."""
    try:
        return function(*args)
    except LookupError as exc:
        return type(exc), str(exc)


def test_remembered_stage_groups_equal_looking_them_up() -> None:
    for site, t, n, m, grade in itertools.product(SiteGroup, T, N, M, Grade):
        for _ in range(2):
            assert outcome(staging.stage_group, site, t, n, m, grade) == outcome(
                staging.stage_group.__wrapped__, site, t, n, m, grade
            )
    for site in SiteGroup:
        assert staging.site_row(site) == staging.SITES.first(site=site.value)
        assert staging.stageable_t(site) == staging.stageable_t.__wrapped__(site)
        for recorded in T:
            if staging.T_CATEGORIES.first(site=site.value, t=recorded.value) is not None:
                assert staging._recorded_t(site, recorded) == staging._recorded_t.__wrapped__(
                    site, recorded
                )
    assert staging.staged_sites() == staging.staged_sites.__wrapped__()
    for value in (None, *N):
        assert staging.n_category(value) == staging.n_category.__wrapped__(value)
    for value in (None, *M):
        assert staging.m_category(value) == staging.m_category.__wrapped__(value)


def test_remembered_answers_keep_an_enum_and_its_text_apart() -> None:
    # T.T2 == "T2" and both hash alike: an untyped memo would answer the texts with the
    # members' result instead of failing as the function does (a text has no .value).
    members = (SiteGroup.TRUNK_EXTREMITY, T.T2, N.N0, M.M0, Grade.G2)
    assert staging.stage_group(*members).stage is Stage.IIIA
    with pytest.raises(AttributeError):
        staging.stage_group(*(str(v) for v in members))  # type: ignore[arg-type]


def test_remembered_treatment_plans_equal_building_them() -> None:
    histologies = [None, *(read_histology(c) for c in ("8890/3", "8850/3", "9040/3", "8858/3"))]
    for plan, site, stage, n, m, grade, histology, recurrent, topography in itertools.product(
        ("sts", "histology", "none"),
        (None, *SiteGroup),
        (None, Stage.IA, Stage.IIIA, Stage.IV),
        N,
        M,
        (Grade.GX, Grade.G1, Grade.G3),
        histologies,
        (False, True),
        (None, "C49.2", "C22.0"),
    ):
        args = {
            "plan": plan,
            "site": site,
            "stage": stage,
            "n": n,
            "m": m,
            "grade": grade,
            "morphology": histology.morphology if histology else None,
            "family": histology.family if histology else None,
            "adipocytic": bool(histology and histology.adipocytic),
            "recurrent": recurrent,
            "no_stage_why": "the site group is unknown",
            "topography": topography,
        }
        assert treatment._plan(**args) == treatment._plan.__wrapped__(**args)
