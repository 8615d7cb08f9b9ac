"""The order-select path for ``make bench``: the CDS Hooks Sandbox's Rx View call for the same
chart as the patient-view benchmark, with a medication history and a session of draft orders.

The request selects a pazopanib order (RxNorm 867502, as the Sandbox codes it) and an
eribulin order (RxNorm 1045456) among four draft orders (with an ondansetron tablet and a
diet); the history holds eight earlier MedicationRequests and two MedicationStatements (an
epirubicin course among them). For this leiomyosarcoma the pazopanib order is silent and the
eribulin order gets one card (outside its approved histology). Every request runs the whole
order path (context checks, order identification, history search, rules, cards); the staging
of the chart is remembered by chart digest, as it is when an EHR fires order-select for each
medication of one ordering session.

``python -m bench.orders`` runs this path alone (a short smoke run; BENCH_SECONDS and
BENCH_ROUNDS apply) and prints its figures.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

from bench import request

PATH = "/cds-services/sarcoma-therapy-select"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def _medication_request(rid: str, code: str | None, text: str, status: str) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": text}
    if code:
        concept["coding"] = [{"system": RXNORM, "code": code}]
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": concept,
        "subject": {"reference": f"Patient/{request.PATIENT}"},
        "authoredOn": "2025-03-01",
    }


def _history() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    requests = [
        _medication_request("h1", None, "ondansetron 8 mg PO q8h PRN", "completed"),
        _medication_request("h2", None, "dexamethasone 8 mg IV", "completed"),
        _medication_request("h3", "1791593", "ifosfamide 2 g/m2 d1-3", "completed"),
        _medication_request("h4", None, "mesna 400 mg/m2 IV", "completed"),
        _medication_request("h5", None, "filgrastim 300 mcg SC daily", "stopped"),
        _medication_request("h6", None, "acetaminophen 500 mg PO PRN", "active"),
        _medication_request("h7", None, "enoxaparin 40 mg SC daily", "active"),
        _medication_request("h8", None, "doxorubicin 75 mg/m2 IV", "cancelled"),
    ]
    statements = [
        {
            "resourceType": "MedicationStatement",
            "id": "s1",
            "status": "completed",
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "3995"}]},
            "subject": {"reference": f"Patient/{request.PATIENT}"},
            "effectivePeriod": {"start": "2024-01-10", "end": "2024-05-02"},
        },
        {
            "resourceType": "MedicationStatement",
            "id": "s2",
            "status": "active",
            "medicationCodeableConcept": {"text": "lisinopril 10 mg daily"},
            "subject": {"reference": f"Patient/{request.PATIENT}"},
        },
    ]
    return requests, statements


def order_select_request() -> dict[str, Any]:
    body = request.patient_view_request()
    requests, statements = _history()
    pazopanib = {
        "resourceType": "MedicationRequest",
        "id": "request-123",
        "status": "draft",
        "subject": {"reference": f"Patient/{request.PATIENT}"},
        "authoredOn": "2026-01-01",
        "dosageInstruction": [
            {"timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}}}
        ],
        "medicationCodeableConcept": {
            "text": "pazopanib 200 MG Oral Tablet",
            "coding": [
                {"display": "pazopanib 200 MG Oral Tablet", "system": RXNORM, "code": "867502"}
            ],
        },
    }
    ondansetron = _medication_request("request-124", None, "ondansetron 8 mg tablet", "draft")
    eribulin = _medication_request("request-125", "1045456", "eribulin 1.4 mg/m2 IV", "draft")
    diet = {
        "resourceType": "NutritionOrder",
        "id": "diet-1",
        "status": "draft",
        "intent": "order",
        "patient": {"reference": f"Patient/{request.PATIENT}"},
        "dateTime": "2026-01-01",
    }
    body["hook"] = "order-select"
    body["context"]["selections"] = [
        "MedicationRequest/request-123",
        "MedicationRequest/request-125",
    ]
    body["context"]["draftOrders"] = {
        "resourceType": "Bundle",
        "entry": [{"resource": r} for r in (pazopanib, ondansetron, eribulin, diet)],
    }
    body["prefetch"]["medicationRequests"] = request._searchset(requests)
    body["prefetch"]["medicationStatements"] = request._searchset(statements)
    return body


def measure(server_type: Any, run_wrk: Any, wrk: str, rounds: int) -> dict[str, Any]:
    """One worker, 16 connections, ``rounds`` runs of the order-select path (medians)."""
    body = orjson.dumps(order_select_request())
    with tempfile.TemporaryDirectory() as tmp:
        body_file = Path(tmp) / "order.json"
        body_file.write_bytes(body)
        script = Path(tmp) / "order.lua"
        script.write_text(
            "\n".join(
                [
                    'wrk.method = "POST"',
                    'wrk.headers["Content-Type"] = "application/json"',
                    f'local f = assert(io.open("{body_file}", "rb"))',
                    "wrk.body = f:read('*a')",
                    "f:close()",
                ]
            )
            + "\n"
        )
        server = server_type("hooks.app:app", 1).start(body, path=PATH)
        try:
            runs = [run_wrk(wrk, server.url, script, 16, path=PATH) for _ in range(rounds)]
            rss = round(server.rss_mb_per_worker(), 1)
        finally:
            server.stop()
    result = {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]}
    return {"request_bytes": len(body), "c16": result, "rss_mb_per_worker": rss}


def main() -> int:
    from bench.__main__ import ROUNDS, Server, _ensure_wrk, run_wrk  # noqa: PLC0415

    figures = measure(Server, run_wrk, _ensure_wrk(), ROUNDS)
    print(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
