"""Every start-up configuration error of ``sarcoma-cds serve`` is one line on stderr naming
the variable, exit 2, found before uvicorn starts: the real process is started and its stderr
read. Before, a missing issuers file (the README's ``docker run`` named one that does not
exist) or an unusable ``SARCOMA_CDS_DB`` ended in a uvicorn lifespan traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.service.fhir_server import free_port

REPO = Path(__file__).resolve().parents[2]
AUTH = {"SARCOMA_CDS_PUBLIC_BASE_URL": "https://cds.example.org"}


def serve(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SARCOMA_CDS_")}
    base.setdefault("SARCOMA_CDS_DB", str(tmp_path / "ok" / "db.sqlite3"))
    return subprocess.run(
        [sys.executable, "-m", "hooks.cli", "serve", "--port", str(free_port())],
        cwd=REPO,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def cases(tmp_path: Path) -> dict[str, tuple[dict[str, str], str, str]]:
    not_db = tmp_path / "notes.txt"
    not_db.write_text("not a database\n")
    bad_toml = tmp_path / "issuers.toml"
    bad_toml.write_text("[[issuers]\niss = \n")
    no_keys = tmp_path / "no-keys.toml"
    no_keys.write_text('[[issuers]]\niss = "https://ehr.example.org"\n')
    blocked = tmp_path / "file"
    blocked.write_text("")
    return {
        "issuers file missing": (
            {**AUTH, "SARCOMA_CDS_TRUSTED_ISSUERS": "/config/issuers.toml"},
            "SARCOMA_CDS_TRUSTED_ISSUERS=/config/issuers.toml",
            "cannot read",
        ),
        "issuers file not TOML": (
            {**AUTH, "SARCOMA_CDS_TRUSTED_ISSUERS": str(bad_toml)},
            "SARCOMA_CDS_TRUSTED_ISSUERS=",
            "not valid",
        ),
        "issuer without keys": (
            {**AUTH, "SARCOMA_CDS_TRUSTED_ISSUERS": str(no_keys)},
            "SARCOMA_CDS_TRUSTED_ISSUERS=",
            "no keys",
        ),
        "issuers unset": ({**AUTH}, "SARCOMA_CDS_TRUSTED_ISSUERS", "SARCOMA_CDS_AUTH=off"),
        "db is not a database": (
            {"SARCOMA_CDS_AUTH": "off", "SARCOMA_CDS_DB": str(not_db)},
            "SARCOMA_CDS_DB=",
            "not a database",
        ),
        "db under a file": (
            {"SARCOMA_CDS_AUTH": "off", "SARCOMA_CDS_DB": str(blocked / "db.sqlite3")},
            "SARCOMA_CDS_DB=",
            "cannot create or open",
        ),
        "db is a directory": (
            {"SARCOMA_CDS_AUTH": "off", "SARCOMA_CDS_DB": str(tmp_path)},
            "SARCOMA_CDS_DB=",
            "cannot create or open",
        ),
        "bad limit": (
            {"SARCOMA_CDS_AUTH": "off", "SARCOMA_CDS_MAX_BODY_BYTES": "5MB"},
            "SARCOMA_CDS_MAX_BODY_BYTES",
            "integer",
        ),
        "bad setting": (
            {"SARCOMA_CDS_AUTH": "maybe"},
            "SARCOMA_CDS_AUTH",
            "on/off",
        ),
    }


CASES = (
    "issuers file missing",
    "issuers file not TOML",
    "issuer without keys",
    "issuers unset",
    "db is not a database",
    "db under a file",
    "db is a directory",
    "bad limit",
    "bad setting",
)


@pytest.mark.parametrize("case", CASES)
def test_a_configuration_error_is_one_line_naming_the_variable(case: str, tmp_path: Path) -> None:
    env, variable, words = cases(tmp_path)[case]
    done = serve(env, tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("sarcoma-cds: configuration error: ")
    assert variable in line
    assert words in line
