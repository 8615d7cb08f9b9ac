"""URLs the service sends the EHR's access token to: kept under ``fhirServer``.

A URL is compared with the FHIR base only after RFC 3986 normalization (section 5.2.4,
``remove_dot_segments``), with percent-encoded dots (``%2e``, RFC 3986 section 2.3: an encoded
unreserved character is equivalent to the character) decoded first, because that is what a
server does before routing: ``https://ehr/fhir/../admin`` starts with ``https://ehr/fhir/`` as
text but names ``https://ehr/admin``. Encoded slashes and backslashes (``%2f``, ``%5c``, ``\\``)
are refused outright: servers disagree on whether they separate segments.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_ENCODED_DOT = re.compile(r"%2e", re.IGNORECASE)
_AMBIGUOUS = re.compile(r"%2f|%5c|\\", re.IGNORECASE)


class OutsideBase(ValueError):
    """The URL does not stay under the FHIR base (or cannot be read unambiguously)."""


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, as written (``/a/b/../c`` -> ``/a/c``, ``/./a`` -> ``/a``)."""
    output: list[str] = []
    rest = path
    while rest:
        if rest.startswith("../"):
            rest = rest[3:]
        elif rest.startswith(("./", "/./")):
            rest = rest[2:]
        elif rest == "/.":
            rest = "/"
        elif rest.startswith("/../"):
            rest = rest[3:]
            if output:
                output.pop()
        elif rest == "/..":
            rest = "/"
            if output:
                output.pop()
        elif rest in {".", ".."}:
            rest = ""
        else:
            start = 1 if rest.startswith("/") else 0
            end = rest.find("/", start)
            end = len(rest) if end == -1 else end
            output.append(rest[:end])
            rest = rest[end:]
    return "".join(output)


def has_dot_segments(path: str) -> bool:
    """Whether ``path`` holds a ``.`` or ``..`` segment, plain or percent-encoded."""
    segments = _ENCODED_DOT.sub(".", path).split("/")
    return any(segment in {".", ".."} for segment in segments)


def under_base(url: str, base: str) -> str:
    """``url`` in normalized form when it lies under the FHIR ``base`` (the base itself with a
    query, or a path below it), else ``OutsideBase``. The normalized form is what to request:
    what was checked is what is sent."""
    target = urlsplit(url)
    root = urlsplit(base)
    if target.scheme.lower() != root.scheme.lower() or target.netloc.lower() != root.netloc.lower():
        raise OutsideBase("another scheme, host, port or user information")
    if _AMBIGUOUS.search(target.path):
        raise OutsideBase("an encoded slash or backslash in the path")
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        raise OutsideBase("whitespace or control characters")
    path = remove_dot_segments(_ENCODED_DOT.sub(".", target.path))
    base_path = remove_dot_segments(root.path).rstrip("/")
    if path.rstrip("/") != base_path and not path.startswith(base_path + "/"):
        raise OutsideBase("a path outside the FHIR base")
    if path.rstrip("/") == base_path and not target.query:
        raise OutsideBase("the FHIR base itself, not a resource or search")
    return urlunsplit((root.scheme, root.netloc, path, target.query, ""))
