"""The shortcuts taken when building and serializing a new chart's cards give exactly what the
direct computation gives: the identifier material of a tumor written out
(``hooks.fhir.writeback.tumor_material_text``), the placeholders of a response template
(``hooks.services.responses``)."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

import orjson

from cds.interval import Interval
from cds.model import Grade, M, N, SiteGroup, Stage, T
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
