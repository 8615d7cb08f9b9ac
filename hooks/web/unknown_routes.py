"""Other methods on the service paths: 404 for a service that does not exist, 405 otherwise.

Routing matches the path before the method, so ``GET /cds-services/unknown`` used to answer
405 (the POST route's path matched) where discovery and the README promise 404: a client
probing for a service must learn that it does not exist, not that it used the wrong method.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException

from hooks.services.registry import REGISTRY
from hooks.web.errors import ServiceNotFound

OTHER_METHODS = ["GET", "HEAD", "PUT", "PATCH", "DELETE"]


def install(app: FastAPI) -> None:
    @app.api_route("/cds-services/{service_id}", methods=OTHER_METHODS, include_in_schema=False)
    @app.api_route(
        "/cds-services/{service_id}/feedback", methods=OTHER_METHODS, include_in_schema=False
    )
    async def other_method(service_id: str) -> None:
        if service_id not in REGISTRY:
            raise ServiceNotFound(f"no CDS service with id {service_id!r}"[:200])
        raise StarletteHTTPException(405, headers={"Allow": "POST"})
