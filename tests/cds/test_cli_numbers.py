"""Issue 14 item 12: numbers on the ``stage`` command line are checked against the
plausibility table (cds/tables/plausibility.toml): impossible ones (not finite, negative,
absurd magnitude or digits) are one line and exit 2; implausible but possible ones are used
with a warning. Before: ``--size-cm 1e308`` printed a 309-digit size and 500 cm said nothing."""

from __future__ import annotations

import json

import pytest

from hooks.cli import main

TRUNK = ["--site", "trunk-extremity"]

IMPOSSIBLE = {
    "size 1e308": (["--size-cm", "1e308"], "--size-cm 1e308 is impossible"),
    "size huge exponent": (["--size-cm", "1E+999999999"], "--size-cm 1E+999999999 is impossible"),
    "size above 10 m": (["--size-cm", "1001"], "--size-cm 1001 is impossible"),
    "size infinite": (["--size-cm", "Infinity"], "--size-cm must be a finite number"),
    "size tiny exponent": (["--size-cm", "1e-999999"], "--size-cm 1e-999999 is impossible"),
    "size too many digits": (["--size-cm", "5." + "0" * 25 + "1"], "is impossible"),
    "mitoses 5000 digits": (["--mitoses", "1" + "0" * 5000], "--mitoses must be a number of at"),
    "mitoses above 1000": (["--mitoses", "1001"], "--mitoses 1001 is impossible"),
    "necrosis tiny exponent": (["--necrosis", "1e-999999"], "--necrosis 1e-999999 is impossible"),
    "necrosis long": (["--necrosis", "5" * 40], "--necrosis"),
}


@pytest.mark.parametrize(("argv", "said"), IMPOSSIBLE.values(), ids=IMPOSSIBLE.keys())
def test_impossible_number_is_one_line_and_exit_2(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stage", *TRUNK, *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("sarcoma-cds stage: error: ")
    assert said in lines[0]
    assert len(lines[0]) < 200  # the number is never expanded


IMPLAUSIBLE = {
    "size 500 cm": (["--size-cm", "500"], "--size-cm 500: a greatest dimension above 100 cm"),
    "mitoses 150": (["--mitoses", "150"], "--mitoses 150: more than 100 mitoses"),
}


@pytest.mark.parametrize(("argv", "said"), IMPLAUSIBLE.values(), ids=IMPLAUSIBLE.keys())
def test_implausible_number_warns_and_is_used(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stage", *TRUNK, "--histology", "8802/3", *argv, "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("sarcoma-cds stage: warning: ")
    assert said in captured.err
    result = json.loads(captured.out)
    assert any(p["code"].startswith("implausible-") for p in result["problems"])


def test_500_cm_is_used_as_T4(capsys: pytest.CaptureFixture[str]) -> None:
    """PDQ Table 1: > 15 cm is T4 at the trunk and extremities; the value is used as recorded."""
    assert main(["stage", *TRUNK, "--size-cm", "500", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["t"] == "T4"


def test_plausible_number_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stage", *TRUNK, "--size-cm", "99.5", "--mitoses", "100"]) == 0
    assert capsys.readouterr().err == ""
