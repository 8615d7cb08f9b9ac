"""Integrity of the shipped clinical tables: every input combination hits a row, no row is
dead (never the first match), every table is used by the code, values are valid notation."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import pytest

from cds.model import Grade, M, N, SiteGroup, Stage, Status, T
from cds.tables import TABLE_DIR, TABLES, Query, table

PDQ_URL = "https://www.cancer.gov/types/soft-tissue-sarcoma/hp/adult-soft-tissue-treatment-pdq"
SITES = [s.value for s in SiteGroup]
SARCOMA_MORPHOLOGIES = sorted(
    {
        str(cond[0])
        for r in table("icdo3-sarcoma-histologies").rows
        if isinstance(cond := r.condition("morphology"), tuple)
    }
)
FAMILIES = sorted({r.text("family") for r in table("icdo3-sarcoma-histologies").rows})
EXTENTS = ["stage-i", "stage-ii-iii", "node-positive", "stage-iv", "recurrent"]
THERAPY_AGENTS = table("pdq-therapy-agents")
THERAPY_CLASSES = sorted(
    {c for r in THERAPY_AGENTS.rows for c in r.texts("classes")}
    | {"alk-inhibitor", "mtor-inhibitor"}
)


def decimals(start: str, stop: str, step: str) -> list[Decimal]:
    out, value = [], Decimal(start)
    while value <= Decimal(stop):
        out.append(value)
        value += Decimal(step)
    return out


# The input domain of each first-match rule table: every combination must hit a row.
RULE_DOMAINS: dict[str, dict[str, Sequence[Query]]] = {
    "ajcc8-site-groups": {"site": SITES},
    "ajcc8-t-trunk-extremity": {"size_cm": decimals("0.1", "40", "0.1")},
    "ajcc8-t-retroperitoneum": {"size_cm": decimals("0.1", "40", "0.1")},
    "ajcc8-t-head-neck": {"size_cm": decimals("0.1", "40", "0.1")},
    "ajcc8-stage-trunk-extremity": {
        "t": ["TX", "T0", "T1", "T2", "T3", "T4"],
        "n": ["N0", "N1"],
        "m": ["M0", "M1"],
        "grade": [g.value for g in Grade],
    },
    "ajcc8-stage-retroperitoneum": {
        "t": ["TX", "T0", "T1", "T2", "T3", "T4"],
        "n": ["N0", "N1"],
        "m": ["M0", "M1"],
        "grade": [g.value for g in Grade],
    },
    "ajcc8-n": {"n": ["N0", "N1", "unknown"]},
    "ajcc8-m": {"m": ["M0", "M1", "unknown"]},
    "fnclcc-mitotic-count": {"mitoses": list(range(201))},
    "fnclcc-necrosis": {"necrosis_pct": decimals("0", "100", "0.5")},
    "fnclcc-grade": {"total": list(range(2, 9))},
    "ajcc8-scope": {
        "topography": [None, "C49.2", "C48.0", "C54.1", "C55.9"],
        "morphology": SARCOMA_MORPHOLOGIES,
        "behavior": ["0", "1", "2", "3"],
        "site": [*SITES, None],
    },
    "icdo3-topography-regions": {
        "topography": [None, "C49.0", "C47.1", "C49.2", "C49.3", "C49.6", "C48.0", "C54.1"]
    },
    "icdo3-topography-categories": {"topography": [None, "C49.2", "C48.0", "C34.1", "C99.9"]},
    "pdq-treatment-extent": {
        "m": ["M0", "M1"],
        "n": ["N0", "N1"],
        "stage": [*(s.value for s in Stage), "none"],
        "grade": [g.value for g in Grade],
        "high_grade_histology": [True, False],
    },
}

# Tables keyed by code (one row per code): every row must be reachable by its own key, and
# an unlisted code legitimately matches nothing.
KEYED_DOMAINS: dict[str, dict[str, Sequence[Query]]] = {
    "ajcc8-t-categories": {"site": SITES, "t": [t.value for t in T]},
    "fnclcc-differentiation": {
        "histology": [f"{m}/{b}" for m in SARCOMA_MORPHOLOGIES for b in "0123"]
    },
    "fnclcc-not-graded": {"morphology": SARCOMA_MORPHOLOGIES},
    "icdo3-version-map": {"histology": [f"{m}/{b}" for m in SARCOMA_MORPHOLOGIES for b in "0123"]},
    "icdo3-behavior": {"behavior": list("0123456789")},
    "icdo3-sarcoma-histologies": {"morphology": SARCOMA_MORPHOLOGIES, "behavior": list("0123")},
    "pdq-therapy-agents": {"agent": [str(r.condition("agent")[0]) for r in THERAPY_AGENTS.rows]},
}

# Option tables (all matches are shown): every row must appear for some input.
OPTION_DOMAINS: dict[str, dict[str, Sequence[Query]]] = {
    "pdq-therapy-options": {
        "agent_class": THERAPY_CLASSES,
        "extent": [*EXTENTS, "histology-only", None],
        "morphology": ["9581", "9120", "8804", "8890", None],
        "family": [*FAMILIES, None],
        "with_anthracycline": [True, False],
    },
    "pdq-therapy-rules": {
        "agent": ["doxorubicin", "pazopanib", "eribulin", "trabectedin"],
        "extent": ["stage-i", "stage-iv", None],
        "stage": ["IA", "IV", None],
        "adipocytic": [True, False, None],
        "in_approved_histology": [True, False, None],
        "listed": [True, False],
        "prior_anthracycline": [True, False],
        "prior_chemotherapy": [True, False],
        "subtype_options": [True, False],
    },
    "pdq-treatment-by-stage": {"extent": EXTENTS},
    "pdq-histology-agents": {
        "extent": [*EXTENTS, "histology-only"],
        "morphology": [*SARCOMA_MORPHOLOGIES, None],
        "family": [*FAMILIES, None],
        "adipocytic": [True, False],
    },
    "pdq-treatment-notes": {
        "plan": ["sts", "histology", "none"],
        "site": [*SITES, None],
        "region": ["limb", "trunk", "unspecified"],
        "grade": [g.value for g in Grade],
        "morphology": [*SARCOMA_MORPHOLOGIES, None],
        "n": ["N0", "N1"],
    },
    # Not total by design: a value outside every row is impossible (cds/numbers.py).
    "plausibility": {
        "quantity": ["size_cm", "mitoses", "necrosis_pct", "age_years"],
        "value": [*decimals("-1", "160", "0.5"), Decimal(300), Decimal(1000), Decimal(1001)],
    },
}


def combinations(domain: Mapping[str, Sequence[Query]]) -> Iterable[dict[str, Query]]:
    columns = list(domain)
    for values in itertools.product(*(domain[c] for c in columns)):
        yield dict(zip(columns, values, strict=True))


def test_every_shipped_table_has_a_domain_here() -> None:
    covered = set(RULE_DOMAINS) | set(KEYED_DOMAINS) | set(OPTION_DOMAINS)
    assert covered == set(TABLES)


@pytest.mark.parametrize("table_id", sorted(RULE_DOMAINS))
def test_rule_table_total_and_no_dead_rows(table_id: str) -> None:
    t = table(table_id)
    first_hits: set[str] = set()
    for query in combinations(RULE_DOMAINS[table_id]):
        row = t.first(**query)
        assert row is not None, f"{table_id}: no row for {query}"
        first_hits.add(row.key)
    dead = [r.key for r in t.rows if r.key not in first_hits]
    assert not dead, f"{table_id}: rows never the first match: {dead}"


@pytest.mark.parametrize("table_id", sorted(KEYED_DOMAINS))
def test_keyed_table_no_dead_rows(table_id: str) -> None:
    t = table(table_id)
    hits = {
        row.key
        for query in combinations(KEYED_DOMAINS[table_id])
        if (row := t.first(**query)) is not None
    }
    dead = [r.key for r in t.rows if r.key not in hits]
    assert not dead, f"{table_id}: rows never the first match: {dead}"


@pytest.mark.parametrize("table_id", sorted(OPTION_DOMAINS))
def test_option_table_every_row_reachable(table_id: str) -> None:
    t = table(table_id)
    seen: set[str] = set()
    for query in combinations(OPTION_DOMAINS[table_id]):
        seen.update(r.key for r in t.every(**query))
    unreachable = [r.key for r in t.rows if r.key not in seen]
    assert not unreachable


def test_every_table_is_used_by_the_code() -> None:
    code = "\n".join(p.read_text(encoding="utf-8") for p in Path(TABLE_DIR).parent.glob("*.py"))
    referenced = {value for t in TABLES.values() for r in t.rows for value in r.fields.values()}
    unused = [tid for tid in TABLES if f'"{tid}"' not in code and tid not in referenced]
    assert not unused, f"tables not used by cds/: {unused}"


def test_every_table_names_its_source() -> None:
    for t in TABLES.values():
        assert t.title.strip()
        assert len(t.source) > 10
        if t.id.startswith("pdq-"):
            assert PDQ_URL in t.source, t.id
        if t.id.startswith("ajcc8-"):
            assert "AJCC" in t.source, t.id


def test_values_are_valid_notation() -> None:
    for tid in ("ajcc8-t-trunk-extremity", "ajcc8-t-retroperitoneum", "ajcc8-t-head-neck"):
        for row in table(tid).rows:
            assert T(row.text("t")).value == row.key
    for tid in ("ajcc8-stage-trunk-extremity", "ajcc8-stage-retroperitoneum"):
        for row in table(tid).rows:
            Status(row.text("status"))
            stage = row.opt_text("stage")
            if stage is not None:
                assert Stage(stage).value == row.key.split(":")[0]
            else:
                assert row.opt_text("reason")
    for row in table("fnclcc-grade").rows:
        assert Grade(row.text("grade")).value == row.key
    for row in table("ajcc8-n").rows:
        N(row.text("category"))
    for row in table("ajcc8-m").rows:
        M(row.text("category"))
    for row in table("ajcc8-site-groups").rows:
        SiteGroup(row.key)
        for t in (*row.texts("t_from_size"), *row.texts("t_stageable")):
            T(t)
        assert (row.opt_text("stage_table") is None) == (
            row.opt_text("no_stage_reason") is not None
        )
        for ref in ("t_size_table", "stage_table"):
            if (target := row.opt_text(ref)) is not None:
                assert target in TABLES
    kinds = {"stage", "histology", "site", "follow-up", "note"}
    for tid in ("pdq-treatment-by-stage", "pdq-histology-agents", "pdq-treatment-notes"):
        for row in table(tid).rows:
            assert row.text("kind") in kinds
            assert row.text("section").strip()
    for row in table("ajcc8-scope").rows:
        assert row.text("scope") in {"staged", "unusual", "not-sts"}
        assert row.text("treatment") in {"sts", "histology", "none"}
        assert (row.text("scope") == "staged") == (row.opt_text("reason") is None)


def test_t_categories_per_site_match_pdq_table_1() -> None:
    """Typed from PDQ Table 1: which T categories each site group defines."""
    expected = {
        "trunk-extremity": {"TX", "T0", "T1", "T2", "T3", "T4"},
        "retroperitoneum": {"TX", "T0", "T1", "T2", "T3", "T4"},
        "head-neck": {"TX", "T1", "T2", "T3", "T4", "T4a", "T4b"},
        "visceral": {"TX", "T1", "T2", "T2a", "T2b", "T3", "T4", "T4a", "T4b", "T4c"},
    }
    t = table("ajcc8-t-categories")
    for site, categories in expected.items():
        got = {x.value for x in T if t.first(site=site, t=x.value) is not None}
        assert got == categories, site


def test_differentiation_rows_match_ajcc_table() -> None:
    """Scores typed from the AJCC 8 differentiation table (PDQ Table 4, CLINICAL.md 2)."""
    expected = {
        "8850/1": 1, "8851/3": 1, "8852/3": 2, "8853/3": 3, "8854/3": 3, "8858/3": 3,
        "8810/3": 2, "8811/3": 2, "8802/3": 3, "8890/3": 2, "8891/3": 3,
        "9040/3": 3, "9041/3": 3, "9042/3": 3, "9043/3": 3, "8901/3": 3, "9240/3": 3,
        "9180/3": 3, "9364/3": 3, "8963/3": 3, "8805/3": 3, "8800/3": 3,
    }  # fmt: skip
    t = table("fnclcc-differentiation")
    assert {r.key: r.integer("score") for r in t.rows} == expected
    names = table("icdo3-sarcoma-histologies")
    for code in expected:
        morphology, behavior = code.split("/")
        assert names.first(morphology=morphology, behavior=behavior) is not None, code


def test_round_cell_disagreement_is_cited_in_the_row() -> None:
    row = table("fnclcc-differentiation").row("8853/3")
    assert "Guillou" in row.text("cite")
    assert "PDQ Table 5" in (row.opt_text("note") or "")


def test_version_map_targets_are_known() -> None:
    names = table("icdo3-sarcoma-histologies")
    for row in table("icdo3-version-map").rows:
        morphology, behavior = row.text("to").split("/")
        assert names.first(morphology=morphology, behavior=behavior) is not None


def test_not_graded_histologies_have_no_differentiation_score() -> None:
    scored = {r.key.split("/")[0] for r in table("fnclcc-differentiation").rows}
    for row in table("fnclcc-not-graded").rows:
        assert row.key not in scored
    assert {r.key for r in table("fnclcc-not-graded").rows} == {"9581", "9044", "8804", "9120"}


def test_behavior_codes_match_icdo3() -> None:
    """Typed from ICD-O-3: behaviour /0, /1, /2, /3, /6, /9; /6 and /9 are read as /3."""
    t = table("icdo3-behavior")
    assert {r.key for r in t.rows} == {"/0", "/1", "/2", "/3", "/6", "/9"}
    read_as = {r.key: r.opt_text("read_as") for r in t.rows if r.opt_text("read_as")}
    assert read_as == {"/6": "3", "/9": "3"}
    for row in t.rows:
        assert (row.opt_text("read_as") is None) == (row.opt_text("note") is None), row.key
