"""Realistic charts for issue 9 items 2-4: values with a comparator, values as text or codes,
grades from partial information, through ``stage-fhir --json`` and the patient-view service.

The chart (tests/charts/build.py) is a leiomyosarcoma (ICD-O-3 8890/3) of the left thigh,
ICD-10-CM C49.22, so trunk and extremities (AJCC 8 ch. 41). Each expectation is derived by hand:
PDQ Table 1 (T1 <= 5 cm, T2 > 5 and <= 10, T3 > 10 and <= 15, T4 > 15), Table 4
(leiomyosarcoma differentiation 2), Table 5 (mitoses 0-9 -> 1, 10-19 -> 2, >= 20 -> 3; necrosis
none -> 0, < 50 % -> 1, >= 50 % -> 2), Table 6 (totals 2-3 G1, 4-5 G2, 6-8 G3), Table 7
(T1 G2/G3 II; T2 G1/GX IB; T2 G2/G3 IIIA; T3/T4 G2/G3 IIIB). N0 and M0 are assumed (nothing
recorded).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from hooks import cli
from tests.charts.build import (
    DIFFERENTIATION,
    GRADE,
    MITOSES,
    NECROSIS,
    SCT,
    SIZE,
    bundle,
    chart,
    observation,
    quantity,
)
from tests.charts.run import service_cards, stage_fhir, unescape


@dataclass(frozen=True)
class Case:
    id: str
    why: str  # the hand derivation
    observations: tuple[dict[str, Any], ...]
    t: str
    grade: str
    stage: str | None
    t_options: tuple[str, ...] = ()
    grade_options: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()
    unreadable: tuple[str, ...] = ()  # fragments each expected in one "could not read" entry
    card: tuple[str, ...] = ()  # fragments of the stage card (unescaped)
    card_absent: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    gaps: tuple[str, ...] = ()  # fragments of the data-gaps card (only possible values tried)
    no_gaps: bool = False  # the stage is determined: no "record ... to complete staging" card


def size_q(value: Any, unit: str = "cm", comparator: str | None = None) -> dict[str, Any]:
    return observation("size", SIZE, valueQuantity=quantity(value, unit, comparator=comparator))


def size_s(text: str) -> dict[str, Any]:
    return observation("size", SIZE, valueString=text)


def mit(**value: Any) -> dict[str, Any]:
    return observation("mit", MITOSES, **value)


def nec(**value: Any) -> dict[str, Any]:
    return observation("nec", NECROSIS, **value)


def grade_s(text: str) -> dict[str, Any]:
    return observation("grade", GRADE, valueString=text)


def coded(code: str) -> dict[str, Any]:
    return {"valueCodeableConcept": {"coding": [{"system": SCT, "code": code}]}}


CASES = [
    Case(
        "size-comparator-gt-5",
        "> 5 cm spans T2, T3, T4 (Table 1); G3 recorded; T2 G3 IIIA, T3/T4 G3 IIIB (Table 7)",
        (size_q(5, comparator=">"), grade_s("Grade 3")),
        t="TX",
        t_options=("T2", "T3", "T4"),
        grade="G3",
        stage=None,
        alternatives=("IIIA", "IIIB"),
        card=("AJCC 8 stage needs more data", "cTX (>5 cm), T2 or T3 or T4"),
        gaps=("How the stage would change: IIIA if T2; IIIB if T3 or T4.",),
    ),
    Case(
        "size-comparator-le-5",
        "<= 5 cm lies within T1 (Table 1); G3 (FNCLCC grade III); T1 G3 II (Table 7)",
        (size_q(5, comparator="<="), grade_s("FNCLCC grade III")),
        t="T1",
        grade="G3",
        stage="II",
        card=("AJCC 8 stage II", "cT1 (<=5 cm)"),
    ),
    Case(
        "text-values",
        "85 mm = 8.5 cm, T2; 15/10 HPF score 2; < 50 % necrosis score 0 or 1; 2 + 2 + (0-1) = "
        "4-5, G2 (Tables 4-6); T2 G2 IIIA",
        (size_s("85 mm"), mit(valueString="15/10 HPF"), nec(valueString="<50%")),
        t="T2",
        grade="G2",
        stage="IIIA",
        card=("AJCC 8 stage IIIA", "mitotic count 2 + necrosis known only as 0-1 = 4-5"),
    ),
    Case(
        "text-size-cm-and-mitoses-per-10-hpf",
        "8.5 cm T2; 15 per 10 HPF score 2; necrosis absent (SNOMED CT 2667000) score 0; "
        "2 + 2 + 0 = 4, G2; T2 G2 IIIA",
        (size_s("8.5 cm"), mit(valueString="15 per 10 HPF"), nec(**coded("2667000"))),
        t="T2",
        grade="G2",
        stage="IIIA",
        card=("G2 (FNCLCC differentiation 2 + mitoses 2 + necrosis 0 = 4)",),
    ),
    Case(
        "necrosis-present-coded",
        "necrosis present (SNOMED CT 52101004) is > 0 %, score 1 or 2; mitoses 25 score 3; "
        "2 + 3 + (1-2) = 6-7, G3; 7 cm T2; T2 G3 IIIA",
        (size_q(70, "mm"), mit(valueInteger=25), nec(**coded("52101004"))),
        t="T2",
        grade="G3",
        stage="IIIA",
        card=(
            "G3 (FNCLCC differentiation 2 + mitotic count 3 + necrosis known only as 1-2 = 6-7)",
        ),
    ),
    Case(
        "necrosis-none-text",
        "'none' is no necrosis, score 0; mitoses 5 score 1; 2 + 1 + 0 = 3, G1; 7 cm T2; T2 G1 IB",
        (size_q(7), mit(valueInteger=5), nec(valueString="none")),
        t="T2",
        grade="G1",
        stage="IB",
    ),
    Case(
        "partial-score-fixes-the-grade",
        "mitoses 25 (score 3), necrosis not recorded (0-2): 2 + 3 + (0-2) = 5-7, G2 or G3; "
        "T2 G2/G3 both IIIA (Table 7): the stage is determined",
        (size_q(7), mit(valueInteger=25)),
        t="T2",
        grade="GX",
        grade_options=("G2", "G3"),
        stage="IIIA",
        card=(
            "AJCC 8 stage IIIA",
            "GX (G2 or G3) (FNCLCC differentiation 2 + mitotic count 3 + necrosis unknown 0-2 "
            "= 5-7)",
        ),
        card_absent=("GX: the FNCLCC grade cannot be assessed",),
    ),
    Case(
        "high-grade",
        "'high grade' (two-tier) is G2 or G3; 7 cm T2; T2 G2/G3 IIIA",
        (size_q(7), grade_s("high grade")),
        t="T2",
        grade="GX",
        grade_options=("G2", "G3"),
        stage="IIIA",
        card=("AJCC 8 stage IIIA", "GX (G2 or G3)"),
        no_gaps=True,
    ),
    Case(
        "high-grade-coded",
        "mCODE HistologicGradeVS 'high histologic grade' (SNOMED CT 1155707008) is G2 or G3; "
        "12 cm T3; T3 G2/G3 IIIB",
        (size_q(12), observation("grade", GRADE, **coded("1155707008"))),
        t="T3",
        grade="GX",
        grade_options=("G2", "G3"),
        stage="IIIB",
        notes=("sources differ: SEER records such a grade as unknown",),
    ),
    Case(
        "differentiation-out-of-range",
        "a differentiation score of 4 cannot be read (FNCLCC scores 1-3, PDQ Table 4): the "
        "histology's score 2 is used; mitoses 25 (3), necrosis 60 % (2): 7, G3; 7 cm T2 IIIA",
        (
            size_q(7),
            mit(valueInteger=25),
            nec(valueQuantity=quantity(60, "%")),
            observation("diff", DIFFERENTIATION, valueInteger=4),
        ),
        t="T2",
        grade="G3",
        stage="IIIA",
        unreadable=("could not read '4' in Observation/diff (differentiation score)",),
    ),
    Case(
        "low-grade",
        "'low grade' (two-tier) is G1; 7 cm T2; T2 G1 IB",
        (size_q(7), grade_s("low grade")),
        t="T2",
        grade="G1",
        stage="IB",
    ),
    Case(
        "grade-2-of-3",
        "'grade 2 of 3' is G2; 4 cm T1; T1 G2 II",
        (size_q(4), grade_s("grade 2 of 3")),
        t="T1",
        grade="G2",
        stage="II",
    ),
    Case(
        "g2",
        "'G2' is G2; > 15 cm T4; T4 G2 IIIB",
        (size_q(15, comparator=">"), grade_s("G2")),
        t="T4",
        grade="G2",
        stage="IIIB",
    ),
    Case(
        "unreadable-necrosis",
        "necrosis 'moderate' cannot be read: unknown, not absent; mitoses 5 score 1; "
        "2 + 1 + (0-2) = 3-5, G1 or G2; T2: IB (GX grouped with G1) or IIIA",
        (size_q(7), mit(valueInteger=5), nec(valueString="moderate")),
        t="T2",
        grade="GX",
        grade_options=("G1", "G2"),
        stage="IB",
        alternatives=("IB", "IIIA"),
        unreadable=("could not read 'moderate' in Observation/nec (necrosis)",),
        card=("Could not read", "could not read 'moderate' in Observation/nec (necrosis)"),
        card_absent=("Missing**: necrosis",),
        gaps=("How the stage would change: IB if G1; IIIA if G2.",),
    ),
    Case(
        "unreadable-size-decimal-comma",
        "'8,5 cm' is not read (a decimal comma is ambiguous): size unknown, TX; grade G3; "
        "T unknown at trunk/extremity: II, IIIA or IIIB (Table 7)",
        (size_s("8,5 cm"), grade_s("Grade 3")),
        t="TX",
        grade="G3",
        stage=None,
        alternatives=("II", "IIIA", "IIIB"),
        unreadable=("could not read '8,5 cm' in Observation/size (tumor size)",),
        card=("Could not read",),
    ),
    Case(
        "implausible-but-possible-size",
        "150 cm is possible but implausible (plausibility table): used with a warning; "
        "T4 (> 15 cm); G3; T4 G3 IIIB",
        (size_q(150), grade_s("Grade 3")),
        t="T4",
        grade="G3",
        stage="IIIB",
        notes=("implausible",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_stage_fhir(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (item,) = stage_fhir(chart(*case.observations), tmp_path, capsys)
    assert item["t"] == case.t
    assert item["t_options"] == list(case.t_options)
    assert item["grade"] == case.grade
    assert item["grade_options"] == list(case.grade_options)
    assert item["stage"] == case.stage
    if case.alternatives or case.stage is None:
        assert item["alternatives"] == list(case.alternatives)
    for fragment in case.unreadable:
        assert any(fragment in said for said in item["unreadable"]), item["unreadable"]
    if not case.unreadable:
        assert item["unreadable"] == []
    for fragment in case.notes:
        assert any(fragment in note for note in item["notes"]), item["notes"]


@pytest.mark.anyio
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_service(case: Case, tmp_path: Path) -> None:
    cards = await service_cards(chart(*case.observations), tmp_path)
    stage = cards[0]
    detail = unescape(stage["detail"])
    summary = stage["summary"]
    if case.stage is not None:
        assert summary.startswith(f"AJCC 8 stage {case.stage} ("), summary
    else:
        assert summary.startswith("AJCC 8 stage needs more data"), summary
    for fragment in case.card:
        assert fragment in detail or fragment in summary, fragment
    for fragment in case.card_absent:
        assert fragment not in detail, fragment
    if case.unreadable:
        assert "**Could not read**" in stage["detail"]
    if case.no_gaps:
        assert not any("to complete staging" in c["summary"] for c in cards)
        assert any(
            c["summary"].startswith(f"Treatment options for stage {case.stage}") for c in cards
        )
    text = " ".join(unescape(c["detail"]) for c in cards)
    for fragment in (*case.notes, *case.gaps):
        assert fragment in text, fragment


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_stage_fhir_text_lists_what_could_not_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = next(c for c in CASES if c.id == "unreadable-necrosis")
    path = tmp_path / "chart.json"
    path.write_text(json.dumps(bundle(chart(*case.observations))), encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["stage-fhir", str(path)]) == 0
    out = capsys.readouterr().out
    assert "  * could not read 'moderate' in Observation/nec (necrosis)" in out
