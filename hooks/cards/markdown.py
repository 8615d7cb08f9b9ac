"""Markdown helpers shared by the cards: escaping chart text, summaries under 140 characters,
and naming where a value came from.

CDS Hooks 2.0 (Card.detail) renders ``detail`` as GitHub-flavoured Markdown. Text from the chart
is escaped so that it stays inert: no emphasis, link, HTML or table structure can come from it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from hooks.fhir.model import Source
from hooks.fhir.text import MEMO_TEXT_MAX

SUMMARY_MAX = 139
DISCLAIMER = (
    "_Decision support only: check against the pathology report and the treating team's "
    "judgement before acting._"
)
# Resource statuses not worth showing next to a value (anything else, e.g. preliminary, is).
ROUTINE_STATUSES = frozenset({"final", "amended", "corrected", "active", "confirmed"})

_MD_SPECIAL = "\\`*_{}[]()<>#+-.!|~&"
_MD_ESCAPES = str.maketrans({c: "\\" + c for c in _MD_SPECIAL})
# The same escapes as one str.replace per character present, backslash first (so the ones
# added are not escaped again): 0.7 us instead of 5.8 us for a 150-character chart note.
_MD_REPLACE = tuple((c, "\\" + c) for c in _MD_SPECIAL)
# Letters, digits, "/" and "-" only (a chart reference, a date): plain already, nothing a link
# could be made of, and "-" the only special character: escaped by one replace (md of a new
# chart reference 13,300 -> 6,300 instructions).
_SIMPLE = re.compile(r"[A-Za-z0-9/-]+")
# Bidirectional control characters (Unicode UAX #9: embeddings, overrides, isolates, marks):
# in chart text they could make a value read differently from what it is ("Trojan Source").
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_NO_BIDI = str.maketrans(dict.fromkeys(BIDI_CONTROLS))
# What GFM autolinks (URLs with a scheme, www., e-mail addresses) and linkify-it's fuzzy links
# (a host ending in a generic or two-letter country top-level domain) would make a link of,
# even when escaped: "defanged" so that chart text never becomes a link.
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(?=/)")
_WWW = re.compile(r"(?i)\b(www)\.")
_AT = re.compile(r"(?<=\w)@(?=\w)")
# A necessary condition of _HOST (a "." before a letter as (?i)[a-z] matches it), checked first:
# the full pattern costs 6.5 us on a 150-character note, the hint 0.1 us.
_HOST_HINT = re.compile(r"(?i)\.[a-z]")
_HOST = re.compile(
    r"(?i)\b([a-z0-9-]+)\.(?=(?:biz|com|edu|gov|net|org|pro|web|xxx|aero|asia|coop|info|museum"
    r"|name|shop|[a-z]{2})\b)"
)


@lru_cache(maxsize=256)  # our own few links, on every card: 2 us a call saved
def link(label: str, url: str) -> str:
    """A Markdown link to one of our own source URLs (never chart text). The URL is written as
    is (escaping it would put backslashes into the href): only URLs that need no escaping in a
    link destination are accepted."""
    if any(c in url for c in "<>()\\ \n\"'") or not url.startswith("https://"):
        raise ValueError(f"not a link target of ours: {url!r}")
    return f"[{md(label)}]({url})"


def plain(text: str) -> str:
    """Chart text for a plain-text field (summary, label): one line, no bidi controls."""
    if text.isascii():  # every bidi control is non-ASCII: ASCII text skips the translate
        # Printable ASCII has no whitespace but the space: with no run of spaces and none at
        # either end, splitting and joining gives the text back (most chart text; a 150-
        # character note skips making 25 words). A str subclass is made a str by the join.
        if (
            type(text) is str
            and text.isprintable()
            and "  " not in text
            and not text.startswith(" ")
            and not text.endswith(" ")
        ):
            return text
    else:
        text = text.translate(_NO_BIDI)
    return " ".join(text.split())


def escape(text: str) -> str:
    """``text`` with every Markdown special character backslash-escaped (the same as
    ``text.translate(_MD_ESCAPES)``)."""
    for char, escaped in _MD_REPLACE:
        if char in text:
            text = text.replace(char, escaped)
    return text


def _defang(text: str) -> str:
    # Each pattern needs a literal ":/", "www." (any case), "@" or "." before a letter: text
    # without it is left as it is, unsearched (most chart text: values, dates, references).
    # The guards cut md() of a 150-character chart note from 23 us to 5 us.
    if ":/" in text:
        text = _SCHEME.sub(r"\1[:]", text)
    if "." in text and "www." in text.lower():
        text = _WWW.sub(r"\1[.]", text)
    if "@" in text:
        text = _AT.sub("[@]", text)
    if "." in text and _HOST_HINT.search(text):
        text = _HOST.sub(r"\1[.]", text)
    return text


def md(text: str) -> str:
    """Escape chart text for GitHub-flavoured Markdown: no emphasis, link, autolink, HTML,
    table structure or bidi control can come from it."""
    if len(text) > MEMO_TEXT_MAX:
        return _escaped(text)
    return _remembered(text)


def md_once(text: str) -> str:
    """``md`` for text one chart holds and the next will not (its references, its data notes
    naming them): escaped directly, never put into the memory of recurring texts, where it
    would only push those out (a bench chart's notes: 2.3 -> 1.5 us a note)."""
    return _escaped(text)


def _escaped(text: str) -> str:
    if _SIMPLE.fullmatch(text):
        return text.replace("-", "\\-")
    return escape(_defang(plain(text)))


_remembered = lru_cache(maxsize=8192)(_escaped)  # the same texts (chart values, table rows) recur


def truncate(text: str, limit: int = SUMMARY_MAX) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


def summary(prefix: str, description: str) -> str:
    """``prefix, description`` under 140 characters, shortening the description first."""
    desc = plain(description)
    if desc and len(desc) > 1 and not desc[1].isupper():
        desc = desc[0].lower() + desc[1:]
    if not desc:
        return truncate(prefix)
    room = SUMMARY_MAX - len(prefix) - 2
    if room < 12:
        return truncate(prefix)
    return f"{prefix}, {truncate(desc, room)}"


def source_text(source: Source | None) -> str:
    if source is None:
        return "not recorded"
    parts = []
    if source.text:
        parts.append(md(source.text))
    parts.append(md(source.reference))
    if source.date:
        parts.append(md(source.date[:10]))
    if source.status and source.status not in ROUTINE_STATUSES:
        parts.append(f"status {md(source.status)}")
    return ", ".join(parts)
