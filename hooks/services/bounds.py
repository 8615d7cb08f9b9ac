"""What one call may cost: primaries staged, cards returned, response bytes.

A chart inside every request limit (5 MB, 10,000 resources) can still name thousands of
primary sarcomas; staging and carding all of them held a worker for seconds and answered with
a response of a hundred megabytes that no clinician could read. So one call stages at most
``max_primaries`` primaries (in chart order), returns at most ``max_cards`` cards and at most
``max_response_bytes`` bytes; whatever is left out is named on a warning card, never dropped
silently. The limits are settings (``hooks.web.settings``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from hooks.cards import plain
from hooks.cards.common import STAGE_SOURCE_WIRE
from hooks.cards.factory import CardFactory
from hooks.cards.markdown import DISCLAIMER, md
from hooks.fhir.model import TumorReport
from hooks.services.registry import Pipeline
from hooks.services.responses import Build, Template, build_template, direct_response
from hooks.web.wire import Card

#: How many left-out Conditions the card names before "and N more".
NAMED = 20

AnyCard = TypeVar("AnyCard", Card, plain.WireCard)


@dataclass(frozen=True, slots=True)
class WorkLimits:
    max_primaries: int = 10
    max_cards: int = 50
    max_response_bytes: int = 2 * 1024 * 1024


def left_out_card(
    new_uuid: Callable[[], str],
    *,
    primaries: Sequence[str] = (),
    cards: int = 0,
    too_large: int = 0,
    limits: WorkLimits,
) -> Card:
    """A warning card saying what this answer leaves out and why."""
    return plain.model(
        left_out_wire(
            new_uuid, primaries=primaries, cards=cards, too_large=too_large, limits=limits
        )
    )


def left_out_wire(
    new_uuid: Callable[[], str],
    *,
    primaries: Sequence[str] = (),
    cards: int = 0,
    too_large: int = 0,
    limits: WorkLimits,
) -> plain.WireCard:
    """``left_out_card`` as a wire dict (``hooks.cards.plain``)."""
    lines: list[str] = []
    if primaries:
        named = ", ".join(md(ref) for ref in primaries[:NAMED])
        more = f" and {len(primaries) - NAMED} more" if len(primaries) > NAMED else ""
        lines += [
            f"The chart names more primary soft tissue sarcomas than one answer stages "
            f"({limits.max_primaries}). Not staged: {named}{more}.",
            "",
        ]
    if cards:
        lines += [
            f"{cards} more card(s) were not shown: one answer holds at most "
            f"{limits.max_cards} cards.",
            "",
        ]
    if too_large:
        lines += [
            f"The staging cards for this chart came to {too_large} bytes, more than one answer "
            f"may hold ({limits.max_response_bytes}); none are shown.",
            "",
        ]
    lines += [
        "Several primary sarcomas in one chart are rare: check the Conditions for duplicates or "
        "miscoded diagnoses, and stage the rest from the pathology reports.",
        "",
        DISCLAIMER,
    ]
    return plain.card(
        uuid=new_uuid(),
        summary="Sarcoma staging: this chart is too large to stage in full; some is left out",
        detail="\n".join(lines),
        indicator="warning",
        source=STAGE_SOURCE_WIRE,
    )


def bounded_cards(
    cards: list[Card],
    new_uuid: Callable[[], str],
    *,
    left_out: Sequence[str],
    limits: WorkLimits,
) -> list[Card]:
    """``cards`` within ``max_cards``, with a last card naming what was left out (if any)."""
    return _bounded(cards, new_uuid, left_out, limits, left_out_card)


def bounded_wire_cards(
    cards: list[plain.WireCard],
    new_uuid: Callable[[], str],
    *,
    left_out: Sequence[str],
    limits: WorkLimits,
) -> list[plain.WireCard]:
    """``bounded_cards`` for wire dicts (``hooks.cards.plain``)."""
    return _bounded(cards, new_uuid, left_out, limits, left_out_wire)


def _bounded(
    cards: list[AnyCard],
    new_uuid: Callable[[], str],
    left_out: Sequence[str],
    limits: WorkLimits,
    notice: Callable[..., AnyCard],
) -> list[AnyCard]:
    if not left_out and len(cards) <= limits.max_cards:
        return cards
    room = limits.max_cards - 1  # the last place is the notice's
    kept = cards[:room]
    last = notice(new_uuid, primaries=left_out, cards=len(cards) - len(kept), limits=limits)
    kept.append(last)  # a copy: the caller's list is left as it is
    return kept


def staged_template(
    steps: Pipeline,
    patient_id: str,
    resources: list[dict[str, Any]],
    limits: WorkLimits,
    *,
    launch_url: str | None = None,
    observe: Callable[[list[TumorReport]], None] | None = None,
    once: tuple[Callable[[], str], str] | None = None,
) -> Template:
    """Stage the chart and build its response template within ``limits`` (CPU work: the app
    runs it in a worker thread). ``launch_url`` is the worksheet's SMART launch URL for the
    cards; ``observe`` sees the staged reports (metrics). With ``once`` (the id source and the
    effective time of one request), the response of that request is built directly instead
    (``hooks.services.responses.direct_response``)."""
    extraction, reports = steps.stage(patient_id, resources)
    left_out = extraction.left_out
    if len(reports) > limits.max_primaries:  # an injected pipeline that does not stop early
        left_out = tuple(r.tumor.condition for r in reports[limits.max_primaries :]) + left_out
        reports = reports[: limits.max_primaries]
        extraction = replace(extraction, primaries=extraction.primaries[: limits.max_primaries])
    if observe is not None:
        observe(reports)

    def build(new_id: Callable[[], str], effective_text: str) -> list[plain.WireCard]:
        def observations(report: TumorReport) -> list[dict[str, Any]]:
            return steps.emit(patient_id, report, effective=effective_text, new_id=new_id)

        factory = CardFactory(
            new_uuid=new_id,
            observations=observations,
            assess=steps.assess,
            launch_url=launch_url,
        )
        cards = factory.wire_cards(extraction, reports)
        return bounded_wire_cards(cards, new_id, left_out=left_out, limits=limits)

    def respond(cards: Build) -> Template:
        if once is None:
            return build_template(cards, notes=len(extraction.notes))
        return direct_response(cards, len(extraction.notes), *once)

    template = respond(build)
    size = template.size
    if size > limits.max_response_bytes:
        return respond(lambda new_id, _: [left_out_wire(new_id, too_large=size, limits=limits)])
    return template
