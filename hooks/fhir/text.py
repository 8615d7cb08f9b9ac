"""Chart text made safe to show: Unicode bidirectional controls removed.

Unicode Standard Annex #9 (the bidirectional algorithm) defines explicit formatting characters
that reorder the text around them: the embeddings and overrides U+202A-U+202E, the isolates
U+2066-U+2069, the marks U+200E, U+200F and the Arabic letter mark U+061C. In free text from a
chart they can make a card read differently from what it holds (CVE-2021-42574, "Trojan
Source", is the same trick in source code), e.g. a reversed "2T" or a hidden word in a
diagnosis. Nothing a clinician needs to read is lost by removing them.
"""

from __future__ import annotations

import re

#: The longest chart text a memory keyed on chart text keeps (markdown escaping, histology names,
#: valid codes and systems, reference texts, Condition verdicts, ...). A longer one is computed
#: directly and never kept, so a hostile chart's megabyte strings cannot fill a worker's memory:
#: each memory holds at most its number of entries times this. Real codes, displays and notes
#: are far shorter.
MEMO_TEXT_MAX = 1024

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_DROP = str.maketrans(dict.fromkeys(BIDI_CONTROLS))
_DROP_UTF8 = tuple(c.encode() for c in sorted(BIDI_CONTROLS))
# The first two bytes of every control's UTF-8 form (U+061C, U+200E-U+202E, U+2066-U+2069).
_LEADS_UTF8 = tuple(sorted({c[:2] for c in _DROP_UTF8}))
# Any control's UTF-8 form, found in one scan.
_ANY_UTF8 = re.compile(b"|".join(re.escape(c) for c in _DROP_UTF8))


def visible(text: str) -> str:
    """``text`` without bidirectional control characters."""
    if text.isascii():  # every control is non-ASCII; isascii is 20 ns, isdisjoint 1 us
        return text
    return text.translate(_DROP) if not BIDI_CONTROLS.isdisjoint(text) else text


def visible_utf8(data: bytes) -> bytes:
    """The same for UTF-8 bytes (a serialized response): UTF-8 is self-synchronizing, so a
    control's byte sequence never occurs inside another character."""
    # A response holds none of them most of the time: ASCII bytes, or none of the three
    # two-byte leads, are answered in one or three scans instead of twelve (0.04 ms of a
    # 9 KB response down to under 1 us); a lead from other characters of U+2000-U+207F (a
    # curly quote, a dash, "…") costs one more scan (36 us of 10 KB instead of 80 us).
    if (
        data.isascii()
        or not any(lead in data for lead in _LEADS_UTF8)
        or _ANY_UTF8.search(data) is None
    ):
        return data
    for control in _DROP_UTF8:
        if control in data:
            data = data.replace(control, b"")
    return data
