"""The post-treatment words are found exactly as the full pattern finds them.

``hooks.fhir.context.after_treatment`` answers ASCII text without any hint of the pattern
(``_HINT``, on the lowercased text) at once; every other text goes through the full
IGNORECASE pattern. Compared here with the full pattern on the chart texts of the repository
and on generated text made of the pattern's own words, mixed case, separators and characters
that IGNORECASE folds onto ASCII letters (U+017F long s, U+212A Kelvin sign).
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from hooks.fhir import context
from hooks.fhir.context import _AFTER_TREATMENT, _HINT, _texts, after_treatment
from tests.fhir.test_shape import RESOURCES

PIECES = [
    "y", "Y", "yp", "yc", "ypT", "YPt", "yT", "yN", "yM", "ypTNM", "T", "N", "M", "0", "2", "4",
    "X", "x", "c", "p", "post", "POST", "Post-", "post ", "neoadjuvant", "treatment", "therapy",
    "chemotherapy", "radiation", "radiotherapy", "after", "After", "following", "FOLLOWING",
    "preoperative", "chemoradiation", "treatment effect", "Treatment Effect", "effect", " ",
    "  ", "\n", "-", "/", "a", "ty", "my", "\u017f", "po\u017ft", "\u212a", "\u00e9",
]  # fmt: skip


def _direct(text: str) -> str | None:
    found = _AFTER_TREATMENT.search(text)
    return None if found is None else found.group(0)


def _fast(text: str) -> str | None:
    found = after_treatment(text)
    return None if found is None else found.group(0)


@settings(max_examples=3000)
@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join))
def test_the_hint_never_hides_a_match(text: str) -> None:
    assert _fast(text) == _direct(text)
    if text.isascii() and _direct(text) is not None:
        assert _HINT.search(text.lower()) is not None


@settings(max_examples=1000)
@given(st.text(max_size=40))
def test_any_text_reads_as_the_full_pattern_reads_it(text: str) -> None:
    assert _fast(text) == _direct(text)


def test_every_branch_of_the_pattern_is_found_through_the_hint() -> None:
    # One text per branch of the pattern, each ASCII so the hint decides: removing a word from
    # _HINT makes its case fail here.
    for text in [
        "ypT2",
        "YCN1",
        "ym0",
        "yT 3",
        "post-neoadjuvant",
        "Post Radiation size",
        "after neoadjuvant therapy",
        "FOLLOWING preoperative chemoradiation",
        "ypTNM",
        "treatment effect 80 %",
    ]:
        assert text.isascii()
        assert _direct(text) is not None, text
        assert _fast(text) == _direct(text), text


def test_non_ascii_text_goes_through_the_full_pattern() -> None:
    # IGNORECASE folds U+017F onto "s": the lowercased text has no "post", the pattern matches.
    text = "po\u017ft-treatment"
    assert _direct(text) is not None
    assert _HINT.search(text.lower()) is None
    assert _fast(text) == _direct(text)


def test_chart_observations_read_as_before() -> None:
    observations = [r for _, r in RESOURCES if r.get("resourceType") == "Observation"]
    assert observations
    for resource in observations:
        text = "\n".join(_texts(resource))
        assert _fast(text) == _direct(text)
        direct = _direct(text)
        assert context.post_treatment(resource) == (None if direct is None else repr(direct))


def test_the_hint_is_a_plain_case_sensitive_pattern() -> None:
    assert not _HINT.flags & re.IGNORECASE
