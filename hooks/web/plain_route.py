"""``PlainRoute``: a FastAPI route that calls its endpoint with the path parameters and the
request, and nothing else.

FastAPI resolves every endpoint's parameters and dependencies on each call (telemetry,
dependency solving, validation of each parameter), about 0.03 ms per request even for an
endpoint that takes only a path parameter and the request, which is what the CDS service
endpoint takes: it reads and checks its body itself. This route keeps the endpoint in the app's
routing and OpenAPI description as before, and calls it directly. An endpoint declaring anything
else (a dependency, a query parameter, a body) is refused when the route is built, since it
would not be resolved.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.routing import APIRoute


class PlainRoute(APIRoute):
    """``endpoint(**path_params, request=request)``; the endpoint must return a Response."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        dependant = self.dependant
        extra = (
            dependant.query_params,
            dependant.header_params,
            dependant.cookie_params,
            dependant.body_params,
            dependant.dependencies,
        )
        if any(extra) or dependant.request_param_name != "request":
            raise TypeError(f"{self.path}: a PlainRoute endpoint takes path parameters and request")
        if any(p.field_info.annotation is not str for p in dependant.path_params):
            raise TypeError(f"{self.path}: a PlainRoute's path parameters are text (str)")
        endpoint = self.endpoint

        async def handler(request: Request) -> Response:
            response: Response = await endpoint(**request.path_params, request=request)
            return response

        return handler
