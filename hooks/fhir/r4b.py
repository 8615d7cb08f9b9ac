"""The one module importing ``fhir.resources.R4B`` (FHIR R4B equals R4 for the resources we
use; the package's default models are R5 and reject R4 Conditions).

Extraction validates the resources a result rests on; tests validate everything we emit.

Validation is a pure function of a resource's content, and the same resources arrive again and
again (every time a chart is opened, and shared across the calls of one session), so verdicts
are remembered, keyed by a digest of the resource's canonical JSON. The memory is bounded.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from functools import cache
from typing import Any

import orjson
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


VERDICTS_KEPT = 16_384
_verdicts: dict[bytes, str | None] = {}
_verdicts_lock = threading.Lock()


def _digest(resource: Mapping[str, Any]) -> bytes | None:
    try:
        canonical = orjson.dumps(resource, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):  # not plain JSON data: validate every time
        return None
    return hashlib.sha256(canonical).digest()


def problem(resource: Mapping[str, Any]) -> str | None:
    """Why ``resource`` is not a valid FHIR R4 resource of its type, or None when it is."""
    key = _digest(resource)
    if key is not None and key in _verdicts:
        return _verdicts[key]
    verdict = validation_problem(resource)
    if key is not None:
        with _verdicts_lock:
            if len(_verdicts) >= VERDICTS_KEPT:
                del _verdicts[next(iter(_verdicts))]  # the oldest verdict
            _verdicts[key] = verdict
    return verdict


def validation_problem(resource: Mapping[str, Any]) -> str | None:
    """``problem`` without remembering: always runs the R4B model."""
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
