"""The remembered T of a site, a recorded T and a measured size (``cds.staging.t_category``) is
exactly what the direct computation gives, for every combination, in any order."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from cds import staging
from cds.model import SiteGroup, T
from cds.staging import direct_t_category, t_category

SITES = [None, *SiteGroup]
RECORDED = [None, *T]
# Equal as numbers, written differently: a memo keyed on the Decimal would mix them up.
SIZES = [
    None,
    *[Decimal(t) for t in ("5", "5.0", "5.00", "5E+0", "0.5E+1", "8.3", "8.30", "5.01", "10")],
    *[Decimal(t) for t in ("10.0", "15", "15.00", "0", "-0", "-2", "301", "1E+30", "NaN")],
    *[Decimal(t) for t in ("Infinity", "150.5", "9" * 19, "1." + "0" * 70)],
]


def _same(site: SiteGroup | None, size: Decimal | None, recorded: T | None) -> None:
    memo = t_category(site, size, recorded)
    direct = direct_t_category(site, size, recorded)
    assert memo == direct
    assert repr(memo) == repr(direct)  # the words too (8.30 cm is not shown as 8.3 cm)


def test_every_combination_the_same_as_direct_twice() -> None:
    for _ in range(2):  # the second round is answered from the memo
        for site in SITES:
            for recorded in RECORDED:
                for size in SIZES:
                    _same(site, size, recorded)


@given(
    st.sampled_from(SITES),
    st.sampled_from(RECORDED),
    st.one_of(st.none(), st.decimals(places=2, min_value=-1, max_value=400), st.decimals()),
)
def test_any_size_the_same_as_direct(
    site: SiteGroup | None, recorded: T | None, size: Decimal | None
) -> None:
    _same(site, size, recorded)


def test_long_sizes_are_not_remembered() -> None:
    staging._t_remembered.cache_clear()
    _same(SiteGroup.RETROPERITONEUM, Decimal("1." + "0" * 70), None)
    assert staging._t_remembered.cache_info().currsize == 0
    _same(SiteGroup.RETROPERITONEUM, Decimal("8.30"), None)
    assert staging._t_remembered.cache_info().currsize == 1
