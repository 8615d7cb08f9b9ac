"""The edge's shortcuts give what the general code they stand in for gives.

``_vary_origin`` (a request without ``Origin``) must leave a response's headers exactly as
Starlette's ``CORSMiddleware.send`` followed by the request-id rewrite did, and the body the
limits hand over (``BodyReplay.take``) must be what reading the replayed message gave.
"""

from __future__ import annotations

import itertools
from typing import Any

import anyio
import pytest
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.types import Message

from hooks.web.edge import _REQUEST_ID, _vary_origin
from hooks.web.limits import BodyReplay

RID = (_REQUEST_ID, b"the-id")
PIECES: list[tuple[bytes, bytes]] = [
    (b"content-type", b"application/json"),
    (b"vary", b"Accept-Encoding"),
    (b"x-request-id", b"stale"),
    (b"X-Request-ID", b"stale-upper"),
    (b"vary", b"Cookie"),
    (b"content-length", b"12"),
]


def _by_cors_then_id(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The headers as ``cors.send`` and the edge's former ``send_with_id`` left them."""
    cors = CORSMiddleware(lambda *a: None, allow_origins=["https://a.example"])
    sent: list[Message] = []

    async def send_with_id(message: Message) -> None:
        raw = message.get("headers", [])
        headers = [(k, v) for k, v in raw if k.lower() != _REQUEST_ID]
        headers.append(RID)
        message["headers"] = headers
        sent.append(message)

    message = {"type": "http.response.start", "status": 200, "headers": list(raw)}
    no_origin = Headers(scope={"type": "http", "headers": [(b"host", b"x")]})
    anyio.run(cors.send, message, send_with_id, no_origin)
    headers: list[tuple[bytes, bytes]] = sent[0]["headers"]
    return headers


@pytest.mark.parametrize(
    "raw",
    [list(c) for n in range(len(PIECES) + 1) for c in itertools.permutations(PIECES, n)][::7],
)
def test_vary_origin_is_cors_then_the_request_id(raw: list[tuple[bytes, bytes]]) -> None:
    assert _vary_origin(list(raw), RID) == _by_cors_then_id(raw)


def test_vary_origin_on_every_small_case() -> None:
    for n in range(4):
        for combo in itertools.product(PIECES, repeat=n):
            assert _vary_origin(list(combo), RID) == _by_cors_then_id(list(combo))


def test_the_handed_over_body_is_the_replayed_one() -> None:
    received: list[str] = []

    async def client_receive() -> Message:
        received.append("client")
        return {"type": "http.disconnect"}

    async def read(handover: bool) -> tuple[bytes, Any]:
        replay = BodyReplay(b'{"a": 1}', client_receive)
        request = Request({"type": "http", "headers": []}, replay)
        if handover:
            body = replay.take()
            assert body is not None
            request._body = body
            request._stream_consumed = True
            assert replay.take() is None  # taken once, as the message is received once
        return await request.body(), await replay()

    received.clear()
    by_message = anyio.run(read, False)
    assert received == ["client"]  # the replayed message was read; the next is the client's
    received.clear()
    assert anyio.run(read, True) == by_message
    assert received == ["client"]
