"""The ``sarcoma-cds stage`` contract: flags, the JSON keys and types, the text output, and
exit 2 with one line naming the flag on bad input (in process and as the installed script)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hooks.cli import main

SCRIPT = Path(sys.executable).parent / "sarcoma-cds"
CONTRACT_KEYS = {"t", "n", "m", "grade", "stage", "status", "missing", "alternatives", "treatment"}


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["stage", *argv, "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    result: dict[str, Any] = json.loads(captured.out)
    return result


def test_json_contract_keys_and_types(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(
        ["--site", "trunk-extremity", "--size-cm", "7", "--histology", "8802/3",
         "--mitoses", "25", "--necrosis", "60"],
        capsys,
    )  # fmt: skip
    assert set(out) >= CONTRACT_KEYS
    assert (out["t"], out["n"], out["m"], out["grade"]) == ("T2", "N0", "M0", "G3")
    assert out["stage"] == "IIIA"
    assert out["status"] == "staged"
    assert out["missing"] == []
    assert out["alternatives"] == []
    assert isinstance(out["treatment"], list)
    assert out["treatment"]
    for option in out["treatment"]:
        assert {"id", "title", "source"} <= set(option)
        assert all(isinstance(option[k], str) and option[k] for k in ("id", "title", "source"))
    assert (out["t_basis"], out["n_basis"], out["m_basis"]) == ("derived", "assumed", "assumed")
    assert out["scores"] == {"differentiation": 3, "mitotic": 3, "necrosis": 2, "total": 8}
    assert {p["code"] for p in out["problems"]} >= {"n-assumed", "m-assumed"}
    assert all({"table", "row", "source", "explanation"} <= set(s) for s in out["trace"])


def test_json_null_stage_and_lists(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(["--site", "trunk-extremity", "--grade", "G2"], capsys)
    assert out["stage"] is None
    assert out["status"] == "insufficient-data"
    assert out["t"] == "TX"
    assert out["missing"] == ["size", "histology"]
    assert out["alternatives"] == ["II", "IIIA", "IIIB"]


def test_json_not_applicable_has_reason(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(["--site", "head-neck", "--size-cm", "3", "--grade", "G3"], capsys)
    assert out["stage"] is None
    assert out["status"] == "not-applicable"
    assert "no prognostic stage grouping" in out["reason"]


def test_prefixes_and_case_are_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(
        ["--site", "retroperitoneum", "--t", "pT3", "--n", "cN1", "--m", "m0", "--grade", "g2"],
        capsys,
    )
    assert (out["t"], out["n"], out["m"], out["grade"], out["stage"]) == (
        "T3", "N1", "M0", "G2", "IIIB",
    )  # fmt: skip


def test_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["stage", "--site", "trunk-extremity", "--size-cm", "7", "--histology", "8890/3"]
    assert main([*argv, "--mitoses", "12", "--necrosis", "30"]) == 0
    text = capsys.readouterr().out
    for words in (
        "greatest dimension 7 cm is > 5 and <= 10 cm: T2 (AJCC 8th ed., ch. 41)",
        "total score 2 + 2 + 1 = 5: G2",
        "N0 assumed",
        "Stage: IIIA",
        "Missing: nothing",
        "Treatment options",
        "Complete surgical resection",
        "Treatment Options for Stage II and Node-Negative Stage III Soft Tissue Sarcoma",
        "conventional leiomyosarcoma",
    ):
        assert words in text, words
    assert text.rstrip().splitlines()[-1].startswith("Decision support only")
    assert "AJCC Cancer Staging Manual, 8th edition" in text
    assert "NCI PDQ" in text


def test_text_output_gx_shows_alternatives(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stage", "--site", "trunk-extremity", "--size-cm", "3"]) == 0
    text = capsys.readouterr().out
    assert "Stage: IA" in text
    assert "Possible stages given what is missing: IA, II" in text
    assert "Missing: histology, differentiation, mitotic-count, necrosis" in text


BAD_INPUT = {
    "site unknown": (["--site", "arm"], "--site must be one of"),
    "size negative": (["--site", "trunk-extremity", "--size-cm", "-1"], "--size-cm"),
    "size zero": (["--site", "trunk-extremity", "--size-cm", "0"], "--size-cm"),
    "size text": (["--site", "trunk-extremity", "--size-cm", "big"], "--size-cm"),
    "size nan": (["--site", "trunk-extremity", "--size-cm", "nan"], "--size-cm"),
    "necrosis above 100": (
        ["--site", "trunk-extremity", "--necrosis", "101"],
        "--necrosis must be between 0 and 100",
    ),
    "necrosis negative": (["--site", "trunk-extremity", "--necrosis", "-5"], "--necrosis"),
    "mitoses negative": (["--site", "trunk-extremity", "--mitoses", "-1"], "--mitoses"),
    "mitoses fraction": (["--site", "trunk-extremity", "--mitoses", "2.5"], "--mitoses"),
    "histology format": (["--site", "trunk-extremity", "--histology", "8890"], "--histology"),
    "histology letters": (["--site", "trunk-extremity", "--histology", "LMS/3"], "--histology"),
    "histology behaviour": (["--site", "trunk-extremity", "--histology", "8890/5"], "--histology"),
    "differentiation 4": (
        ["--site", "trunk-extremity", "--differentiation", "4"],
        "--differentiation",
    ),
    "grade G4": (["--site", "trunk-extremity", "--grade", "G4"], "--grade"),
    "t unknown": (["--site", "trunk-extremity", "--t", "T5"], "--t must be"),
    "t garbage": (["--site", "trunk-extremity", "--t", "big"], "--t must be"),
    "n NX": (["--site", "trunk-extremity", "--n", "NX"], "--n must be"),
    "m MX": (["--site", "trunk-extremity", "--m", "MX"], "--m must be"),
    "topography": (["--site", "visceral", "--topography", "uterus"], "--topography"),
}  # fmt: skip


@pytest.mark.parametrize(("argv", "flag"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_in_process(
    argv: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stage", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("sarcoma-cds stage: error: ")
    assert flag in lines[0]


def run_script(*argv: str) -> subprocess.CompletedProcess[str]:
    assert SCRIPT.exists(), f"console script not installed at {SCRIPT} (pip install -e .)"
    return subprocess.run(
        [str(SCRIPT), "stage", *argv], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("argv", "flag"),
    [BAD_INPUT[k] for k in ("size negative", "necrosis above 100", "site unknown", "t unknown")],
)
def test_bad_input_console_script(argv: list[str], flag: str) -> None:
    proc = run_script(*argv)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1
    assert flag in proc.stderr
    assert "Traceback" not in proc.stderr


def test_console_script_json_is_one_object() -> None:
    proc = run_script("--site", "retroperitoneum", "--size-cm", "12", "--n", "N1", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)  # the whole of stdout is exactly one JSON document
    assert isinstance(out, dict)
    assert out["stage"] == "IIIB"
    assert out["alternatives"] == ["IIIB"]
    assert "node-positive-surgery-lymphadenectomy" in [o["id"] for o in out["treatment"]]


def test_site_is_a_required_argument(capsys: pytest.CaptureFixture[str]) -> None:
    """argparse itself requires --site (exit 2, one line), and --help lists it as required."""
    with pytest.raises(SystemExit) as stopped:
        main(["stage", "--size-cm", "4"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "the following arguments are required: --site" in err
    with pytest.raises(SystemExit):
        main(["stage", "--help"])
    usage = capsys.readouterr().out
    assert "required arguments:\n  --site" in usage
    assert "[--site" not in usage  # not shown as optional in the usage line


@pytest.mark.parametrize("code", ["C99.9", "C43.1", "C81.0", "C59", "C27.0"])
def test_topographies_that_are_not_icdo3_are_refused(
    code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stage", "--site", "trunk-extremity", "--topography", code]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("sarcoma-cds stage: error: --topography")
    assert code in line
    assert "icdo3-topography-categories" in line


@pytest.mark.parametrize("code", ["C34.1", "C49.0", "C16.2", "C48.0"])
def test_an_organ_topography_with_trunk_extremity_is_staged_with_a_warning(
    code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["stage", "--site", "trunk-extremity", "--size-cm", "4", "--topography", code]
    assert main(argv) == 0
    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    assert line.startswith("sarcoma-cds stage: warning: --topography")
    assert "icdo3-topography-regions" in line
    assert "T1" in captured.out


@pytest.mark.parametrize(
    ("site", "code"),
    [
        ("trunk-extremity", "C49.2"),
        ("trunk-extremity", "C47.3"),
        ("visceral", "C34.1"),
        ("visceral", "C16.2"),
        ("retroperitoneum", "C48.0"),
        ("head-neck", "C49.0"),
        ("head-neck", "C32.1"),
    ],
)
def test_fitting_topographies_are_accepted_silently(
    site: str, code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stage", "--site", site, "--size-cm", "4", "--topography", code]) == 0
    assert capsys.readouterr().err == ""
