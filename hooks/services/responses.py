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

Most charts are asked for once: a clinician opens one patient's chart, then another's. A
template and its key (a digest of the whole chart, ``chart_key``) cost about 0.02 ms a request
that a chart asked for once never earns back. So the memory also remembers which patients were
asked for lately (``ResponseMemory.asked_before``): the first request for a patient is built
directly with its real ids (``direct_response``: the same bytes, one build, no key); a chart
asked for again is keyed and kept as a template, and served from it from then on. A chart that
is opened again costs one more build than before, the second time.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from hooks.fhir.text import MEMO_TEXT_MAX, visible_utf8
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
    # A response built with its real ids and time (``direct_response``): it answers one request
    # and is never remembered (``ResponseMemory.put`` refuses it).
    once: bool = False

    @property
    def size(self) -> int:
        """About the bytes of the response (a placeholder is a few bytes longer than an id)."""
        return sum(len(piece) for piece in self.pieces) + len(self.prefix) * (len(self.pieces) - 1)

    def render(self, new_id: Callable[[], str], effective: str) -> bytes:
        """The response with fresh ids (one ``new_id()`` per slot, in order) and ``effective``
        (a ``once`` response: its bytes, which hold no slot)."""
        if self.once:
            return self.pieces[0]
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


def direct_response(
    build: Build, notes: int, new_id: Callable[[], str], effective: str
) -> Template:
    """The response of one request, built with its real ids and ``effective`` time: the bytes
    ``build_template(build, notes).render(new_id, effective)`` gives, without the placeholders,
    the split and the filling (a ``once`` template, never remembered)."""
    asked: list[str] = []

    def fresh() -> str:
        value = new_id()
        asked.append(value)
        return value

    wired = _wired(build(fresh, effective))
    if len(set(asked)) != len(asked):
        raise RuntimeError("card, suggestion or Observation ids are not unique in a response")
    body = visible_utf8(orjson.dumps({"cards": wired}))
    return Template(
        prefix=b"",
        pieces=(body,),
        ids=0,
        notes=notes,
        indicators=_indicators(wired),
        once=True,
    )


def _wired(cards: Sequence[Card | dict[str, Any]]) -> list[dict[str, Any]]:
    # ``CardsResponse(cards=...).wire()`` is ``{"cards": [card.wire(), ...]}``: wire dicts are
    # serialized as they are (0.06 ms per chart less than validating and dumping models).
    return [card if isinstance(card, dict) else card.wire() for card in cards]


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

    wired = _wired(build(placeholder, prefix + _EFFECTIVE.decode()))
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
    """Templates by chart key (see ``hooks.services.staging.chart_key``), oldest forgotten
    first, and the patients asked for lately (``asked_before``)."""

    def __init__(self, kept: int = 1024) -> None:
        self.kept = kept
        self._templates: dict[bytes, Template] = {}
        # The last ``kept`` patients asked for, least recently asked first. A patient id is a
        # FHIR id (64 characters at most, checked before staging); a longer one is not kept.
        # An OrderedDict: moving a patient to the end and forgetting the oldest are O(1), where
        # a dict's ``next(iter())`` walks the slots its deletions left at the front.
        self._patients: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._templates)

    def asked_before(self, patient_id: str) -> bool:
        """Whether ``patient_id`` is among the last ``kept`` patients asked for (then the chart
        is worth a key and a template); the patient is counted as asked for now."""
        patients = self._patients
        with self._lock:
            if patient_id in patients:
                patients.move_to_end(patient_id)  # the most recent again
                return True
            if len(patient_id) <= MEMO_TEXT_MAX:
                if len(patients) >= self.kept:
                    patients.popitem(last=False)
                patients[patient_id] = None
            return False

    def get(self, key: bytes) -> Template | None:
        return self._templates.get(key)

    def put(self, key: bytes, template: Template) -> None:
        if template.once:
            raise ValueError("a response built with its real ids answers one request only")
        with self._lock:
            if len(self._templates) >= self.kept:
                del self._templates[next(iter(self._templates))]
            self._templates[key] = template
