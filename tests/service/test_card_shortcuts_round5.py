"""The fifth round's shortcuts in the cards and the write-back give exactly what the direct
computation gives: the identifier material by a %-format per combination of steady inputs and
source names (``hooks.fhir.writeback.tumor_material_text``), our own Observations found by plain
loops (``accepted_observations``), the options' number as a memo key
(``hooks.cards.option_keys``) and Markdown escaping of letters, digits, "/" and "-" by one
replace (``hooks.cards.markdown._escaped``)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cds.model import Grade, T
from hooks.cards import markdown, notes, option_keys, treatment
from hooks.fhir import writeback
from hooks.fhir.model import Source
from hooks.fhir.text import MEMO_TEXT_MAX
from tests.service.test_card_memos import reports
from tests.service.test_card_shortcuts import tumors


def test_the_format_memo_gives_the_direct_material_for_every_tumor() -> None:
    for tumor in tumors():
        assert writeback.tumor_material_text(tumor) == writeback.direct_tumor_material(tumor)


@pytest.mark.parametrize(
    "change",
    [
        {"histology": "88%s90/3", "topography": "C%r49"},  # "%" in a steady text
        {"differentiation": True},  # equal to 1, written True
        {"differentiation": 1},
        {"size_cm": Decimal("7.00")},  # equal to 7.0, written with its two places
        {"size_cm": Decimal("7.0")},
        {"mitoses": True},
        {"t": None, "topography": "T2"},  # a text equal to a member
        {"t": T.T2, "topography": None},
        {"grade": Grade.G3, "grade_options": (Grade.G3,)},  # a tuple that is not empty
        {"grade_caveats": ("graded on a core biopsy",)},
    ],
)
def test_each_kind_of_value_is_written_as_its_repr(change: dict[str, Any]) -> None:
    base = reports()[0].tumor
    odd_sources = {
        **base.sources,
        "n": Source("Observation/100%", "2024-%d", None),
        "m": Source("Observation/o'brien\\", None, None),
    }
    for sources in (base.sources, odd_sources):
        tumor = replace(base, inputs=replace(base.inputs, **change), sources=sources)
        # twice: the second from the memo
        for _ in range(2):
            assert writeback.tumor_material_text(tumor) == writeback.direct_tumor_material(tumor)


def test_one_format_serves_charts_that_differ_in_their_numbers_and_sources() -> None:
    base = reports()[0].tumor
    first = writeback.tumor_material_text(base)
    other = replace(
        base,
        inputs=replace(base.inputs, size_cm=Decimal("9.9"), mitoses=3),
        sources={k: replace(s, reference=s.reference + "x") for k, s in base.sources.items()},
    )
    hits = writeback._remembered_format.cache_info().hits
    second = writeback.tumor_material_text(other)
    assert writeback._remembered_format.cache_info().hits == hits + 1
    assert second == writeback.direct_tumor_material(other) != first


def test_long_texts_are_written_without_the_memo() -> None:
    base = reports()[0].tumor
    long = "8" * (MEMO_TEXT_MAX + 1)
    tumor = replace(base, inputs=replace(base.inputs, histology=long))
    misses = writeback._remembered_format.cache_info().misses
    hits = writeback._remembered_format.cache_info().hits
    assert writeback.tumor_material_text(tumor) == writeback.direct_tumor_material(tumor)
    info = writeback._remembered_format.cache_info()
    assert (info.hits, info.misses) == (hits, misses)


RESOURCES: list[Any] = [
    {"resourceType": "Patient", "id": "p"},
    {"resourceType": "Observation", "id": "a"},
    {
        "resourceType": "Observation",
        "id": 7,
        "identifier": [{"system": writeback.IDENTIFIER_SYSTEM}],
    },
    {"resourceType": "Observation", "id": "b", "identifier": [{"system": "urn:lab"}, "x", 3]},
    {
        "resourceType": "Observation",
        "id": "c",
        "identifier": [{"system": writeback.IDENTIFIER_SYSTEM}],
    },
    {
        "resourceType": "Observation",
        "id": "d",
        "identifier": {"system": writeback.IDENTIFIER_SYSTEM},
    },
    {
        "resourceType": "Observation",
        "id": "e",
        "meta": {"tag": [{"system": writeback.TAG_SYSTEM, "code": writeback.TAG_ACCEPTED}]},
    },
    {
        "resourceType": "Observation",
        "id": "f",
        "meta": {
            "tag": [
                {"system": writeback.TAG_SYSTEM, "code": writeback.TAG_CONVENTION},
                "tag",
                {"system": writeback.TAG_SYSTEM, "code": writeback.TAG_ACCEPTED},
            ]
        },
    },
    {
        "resourceType": "Observation",
        "id": "g",
        "identifier": [{"system": writeback.IDENTIFIER_SYSTEM}],
        "meta": {"tag": [{"system": writeback.TAG_SYSTEM, "code": writeback.TAG_CONVENTION}]},
    },
    {"resourceType": "Observation", "id": "h", "meta": {"tag": [{"system": "x", "code": "y"}]}},
    {"resourceType": "Observation", "id": "i", "meta": {"tag": "accepted-suggestion"}},
    {"resourceType": "Observation", "id": "j", "meta": []},
    {
        "resourceType": "Observation",
        "id": "k",
        "meta": {"tag": [{"system": writeback.TAG_SYSTEM, "code": writeback.TAG_CONVENTION}]},
    },
    "not a resource",
]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(RESOURCES), max_size=8))
def test_our_observations_are_those_the_direct_reading_finds(chosen: list[Any]) -> None:
    assert writeback.accepted_observations(chosen) == writeback.direct_accepted_observations(chosen)


def test_every_listed_resource_is_read_as_directly() -> None:
    found = writeback.accepted_observations(RESOURCES)
    assert found == writeback.direct_accepted_observations(RESOURCES)
    assert set(found) == {f"Observation/{x}" for x in "cefg"}
    assert found["Observation/f"] == found["Observation/g"] == writeback.CONVENTION


def test_an_unhashable_tag_code_fails_as_it_did() -> None:
    bad = [
        {
            "resourceType": "Observation",
            "id": "x",
            "meta": {"tag": [{"system": writeback.TAG_SYSTEM, "code": []}]},
        }
    ]
    with pytest.raises(TypeError):
        writeback.direct_accepted_observations(bad)
    with pytest.raises(TypeError):
        writeback.accepted_observations(bad)


def test_equal_options_share_a_number_and_different_ones_never_do() -> None:
    found = reports()
    by_value: dict[tuple[Any, ...], int] = {}
    for report in found:
        options = report.assessment.treatment
        key = option_keys.numbered(options)
        assert key.options == options
        assert option_keys.numbered(tuple(options)) == key  # (a tuple of a tuple is itself)
        assert option_keys.numbered((*options,)) == key  # an equal, other object
        by_value.setdefault(options, key)
        assert by_value[options] == key
    assert len(set(by_value.values())) == len(by_value) >= 3
    assert len(option_keys._BY_OBJECT) <= option_keys._KEPT
    assert len(option_keys._BY_VALUE) <= option_keys._KEPT


def test_numbered_texts_are_the_direct_texts_after_the_memory_is_forgotten() -> None:
    found = reports()
    for _ in range(2):
        for report in found:
            a = report.assessment
            assert notes.option_notes(a.treatment) == notes.direct_option_notes(a.treatment)
            key = (a.treatment, a.stage, False, report.tumor.description, a.histology_name)
            assert treatment.card_text(*key) == treatment.direct_card_text(*key)
            trimmed = a.treatment[1:]  # another value: another number
            assert notes.option_notes(trimmed) == notes.direct_option_notes(trimmed)
        option_keys._BY_OBJECT.clear()
        option_keys._BY_VALUE.clear()


SIMPLE = st.text(alphabet="abzAZ09/-", max_size=40)


@settings(max_examples=2000)
@given(SIMPLE | st.text(alphabet="ab/-.:@wW \t\u00e9\u202e", max_size=30) | st.text(max_size=20))
def test_letters_digits_slashes_and_dashes_are_escaped_as_by_the_full_path(text: str) -> None:
    direct = markdown.escape(markdown._defang(markdown.plain(text)))
    assert markdown._escaped(text) == direct
    assert markdown._escaped(text) == markdown._defang(markdown.plain(text)).translate(
        markdown._MD_ESCAPES
    )
