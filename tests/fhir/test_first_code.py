"""``hooks.fhir.read.first_code`` is the code of the first of ``codings``, read without listing
them all; compared with it on every status and code of the repository's charts and on
generated concepts (codings that are not objects, have no code, an empty or a non-text code)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from hooks.fhir import conditions, context
from hooks.fhir.read import codings, first_code
from tests.fhir.test_shape import RESOURCES


def _plain(concept: Any) -> str | None:
    found = codings(concept)
    return found[0][1] if found else None


_CODING = st.one_of(
    st.none(),
    st.integers(),
    st.fixed_dictionaries(
        {},
        optional={
            "system": st.sampled_from(["http://snomed.info/sct", 5]),
            "code": st.one_of(st.sampled_from(["", "active", "confirmed"]), st.integers()),
        },
    ),
)
_CONCEPT = st.one_of(
    st.none(),
    st.text(max_size=3),
    st.fixed_dictionaries(
        {},
        optional={
            "coding": st.one_of(_CODING, st.lists(_CODING, max_size=4)),
            "text": st.just("t"),
        },
    ),
)


@given(_CONCEPT)
def test_generated_concepts_read_as_the_first_coding(concept: Any) -> None:
    assert first_code(concept) == _plain(concept)


def test_every_status_of_the_charts_reads_as_before() -> None:
    seen = 0
    for _, resource in RESOURCES:
        for key in ("verificationStatus", "clinicalStatus", "code", "status"):
            assert first_code(resource.get(key)) == _plain(resource.get(key))
            seen += 1
        if resource.get("resourceType") == "Condition":
            assert conditions.verification(resource) == _plain(resource.get("verificationStatus"))
            assert context.clinical_status(resource) == _plain(resource.get("clinicalStatus"))
    assert seen > 1000
