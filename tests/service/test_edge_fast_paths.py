"""The edge's shortcuts give what the general code they stand in for gives.

``_vary_origin`` (a request without ``Origin``) must leave a response's headers exactly as
Starlette's ``CORSMiddleware.send`` followed by the request-id rewrite did, and the body the
limits hand over (``BodyReplay.take``) must be what reading the replayed message gave, and the
service's ``JsonBody`` must be the response ``Response`` builds for the same bytes.
"""

from __future__ import annotations

import itertools
from typing import Any

import anyio
import pytest
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message

from hooks.web.app import JsonBody
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


@pytest.mark.parametrize("body", [b"", b'{"cards":[]}', b'{"cards":["\xc3\xa9"]}' * 500])
def test_a_json_body_is_the_response_starlette_builds(body: bytes) -> None:
    built = JsonBody(body)
    general = Response(body, media_type="application/json")
    assert vars(built) == vars(general)
    assert isinstance(built, Response)

    async def messages(response: Response) -> list[Message]:
        sent: list[Message] = []

        async def send(message: Message) -> None:
            sent.append(message)

        await response({"type": "http"}, client_receive_never, send)
        return sent

    assert anyio.run(messages, built) == anyio.run(messages, general)


async def client_receive_never() -> Message:
    raise AssertionError("a response does not read the request")
