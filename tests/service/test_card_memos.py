"""The memos of the card and write-back code give what the direct computation gives: the
write-back plan kept by report identity (hooks.fhir.writeback.plan), the problem codes that
report a disagreement, our own Markdown links and the trial search URLs."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bench import charts
from cds.model import Assessment, Problem
from hooks.cards import markdown, stage, treatment
from hooks.cards.common import PDQ_URL
from hooks.fhir import writeback
from hooks.fhir.model import PrimaryTumor, TumorReport
from hooks.services.staging import stage_patient
from tests.service.conftest import prefetched_resources

GOLDEN = sorted((Path(__file__).resolve().parents[1] / "golden" / "cases").glob("*.request.json"))


def reports() -> list[TumorReport]:
    out: list[TumorReport] = []
    requests = [json.loads(p.read_text()) for p in GOLDEN]
    requests += [charts.chart_request(n) for n in range(5)]
    for request in requests:
        _, found = stage_patient(request["context"]["patientId"], prefetched_resources(request))
        out += found
    return out


def test_the_kept_plan_is_the_direct_plan() -> None:
    found = reports()
    assert len(found) >= 10
    for report in found:
        first = writeback.plan(report)
        assert first == writeback.direct_plan(report)
        assert writeback.plan(report) is first  # kept
    assert len(writeback._PLANS) <= writeback._KEPT


def test_a_plan_is_kept_by_identity_not_by_equality() -> None:
    report = reports()[0]
    blocked = replace(report, assessment=replace(report.assessment, ajcc_sts=False))
    assert writeback.plan(report) != writeback.plan(blocked)
    assert writeback.plan(blocked) == writeback.direct_plan(blocked)
    twin = replace(report)  # equal, another object: planned anew
    assert writeback.plan(twin) == writeback.plan(report)
    assert writeback.plan(twin) is not writeback.plan(report)


CODES = st.sampled_from(
    [
        "t-disagrees-with-size",
        "grade-disagrees-with-scores",
        "n-assumed",
        "differentiation-assumed",
        *writeback.REJECTED_RECORDED,
    ]
) | st.text(alphabet="adeginorstfc-xm", max_size=20)


@given(CODES)
def test_the_disagreeing_codes_memo_is_the_direct_test(code: str) -> None:
    direct = code in writeback.REJECTED_RECORDED or any(
        marker in code for marker in writeback.DISCREPANCY_MARKERS
    )
    assert writeback.disagrees(Problem(code=code, message="m")) is direct


def test_links_and_trial_urls_memos_are_the_direct_results() -> None:
    for label in ("NCI PDQ", "NCI PDQ summary", "a_b [c]"):
        assert markdown.link(label, PDQ_URL) == markdown.link.__wrapped__(label, PDQ_URL)
    for term in ("leiomyosarcoma", "Soft tissue sarcoma", "a&b c+d"):
        assert treatment.trials_url(term) == treatment.trials_url.__wrapped__(term)


def identifier_as_first_written(tumor: PrimaryTumor, kind: str, value: str) -> dict[str, str]:
    """``writeback.identifier`` as it was before its material was kept per tumor."""
    inputs = tumor.inputs
    material = repr(
        (
            tumor.condition,
            kind,
            value,
            tuple((name, getattr(inputs, name)) for name in sorted(inputs.__dataclass_fields__)),
            tuple(sorted((k, s.reference, s.date or "") for k, s in tumor.sources.items())),
        )
    )
    digest = hashlib.sha256(material.encode()).hexdigest()[:24]
    condition_id = tumor.condition.rsplit("/", 1)[-1]
    return {"system": writeback.IDENTIFIER_SYSTEM, "value": f"{condition_id}-{kind}-{digest}"}


def test_identifiers_are_those_of_the_direct_material() -> None:
    for report in reports():
        tumor = report.tumor
        for kind, value in (("stage", "cIIIA"), ("t", "pT2"), ("grade", "G2"), ("total", "5")):
            expected = identifier_as_first_written(tumor, kind, value)
            assert writeback.identifier(tumor, kind, value) == expected
            assert writeback.identifier(tumor, kind, value) == expected  # kept
        other = replace(tumor, sources={})  # another tumor object: its own material
        assert writeback.identifier(other, "t", "pT2") == identifier_as_first_written(
            other, "t", "pT2"
        )
        assert writeback.identifier(other, "t", "pT2") != writeback.identifier(tumor, "t", "pT2")
    assert len(writeback._MATERIAL) <= writeback._KEPT


def sources_as_first_written(a: Assessment) -> str:
    """``hooks.cards.stage._sources`` before it was kept per combination of trace sources."""
    tables: set[int] = set()
    for step in (*a.grade.trace, *a.trace):
        for match in stage._PDQ_TABLES.finditer(step.source):
            tables.update(int(n) for n in re.findall(r"\d+", match.group(1)))
    tables.discard(9)
    chapter = f"ch. {stage.CHAPTERS[a.site]}" if a.site else "ch. 40-44"
    pdq = (
        f", via {markdown.link('NCI PDQ', PDQ_URL)} {stage._table_list(sorted(tables))}"
        if tables
        else ""
    )
    graded = any("FNCLCC" in step.source for step in a.grade.trace)
    fnclcc = ", and FNCLCC grading" if graded else ""
    return f"Sources: AJCC Cancer Staging Manual 8th ed., {chapter}{fnclcc}{pdq}."


def test_the_kept_sources_line_is_the_direct_one() -> None:
    seen = set()
    for report in reports():
        a = report.assessment
        for variant in (a, replace(a, site=None), replace(a, grade=replace(a.grade, trace=()))):
            assert stage._sources(variant) == sources_as_first_written(variant)
            seen.add(stage._sources(variant))
    assert len(seen) >= 5
