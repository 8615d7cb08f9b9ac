"""The one module importing ``fhir.resources.R4B`` (FHIR R4B equals R4 for the resources we
use; the package's default models are R5 and reject R4 Conditions).

Extraction validates the resources a result rests on; tests validate everything we emit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError


@cache
def _model(resource_type: str) -> type[Resource] | None:
    try:
        model = get_fhir_model_class(resource_type)
    except (KeyError, ValueError, AttributeError):
        return None
    return model if issubclass(model, Resource) else None


def problem(resource: Mapping[str, Any]) -> str | None:
    """Why ``resource`` is not a valid FHIR R4 resource of its type, or None when it is."""
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str):
        return "it has no resourceType"
    model = _model(resource_type)
    if model is None:
        return f"{resource_type!r} is not an R4 resource type"
    try:
        model.model_validate(dict(resource))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or resource_type
        return f"{where}: {first['msg']}"
    except (TypeError, ValueError) as error:
        return str(error).splitlines()[0]
    return None


def validate(resource: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` when ``resource`` is not a valid R4 resource (for what we emit)."""
    reason = problem(resource)
    if reason is not None:
        raise ValueError(f"{resource.get('resourceType')}: {reason}")


def round_trip(resource: Mapping[str, Any]) -> dict[str, Any]:
    """Parse ``resource`` with its R4B model and serialise it again (JSON-ready dict)."""
    model = _model(str(resource.get("resourceType")))
    if model is None:
        raise ValueError(f"{resource.get('resourceType')!r} is not an R4 resource type")
    parsed = model.model_validate(dict(resource))
    data: dict[str, Any] = json.loads(parsed.model_dump_json(exclude_none=True, by_alias=True))
    return data


def warm() -> None:
    """Import and exercise the models extraction uses, e.g. at service start-up, so that the
    first request does not pay for it (about 0.1 s)."""
    problem({"resourceType": "Condition", "subject": {"reference": "Patient/x"}})
    problem({"resourceType": "Observation", "status": "final", "code": {"text": "x"}})
    problem({"resourceType": "BodyStructure", "patient": {"reference": "Patient/x"}})
