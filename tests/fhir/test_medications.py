"""Identifying the agents of a medication order (``hooks.fhir.medications``) and the RxNorm
table behind it."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from cds.tables import table
from hooks.fhir.medications import (
    CODES,
    NAMES,
    draft_orders,
    identify,
    medication_history,
)

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
TABLE = Path(__file__).parents[2] / "hooks" / "fhir" / "tables" / "rxnorm_agents.toml"


def concept(code: str | None = None, text: str | None = None, display: str | None = None) -> Any:
    value: dict[str, Any] = {}
    if code is not None:
        coding = {"system": RXNORM, "code": code}
        if display is not None:
            coding["display"] = display
        value["coding"] = [coding]
    if text is not None:
        value["text"] = text
    return value


def agents(*concepts: Any) -> list[str]:
    return [i.agent for i in identify(list(concepts))]


def test_a_listed_rxnorm_code_identifies_its_agent() -> None:
    [found] = identify([concept("867502")])
    assert found.agent == "pazopanib"
    assert found.code == "867502"
    assert "CDS Hooks Sandbox" in found.basis


def test_the_code_wins_over_a_contradicting_text() -> None:
    # The code is the order; a stale free-text label does not override it.
    assert agents(concept("1045456", text="doxorubicin")) == ["eribulin"]


def test_an_unlisted_code_falls_back_to_the_name_in_its_display() -> None:
    [found] = identify([concept("3639", display="doxorubicin")])
    assert found.agent == "doxorubicin"
    assert found.code is None
    assert found.chart_text == "doxorubicin"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DOXOrubicin HCl 2 mg/mL", ["doxorubicin"]),
        ("nab-paclitaxel 100 mg", ["paclitaxel"]),
        ("Votrient 800 mg daily", ["pazopanib"]),
        ("doxorubicin + ifosfamide (AI), mesna", ["doxorubicin", "ifosfamide"]),
        ("epirubicin 60 mg/m2", ["epirubicin"]),
        ("cyclophosphamide 600 mg/m2", []),  # not "ifosfamide"
        ("docetaxelum", []),  # whole words only
        ("amoxicillin 500 mg", []),
        ("", []),
    ],
)
def test_names_are_whole_words_and_never_guessed(text: str, expected: list[str]) -> None:
    assert sorted(agents(concept(text=text))) == sorted(expected)


def test_unknown_code_and_no_name_is_not_identified() -> None:
    assert agents(concept("617993", display="Amoxicillin 120 MG/ML Oral Suspension")) == []


def order(rid: str, **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        **fields,
    }


def test_contained_referenced_and_r5_medications_are_read() -> None:
    contained = order(
        "a",
        contained=[
            {
                "resourceType": "Medication",
                "id": "m",
                "ingredient": [{"itemCodeableConcept": concept("2274384")}],
            }
        ],
        medicationReference={"reference": "#m"},
    )
    referenced = order("b", medicationReference={"reference": "Medication/med-1"})
    by_display = order("c", medicationReference={"reference": "Medication/x", "display": "Halaven"})
    r5 = order("d", medication={"concept": concept("616289")})
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": r}
            for r in (
                contained,
                referenced,
                by_display,
                r5,
                {"resourceType": "Medication", "id": "med-1", "code": concept("1791593")},
            )
        ],
    }
    drafts = draft_orders("p1", bundle, None)
    found = {o.reference: [i.agent for i in o.agents] for o in drafts.selected}
    assert found == {
        "MedicationRequest/a": ["tazemetostat"],
        "MedicationRequest/b": ["ifosfamide"],
        "MedicationRequest/c": ["eribulin"],
        "MedicationRequest/d": ["sunitinib"],
    }


def test_history_counts_only_therapy_that_was_given() -> None:
    def request(rid: str, status: str, intent: str = "order") -> dict[str, Any]:
        return order(
            rid, status=status, intent=intent, medicationCodeableConcept=concept("1790099")
        )

    history = [
        request("given", "completed"),
        request("stopped", "stopped"),
        request("draft", "draft"),
        request("error", "entered-in-error"),
        request("proposal", "active", intent="proposal"),
        {
            "resourceType": "MedicationStatement",
            "id": "s1",
            "status": "not-taken",
            "subject": {"reference": "Patient/p1"},
            "medicationCodeableConcept": concept(text="epirubicin"),
        },
        {**request("other", "completed"), "subject": {"reference": "Patient/p2"}},
    ]
    result = medication_history("p1", history)
    assert [str(r) for r in result.records] == [
        "MedicationRequest/given (doxorubicin, completed)",
        "MedicationRequest/stopped (doxorubicin, stopped)",
    ]
    assert (result.requests, result.statements, result.other_patient) == (5, 1, 1)
    # A draft order being re-signed, also on the server as active, is not earlier therapy.
    assert [r.reference for r in result.earlier(frozenset({"MedicationRequest/given"}))] == [
        "MedicationRequest/stopped"
    ]


def test_every_rxnorm_row_names_a_known_agent_and_a_cited_source() -> None:
    data = tomllib.loads(TABLE.read_text("utf-8"))
    known = {str(r.condition("agent")[0]) for r in table("pdq-therapy-agents").rows}  # type: ignore[index]
    assert {row.agent for row in CODES.values()} <= known
    assert set(NAMES) == known  # every agent has its names, even when no code is verified
    for key, source in data["sources"].items():
        assert "https://" in source, key
    for row in data["codes"]:
        assert row["code"].isdigit()
        assert row["level"] in {"IN", "SCD", "SBD", "SCD/SBD"}
    for row in data["names"]:
        if not any(c["agent"] == row["agent"] for c in data["codes"]):
            assert "name only" in row["note"], row["agent"]


def test_anthracyclines_are_doxorubicin_and_epirubicin() -> None:
    rows = table("pdq-therapy-agents").rows
    assert sorted(r.key for r in rows if "anthracycline" in r.texts("classes")) == [
        "doxorubicin",
        "epirubicin",
    ]
