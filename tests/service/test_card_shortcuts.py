"""The shortcuts taken when building and serializing a new chart's cards give exactly what the
direct computation gives: the identifier material of a tumor written out
(``hooks.fhir.writeback.tumor_material_text``)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from cds.interval import Interval
from cds.model import Grade, M, N, SiteGroup, Stage, T
from hooks.fhir import writeback
from hooks.fhir.model import PrimaryTumor, Source
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
    members = [
        (SiteGroup, "site"),
        (T, "t"),
        (N, "n"),
        (M, "m"),
        (Grade, "grade"),
        (Stage, "stage"),
    ]
    for enum, name in members:
        for member in enum:
            variants.append(replace(base, inputs=replace(base.inputs, **{name: member})))
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
