"""``sarcoma-cds stage-fhir``: the CLI contract (flags, JSON keys, exit codes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hooks import cli
from hooks.fhir import r4b
from tests.fhir.conftest import FIXTURES

CONTRACT_KEYS = {"t", "n", "m", "grade", "stage", "status", "missing", "alternatives", "treatment"}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["stage-fhir", *args])
    out, err = capsys.readouterr()
    return code, out, err


def fixture(name: str) -> str:
    return str(FIXTURES / name)


def test_json_one_object_per_primary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, fixture("two-primaries.json"), "--json")
    assert code == 0
    data = json.loads(out)
    assert [item["condition"] for item in data] == ["ups-thigh", "lps-rp"]
    assert [item["stage"] for item in data] == ["IIIB", "IV"]
    for item in data:
        assert CONTRACT_KEYS | {"condition"} <= set(item)
        for option in item["treatment"]:
            assert {"id", "title", "source"} <= set(option)


def test_json_mcode_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, fixture("mcode-stu4-thigh-leiomyosarcoma.json"), "--json")
    assert code == 0
    (item,) = json.loads(out)
    assert (item["t"], item["n"], item["m"], item["grade"], item["stage"]) == (
        "T2",
        "N0",
        "M0",
        "G2",
        "IIIA",
    )
    assert item["status"] == "staged"
    assert item["condition"] == "lms-thigh"


def test_no_sarcoma_prints_an_empty_array(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, fixture("breast-only.json"), "--json")
    assert code == 0
    assert json.loads(out) == []


def test_no_sarcoma_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, fixture("breast-only.json"))
    assert code == 0
    assert "No primary soft tissue sarcoma" in out


def test_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, fixture("stu2-loinc-retroperitoneum.json"))
    assert code == 0
    assert "Dedifferentiated liposarcoma of retroperitoneum (Condition/ddlps-rp)" in out
    assert "IIIB" in out


def test_fhir_out_is_a_valid_transaction_bundle(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, fixture("two-primaries.json"), "--fhir-out")
    assert code == 0
    bundle = json.loads(out)
    assert r4b.problem(bundle) is None
    assert bundle["type"] == "transaction"
    # UPS of the thigh: stage group, T, N, M, grade and 4 FNCLCC scores; liposarcoma of the
    # retroperitoneum: stage group, T, N, M (its G3 is recorded in the chart already)
    assert len(bundle["entry"]) == 13
    assert all(e["request"]["ifNoneExist"].startswith("identifier=") for e in bundle["entry"])
    profiles = {e["resource"]["meta"]["profile"][0].rsplit("/", 1)[1] for e in bundle["entry"]}
    assert profiles == {
        "mcode-tnm-stage-group",
        "mcode-tnm-primary-tumor-category",
        "mcode-tnm-regional-nodes-category",
        "mcode-tnm-distant-metastases-category",
        "mcode-histologic-grade",
        "sarcoma-fnclcc-score",
    }


def test_fhir_out_holds_only_what_the_chart_does_not(capsys: pytest.CaptureFixture[str]) -> None:
    # pT2, cN0, cM0 and G2 are recorded: only the stage group is written, pointing at them.
    code, out, _ = run(capsys, fixture("mcode-stu4-thigh-leiomyosarcoma.json"), "--fhir-out")
    assert code == 0
    [entry] = json.loads(out)["entry"]
    assert entry["resource"]["code"]["coding"][0]["code"] == "399588009"
    assert [m["reference"] for m in entry["resource"]["hasMember"]] == [
        "Observation/lms-pt",
        "Observation/lms-cn",
        "Observation/lms-cm",
    ]


def test_other_patients_are_reported_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, fixture("messy-forearm.json"), "--json")
    assert code == 0
    assert len(json.loads(out)) == 1
    assert "another patient" in err
    assert "Observation/other-pat-size" in err


def test_patient_inferred_from_shared_subject(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        fixture("uterine-leiomyosarcoma-condition.json"),
        fixture("uterine-leiomyosarcoma-size.json"),
        "--json",
    )
    assert code == 0
    (item,) = json.loads(out)
    assert item["condition"] == "lms-uterus"
    assert item["status"] == "not-applicable"


def test_two_patients_need_patient_flag(capsys: pytest.CaptureFixture[str]) -> None:
    files = (fixture("mcode-stu4-thigh-leiomyosarcoma.json"), fixture("second-patient.json"))
    code, out, err = run(capsys, *files, "--json")
    assert code == 2
    assert out == ""
    assert "--patient" in err
    assert len(err.strip().splitlines()) == 1
    code, out, _ = run(capsys, *files, "--json", "--patient", "pat-lms")
    assert code == 0
    assert json.loads(out)[0]["condition"] == "lms-thigh"


def test_two_subjects_without_patient_resource(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    other = json.loads((FIXTURES / "uterine-leiomyosarcoma-size.json").read_text())
    other["id"] = "x"
    other["subject"] = {"reference": "Patient/somebody"}
    path = tmp_path / "other.json"
    path.write_text(json.dumps(other))
    code, _, err = run(capsys, fixture("uterine-leiomyosarcoma-condition.json"), str(path))
    assert code == 2
    assert "--patient" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"resourceType": "Bundle", ', "not valid JSON"),
        ('{"hello": "world"}', "not a FHIR resource"),
        ("[1, 2]", "not a FHIR resource"),
    ],
)
def test_bad_files_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "input.json"
    path.write_text(content)
    code, out, err = run(capsys, str(path))
    assert code == 2
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_missing_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, str(tmp_path / "nope.json"))
    assert code == 2
    assert "no such file" in err


@pytest.mark.parametrize("output", [(), ("--json",), ("--fhir-out",)])
def test_a_patient_not_in_the_input_is_an_error_not_no_sarcoma(
    capsys: pytest.CaptureFixture[str], output: tuple[str, ...]
) -> None:
    """A typo in --patient used to print "No primary soft tissue sarcoma found" and exit 0."""
    files = (fixture("mcode-stu4-thigh-leiomyosarcoma.json"), fixture("second-patient.json"))
    code, out, err = run(capsys, *files, *output, "--patient", "pat-lsm")
    assert code == 2
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith("sarcoma-cds stage-fhir: --patient pat-lsm: ")
    assert "pat-lms" in line  # the patients the input does name


def test_a_patient_named_only_as_a_subject_is_accepted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        capsys, fixture("mcode-stu4-thigh-leiomyosarcoma.json"), "--patient", "pat-lms"
    )
    assert code == 0
    assert "Leiomyosarcoma" in out
