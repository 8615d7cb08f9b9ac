"""Cards as plain wire dicts: what ``hooks.web.wire.Card(...).wire()`` gives, built directly.

Validating a pydantic ``Card`` and dumping it again cost about 0.06 ms per chart, for cards
whose every field our own builders set from constants and escaped text. So the builders make
the JSON-ready dict themselves: keys in the models' field order, ``None`` left out (the models
are dumped with ``exclude_none``), a ``Link``'s default ``type`` written out. The checks the
models make on what builders could get wrong (summary length, ``selectionBehavior`` with
suggestions) are made here too. The pydantic models stay the schema (OpenAPI, tests):
``tests/service/test_plain_cards.py`` shows on every golden case that
``Card.model_validate(card).wire() == card`` and that both give the same response bytes.

The dicts of constants (``source``, override reasons) are shared between cards: a card dict
is serialized, never changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hooks.web.wire import Card, CardSource, Coding

WireCard = dict[str, Any]
WireDict = dict[str, Any]

#: ``Card.summary``'s ``max_length`` (CDS Hooks 2.0: under 140 characters).
SUMMARY_MAX = 139


def source(model: CardSource) -> WireDict:
    """A card source as its wire dict (for constants, once at import)."""
    return model.wire()


def codings(models: Sequence[Coding]) -> tuple[WireDict, ...]:
    """Override reasons as wire dicts (for constants, once at import)."""
    if any(c.display is None for c in models):
        raise ValueError("an override reason needs a display")
    return tuple(c.wire() for c in models)


def card(
    *,
    uuid: str,
    summary: str,
    indicator: str,
    source: WireDict,
    detail: str | None = None,
    suggestions: list[WireDict] | None = None,
    selection_behavior: str | None = None,
    override_reasons: Sequence[WireDict] | None = None,
    links: list[WireDict] | None = None,
) -> WireCard:
    """``Card(...).wire()`` for these fields, without the model."""
    if len(summary) > SUMMARY_MAX:
        raise ValueError(f"a card summary is at most {SUMMARY_MAX} characters: {summary!r}")
    if suggestions and selection_behavior is None:
        raise ValueError("selectionBehavior is required when suggestions exist")
    out: WireCard = {"uuid": uuid, "summary": summary}
    if detail is not None:
        out["detail"] = detail
    out["indicator"] = indicator
    out["source"] = source
    if suggestions is not None:
        out["suggestions"] = suggestions
    if selection_behavior is not None:
        out["selectionBehavior"] = selection_behavior
    if override_reasons is not None:
        out["overrideReasons"] = list(override_reasons)
    if links is not None:
        out["links"] = links
    return out


def link(
    *,
    label: str,
    url: str,
    type: str = "absolute",
    app_context: str | None = None,
    auto_launchable: bool | None = None,
) -> WireDict:
    """``Link(...).wire()``."""
    out: WireDict = {"label": label, "url": url, "type": type}
    if app_context is not None:
        out["appContext"] = app_context
    if auto_launchable is not None:
        out["autoLaunchable"] = auto_launchable
    return out


def suggestion(
    *,
    label: str,
    uuid: str,
    is_recommended: bool | None = None,
    actions: list[WireDict] | None = None,
) -> WireDict:
    """``Suggestion(...).wire()``."""
    out: WireDict = {"label": label, "uuid": uuid}
    if is_recommended is not None:
        out["isRecommended"] = is_recommended
    if actions is not None:
        out["actions"] = actions
    return out


def create(description: str, resource: dict[str, Any]) -> WireDict:
    """``Action(type="create", description=..., resource=...).wire()`` for a JSON-ready
    resource (str, int, bool, None, lists and dicts only, as ``hooks.fhir.emit`` makes)."""
    return {"type": "create", "description": description, "resource": resource}


def model(wire_card: WireCard) -> Card:
    """The pydantic card for a wire dict (validated: for callers that want the model)."""
    return Card.model_validate(wire_card)
