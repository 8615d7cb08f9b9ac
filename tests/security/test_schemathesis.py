"""schemathesis against the service's OpenAPI schema, in-process, authentication off.

The routes read their bodies themselves, so the generated schema has no request bodies; the
CDS Hooks wire models (``hooks.web.wire``) are added as the bodies, so that schemathesis sends both
valid and invalid requests and feedback. Properties: no 5xx, and every error response is an
OperationOutcome carrying the request's correlation id. Outbound FHIR requests go to a
transport that refuses them all (a fallback can only fail, with a 412), so nothing leaves the
process.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, settings

from hooks.web.app import create_app
from hooks.web.settings import Settings
from hooks.web.wire import FeedbackRequest, HookRequest

_DB_DIR = Path(tempfile.mkdtemp(prefix="sarcoma-cds-schemathesis-"))
atexit.register(shutil.rmtree, _DB_DIR, ignore_errors=True)


def _refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("outbound requests are disabled in this test", request=request)


APP = create_app(
    Settings(auth=False, db=_DB_DIR / "feedback.sqlite3", fhir_timeout=0.5, fhir_deadline=0.5),
    transport=httpx.MockTransport(_refuse),
)


def _with_bodies(document: dict[str, Any]) -> dict[str, Any]:
    components = document.setdefault("components", {}).setdefault("schemas", {})
    ref = "#/components/schemas/{model}"
    for path, model in (
        ("/cds-services/{service_id}", HookRequest),
        ("/cds-services/{service_id}/feedback", FeedbackRequest),
    ):
        schema = model.model_json_schema(ref_template=ref)
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
        if model is HookRequest:
            _steer_towards_the_service(schema, components)
        operation = document["paths"][path]["post"]
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": ref.format(model=model.__name__)}}},
        }
        for parameter in operation["parameters"]:
            if parameter["name"] == "service_id":
                # Negative cases still send other ids (whose 404 must be an OperationOutcome).
                parameter["schema"] = {"type": "string", "enum": ["sarcoma-staging"]}
    return document


RESOURCE = {
    "type": "object",
    "required": ["resourceType"],
    "properties": {
        "resourceType": {"enum": ["Patient", "Condition", "Observation", "OperationOutcome"]},
        "id": {"type": "string"},
        "subject": {"type": "object", "properties": {"reference": {"type": "string"}}},
        "code": {"type": "object"},
        "status": {"type": "string"},
    },
}


def _steer_towards_the_service(schema: dict[str, Any], components: dict[str, Any]) -> None:
    """Valid-by-schema requests that reach staging: the right hook, a FHIR id, FHIR-ish data."""
    schema["properties"]["hook"] = {"const": "patient-view"}
    context = components["PatientViewContext"]
    context["properties"]["patientId"] = {"type": "string", "pattern": "^[A-Za-z0-9.-]{1,64}$"}
    bundle = {
        "type": "object",
        "required": ["resourceType"],
        "properties": {
            "resourceType": {"const": "Bundle"},
            "type": {"const": "searchset"},
            "entry": {
                "type": "array",
                "items": {"type": "object", "properties": {"resource": RESOURCE}},
            },
        },
    }
    schema["properties"]["prefetch"] = {
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "patient": {"anyOf": [RESOURCE, {"type": "null"}]},
                    "conditions": {"anyOf": [bundle, {"type": "null"}]},
                    "observations": {"anyOf": [bundle, {"type": "null"}]},
                },
            },
            {"type": "null"},
        ]
    }


schema = schemathesis.openapi.from_dict(_with_bodies(APP.openapi()))
schema.app = APP


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_server_error_and_every_error_is_an_operation_outcome(
    case: schemathesis.Case[Any],
) -> None:
    response = case.call()
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert body["resourceType"] == "OperationOutcome", body
        issue = body["issue"][0]
        assert issue["severity"] in {"error", "fatal"}
        (request_id,) = response.headers["x-request-id"]
        assert request_id in issue["diagnostics"]
