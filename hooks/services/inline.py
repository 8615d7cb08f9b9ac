"""Which calls are staged on the event loop and which in the worker threads.

The per-call bounds (``hooks.services.bounds``) run staging in worker threads so that a large
chart never stalls the event loop for other patients. Handing an ordinary chart to a thread
and back costs more than staging it (a millisecond or two; measured on the benchmark's
distinct charts: 575 against 420-450 new charts per second on one worker), so a chart of at
most ``INLINE_RESOURCES`` resources, with at most ``INLINE_ORDERS`` draft orders, is staged
inline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: Charts of at most this many resources are staged on the event loop (a few milliseconds).
INLINE_RESOURCES = 100
#: Order-review calls with at most this many draft orders (and a small chart) run inline.
INLINE_ORDERS = 20


def resource_count(resources: Iterable[Mapping[str, Any]]) -> int:
    """Resources in a gathered chart (Bundle entries counted one by one)."""
    count = 0
    for item in resources:
        entries = item.get("entry") if item.get("resourceType") == "Bundle" else None
        count += len(entries) if isinstance(entries, list) else 1
    return count


def inline(resources: Iterable[Mapping[str, Any]], orders: int = 0) -> bool:
    """Whether this call's CPU work is small enough to run on the event loop."""
    return orders <= INLINE_ORDERS and resource_count(resources) <= INLINE_RESOURCES
