"""Issue 14 item 1: one number read from FHIR must never freeze a worker or fail a request.

"1E+500000" as a mitotic count made int(Decimal) take 41 s; "1E+999999999" as a size gave a
500 (formatting a billion-digit number). Every number is bounded (characters, digits and
exponent) before any arithmetic, and an impossible value is reported on the card as an
implausible value that was not used, never replaced by an assumption.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.charts.build import MITOSES, NECROSIS, SIZE, chart, observation, quantity
from tests.charts.run import service_cards, stage_fhir, unescape

HOSTILE = [
    pytest.param(
        observation("mit", MITOSES, valueQuantity={"value": "1E+500000"}), "mit", id="mitoses"
    ),
    pytest.param(
        observation("size", SIZE, valueQuantity=quantity("1E+999999999", "cm")), "size", id="size"
    ),
    pytest.param(
        observation("nec", NECROSIS, valueQuantity=quantity("-1E+999999999", "%")),
        "nec",
        id="necrosis",
    ),
]


@pytest.mark.parametrize(("hostile", "oid"), HOSTILE)
def test_stage_fhir_reports_the_implausible_value(
    hostile: dict[str, object], oid: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (item,) = stage_fhir(chart(hostile), tmp_path, capsys)
    said = " ".join(item["unreadable"])
    assert f"Observation/{oid}" in said
    assert "implausible value" in said


@pytest.mark.anyio
@pytest.mark.parametrize(("hostile", "oid"), HOSTILE)
async def test_service_answers_with_the_implausible_value_on_the_card(
    hostile: dict[str, object], oid: str, tmp_path: Path
) -> None:
    cards = await service_cards(chart(hostile), tmp_path)
    stage = unescape(cards[0]["detail"])
    assert "Could not read" in stage
    assert "implausible value '" in stage
    assert f"in Observation/{oid}" in stage
    # the hostile number is never expanded on the card
    assert len(stage) < 20_000


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
