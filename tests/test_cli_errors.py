"""Every error path of every ``sarcoma-cds`` subcommand, through the installed console script:
one line on stderr naming the problem, exit 2, never a traceback."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).with_name("sarcoma-cds")
FIXTURE = ROOT / "tests" / "fixtures" / "fhir"


def run(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "SARCOMA_CDS_AUTH": "off"}
    return subprocess.run(
        [str(SCRIPT), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**base, **(env or {})},
        cwd=ROOT,
    )


def files(tmp: Path) -> dict[str, Path]:
    made = {
        "text": "not a database\n",
        "deep.json": "[" * 200_000 + "]" * 200_000,
        "notfhir.json": '{"hello": "world"}',
        "bad.json": '{"resourceType": ',
    }
    out = {}
    for name, text in made.items():
        (tmp / name).write_text(text)
        out[name] = tmp / name
    (tmp / "latin1.json").write_bytes(b'{"resourceType": "Patient", "name": "\xe9"}')
    out["latin1.json"] = tmp / "latin1.json"
    other = tmp / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (x TEXT)")
    out["other.sqlite3"] = other
    return out


Case = Callable[[dict[str, Path], Path], tuple[list[str], str]]
CASES: dict[str, Case] = {
    "no command": lambda f, t: ([], "required"),
    "unknown command": lambda f, t: (["bogus"], "bogus"),
    "stage without site": lambda f, t: (["stage"], "--site"),
    "stage bad site": lambda f, t: (["stage", "--site", "lung"], "--site"),
    "stage bad topography": lambda f, t: (
        ["stage", "--site", "trunk-extremity", "--topography", "C99.9"],
        "--topography",
    ),
    "stage bad size": lambda f, t: (
        ["stage", "--site", "trunk-extremity", "--size-cm", "big"],
        "--size-cm",
    ),
    "stage-fhir missing file": lambda f, t: (["stage-fhir", str(t / "nope.json")], "no such file"),
    "stage-fhir directory": lambda f, t: (["stage-fhir", str(t)], "cannot be read"),
    "stage-fhir not json": lambda f, t: (["stage-fhir", str(f["bad.json"])], "not valid JSON"),
    "stage-fhir too deep": lambda f, t: (["stage-fhir", str(f["deep.json"])], "deep.json"),
    "stage-fhir not utf-8": lambda f, t: (["stage-fhir", str(f["latin1.json"])], "cannot be read"),
    "stage-fhir not fhir": lambda f, t: (["stage-fhir", str(f["notfhir.json"])], "resourceType"),
    "stage-fhir unknown patient": lambda f, t: (
        [
            "stage-fhir",
            str(FIXTURE / "mcode-stu4-thigh-leiomyosarcoma.json"),
            "--patient",
            "nobody",
        ],
        "--patient nobody",
    ),
    "serve bad port": lambda f, t: (["serve", "--port", "70000"], "--port"),
    "serve bad host": lambda f, t: (
        ["serve", "--host", "no-such-host.invalid", "--port", "8080"],
        "no-such-host.invalid",
    ),
    "feedback without action": lambda f, t: (["feedback"], "required"),
    "export missing db": lambda f, t: (
        ["feedback", "export", "--db", str(t / "none.sqlite3")],
        "no feedback database",
    ),
    "export db is text": lambda f, t: (
        ["feedback", "export", "--db", str(f["text"])],
        "not a sarcoma-cds feedback database",
    ),
    "export another database": lambda f, t: (
        ["feedback", "export", "--db", str(f["other.sqlite3"])],
        "not a sarcoma-cds feedback database",
    ),
    "export directory": lambda f, t: (["feedback", "export", "--db", str(t)], "no feedback"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_cli_error_is_one_line_and_exit_2(case: str, tmp_path: Path) -> None:
    argv, named = CASES[case](files(tmp_path), tmp_path)
    done = run(*argv, env={"SARCOMA_CDS_DB": str(tmp_path / "var" / "db.sqlite3")})
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("sarcoma-cds")
    assert named in line
    assert done.stdout == ""


def test_serve_on_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = run(
            "serve",
            "--port",
            str(port),
            env={"SARCOMA_CDS_DB": str(tmp_path / "db.sqlite3")},
        )
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert f"cannot listen on 127.0.0.1:{port}" in line


def test_an_unexpected_failure_is_still_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import cds.cli  # noqa: PLC0415
    from hooks.cli import main  # noqa: PLC0415

    def broken(*_: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cds.cli, "assess", broken)
    assert main(["stage", "--site", "trunk-extremity", "--size-cm", "4"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line == "sarcoma-cds stage: internal error (ZeroDivisionError: a bug); please report it"
