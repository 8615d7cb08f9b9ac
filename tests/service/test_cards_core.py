"""Cards over the real clinical core: what-if answers in the data-gaps card, data notes,
preliminary data, and the response invariants for any tumor (property-based)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cds.assess import assess
from cds.model import Grade, M, N, SiteGroup, Stage, T, TumorInputs
from cds.tables import table
from hooks.cards.factory import GRADE_UNKNOWN_EXTENT, CardFactory, md
from hooks.fhir.model import Classification, Extraction, PrimaryTumor, Source, TumorReport
from hooks.services.registry import default_pipeline
from hooks.web.wire import CardsResponse
from tests.service.conftest import ClientFactory, golden_request
from tests.service.invariants import check_cards_response
from tests.service.reports import fake_observations

SERVICE = "/cds-services/sarcoma-staging"


def factory() -> CardFactory:
    counter = itertools.count(1)

    def new_uuid() -> str:
        return f"00000000-0000-4000-8000-{next(counter):012d}"

    return CardFactory(
        new_uuid=new_uuid,
        observations=lambda r: fake_observations("p", r, effective="2026", new_id=new_uuid),
        assess=assess,
    )


def report(inputs: TumorInputs, description: str = "Leiomyosarcoma", **kw: Any) -> TumorReport:
    tumor = PrimaryTumor(condition="Condition/c", description=description, inputs=inputs, **kw)
    return TumorReport(tumor=tumor, assessment=assess(inputs))


LMS = TumorInputs(histology="8890/3", size_cm=Decimal("7"), grade=Grade.G3)


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        # CLINICAL.md table: T2 N0 M0 G3 is IIIA on both staged site groups; none elsewhere
        (
            LMS,
            "IIIA if trunk or extremity or retroperitoneal; "
            "no stage group if head and neck or visceral",
        ),
        # trunk/extremity G3: T1 -> II, T2 -> IIIA, T3/T4 -> IIIB
        (
            replace(LMS, site=SiteGroup.TRUNK_EXTREMITY, size_cm=None),
            "II if T1; IIIA if T2; IIIB if T3 or T4",
        ),
        # trunk/extremity T2 with unknown grade: GX/G1 -> IB, G2/G3 -> IIIA
        (
            replace(LMS, site=SiteGroup.TRUNK_EXTREMITY, grade=None),
            "IB if G1; IIIA if G2 or G3",
        ),
    ],
)
def test_data_gaps_say_how_the_stage_would_change(inputs: TumorInputs, expected: str) -> None:
    card = factory().data_gaps_card(report(inputs))
    assert card is not None
    assert card.indicator == "warning"
    assert f"How the stage would change: {expected}." in (card.detail or "")


def test_preliminary_data_is_flagged() -> None:
    r = report(replace(LMS, site=SiteGroup.TRUNK_EXTREMITY), preliminary=True)
    cards = factory().cards(Extraction("p"), [r])
    assert cards[0].summary.startswith("Preliminary: AJCC 8 stage IIIA")
    notes = [c for c in cards if c.summary.startswith("Sarcoma notes")]
    assert "preliminary" in (notes[0].detail or "")


def _stage_detail(inputs: TumorInputs) -> str:
    return factory().stage_card(report(inputs)).detail or ""


def test_assumptions_are_stated_once_and_include_the_differentiation_score() -> None:
    # leiomyosarcoma NOS: differentiation 2 assumed (CLINICAL.md section 2); N and M unknown.
    inputs = replace(LMS, site=SiteGroup.TRUNK_EXTREMITY, grade=None, mitoses=25)
    detail = _stage_detail(replace(inputs, necrosis_pct=Decimal(60)))
    [assumptions] = [line for line in detail.splitlines() if line.startswith("- **Assumed**")]
    assert assumptions.count("N0 and M0") == 1
    assert "N0 assumed" not in detail  # said once, in the card's own words
    assert "Differentiation score 2 assumed" in assumptions


@pytest.mark.parametrize(
    ("inputs", "said"),
    [
        # a recorded T that AJCC 8 does not define for the site is treated as unknown
        (replace(LMS, site=SiteGroup.TRUNK_EXTREMITY, t=T.T4a), "Recorded T4a is not a T"),
        # T recorded as TX although the size is known: T is taken from the size
        (replace(LMS, site=SiteGroup.TRUNK_EXTREMITY, t=T.TX), "T was recorded as TX"),
        # a recorded grade for a histology FNCLCC does not grade (angiosarcoma)
        (
            TumorInputs(
                site=SiteGroup.TRUNK_EXTREMITY,
                histology="9120/3",
                size_cm=Decimal(3),
                grade=Grade.G3,
            ),
            "Recorded grade G3 is used, although angiosarcoma",
        ),
    ],
)
def test_recorded_values_the_rules_reject_are_discrepancies(inputs: TumorInputs, said: str) -> None:
    card = factory().discrepancy_card(report(inputs))
    assert card is not None
    assert card.indicator == "warning"
    assert md(said) in (card.detail or "")


@pytest.mark.parametrize(
    ("inputs", "said"),
    [
        (replace(LMS, site=SiteGroup.TRUNK_EXTREMITY, size_cm=Decimal(-3)), "Tumor size -3 cm"),
        (
            replace(LMS, site=SiteGroup.TRUNK_EXTREMITY, differentiation=7),
            "Differentiation score 7",
        ),
        (replace(LMS, site=SiteGroup.TRUNK_EXTREMITY, histology="8890"), "Histology '8890'"),
    ],
)
def test_chart_values_not_used_are_shown_on_the_stage_card(inputs: TumorInputs, said: str) -> None:
    assert md(said) in _stage_detail(inputs)


def test_unknown_grade_treatment_card_does_not_claim_the_stage_i_options() -> None:
    # T2 GX: AJCC groups GX with G1 (IB), but PDQ's choice between its stage I and stage II-III
    # options depends on the grade, so the stage II-III options are shown: the card must not
    # present them as the options for stage IB.
    inputs = replace(LMS, site=SiteGroup.TRUNK_EXTREMITY, grade=None)
    card = factory().treatment_card(report(inputs))
    assert card is not None
    assert card.summary.startswith("Treatment options for stage IB (grade unknown),")
    assert "describes for stage IB" not in (card.detail or "")
    assert "of unknown grade (GX" in (card.detail or "").split("\n")[0]
    graded = factory().treatment_card(report(replace(inputs, grade=Grade.G1)))
    assert graded is not None
    assert graded.summary.startswith("Treatment options for stage IB,")
    assert "describes for stage IB" in (graded.detail or "")


def test_a_gx_stage_card_says_the_stage_with_g2_or_g3() -> None:
    # CLINICAL.md section 1: GX groups with G1, so the card must say the stage with G2/G3.
    # Angiosarcoma is not graded with FNCLCC, so no data-gaps card says it: the stage card must.
    inputs = TumorInputs(site=SiteGroup.TRUNK_EXTREMITY, histology="9120/3", size_cm=Decimal(7))
    r = report(inputs)
    assert r.assessment.stage is Stage.IB
    assert factory().data_gaps_card(r) is None
    detail = factory().stage_card(r).detail or ""
    [assumptions] = [line for line in detail.splitlines() if line.startswith("- **Assumed**")]
    assert "with G2 or G3 the stage would be IIIA" in assumptions


@pytest.mark.anyio
async def test_resources_of_other_patients_are_dropped_and_reported(
    make_client: ClientFactory,
) -> None:
    request = golden_request("lms-thigh-g3")
    intruder = dict(request["prefetch"]["observations"]["entry"][0]["resource"])
    intruder.update(id="intruder", subject={"reference": "Patient/someone-else"})
    request["prefetch"]["observations"]["entry"].append({"resource": intruder})
    async with make_client(pipeline=default_pipeline()) as client:
        body = (await client.post(SERVICE, json=request)).json()
    assert body["cards"][0]["summary"].startswith("AJCC 8 stage IIIA (cT2 N0 M0 G3)")
    [data_notes] = [c for c in body["cards"] if "another patient" in c["summary"]]
    assert "Observation/intruder" in data_notes["detail"]
    assert data_notes["indicator"] == "warning"  # an integration fault to act on
    assert check_cards_response(body) == []


HISTOLOGIES = ["8890/3", "8858/3", "9040/3", "9120/3", "9581/3", "8805/3", "8936/3", "8821/1"]
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=300)


INPUTS = st.builds(
    TumorInputs,
    site=st.none() | st.sampled_from(SiteGroup),
    histology=st.none() | st.sampled_from(HISTOLOGIES),
    size_cm=st.none() | st.decimals(min_value=0, max_value=60, places=1),
    mitoses=st.none() | st.integers(0, 80),
    necrosis_pct=st.none() | st.decimals(min_value=0, max_value=100, places=0),
    grade=st.none() | st.sampled_from(Grade),
    t=st.none() | st.sampled_from([T.T1, T.T2, T.T3, T.T4]),
    n=st.none() | st.sampled_from(N),
    m=st.none() | st.sampled_from(M),
    stage=st.none() | st.sampled_from(Stage),
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    inputs=INPUTS,
    description=TEXT,
    source_text=TEXT,
    flags=st.tuples(st.booleans(), st.booleans()),
)
def test_any_tumor_gives_conformant_cards(
    inputs: TumorInputs, description: str, source_text: str, flags: tuple[bool, bool]
) -> None:
    pathologic, preliminary = flags
    sources = {"size_cm": Source("Observation/s", "2024-01-01", "preliminary", source_text or None)}
    r = report(
        inputs,
        description,
        classification=Classification.PATHOLOGIC if pathologic else Classification.CLINICAL,
        sources=sources,
        preliminary=preliminary,
        notes=(source_text,) if source_text.strip() else (),
    )
    cards = factory().cards(Extraction("p"), [r, r])
    body = CardsResponse(cards=cards).wire()
    assert check_cards_response(body) == []


def test_the_grade_unknown_extent_the_cards_name_is_a_row_of_the_extent_table() -> None:
    # hooks.cards.factory words the unknown-grade treatment card by this row of the clinical table;
    # renaming the row must fail here rather than silently lose the wording.
    row = table("pdq-treatment-extent").row(GRADE_UNKNOWN_EXTENT)
    assert row.condition("grade") == ("GX",)
