"""Staging a FHIR Bundle posted by an app or a test harness (``POST /stage``, ``$stage``).

The same code path as ``sarcoma-cds stage-fhir --json`` (``hooks.fhir.cli``): the Bundle's
resources are flattened, the patient is the ``patient`` parameter or the one the Bundle is
about, and each primary soft tissue sarcoma is staged by ``hooks.services.staging`` (AJCC
Cancer Staging Manual, 8th edition, and the FNCLCC grade, via the NCI PDQ Adult Soft Tissue
Sarcoma Treatment summary). Bad input is a ``BadRequest`` (a 400 OperationOutcome).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from hooks.fhir.cli import InputError, infer_patient
from hooks.fhir.emit import staging_observations
from hooks.fhir.extract import flatten
from hooks.fhir.model import Extraction, TumorReport
from hooks.services.staging import stage_patient
from hooks.web.errors import BadRequest
from hooks.web.settings import is_valid_fhir_id

#: Bundle types that carry a patient's resources (a transaction's entries carry them too).
BUNDLE_TYPES = frozenset({"collection", "searchset", "transaction"})


@dataclass(frozen=True, slots=True)
class Staged:
    """One patient's resources as read and staged."""

    patient: str
    extraction: Extraction
    reports: tuple[TumorReport, ...]


def parse_json(raw: bytes) -> dict[str, Any]:
    """A request body that must be one JSON object."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return data


def check_bundle(bundle: Any) -> dict[str, Any]:
    """A Bundle of a type that carries a patient's resources, or a ``BadRequest``."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise BadRequest("expected a FHIR Bundle (resourceType Bundle)")
    kind = bundle.get("type")
    if not isinstance(kind, str) or kind not in BUNDLE_TYPES:
        raise BadRequest(
            "the Bundle type must be collection, searchset or transaction"
            + (f", not {kind!r}"[:80] if isinstance(kind, str) else "")
        )
    entries = bundle.get("entry", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise BadRequest("Bundle.entry must be a list of entries")
    return bundle


def stage_bundle(bundle: dict[str, Any], patient: str | None) -> Staged:
    """Stage the primary soft tissue sarcomas of one patient in ``bundle``."""
    check_bundle(bundle)
    if patient is not None and not is_valid_fhir_id(patient):
        raise BadRequest("patient must be a FHIR id (1-64 of A-Z, a-z, 0-9, '-', '.')")
    resources, _ = flatten([bundle])
    try:
        chosen = patient or infer_patient(resources)
    except InputError as error:
        raise BadRequest(str(error).replace("--patient", "the patient parameter")) from None
    extraction, reports = stage_patient(chosen, [bundle])
    return Staged(chosen, extraction, tuple(reports))


def observations_for(
    patient: str,
    reports: Sequence[TumorReport],
    *,
    effective: str,
    new_id: Callable[[], str],
) -> list[dict[str, Any]]:
    """The mCODE Observations recording the staging of ``reports``: the one place the staging
    API and the worksheet's "Record staging" build what is written (``hooks.fhir.emit``)."""
    return [
        observation
        for report in reports
        for observation in staging_observations(patient, report, effective=effective, new_id=new_id)
    ]
