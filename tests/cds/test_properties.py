"""Properties that must hold for every input (hypothesis), independent of any one case."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cds.assess import assess
from cds.model import Grade, M, N, SiteGroup, Stage, Status, T, TumorInputs

STAGE_ORDER = list(Stage)
T_ORDER = [T.T1, T.T2, T.T3, T.T4]
sizes = st.decimals(min_value=Decimal("0.1"), max_value=Decimal("60"), places=1)
staged_sites = st.sampled_from([SiteGroup.TRUNK_EXTREMITY, SiteGroup.RETROPERITONEUM])


@settings(max_examples=200, deadline=None)
@given(site=staged_sites, a=sizes, b=sizes)
def test_t_never_decreases_with_size(site: SiteGroup, a: Decimal, b: Decimal) -> None:
    small, large = sorted((a, b))
    t_small = assess(TumorInputs(site=site, size_cm=small)).t
    t_large = assess(TumorInputs(site=site, size_cm=large)).t
    assert T_ORDER.index(t_small) <= T_ORDER.index(t_large)


@settings(max_examples=200, deadline=None)
@given(
    differentiation=st.integers(1, 3),
    mitoses=st.integers(0, 500),
    necrosis=st.decimals(min_value=0, max_value=100, places=2),
)
def test_complete_scores_always_grade(
    differentiation: int, mitoses: int, necrosis: Decimal
) -> None:
    g = assess(
        TumorInputs(
            site=SiteGroup.TRUNK_EXTREMITY,
            differentiation=differentiation,
            mitoses=mitoses,
            necrosis_pct=necrosis,
        )
    ).grade
    assert g.grade in {Grade.G1, Grade.G2, Grade.G3}
    assert g.scores.total is not None
    assert 2 <= g.scores.total <= 8
    assert g.missing == ()


@settings(max_examples=200, deadline=None)
@given(
    site=staged_sites,
    size=sizes,
    n=st.sampled_from([None, N.N0, N.N1]),
    m=st.sampled_from([None, M.M0, M.M1]),
    grade=st.sampled_from(list(Grade)),
)
def test_alternatives_contain_the_stage_in_order(
    site: SiteGroup, size: Decimal, n: N | None, m: M | None, grade: Grade
) -> None:
    a = assess(TumorInputs(site=site, size_cm=size, n=n, m=m, grade=grade))
    assert a.status is Status.STAGED
    assert a.stage is not None
    if grade is Grade.GX:
        assert a.stage in a.alternatives
        assert list(a.alternatives) == sorted(a.alternatives, key=STAGE_ORDER.index)
    else:
        assert a.alternatives == ()


@settings(max_examples=100, deadline=None)
@given(site=staged_sites, size=sizes, grade=st.sampled_from([Grade.G1, Grade.G2, Grade.G3]))
def test_higher_grade_never_lowers_the_stage(site: SiteGroup, size: Decimal, grade: Grade) -> None:
    low = assess(TumorInputs(site=site, size_cm=size, grade=Grade.G1)).stage
    high = assess(TumorInputs(site=site, size_cm=size, grade=grade)).stage
    assert low is not None
    assert high is not None
    assert STAGE_ORDER.index(low) <= STAGE_ORDER.index(high)
