"""The third round of reader shortcuts gives exactly what the plain reading gives: each is
compared here with the plain computation it replaces, on every resource of the repository's
charts and on generated input."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hooks.fhir import codes
from hooks.fhir.read import codings, feature_of
from tests.fhir.test_shape import RESOURCES

# Codings from the feature table (each system and code), with their neighbours and odd values.
_KNOWN = sorted(codes.OBSERVATION_CODES)
_SYSTEM = st.one_of(
    st.sampled_from(sorted({s for s, _ in _KNOWN})), st.just(""), st.none(), st.integers(0, 2)
)
_CODE = st.one_of(
    st.sampled_from(sorted({c for _, c in _KNOWN})), st.just(""), st.none(), st.integers(0, 2)
)
_CODING = st.one_of(
    st.fixed_dictionaries({}, optional={"system": _SYSTEM, "code": _CODE, "display": _CODE}),
    st.sampled_from(_KNOWN).map(lambda sc: {"system": sc[0], "code": sc[1]}),
    st.none(),
    st.just("x"),
)
_CONCEPT = st.one_of(
    st.fixed_dictionaries(
        {}, optional={"coding": st.one_of(st.lists(_CODING, max_size=4), _CODING), "text": _CODE}
    ),
    st.none(),
    st.lists(_CODING, max_size=2),
)


def _plain_feature(concept: Any) -> tuple[str, str] | None:
    return codes.observation_feature(codings(concept))


@settings(max_examples=2000)
@given(_CONCEPT)
def test_generated_codes_give_the_plain_feature(concept: Any) -> None:
    assert feature_of(concept) == _plain_feature(concept)


def test_chart_codes_give_the_plain_feature() -> None:
    seen = 0
    for _, resource in RESOURCES:
        for key in ("code", "valueCodeableConcept", "method"):
            assert feature_of(resource.get(key)) == _plain_feature(resource.get(key))
        seen += _plain_feature(resource.get("code")) is not None
    assert seen


def test_the_first_coding_in_the_table_wins() -> None:
    (s1, c1), (s2, c2) = _KNOWN[0], _KNOWN[-1]
    assert codes.OBSERVATION_CODES[(s1, c1)] != codes.OBSERVATION_CODES[(s2, c2)]
    concept = {"coding": [{"system": "x", "code": "y"}, {"system": s2, "code": c2}, {"code": c1}]}
    concept["coding"].append({"system": s1, "code": c1})
    assert feature_of(concept) == codes.OBSERVATION_CODES[(s2, c2)] == _plain_feature(concept)
