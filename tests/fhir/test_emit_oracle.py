"""``hooks.fhir.emit.staging_observations`` gives the same Observations, byte for byte and with
the same ids asked in the same order, as the direct build it replaced
(``tests/fhir/emit_reference.py``): on the emit fixtures, on the leiomyosarcoma chart with each
of its recorded Observations left out (T, N, M, grade and scores written, the AJCC convention
for N0/M0), preliminary, and on the bench's distinct charts."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import orjson
import pytest

from bench import charts
from hooks.fhir import json_numbers
from hooks.fhir.emit import staging_observations
from hooks.fhir.model import TumorReport
from hooks.services.prefetch import _classify
from hooks.services.staging import stage_patient
from hooks.web.wire import HookRequest
from tests.fhir import emit_reference
from tests.fhir.conftest import load

EFFECTIVE = "2025-09-21T10:00:00Z"
FIXTURES = [
    ("pat-lms", "mcode-stu4-thigh-leiomyosarcoma.json"),
    ("pat-rp", "stu2-loinc-retroperitoneum.json"),
    ("pat-messy", "messy-forearm.json"),
    ("pat-two", "two-primaries.json"),
    ("pat-trunk", "ambiguous-site-nodal.json"),
]


def _fixture_reports() -> Iterator[tuple[str, TumorReport]]:
    for patient, name in FIXTURES:
        bundle = load(name)
        ids = [None] + [
            e["resource"].get("id")
            for e in bundle["entry"]
            if e["resource"].get("resourceType") == "Observation"
        ]
        for left_out in itertools.chain(ids, itertools.combinations(ids[1:], 2)):
            gone = set(left_out) if isinstance(left_out, tuple) else {left_out}
            entries = [e for e in bundle["entry"] if e["resource"].get("id") not in gone]
            _, reports = stage_patient(patient, [bundle | {"entry": entries}])
            for report in reports:
                yield patient, report
                yield patient, replace(report, tumor=replace(report.tumor, preliminary=True))


def _bench_reports(count: int) -> Iterator[tuple[str, TumorReport]]:
    for n in range(count):
        request = HookRequest.model_validate(
            json_numbers.loads(orjson.dumps(charts.chart_request(n)))
        )
        resources: list[dict[str, Any]] = []
        for key, value in (request.prefetch or {}).items():
            usable = _classify(key, value)
            if usable is not None:
                resources.extend(usable.resources)
        _, reports = stage_patient(request.context.patientId, resources, max_primaries=10)
        for report in reports:
            yield request.context.patientId, report


def _ids() -> Callable[[], str]:
    counter = itertools.count()
    return lambda: f"obs-{next(counter)}"


def _both(patient: str, report: TumorReport) -> tuple[bytes, bytes]:
    made = staging_observations(patient, report, effective=EFFECTIVE, new_id=_ids())
    direct = emit_reference.staging_observations(
        patient, report, effective=EFFECTIVE, new_id=_ids()
    )
    return orjson.dumps(made), orjson.dumps(direct)


def test_the_fixtures_emit_what_the_direct_build_emits() -> None:
    kinds: set[tuple[str, ...]] = set()
    for patient, report in _fixture_reports():
        made, direct = _both(patient, report)
        assert made == direct
        kinds.add(tuple(o["code"]["coding"][0]["code"] for o in orjson.loads(made)))
    assert len(kinds) > 5  # the cases write different sets of Observations


@pytest.mark.parametrize("block", range(4))
def test_the_bench_charts_emit_what_the_direct_build_emits(block: int) -> None:
    written = 0
    for patient, report in itertools.islice(_bench_reports(200), block * 50, block * 50 + 50):
        made, direct = _both(patient, report)
        assert made == direct
        written += made != b"[]"
    assert written
