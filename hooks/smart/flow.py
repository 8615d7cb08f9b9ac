"""The launch: ``GET /smart/launch`` (EHR launch with ``iss`` and ``launch``, standalone with
``iss`` alone, or an open FHIR server with ``iss`` and ``patient``) and ``GET
/smart/callback`` (state check, code exchange with the PKCE verifier), per SMART App Launch
2.0 (``hooks.smart.launch``)."""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from hooks.smart import launch as smart
from hooks.smart.context import http_client, of
from hooks.smart.render import message, sentence
from hooks.smart.session import PendingLaunch
from hooks.web.settings import is_valid_fhir_id

log = logging.getLogger("hooks.smart")
router = APIRouter(include_in_schema=False)
PENDING_SECONDS = 600.0  # an authorization left unfinished this long is forgotten
CANNOT_OPEN = "Cannot open the worksheet"
NOT_COMPLETED = "The sign-in could not be completed"


@router.get("/smart/launch")
async def launch(
    request: Request,
    iss: Annotated[str, Query(max_length=2000)] = "",
    launch: Annotated[str | None, Query(max_length=2000)] = None,
    patient: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    ctx = of(request)
    cfg = ctx.cfg
    iss = iss.strip().rstrip("/")
    if iss and iss in cfg.smart_open_servers and patient is not None and launch is None:
        if not is_valid_fhir_id(patient):
            return message(request, 400, CANNOT_OPEN, "The patient id is not a FHIR id.")
        session = ctx.sessions.create()
        session.iss, session.patient, session.open_server = iss, patient, True
        return ctx.set_cookie(request, RedirectResponse("/smart/worksheet", 303), session)
    allowed = iss in cfg.smart_fhir_servers and (
        iss.startswith("https://") or cfg.allow_insecure_http
    )
    if not allowed:
        return message(
            request,
            400,
            CANNOT_OPEN,
            "The worksheet was opened without a FHIR server it is set up for. Open it from "
            "the EHR, or ask the team that runs this service to add the EHR's FHIR base.",
        )
    async with http_client() as http:
        try:
            config = await smart.discover(http, iss)
        except smart.LaunchError as error:
            return message(request, 502, CANNOT_OPEN, sentence(str(error)))
    verifier, challenge = smart.pkce_pair()
    state = smart.new_state()
    redirect_uri = ctx.base_url(request) + "/smart/callback"
    session = ctx.sessions.create()
    session.pending = PendingLaunch(
        state, verifier, iss, config.token_endpoint, redirect_uri, ctx.sessions.now()
    )
    target = smart.authorize_url(
        config,
        client_id=cfg.smart_client_id,
        redirect_uri=redirect_uri,
        iss=iss,
        state=state,
        challenge=challenge,
        launch=launch,
    )
    return ctx.set_cookie(request, RedirectResponse(target, 302), session)


@router.get("/smart/callback")
async def callback(
    request: Request,
    code: Annotated[str | None, Query(max_length=4000)] = None,
    state: Annotated[str | None, Query(max_length=500)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    ctx = of(request)
    session = ctx.current(request)
    pending = session.pending if session else None
    if (
        session is None
        or pending is None
        or not state
        or not hmac.compare_digest(pending.state.encode(), state.encode())
        or ctx.sessions.now() - pending.created > PENDING_SECONDS
    ):
        log.warning("SMART callback refused: unknown, expired or mismatched state")
        return message(
            request,
            400,
            NOT_COMPLETED,
            "This sign-in does not belong to this browser session or took too long. "
            "Open the worksheet again from the EHR.",
        )
    session.pending = None  # a state is good for one callback only
    if error is not None:
        if error == "access_denied":
            return message(
                request,
                403,
                "Access was not granted",
                "The worksheet was not given access to the patient's record, so it shows "
                "nothing. Open it again from the EHR if that was a mistake.",
            )
        shown = "".join(ch for ch in error[:60] if ch.isalnum() or ch in "_-")
        return message(request, 403, NOT_COMPLETED, f"The EHR answered {shown!r}.")
    if not code:
        return message(request, 400, NOT_COMPLETED, "The EHR sent no authorization code.")
    async with http_client() as http:
        try:
            grant = await smart.exchange(
                http,
                pending.token_endpoint,
                code=code,
                verifier=pending.verifier,
                redirect_uri=pending.redirect_uri,
                client_id=ctx.cfg.smart_client_id,
                client_secret=ctx.client_secret,
            )
        except smart.LaunchError as failure:
            return message(request, 502, NOT_COMPLETED, sentence(str(failure)))
    if not is_valid_fhir_id(grant.patient):
        return message(request, 502, NOT_COMPLETED, "The EHR named an invalid patient id.")
    ctx.sessions.drop(session.id)  # a new id once signed in (no session fixation)
    fresh = ctx.sessions.create()
    fresh.iss, fresh.patient = pending.iss, grant.patient
    fresh.access_token, fresh.scopes = grant.access_token, grant.scopes
    fresh.fhir_user, fresh.condition = grant.fhir_user, grant.condition
    ctx.sessions.limit_to(fresh, grant.expires_in)
    return ctx.set_cookie(request, RedirectResponse("/smart/worksheet", 303), fresh)
