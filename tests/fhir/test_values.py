"""The reading grammar (hooks/fhir/tables/value_grammar.toml), form by form: what is read, as
what, and what is refused (to be reported as 'could not read', never guessed)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cds.interval import Interval
from cds.model import Grade
from hooks.fhir.values import read_grade_text, read_text

D = Decimal

READ = [
    ("size", "8.5 cm", D("8.5"), "cm"),
    ("size", "85 mm", D(85), "mm"),
    ("size", "85mm", D(85), "mm"),
    ("size", "2 inches", D(2), "[in_i]"),
    ("size", "> 5 cm", Interval.bound(">", D(5)), "cm"),
    ("size", ">5cm", Interval.bound(">", D(5)), "cm"),
    ("size", "greater than 10 centimeters", Interval.bound(">", D(10)), "cm"),
    ("size", "≤ 5 cm", Interval.bound("<=", D(5)), "cm"),
    ("size", "at least 15 cm.", Interval.bound(">=", D(15)), "cm"),
    ("mitoses", "15", D(15), ""),
    ("mitoses", "15 per 10 HPF", D(15), ""),
    ("mitoses", "15/10 HPF", D(15), ""),
    ("mitoses", "15/10hpf", D(15), ""),
    ("mitoses", "< 10 mitoses per 10 HPF", Interval.bound("<", D(10)), ""),
    ("mitoses", "more than 20 per 10 high-power fields", Interval.bound(">", D(20)), ""),
    ("mitoses", "none", Interval.point(D(0)), ""),
    ("necrosis", "30%", D(30), "%"),
    ("necrosis", "<50%", Interval.bound("<", D(50)), "%"),
    ("necrosis", ">= 50 %", Interval.bound(">=", D(50)), "%"),
    ("necrosis", "none", Interval.point(D(0)), ""),
    ("necrosis", "Absent", Interval.point(D(0)), ""),
    ("necrosis", "not identified", Interval.point(D(0)), ""),
    ("necrosis", "present", Interval(D(0), False, D(100), True), ""),
    ("necrosis", "cannot be determined", Interval(D(0), True, D(100), True), ""),
]


@pytest.mark.parametrize(("name", "text", "value", "unit"), READ, ids=[r[1] for r in READ])
def test_read(name: str, text: str, value: Decimal | Interval, unit: str) -> None:
    read = read_text(name, text)
    assert (read.value, read.problem) == (value, None)
    if name == "size":  # the UCUM code the size is converted from
        assert read.unit == unit


REFUSED = [
    ("size", "8,5 cm"),  # decimal comma: ambiguous with a thousands separator
    ("size", "1,500 mm"),
    ("size", "8.5"),  # no unit
    ("size", "5 furlongs"),
    ("size", "1E+999999999 cm"),  # no exponents
    ("size", ">>5 cm"),
    ("size", "large"),
    ("size", "5" * 81 + " cm"),
    ("mitoses", "15 per mm2"),
    ("mitoses", "15 per 50 HPF"),
    ("mitoses", "numerous"),
    ("necrosis", "50"),  # no % sign
    ("necrosis", "moderate"),
    ("necrosis", "1e2 %"),
]


@pytest.mark.parametrize(("name", "text"), REFUSED, ids=[r[1][:20] for r in REFUSED])
def test_refused(name: str, text: str) -> None:
    read = read_text(name, text)
    assert read.value is None
    assert read.problem


GRADES = [
    ("Grade 3", (Grade.G3,)),
    ("grade 3", (Grade.G3,)),
    ("FNCLCC grade III", (Grade.G3,)),
    ("FNCLCC Grade II", (Grade.G2,)),
    ("grade 2 of 3", (Grade.G2,)),
    ("Grade 2/3", (Grade.G2,)),
    ("G2", (Grade.G2,)),
    ("g1", (Grade.G1,)),
    ("GX", (Grade.GX,)),
    ("Histologic grade 1", (Grade.G1,)),
    ("Grade 3 (FNCLCC)", (Grade.G3,)),
    ("high grade", (Grade.G2, Grade.G3)),
    ("High-grade", (Grade.G2, Grade.G3)),
    ("high histologic grade", (Grade.G2, Grade.G3)),
    ("low grade", (Grade.G1,)),
    ("Intermediate grade", (Grade.G2,)),
    ("grade 4", None),
    ("G4", None),
    ("poorly differentiated", None),
    ("grade 2 of 4", None),
    ("III", None),
]


@pytest.mark.parametrize(("text", "grades"), GRADES, ids=[g[0] for g in GRADES])
def test_grade(text: str, grades: tuple[Grade, ...] | None) -> None:
    assert read_grade_text(text) == grades
