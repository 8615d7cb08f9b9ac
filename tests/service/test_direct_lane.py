"""The direct lane (hooks.web.direct) answers exactly as FastAPI's full stack would.

Two apps built alike, one with the lane and one without it (``DirectLane`` replaced by the
app it wraps), get the same requests: every status, header and body must be the same, for
answers, refusals, unknown paths, the endpoints the lane leaves to the router, and failures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.routing import Host

from hooks.fhir.text import MEMO_TEXT_MAX
from hooks.web import edge
from hooks.web.app import create_app
from hooks.web.direct import KNOWN_PATHS_MAX, DirectLane
from hooks.web.errors import AuthenticationError
from hooks.web.settings import Settings
from tests.service.harness import FIXED_NOW, sequential_uuid_factory

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "cases"
SERVICE = "/cds-services/sarcoma-staging"


def _staged() -> dict[str, Any]:
    path = sorted(GOLDEN.glob("*.request.json"))[0]
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


class _Refuses:
    """An authenticator that refuses every caller without a token."""

    async def authenticate(self, request: Any) -> Any:
        if "authorization" not in request.headers:
            raise AuthenticationError("no Authorization header")
        return "caller"


def _failing_pipeline(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("staging failed")


REQUESTS: list[tuple[str, str, Any, dict[str, str]]] = [
    ("POST", SERVICE, _staged(), {}),
    ("POST", SERVICE, b"{not json", {}),
    ("POST", SERVICE, [1, 2], {}),
    ("POST", SERVICE, {"hook": "order-select"}, {}),
    ("POST", SERVICE, {**_staged(), "hook": "order-sign"}, {}),
    ("POST", "/cds-services/no-such-service", _staged(), {}),
    ("POST", "/cds-services/%2e%2e", _staged(), {}),
    ("POST", SERVICE + "/", _staged(), {}),
    ("POST", SERVICE + "/feedback", {"feedback": []}, {}),
    ("POST", "/cds-services", _staged(), {}),
    ("POST", "/no/such/path", {}, {}),
    ("GET", SERVICE, None, {}),
    ("POST", SERVICE, _staged(), {"Content-Type": "text/plain"}),
]


async def _answers(app: FastAPI, requests: list[tuple[str, str, Any, dict[str, str]]]) -> list[Any]:
    answers = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            for n, (method, path, body, headers) in enumerate(requests):
                sent = {"X-Request-ID": f"lane-test-{n:04d}", **headers}
                content = body if isinstance(body, bytes) else json.dumps(body).encode()
                if "Content-Type" not in sent:
                    sent["Content-Type"] = "application/json"
                response = await c.request(
                    method, path, content=None if body is None else content, headers=sent
                )
                answers.append(
                    (response.status_code, sorted(response.headers.items()), response.content)
                )
    return answers


def _build(settings: Settings, **kwargs: Any) -> FastAPI:
    return create_app(
        settings, uuid_factory=sequential_uuid_factory(), clock=lambda: FIXED_NOW, **kwargs
    )


def _lane_of(app: FastAPI) -> DirectLane:
    layer: Any = app.middleware_stack
    while not isinstance(layer, edge.EdgeMiddleware):
        layer = layer.app
    lane = layer.limited.app
    assert isinstance(lane, DirectLane)
    return lane


def _compare(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, **kwargs: Any
) -> tuple[list[Any], FastAPI]:
    async def both() -> tuple[list[Any], list[Any], FastAPI]:
        with_lane = _build(settings, **kwargs)
        on = await _answers(with_lane, REQUESTS)
        with monkeypatch.context() as patched:
            patched.setattr(edge, "DirectLane", lambda app: app)
            off = await _answers(_build(settings, **kwargs), REQUESTS)
        return on, off, with_lane

    on, off, app = anyio.run(both)
    assert on == off
    return on, app


def test_the_lane_answers_as_the_full_stack(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers, app = _compare(settings, monkeypatch)
    assert answers[0][0] == 200
    assert b'"cards"' in answers[0][2]
    assert [a[0] for a in answers[1:6]] == [400, 400, 400, 400, 404]
    lane = _lane_of(app)
    assert lane.handlers is not None
    won = lane.known[("", SERVICE)]
    assert won is not None
    assert won[0].endpoint.__name__ == "call_service"
    assert won[1] == {"service_id": "sarcoma-staging"}
    assert lane.known[("", SERVICE + "/feedback")] is None  # a route with dependencies
    assert ("", "/no/such/path") in lane.known
    assert lane.known[("", "/no/such/path")] is None


def test_refusals_and_failures_are_answered_alike(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused, _ = _compare(settings, monkeypatch, authenticator=_Refuses())
    assert refused[0][0] == 401
    failed, _ = _compare(settings, monkeypatch, pipeline=_failing_pipeline)
    assert failed[0][0] == 500
    assert b"internal error" in failed[0][2]


def _lane_for(app: FastAPI) -> DirectLane:
    return DirectLane(ExceptionMiddleware(app.router, handlers={}))


def test_paths_remembered_are_bounded(settings: Settings) -> None:
    app = _build(settings)
    lane = _lane_for(app)
    scope: dict[str, Any] = {"app": app}
    for n in range(KNOWN_PATHS_MAX + 40):
        lane._route(scope, ("", f"/cds-services/s{n}"))
    assert len(lane.known) == KNOWN_PATHS_MAX
    fresh = _lane_for(app)
    long = "/cds-services/" + "x" * (MEMO_TEXT_MAX - len("/cds-services/"))
    assert fresh._route(scope, ("", long + "y")) is not None  # answered, not kept
    assert ("", long + "y") not in fresh.known
    assert fresh._route(scope, ("", long)) is not None
    assert ("", long) in fresh.known


def test_the_lane_stands_aside_for_host_routes_and_other_stacks(settings: Settings) -> None:
    app = _build(settings)
    app.router.routes.insert(0, Host("example.org", app=FastAPI()))
    lane = _lane_for(app)
    assert lane._route({"app": app}, ("", SERVICE)) is None
    assert lane.known == {}  # a Host route's verdict depends on the request: never kept
    assert DirectLane(app.router).handlers is None  # not the ExceptionMiddleware it needs


def test_a_route_matched_first_wins_as_in_the_router(settings: Settings) -> None:
    app = _build(settings)

    @app.post("/cds-services/{anything}")
    async def earlier(anything: str) -> dict[str, str]:
        return {"earlier": anything}

    app.router.routes.insert(0, app.router.routes.pop())  # now first: it wins the path
    lane = _lane_for(app)
    assert lane._route({"app": app}, ("", SERVICE)) is None
