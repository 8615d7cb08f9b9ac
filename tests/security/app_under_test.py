"""A minimal CDS service guarded by the real ``Authenticator`` and input limits.

Used in-process by the attack suite and, through ``create()``, as a uvicorn ``--factory``
worker so that several processes can share one replay store.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from hooks.auth import AuthenticationError, Authenticator, FhirServerNotAllowed
from hooks.web.limits import BodyLimitMiddleware, Limits


def build_app(authenticator: Authenticator, limits: Limits | None = None) -> FastAPI:
    app = FastAPI()
    app.add_middleware(BodyLimitMiddleware, limits=limits)

    @app.exception_handler(AuthenticationError)
    async def unauthorized(request: Request, exc: Exception) -> Response:
        return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(FhirServerNotAllowed)
    async def forbidden(request: Request, exc: Exception) -> Response:
        body = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "forbidden", "diagnostics": "fhirServer"}],
        }
        return JSONResponse(body, status_code=403, media_type="application/fhir+json")

    @app.get("/cds-services")
    async def discovery(request: Request) -> dict[str, Any]:
        if not authenticator.discovery_open:
            await authenticator.authenticate(request)
        return {"services": []}

    @app.post("/cds-services/{service_id}")
    async def service(service_id: str, request: Request) -> dict[str, Any]:
        identity = await authenticator.authenticate(request)
        body = await request.json()
        if isinstance(body, dict) and "fhirServer" in body:
            authenticator.check_fhir_server(identity, str(body["fhirServer"]))
        return {"cards": [], "iss": identity.iss, "sub": identity.sub, "tenant": identity.tenant}

    return app


def create() -> FastAPI:
    """uvicorn factory: configuration from the SARCOMA_CDS_* environment."""
    return build_app(Authenticator.from_env())
