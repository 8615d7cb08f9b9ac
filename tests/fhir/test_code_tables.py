"""Issue 9c: the SNOMED CT code tables of hooks/fhir/tables are read by code alone, as real
EHR exports send them (a coding with no display and no text), and every shipped code is
well formed (SNOMED CT check digit), unique and sourced.

Expected stages by hand from AJCC 8 (NCI PDQ Adult Soft Tissue Sarcoma, Table 7): the shared
thigh leiomyosarcoma is T2 G3 (70 mm); any M1 is stage IV; N1 M0 in the trunk and
extremities is stage IV with N1 read, never M1. A lymph node region other than the primary's
drainage basin is a distant metastasis (M1), AJCC 8 general rules."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from hooks.fhir.sctid import is_concept_id, verhoeff_valid
from tests.charts import builders as b
from tests.charts.cases import PID, metastasis, thigh_chart
from tests.charts.run import stage_fhir

ROOT = Path(__file__).resolve().parents[2]
TABLES = ROOT / "hooks" / "fhir" / "tables"


def _load(name: str) -> dict[str, Any]:
    with (TABLES / name).open("rb") as handle:
        return tomllib.load(handle)


METASTASES = _load("metastases.toml")
MORPHOLOGY = _load("morphology.toml")
SITES = _load("sites.toml")
SECONDARY_ROWS = METASTASES["snomed"]
LYMPH_NODE_SITES: dict[str, str] = METASTASES["lymph_node_sites"]
with (ROOT / "cds" / "tables" / "icdo3_sarcomas.toml").open("rb") as _handle:
    ICDO3_ROWS = {row["morphology"]: row["name"] for row in tomllib.load(_handle)["rows"]}


# --- the check digit ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["138875005", "404684003", "128462008", "68367000", "22298006", "1163022006"]
)
def test_known_concept_ids_pass(code: str) -> None:
    assert is_concept_id(code)


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("138875006", "last digit changed"),
        ("128426008", "two digits transposed"),
        ("6836700", "a digit dropped"),
        ("94391018", "description partition (01), not a concept"),
        ("0128462008", "leading zero"),
        ("12846", "too short"),
        ("94391008a", "not digits"),
        ("\uff19\uff14\uff13\uff19\uff11\uff10\uff10\uff18", "non-ASCII (fullwidth) digits"),
    ],
)
def test_typos_fail(code: str, why: str) -> None:
    assert not is_concept_id(code), why


def test_verhoeff_catches_every_single_digit_change() -> None:
    code = "94217008"
    for index, char in enumerate(code):
        for digit in "0123456789":
            if digit != char:
                assert not verhoeff_valid(code[:index] + digit + code[index + 1 :])


# --- table integrity ------------------------------------------------------------------------


def _site_codes() -> list[str]:
    return [code for row in SITES["snomed"] for code in row["codes"]]


def test_metastasis_rows_unique_sourced_and_valid() -> None:
    codes = [row["code"] for row in SECONDARY_ROWS]
    assert len(codes) == len(set(codes))
    for row in SECONDARY_ROWS:
        assert is_concept_id(row["code"]), row
        assert row["source"].strip(), row
        assert row["name"].strip(), row
        assert isinstance(row["nodal"], bool)
    for code in LYMPH_NODE_SITES:
        assert is_concept_id(code), code
    assert not set(codes) & set(LYMPH_NODE_SITES)


def test_morphology_concepts_valid_and_known_to_the_core() -> None:
    assert MORPHOLOGY["source"].strip()
    for code, icdo3 in MORPHOLOGY["concepts"].items():
        assert is_concept_id(code), code
        assert icdo3.endswith("/3"), (code, icdo3)
        assert icdo3[:4] in ICDO3_ROWS, (code, icdo3)


def test_site_codes_unique_valid_and_named_only_when_listed() -> None:
    codes = _site_codes()
    assert len(codes) == len(set(codes))
    for code in codes:
        assert is_concept_id(code), code
    assert set(SITES["snomed_names"]) <= set(codes)


# --- charts coded only by the code ----------------------------------------------------------


def _stage(resources: list[b.JSON], tmp_path: Path, capsys: Any) -> dict[str, Any]:
    rows = stage_fhir(resources, tmp_path, capsys)
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.parametrize(
    "row", [r for r in SECONDARY_ROWS if not r["nodal"]], ids=lambda r: r["code"]
)
def test_distant_metastasis_by_code_only_is_m1(
    row: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chart = thigh_chart(metastasis("mets", b.concept(b.SCT, row["code"])))
    out = _stage(chart, tmp_path, capsys)
    assert (out["m"], out["stage"], out["m_basis"]) == ("M1", "IV", "recorded")
    assert any(f"SNOMED CT {row['code']}" in note for note in out["notes"]), out["notes"]
    assert any("Condition/mets" in note for note in out["notes"]), out["notes"]


@pytest.mark.parametrize("code", ["94217008"])
def test_bone_marrow_metastasis_code_only_is_stage_iv(
    code: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 9c (failing before the row was added): 94217008 (secondary malignant neoplasm of
    bone marrow) with no display and no text was read as M0 assumed, stage IIIA."""
    out = _stage(thigh_chart(metastasis("mets", b.concept(b.SCT, code))), tmp_path, capsys)
    assert (out["m"], out["stage"], out["m_basis"]) == ("M1", "IV", "recorded")
    assert any("bone marrow" in note for note in out["notes"]), out["notes"]


