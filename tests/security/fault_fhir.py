"""A FHIR server that misbehaves on purpose, run by uvicorn on 127.0.0.1 for fault tests.

The first path segment picks the behaviour, the rest is an ordinary FHIR R4 base:
``/ok/fhir`` serves each patient's synthetic chart (``tests.security.patients``) after a
small random delay, so concurrent requests interleave; ``/slow/fhir`` answers after 30 s;
``/error500``, ``/unauthorized`` and ``/garbage`` answer 500, 401 and HTML; ``/huge`` streams
an endless JSON string.
"""

from __future__ import annotations

import asyncio
import random
import re
from typing import Any

import orjson
from starlette.types import Receive, Scope, Send

from tests.security.patients import condition, patient, searchset, tumor_size

#: Requests received per behaviour, served at ``/stats`` (tests wait on it).
SEEN: dict[str, int] = {}
PATIENT_ID = re.compile(r"(?:^|&)patient=(?:Patient/)?([A-Za-z0-9.\-]+)")


def size_for(pid: str) -> float:
    """Each synthetic patient's tumor size: distinct per patient, so results can be told apart."""
    number = int(pid.rsplit("-", 1)[-1]) if pid.rsplit("-", 1)[-1].isdigit() else 0
    return round(1.0 + number * 0.3, 1)


def chart_response(path: str, query: str) -> tuple[int, Any]:
    parts = path.strip("/").split("/")  # [mode, "fhir", Type, id?]
    if len(parts) == 4 and parts[2] == "Patient":
        return 200, patient(parts[3])
    match = PATIENT_ID.search(query)
    if len(parts) != 3 or match is None:
        return 404, {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "not-found"}],
        }
    pid = match.group(1)
    if parts[2] == "Condition":
        return 200, searchset(condition(pid))
    if parts[2] == "Observation":
        return 200, searchset(tumor_size(pid, size_for(pid)))
    return 200, searchset()


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    path: str = scope["path"]
    query = scope["query_string"].decode("latin-1")
    mode = path.strip("/").split("/", 1)[0]
    headers = [(b"content-type", b"application/fhir+json")]
    SEEN[mode] = SEEN.get(mode, 0) + 1
    if mode == "healthz":
        await _answer(send, 200, b"{}", headers)
    elif mode == "stats":
        await _answer(send, 200, orjson.dumps(SEEN), headers)
    elif mode == "ok":
        await asyncio.sleep(random.uniform(0, 0.05))  # noqa: S311 (jitter, not security)
        status, body = chart_response(path, query)
        await _answer(send, status, orjson.dumps(body), headers)
    elif mode == "slow":
        if await _disconnected_within(receive, 30):
            return
        status, body = chart_response(path.replace("/slow/", "/ok/", 1), query)
        await _answer(send, status, orjson.dumps(body), headers)
    elif mode == "error500":
        await _answer(
            send, 500, b"Internal error: stack trace here", [(b"content-type", b"text/plain")]
        )
    elif mode == "unauthorized":
        await _answer(
            send, 401, b'{"error": "invalid_token"}', [(b"content-type", b"application/json")]
        )
    elif mode == "garbage":
        await _answer(
            send, 200, b"<html><body>not FHIR</body></html>", [(b"content-type", b"text/html")]
        )
    elif mode == "huge":
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {
                "type": "http.response.body",
                "body": b'{"resourceType": "Bundle", "x": "',
                "more_body": True,
            }
        )
        chunk = b"x" * (1024 * 1024)
        for _ in range(64):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b'"}'})
    else:
        await _answer(send, 404, b"{}", headers)


async def _disconnected_within(receive: Receive, seconds: float) -> bool:
    """Wait up to ``seconds``; True as soon as the client goes away (so shutdown is prompt)."""
    try:
        async with asyncio.timeout(seconds):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        return False
    return True


async def _answer(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
