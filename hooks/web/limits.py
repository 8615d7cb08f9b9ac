"""Input limits: request body size, JSON nesting depth and FHIR resource count.

``BodyLimitMiddleware`` is plain ASGI and runs before routing (inside
``hooks.web.edge.EdgeMiddleware``), so an oversized or pathologically
nested body is refused before routing, validation or any parser sees it: 413 for a body over
the byte limit (by ``Content-Length`` or, for a streamed body, by counting) or with too many
FHIR resources, 400 for JSON nested deeper than the limit, 415 for a POST, PUT or PATCH whose
``Content-Type`` is not JSON (``application/json`` or ``application/fhir+json``, parameters
allowed; the SMART worksheet's pages also take HTML forms). The service parses its bodies as
JSON whatever the header says, so a body labelled ``text/plain`` must not slip past the JSON
checks: every body that reaches the application has been checked, whatever its declared
type. Each refusal is an OperationOutcome.
"""

from __future__ import annotations

import array
import itertools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hooks.fhir import json_numbers
from hooks.web.errors import operation_outcome
from hooks.web.ids import uuid4_text

DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024
#: A CDS Hooks request with a prefetched Bundle nests about 15 levels deep
#: (request > prefetch > Bundle > entry > resource > extension > value > coding ...).
DEFAULT_MAX_JSON_DEPTH = 64
DEFAULT_MAX_RESOURCES = 10_000

# A JSON string literal (the "unrolled" form of "(?:[^"\\]|\\.)*": same language, far fewer
# regex steps per character).
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_NOT_SYNTAX = bytes(set(range(256)) - set(b'"[]{}'))
_BRACKET_STEPS = bytes.maketrans(b"{[}]", b"\x01\x01\xff\xff")  # +1 / -1 as signed bytes


