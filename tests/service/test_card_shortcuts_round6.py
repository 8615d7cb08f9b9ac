"""Shortcuts of the sixth round in the card build, each shown equal to what it replaces:
``md_once`` (chart-specific text escaped without md's memory), the tags of our Observations
copied from templates, and the indicators of a response counted by a plain loop."""

from __future__ import annotations

from collections import Counter

import pytest

from hooks.cards import markdown
from hooks.fhir import writeback
from hooks.services.responses import _indicators

TEXTS = [
    "Observation/373ab0ce-obs6",
    "2025-04-28",
    "tumor size disagrees: Observation/a-obs0 says 83 mm (2025-02-04T12:45:00Z, older; the "
    "most recent was used); Observation/a-obs2 says 99 mm.",
    "see www.example.com or http://x.org/a, mail a@b.org",
    "  spaced \u202e out  ",
    "*bold* _it_ [l](u) <b>|</b> #1 + 2 - 3 ! ~ & `c` {x}",
    "x" * (markdown.MEMO_TEXT_MAX + 5) + "-*",
    "",
]


@pytest.mark.parametrize("text", TEXTS)
def test_md_once_is_md(text: str) -> None:
    assert markdown.md_once(text) == markdown.md(text)


def test_md_once_keeps_nothing() -> None:
    before = markdown._remembered.cache_info().currsize
    markdown.md_once("Observation/never-seen-before-round6")
    assert markdown._remembered.cache_info().currsize == before


@pytest.mark.parametrize("convention", [False, True])
def test_tags_are_fresh_and_as_before(convention: bool) -> None:
    codes_ = [writeback.TAG_ACCEPTED, writeback.TAG_CONVENTION][: 2 if convention else 1]
    expected = [
        {"system": writeback.TAG_SYSTEM, "code": c, "display": writeback.TAG_DISPLAY[c]}
        for c in codes_
    ]
    first, second = writeback.tags(convention), writeback.tags(convention)
    assert first == expected
    assert all(a is not b for a, b in zip(first, second, strict=True))


def test_indicators_as_counter() -> None:
    wired = [
        {"indicator": "info"},
        {"indicator": "warning"},
        {"summary": "no indicator"},
        {"indicator": "info"},
        {"indicator": 3},
        {"indicator": "critical"},
    ]
    expected = tuple(Counter(i for c in wired if isinstance(i := c.get("indicator"), str)).items())
    assert _indicators(wired) == expected
