"""Request and card metrics through their remembered series count the same as the labels."""

from __future__ import annotations

from hooks.ops import metrics


def value(counter: object, *labels: str) -> float:
    return float(counter.labels(*labels)._value.get())  # type: ignore[attr-defined]


def test_observe_request_counts_in_the_labelled_series() -> None:
    before = value(metrics.REQUESTS, "service", "sarcoma-staging", "200")
    other = value(metrics.REQUESTS, "other", "-", "404")
    for _ in range(3):
        metrics.observe_request("/cds-services/sarcoma-staging", 200, 0.001)
    metrics.observe_request("/no/such/thing", 404, 0.001)
    assert value(metrics.REQUESTS, "service", "sarcoma-staging", "200") == before + 3
    assert value(metrics.REQUESTS, "other", "-", "404") == other + 1


def test_observe_cards_counts_in_the_labelled_series() -> None:
    before = value(metrics.CARDS, "sarcoma-staging", "warning")
    info = value(metrics.CARDS, "sarcoma-staging", "info")
    metrics.observe_cards("sarcoma-staging", (("warning", 2), ("info", 0)))
    assert value(metrics.CARDS, "sarcoma-staging", "warning") == before + 2
    assert value(metrics.CARDS, "sarcoma-staging", "info") == info
