"""Reading the patient's chart from the EHR's FHIR server and writing the staging back, with
the session's access token (never logged, never sent anywhere but the launch's FHIR base).

Reads are the hooks' prefetch queries (``hooks.services.prefetch``): the Patient, their
Conditions and the Observations the reader understands. The write is one FHIR transaction
(FHIR R4 "Transactions": all entries succeed or none), so a refusal leaves nothing behind.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from hooks.fhir.client import FhirClient, FhirError
from hooks.services.prefetch import PREFETCH_TEMPLATES, render

MAX_RESPONSE = 4 * 1024 * 1024


async def read_chart(
    http: httpx.AsyncClient, base: str, patient: str, token: str | None, *, max_pages: int
) -> list[dict[str, Any]]:
    """The patient's resources; ``FhirError`` (safe to show) when they cannot be read."""
    client = FhirClient(http, timeout=float(http.timeout.read or 10), max_pages=max_pages)
    patient_doc, conditions, observations = await asyncio.gather(
        client.read(base, render(PREFETCH_TEMPLATES["patient"], patient), token),
        client.search(base, render(PREFETCH_TEMPLATES["conditions"], patient), token),
        client.search(base, render(PREFETCH_TEMPLATES["observations"], patient), token),
    )
    return [patient_doc, *conditions, *observations]


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What became of a transaction: the created references, or why nothing was written."""

    created: tuple[str, ...] = ()
    refusal: str = ""  # plain words for the clinician; empty when written


def _outcome_text(body: Any) -> str:
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return ""
    words = []
    for issue in body.get("issue", [])[:3]:
        if isinstance(issue, dict):
            text = issue.get("diagnostics") or (issue.get("details") or {}).get("text")
            if isinstance(text, str):
                words.append(text[:300])
    return " ".join(words)


def _refusal(status: int, body: Any) -> str:
    said = _outcome_text(body)
    suffix = f" The server said: {said}" if said else ""
    if status in (401, 403):
        return (
            "The EHR refused to record the staging: this app or your account is not allowed "
            "to create Observations for this patient. Nothing was written." + suffix
        )
    if status in (400, 409, 412, 422):
        return (
            "The EHR's FHIR server did not accept the staging Observations, so nothing was "
            "written." + suffix
        )
    return f"The EHR's FHIR server failed (HTTP {status}); nothing was written." + suffix


async def write_transaction(
    http: httpx.AsyncClient, base: str, token: str | None, bundle: dict[str, Any]
) -> WriteResult:
    headers = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = await http.post(
            base, content=orjson.dumps(bundle), headers=headers, follow_redirects=False
        )
    except httpx.TimeoutException:
        return WriteResult(
            refusal="The EHR's FHIR server did not answer in time. Check the chart before "
            "trying again: the server may or may not have recorded the staging."
        )
    except httpx.HTTPError as exc:
        return WriteResult(
            refusal=f"The EHR's FHIR server could not be reached ({type(exc).__name__}); "
            "nothing was written."
        )
    try:
        body = orjson.loads(response.content[:MAX_RESPONSE])
    except orjson.JSONDecodeError:
        body = None
    if response.status_code not in (200, 201):
        return WriteResult(refusal=_refusal(response.status_code, body))
    created = _created(body)
    if len(created) != len(bundle.get("entry", [])):
        return WriteResult(
            refusal="The EHR's FHIR server answered the transaction without confirming every "
            "Observation. Check the chart before trying again."
        )
    return WriteResult(created=tuple(created))


def _created(body: Any) -> list[str]:
    if not isinstance(body, dict) or body.get("type") != "transaction-response":
        return []
    out = []
    for entry in body.get("entry", []):
        response = entry.get("response") if isinstance(entry, dict) else None
        status = str((response or {}).get("status", ""))
        if not status.startswith(("200", "201")):
            return []
        location = str((response or {}).get("location", ""))
        out.append("/".join(location.split("/_history", maxsplit=1)[0].split("/")[-2:]))
    return out


__all__ = ["FhirError", "WriteResult", "read_chart", "write_transaction"]
