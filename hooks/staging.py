"""Staging a patient from FHIR: extraction, then the clinical core once per primary sarcoma.

The answer is a pure function of the patient id and the resources, and the same chart is
staged again every time it is opened. Answers are therefore remembered, keyed by a digest of
exactly what they were computed from (the patient id, the flag and every resource's JSON), in
a bounded memory. A chart that changed in any byte is a different key. The remembered values
are frozen and shared: callers treat them as read-only.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from cds.assess import assess
from hooks.fhir.extract import extract
from hooks.fhir.model import Extraction, TumorReport

ANSWERS_KEPT = 2048
_answers: dict[bytes, tuple[Extraction, tuple[TumorReport, ...]]] = {}
_answers_lock = threading.Lock()


def chart_key(
    patient_id: str, resources: Sequence[Mapping[str, Any]], validate_all: bool = False
) -> bytes | None:
    """A digest of exactly what an answer is computed from, or None for data that is not plain
    JSON (then nothing is remembered)."""
    try:
        text = orjson.dumps([patient_id, validate_all, resources])
    except (TypeError, orjson.JSONEncodeError):  # not plain JSON data: compute every time
        return None
    return hashlib.sha256(text).digest()


def stage_patient(
    patient_id: str, resources: Iterable[Mapping[str, Any]], *, validate_all: bool = False
) -> tuple[Extraction, list[TumorReport]]:
    """Read ``resources`` for ``patient_id`` and assess each primary soft tissue sarcoma.

    ``validate_all`` validates every resource with ``fhir.resources.R4B`` before reading (the
    default validates only the resources the result may rest on).
    """
    chart = list(resources)
    key = chart_key(patient_id, chart, validate_all)
    known = _answers.get(key) if key is not None else None
    if known is None:
        known = compute(patient_id, chart, validate_all=validate_all)
        if key is not None:
            with _answers_lock:
                if len(_answers) >= ANSWERS_KEPT:
                    del _answers[next(iter(_answers))]  # the oldest answer
                _answers[key] = known
    extraction, reports = known
    return extraction, list(reports)


def compute(
    patient_id: str, resources: Iterable[Mapping[str, Any]], *, validate_all: bool = False
) -> tuple[Extraction, tuple[TumorReport, ...]]:
    """``stage_patient`` without remembering: always extracts and assesses."""
    extraction = extract(patient_id, resources, validate_all=validate_all)
    reports = tuple(TumorReport(tumor, assess(tumor.inputs)) for tumor in extraction.primaries)
    return extraction, reports
