"""The brackets outside strings found by place parity (``hooks.web.limits._outside_strings``)
and the window bound on their depth (``_within_depth``) against the exact ``json_depth``, on
generated JSON, chart-like bodies and mutated (malformed) bytes; a broken variant of each is
shown to disagree, so the comparison can fail."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench import charts
from hooks.web import limits
from hooks.web.limits import (
    LimitExceeded,
    Limits,
    _exact_depth,
    _max_depth,
    _outside_strings,
    _within_depth,
    check_json_body,
    json_depth,
)

# Reference: the text between the quotes at even places (quotes alternate opening, closing,
# ...; after an unclosed quote everything is inside), brackets only. For text without an
# escaped quote; on valid JSON it agrees with json_depth's string regex.
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_TO_SQUARE = bytes.maketrans(b"{}", b"[]")


def reference_brackets(raw: bytes) -> bytes:
    outside = b"".join(raw.split(b'"')[::2])
    return outside.translate(_TO_SQUARE, delete=_NOT_BRACKETS)


def escapes_a_quote(raw: bytes) -> bool:
    return b'\\"' in raw


TEXT = st.text(alphabet='ab{}[]()" \\:,mH\u00e9', max_size=8)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=5),
    max_leaves=60,
)


@settings(max_examples=600, deadline=None)
@given(JSON_VALUES, st.booleans())
def test_outside_strings_on_generated_json(value: Any, ascii_only: bool) -> None:
    raw = json.dumps(value, ensure_ascii=ascii_only).encode()
    if escapes_a_quote(raw):
        return
    brackets = _outside_strings(raw)
    assert brackets == reference_brackets(raw)
    assert _exact_depth(brackets) == json_depth(raw)


# Raw bytes, malformed on purpose: quotes unbalanced, brackets anywhere, non-UTF-8 bytes.
RAW = st.binary(max_size=300) | st.lists(
    st.sampled_from([b'"', b"[", b"]", b"{", b"}", b'""', b'"mm[Hg]"', b"x", b"\xff", b"\\n"]),
    max_size=200,
).map(b"".join)


@settings(max_examples=800, deadline=None)
@given(RAW)
def test_outside_strings_on_any_bytes(raw: bytes) -> None:
    if escapes_a_quote(raw):
        return
    brackets = _outside_strings(raw)
    assert brackets == reference_brackets(raw)
    assert _exact_depth(brackets) == _max_depth(reference_brackets(raw))
    if raw.count(b'"') % 2 == 0:  # every string closed: the string regex agrees
        assert _max_depth(brackets) == json_depth(raw)


BRACKET_STRINGS = st.text(alphabet="[]", max_size=700).map(str.encode)


@settings(max_examples=800, deadline=None)
@given(BRACKET_STRINGS, st.integers(min_value=0, max_value=80))
def test_within_depth_never_says_yes_wrongly(brackets: bytes, limit: int) -> None:
    if _within_depth(brackets, limit):
        assert _max_depth(brackets) <= limit


def chart_like(entries: int, depth: int) -> Any:
    leaf: Any = {"unit": "mm[Hg]", "code": "/10.[HPF]", "q": '"]}', "v": 1.5}
    for level in range(depth):
        leaf = {"k": [leaf, "]", "{"], "n": level} if level % 2 else {"c": [{"s": "x"}], "o": leaf}
    return {"resourceType": "Bundle", "entry": [{"resource": leaf}] * entries}


@pytest.mark.parametrize("depth", [0, 3, 9, 20, 31, 32, 33, 40, 62, 63, 64, 70])
def test_verdicts_on_chart_like_bodies(depth: int) -> None:
    """check_json_body refuses exactly the bodies whose exact depth is over the limit."""
    for entries in (1, 7, 40):
        raw = json.dumps(chart_like(entries, depth)).encode()
        for limit in (16, 30, 64):
            exact = json_depth(raw)
            assert _exact_depth(_outside_strings(raw)) == exact
            if _within_depth(_outside_strings(raw), limit):
                assert exact <= limit
            if exact > limit:
                with pytest.raises(LimitExceeded) as info:
                    check_json_body(raw, Limits(max_json_depth=limit))
                assert info.value.status == 400
                assert info.value.message == f"JSON nested deeper than {limit}"
            else:
                check_json_body(raw, Limits(max_json_depth=limit))


def mutations(raw: bytes, seed: int) -> list[bytes]:
    """Cut, doubled, a quote or a bracket dropped or inserted at places spread over the body."""
    out = [raw[: len(raw) // 2], raw + raw, raw[1:]]
    for k in range(1, 8):
        i = (seed * 7919 + k * len(raw) // 8) % max(1, len(raw))
        for piece in (b'"', b"[", b"]", b"}"):
            out.append(raw[:i] + piece + raw[i:])
        out.append(raw[:i] + raw[i + 1 :])
    return out


def test_bench_charts_and_their_mutations() -> None:
    for n in range(12):
        raw = json.dumps(charts.chart_request(n), separators=(",", ":")).encode()
        for body in [raw, *mutations(raw, n)]:
            if escapes_a_quote(body):
                continue
            brackets = _outside_strings(body)
            assert brackets == reference_brackets(body)
            depth = _max_depth(reference_brackets(body))
            assert _exact_depth(brackets) == depth
            if _within_depth(brackets, 64):
                assert depth <= 64


def test_the_comparison_can_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """Broken variants are caught by the same comparisons: brackets kept inside strings, the
    marks of odd ranks left unswapped, and a bound that forgets the level before each window."""

    def all_brackets(raw: bytes) -> bytes:
        return raw.translate(_TO_SQUARE, delete=_NOT_BRACKETS)

    def unswapped(raw: bytes) -> bytes:
        syntax = raw.translate(limits._QUOTES_AND_BRACKETS, delete=limits._NOT_SYNTAX)
        marked = bytearray(syntax)
        marked[::2] = syntax[::2].translate(limits._LETTERS)
        ranked = marked.translate(None, delete=b'"')
        return bytes(ranked.translate(limits._OPEN_CLOSE, delete=b"()"))

    ucum = json.dumps({"u": "mm[Hg]", "a": [[1]], "b": "]]}"}).encode()
    assert _outside_strings(ucum) == reference_brackets(ucum) == b"[[[]]]"
    assert all_brackets(ucum) != reference_brackets(ucum)
    assert unswapped(ucum) != reference_brackets(ucum)

    def forgetful(brackets: bytes, limit: int) -> bool:
        windows = range(0, len(brackets), 64)
        return all(brackets.count(b"[", s, s + 64) <= limit for s in windows)

    stairs = b"[[]" * 100  # every window holds 43 openings; the level climbs to 101
    assert forgetful(stairs, 50)
    assert _max_depth(stairs) > 50
    assert not _within_depth(stairs, 50)
    # Swapped into the module, a bound that always says yes lets a too-deep body through.
    monkeypatch.setattr(limits, "_within_depth", lambda brackets, limit: True)
    check_json_body(stairs, Limits(max_json_depth=50))
    monkeypatch.undo()
    with pytest.raises(LimitExceeded):
        check_json_body(stairs, Limits(max_json_depth=50))