def test_without_the_code_the_same_chart_stays_m0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guard for the test above: a SNOMED CT concept outside the table is not read as M1."""
    chart = thigh_chart(metastasis("mets", b.concept(b.SCT, "44054006")))
    out = _stage(chart, tmp_path, capsys)
    assert out["m"] != "M1"
    assert out["stage"] != "IV"


# The thigh drains to the inguinal nodes (C77.4 region): regional N1; any other region is M1.
REGIONAL = "inguinal and lower limb"


@pytest.mark.parametrize(
    ("code", "region"),
    [(code, region) for code, region in LYMPH_NODE_SITES.items() if region],
    ids=lambda v: v,
)
def test_nodal_metastasis_by_body_site_code_only(
    code: str, region: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mets = metastasis("nodes", b.concept(b.SCT, "128462008"), site=b.concept(b.SCT, code))
    out = _stage(thigh_chart(mets), tmp_path, capsys)
    if region == REGIONAL:
        assert (out["n"], out["m"], out["stage"]) == ("N1", "M0", "IV"), out["notes"]
    else:
        assert (out["m"], out["stage"]) == ("M1", "IV"), out["notes"]
        assert out["n"] != "N1"


@pytest.mark.parametrize(("code", "icdo3"), sorted(MORPHOLOGY["concepts"].items()))
def test_morphology_by_code_only(
    code: str, icdo3: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    primary = b.condition(
        "stc",
        PID,
        code=b.concept(b.SCT, "363346000"),
        morphology=(b.SCT, code),
        site=b.concept(b.SCT, "68367000"),
    )
    chart = [
        b.patient(PID),
        primary,
        b.size("mri-size", PID, "stc", 70),
        b.grade("g", PID, "stc", "G3"),
    ]
    out = _stage(chart, tmp_path, capsys)
    # The table only translates: what the core does with the histology (scope, grading) is
    # the core's; the ICD-O-3 row it matched is in the trace.
    assert out["histology_name"] == ICDO3_ROWS[icdo3[:4]]
    assert any(step.get("row") == icdo3[:4] for step in out["trace"]), out["trace"]


SITE_CASES = [
    (code, row["site"], row.get("topography", ""))
    for row in SITES["snomed"]
    for code in row["codes"]
    if row["site"] in ("trunk-extremity", "head-neck", "retroperitoneum")
]


@pytest.mark.parametrize(("code", "group", "topography"), SITE_CASES, ids=lambda v: v)
def test_body_site_by_code_only(
    code: str, group: str, topography: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    primary = b.condition(
        "stc",
        PID,
        code=b.concept(b.SCT, "363346000"),
        morphology=(b.ICDO3, "8890/3"),
        site=b.concept(b.SCT, code),
    )
    chart = [b.patient(PID), primary, b.size("s", PID, "stc", 70), b.grade("g", PID, "stc", "G3")]
    out = _stage(chart, tmp_path, capsys)
    assert out["site"] == group, (code, out["notes"])
    name = SITES["snomed_names"].get(code)
    if name:
        assert name in out["description"].lower(), out["description"]


@pytest.mark.parametrize(
    ("code", "name"), [("40983000", "upper arm"), ("30021000", "lower leg"), ("56459004", "foot")]
)
def test_limb_site_named_in_the_description(
    code: str, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 9c (failing before the names were added): a limb coded only by SNOMED CT gave a
    description without its site ("Leiomyosarcoma")."""
    primary = b.condition(
        "stc",
        PID,
        code=b.concept(b.SCT, "363346000"),
        morphology=(b.ICDO3, "8890/3"),
        site=b.concept(b.SCT, code),
    )
    chart = [b.patient(PID), primary, b.size("s", PID, "stc", 70), b.grade("g", PID, "stc", "G3")]
    out = _stage(chart, tmp_path, capsys)
    assert out["description"].lower() == f"leiomyosarcoma of {name}"


