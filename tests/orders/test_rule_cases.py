"""Every row of the order review rule table, through both hooks and every order shape: the
hand-written cases of ``therapy_cases.toml`` (from the PDQ summary) against the cards the
services answer."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from cds.tables import table
from tests.orders.charts import (
    PATIENT,
    RXNORM,
    chart,
    ehr_order,
    order_request,
    prior_request,
    sandbox_order,
)

pytestmark = pytest.mark.anyio

CASES = tomllib.loads((Path(__file__).with_name("therapy_cases.toml")).read_text("utf-8"))["case"]
SERVICES = {"order-select": "sarcoma-therapy-select", "order-sign": "sarcoma-therapy-sign"}
PDQ = "https://www.cancer.gov/types/soft-tissue-sarcoma/hp/adult-soft-tissue-treatment-pdq"
RULE = re.compile(r"\(rule `([a-z0-9-]+)`\)")

# (shape, RxNorm code or None, what the order says): the Sandbox's Rx View / Rx Sign order
# with an RxNorm clinical drug code; an EHR's coded, contained-Medication and text-only orders.
SHAPES: dict[str, list[tuple[str, str | None, str]]] = {
    "doxorubicin": [
        ("sandbox", "1790099", "doxorubicin hydrochloride 20 MG per 10 ML Injection"),
        ("coded", "1790115", "DOXOrubicin HCl 2 mg/mL inj"),
        ("contained", None, "DOXOrubicin HCl 2 mg/mL injection"),
        ("text", None, "doxorubicin 75 mg/m2 IV q3w"),
    ],
    "pazopanib": [
        ("sandbox", "867502", "pazopanib 200 MG Oral Tablet"),
        ("coded", "714438", "pazopanib"),
        ("contained", "867506", "Votrient 200 mg tablet"),
        ("text", None, "Votrient 800 mg PO daily"),
    ],
    "gemcitabine": [
        ("coded", "12574", "gemcitabine"),
        ("text", None, "gemcitabine 900 mg/m2 d1,8 q21d"),
    ],
    "eribulin": [
        ("coded", "1045456", "eribulin mesylate 0.5 MG/ML Injectable Solution"),
        ("contained", None, "Halaven 1.4 mg/m2"),
        ("text", None, "eribulin mesylate 1.4 mg/m2 IV d1,8"),
    ],
    "trabectedin": [
        ("coded", "2745754", "trabectedin"),
        ("text", None, "trabectedin 1.5 mg/m2 over 24 h"),
    ],
    "sunitinib": [
        ("sandbox", "616289", "sunitinib 50 MG Oral Capsule"),
        ("coded", "357977", "sunitinib"),
        ("text", None, "SUTENT 37.5 mg daily"),
    ],
    "ifosfamide": [
        ("coded", "1791593", "ifosfamide 1 GM Injection"),
        ("contained", None, "ifosfamide 1 g vial"),
        ("text", None, "Ifex 2 g/m2 d1-3 with mesna"),
    ],
    "tazemetostat": [
        ("coded", "2274384", "tazemetostat 200 MG Oral Tablet"),
        ("text", None, "TAZVERIK 800 mg BID"),
    ],
    "paclitaxel": [
        ("text", None, "PACLitaxel 80 mg/m2 weekly"),
        ("contained", None, "nab-paclitaxel 100 mg vial"),
    ],
    "imatinib": [
        ("sandbox", "403879", "imatinib 400 MG Oral Tablet"),
        ("text", None, "Gleevec 400 mg daily"),
    ],
}

HISTORY_CODES = {"epirubicin": "3995", "doxorubicin": "1790099"}


def history(entries: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n, entry in enumerate(entries):
        agent, status, kind = entry.split(":")
        if kind == "MedicationRequest":
            out.append(prior_request(f"prior-{n}", f"{agent} 60 mg/m2", None, status))
        else:
            out.append(
                {
                    "resourceType": "MedicationStatement",
                    "id": f"stmt-{n}",
                    "status": status,
                    "medicationCodeableConcept": {
                        "coding": [{"system": RXNORM, "code": HISTORY_CODES[agent]}]
                    },
                    "subject": {"reference": f"Patient/{PATIENT}"},
                    "effectivePeriod": {"start": "2024-03-01", "end": "2024-07-15"},
                }
            )
    return out


def order(shape: str, code: str | None, text: str) -> dict[str, Any]:
    if shape == "sandbox":
        assert code is not None
        return sandbox_order(code, text, rid="request-123")
    return ehr_order("ord-1", shape, text, code)


def case_request(
    case: dict[str, Any], hook: str, shape: tuple[str, str | None, str]
) -> dict[str, Any]:
    size_cm = case.get("size_cm", 8.0)
    conditions, observations = chart(
        case.get("histology"),
        size_cm=None if size_cm < 0 else size_cm,
        grade_text=case.get("grade"),
        m=case.get("m"),
        recurrent=case.get("recurrent", False),
    )
    extra = []
    if "with" in case:
        extra.append(ehr_order("co-1", "text", f"{case['with']} 75 mg/m2 IV day 1"))
    return order_request(
        hook,
        [order(*shape)],
        conditions=conditions,
        observations=observations,
        history=history(case.get("prior", [])),
        extra_draft=extra,
    )


PARAMS = [
    pytest.param(case, hook, shape, id=f"{case['id']}-{hook}-{shape[0]}")
    for case in CASES
    for hook in SERVICES
    for shape in SHAPES[case["agent"]]
]


@pytest.mark.parametrize(("case", "hook", "shape"), PARAMS)
async def test_rule_case(
    client: httpx.AsyncClient, case: dict[str, Any], hook: str, shape: tuple[str, str | None, str]
) -> None:
    response = await client.post(
        f"/cds-services/{SERVICES[hook]}", json=case_request(case, hook, shape)
    )
    assert response.status_code == 200, response.text
    name = table("pdq-therapy-agents").row(case["agent"]).text("name")
    cards = [c for c in response.json()["cards"] if c["summary"].startswith(f"{name}:")]
    rules = sorted(m.group(1) for c in cards if (m := RULE.search(c["detail"])))
    assert rules == case["expect"], case["why"]
    rows = table("pdq-therapy-rules")
    for card in cards:
        row = rows.row(RULE.search(card["detail"]).group(1))  # type: ignore[union-attr]
        assert card["indicator"] == row.text("indicator")
        assert len(card["summary"]) < 140
        assert row.text("reason") in card["summary"]
        [link] = card["links"]
        assert link["url"].startswith(f"{PDQ}#:~:text=")
        fragment = link["url"].split("#:~:text=")[1]
        assert "-" not in fragment
        assert "," not in fragment
        assert unquote(fragment) == row.text("quote")
        assert row.text("section") in card["detail"]
        assert "Decision support only" in card["detail"]
        assert {r["code"] for r in card["overrideReasons"]} == {
            "treating-team-decision",
            "clinical-trial",
            "history-not-in-record",
        }
    if "names" in case:
        assert all(case["names"] in c["detail"] for c in cards)


def test_every_rule_row_has_a_case_that_expects_it() -> None:
    expected = {rule for case in CASES for rule in case["expect"]}
    assert expected == {row.key for row in table("pdq-therapy-rules").rows}


def test_every_case_has_a_silent_neighbour_or_a_card() -> None:
    # Silence is the normal case: at least a third of the cases expect no card at all.
    silent = [case["id"] for case in CASES if not case["expect"]]
    assert len(silent) * 3 >= len(CASES)
