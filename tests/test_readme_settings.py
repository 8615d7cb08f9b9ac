"""The README's configuration table lists every setting the service reads, and no other."""

from __future__ import annotations

import re
from pathlib import Path

from hooks.web.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"
#: Read by hooks.web.limits and hooks.auth (not fields of Settings).
OTHERS = {
    "SARCOMA_CDS_MAX_BODY_BYTES",
    "SARCOMA_CDS_MAX_JSON_DEPTH",
    "SARCOMA_CDS_MAX_RESOURCES",
    "SARCOMA_CDS_TRUSTED_ISSUERS",
    "SARCOMA_CDS_AUTH_LEEWAY",
    "SARCOMA_CDS_AUTH_MAX_LIFETIME",
}


def test_every_setting_has_a_row_with_its_default() -> None:
    section = README.read_text().split("### Configuration", 1)[1].split("\n### ", 1)[0]
    rows = dict(re.findall(r"^\| `(SARCOMA_CDS_[A-Z_]+)` \| ([^|]+) \|", section, re.MULTILINE))
    expected = {name for name, _, _ in Settings().table()} | OTHERS
    assert set(rows) == expected
    defaults = Settings()
    for name, value, _ in defaults.table():
        shown = rows[name].strip().strip("`")
        if shown.startswith("(") or value in {"", "True", "False"}:
            continue  # (none), (required ...), on/off
        assert same(shown, value), name


def same(shown: str, value: str) -> bool:
    try:
        return float(shown) == float(value)
    except ValueError:
        return shown == value
