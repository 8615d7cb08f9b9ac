"""``hooks.fhir.read.latest`` chooses exactly as its definition: a field with one usable value
answers at once, without the ordering of several. Compared with the definition on generated
candidates (one, none or several usable, final or preliminary, timed or not)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from hooks.fhir.model import Source
from hooks.fhir.read import _OLDEST, Finding, latest


def _plain_latest(candidates: Sequence[Finding]) -> Finding | None:
    usable = [f for f in candidates if f.value is not None]
    if not usable:
        return None
    pool = [f for f in usable if f.final] or usable
    order = {id(f): i for i, f in enumerate(usable)}
    return max(pool, key=lambda f: (f.when or _OLDEST, order[id(f)]))


_WHEN = st.one_of(st.none(), st.sampled_from([datetime(2025, m, 1, tzinfo=UTC) for m in (1, 2, 3)]))
_FINDING = st.builds(
    lambda n, value, final, when: Finding(
        "size_cm", value, Source(f"Observation/{n}"), final=final, when=when
    ),
    st.integers(0, 9),
    st.one_of(st.none(), st.integers(1, 3)),
    st.booleans(),
    _WHEN,
)


@given(st.lists(_FINDING, max_size=5))
def test_latest_chooses_as_its_definition(candidates: list[Finding]) -> None:
    assert latest(candidates) is _plain_latest(candidates)


def test_one_usable_value_is_used_even_when_preliminary() -> None:
    preliminary = Finding("size_cm", 2, Source("Observation/a"), final=False, when=None)
    unreadable = Finding("size_cm", None, Source("Observation/b"), final=True, when=None)
    assert latest([unreadable, preliminary]) is preliminary is _plain_latest([preliminary])
    assert latest([unreadable]) is None
    assert latest([]) is None
