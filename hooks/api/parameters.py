"""FHIR ``Parameters`` for the ``$stage`` operation
(``fhir_profiles/OperationDefinition-stage.json``, FHIR R4 "Operations").

In: ``bundle`` (a Bundle resource) and optionally ``patient`` (the Patient id). Out: one
``assessment`` per primary sarcoma (the Condition, stage, T, N, M, grade, status, missing
inputs, possible stages, the derivation in words and the whole assessment as the JSON of
``POST /stage``), ``observations`` (a transaction Bundle of the mCODE Observations to record)
and ``disclaimer``.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from cds.report import DISCLAIMER
from hooks.web.errors import BadRequest

JSONDict = dict[str, Any]


def read_parameters(body: JSONDict) -> tuple[JSONDict, str | None]:
    """The ``bundle`` resource and the optional ``patient`` of a ``$stage`` request."""
    if body.get("resourceType") != "Parameters":
        raise BadRequest("$stage takes a FHIR Parameters resource")
    parameters = body.get("parameter", [])
    if not isinstance(parameters, list) or not all(isinstance(p, dict) for p in parameters):
        raise BadRequest("Parameters.parameter must be a list")
    bundles = [p for p in parameters if p.get("name") == "bundle"]
    patients = [p for p in parameters if p.get("name") == "patient"]
    if len(bundles) != 1 or not isinstance(bundles[0].get("resource"), dict):
        raise BadRequest("$stage needs exactly one 'bundle' parameter holding a Bundle resource")
    if len(patients) > 1:
        raise BadRequest("$stage takes at most one 'patient' parameter")
    patient = None
    if patients:
        value = patients[0].get("valueString", patients[0].get("valueId"))
        if not isinstance(value, str):
            raise BadRequest("the 'patient' parameter needs a valueString or valueId")
        patient = value.removeprefix("Patient/")
    resource: JSONDict = bundles[0]["resource"]
    return resource, patient


def _code(name: str, value: Any) -> JSONDict:
    return {"name": name, "valueCode": str(value)}


def assessment_parameter(item: JSONDict) -> JSONDict:
    """One primary's assessment (an item of the ``POST /stage`` answer) as a parameter."""
    parts: list[JSONDict] = [
        {"name": "condition", "valueReference": {"reference": f"Condition/{item['condition']}"}},
        {"name": "status", "valueCode": item["status"]},
    ]
    if item.get("description"):
        parts.append({"name": "description", "valueString": item["description"]})
    if item.get("stage"):
        parts.append(_code("stage", item["stage"]))
    parts += [_code(name, item[name]) for name in ("t", "n", "m", "grade")]
    parts += [_code("missing", m) for m in item["missing"]]
    parts += [_code("alternative", s) for s in item["alternatives"]]
    parts += [{"name": "derivation", "valueString": s["explanation"]} for s in item["trace"]]
    parts.append(
        {
            "name": "json",
            "valueAttachment": {
                "contentType": "application/json",
                "data": base64.b64encode(orjson.dumps(item)).decode("ascii"),
            },
        }
    )
    return {"name": "assessment", "part": parts}


def stage_result(items: list[JSONDict], observations: JSONDict) -> JSONDict:
    """The ``$stage`` answer."""
    parameters = [assessment_parameter(item) for item in items]
    parameters.append({"name": "observations", "resource": observations})
    parameters.append({"name": "disclaimer", "valueString": DISCLAIMER})
    return {"resourceType": "Parameters", "parameter": parameters}
