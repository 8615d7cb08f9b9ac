"""Treatment text is our own paraphrase of the NCI PDQ summary, never copied sentences.

Checks every option's detail and evidence against the PDQ text the product is built from
(``../shared/seed/``, present beside the repository in development and CI): no run of eight
or more consecutive words may be shared with it. Titles may use PDQ's own option names, so
that a clinician can find the option in the summary.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cds.tables import table

REPO = Path(__file__).resolve().parents[2]
SEEDS = sorted((REPO.parent / "shared" / "seed").glob("*.txt"))
RUN = 8


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9%]+", text.lower())


def runs(text: str) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i : i + RUN]) for i in range(len(w) - RUN + 1)}


@pytest.mark.skipif(not SEEDS, reason="the PDQ seed text is not beside the repository")
def test_no_option_copies_pdq_wording() -> None:
    pdq = set().union(*(runs(p.read_text(encoding="utf-8")) for p in SEEDS))
    copied = []
    for table_id in ("pdq-treatment-by-stage", "pdq-histology-agents", "pdq-treatment-notes"):
        for row in table(table_id).rows:
            for field in ("detail", "evidence"):
                shared = runs(row.text(field)) & pdq
                if shared:
                    copied.append(f"{row.key}.{field}: {' '.join(sorted(shared)[0])}")
    assert not copied, copied


def test_run_detection_works() -> None:
    sentence = "one two three four five six seven eight nine"
    assert runs(sentence) & runs(f"prefix {sentence}")
    assert not runs("one two three four five six seven") & runs(sentence)
