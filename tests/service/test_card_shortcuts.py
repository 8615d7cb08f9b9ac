"""The shortcuts taken when building and serializing a new chart's cards give exactly what the
direct computation gives: the identifier material of a tumor written out
(``hooks.fhir.writeback.tumor_material_text``), the placeholders of a response template
(``hooks.services.responses``), the stage card's values table
(``hooks.cards.stage._values_table``)."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

import orjson

from cds.grade_sets import PARTIAL_SUM
from cds.interval import Interval
from cds.model import Assessment, Basis, Grade, M, N, SiteGroup, Stage, T, TraceStep
from hooks.cards import stage
from hooks.cards.markdown import md
from hooks.fhir import writeback
from hooks.fhir.model import PrimaryTumor, Source
from hooks.services.responses import build_template
from tests.service.test_card_memos import reports


def tumors() -> list[PrimaryTumor]:
    """The golden and bench tumors, and variants with every kind of input value."""
    found = [report.tumor for report in reports()]
    base = found[0]
    odd = {
        "size_cm": Source("Observation/o'brien", None, "final", "5 cm"),
        "t": Source('Observation/say "T2"', "2024-01-02", None),
        "n": Source("Observation/back\\slash\u00e9", "", None),
    }
    variants = [
        replace(base, sources={}),
        replace(base, sources={"t": Source("Observation/one", "2024-01-01")}),
        replace(base, sources=odd),
        # A plain string equal to an enum member's value: its repr is not the member's.
        replace(base, inputs=replace(base.inputs, topography="T2", histology="G2")),
        replace(
            base,
            inputs=replace(
                base.inputs,
                size_cm=None,
                size_range=Interval.bound(">", Decimal("5")),
                mitoses_range=Interval(Decimal("1"), True, None, False),
                grade_options=(Grade.G2, Grade.G3),
                grade_caveats=("graded after neoadjuvant therapy",),
                unreadable=("size",),
                recurrent=True,
                differentiation=1,
                stage=Stage.IIIA,
            ),
        ),
    ]
    inputs = base.inputs
    variants += [replace(base, inputs=replace(inputs, site=member)) for member in SiteGroup]
    variants += [replace(base, inputs=replace(inputs, t=member)) for member in T]
    variants += [replace(base, inputs=replace(inputs, n=member)) for member in N]
    variants += [replace(base, inputs=replace(inputs, m=member)) for member in M]
    variants += [replace(base, inputs=replace(inputs, grade=member)) for member in Grade]
    variants += [replace(base, inputs=replace(inputs, stage=member)) for member in Stage]
    return found + variants


def test_the_written_out_material_is_the_direct_material() -> None:
    checked = tumors()
    assert len(checked) >= 40
    for tumor in checked:
        assert writeback.tumor_material_text(tumor) == writeback.direct_tumor_material(tumor)


def test_the_material_tells_a_value_from_a_constant_equal_to_it() -> None:
    base = reports()[0].tumor
    as_text = replace(base, inputs=replace(base.inputs, t=None, topography="T2"))
    as_member = replace(base, inputs=replace(base.inputs, t=T.T2, topography=None))
    assert "('topography', 'T2')" in writeback.tumor_material_text(as_text)
    assert "('t', <T.T2: 'T2'>)" in writeback.tumor_material_text(as_member)
    # 1 == True and 0 == False: a score of 1 is written 1
    one = replace(base, inputs=replace(base.inputs, differentiation=1, mitoses=0))
    assert "('differentiation', 1)" in writeback.tumor_material_text(one)
    assert "('mitoses', 0)" in writeback.tumor_material_text(one)


def test_placeholders_are_random_capitals_of_the_former_length() -> None:
    """The prefix is 128 random bits in capitals rare in card text, 37 characters like the
    former ``slot<32 hex digits>-``: a template's size (the response limit) is unchanged."""
    prefixes = set()
    for _ in range(50):
        template = build_template(lambda new_id, when: [{"id": new_id(), "when": when}], notes=0)
        assert re.fullmatch(rb"SLOT[BEFGHJKLQRUVWXYZ]{32}K", template.prefix)
        assert template.size == len(b'{"cards":[{"id":"","when":""}]}') + 2 * (37 + 5)
        prefixes.add(template.prefix)
    assert len(prefixes) == 50


def test_card_text_in_capitals_is_left_as_it_is() -> None:
    text = "SLOTK SLOTBEFGHJKLQRUVWXYZ KWXYZ 99999 00000"
    template = build_template(lambda new_id, when: [{"id": new_id(), "text": text}], notes=0)
    body = orjson.loads(template.render(lambda: "id-1", "2026-01-01T00:00:00Z"))
    assert body == {"cards": [{"id": "id-1", "text": text}]}


