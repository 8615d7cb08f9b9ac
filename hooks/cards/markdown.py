"""Markdown helpers shared by the cards: escaping chart text, summaries under 140 characters,
and naming where a value came from.

CDS Hooks 2.0 (Card.detail) renders ``detail`` as GitHub-flavoured Markdown. Text from the chart
is escaped so that it stays inert: no emphasis, link, HTML or table structure can come from it.
"""

from __future__ import annotations

from functools import lru_cache

from hooks.fhir.model import Source

SUMMARY_MAX = 139
DISCLAIMER = (
    "_Decision support only: check against the pathology report and the treating team's "
    "judgement before acting._"
)
# Resource statuses not worth showing next to a value (anything else, e.g. preliminary, is).
ROUTINE_STATUSES = frozenset({"final", "amended", "corrected", "active", "confirmed"})

_MD_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()<>#+-.!|~&"})


@lru_cache(maxsize=8192)  # the same texts (chart values, table rows) recur in every response
def md(text: str) -> str:
    """Escape chart text for GitHub-flavoured Markdown (no emphasis, links, HTML or tables)."""
    return " ".join(text.split()).translate(_MD_ESCAPES)


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
    desc = " ".join(description.split())
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
