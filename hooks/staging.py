"""Staging a patient from FHIR: extraction, then the clinical core once per primary sarcoma."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cds.assess import assess
from hooks.fhir.extract import extract
from hooks.fhir.model import Extraction, TumorReport


def stage_patient(
    patient_id: str, resources: Iterable[Mapping[str, Any]], *, validate_all: bool = False
) -> tuple[Extraction, list[TumorReport]]:
    """Read ``resources`` for ``patient_id`` and assess each primary soft tissue sarcoma.

    ``validate_all`` validates every resource with ``fhir.resources.R4B`` before reading (the
    default validates only the resources the result may rest on).
    """
    extraction = extract(patient_id, resources, validate_all=validate_all)
    reports = [TumorReport(tumor, assess(tumor.inputs)) for tumor in extraction.primaries]
    return extraction, reports
