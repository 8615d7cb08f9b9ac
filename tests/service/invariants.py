"""Response invariants of the CDS Hooks 2.0 spec, checked recursively on any response body."""

from __future__ import annotations

from typing import Any

INDICATORS = {"info", "warning", "critical"}
SELECTION = {"at-most-one", "any"}


def empties(node: Any, path: str = "$") -> list[str]:
    """Paths of every null, empty string, empty list or empty object under ``node``."""
    found: list[str] = []
    if node is None or (isinstance(node, str | list | dict) and not node):
        return [path]
    if isinstance(node, str) and not node.strip():
        return [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += empties(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += empties(value, f"{path}[{i}]")
    return found


def check_cards_response(body: dict[str, Any]) -> list[str]:
    """Every violation found in a ``{"cards": [...]}`` body (empty list: conformant)."""
    errors: list[str] = []
    if set(body) - {"cards", "systemActions"}:
        errors.append(f"unexpected top-level keys {sorted(body)}")
    cards = body.get("cards")
    if not isinstance(cards, list):
        return ["cards is not a list"]
    for card in cards:
        errors += empties(card, "card")
    uuids: list[str] = []
    for i, card in enumerate(cards):
        where = f"cards[{i}]"
        summary = card.get("summary", "")
        if not summary or len(summary) >= 140:
            errors.append(f"{where}.summary length {len(summary)}")
        if card.get("indicator") not in INDICATORS:
            errors.append(f"{where}.indicator {card.get('indicator')!r}")
        if not card.get("source", {}).get("label"):
            errors.append(f"{where}.source.label missing")
        if "<" in card.get("detail", "").replace("\\<", ""):
            errors.append(f"{where}.detail holds raw HTML")
        uuids.append(card.get("uuid", ""))
        suggestions = card.get("suggestions")
        if suggestions:
            if card.get("selectionBehavior") not in SELECTION:
                errors.append(f"{where} has suggestions but no selectionBehavior")
            recommended = [s for s in suggestions if s.get("isRecommended")]
            if card.get("selectionBehavior") == "at-most-one" and len(recommended) > 1:
                errors.append(f"{where}: several isRecommended with at-most-one")
            for j, suggestion in enumerate(suggestions):
                uuids.append(suggestion.get("uuid", ""))
                if not suggestion.get("label"):
                    errors.append(f"{where}.suggestions[{j}].label missing")
                for k, action in enumerate(suggestion.get("actions", [])):
                    at = f"{where}.suggestions[{j}].actions[{k}]"
                    if action.get("type") not in {"create", "update", "delete"}:
                        errors.append(f"{at}.type {action.get('type')!r}")
                    if not action.get("description"):
                        errors.append(f"{at}.description missing")
                    if action.get("type") in {"create", "update"} and not isinstance(
                        action.get("resource"), dict
                    ):
                        errors.append(f"{at}.resource missing")
        for j, reason in enumerate(card.get("overrideReasons", [])):
            if not reason.get("code") or not reason.get("system"):
                errors.append(f"{where}.overrideReasons[{j}] needs a code and a system")
        for j, link in enumerate(card.get("links", [])):
            if not link.get("label") or not link.get("url", "").startswith("https://"):
                errors.append(f"{where}.links[{j}] needs a label and an https url")
            if link.get("type") not in {"absolute", "smart"}:
                errors.append(f"{where}.links[{j}].type {link.get('type')!r}")
    if any(not u for u in uuids) or len(set(uuids)) != len(uuids):
        errors.append(f"uuids missing or not unique: {uuids}")
    return errors


def is_operation_outcome(body: Any) -> bool:
    return (
        isinstance(body, dict)
        and body.get("resourceType") == "OperationOutcome"
        and isinstance(body.get("issue"), list)
        and all(i.get("severity") and i.get("code") for i in body["issue"])
    )
