"""``hooks.fhir.context.post_treatment`` answers None at once when every raw text of the
Observation is ASCII without a hint (``_hint_free``); compared here with the direct reading
(``after_treatment`` over the joined ``_texts``) on the chart Observations of the repository
and on generated Observations whose texts are made of the pattern's own words, placed in every
element ``_texts`` reads, with odd types (numbers, empty texts, non-dict concepts)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hooks.fhir import context
from hooks.fhir.context import _hint_free, _texts, after_treatment
from hooks.fhir.read import as_list
from tests.fhir.test_post_treatment_hint import PIECES
from tests.fhir.test_shape import RESOURCES


def _direct(resource: dict[str, Any]) -> str | None:
    found = after_treatment("\n".join(_texts(resource)))
    return f"{found.group(0)!r}" if found else None


_TEXT = st.lists(st.sampled_from(PIECES), max_size=6).map("".join)
_ODD = st.one_of(_TEXT, st.just(""), st.none(), st.integers(0, 3), st.just(True))
_CODING = st.fixed_dictionaries({}, optional={"code": _ODD, "display": _ODD, "system": _TEXT})
_CONCEPT = st.one_of(
    st.fixed_dictionaries(
        {}, optional={"text": _ODD, "coding": st.one_of(st.lists(_CODING, max_size=3), _CODING)}
    ),
    _ODD,
)
_OBSERVATION = st.fixed_dictionaries(
    {"resourceType": st.just("Observation")},
    optional={
        "code": _CONCEPT,
        "valueCodeableConcept": _CONCEPT,
        "method": _CONCEPT,
        "interpretation": st.one_of(st.lists(_CONCEPT, max_size=2), _CONCEPT),
        "valueString": _ODD,
        "note": st.one_of(
            st.lists(st.fixed_dictionaries({}, optional={"text": _ODD}), max_size=2), _ODD
        ),
        "specimen": st.one_of(
            st.fixed_dictionaries({}, optional={"display": _ODD, "reference": _TEXT}), _ODD
        ),
    },
)


@settings(max_examples=3000)
@given(_OBSERVATION)
def test_generated_observations_read_as_the_direct_reading(resource: dict[str, Any]) -> None:
    try:
        direct = _direct(resource)
    except (AttributeError, TypeError):  # an odd element the direct reading cannot walk
        return
    if _hint_free(resource):
        assert direct is None
    assert context.post_treatment(resource) == direct
    assert context.post_treatment(resource) == direct  # now possibly remembered (fhir/context.py)


def test_chart_observations_read_as_the_direct_reading() -> None:
    observations = [r for _, r in RESOURCES if r.get("resourceType") == "Observation"]
    assert observations
    for resource in observations:
        assert context.post_treatment(resource) == _direct(resource)


def test_a_hint_in_any_element_is_seen() -> None:
    # One Observation per element _texts reads, its only hint there: _hint_free must say False
    # (leaving out any element in it makes its case fail), and the reading finds the words.
    base: dict[str, Any] = {"resourceType": "Observation", "code": {"text": "Tumor size"}}
    words = "ypT2"
    for extra in [
        {"code": {"text": words}},
        {"code": {"coding": [{"code": words}]}},
        {"code": {"coding": [{"display": words}]}},
        {"valueCodeableConcept": {"text": words}},
        {"method": {"coding": [{"display": words}]}},
        {"interpretation": [{"text": words}]},
        {"valueString": words},
        {"note": [{"text": words}]},
        {"specimen": {"display": words}},
    ]:
        resource = base | extra
        assert not _hint_free(resource), extra
        assert context.post_treatment(resource) == repr(words), extra


def test_non_ascii_and_odd_texts_go_to_the_direct_reading() -> None:
    for resource in [
        {"code": {"text": "po\u017ft-treatment size"}},  # IGNORECASE folds U+017F onto "s"
        {"code": {"coding": [{"code": 7}]}},  # str(7) is read
        {"code": {"coding": [{"display": 7}]}},
    ]:
        assert not _hint_free(resource)
        assert context.post_treatment(resource) == _direct(resource)


def test_remembered_texts_are_bounded() -> None:
    for i in range(context._QUIET_MAX + 5):
        context._quiet(f"text {i}")
    assert len(context._QUIET) <= context._QUIET_MAX


# ------------------------------------------------------------- the walk as first written


def _plain_hint_free(resource: dict[str, Any]) -> bool:
    """``_hint_free`` as first written: a call of ``_quiet`` for every text."""
    get = resource.get
    for key in ("code", "valueCodeableConcept", "method", "interpretation"):
        value = get(key)
        if value is None:
            continue
        for concept in value if isinstance(value, list) else [value]:
            if not isinstance(concept, dict):
                continue  # concept_text gives None, and there are no codings
            text = concept.get("text")
            if isinstance(text, str) and not context._quiet(text):
                return False
            for coding in as_list(concept.get("coding")):
                if isinstance(coding, dict):
                    # ``_texts`` reads str(code or ""): a falsy code adds "", anything else
                    # that is not a str is left to it.
                    code, display = coding.get("code"), coding.get("display")
                    if (code and not context._quiet(code)) or (
                        display and not context._quiet(display)
                    ):
                        return False
    string = get("valueString")
    if isinstance(string, str) and not context._quiet(string):
        return False
    for note in as_list(get("note")):
        text = note.get("text") if isinstance(note, dict) else None
        if isinstance(text, str) and not context._quiet(text):
            return False
    for specimen in as_list(get("specimen")):
        shown = specimen.get("display") if isinstance(specimen, dict) else None
        if isinstance(shown, str) and not context._quiet(shown):
            return False
    return True


@settings(max_examples=3000)
@given(_OBSERVATION)
def test_generated_observations_walk_as_first_written(resource: dict[str, Any]) -> None:
    try:
        plain = _plain_hint_free(resource)
    except (AttributeError, TypeError):  # an odd element the walk cannot read
        return
    assert _hint_free(resource) is plain
    assert _hint_free(resource) is plain  # its texts now remembered


def test_chart_observations_walk_as_first_written() -> None:
    for _, resource in RESOURCES:
        assert _hint_free(resource) is _plain_hint_free(resource)
