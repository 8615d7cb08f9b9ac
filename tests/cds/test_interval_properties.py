"""Replacing a value by an interval that contains it never makes the result more certain: the
sets of possible T categories, grades and stage groups only grow or stay (issue 9)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cds.assess import assess
from cds.interval import Interval
from cds.model import Assessment, Grade, M, N, SiteGroup, Stage, T, TumorInputs

ALL_GRADES = frozenset({Grade.G1, Grade.G2, Grade.G3})
ALL_T = frozenset({T.T1, T.T2, T.T3, T.T4})

sites = st.sampled_from([SiteGroup.TRUNK_EXTREMITY, SiteGroup.RETROPERITONEUM, SiteGroup.HEAD_NECK])
histologies = st.sampled_from([None, "8890/3", "8802/3", "8850/3", "8858/3", "9040/3"])
widths = st.decimals(min_value=0, max_value=30, places=1)


def possible_t(a: Assessment) -> frozenset[T]:
    if a.t is not T.TX:
        return frozenset({a.t})
    return frozenset(a.t_options) or ALL_T


def possible_grades(a: Assessment) -> frozenset[Grade]:
    if a.grade.grade is not Grade.GX:
        return frozenset({a.grade.grade})
    return frozenset(a.grade.options) or ALL_GRADES


def possible_stages(a: Assessment) -> frozenset[Stage | None]:
    found: set[Stage | None] = set(a.alternatives)
    found.add(a.stage)
    return frozenset(found)


def interval_around(value: Decimal, kind: str, width: Decimal) -> Interval:
    """An interval of the given kind that contains ``value``."""
    if kind == "<":
        return Interval.bound("<", value + width + Decimal("0.1"))
    if kind == "<=":
        return Interval.bound("<=", value + width)
    if kind == ">":
        return Interval.bound(">", value - width - Decimal("0.1"))
    if kind == ">=":
        return Interval.bound(">=", value - width)
    return Interval(value - width, True, value + width, True)


kinds = st.sampled_from(["<", "<=", ">", ">=", "between"])


@st.composite
def tumors(draw: st.DrawFn) -> TumorInputs:
    return TumorInputs(
        site=draw(sites),
        histology=draw(histologies),
        size_cm=draw(st.decimals(min_value=Decimal("0.1"), max_value=40, places=1)),
        mitoses=draw(st.one_of(st.none(), st.integers(0, 40))),
        necrosis_pct=draw(st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=0))),
        differentiation=draw(st.one_of(st.none(), st.integers(1, 3))),
        n=draw(st.sampled_from([None, N.N0, N.N1])),
        m=draw(st.sampled_from([None, M.M0, M.M1])),
        grade=draw(st.sampled_from([None, Grade.GX])),
    )


def assert_no_more_certain(exact: Assessment, ranged: Assessment) -> None:
    assert possible_t(exact) <= possible_t(ranged)
    assert possible_grades(exact) <= possible_grades(ranged)
    assert possible_stages(exact) - {None} <= possible_stages(ranged) - {None} or (
        ranged.stage is None and not ranged.alternatives
    )


@settings(max_examples=300, deadline=None, derandomize=True)
@given(tumor=tumors(), kind=kinds, width=widths)
def test_size_interval_never_more_certain(tumor: TumorInputs, kind: str, width: Decimal) -> None:
    assert tumor.size_cm is not None
    ranged = replace(tumor, size_cm=None, size_range=interval_around(tumor.size_cm, kind, width))
    assert_no_more_certain(assess(tumor), assess(ranged))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(tumor=tumors(), kind=kinds, width=st.integers(0, 15))
def test_mitoses_interval_never_more_certain(tumor: TumorInputs, kind: str, width: int) -> None:
    mitoses = tumor.mitoses if tumor.mitoses is not None else 12
    exact = replace(tumor, mitoses=mitoses)
    ranged = replace(
        tumor, mitoses=None, mitoses_range=interval_around(Decimal(mitoses), kind, Decimal(width))
    )
    assert_no_more_certain(assess(exact), assess(ranged))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(tumor=tumors(), kind=kinds, width=widths)
def test_necrosis_interval_never_more_certain(
    tumor: TumorInputs, kind: str, width: Decimal
) -> None:
    necrosis = tumor.necrosis_pct if tumor.necrosis_pct is not None else Decimal(30)
    exact = replace(tumor, necrosis_pct=necrosis)
    ranged = replace(
        tumor, necrosis_pct=None, necrosis_range=interval_around(necrosis, kind, width)
    )
    assert_no_more_certain(assess(exact), assess(ranged))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(tumor=tumors(), drop=st.sampled_from(["mitoses", "necrosis_pct", "differentiation"]))
def test_forgetting_a_score_never_more_certain(tumor: TumorInputs, drop: str) -> None:
    """A component becoming unknown (or unreadable) widens the grade, never narrows it. (A
    stated differentiation score is dropped without a histology: with one, the histology's own
    score would replace it, which is another value, not a lost one.)"""
    if drop == "differentiation":
        tumor = replace(tumor, histology=None)
    unreadable = {"mitoses": "mitotic-count", "necrosis_pct": "necrosis"}.get(drop)
    forgotten = replace(tumor, **{drop: None}, unreadable=(unreadable,) if unreadable else ())
    assert_no_more_certain(assess(tumor), assess(forgotten))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(tumor=tumors(), kind=kinds, width=widths)
def test_the_point_interval_is_the_value(tumor: TumorInputs, kind: str, width: Decimal) -> None:
    assert tumor.size_cm is not None
    point = replace(tumor, size_cm=None, size_range=Interval.point(tumor.size_cm))
    a, b = assess(tumor), assess(point)
    assert (a.t, a.stage, a.alternatives, a.grade.grade) == (
        b.t,
        b.stage,
        b.alternatives,
        b.grade.grade,
    )
