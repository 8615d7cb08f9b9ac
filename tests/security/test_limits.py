"""Input limits: body size (declared and streamed), JSON depth, FHIR resource count."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from hypothesis import given, settings
from hypothesis import strategies as st

from hooks.web.limits import (
    BodyLimitMiddleware,
    LimitExceeded,
    Limits,
    check_document,
    check_json_body,
    json_depth,
)
from hooks.web.limits import _quick_depth as quick_depth

pytestmark = pytest.mark.anyio

JSON = {"content-type": "application/json"}
LIMITS = Limits(max_body_bytes=10_000, max_json_depth=20, max_resources=5)


def echo_app(limits: Limits = LIMITS) -> FastAPI:
    app = FastAPI()
    app.add_middleware(BodyLimitMiddleware, limits=limits)

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, Any]:
        body = await request.body()
        return {"bytes": len(body)}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=echo_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c


def assert_outcome(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == code
    assert body["issue"][0]["severity"] == "error"


def nested(depth: int) -> str:
    return "[" * (depth - 1) + "{}" + "]" * (depth - 1)


async def test_body_within_limit_reaches_the_app(client: httpx.AsyncClient) -> None:
    response = await client.post("/echo", content=b"x" * 9_000, headers=JSON)
    assert response.json() == {"bytes": 9_000}


async def test_declared_content_length_over_limit_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/echo", content=b"x" * 10_001, headers=JSON)
    assert_outcome(response, 413, "too-long")


async def test_streamed_body_over_limit_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"x" * 1_000

    response = await client.post("/echo", content=chunks(), headers=JSON)
    assert "content-length" not in response.request.headers
    assert_outcome(response, 413, "too-long")


async def test_streamed_body_within_limit_is_replayed_whole(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(9):
            yield b"y" * 1_000

    response = await client.post("/echo", content=chunks(), headers=JSON)
    assert response.json() == {"bytes": 9_000}


async def test_lying_content_length_is_still_capped() -> None:
    """A small Content-Length followed by a larger body is cut at the byte limit."""
    app = echo_app()
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": b"z" * 6_000, "more_body": True}] * 3

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/echo",
        "raw_path": b"/echo",
        "root_path": "",
        "scheme": "http",
        "query_string": b"",
        "headers": [(b"content-length", b"10"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "http_version": "1.1",
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 413


@pytest.mark.parametrize("value", ["abc", "-1", "1e9", " "])
async def test_invalid_content_length_is_400(value: str) -> None:
    middleware = BodyLimitMiddleware(echo_app(), LIMITS)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/echo",
        "headers": [(b"content-length", value.encode()), (b"content-type", b"application/json")],
    }
    await middleware(scope, receive, send)
    assert sent[0]["status"] == 400


async def test_json_nested_too_deep_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/echo", content=nested(21), headers={"content-type": "application/json"}
    )
    assert_outcome(response, 400, "structure")
    ok = await client.post(
        "/echo", content=nested(20), headers={"content-type": "application/json"}
    )
    assert ok.status_code == 200


async def test_malformed_deep_json_is_400_before_any_recursive_parser(
    client: httpx.AsyncClient,
) -> None:
    """Beyond orjson's own depth limit, or truncated: counted without parsing."""
    for body in ("[" * 5_000, "[" * 900 + "x", '{"a": ' * 1_500):
        response = await client.post(
            "/echo", content=body, headers={"content-type": "application/fhir+json"}
        )
        assert_outcome(response, 400, "structure")


async def test_malformed_shallow_json_is_left_to_the_app(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/echo", content=b'{"a": [1, 2', headers={"content-type": "application/json"}
    )
    assert response.json() == {"bytes": 11}


