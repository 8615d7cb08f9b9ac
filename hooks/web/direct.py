"""``DirectLane``: the CDS service endpoint called without FastAPI's inner stack.

Between the app's own middleware and an endpoint, every request passes Starlette's
``ExceptionMiddleware`` (a Request and a wrapped ``send``), FastAPI's exit-stack middleware,
the router's walk over every route, and the route's own exception wrapper with two more exit
stacks and a second Request: about 0.04 ms per request, measured in process on new charts, for
an endpoint that needs none of it (a ``PlainRoute``: no dependencies, no body model; see
``hooks.web.plain_route``).

The lane keeps the routing exact: the first time a POST path is seen, the router's own matching
decides (every route in order, the first full match wins, as ``Router.app`` walks them), and
the path is remembered with the verdict. A path won by a ``PlainRoute`` is then answered by
calling its endpoint with the route's path parameters and a Request; an exception it raises is
answered by the same handler the stack would have used (``ExceptionMiddleware``'s own tables,
looked up as ``starlette._exception_handler`` does), and any other path goes through the full
stack as before. The lane stands aside (full stack) when FastAPI's telemetry is on for the
request (it records the selected route), when a route's match could depend on more than the
method and path (a ``Host`` route), or when the app below is not the ``ExceptionMiddleware``
whose tables it needs.
"""

from __future__ import annotations

from typing import Any

from starlette._utils import is_async_callable
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Host, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from hooks.fhir.text import MEMO_TEXT_MAX
from hooks.web.limits import BodyReplay
from hooks.web.plain_route import PlainRoute

#: Paths remembered (each with its verdict); beyond, new paths are routed by the full stack.
KNOWN_PATHS_MAX = 256

_Verdict = tuple[PlainRoute, dict[str, Any]] | None


class DirectLane:
    """Calls a ``PlainRoute`` endpoint for a POST path it wins; everything else to ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.handlers: tuple[dict[Any, Any], dict[int, Any]] | None = None
        if isinstance(app, ExceptionMiddleware):
            handlers = getattr(app, "_exception_handlers", None)
            status_handlers = getattr(app, "_status_handlers", None)
            if isinstance(handlers, dict) and isinstance(status_handlers, dict):
                self.handlers = (handlers, status_handlers)
        self.known: dict[tuple[str, str], _Verdict] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.handlers is None
            or scope["type"] != "http"
            or scope["method"] != "POST"
            or "fastapi.telemetry" in scope
        ):
            await self.app(scope, receive, send)
            return
        key = (scope.get("root_path", ""), scope["path"])
        try:
            verdict = self.known[key]
        except KeyError:
            verdict = self._route(scope, key)
        if verdict is None:
            await self.app(scope, receive, send)
            return
        route, path_params = verdict
        scope.setdefault("router", scope["app"].router)
        scope["endpoint"] = route.endpoint
        scope["route"] = route
        scope["path_params"] = dict(path_params)
        request = Request(scope, receive, send)
        body = receive.take() if isinstance(receive, BodyReplay) else None
        if body is not None:
            # The body the limits read, handed over as ``Request.body()`` would have read and
            # kept it (about 3 us less than the message round trip through the replay).
            request._body = body
            request._stream_consumed = True
        try:
            response: Response = await route.endpoint(**path_params, request=request)
        except Exception as exc:
            handled = await self._handled(request, exc)
            if handled is None:
                return
            response = handled
        await response(scope, receive, send)

    def _route(self, scope: Scope, key: tuple[str, str]) -> _Verdict:
        """What the router would call for this POST path: the first route matching it fully."""
        router = scope["app"].router
        probe = {"type": "http", "method": "POST", "root_path": key[0], "path": key[1]}
        verdict: _Verdict = None
        for route in router.routes:
            if isinstance(route, Host):
                return None  # a match could depend on the Host header: never remembered
            match, child = route.matches(probe)
            if match is Match.FULL:
                if isinstance(route, PlainRoute) and "fastapi" not in child:
                    verdict = (route, dict(child.get("path_params", {})))
                break
        if len(self.known) < KNOWN_PATHS_MAX and len(key[0]) + len(key[1]) <= MEMO_TEXT_MAX:
            self.known[key] = verdict
        return verdict

    async def _handled(self, request: Request, exc: Exception) -> Response | None:
        """The response of the handler the stack would use (``wrap_app_handling_exceptions``),
        or the exception again when there is none."""
        if self.handlers is None:  # never: the lane only answers with the tables found
            raise exc
        handlers, status_handlers = self.handlers
        handler = status_handlers.get(exc.status_code) if isinstance(exc, HTTPException) else None
        if handler is None:
            handler = next((handlers[c] for c in type(exc).__mro__ if c in handlers), None)
        if handler is None:
            raise exc
        if is_async_callable(handler):
            response: Response | None = await handler(request, exc)
        else:
            response = await run_in_threadpool(handler, request, exc)
        exc.__traceback__ = None  # as Starlette does: a reused exception keeps no traceback
        return response
