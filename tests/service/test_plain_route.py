"""``hooks.web.plain_route.PlainRoute``: the endpoint gets its path parameters and the request,
and a route declaring anything it would not resolve is refused when built."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response

from hooks.web.plain_route import PlainRoute


@pytest.mark.anyio
async def test_the_endpoint_gets_the_path_parameter_and_the_request() -> None:
    app = FastAPI()

    async def endpoint(service_id: str, request: Request) -> Any:
        body = await request.body()
        return Response(f"{service_id}:{request.method}:{body.decode()}", media_type="text/plain")

    app.router.add_api_route(
        "/s/{service_id}", endpoint, methods=["POST"], route_class_override=PlainRoute
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.post("/s/abc", content=b"hello")
        assert (answer.status_code, answer.text) == (200, "abc:POST:hello")
        assert (await client.get("/s/abc")).status_code == 405
    assert "/s/{service_id}" in app.openapi()["paths"]


def _dependency() -> int:
    return 1


async def with_dependency(
    service_id: str, request: Request, n: Annotated[int, Depends(_dependency)]
) -> Any:
    return Response()


async def with_query(service_id: str, request: Request, q: int = 0) -> Any:
    return Response()


async def with_int_path(service_id: int, request: Request) -> Any:
    return Response()


async def without_request(service_id: str) -> Any:
    return Response()


@pytest.mark.parametrize("endpoint", [with_dependency, with_query, with_int_path, without_request])
def test_an_endpoint_with_more_than_path_text_and_request_is_refused(endpoint: Any) -> None:
    app = FastAPI()
    with pytest.raises(TypeError):
        app.router.add_api_route(
            "/s/{service_id}", endpoint, methods=["POST"], route_class_override=PlainRoute
        )
