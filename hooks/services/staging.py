"""Staging a patient from FHIR: extraction, then the clinical core once per primary sarcoma."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from cds.assess import assess
from cds.frozen import builder
from hooks.fhir.extract import extract
from hooks.fhir.model import Extraction, TumorReport
from hooks.fhir.writeback import accepted_observations, mark_accepted

# Built through its slots, not its frozen __init__ (cds.frozen): one per tumor.
_new_report = builder(TumorReport)


def stage_patient(
    patient_id: str,
    resources: Iterable[Mapping[str, Any]],
    *,
    validate_all: bool = False,
    max_primaries: int | None = None,
) -> tuple[Extraction, list[TumorReport]]:
    """Read ``resources`` for ``patient_id`` and assess each primary soft tissue sarcoma.

    ``validate_all`` validates every resource with ``fhir.resources.R4B`` before reading (the
    default validates only the resources the result may rest on). ``max_primaries`` stages at
    most that many (``Extraction.left_out`` lists the others).
    """
    resources = list(resources)
    extraction = extract(
        patient_id, resources, validate_all=validate_all, max_primaries=max_primaries
    )
    # Our own Observations, read back, count as recorded by the clinician who accepted them;
    # the stage card says they came from an accepted suggestion (hooks.fhir.writeback).
    ours = accepted_observations(resources)
    reports = [
        _new_report(mark_accepted(tumor, ours), assess(tumor.inputs))
        for tumor in extraction.primaries
    ]
    return extraction, reports


def chart_key(patient_id: str, resources: Sequence[Mapping[str, Any]]) -> bytes | None:
    """A digest of exactly what a patient's staging is computed from: the patient id and every
    resource, as JSON. Anything remembered about a chart is kept under this key, so a chart that
    changed in any byte, or another patient, is a different key. The date is part of it: the
    cards depend on the patient's age on the day of the call (under 18, no adult treatment
    card). None for data that is not plain JSON (then nothing is remembered)."""
    try:
        text = orjson.dumps([patient_id, datetime.now(UTC).date().isoformat(), resources])
    except (TypeError, orjson.JSONEncodeError):
        return None
    return hashlib.sha256(text).digest()
