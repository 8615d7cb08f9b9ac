"""The worksheet itself: ``GET /smart/worksheet``, ``POST /smart/what-if``, ``GET`` and
``POST /smart/record``.

The chart is read with the session's token (``hooks.smart.ehr``) and staged by the hooks'
pipeline (``hooks.services.staging.stage_patient``: AJCC 8th edition and FNCLCC via the NCI
PDQ summary). What-if values are assessed by ``cds.assess`` and never written; "Record staging"
writes the chart's own staging after a confirmation page that lists every Observation.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from cds.assess import assess
from hooks.api.stage import observations_for
from hooks.fhir import writeback
from hooks.fhir.emit import as_transaction_bundle
from hooks.fhir.model import Extraction, TumorReport
from hooks.services.staging import stage_patient
from hooks.smart.context import ended, http_client, of
from hooks.smart.ehr import FhirError, read_chart, write_transaction
from hooks.smart.record import describe, with_performer
from hooks.smart.render import fragment, message, page, sentence
from hooks.smart.session import Session, csrf_ok
from hooks.smart.whatif import WhatIfError, what_if
from hooks.smart.worksheet import DISCLAIMER, SOURCES, TumorView, view

log = logging.getLogger("hooks.smart")
router = APIRouter(include_in_schema=False)
RELOAD = "Reload the worksheet."
STALE_FORM = "The form is out of date: reload the worksheet and try again."


async def _load(request: Request, session: Session) -> tuple[Extraction, list[TumorReport]]:
    """Read and stage the chart; the reports are kept in the session for what-if and record."""
    async with http_client() as http:
        resources = await read_chart(
            http,
            session.iss,
            session.patient,
            session.access_token or None,
            max_pages=of(request).cfg.fhir_max_pages,
        )
    extraction, reports = stage_patient(session.patient, resources)
    session.extra["reports"] = {r.tumor.condition: r for r in reports}
    return extraction, reports


def _unreadable(request: Request, failure: FhirError) -> Response:
    return message(
        request,
        502,
        "The patient's record could not be read",
        sentence(str(failure)) + " Try again in a moment.",
        again=True,
    )


def _worksheet(
    request: Request,
    session: Session,
    tumors: list[TumorView],
    notes: tuple[str, ...],
    *,
    status: int = 200,
    error: str = "",
) -> Response:
    return page(
        request,
        "worksheet.html",
        status,
        session=session,
        patient=session.patient,
        tumors=tumors,
        notes=notes,
        can_write=session.can_write(),
        disclaimer=DISCLAIMER,
        sources=SOURCES,
        error=error,
    )


def _report(session: Session, condition: str) -> TumorReport | None:
    reports: dict[str, TumorReport] = session.extra.get("reports", {})
    return reports.get(f"Condition/{condition}")


@router.get("/smart/worksheet")
async def worksheet(request: Request) -> Response:
    session = of(request).current(request)
    if session is None or session.pending is not None or not session.patient:
        return ended(request)
    try:
        extraction, reports = await _load(request, session)
    except FhirError as failure:
        return _unreadable(request, failure)
    # The tumor named by the card's appContext comes first.
    ordered = sorted(reports, key=lambda r: r.tumor.condition != session.condition)
    return _worksheet(request, session, [view(r) for r in ordered], extraction.notes)


@router.post("/smart/what-if")
async def what_if_page(request: Request) -> Response:
    session = of(request).current(request)
    if session is None or not session.patient:
        return ended(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    if not csrf_ok(session, form.get("csrf") or request.headers.get("x-csrf-token")):
        return message(request, 403, "Refused", STALE_FORM)
    report = _report(session, form.get("condition", ""))
    if report is None:
        return message(request, 404, "Unknown tumor", RELOAD, again=True)
    try:
        tumor, error, status = what_if(report, form, assess), "", 200
    except WhatIfError as problem:
        tumor, error, status = view(report), str(problem), 422
    if request.headers.get("x-requested-with") == "fetch":
        return fragment("result.html", status, t=tumor, error=error)
    # Without JavaScript: the whole worksheet, this tumor's result hypothetical.
    reports: dict[str, TumorReport] = session.extra.get("reports", {})
    tumors = [tumor if r is report else view(r) for r in reports.values()]
    return _worksheet(request, session, tumors, (), status=status, error=error)


def _no_write_scope(request: Request) -> Response:
    return message(
        request,
        403,
        "Recording is not permitted",
        "The EHR did not give this worksheet permission to create Observations "
        "(patient/Observation.c), so it cannot record the staging. Nothing was written. You "
        "can still use the worksheet, or record the staging in the EHR.",
        again=True,
    )


@router.get("/smart/record")
async def confirm(
    request: Request, condition: Annotated[str, Query(max_length=64)] = ""
) -> Response:
    ctx = of(request)
    session = ctx.current(request)
    if session is None or not session.patient:
        return ended(request)
    if not session.can_write():
        return _no_write_scope(request)
    try:
        await _load(request, session)  # what is recorded is the chart as it is now
    except FhirError as failure:
        return _unreadable(request, failure)
    report = _report(session, condition)
    if report is None:
        return message(request, 404, "Unknown tumor", RELOAD, again=True)
    observations = with_performer(
        observations_for(session.patient, [report], effective=ctx.effective(), new_id=ctx.new_id),
        session.fhir_user,
    )
    plan = writeback.plan(report)  # the same rules as the stage card's suggestion
    if not observations:
        return message(request, 409, "Nothing to record", _nothing_to_record(plan), again=True)
    session.extra["to_write"] = {condition: observations}
    return page(
        request,
        "confirm.html",
        session=session,
        patient=session.patient,
        t=view(report),
        items=[describe(o) for o in observations],
        performer=session.fhir_user,
        label=writeback.label(report, plan),
        assumed=bool(plan.assumed),
    )


def _nothing_to_record(plan: writeback.Plan) -> str:
    """Why the record step has nothing to write, in the write-back's own words."""
    if plan.blocked:
        return f"Nothing is recorded: {plan.blocked}."
    if plan.is_recorded:
        where = ", ".join(f"{s.reference}" for _, s in plan.recorded)
        return f"The chart already holds this staging ({where}); nothing new to record."
    return "There is nothing to record for this tumor."


@router.post("/smart/record")
async def record(
    request: Request,
    condition: Annotated[str, Form(max_length=64)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    session = of(request).current(request)
    if session is None or not session.patient:
        return ended(request)
    if not csrf_ok(session, csrf):
        return message(request, 403, "Refused", STALE_FORM)
    if not session.can_write():
        return _no_write_scope(request)
    pending: dict[str, list[dict[str, Any]]] = session.extra.get("to_write", {})
    observations = pending.pop(condition, None)  # what the clinician saw, written once
    if not observations:
        return message(request, 409, "Nothing to record", "Open the confirmation again.")
    async with http_client() as http:
        result = await write_transaction(
            http, session.iss, session.access_token or None, as_transaction_bundle(observations)
        )
    if result.refusal:
        log.info("worksheet: the FHIR server refused to record the staging")
        return message(request, 409, "The staging was not recorded", result.refusal, again=True)
    return page(
        request, "recorded.html", session=session, patient=session.patient, created=result.created
    )
