"""Remembered card responses: a chart answered before is answered again without rebuilding its
cards.

The cards for a chart are a pure function of the chart (what staging read from it), the
``effectiveDateTime`` given to the new Observations, and the fresh ids: card and suggestion
uuids and the ids of the new Observations. So the response is built once per chart with
placeholders for those values and serialized; every later call for the same chart fills the
placeholders with fresh values, in the order the direct build would have asked for them. The
bytes are the same as a direct build would give (the tests compare both on every golden case).

Placeholders are a random 128-bit prefix made for one template followed by a five-digit slot
number (``99999`` is the effective time): they cannot occur in chart data, and filling them is
one split of the bytes. The prefix is written in capital letters that card text seldom holds,
so the split skips ahead over most of the response. The memory is bounded.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from hooks.fhir.text import visible_utf8
from hooks.web.wire import Card

# Builds the cards with the given id source and effective time (the direct path): pydantic
# cards, or their wire dicts (``hooks.cards.plain``, what the service's own builds give).
Build = Callable[[Callable[[], str], str], Sequence[Card | dict[str, Any]]]


_DIGITS = 5
_EFFECTIVE = b"9" * _DIGITS
_MAX_IDS = int(_EFFECTIVE)
# Hex digits written as capitals that are rare in card text (under 0.1 % of a response's bytes
# each): the split's search skips a whole prefix length at a byte it cannot hold, and card
# text is mostly lower case, digits and punctuation (the split of a 9 KB response: 1.6 us ->
# 0.6 us). A prefix is 37 characters, as "slot" + 32 hex digits + "-" were: the same size.
_RARE_HEX = bytes.maketrans(b"0123456789abcdef", b"BEFGHJKLQRUVWXYZ")


@dataclass(frozen=True, slots=True)
class Template:
    prefix: bytes  # what every placeholder starts with
    pieces: tuple[bytes, ...]  # the serialized response split at the prefix
    ids: int  # how many ids the build asked for (slots 00000, 00001, ...)
    notes: int  # data notes from extraction, for the request's log line
    # Cards by indicator, for the card metrics (``hooks.ops.metrics.observe_cards``): counted
    # once per chart here instead of searching every response's bytes (12 us per request).
    indicators: tuple[tuple[str, int], ...] = ()

    @property
    def size(self) -> int:
        """About the bytes of the response (a placeholder is a few bytes longer than an id)."""
        return sum(len(piece) for piece in self.pieces) + len(self.prefix) * (len(self.pieces) - 1)

    def render(self, new_id: Callable[[], str], effective: str) -> bytes:
        """The response with fresh ids (one ``new_id()`` per slot, in order) and ``effective``."""
        fresh = [_json_text(new_id()) for _ in range(self.ids)]
        if len(set(fresh)) != self.ids:
            raise RuntimeError("card, suggestion or Observation ids are not unique in a response")
        when = _json_text(effective)
        out = [self.pieces[0]]
        for piece in self.pieces[1:]:
            slot = piece[:_DIGITS]
            out.append(when if slot == _EFFECTIVE else fresh[int(slot)])
            out.append(piece[_DIGITS:])
        return b"".join(out)


def _json_text(value: str) -> bytes:
    """``value`` as it appears inside a JSON string."""
    return orjson.dumps(value)[1:-1]


def build_template(build: Build, notes: int) -> Template:
    """Run the direct build once with placeholders and keep its serialized response."""
    # 128 random bits (1.2 us less than uuid4().hex), between a fixed head and tail
    prefix = "SLOT" + secrets.token_hex(16).encode().translate(_RARE_HEX).decode() + "K"
    ids = 0

    def placeholder() -> str:
        nonlocal ids
        if ids >= _MAX_IDS:
            raise RuntimeError("too many ids in one response")
        token = prefix + str(ids).zfill(_DIGITS)
        ids += 1
        return token

    cards = build(placeholder, prefix + _EFFECTIVE.decode())
    # ``CardsResponse(cards=...).wire()`` is ``{"cards": [card.wire(), ...]}``: wire dicts are
    # serialized as they are (0.06 ms per chart less than validating and dumping models).
    wired = [card if isinstance(card, dict) else card.wire() for card in cards]
    body = orjson.dumps({"cards": wired})
    body = visible_utf8(body)  # last guard: chart text is cleaned where it is read (hooks.fhir)
    return Template(
        prefix=prefix.encode(),
        pieces=tuple(body.split(prefix.encode())),
        ids=ids,
        notes=notes,
        indicators=_indicators(wired),
    )


def _indicators(wired: list[dict[str, Any]]) -> tuple[tuple[str, int], ...]:
    """The cards by indicator, in the order first seen (what ``Counter(...).items()`` gave,
    counted by a plain loop: 1 us a response less than making a Counter)."""
    counts: dict[str, int] = {}
    for card in wired:
        indicator = card.get("indicator")
        if isinstance(indicator, str):
            counts[indicator] = counts.get(indicator, 0) + 1
    return tuple(counts.items())


class ResponseMemory:
    """Templates by chart key (see ``hooks.services.staging.chart_key``), oldest forgotten first."""

    def __init__(self, kept: int = 1024) -> None:
        self.kept = kept
        self._templates: dict[bytes, Template] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._templates)

    def get(self, key: bytes) -> Template | None:
        return self._templates.get(key)

    def put(self, key: bytes, template: Template) -> None:
        with self._lock:
            if len(self._templates) >= self.kept:
                del self._templates[next(iter(self._templates))]
            self._templates[key] = template
