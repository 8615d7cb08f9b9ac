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
from typing import Any

import pytest

from bench import charts
from hooks.cards import markdown, treatment
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
