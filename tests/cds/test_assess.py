"""Behaviour of ``cds.assess.assess`` beyond the case files: robustness to bad values that
bypass the CLI (FHIR input), wording the card shows, and purity."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cds.assess import assess
from cds.model import Grade, M, N, SiteGroup, Status, T, TumorInputs
from cds.report import assessment_json, assessment_text


def codes(inputs: TumorInputs) -> set[str]:
    return {p.code for p in assess(inputs).problems}


def test_bad_values_from_other_callers_become_problems_not_exceptions() -> None:
    a = assess(
        TumorInputs(
            site=SiteGroup.TRUNK_EXTREMITY,
            size_cm=Decimal("-3"),
            differentiation=5,
            mitoses=-1,
            necrosis_pct=Decimal("NaN"),
            histology="leiomyosarcoma",
        )
    )
    found = {p.code for p in a.problems}
    assert {
        "invalid-size",
        "invalid-differentiation",
        "invalid-mitotic-count",
        "invalid-necrosis",
        "invalid-histology",
    } <= found
    assert a.t is T.TX
    assert a.grade.grade is Grade.GX
    assert a.status is Status.INSUFFICIENT_DATA
    assert "histology" in a.missing


def test_trace_explains_size_in_words() -> None:
    a = assess(TumorInputs(site=SiteGroup.TRUNK_EXTREMITY, size_cm=Decimal("7")))
    explanations = [s.explanation for s in a.trace]
    assert "greatest dimension 7 cm is > 5 and <= 10 cm: T2 (AJCC 8th ed., ch. 41)" in explanations


def test_round_cell_trace_names_both_sources() -> None:
    a = assess(TumorInputs(site=SiteGroup.TRUNK_EXTREMITY, histology="8853/3"))
    step = next(s for s in a.trace if s.table == "fnclcc-differentiation")
    assert "differentiation score 3" in step.explanation
    assert "Guillou" in step.explanation
    assert "PDQ Table 5" in step.explanation


def test_node_positive_option_explains_ajcc_stage_by_site() -> None:
    a = assess(TumorInputs(site=SiteGroup.RETROPERITONEUM, t=T.T2, n=N.N1, m=M.M0, grade=Grade.G2))
    option = next(o for o in a.treatment if o.id == "node-positive-surgery-lymphadenectomy")
    assert "advanced stage III (N1)" in option.detail
    assert "stage IV at the trunk and extremities" in option.detail
    assert "stage IIIB in the retroperitoneum" in option.detail
    assert option.source == "Treatment Options for Advanced Stage III (N1) Soft Tissue Sarcoma"


def test_pazopanib_note_says_why_for_adipocytic() -> None:
    a = assess(
        TumorInputs(site=SiteGroup.RETROPERITONEUM, histology="8858/3", m=M.M1, grade=Grade.G3)
    )
    ids = [o.id for o in a.treatment]
    assert "pazopanib" not in ids
    note = next(o for o in a.treatment if o.id == "pazopanib-not-for-adipocytic")
    assert "adipocytic" in note.detail
    assert note.kind == "note"


def test_every_option_is_complete_and_cites_a_pdq_section() -> None:
    a = assess(TumorInputs(site=SiteGroup.TRUNK_EXTREMITY, histology="9581/3", m=M.M1))
    assert a.treatment
    for o in a.treatment:
        assert all((o.id, o.title, o.detail, o.evidence, o.source, o.kind))


def test_assess_is_pure() -> None:
    inputs = TumorInputs(site=SiteGroup.HEAD_NECK, size_cm=Decimal("3.3"), grade=Grade.G2)
    assert assess(inputs) == assess(inputs)


def test_report_text_and_json_for_not_applicable() -> None:
    a = assess(TumorInputs(site=SiteGroup.TRUNK_EXTREMITY, histology="8936/3", size_cm=Decimal(4)))
    out = assessment_json(a)
    assert out["status"] == "not-applicable"
    assert out["stage"] is None
    assert isinstance(out["reason"], str)
    assert "ch. 43" in out["reason"]
    text = assessment_text(a)
    assert "Stage: none (status: not-applicable)" in text
    assert "Reason: Gastrointestinal stromal tumor" in text


def test_invalid_recorded_t_message_says_what_decided_instead() -> None:
    """The t-invalid-for-site warning agrees with the trace: size decides T when known."""

    def message(inputs: TumorInputs) -> str:
        (found,) = [p.message for p in assess(inputs).problems if p.code == "t-invalid-for-site"]
        return found

    with_size = message(TumorInputs(site=SiteGroup.TRUNK_EXTREMITY, t=T.T2a, size_cm=Decimal(7)))
    assert "Recorded T2a is not a T category" in with_size
    assert "T is taken from the greatest dimension" in with_size
    assert "treated as unknown" not in with_size
    without = message(TumorInputs(site=SiteGroup.HEAD_NECK, t=T.T4c))
    assert "T is unknown" in without


@pytest.mark.parametrize(
    ("histology", "site", "topography", "covered"),
    [
        # CLINICAL.md section 1: "Not AJCC-STS at all: GIST (ch. 43), Kaposi sarcoma, uterine
        # sarcomas (ch. 54), non-malignant behaviour codes (/0, /1)"
        ("8936/3", SiteGroup.VISCERAL, None, False),
        ("9140/3", SiteGroup.TRUNK_EXTREMITY, None, False),
        ("8890/3", SiteGroup.VISCERAL, "C54.1", False),
        ("8821/1", SiteGroup.TRUNK_EXTREMITY, None, False),
        # ch. 45 unusual histologies and sites without a stage group are still AJCC 8 STS
        ("9581/3", SiteGroup.TRUNK_EXTREMITY, None, True),
        ("8890/3", SiteGroup.HEAD_NECK, None, True),
        ("8890/3", SiteGroup.TRUNK_EXTREMITY, None, True),
    ],
)
def test_whether_the_sts_chapters_cover_the_tumor(
    histology: str, site: SiteGroup, topography: str | None, covered: bool
) -> None:
    inputs = TumorInputs(
        site=site, histology=histology, topography=topography, size_cm=Decimal("6")
    )
    assert assess(inputs).ajcc_sts is covered
