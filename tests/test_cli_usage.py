"""Usage errors of the ``sarcoma-cds`` command: exit 2 with one line naming the problem, for
every subcommand (each registers its parser with the dispatcher)."""

from __future__ import annotations

import pytest

from hooks.cli import main


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["stage", "--site", "trunk-extremity", "--foo"], "--foo"),
        (["stage"], "--site"),
        (["stage-fhir", "x.json", "--json", "--fhir-out"], "--fhir-out"),
        (["serve", "--port"], "--port"),
        (["feedback"], "required"),
        (["no-such-command"], "no-such-command"),
        ([], "required"),
    ],
)
def test_usage_errors_are_one_line_naming_the_problem(
    argv: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(argv)  # value errors are reported by the subcommand's handler
    except SystemExit as stopped:  # usage errors by the parser
        code = stopped.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("sarcoma-cds")
    assert "error:" in err
    assert named in err
