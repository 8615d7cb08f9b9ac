"""Prefetch templates and their semantics (CDS Hooks 2.0, "Providing FHIR Resources to a CDS
Service"), with the FHIR-server fallback.

Per template key of the request's ``prefetch``:

- absent: the client did not fetch it; we query ``fhirServer`` with the access token;
- ``null``: the client has no data for it; we do not query again;
- an empty searchset: nothing was found;
- an OperationOutcome, or a Bundle holding one with an error: the client hit an error;
  treated as absent (an outcome with only information or warnings in a searchset is skipped);
- a searchset with a ``next`` link: the first page is used and the rest fetched.

Independent queries run concurrently under one overall deadline. Data that can be neither
read nor fetched is a 412. Only ``context.patientId`` is ever put into a query, and only when
it is a FHIR id that is not a dot segment (``.`` or ``..`` would turn ``Patient/{id}`` into
the server root and ``Condition?patient={id}`` into a search of every patient); it is
percent-encoded all the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.requests import Request

from hooks.fhir import codes
from hooks.fhir.client import FhirClient, FhirError, is_error_outcome, next_link, token_of
from hooks.fhir.urls import has_dot_segments
from hooks.web.errors import BadRequest, DataUnavailable
from hooks.web.settings import Settings, is_valid_fhir_id
from hooks.web.wire import HookRequest

# Every Observation code extraction reads (hooks/fhir/tables/inputs.toml), in a stable order,
# so that the prefetch template and the reader cannot drift apart.
OBSERVATION_CODES: tuple[tuple[str, str], ...] = tuple(sorted(codes.OBSERVATION_CODES))

PATIENT = "{{context.patientId}}"


def observation_code_param(codes: Sequence[tuple[str, str]] = OBSERVATION_CODES) -> str:
    return ",".join(f"{system}|{code}" for system, code in codes)


PREFETCH_TEMPLATES: dict[str, str] = {
    "patient": f"Patient/{PATIENT}",
    "conditions": f"Condition?patient={PATIENT}",
    "observations": f"Observation?patient={PATIENT}&code={observation_code_param()}",
}


def render(template: str, patient_id: str) -> str:
    """Fill a template for a fallback query; the code list and the id are percent-encoded."""
    if not is_valid_fhir_id(patient_id):
        raise BadRequest("context.patientId is not a valid FHIR id")
    path, _, query = template.replace(PATIENT, quote(patient_id, safe="")).partition("?")
    if not query:
        return path
    params = []
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        params.append(f"{name}={quote(value, safe=',')}")
    return f"{path}?{'&'.join(params)}"


@dataclass(frozen=True, slots=True)
class _Usable:
    resources: list[dict[str, Any]]
    next_bundle: dict[str, Any] | None = None  # a first page whose next link must be followed


_MISSING = None


def _classify(key: str, value: Any) -> _Usable | None:
    """What the client sent for one key: usable data, or None for "fetch it ourselves"."""
    if value is None:
        return _Usable([])  # null: the client has no data; do not query again
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        raise BadRequest(f"prefetch.{key} is neither null nor a FHIR resource")
    kind = value["resourceType"]
    if kind == "OperationOutcome":
        return _MISSING
    if kind != "Bundle":
        return _Usable([value])
    entries = value.get("entry")
    resources = []
    for entry in entries if isinstance(entries, list) else []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        if resource.get("resourceType") == "OperationOutcome":
            if is_error_outcome(resource):
                return _MISSING
            continue  # warnings about the search (search.mode "outcome"), not data
        resources.append(resource)
    if next_link(value) is not None:
        return _Usable(resources, next_bundle=value)
    return _Usable(resources)


# Raises (e.g. hooks.auth.FhirServerNotAllowed) when the client may not make us call the URL.
FhirServerPolicy = Callable[[Any, str], None]


async def gather_for_call(
    request: Request,
    req: HookRequest,
    templates: dict[str, str],
    settings: Settings,
    principal: Any,
) -> list[dict[str, Any]]:
    """``gather_resources`` for one service call: the app's shared FHIR client and the
    authenticator's ``fhirServer`` allowlist (patient-view and the order services alike)."""
    auth = request.app.state.authenticator
    return await gather_resources(
        req,
        templates=templates,
        client=request.app.state.fhir,
        settings=settings,
        principal=principal,
        check_fhir_server=getattr(auth, "check_fhir_server", None),
    )


async def gather_resources(
    req: HookRequest,
    *,
    templates: dict[str, str],
    client: FhirClient,
    settings: Settings,
    principal: Any = None,
    check_fhir_server: FhirServerPolicy | None = None,
) -> list[dict[str, Any]]:
    """Every resource the service needs for ``context.patientId``: prefetch, then fallback."""
    patient_id = req.context.patientId
    if not is_valid_fhir_id(patient_id):
        raise BadRequest("context.patientId is not a valid FHIR id")
    sent = req.prefetch or {}
    resources: list[dict[str, Any]] = []
    to_fetch: list[str] = []
    to_complete: list[dict[str, Any]] = []
    for key in templates:
        usable = _classify(key, sent[key]) if key in sent else _MISSING
        if usable is None:
            to_fetch.append(key)
            continue
        if usable.next_bundle is not None:
            to_complete.append(usable.next_bundle)
        else:
            resources.extend(usable.resources)
    if not to_fetch and not to_complete:
        return resources

    base = _fhir_base(req, settings, principal, check_fhir_server, to_fetch)
    token = token_of(req.fhirAuthorization)

    async def fetch(key: str) -> list[dict[str, Any]]:
        path = render(templates[key], patient_id)
        if "?" in path:
            return await client.search(base, path, token)
        return [await client.read(base, path, token)]

    jobs = [fetch(k) for k in to_fetch] + [client.complete(base, b, token) for b in to_complete]
    try:
        async with asyncio.timeout(settings.fhir_deadline), asyncio.TaskGroup() as group:
            tasks = [group.create_task(job) for job in jobs]
    except TimeoutError:
        raise DataUnavailable(
            f"the FHIR server did not return the data within {settings.fhir_deadline:g} s"
        ) from None
    except BaseExceptionGroup as group_error:
        # The first failure cancels the sibling queries (TaskGroup); report a FhirError plainly,
        # anything else is a bug and propagates to the 500 handler.
        fhir_errors = group_error.subgroup(FhirError)
        if fhir_errors is None:
            raise
        first = fhir_errors.exceptions[0]
        raise DataUnavailable(f"required data could not be fetched: {first}") from None
    for task in tasks:
        resources.extend(task.result())
    return resources


def _fhir_base(
    req: HookRequest,
    settings: Settings,
    principal: Any,
    check: FhirServerPolicy | None,
    missing: list[str],
) -> str:
    if not req.fhirServer:
        what = ", ".join(missing) if missing else "the rest of a paged search"
        raise DataUnavailable(f"prefetch lacks {what} and the request names no fhirServer")
    base = req.fhirServer.rstrip("/")
    parts = urlsplit(base)
    if parts.scheme != "https" and not (settings.allow_insecure_http and parts.scheme == "http"):
        raise BadRequest("fhirServer must be an https URL")
    if not parts.netloc or parts.query or parts.fragment or has_dot_segments(parts.path):
        raise BadRequest("fhirServer is not a FHIR base URL")
    if check is not None:
        check(principal, base)
    return base