@pytest.mark.parametrize(
    ("code", "name"),
    [("53654007", "fibrosarcoma"), ("19897006", "malignant peripheral nerve sheath tumor")],
)
def test_dicom_morphology_concepts_read_by_code_only(
    code: str, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 9c (failing before the rows were added): a SNOMED CT morphology outside the table
    left the histology unknown; fibrosarcoma and MPNST are FNCLCC-graded trunk/extremity
    sarcomas, so the thigh tumor (70 mm T2, G3) is stage IIIA (AJCC 8 ch. 41)."""
    primary = b.condition(
        "stc",
        PID,
        code=b.concept(b.SCT, "363346000"),
        morphology=(b.SCT, code),
        site=b.concept(b.SCT, "68367000"),
    )
    chart = [b.patient(PID), primary, b.size("s", PID, "stc", 70), b.grade("g", PID, "stc", "G3")]
    out = _stage(chart, tmp_path, capsys)
    assert out["histology_name"] == name
    assert (out["t"], out["stage"]) == ("T2", "IIIA")


@pytest.mark.parametrize(
    ("code", "n", "m"),
    [
        ("8928004", "N1", "M0"),  # inguinal lymph node: regional to the thigh
        ("47471008", "N1", "M0"),  # popliteal lymph node: regional to the thigh
        ("59503006", "N0", "M1"),  # submandibular lymph node: distant
        ("69255009", "N0", "M1"),  # hypogastric lymph node: distant for a limb primary
    ],
)
def test_dicom_lymph_node_sites_regional_or_distant(
    code: str, n: str, m: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 9c: mCODE shape, SNOMED CT 128462008 with a lymph node bodySite and no text.
    AJCC 8: regional nodes N1 (stage IV in the extremity), any other node M1 (stage IV). The
    regional rows failed before the body structures were added (read as M1: a node of
    unknown region); the distant rows guard that the region, not the word, decides."""
    mets = metastasis("nodes", b.concept(b.SCT, "128462008"), site=b.concept(b.SCT, code))
    out = _stage(thigh_chart(mets), tmp_path, capsys)
    assert (out["m"], out["stage"]) == (m, "IV"), out["notes"]
    assert out["n"] == n or (n == "N0" and out["n"] != "N1"), out["n"]
