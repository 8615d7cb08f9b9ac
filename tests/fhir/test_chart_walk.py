"""The chart walk's shortcuts read exactly as the plain computations they replace.

``chart.collect`` keeps the Conditions and Observations apart (``Chart.conditions``,
``Chart.observations``) and tells most resources' statuses apart without ``_ignored_status``
(``_maybe_ignored``); ``attach.condition_targets`` reads each shared Links once; ``attach``
settles an Observation linked to one Condition without the general reading. Each is compared
here with its plain definition on the repository's charts and on generated input.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bench import charts
from hooks.fhir import attach as attaching
from hooks.fhir.chart import Chart, _ignored_status, _maybe_ignored, collect
from hooks.fhir.extract import extract
from hooks.fhir.model import Source
from hooks.fhir.read import Finding, shared_links
from tests.fhir.test_shape import CHARTS


def _bench(n: int) -> list[dict[str, Any]]:
    return [r for r in charts.chart_request(n)["prefetch"].values() if r is not None]


ALL = [*CHARTS, *((f"bench {n}", f"bench-chart-{n}", _bench(n)) for n in range(30))]


def test_conditions_and_observations_are_the_resources_of_their_kind_in_order() -> None:
    for _name, patient, resources in ALL:
        for validate_all in (False, True):
            data = collect(patient, resources, validate_all=validate_all)
            for kind, kept in (
                ("Condition/", data.conditions),
                ("Observation/", data.observations),
            ):
                plain = [(r, x) for r, x in data.resources.items() if r.startswith(kind)]
                assert list(kept.items()) == plain
                assert all(kept[r] is x for r, x in plain)


_TEXTS = st.one_of(
    st.none(),
    st.sampled_from(["final", "registered", "cancelled", "entered-in-error", "refuted", ""]),
    st.text(max_size=6),
    st.integers(),
    st.lists(st.text(max_size=3), max_size=2),
)
_CODING = st.one_of(_TEXTS, st.dictionaries(st.sampled_from(["code", "system"]), _TEXTS))
_CONCEPT = st.one_of(
    _TEXTS,
    st.dictionaries(
        st.sampled_from(["coding", "text"]), st.one_of(_TEXTS, st.lists(_CODING, max_size=3))
    ),
)


@settings(max_examples=600, deadline=None)
@given(
    kind=st.sampled_from(["Observation", "Condition", "BodyStructure"]),
    status=_TEXTS,
    verification=_CONCEPT,
)
def test_a_resource_passed_over_has_no_ignored_status(
    kind: str, status: Any, verification: Any
) -> None:
    resource: dict[str, Any] = {"resourceType": kind, "status": status}
    if verification is not None:
        resource["verificationStatus"] = verification
    if not _maybe_ignored(resource, kind):
        assert _ignored_status(resource) is None


def test_every_ignored_status_of_the_charts_is_still_seen() -> None:
    for status in ("entered-in-error", "cancelled", "registered"):
        resource = {"resourceType": "Observation", "status": status}
        assert _maybe_ignored(resource, "Observation")
    for code in ("entered-in-error", "refuted"):
        concept = {"coding": [{"code": code}]}
        resource = {"resourceType": "Condition", "verificationStatus": concept}
        assert _maybe_ignored(resource, "Condition")


def _plain_owner(
    primaries: list[str], findings: dict[str, Finding], targets: dict[str, set[str]]
) -> dict[str, str]:
    """The general reading of ``attach`` for linked Observations: one sarcoma owns it."""
    owner = {}
    for ref, linked in targets.items():
        if ref in findings:
            sarcomas = sorted({c if c in primaries else "other" for c in linked} - {"other"})
            if len(sarcomas) == 1:
                owner[ref] = sarcomas[0]
    return owner


@settings(max_examples=300, deadline=None)
@given(
    links=st.lists(
        st.sets(st.sampled_from(["Condition/a", "Condition/b", "Condition/c"]), max_size=3),
        max_size=6,
    ),
    primaries=st.lists(st.sampled_from(["Condition/a", "Condition/b"]), unique=True),
)
def test_a_linked_observation_is_owned_as_the_general_reading_owns_it(
    links: list[set[str]], primaries: list[str]
) -> None:
    findings = {
        f"Observation/{i}": Finding("size_cm", 1, Source(f"Observation/{i}"), True, None)
        for i in range(len(links))
    }
    targets = {f"Observation/{i}": linked for i, linked in enumerate(links) if linked}
    owner = attaching.attach(
        Chart(), primaries=primaries, others=[], findings=findings, targets=targets
    )
    assert owner == _plain_owner(primaries, findings, targets)


def test_targets_are_one_set_per_observation() -> None:
    # Shared Links are read once, but no two Observations share a set of targets.
    for _name, patient, resources in ALL:
        data = collect(patient, resources, validate_all=False)
        result = extract(patient, resources)
        assert result is not None
        infos = dict.fromkeys(data.conditions)
        known: dict[str, Any] = {}
        obs_links = {r: shared_links(x, data.aliases, known) for r, x in data.observations.items()}
        targets = attaching.condition_targets(
            data,
            lambda ref: True,
            infos=infos,
            obs_links=obs_links,  # type: ignore[arg-type]
        )
        assert len({id(s) for s in targets.values()}) == len(targets)
