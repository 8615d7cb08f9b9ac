"""The remembered text of the treatment card (``hooks.cards.treatment.card_text``) and of the
notes card's option lines (``hooks.cards.notes.option_notes``) is what the cards gave when
they built it for every chart: each card is compared with the card as first written, on the
golden cases, bench charts and variants (resolved, grade unknown, no stage group, options
that differ in one field only)."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest

from cds.model import Stage, Status, TraceStep, TreatmentOption
from hooks.cards import context as clinical_context
from hooks.cards import notes, plain, treatment
from hooks.cards.common import INFO_OVERRIDE_REASONS_WIRE, PDQ_URL, TREATMENT_SOURCE_WIRE
from hooks.cards.markdown import DISCLAIMER, link, md, summary
from hooks.fhir.model import TumorReport
from tests.service.test_card_memos import reports

GOLDEN = sorted((Path(__file__).resolve().parents[1] / "golden" / "cases").glob("*.request.json"))


def ids() -> Any:
    count = 0

    def new_uuid() -> str:
        nonlocal count
        count += 1
        return f"id-{count}"

    return new_uuid


def treatment_card_as_first_written(report: TumorReport) -> plain.WireCard | None:
    """``treatment_card`` before its text was remembered."""
    tumor, a = report.tumor, report.assessment
    options = [o for o in a.treatment if o.kind in {"stage", "histology"}]
    if not options:
        return None
    stage = f"stage {a.stage.value}" if a.stage else "this tumor"
    if a.stage and treatment.extent_row(a) == treatment.GRADE_UNKNOWN_EXTENT:
        stage = f"stage {a.stage.value} (grade unknown)"
        said = (
            f"localized disease of unknown grade (GX; AJCC 8 stage {a.stage.value} counts GX as G1)"
        )
    else:
        said = stage
    follow_up = [
        f"- **{md(o.title)}**: {md(o.detail)} ({md(o.source)})"
        for o in a.treatment
        if o.kind == "follow-up"
    ]
    lines = [
        *clinical_context.resolved_lead(tumor, follow_up, md),
        f"Options the {link('NCI PDQ summary', PDQ_URL)} describes for {said} "
        f"({md(tumor.description) or 'primary sarcoma'}), in our words:",
    ]
    groups: dict[str, list[TreatmentOption]] = {}
    for option in options:
        groups.setdefault(option.source, []).append(option)
    for section, members in groups.items():
        lines += ["", f"**{md(section)}**"]
        for option in members:
            note = f": {md(option.evidence)}" if option.title in treatment.CHOICE_EVIDENCE else ""
            lines.append(f"- {md(option.title)}{note}")
    lines += [
        "",
        "Discuss in a multidisciplinary sarcoma team; clinical trials are an "
        "option at every stage.",
        "",
        DISCLAIMER,
    ]
    term = a.histology_name or "soft tissue sarcoma"
    links = [
        plain.link(
            label="NCI PDQ: Adult Soft Tissue Sarcoma Treatment", url=PDQ_URL, auto_launchable=False
        ),
        plain.link(
            label=f"ClinicalTrials.gov: {term}"[:80],
            url=treatment.trials_url(term),
            auto_launchable=False,
        ),
    ]
    prefix = f"Treatment options for {stage}" if a.stage else "Treatment options"
    if tumor.resolved:
        prefix = "Recorded as resolved: follow-up first"
    return plain.card(
        uuid="id-1",
        summary=summary(prefix, tumor.description),
        detail="\n".join(lines),
        indicator="info",
        source=TREATMENT_SOURCE_WIRE,
        links=links,
        override_reasons=INFO_OVERRIDE_REASONS_WIRE,
    )


def notes_card_as_first_written(report: TumorReport) -> plain.WireCard | None:
    """``notes_card`` before its option lines were remembered."""
    tumor, a = report.tumor, report.assessment
    lines = []
    if a.status is Status.NOT_APPLICABLE and a.reason:
        lines.append(f"- No AJCC 8 stage group: {md(a.reason)}")
    for option in a.treatment:
        if option.kind not in {"stage", "histology"}:
            lines.append(f"- **{md(option.title)}**: {md(option.detail)} ({md(option.source)})")
    if tumor.preliminary:
        lines.append(
            "- Part of the data is preliminary (not final): recheck when the final "
            "report is available."
        )
    lines += [f"- {md(note)}" for note in tumor.notes]
    if not lines:
        return None
    body = ["Notes for this tumor:", "", *lines, "", DISCLAIMER]
    return plain.card(
        uuid="id-1",
        summary=summary("Sarcoma notes", tumor.description),
        detail="\n".join(body),
        indicator="info",
        source=TREATMENT_SOURCE_WIRE,
        override_reasons=INFO_OVERRIDE_REASONS_WIRE,
    )


def edited(option: TreatmentOption, name: str) -> TreatmentOption:
    value = getattr(option, name)
    if name == "kind":
        other = {"stage": "histology", "histology": "note"}.get(value, "stage")
        return replace(option, kind=other)
    if name == "title" and value in treatment.CHOICE_EVIDENCE:
        return replace(option, title=value + " (other)")
    return replace(option, **{name: value + " [other]"})


def variants(report: TumorReport) -> list[TumorReport]:
    """The report, and the same with one thing changed that the text depends on."""
    tumor, a = report.tumor, report.assessment
    gx_step = TraceStep(
        table="pdq-treatment-extent",
        row=treatment.GRADE_UNKNOWN_EXTENT,
        source="PDQ",
        explanation="localized, grade unknown",
    )
    out = [
        report,
        replace(report, tumor=replace(tumor, resolved="resolved")),
        replace(report, tumor=replace(tumor, description="Other *sarcoma* of the arm")),
        replace(report, tumor=replace(tumor, description="")),
        replace(report, assessment=replace(a, stage=None)),
        replace(report, assessment=replace(a, stage=Stage.IB)),
        replace(report, assessment=replace(a, histology_name=None)),
        replace(report, assessment=replace(a, histology_name="myxofibrosarcoma")),
        replace(report, assessment=replace(a, trace=(*a.trace, gx_step))),
        replace(report, assessment=replace(a, treatment=a.treatment[::-1])),
    ]
    for i, option in enumerate(a.treatment):
        for name in ("title", "detail", "evidence", "source", "kind"):
            changed = (*a.treatment[:i], edited(option, name), *a.treatment[i + 1 :])
            out.append(replace(report, assessment=replace(a, treatment=changed)))
    return out


REPORTS = reports()  # the golden cases' and five bench charts' tumors


def test_the_reports_cover_options_of_every_kind() -> None:
    assert len(REPORTS) >= 10
    kinds = {o.kind for r in REPORTS for o in r.assessment.treatment}
    assert {"stage", "note", "site", "follow-up"} <= kinds  # and "histology" in variants
    assert {f.name for f in fields(TreatmentOption)} >= {"title", "detail", "evidence", "source"}


@pytest.mark.parametrize("index", range(len(REPORTS)))
def test_the_cards_are_those_built_directly(index: int) -> None:
    for report in variants(REPORTS[index]):
        for _ in range(2):  # the first call fills the memo, the second reads it
            assert treatment.treatment_card(
                report, new_uuid=ids()
            ) == treatment_card_as_first_written(report)
            assert notes.notes_card(report, new_uuid=ids()) == notes_card_as_first_written(report)


def test_the_remembered_text_is_the_direct_text() -> None:
    for report in (v for r in REPORTS for v in variants(r)):
        a, tumor = report.assessment, report.tumor
        grade_unknown = a.stage is not None and (
            treatment.extent_row(a) == treatment.GRADE_UNKNOWN_EXTENT
        )
        key = (a.treatment, a.stage, grade_unknown, tumor.description, a.histology_name)
        assert treatment.card_text(*key) == treatment.direct_card_text(*key)
        assert notes.option_notes(a.treatment) == notes.direct_option_notes(a.treatment)
