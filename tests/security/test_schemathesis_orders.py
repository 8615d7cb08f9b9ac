"""schemathesis against the order review services (order-select, order-sign), in-process,
authentication off: generated order requests (valid and invalid by the hook definitions) never
give a 5xx, and every error is an OperationOutcome with the request's correlation id.

As in ``test_schemathesis``, the routes read their bodies themselves, so the order request
schema is added as the body; outbound FHIR requests are refused (a fallback can only fail).
Draft orders are steered towards MedicationRequests with RxNorm codes the review knows, so
that generated requests reach staging and the rules.
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

from hooks.fhir.medications import CODES
from hooks.web.app import create_app
from hooks.web.order_wire import OrderContext
from hooks.web.settings import Settings
from hooks.web.wire import HookRequest

_DB_DIR = Path(tempfile.mkdtemp(prefix="sarcoma-cds-schemathesis-orders-"))
atexit.register(shutil.rmtree, _DB_DIR, ignore_errors=True)


def _refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("outbound requests are disabled in this test", request=request)


APP = create_app(
    Settings(auth=False, db=_DB_DIR / "feedback.sqlite3", fhir_timeout=0.5, fhir_deadline=0.5),
    transport=httpx.MockTransport(_refuse),
)
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ORDER = {
    "type": "object",
    "required": ["resourceType"],
    "properties": {
        "resourceType": {"enum": ["MedicationRequest", "NutritionOrder", "Medication"]},
        "id": {"enum": ["request-123", "m1", "n1"]},
        "status": {"enum": ["draft", "active", "entered-in-error", "cancelled"]},
        "subject": {
            "type": "object",
            "properties": {"reference": {"enum": ["Patient/p1", "Patient/other"]}},
        },
        "medicationCodeableConcept": {
            "type": "object",
            "properties": {
                "text": {"type": "string"},
                "coding": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "system": {"enum": [RXNORM, "urn:oid:2.16.840.1.113883.6.88"]},
                            "code": {"enum": [*sorted(CODES)[:12], "617993"]},
                        },
                    },
                },
            },
        },
        "medicationReference": {
            "type": "object",
            "properties": {"reference": {"enum": ["#m1", "Medication/m1", "Medication/x"]}},
        },
        "contained": {"type": "array", "items": {"type": "object"}},
    },
}
RESOURCE = {
    "type": "object",
    "required": ["resourceType"],
    "properties": {
        "resourceType": {
            "enum": [
                "Patient",
                "Condition",
                "Observation",
                "MedicationStatement",
                "OperationOutcome",
            ]
        },
        "id": {"type": "string"},
        "subject": {"type": "object", "properties": {"reference": {"type": "string"}}},
        "status": {"type": "string"},
    },
}


def _bundle(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["resourceType"],
        "properties": {
            "resourceType": {"const": "Bundle"},
            "entry": {
                "type": "array",
                "items": {"type": "object", "properties": {"resource": item}},
            },
        },
    }


def _with_bodies(document: dict[str, Any]) -> dict[str, Any]:
    components = document.setdefault("components", {}).setdefault("schemas", {})
    ref = "#/components/schemas/{model}"
    schema = HookRequest.model_json_schema(ref_template=ref)
    components.update(schema.pop("$defs", {}))
    context = OrderContext.model_json_schema(ref_template=ref)
    components.update(context.pop("$defs", {}))
    context["properties"]["patientId"] = {"type": "string", "pattern": "^[A-Za-z0-9.-]{1,64}$"}
    context["properties"]["draftOrders"] = _bundle(ORDER)
    context["properties"]["selections"] = {
        "anyOf": [
            {
                "type": "array",
                "items": {
                    "enum": [
                        "MedicationRequest/request-123",
                        "NutritionOrder/n1",
                        "MedicationRequest/x",
                    ]
                },
            },
            {"type": "null"},
        ]
    }
    components["OrderContext"] = context
    schema["properties"]["context"] = {"$ref": ref.format(model="OrderContext")}
    schema["properties"]["hook"] = {"enum": ["order-select", "order-sign"]}
    schema["properties"]["prefetch"] = {
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    key: {"anyOf": [_bundle(RESOURCE), {"type": "null"}]}
                    for key in (
                        "conditions",
                        "observations",
                        "medicationRequests",
                        "medicationStatements",
                    )
                }
                | {"patient": {"anyOf": [RESOURCE, {"type": "null"}]}},
            },
            {"type": "null"},
        ]
    }
    components["OrderHookRequest"] = schema
    operation = document["paths"]["/cds-services/{service_id}"]["post"]
    operation["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": ref.format(model="OrderHookRequest")}}},
    }
    for parameter in operation["parameters"]:
        if parameter["name"] == "service_id":
            parameter["schema"] = {
                "type": "string",
                "enum": ["sarcoma-therapy-select", "sarcoma-therapy-sign"],
            }
    del document["paths"]["/cds-services/{service_id}/feedback"]
    return document


schema = schemathesis.openapi.from_dict(_with_bodies(APP.openapi()))
schema.app = APP


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_order_hooks_never_5xx_and_errors_are_operation_outcomes(
    case: schemathesis.Case[Any],
) -> None:
    response = case.call()
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert body["resourceType"] == "OperationOutcome", body
        (request_id,) = response.headers["x-request-id"]
        assert request_id in body["issue"][0]["diagnostics"]