async def test_brackets_inside_strings_do_not_count(client: httpx.AsyncClient) -> None:
    body = json.dumps({"note": "[" * 500 + '{"' + "]" * 500})
    response = await client.post(
        "/echo", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200


async def test_too_many_resources_is_413(client: httpx.AsyncClient) -> None:
    bundle = {
        "resourceType": "Bundle",
        "entry": [{"resource": {"resourceType": "Observation", "id": str(i)}} for i in range(5)],
    }
    response = await client.post("/echo", json={"prefetch": {"obs": bundle}})
    assert_outcome(response, 413, "too-costly")
    bundle["entry"] = bundle["entry"][:4]
    assert (await client.post("/echo", json={"prefetch": {"obs": bundle}})).status_code == 200


NOT_JSON_TYPES = (
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "application/json-patch+json",
    "application/jsonx",
)


@pytest.mark.parametrize("content_type", NOT_JSON_TYPES)
async def test_a_body_not_declared_json_is_415(
    client: httpx.AsyncClient, content_type: str
) -> None:
    """The declared type no longer decides whether the limits apply: a deep or resource-heavy
    JSON body sent as text, form or multipart is refused before any parser sees it."""
    for body in (nested(50), json.dumps(many_resources(6)), '{"hook": "patient-view"}'):
        response = await client.post("/echo", content=body, headers={"content-type": content_type})
        assert_outcome(response, 415, "not-supported")


async def test_a_body_without_content_type_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post("/echo", content=nested(50))
    assert "content-type" not in response.request.headers
    assert_outcome(response, 415, "not-supported")
    assert "no Content-Type" in response.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/fhir+json",
        "Application/JSON; charset=utf-8",
        "application/fhir+json;fhirVersion=4.0",
    ],
)
async def test_json_types_with_parameters_are_accepted_and_checked(
    client: httpx.AsyncClient, content_type: str
) -> None:
    headers = {"content-type": content_type}
    assert (await client.post("/echo", content=b"{}", headers=headers)).status_code == 200
    deep = await client.post("/echo", content=nested(50), headers=headers)
    assert_outcome(deep, 400, "structure")
    heavy = await client.post("/echo", content=json.dumps(many_resources(6)), headers=headers)
    assert_outcome(heavy, 413, "too-costly")


async def test_get_needs_no_content_type(client: httpx.AsyncClient) -> None:
    assert (await client.get("/echo")).status_code == 405  # the route's own answer, not 415


def many_resources(count: int) -> dict[str, Any]:
    entries = [{"resource": {"resourceType": "Condition", "id": str(i)}} for i in range(count)]
    return {"resourceType": "Bundle", "entry": entries}


def test_json_depth_counts_brackets_not_strings() -> None:
    assert json_depth(b"") == 0
    assert json_depth(b'{"a": [1, {"b": "[[[["}]}') == 3
    assert json_depth(b'"\\"[[["') == 0


def parsed_depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((parsed_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((parsed_depth(v) for v in value), default=0)
    return 0


def test_quick_depth_is_exact_or_declines() -> None:
    assert quick_depth(b'{"a": [1, {"b": ""}], "": {}}') == 3
    assert quick_depth(b"[]") == 1
    assert quick_depth(b'"x"') == 0
    # brackets inside strings (UCUM units such as mm[Hg]) do not count
    assert quick_depth(b'{"a": "[[[", "u": "mm[Hg]", "b": [""]}') == 2
    # an escaped quote: it cannot be sure, the exact path decides
    assert quick_depth(b'{"a": "say \\"x\\""}') is None
    assert quick_depth(b'{"a": "ends with a backslash \\\\"}') is None


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='ab{}[]"\\ ,:', max_size=6),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(alphabet='k{]"\\', max_size=3), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_quick_depth_agrees_with_the_parsed_depth(value: Any) -> None:
    raw = json.dumps(value).encode()
    quick = quick_depth(raw)
    assert quick is None or quick == parsed_depth(value)
    assert json_depth(raw) == parsed_depth(value)


def test_check_document_and_body_helpers() -> None:
    check_document({"a": [{"b": 1}]}, LIMITS)
    with pytest.raises(LimitExceeded) as info:
        check_document(json.loads(nested(21)), LIMITS)
    assert info.value.status == 400
    with pytest.raises(LimitExceeded) as info:
        check_json_body(json.dumps([{"resourceType": "X"}] * 6).encode(), LIMITS)
    assert info.value.status == 413


def test_limits_from_env() -> None:
    assert Limits.from_env({}) == Limits()
    limits = Limits.from_env(
        {"SARCOMA_CDS_MAX_BODY_BYTES": "2048", "SARCOMA_CDS_MAX_JSON_DEPTH": "32"}
    )
    assert (limits.max_body_bytes, limits.max_json_depth) == (2048, 32)
    for bad in ("0", "-5", "many", "100"):
        with pytest.raises(ValueError, match="SARCOMA_CDS_MAX_BODY_BYTES"):
            Limits.from_env({"SARCOMA_CDS_MAX_BODY_BYTES": bad})