def values_table_as_first_written(tumor: PrimaryTumor, a: Assessment) -> list[str]:
    """``hooks.cards.stage._values_table`` before the score text of a recorded grade was skipped."""

    def src(name: str) -> Source | None:  # an unreadable value is named, not "not recorded"
        unread = tumor.unread_sources.get(name)
        if name in tumor.sources or unread is None:
            return tumor.sources.get(name)
        return Source(
            unread.reference, unread.date, unread.status, f"could not read {unread.text!r}"
        )

    size = src("size_cm")
    if size is not None and size.text:
        size_text = md(size.text)
    elif tumor.inputs.size_cm is not None:
        size_text = f"{tumor.inputs.size_cm} cm"
    elif tumor.inputs.size_range is not None:  # known as an interval ("> 5 cm")
        size_text = md(tumor.inputs.size_range.describe("cm"))
    else:
        size_text = ""
    t_value = f"{tumor.classification.value}{a.t.value}" + (f" ({size_text})" if size_text else "")
    if a.t_options:
        t_value += f", {' or '.join(a.t_options)}"
    g = a.grade
    s = g.scores
    parts = [
        f"differentiation {s.differentiation}" if s.differentiation else None,
        f"mitoses {s.mitotic}" if s.mitotic else None,
        f"necrosis {s.necrosis}" if s.necrosis is not None else None,
    ]
    score_text = " + ".join(p for p in parts if p)
    if s.total is not None:
        score_text += f" = {s.total}"
    grade_value = g.grade.value + (", provisional" if g.provisional else "")
    if g.options:
        grade_value += f" ({' or '.join(g.options)})"
    partial = stage._partial_sum(a)
    if partial and g.basis is not Basis.RECORDED:
        grade_value += f" (FNCLCC {md(partial)})"
    elif score_text and g.basis is not Basis.RECORDED:
        grade_value += f" (FNCLCC {score_text})"
    grade_from = (
        (src("grade"),)
        if g.basis is Basis.RECORDED
        else (src("differentiation"), src("mitoses"), src("necrosis_pct"))
    )
    stage_value = a.stage.value if a.stage else "none"
    recorded_stage = src("stage") if a.stage and tumor.inputs.stage is a.stage else None
    stage_basis = "recorded" if recorded_stage else "derived" if a.stage else "-"
    stage_from = (
        stage._where(recorded_stage)
        if recorded_stage
        else f"AJCC 8th ed. ch. {stage.CHAPTERS[a.site]}"
        if a.site
        else "-"
    )
    rows = [
        ("T", t_value, stage._basis(a.t_basis, src("t")), stage._where(src("t") or size)),
        ("N", a.n.value, stage._basis(a.n_basis, src("n")), stage._where(src("n"))),
        ("M", a.m.value, stage._basis(a.m_basis, src("m")), stage._where(src("m"))),
        ("Grade", grade_value, stage._basis(g.basis, src("grade")), stage._where(*grade_from)),
        ("Stage", stage_value, stage_basis, stage_from),
    ]
    out = ["| | Value | Basis | Source |", "|---|---|---|---|"]
    out += [f"| {item} | {value} | {basis} | {where} |" for item, value, basis, where in rows]
    return out


def test_the_values_table_is_the_table_as_first_written() -> None:
    checked = 0
    for report in reports():
        tumor, a = report.tumor, report.assessment
        g = a.grade
        unread = {
            name: Source(f"Observation/unread-{name}", "2024-03-04", "final", "?")
            for name in ("t", "grade", "mitoses", "stage", "necrosis_pct")
        }
        partial = TraceStep(
            table="fnclcc-grade",
            row="G2 or G3",
            source="FNCLCC (PDQ Table 6)",
            explanation=f"{PARTIAL_SUM}differentiation 2 + mitotic count 3 + necrosis unknown "
            "0-2 = 5-7: G2 or G3",
        )
        variants = [
            (tumor, a),
            (tumor, replace(a, grade=replace(g, basis=Basis.DERIVED, trace=(partial,)))),
            (tumor, replace(a, grade=replace(g, basis=Basis.DERIVED))),
            (tumor, replace(a, grade=replace(g, basis=Basis.RECORDED, options=(Grade.G2,)))),
            (replace(tumor, unread_sources=unread), a),
            (
                replace(tumor, unread_sources=unread, sources={}),
                replace(a, grade=replace(g, basis=Basis.DERIVED, provisional=True)),
            ),
        ]
        for variant_tumor, variant in variants:
            expected = values_table_as_first_written(variant_tumor, variant)
            assert stage._values_table(variant_tumor, variant) == expected
            checked += 1
    assert checked >= 50
