"""The stage card's text shortcuts give what the direct computation gives, on every golden case
and bench chart (hooks.cards.stage): the source column's one-source path (``_where``) against
``direct_where``, and the categories written as the StrEnum members themselves instead of their
``.value``. Each check is also shown to fail on a broken variant."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any

import pytest

from bench import charts
from cds.model import Basis, Grade, M, N, SiteGroup, Stage, Status, T
from hooks.cards import stage
from hooks.cards.markdown import md
from hooks.fhir.model import Classification, Source, TumorReport
from hooks.services.staging import stage_patient
from tests.service.conftest import prefetched_resources


def direct_where(*sources: Source | None) -> str:
    """``stage._where`` without its shortcuts (the reference compared with)."""
    return stage._where_found(list({s.reference: s for s in sources if s is not None}.values()))


GOLDEN = sorted((Path(__file__).resolve().parents[1] / "golden" / "cases").glob("*.request.json"))
BENCH_CHARTS = 60


def reports() -> list[TumorReport]:
    requests = [json.loads(p.read_text()) for p in GOLDEN]
    requests += [charts.chart_request(n) for n in range(BENCH_CHARTS)]
    out: list[TumorReport] = []
    for request in requests:
        _, found = stage_patient(request["context"]["patientId"], prefetched_resources(request))
        out += found
    return out


def source_sets(report: TumorReport) -> list[tuple[Source | None, ...]]:
    """Every one, two and three of the report's sources (and None), as the table passes them."""
    tumor = report.tumor
    pool: list[Source | None] = [None, *tumor.sources.values()]
    pool += [Source(u.reference, u.date, u.status, "x") for u in tumor.unread_sources.values()]
    out: list[tuple[Source | None, ...]] = []
    for size in (1, 2, 3):
        out += list(itertools.product(pool, repeat=size)) if len(pool) <= 8 else []
        out += list(itertools.combinations(pool, size))
    return out


def where_mismatches(where: Callable[..., str], found: list[TumorReport]) -> list[Any]:
    return [
        sources
        for report in found
        for sources in source_sets(report)
        if where(*sources) != direct_where(*sources)
    ]


@pytest.fixture(scope="module")
def found() -> list[TumorReport]:
    out = reports()
    assert len(out) >= len(GOLDEN) + BENCH_CHARTS - 5
    return out


def test_where_is_the_direct_where(found: list[TumorReport]) -> None:
    assert where_mismatches(stage._where, found) == []


def test_a_broken_one_source_path_is_found(
    found: list[TumorReport], monkeypatch: pytest.MonkeyPatch
) -> None:
    def undated(s: Source) -> str:  # the one-source text without its date
        return md(s.reference)

    monkeypatch.setattr(stage, "_where_one", undated)
    assert where_mismatches(stage._where, found) != []


def written_as_value(member: Enum) -> bool:
    """Whether the member reads as its value wherever the card writes it (f-string, +)."""
    value = member.value
    return (
        f"{member}" == value
        and f"**{member}**" == f"**{value}**"
        and member + ", x" == value + ", x"  # type: ignore[operator]
        and type(member + "") is str  # type: ignore[operator]
        and " or ".join([member]) == value  # type: ignore[list-item]
    )


ENUMS: list[type[StrEnum]] = [T, N, M, Grade, Stage, Basis, Classification, SiteGroup, Status]


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_categories_read_as_their_values(enum: type[StrEnum]) -> None:
    for member in enum:
        assert written_as_value(member)
        if isinstance(member, Basis):
            assert f"{stage._basis(member, None)}" == member.value


def test_a_plain_enum_does_not_read_as_its_value() -> None:
    class Plain(Enum):
        T1 = "T1"

    assert not written_as_value(Plain.T1)


def test_the_values_table_and_headline_write_the_values(found: list[TumorReport]) -> None:
    """The table's category cells and the headline are the ``.value`` texts of old."""
    for report in found:
        tumor, a = report.tumor, report.assessment
        table = "\n".join(stage._values_table(tumor, a))
        assert f"| N | {a.n.value} | " in table
        assert f"| M | {a.m.value} | " in table
        assert f"| T | {tumor.classification.value}{a.t.value}" in table
        assert f"| Grade | {a.grade.grade.value}" in table
        assert f"| Stage | {a.stage.value if a.stage else 'none'} | " in table
        for basis in (a.n_basis, a.m_basis):
            assert f" | {basis.value} | " in table or "AJCC convention, accepted" in table
        if a.status is Status.STAGED and a.stage is not None:
            assert f"stage **{a.stage.value}**" in stage._headline(tumor, a)
