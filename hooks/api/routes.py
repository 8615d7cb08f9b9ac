"""The staging API: ``POST /stage`` and the FHIR operation ``POST /fhir/$stage``.

Authentication is the hooks' (a JWT from a trusted client, checked by the app's
authenticator) or the worksheet's SMART session cookie together with its CSRF token in
``X-CSRF-Token``. Body limits and OperationOutcome errors are the app's middleware.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import Response

from hooks.api.parameters import read_parameters, stage_result
from hooks.api.stage import observations_for, parse_json, stage_bundle
from hooks.fhir.cli import assessment_items
from hooks.fhir.emit import as_transaction_bundle
from hooks.smart.session import COOKIE, SessionStore, csrf_ok
from hooks.web.errors import FHIR_JSON

CSRF_HEADER = "X-CSRF-Token"

_BUNDLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["resourceType", "type"],
    "properties": {
        "resourceType": {"const": "Bundle"},
        "type": {"enum": ["collection", "searchset", "transaction"]},
        "entry": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"resource": {"type": "object", "required": ["resourceType"]}},
            },
        },
    },
}
_PARAMETERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["resourceType", "parameter"],
    "properties": {
        "resourceType": {"const": "Parameters"},
        "parameter": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"enum": ["bundle", "patient"]},
                    "resource": _BUNDLE_SCHEMA,
                    "valueString": {"type": "string"},
                },
            },
        },
    },
}


def _body(schema: dict[str, Any], media: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {media: {"schema": schema}}}}


async def api_caller(request: Request) -> Any:
    """The worksheet's session (cookie plus CSRF header), else the hooks' authenticator."""
    store: SessionStore | None = getattr(request.app.state, "smart_sessions", None)
    cookie = request.cookies.get(COOKIE)
    if store is not None and cookie:
        session = store.get(cookie)
        if session is not None and csrf_ok(session, request.headers.get(CSRF_HEADER)):
            return session
    auth = request.app.state.authenticator
    if auth is None:
        return None
    return await auth.authenticate(request)


Caller = Annotated[Any, Depends(api_caller)]


def install(
    app: FastAPI,
    *,
    clock: Callable[[], datetime],
    new_id: Callable[[], str],
) -> None:
    """Add ``POST /stage`` and ``POST /fhir/$stage`` to ``app``."""

    def effective() -> str:
        return clock().isoformat(timespec="seconds").replace("+00:00", "Z")

    @app.post(
        "/stage",
        summary="Stage the soft tissue sarcomas of one patient in a FHIR Bundle",
        description=(
            "Body: a FHIR R4 Bundle (collection, searchset or transaction) of the patient's "
            "resources. Answer: one object per primary soft tissue sarcoma, the JSON of "
            "`sarcoma-cds stage-fhir --json`. `patient` is required when the Bundle holds "
            "several patients (400 otherwise)."
        ),
        openapi_extra=_body(_BUNDLE_SCHEMA, "application/json"),
        tags=["staging API"],
    )
    async def stage(
        request: Request,
        _: Caller,
        patient: Annotated[str | None, Query(description="the Patient id")] = None,
    ) -> Response:
        staged = stage_bundle(parse_json(await request.body()), patient)
        items = assessment_items(staged.reports, staged.extraction)
        return Response(orjson.dumps(items), media_type="application/json")

    @app.post(
        "/fhir/$stage",
        summary="FHIR operation $stage: Parameters in, Parameters out",
        description=(
            "In: `bundle` (a Bundle resource) and optional `patient`. Out: one `assessment` per "
            "primary sarcoma, `observations` (a transaction Bundle of the mCODE Observations "
            "to record) and `disclaimer`. OperationDefinition: "
            "`fhir_profiles/OperationDefinition-stage.json`."
        ),
        openapi_extra=_body(_PARAMETERS_SCHEMA, FHIR_JSON),
        tags=["staging API"],
    )
    async def stage_operation(request: Request, _: Caller) -> Response:
        bundle, patient = read_parameters(parse_json(await request.body()))
        staged = stage_bundle(bundle, patient)
        observations = observations_for(
            staged.patient, staged.reports, effective=effective(), new_id=new_id
        )
        transaction = as_transaction_bundle(observations)
        if not transaction["entry"]:
            del transaction["entry"]  # FHIR allows no empty arrays
        result = stage_result(assessment_items(staged.reports, staged.extraction), transaction)
        return Response(orjson.dumps(result), media_type=FHIR_JSON)
