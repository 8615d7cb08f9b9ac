"""The third round of reader shortcuts gives exactly what the plain reading gives: each is
compared here with the plain computation it replaces, on every resource of the repository's
charts and on generated input."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hooks.fhir import codes, conditions
from hooks.fhir.attach import FIELD_NAMES
from hooks.fhir.model import Source
from hooks.fhir.read import Finding, codings, concept_text, feature_of, latest
from hooks.fhir.tumor import _choose, _unreadable, could_not_read, unreadable_sentence
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


# ---- tumor._choose: a single usable value is chosen at once --------------------------------


def _plain_choose(
    name: str, candidates: list[Finding]
) -> tuple[Finding | None, list[Finding], list[str]]:
    """hooks.fhir.tumor._choose as written before the single-value shortcut."""
    what = FIELD_NAMES[name]
    notes = [
        f"{f.source.reference} ({what}) was not used: {'; '.join(f.problems)}."
        for f in candidates
        if f.value is None and not could_not_read(f)
    ]
    usable = [f for f in candidates if f.value is not None]
    chosen = latest(usable)
    if chosen is None:
        return None, [], notes
    notes.extend(f"{what}: {p}" for p in chosen.problems)
    rest = [f for f in usable if f is not chosen]
    for other in rest:
        if other.value == chosen.value:
            continue
        when = other.source.date or "undated"
        if other.when is not None and other.when == chosen.when:
            reason = "at the same time"
        elif not other.final and chosen.final:
            reason = "preliminary; the final value was used"
        else:
            reason = "older; the most recent was used"
        notes.append(
            f"{what} disagrees: {other.source.reference} says {other.source.text or other.value} "
            f"({when}, {reason}); {chosen.source.reference} says "
            f"{chosen.source.text or chosen.value}."
        )
    return chosen, rest, notes


_PROBLEM = st.sampled_from(
    ["", "tumor size 120 cm: implausible", "could not read: x", "implausible value: y", "z"]
)
_FINDING = st.builds(
    lambda value, final, day, problems, n: Finding(
        field="size_cm",
        value=value,
        source=Source(f"Observation/o{n}", None if day is None else f"2025-01-0{day}", "final",
                      None if value is None else f"{value} cm"),
        final=final,
        when=None if day is None else datetime(2025, 1, day, tzinfo=UTC),
        problems=tuple(p for p in problems if p),
    ),
    st.one_of(st.none(), st.sampled_from([Decimal("8.3"), Decimal("8.30"), Decimal("5")])),
    st.booleans(),
    st.one_of(st.none(), st.integers(1, 3)),
    st.lists(_PROBLEM, max_size=2),
    st.integers(0, 9),
)  # fmt: skip


@settings(max_examples=2000)
@given(st.lists(_FINDING, max_size=3))
def test_choose_reads_as_the_plain_choice(candidates: list[Finding]) -> None:
    chosen, rest, notes = _choose("size_cm", candidates)
    plain_chosen, plain_rest, plain_notes = _plain_choose("size_cm", candidates)
    assert chosen is plain_chosen
    assert [id(f) for f in rest] == [id(f) for f in plain_rest]
    assert notes == plain_notes


def test_a_single_value_with_problems_keeps_its_notes() -> None:
    only = Finding("size_cm", Decimal("120"), Source("Observation/a"), True, None,
                   problems=("120 cm: implausible; used as recorded",))  # fmt: skip
    assert _choose("size_cm", [only]) == _plain_choose("size_cm", [only])
    assert _choose("size_cm", [only])[2] == ["tumor size: 120 cm: implausible; used as recorded"]
    unread = replace(only, value=None, problems=("it has no value",))
    assert _choose("size_cm", [unread]) == _plain_choose("size_cm", [unread])


def _plain_unreadable(by_field: dict[str, list[Finding]]) -> tuple[list[str], dict[str, Source]]:
    """hooks.fhir.tumor._unreadable as written before the single-value shortcut."""
    sentences: list[str] = []
    sources: dict[str, Source] = {}
    for name, candidates in by_field.items():
        unread = [f for f in candidates if f.value is None and could_not_read(f)]
        sentences.extend(unreadable_sentence(f) for f in unread)
        if unread and all(f.value is None for f in candidates):
            sources[name] = unread[-1].source
    return sentences, sources


@settings(max_examples=1000)
@given(st.dictionaries(st.sampled_from(["size_cm", "mitoses"]), st.lists(_FINDING, max_size=3)))
def test_unreadable_reads_as_the_plain_reading(by_field: dict[str, list[Finding]]) -> None:
    assert _unreadable(by_field) == _plain_unreadable(by_field)


def test_a_single_unreadable_value_is_reported() -> None:
    unread = Finding("size_cm", None, Source("Observation/a", text=">>5 cm"), True, None,
                     problems=("could not read: the text is not a size",))  # fmt: skip
    said, sources = _unreadable({"size_cm": [unread]})
    assert (said, sources) == _plain_unreadable({"size_cm": [unread]})
    assert sources == {"size_cm": unread.source}
    assert len(said) == 1