#: Media types a body may be declared as (RFC 9110 section 8.3.1: type and subtype are
#: case-insensitive; parameters such as ``charset`` are allowed and ignored).
JSON_MEDIA_TYPES = frozenset({"application/json", "application/fhir+json"})
#: Paths whose routes parse HTML forms, not JSON: the SMART worksheet's pages
#: (hooks.smart.pages). No media type is required there; their bodies are still checked.
FORM_PATH_PREFIXES = ("/smart/",)
_METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class LimitExceeded(Exception):
    """A request over a limit; ``status`` is 400 or 413, ``code`` the FHIR issue type."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH
    max_resources: int = DEFAULT_MAX_RESOURCES

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """``SARCOMA_CDS_MAX_BODY_BYTES``, ``_MAX_JSON_DEPTH``, ``_MAX_RESOURCES``; a bad value
        is a ``ValueError`` naming the variable (start-up fails)."""
        env = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for name, minimum in (
            ("max_body_bytes", 1024),
            ("max_json_depth", 16),
            ("max_resources", 10),
        ):
            variable = "SARCOMA_CDS_" + name.upper()
            raw = env.get(variable, "").strip()
            if not raw:
                continue
            if not raw.isdigit() or int(raw) < minimum:
                raise ValueError(f"{variable}={raw!r}: expected an integer of at least {minimum}")
            values[name] = int(raw)
        return cls(**values)


def check_document(document: Any, limits: Limits) -> None:
    """Raise ``LimitExceeded`` when parsed JSON nests too deep or holds too many resources."""
    resources = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
            if isinstance(node.get("resourceType"), str):
                resources += 1
                if resources > limits.max_resources:
                    raise LimitExceeded(
                        413, "too-costly", f"more than {limits.max_resources} FHIR resources"
                    )
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limits.max_json_depth:
            raise LimitExceeded(
                400, "structure", f"JSON nested deeper than {limits.max_json_depth}"
            )
        stack.extend((child, depth + 1) for child in children)


def _max_depth(brackets: bytes) -> int:
    """The deepest nesting of a string of brackets only."""
    if not brackets:
        return 0
    steps = array.array("b", brackets.translate(_BRACKET_STEPS))
    deepest: int = max(itertools.accumulate(steps))
    return deepest


#: Brackets of either kind as parentheses (``_max_depth`` counts them alike too).
_PARENTHESES = bytes.maketrans(b"{[}]", b"(())")
#: Longest bracket string, and most rounds, for ``_balanced_depth`` (beyond: ``_max_depth``).
_ROUNDS_MAX_LENGTH = 1 << 16
_ROUNDS_MAX = 256


def _balanced_depth(brackets: bytes) -> int | None:
    """The nesting depth of a balanced bracket string, by deleting the innermost pairs round by
    round (each round deletes every ``()`` present: exactly the innermost level, so the rounds
    to empty are the depth); None when it is not balanced or too long or deep for this."""
    if len(brackets) > _ROUNDS_MAX_LENGTH:
        return None
    rest = brackets.translate(_PARENTHESES)
    depth = 0
    while rest:
        inner = rest.replace(b"()", b"")
        if len(inner) == len(rest) or depth == _ROUNDS_MAX:
            return None  # unbalanced, or deep: the prefix sums decide
        rest = inner
        depth += 1
    return depth


def json_depth(raw: bytes) -> int:
    """The bracket nesting depth of (possibly malformed) JSON text, strings ignored."""
    return _max_depth(_JSON_STRING.sub(b"", raw).translate(None, delete=_NOT_BRACKETS))


#: Quotes kept, brackets as parentheses, every other byte deleted (``_outside_strings``).
_QUOTES_AND_BRACKETS = bytes.maketrans(b"{[}]", b"(())")
#: The brackets at even places of that text marked as letters: ``a`` opens, ``b`` closes.
_LETTERS = bytes.maketrans(b"()", b"ab")
#: Letters and parentheses swapped (the marks of the brackets of odd rank).
_SWAPPED = bytes.maketrans(b"ab()", b"()ab")
#: Letters back to brackets; the parentheses left (brackets inside strings) are deleted.
_OPEN_CLOSE = bytes.maketrans(b"ab", b"[]")


def _outside_strings(raw: bytes) -> bytes:
    """The brackets of ``raw`` outside its strings, in order, as ``[`` and ``]``; for text
    without an escaped quote, whose quotes alternate: opening, closing, opening...

    Of the quotes and brackets alone, the bracket of rank k among the brackets that stands at
    place i has i - k quotes before it: it lies inside a string exactly when i and k differ in
    parity (a UCUM unit such as ``mm[Hg]`` holds two). So the brackets at even places are
    marked, the quotes deleted, the marks at odd ranks swapped: a marked bracket is outside
    the strings, an unmarked one inside. Translations and slices only, each a loop in C over
    the bytes: on a 17 kB chart 3.5 us after the first translation, where deleting the ``""``
    pairs alone took 6 us.
    """
    syntax = raw.translate(_QUOTES_AND_BRACKETS, delete=_NOT_SYNTAX)
    marked = bytearray(syntax)
    marked[::2] = syntax[::2].translate(_LETTERS)
    ranked = marked.translate(None, delete=b'"')
    ranked[1::2] = ranked[1::2].translate(_SWAPPED)
    return bytes(ranked.translate(_OPEN_CLOSE, delete=b"()"))


def _exact_depth(brackets: bytes) -> int:
    # Deleting innermost pairs: 5 us instead of 10 us for the prefix sums on a 17 kB chart.
    depth = _balanced_depth(brackets)
    return depth if depth is not None else _max_depth(brackets)


#: Length of the windows of ``_within_depth``.
_WINDOW = 64


def _within_depth(brackets: bytes, limit: int) -> bool:
    """True only when no prefix of ``brackets`` (``[`` and ``]``) nests deeper than ``limit``:
    cut into windows of 64, the level anywhere in a window is at most the level before the
    window plus the opening brackets in it. False says nothing (``_exact_depth`` decides).

    A chart nests about 11 deep, and this bound comes to about 40: a dozen counts in C decide
    the common case in 1.8 us, where the exact depth by rounds took 5 us.
    """
    level = 0
    count = brackets.count
    for start in range(0, len(brackets), _WINDOW):
        opening = count(b"[", start, start + _WINDOW)
        if level + opening > limit:
            return False
        level += opening + opening - _WINDOW
    return True


def _quick_depth(raw: bytes) -> int | None:
    """``json_depth`` in a few passes over the bytes, or None when it cannot be sure: text with
    an escaped quote takes the exact path (its quotes do not simply alternate)."""
    if _escapes_a_quote(raw):
        return None
    return _exact_depth(_outside_strings(raw))


def _escapes_a_quote(raw: bytes) -> bool:
    # A backslash is one byte to look for (memchr); the two-byte search costs 14 us on a 17 kB
    # chart, and most bodies hold no backslash at all.
    return b"\\" in raw and b'\\"' in raw


_RESOURCE_TYPE = b'"resourceType"'


def check_json_body(raw: bytes, limits: Limits) -> None:
    """Check a JSON request body; malformed JSON is left for the application to report.

    The common case is decided on the raw bytes without parsing: the nesting depth by the
    brackets outside strings (``_outside_strings``), and the resource count bounded by the
    number of ``"resourceType"`` keys. Otherwise the document is parsed and walked.
    """
    if not _escapes_a_quote(raw):
        brackets = _outside_strings(raw)
        limit = limits.max_json_depth
        if not _within_depth(brackets, limit) and _exact_depth(brackets) > limit:
            raise LimitExceeded(400, "structure", f"JSON nested deeper than {limit}")
        # Each key takes 14 bytes: a body shorter than 14 * (max_resources + 1) bytes cannot
        # hold too many, and needs no count (4 us on a 17 kB chart).
        if (
            len(raw) // len(_RESOURCE_TYPE) <= limits.max_resources
            or raw.count(_RESOURCE_TYPE) <= limits.max_resources
        ):
            return
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        # The application's own parser (json.loads) recurses: never hand it deep nesting.
        if json_depth(raw) > limits.max_json_depth:
            raise LimitExceeded(
                400, "structure", f"JSON nested deeper than {limits.max_json_depth}"
            ) from None
        try:  # numbers orjson refuses are read by the application as text: count the resources
            document = json_numbers.loads(raw)
        except ValueError:
            return  # not JSON: the application answers 400
    check_document(document, limits)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: Limits | None = None) -> None:
        self.app = app
        self.limits = limits if limits is not None else Limits.from_env()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        content_type, declared = _body_headers(scope)
        if scope.get("method") in _METHODS_WITH_BODY and not _accepted(
            scope.get("path", ""), content_type or ""
        ):
            await _refuse(scope, receive, send, _unsupported(content_type))
            return
        maximum = self.limits.max_body_bytes
        if declared is not None:
            if not declared.strip().isdigit():
                await _refuse(
                    scope, receive, send, LimitExceeded(400, "invalid", "invalid Content-Length")
                )
                return
            if int(declared) > maximum:
                await _refuse(scope, receive, send, _too_large(maximum))
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > maximum:
                await _refuse(scope, receive, send, _too_large(maximum))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body:  # checked whatever the declared type: the application parses every body as JSON
            try:
                check_json_body(body, self.limits)
            except LimitExceeded as exc:
                await _refuse(scope, receive, send, exc)
                return

        await self.app(scope, BodyReplay(body, receive), send)


class BodyReplay:
    """The ``receive`` handed on after the body was read and checked: the whole body as one
    message, then the client's own ``receive``. An app that reads the body through a Starlette
    Request can take ``body`` directly instead (``take``: hooks.web.direct)."""

    __slots__ = ("body", "receive", "replayed")

    def __init__(self, body: bytes, receive: Receive) -> None:
        self.body = body
        self.receive = receive
        self.replayed = False

    async def __call__(self) -> Message:
        if not self.replayed:
            self.replayed = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        return await self.receive()

    def take(self) -> bytes | None:
        """The body, counted as received (as reading the message would), or None once it was."""
        if self.replayed:
            return None
        self.replayed = True
        return self.body


def _body_headers(scope: Scope) -> tuple[str | None, str | None]:
    """The first ``Content-Type`` and ``Content-Length`` values, as Starlette's ``Headers`` reads
    them (latin-1; the header list made a list in the scope as it does), in one pass: 0.5 us
    less per request than building ``Headers`` and looking each name up."""
    raw = scope["headers"]
    if not isinstance(raw, list):
        raw = scope["headers"] = list(raw)
    content_type = declared = None
    for key, value in raw:
        if key == b"content-type":
            if content_type is None:
                content_type = value.decode("latin-1")
        elif key == b"content-length" and declared is None:
            declared = value.decode("latin-1")
    return content_type, declared


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in JSON_MEDIA_TYPES


def _accepted(path: str, content_type: str) -> bool:
    """JSON anywhere; on the worksheet's form paths, whatever the page's own parser decides
    (a form, or nothing: a POST without a session is answered by the route)."""
    return _is_json(content_type) or path.startswith(FORM_PATH_PREFIXES)


def _unsupported(content_type: str | None) -> LimitExceeded:
    shown = "no Content-Type" if not content_type else f"Content-Type {content_type[:60]!r}"
    return LimitExceeded(
        415, "not-supported", f"{shown}: send application/json or application/fhir+json"
    )


def _too_large(maximum: int) -> LimitExceeded:
    return LimitExceeded(413, "too-long", f"request body larger than {maximum} bytes")


async def _refuse(scope: Scope, receive: Receive, send: Send, exc: LimitExceeded) -> None:
    # The correlation id set by hooks.web.edge.EdgeMiddleware (around this one), if any.
    state = scope.get("state") or {}
    rid = state.get("request_id") if isinstance(state, dict) else None
    response = operation_outcome(
        exc.status, exc.code, exc.message, rid if isinstance(rid, str) else uuid4_text()
    )
    await response(scope, receive, send)
