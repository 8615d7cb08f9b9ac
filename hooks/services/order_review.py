"""The order review services: CDS Hooks ``order-select`` and ``order-sign`` (hookVersion
1.0) checking the systemic agents being ordered against the stage, the histology and the
therapy on record, by the NCI PDQ Adult Soft Tissue Sarcoma Treatment summary
(``cds.therapy``).

Same prefetch gathering (``gather_resources``: prefetch, then the FHIR server), limits,
authentication and errors as the patient-view service. ``order-select`` reviews the newly
selected MedicationRequests (``selections``), ``order-sign`` every MedicationRequest in
``draftOrders``. An order whose agent is not identified gets no card, nor does an agent that
fits the options for the tumor. The cards are built afresh for every call (draft orders and
history differ from call to call); only the staging of the chart is remembered, keyed by a
digest of exactly the resources it is computed from (``chart_key``), since an EHR fires
order-select for every medication picked in one ordering session on the same chart.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Final

import anyio
import orjson
from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from cds.therapy import History, is_anthracycline, known_agent, review_agent, tumor_context
from hooks.cards.therapy import therapy_card
from hooks.fhir.medications import DraftOrders, draft_orders, medication_history
from hooks.fhir.model import Extraction, TumorReport
from hooks.services.bounds import WorkLimits, bounded_cards
from hooks.services.inline import inline
from hooks.services.prefetch import gather_for_call
from hooks.services.registry import CdsService
from hooks.services.staging import chart_key, stage_patient
from hooks.web.errors import BadRequest, request_id
from hooks.web.order_wire import OrderContext
from hooks.web.settings import Settings, is_valid_fhir_id
from hooks.web.wire import Card, CardsResponse, HookRequest

log = logging.getLogger("hooks.service")

ORDER_SELECT: Final = "order-select"
ORDER_SIGN: Final = "order-sign"
ORDER_HOOKS: Final = frozenset({ORDER_SELECT, ORDER_SIGN})
HISTORY_TYPES: Final = frozenset({"MedicationRequest", "MedicationStatement", "Medication"})


class StagingMemory:
    """Staged reports by chart key, most recently used kept; bounded."""

    def __init__(self, kept: int = 512) -> None:
        self.kept = kept
        self._reports: OrderedDict[bytes, tuple[Extraction, tuple[TumorReport, ...]]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def reports(
        self, patient_id: str, chart: list[dict[str, Any]], max_primaries: int
    ) -> tuple[Extraction, tuple[TumorReport, ...]]:
        key = chart_key(patient_id, chart)
        if key is not None:
            key += max_primaries.to_bytes(4, "big")
            with self._lock:
                found = self._reports.get(key)
                if found is not None:
                    self._reports.move_to_end(key)
                    return found
        extraction, reports = stage_patient(patient_id, chart, max_primaries=max_primaries)
        result = (extraction, tuple(reports))
        if key is not None:
            with self._lock:
                self._reports[key] = result
                if len(self._reports) > self.kept:
                    self._reports.popitem(last=False)
        return result


STAGED = StagingMemory()


def order_context(req: HookRequest) -> OrderContext:
    """The request's context read as an order hook context (400 naming what is wrong)."""
    try:
        context = OrderContext.model_validate(req.context.model_dump())
    except ValidationError as exc:
        parts = []
        for err in exc.errors(include_input=False, include_url=False)[:5]:
            loc = ".".join(str(p) for p in err["loc"])
            parts.append(f"context.{loc}: {err['msg']}")
        raise BadRequest("invalid request: " + "; ".join(parts)) from None
    if not is_valid_fhir_id(context.patientId):
        raise BadRequest("context.patientId is not a valid FHIR id")
    if req.hook == ORDER_SELECT and not context.selections:
        raise BadRequest("invalid request: context.selections is required for order-select")
    return context


def _orders(req: HookRequest, context: OrderContext) -> DraftOrders:
    selections = context.selections if req.hook == ORDER_SELECT else None
    drafts = draft_orders(context.patientId, context.draftOrders, selections)
    for index, selection in enumerate(selections or ()):
        if selection not in drafts.resources:
            raise BadRequest(
                f"context.selections[{index}] names no resource in context.draftOrders"[:200]
            )
    return drafts


async def review_orders(
    request: Request,
    service: CdsService,
    req: HookRequest,
    identity: Any,
    *,
    settings: Settings,
    new_id: Callable[[], str],
    limiter: anyio.CapacityLimiter | None = None,
) -> Response:
    """Answer one order-select or order-sign call (``limiter``: the worker threads shared with
    the patient-view service)."""
    if req.hook != service.hook:
        raise BadRequest(f"service {service.id} answers the {service.hook} hook only")
    context = order_context(req)
    drafts = _orders(req, context)
    if drafts.notes:
        log.warning("request %s: %s", request_id(request), " ".join(drafts.notes)[:500])
    reviewed = [o for o in drafts.selected if any(known_agent(i.agent) for i in o.agents)]
    if not reviewed:
        return _respond([])  # nothing we know is ordered: no chart data is needed
    resources = await gather_for_call(request, req, service.prefetch, settings, identity)
    # Staging, the history search and the cards are CPU work, bounded and run in a worker
    # thread like the patient-view's (hooks.services.bounds), so a large chart or a long list
    # of orders never stalls the event loop.
    review = functools.partial(
        _review, context.patientId, resources, drafts, reviewed, settings=settings, new_id=new_id
    )
    # An ordinary chart and a few orders are staged inline (hooks.services.inline).
    if inline(resources, len(drafts.orders)):
        cards = review()
    else:
        cards = await anyio.to_thread.run_sync(review, limiter=limiter)
    return _respond(cards)


def _review(
    patient_id: str,
    resources: list[dict[str, Any]],
    drafts: DraftOrders,
    reviewed: Sequence[Any],
    *,
    settings: Settings,
    new_id: Callable[[], str],
) -> list[Card]:
    chart = [r for r in resources if r.get("resourceType") not in HISTORY_TYPES]
    extraction, reports = STAGED.reports(patient_id, chart, settings.max_primaries)
    history = medication_history(patient_id, resources)
    earlier = history.earlier(drafts.resources)
    cards: list[Card] = []
    for report in reports:
        tumor = tumor_context(report.tumor.inputs, report.assessment)
        for order in reviewed:
            concurrent = any(
                is_anthracycline(i.agent)
                for other in drafts.orders
                if other.reference != order.reference
                for i in other.agents
            )
            for identified in order.agents:
                # Earlier therapy is therapy with another agent: a course of the same agent
                # on record is not the earlier chemotherapy its approval asks for.
                before = [a for r in earlier for a in r.agents if a != identified.agent]
                facts = History(
                    prior_anthracycline=any(is_anthracycline(a) for a in before),
                    with_anthracycline=concurrent,
                    prior_chemotherapy=bool(before),
                )
                for finding in review_agent(identified.agent, tumor, facts):
                    card = therapy_card(
                        finding,
                        order=order,
                        identified=identified,
                        report=report,
                        tumor=tumor,
                        history=history,
                        earlier=earlier,
                        new_id=new_id,
                    )
                    cards.append(card)
    limits = WorkLimits(settings.max_primaries, settings.max_cards, settings.max_response_bytes)
    return bounded_cards(cards, new_id, left_out=extraction.left_out, limits=limits)


def _respond(cards: Sequence[Card]) -> Response:
    body = orjson.dumps(CardsResponse(cards=list(cards)).wire())
    return Response(body, media_type="application/json")
