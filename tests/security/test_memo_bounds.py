"""Memories keyed on chart text keep only texts up to ``MEMO_TEXT_MAX`` characters.

A worker remembers what recurs from chart to chart (escaped Markdown, valid codes and systems,
reference texts, Condition verdicts, card text). Each memory is bounded in entries; bounding
the length of what it keeps bounds its bytes too, so a hostile chart's megabyte strings are
answered (the same answer as a short text gets) but never kept. Each test sends a long text
twice and asserts: the answer equals the direct computation, and the second call was not
answered from the memory; a text of exactly ``MEMO_TEXT_MAX`` characters is (the bound is the
guard, not an accident of the memory).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from bench import charts
from cds import histology
from cds.numbers import MEMO_KEY_MAX
from hooks.cards import markdown, treatment
from hooks.fhir import codes, conditions, context, read, readings, shape, triage, writeback
from hooks.fhir.text import MEMO_TEXT_MAX
from hooks.services.staging import stage_patient
from tests.service.conftest import prefetched_resources


def texts(seed: str) -> tuple[str, str]:
    """A fresh text of ``MEMO_TEXT_MAX`` characters and one a character longer."""
    unique = f"{seed} {uuid.uuid4().hex} "
    long = (unique * (MEMO_TEXT_MAX // len(unique) + 2))[: MEMO_TEXT_MAX + 1]
    return long[:MEMO_TEXT_MAX], long


def kept(memory: Any, call: Callable[[], object]) -> bool:
    """Whether a second ``call`` is answered by ``memory`` (an lru_cache) after a first."""
    call()
    hits = memory.cache_info().hits
    call()
    return bool(memory.cache_info().hits > hits)


def test_the_bound_is_far_above_real_chart_texts() -> None:
    assert 256 <= MEMO_TEXT_MAX <= 4096


@pytest.mark.parametrize("seed", ["plain text", "*emphasis* <b>html</b> www.example.org"])
def test_markdown_escaping_keeps_no_long_text(seed: str) -> None:
    short, long = texts(seed)
    assert markdown.md(long) == markdown._escaped(long)
    assert not kept(markdown._remembered, lambda: markdown.md(long))
    assert kept(markdown._remembered, lambda: markdown.md(short))


def test_treatment_card_text_keeps_no_long_description() -> None:
    request = charts.chart_request(0)
    _, reports = stage_patient(request["context"]["patientId"], prefetched_resources(request))
    a = reports[0].assessment
    short, long = texts("left thigh leiomyosarcoma")

    def text(description: str) -> Callable[[], treatment.CardText]:
        return lambda: treatment.card_text(
            a.treatment, a.stage, False, description, a.histology_name
        )

    assert text(long)() == treatment.direct_card_text(
        a.treatment, a.stage, False, long, a.histology_name
    )
    assert not kept(treatment._card_text, text(long))
    assert kept(treatment._card_text, text(short))


def test_valid_codes_and_systems_are_not_kept_when_long() -> None:
    short, long = texts("code")
    short_code, long_code = short.replace(" ", "-"), long.replace(" ", "-")
    for code in (short_code, long_code):
        coding = {"system": "http://example.org/" + code, "code": code}
        assert shape.CODING(coding) is True
    assert short_code in shape._CODES
    assert long_code not in shape._CODES
    assert "http://example.org/" + long_code not in shape._URIS


def test_hint_free_texts_are_not_kept_when_long() -> None:
    short, long = texts("tumor size")
    assert context._quiet(long) is True
    assert long not in context._QUIET
    assert context._quiet(short) is True
    assert short in context._QUIET


def test_reference_texts_are_not_kept_when_long() -> None:
    short, long = texts("Condition/")
    for text in (short, long):
        ref = "Condition/" + text.replace(" ", "-")[: len(text) - 10]
        assert read.reference({"reference": ref}, {}) == read._relative.__wrapped__(ref)
        call = lambda r=ref: read.reference({"reference": r}, {})  # noqa: E731
        assert kept(read._relative, call) is (len(ref) <= MEMO_TEXT_MAX)


def test_histology_names_are_not_kept_when_long() -> None:
    short, long = texts("leiomyosarcoma")
    assert codes.histology_from_name(long) == codes._histology_named(long) == "8890/3"
    assert not kept(codes._remembered_histology_named, lambda: codes.histology_from_name(long))
    assert kept(codes._remembered_histology_named, lambda: codes.histology_from_name(short))


def test_histology_codes_are_not_kept_when_long() -> None:
    long = "8890/3 " + "x" * MEMO_KEY_MAX
    assert histology.read_histology(long) == histology._read_histology(long)
    assert not kept(histology._remembered_histology, lambda: histology.read_histology(long))
    assert kept(histology._remembered_histology, lambda: histology.read_histology("8890/3"))


def test_descriptions_are_not_kept_when_built_from_long_texts() -> None:
    short, long = texts("Leiomyosarcoma")
    for text, remembered in ((short, True), (long, False)):
        condition = {"resourceType": "Condition", "code": {"text": text}}
        direct = conditions._described.__wrapped__(text, "Left thigh", None, None, None)
        assert conditions.description(condition, "Left thigh") == direct
        call = lambda c=condition: conditions.description(c, "Left thigh")  # noqa: E731
        assert kept(conditions._described, call) is remembered


def test_condition_verdicts_are_not_kept_when_their_elements_are_long() -> None:
    short, long = texts("Diabetes mellitus type 2")
    for text, remembered in ((short, True), (long * 4, False)):
        condition = {
            "resourceType": "Condition",
            "code": {
                "coding": [{"system": "http://snomed.info/sct", "code": "44054006"}],
                "text": text,
            },
            "subject": {"reference": "Patient/p"},
        }
        assert triage.read(condition) == triage.decide(condition)
        assert (triage._key(condition) in triage._verdicts) is remembered


def test_identifier_material_formats_keep_no_long_text() -> None:
    """The material's format memo (hooks.fhir.writeback) is keyed on the histology and
    topography texts among the steady inputs."""
    request = charts.chart_request(0)
    _, reports = stage_patient(request["context"]["patientId"], prefetched_resources(request))
    tumor = reports[0].tumor
    short, long = texts("8890/3")

    def material(text: str) -> Callable[[], str]:
        changed = replace(tumor, inputs=replace(tumor.inputs, topography=text))
        return lambda: writeback.tumor_material_text(changed)

    changed = replace(tumor, inputs=replace(tumor.inputs, topography=long))
    assert material(long)() == writeback.direct_tumor_material(changed)
    assert not kept(writeback._remembered_format, material(long))
    assert kept(writeback._remembered_format, material(short))


@pytest.mark.parametrize(
    ("feature", "observation"),
    [
        ("grade", lambda text: {"valueCodeableConcept": {"text": text}}),
        ("t", lambda text: {"valueString": text}),
        ("histology", lambda text: {"valueCodeableConcept": {"coding": [{"display": text}]}}),
        ("size", lambda text: {"valueQuantity": {"value": 12, "unit": text}}),
    ],
)
def test_observation_readings_are_not_kept_when_their_texts_are_long(
    feature: str, observation: Callable[[str], dict[str, Any]]
) -> None:
    short, long = texts("high grade")
    for text, remembered in ((short, True), (long, False)):
        resource = observation(text)
        direct = read.read_value(resource, feature)
        assert readings.reading(resource, feature, read.read_value) == direct
        key = readings._KEYS[feature](resource)
        assert (key is not None and key in readings._readings) is remembered


def test_post_treatment_free_elements_are_not_kept_when_long() -> None:
    # The key is the JSON of the elements read (about 60 bytes around the text here): a text
    # that fits the key bound is kept, one that makes the key longer than it is not.
    bound = context._ELEMENTS_KEY_MAX
    for size, remembered in ((bound - 200, True), (bound + 1, False)):
        text = ("tumor size " + uuid.uuid4().hex + " ") * (size // 44 + 1)
        observation = {"resourceType": "Observation", "code": {"text": text[:size]}}
        for _ in range(2):  # the second may be answered from the memory
            assert context.post_treatment(observation) is None
        key = context._elements_key(observation)
        assert key is not None
        assert (key in context._QUIET_ELEMENTS) is remembered
