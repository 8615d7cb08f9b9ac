"""The stage card in a glance, and its suggestion: what is recorded, what is not yet, what
could not be read (real clinical core, real emission; AJCC 8th edition via NCI PDQ: a 7 cm
trunk/extremity tumor is T2; T2 N0 M0 G3 is IIIA, T2 N0 M0 G2 too)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from cds.assess import assess
from cds.model import Grade, M, N, SiteGroup, Stage, T, TumorInputs
from hooks.cards.factory import CardFactory
from hooks.fhir.emit import staging_observations
from hooks.fhir.model import Extraction, PrimaryTumor, Source, TumorReport
from hooks.fhir.writeback import ACCEPTED, CONVENTION
from hooks.web.wire import Card

UPS = TumorInputs(
    site=SiteGroup.TRUNK_EXTREMITY,
    histology="8802/3",  # undifferentiated pleomorphic sarcoma: differentiation score 3
    size_cm=Decimal(7),
    mitoses=25,
    necrosis_pct=Decimal(60),
)
SIZE = Source("Observation/size", "2025-03-01", "final", "70 mm")


def tumor(inputs: TumorInputs, **sources: Source) -> TumorReport:
    t = PrimaryTumor(
        condition="Condition/ups",
        description="Undifferentiated pleomorphic sarcoma of thigh",
        inputs=inputs,
        sources={"size_cm": SIZE, **sources},
    )
    return TumorReport(t, assess(inputs))


def cards(report: TumorReport) -> list[Card]:
    ids = iter(f"id-{i}" for i in range(1000))

    def observations(r: TumorReport) -> list[dict[str, Any]]:
        return staging_observations("p", r, effective="2026-01-01T00:00:00Z", new_id=ids.__next__)

    factory = CardFactory(new_uuid=ids.__next__, observations=observations, assess=assess)
    return factory.cards(Extraction("p"), [report])


def line(card: Card, name: str) -> str:
    found = [x for x in (card.detail or "").splitlines() if x.startswith(f"- **{name}**")]
    return found[0] if found else ""


def recorded_staging(accepted: str | None = None) -> dict[str, Source]:
    day = "2025-04-02"
    return {
        "t": Source("Observation/t", day, "final", "cT2", accepted),
        "n": Source("Observation/n", day, "final", "cN0", accepted),
        "m": Source("Observation/m", day, "final", "cM0", accepted),
        "grade": Source("Observation/g", day, "final", "G3", accepted),
        "stage": Source("Observation/s", day, "final", "IIIA", accepted),
    }


def test_a_determined_stage_is_offered_for_recording_and_recommended() -> None:
    inputs = replace(UPS, n=N.N0, m=M.M0)
    stage = cards(tumor(inputs, n=Source("Observation/n", "2025-03-02"), m=Source("Observation/m")))
    [suggestion] = stage[0].suggestions or []
    assert suggestion.label == "Record stage IIIA"
    assert suggestion.isRecommended is True
    assert stage[0].selectionBehavior == "at-most-one"
    assert line(stage[0], "Assumed") == ""


def test_the_same_staging_in_the_chart_is_shown_as_recorded_without_a_suggestion() -> None:
    inputs = replace(UPS, t=T.T2, n=N.N0, m=M.M0, grade=Grade.G3, stage=Stage.IIIA)
    [stage, *others] = cards(tumor(inputs, **recorded_staging()))
    assert stage.suggestions is None
    assert stage.selectionBehavior is None
    assert line(stage, "Recorded") == (
        "- **Recorded**: on 2025\\-04\\-02 (Observation/s); nothing new to record."
    )
    assert not [c for c in others if c.indicator == "warning"]


def test_our_accepted_observations_say_so_and_convention_stays_a_convention() -> None:
    inputs = replace(UPS, t=T.T2, n=N.N0, m=M.M0, grade=Grade.G3, stage=Stage.IIIA)
    sources = recorded_staging(ACCEPTED)
    sources["n"] = Source("Observation/n", "2025-04-02", "final", "cN0", CONVENTION)
    sources["m"] = Source("Observation/m", "2025-04-02", "final", "cM0", CONVENTION)
    [stage, *_] = cards(tumor(inputs, **sources))
    assert stage.suggestions is None
    detail = stage.detail or ""
    assert "from an accepted suggestion; nothing new to record" in line(stage, "Recorded")
    assert "| N | N0 | AJCC convention, accepted | Observation/n (accepted suggestion)" in detail
    assert "N0 and M0 by the AJCC convention" in line(stage, "Assumed")


def test_recorded_staging_that_differs_gets_the_discrepancy_card_and_no_suggestion() -> None:
    inputs = replace(UPS, t=T.T2, n=N.N0, m=M.M0, grade=Grade.G3, stage=Stage.IB)
    [stage, *others] = cards(tumor(inputs, **recorded_staging()))
    assert stage.suggestions is None
    assert "recorded staging disagrees" in line(stage, "Recorded")
    [warning] = [c for c in others if c.indicator == "warning"]
    assert warning.summary.startswith("Recorded stage disagrees with computed")


def test_facts_that_could_not_be_read_are_said_and_never_assumed() -> None:
    report = tumor(UPS)
    unreadable = "Observation/n1: the regional node finding 'see report' could not be read."
    report = TumorReport(replace(report.tumor, unreadable=(unreadable,)), report.assessment)
    [stage, *_] = cards(report)
    assert "the regional node finding 'see report' could not be read" in line(
        stage, "Could not read"
    )
    assert "see report" not in line(stage, "Assumed")


def test_every_card_offers_override_reasons() -> None:
    inputs = TumorInputs(site=SiteGroup.TRUNK_EXTREMITY, histology="8890/3", size_cm=Decimal(7))
    found = cards(tumor(inputs))
    assert len(found) >= 3
    for card in found:
        assert card.overrideReasons, card.summary


def test_a_grade_that_depends_on_an_assumed_differentiation_asks_for_the_score() -> None:
    # Leiomyosarcoma NOS: differentiation 2 assumed; 14 mitoses (score 2), 30 % necrosis (1):
    # G2 with 2 (total 5), G3 with 3 (total 6). The score decides: ask for it, record nothing.
    inputs = TumorInputs(
        site=SiteGroup.TRUNK_EXTREMITY,
        histology="8890/3",
        size_cm=Decimal(7),
        mitoses=14,
        necrosis_pct=Decimal(30),
    )
    [stage, *others] = cards(tumor(inputs))
    assert stage.suggestions is None
    assert "differentiation score (it decides the grade)" in line(stage, "Missing")
    [gaps] = [c for c in others if c.indicator == "warning"]
    assert gaps.summary.startswith("Record differentiation to complete staging")
    assert "the FNCLCC differentiation score (1-3) for the histology" in (gaps.detail or "")
