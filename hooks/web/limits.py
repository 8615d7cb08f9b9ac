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
from starlette.datastructures import Headers
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


def _quick_depth(raw: bytes) -> int | None:
    """``json_depth`` in a few passes over the bytes, or None when it cannot be sure.

    Without escaped quotes, quotes alternate: opening, closing, opening... Delete every
    character but quotes and brackets, drop adjacent ``""`` pairs (the many strings holding no
    bracket; dropping two adjacent quotes keeps the parity of the quotes before every bracket),
    then keep what lies outside quotes (a bracket inside a string, as in the UCUM unit
    ``mm[Hg]``, is dropped). Text with an escaped quote takes the exact path (None).
    """
    # A backslash is one byte to look for (memchr); the two-byte search costs 14 us on a 17 kB
    # chart, and most bodies hold no backslash at all.
    if b"\\" in raw and b'\\"' in raw:
        return None
    syntax = raw.translate(None, delete=_NOT_SYNTAX).replace(b'""', b"")
    if b'"' in syntax:
        syntax = b"".join(syntax.split(b'"')[::2])
    # Deleting innermost pairs: 5 us instead of 10 us for the prefix sums on a 17 kB chart.
    depth = _balanced_depth(syntax)
    return depth if depth is not None else _max_depth(syntax)


def check_json_body(raw: bytes, limits: Limits) -> None:
    """Check a JSON request body; malformed JSON is left for the application to report.

    The common case is decided on the raw bytes without parsing: the nesting depth by
    ``_quick_depth``, and the resource count bounded by the number of ``"resourceType"`` keys.
    Otherwise the document is parsed and walked.
    """
    depth = _quick_depth(raw)
    if depth is not None:
        if depth > limits.max_json_depth:
            raise LimitExceeded(
                400, "structure", f"JSON nested deeper than {limits.max_json_depth}"
            )
        if raw.count(b'"resourceType"') <= limits.max_resources:
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
        headers = Headers(scope=scope)
        if scope.get("method") in _METHODS_WITH_BODY and not _accepted(
            scope.get("path", ""), headers.get("content-type", "")
        ):
            await _refuse(scope, receive, send, _unsupported(headers.get("content-type")))
            return
        maximum = self.limits.max_body_bytes
        declared = headers.get("content-length")
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

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


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
