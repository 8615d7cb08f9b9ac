"""Request and card metrics through their remembered series count the same as the labels."""

from __future__ import annotations

from cds.model import Stage, Status
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


class _Assessment:
    def __init__(self, status: object, stage: object) -> None:
        self.status = status
        self.stage = stage


class _Report:
    def __init__(self, status: object, stage: object) -> None:
        self.assessment = _Assessment(status, stage)


def test_observe_staging_counts_in_the_labelled_series() -> None:
    reports = [_Report(status, stage) for status in Status for stage in (*Stage, None)]
    statuses = {str(s): value(metrics.STATUSES, str(s)) for s in Status}
    groups = {str(g): value(metrics.STAGE_GROUPS, str(g)) for g in Stage}
    groups["none"] = value(metrics.STAGE_GROUPS, "none")
    for _ in range(2):  # the second time through the remembered series
        metrics.observe_staging(reports)
    per_status = 2 * (len(Stage) + 1)
    for s, before in statuses.items():
        assert value(metrics.STATUSES, s) == before + per_status
    for g, before in groups.items():
        assert value(metrics.STAGE_GROUPS, g) == before + 2 * len(Status)
    # The remembered series are the labels' own children (a scrape reads those).
    for s in Status:
        assert metrics._status_series(str(s)) is metrics.STATUSES.labels(str(s))
