"""The third round of reader shortcuts gives exactly what the plain reading gives: each is
compared here with the plain computation it replaces, on every resource of the repository's
charts and on generated input."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hooks.fhir import codes, conditions
from hooks.fhir.read import codings, concept_text, feature_of
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


# ---- conditions.description: the words of a set of texts, remembered ----------------------

_WORDS = st.lists(
    st.sampled_from(
        ["Leiomyosarcoma", "of", "left", "Left", "right", "thigh", "Thigh structure",
         "(body structure)", "Sarcoma", "Malignant neoplastic disease", ", NOS", "8890/3",
         "retroperitoneal", "Structure of", "scalp", "Angiosarcoma", " ", "-", "\u200e"]
    ),
    max_size=5,
).map(" ".join)  # fmt: skip
_MAYBE = st.one_of(st.none(), _WORDS)


def _direct_description(resource: dict[str, Any], *args: Any) -> str:
    return conditions._described.__wrapped__(
        concept_text(resource.get("code")), *args, conditions._laterality(resource)
    )


@settings(max_examples=1500)
@given(
    code=_MAYBE,
    site_text=_MAYBE,
    histology_text=_MAYBE,
    morphology=st.sampled_from([None, "8890/3", "8800/3", "9999/3"]),
    side=st.sampled_from([None, "left", "right"]),
)
def test_remembered_descriptions_equal_a_fresh_one(
    code: str | None,
    site_text: str | None,
    histology_text: str | None,
    morphology: str | None,
    side: str | None,
) -> None:
    resource: dict[str, Any] = {"resourceType": "Condition"}
    if code is not None:
        resource["code"] = {"text": code}
    if side is not None:
        resource["bodySite"] = [
            {"extension": [{"url": codes.LATERALITY_EXTENSION, "valueCodeableConcept": {
                "text": side}}]}
        ]  # fmt: skip
    args = (site_text, histology_text, morphology)
    for _ in range(2):  # the second reading is remembered
        assert conditions.description(resource, *args) == _direct_description(resource, *args)


def test_chart_conditions_are_described_as_before() -> None:
    seen = 0
    for _, resource in RESOURCES:
        if resource.get("resourceType") != "Condition":
            continue
        where = conditions.site(resource)
        for args in [(where.name, None, None), (where.name, "Leiomyosarcoma, NOS", "8890/3")]:
            for _ in range(2):
                assert conditions.description(resource, *args) == _direct_description(
                    resource, *args
                )
        seen += 1
    assert seen


def test_the_same_texts_on_the_other_side_are_described_apart() -> None:
    def thigh(side: str) -> dict[str, Any]:
        return {
            "code": {"text": "Leiomyosarcoma of thigh"},
            "bodySite": [{"extension": [{"url": codes.LATERALITY_EXTENSION,
                                         "valueCodeableConcept": {"text": side}}]}],
        }  # fmt: skip

    assert conditions.description(thigh("Left"), "Thigh") == "Leiomyosarcoma of left thigh"
    assert conditions.description(thigh("Right"), "Thigh") == "Leiomyosarcoma of right thigh"
