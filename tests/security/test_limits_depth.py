"""The depth found by deleting innermost bracket pairs (``hooks.web.limits._balanced_depth``)
is the depth the prefix sums give (``_max_depth``), or it declines."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hooks.web.limits import _balanced_depth, _max_depth, _quick_depth, json_depth

BRACKETS = st.text(alphabet="{}[]", max_size=60).map(str.encode)


@settings(max_examples=500, deadline=None)
@given(BRACKETS)
def test_balanced_depth_is_the_prefix_sum_depth_or_declines(brackets: bytes) -> None:
    depth = _balanced_depth(brackets)
    assert depth is None or depth == _max_depth(brackets)


def balanced(depths: list[int]) -> bytes:
    return b"".join(b"[" * d + b"]" * d for d in depths)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=40), max_size=8))
def test_balanced_strings_are_always_decided(depths: list[int]) -> None:
    brackets = b"{" + balanced(depths) + b"}"
    assert _balanced_depth(brackets) == _max_depth(brackets) == 1 + max(depths, default=0)


def test_unbalanced_or_very_deep_strings_are_declined() -> None:
    assert _balanced_depth(b"") == 0
    assert _balanced_depth(b"[[]") is None
    assert _balanced_depth(b"][") is None
    assert _balanced_depth(b"[" * 300 + b"]" * 300) is None  # more rounds than allowed
    # declined, the prefix sums still answer exactly
    assert _quick_depth(b"[" * 300 + b"]" * 300) == 300
    assert _quick_depth(b"[[]") == 2


def test_a_backslash_without_an_escaped_quote_is_still_quick() -> None:
    raw = json.dumps({"a": "C:\\dir", "b": [[1]]}).encode()
    assert b"\\" in raw
    assert _quick_depth(raw) == 3 == json_depth(raw)


def chart_like(width: int, depth: int) -> Any:
    leaf: Any = {"unit": "mm[Hg]", "v": "x"}
    for _ in range(depth):
        leaf = {"k": [leaf, "]", "{"]}
    return {"entry": [leaf] * width}


def test_quick_depth_on_chart_shaped_bodies() -> None:
    for width, depth in ((1, 1), (5, 7), (30, 20)):
        raw = json.dumps(chart_like(width, depth)).encode()
        assert _quick_depth(raw) == json_depth(raw) == 3 + 2 * depth
