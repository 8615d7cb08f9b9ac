"""The project's own clinical reference (CLINICAL.md): every pointer to it resolves, it names
every rule table, and it never sends the reader outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLINICAL = ROOT / "CLINICAL.md"
LINK = re.compile(r"\]\(([^)#]*CLINICAL\.md)(?:#[^)]*)?\)")


def test_every_link_to_clinical_md_resolves() -> None:
    linked = 0
    for doc in [*ROOT.glob("*.md"), *ROOT.glob("*/**/*.md")]:
        if ".venv" in doc.parts:
            continue
        for target in LINK.findall(doc.read_text(encoding="utf-8")):
            assert (doc.parent / target).resolve() == CLINICAL, (doc, target)
            linked += 1
    assert linked >= 4  # README, ARCHITECTURE, fhir_profiles/README, tests/golden/README


def test_clinical_md_names_every_rule_table() -> None:
    text = CLINICAL.read_text(encoding="utf-8")
    tables = [*ROOT.glob("cds/tables/*.toml"), *ROOT.glob("hooks/fhir/tables/*.toml")]
    assert tables
    missing = [t.name for t in tables if t.name not in text]
    assert not missing, missing


def test_clinical_md_is_self_contained_and_keeps_the_reading_section() -> None:
    text = CLINICAL.read_text(encoding="utf-8")
    assert "../shared" not in text
    assert "## Reading values (comparators, text, codes)" in text
    for number in range(1, 6):  # code and table comments cite "CLINICAL.md section N"
        assert re.search(rf"^## {number}\. ", text, re.MULTILINE), number
