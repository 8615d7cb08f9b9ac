"""Clinical cases as data: every ``tests/cases/*.toml`` case through ``cds.assess.assess``.

Each case has an ``id``, the ``source`` its expectation was read from, ``inputs`` (the
``TumorInputs`` field names) and ``expected``. Expected values are typed by hand from the
cited source, never produced by the code under test.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cds.assess import assess
from cds.interval import Interval
from cds.model import Assessment, Grade, M, N, SiteGroup, Stage, T, TumorInputs

CASE_DIR = Path(__file__).parent
KNOWN_EXPECTATIONS = {
    "t",
    "n",
    "m",
    "grade",
    "stage",
    "status",
    "missing",
    "alternatives",
    "t_basis",
    "n_basis",
    "m_basis",
    "grade_basis",
    "scores",
    "provisional",
    "problems",
    "problems_absent",
    "treatment",
    "treatment_absent",
    "treatment_exact",
    "treatment_detail_contains",
    "reason_contains",
    "trace_contains",
    "trace_absent",
    "trace_tables",
    "t_options",
    "grade_options",
}


def interval(text: str) -> Interval:
    """A case's interval in the FHIR comparator notation: "> 5", "<= 9.5", "= 7"."""
    comparator, _, number = text.partition(" ")
    if comparator == "=":
        return Interval.point(Decimal(number))
    return Interval.bound(comparator, Decimal(number))


def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted(CASE_DIR.glob("*.toml")):
        for case in tomllib.loads(path.read_text(encoding="utf-8"))["case"]:
            case["file"] = path.name
            cases.append(case)
    return cases


CASES = load_cases()


def to_inputs(raw: dict[str, Any]) -> TumorInputs:
    converters: dict[str, Any] = {
        "site": SiteGroup,
        "size_cm": Decimal,
        "necrosis_pct": Decimal,
        "grade": Grade,
        "t": T,
        "n": N,
        "m": M,
        "stage": Stage,
        "grade_caveats": tuple,
        "size_range": interval,
        "mitoses_range": interval,
        "necrosis_range": interval,
        "grade_options": lambda v: tuple(Grade(g) for g in v),
        "unreadable": tuple,
    }
    values = {k: converters.get(k, lambda v: v)(v) for k, v in raw.items()}
    return TumorInputs(**values)


def check(a: Assessment, expected: dict[str, Any]) -> None:
    unknown = set(expected) - KNOWN_EXPECTATIONS
    assert not unknown, f"unknown expectation keys {unknown}"
    simple = {
        "t": a.t.value,
        "n": a.n.value,
        "m": a.m.value,
        "grade": a.grade.grade.value,
        "stage": a.stage.value if a.stage else "none",
        "status": a.status.value,
        "missing": list(a.missing),
        "alternatives": [s.value for s in a.alternatives],
        "t_basis": a.t_basis.value,
        "n_basis": a.n_basis.value,
        "m_basis": a.m_basis.value,
        "grade_basis": a.grade.basis.value,
        "provisional": a.grade.provisional,
        "t_options": [t.value for t in a.t_options],
        "grade_options": [g.value for g in a.grade.options],
    }
    for key, actual in simple.items():
        if key in expected:
            assert actual == expected[key], f"{key}: expected {expected[key]!r}, got {actual!r}"
    if "scores" in expected:
        s = a.grade.scores
        got = {"differentiation": s.differentiation, "mitotic": s.mitotic, "necrosis": s.necrosis}
        assert got == expected["scores"]
    codes = {p.code for p in a.problems}
    for code in expected.get("problems", []):
        assert code in codes, f"problem {code!r} not in {sorted(codes)}"
    for code in expected.get("problems_absent", []):
        assert code not in codes, f"problem {code!r} unexpectedly present"
    ids = [o.id for o in a.treatment]
    for option in expected.get("treatment", []):
        assert option in ids, f"treatment {option!r} not in {ids}"
    for option in expected.get("treatment_absent", []):
        assert option not in ids, f"treatment {option!r} unexpectedly present"
    if "treatment_exact" in expected:
        assert ids == expected["treatment_exact"]
    details = {o.id: o.detail for o in a.treatment}
    for option, words in expected.get("treatment_detail_contains", {}).items():
        assert words in details[option], f"{option} detail lacks {words!r}"
    for words in expected.get("reason_contains", []):
        assert a.reason is not None
        assert words in a.reason, f"reason lacks {words!r}: {a.reason}"
    explanations = " | ".join(s.explanation for s in a.trace)
    for words in expected.get("trace_contains", []):
        assert words in explanations, f"trace lacks {words!r}"
    for words in expected.get("trace_absent", []):
        assert words not in explanations, f"trace unexpectedly has {words!r}"
    tables = {s.table for s in a.trace}
    for table_id in expected.get("trace_tables", []):
        assert table_id in tables


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    assert case["source"].strip(), "every case names its source"
    check(assess(to_inputs(case["inputs"])), case["expected"])


def test_case_ids_unique() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))


def test_boundaries_covered() -> None:
    """The boundaries issue 2 names all have a case."""
    sizes = {(c["inputs"].get("site"), c["inputs"].get("size_cm")) for c in CASES}
    for site in ("trunk-extremity", "retroperitoneum"):
        for size in ("5.0", "5.1", "10.0", "10.1", "15.0", "15.1"):
            assert (site, size) in sizes
    for size in ("2.0", "2.1", "4.0", "4.1"):
        assert ("head-neck", size) in sizes
    mitoses = {c["inputs"].get("mitoses") for c in CASES}
    assert {9, 10, 19, 20} <= mitoses
    necrosis = {c["inputs"].get("necrosis_pct") for c in CASES}
    assert {"0", "49", "50"} <= necrosis
