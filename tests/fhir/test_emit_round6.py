"""The shortcuts in the write-back Observations give exactly what the direct computation
gives: the stage group's texts remembered per clinical picture (``hooks.fhir.emit._stage_texts``),
the concepts kept as templates and copied
(never shared between two responses), and the identifier material
(``hooks.fhir.writeback.tumor_material_text``) with references and dates of every kind of
character, first built and then from its remembered format."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import orjson
import pytest

from cds.model import Stage, Status
from hooks.fhir import emit, writeback
from hooks.fhir.emit import staging_observations
from hooks.fhir.model import Source, TumorReport
from tests.fhir.test_emit_oracle import _bench_reports, _fixture_reports
from tests.service.test_card_memos import reports as golden_reports


def _reports() -> list[TumorReport]:
    found = [report for _, report in _fixture_reports()]
    found += [report for _, report in _bench_reports(20)]
    found += golden_reports()
    return found


def test_remembered_stage_texts_are_the_direct_ones() -> None:
    checked = 0
    for report in _reports():
        if report.assessment.stage is None:
            continue
        direct = emit.stage_texts(report.tumor, report.assessment)
        assert emit._stage_texts(report.tumor, report.assessment) == direct
        assert emit._stage_texts(report.tumor, report.assessment) == direct  # remembered
        checked += 1
    assert checked >= 50
    assert len(emit._STAGE_TEXTS) <= emit._STAGE_KEPT


def test_stage_texts_follow_each_thing_they_rest_on() -> None:
    report = next(r for r in _reports() if r.assessment.stage is not None)
    tumor, a = report.tumor, report.assessment
    other = next(s for s in Stage if s != a.stage)
    variants = [
        (tumor, a),
        (replace(tumor, preliminary=not tumor.preliminary), a),
        (tumor, replace(a, status=Status.INSUFFICIENT_DATA)),
        (tumor, replace(a, alternatives=(a.stage, other), missing=("size",))),
        (
            tumor,
            replace(a, trace=tuple(replace(s, explanation=s.explanation + "!") for s in a.trace)),
        ),
    ]
    said = [emit._stage_texts(t, x) for t, x in variants]
    assert said == [emit.stage_texts(t, x) for t, x in variants]
    assert len({repr(s) for s in said}) == len(said)


def _emit(report: TumorReport) -> list[dict[str, Any]]:
    counter = itertools.count()
    return staging_observations(
        "p", report, effective="2025-01-01", new_id=lambda: f"id-{next(counter)}"
    )


def _containers(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value, *itertools.chain.from_iterable(_containers(v) for v in value.values())]
    if isinstance(value, list):
        return [value, *itertools.chain.from_iterable(_containers(v) for v in value)]
    return []


def test_no_dict_or_list_is_shared_between_two_responses() -> None:
    report = next(r for r in _reports() if _emit(r))
    first, second = _emit(report), _emit(report)
    shared = {id(c) for c in _containers(first)} & {id(c) for c in _containers(second)}
    assert not shared
    before = orjson.dumps(second)
    for container in _containers(first):  # a response mutated after the fact
        if isinstance(container, dict):
            container["changed"] = True
        else:
            container.append("changed")
    assert orjson.dumps(_emit(report)) == before


@pytest.mark.parametrize(
    "reference",
    [
        "Observation/plain-1.2",
        "Observation/o'brien",
        'Observation/say "hi"',
        "Observation/back\\slash",
        "Observation/tab\there",
        "Observation/del\x7f",
        "Observation/caf\u00e9",
        "Observation/100%s",
        "",
    ],
)
@pytest.mark.parametrize("date", ["2024-01-02T03:04:05Z", "", None, "it's"])
def test_the_material_with_any_reference_and_date_is_the_direct_one(
    reference: str, date: str | None
) -> None:
    base = golden_reports()[0].tumor
    sources = {**base.sources, "n": Source(reference, date, None)}
    tumor = replace(base, sources=sources)
    for _ in range(2):  # the second from the memo
        assert writeback.tumor_material_text(tumor) == writeback.direct_tumor_material(tumor)
