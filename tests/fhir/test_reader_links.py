"""An Observation's links and references read exactly as the plain definitions read them.

``hooks.fhir.read.links`` skips absent elements without a call, and ``reference`` remembers
the ``Type/id`` of each reference text that is not a Bundle fullUrl (``_relative``). Both are
compared here with the plain computations they replace, on every Observation and reference of
the repository's charts and on generated input.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bench import charts
from hooks.fhir import codes
from hooks.fhir.chart import collect
from hooks.fhir.read import (
    Links,
    _relative,
    as_list,
    extension_refs,
    links,
    reference,
    shared_links,
)
from tests.fhir.test_reader_shortcuts import _split_reference, reference_texts
from tests.fhir.test_shape import CHARTS, RESOURCES


def _bench(n: int) -> list[dict[str, Any]]:
    return [r for r in charts.chart_request(n)["prefetch"].values() if r is not None]


def _plain_links(resource: dict[str, Any], aliases: dict[str, str]) -> Links:
    """The definition: every reference of focus, the related-condition extension,
    derivedFrom, hasMember and specimen, in the order the chart gives them."""

    def refs(key: str) -> list[str]:
        return [r for r in (reference(v, aliases) for v in as_list(resource.get(key))) if r]

    focus = refs("focus")
    related = extension_refs(resource, codes.RELATED_CONDITION_EXTENSION, aliases)
    return Links(
        conditions=tuple(r for r in [*focus, *related] if r.startswith("Condition/")),
        body_structures=tuple(r for r in focus if r.startswith("BodyStructure/")),
        derived_from=tuple(refs("derivedFrom")),
        members=tuple(refs("hasMember")),
        specimens=tuple(refs("specimen")),
    )


def test_every_observation_links_as_the_plain_reading_links_it() -> None:
    seen = 0
    bench = [(f"bench {n}", f"bench-chart-{n}", _bench(n)) for n in range(40)]
    for name, patient, resources in [*CHARTS, *bench]:
        data = collect(patient, resources, validate_all=False)
        for ref, resource in data.resources.items():
            if ref.startswith("Observation/"):
                assert links(resource, data.aliases) == _plain_links(resource, data.aliases), name
                seen += 1
    assert seen > 500
    observations = [r for _, r in RESOURCES if r.get("resourceType") == "Observation"]
    assert len(observations) > 150
    for resource in observations:  # every Observation of the repository, outside its chart
        assert links(resource, {}) == _plain_links(resource, {})


_TEXTS = st.sampled_from(
    [
        "Condition/c1",
        "Condition/c2",
        "BodyStructure/b1",
        "Specimen/s1",
        "Observation/o1",
        "urn:uuid:1",
        " Condition/c3 ",
        "condition/c4",
        "Condition/",
    ]
)
_READABLE = st.builds(lambda text: {"reference": text}, _TEXTS)
# Mostly readable references (so that two elements often name Conditions), and the odd ones.
_REFERENCES = st.one_of(
    _READABLE,
    _READABLE,
    _READABLE,
    st.none(),
    st.text(max_size=3),
    st.just({"display": "d"}),
    st.just({"reference": 5}),
)
_ELEMENT = st.one_of(_REFERENCES, st.lists(_REFERENCES, max_size=3))
_EXTENSION = st.fixed_dictionaries(
    {
        "url": st.sampled_from(
            [codes.RELATED_CONDITION_EXTENSION] * 3 + ["http://example.org/other"]
        ),
        "valueReference": _REFERENCES,
    }
)


_OBSERVATION = st.fixed_dictionaries(
    {},
    optional={
        "focus": _ELEMENT,
        "derivedFrom": _ELEMENT,
        "hasMember": _ELEMENT,
        "specimen": _ELEMENT,
        "extension": st.one_of(st.none(), _EXTENSION, st.lists(_EXTENSION, max_size=3)),
    },
)
# Observations of one chart: most focus on one reference and carry nothing else; some also
# carry one other link element, or are anything at all.
_FOCUSED = st.one_of(
    st.builds(lambda element: {"focus": [element]}, _READABLE),
    st.builds(
        lambda element, key, other: {"focus": [element], key: other},
        _READABLE,
        st.sampled_from(["derivedFrom", "hasMember", "specimen"]),
        _ELEMENT,
    ),
    st.builds(
        lambda element, other: {"focus": [element], "extension": other},
        _READABLE,
        st.one_of(_EXTENSION, st.lists(_EXTENSION, max_size=2)),
    ),
    _OBSERVATION,
)


@settings(max_examples=400)
@given(_OBSERVATION)
def test_generated_observations_link_as_the_plain_reading_links_them(
    resource: dict[str, Any],
) -> None:
    aliases = {"urn:uuid:1": "Condition/c9"}
    assert links(resource, aliases) == _plain_links(resource, aliases)


def test_links_shared_in_a_chart_are_the_plain_reading() -> None:
    seen = 0
    bench = [(f"bench {n}", f"bench-chart-{n}", _bench(n)) for n in range(40)]
    for name, patient, resources in [*CHARTS, *bench]:
        data = collect(patient, resources, validate_all=False)
        known: dict[str, Links] = {}  # one chart's
        for ref, resource in data.resources.items():
            if ref.startswith("Observation/"):
                shared = shared_links(resource, data.aliases, known)
                assert shared == _plain_links(resource, data.aliases), name
                seen += 1
    assert seen > 500


@settings(max_examples=400)
@given(st.lists(_FOCUSED, max_size=6))
def test_generated_charts_share_links_as_the_plain_reading_links_them(
    resources: list[dict[str, Any]],
) -> None:
    aliases = {"urn:uuid:1": "Condition/c9"}
    known: dict[str, Links] = {}
    for resource in resources:
        assert shared_links(resource, aliases, known) == _plain_links(resource, aliases)


def test_only_a_lone_focus_is_shared() -> None:
    focus = {"focus": [{"reference": "Condition/c1"}]}
    known: dict[str, Links] = {}
    for other in [
        {},
        {"specimen": {"reference": "Specimen/s1"}},
        {"derivedFrom": [{"reference": "Observation/o1"}]},
        {"hasMember": [{"reference": "Observation/o2"}]},
        {
            "extension": [
                {
                    "url": codes.RELATED_CONDITION_EXTENSION,
                    "valueReference": {"reference": "Condition/c2"},
                }
            ]
        },
    ]:
        resource = focus | other
        assert shared_links(resource, {}, known) == _plain_links(resource, {}), other


def test_focus_comes_before_the_related_condition_extension() -> None:
    resource = {
        "focus": [{"reference": "Condition/c1"}, {"reference": "BodyStructure/b1"}],
        "extension": [
            {
                "url": codes.RELATED_CONDITION_EXTENSION,
                "valueReference": {"reference": "Condition/c2"},
            }
        ],
    }
    found = links(resource, {})
    assert found == _plain_links(resource, {})
    assert found.conditions == ("Condition/c1", "Condition/c2")
    assert found.body_structures == ("BodyStructure/b1",)


def test_remembered_references_equal_a_fresh_reading() -> None:
    texts = [r for _, resource in RESOURCES for r in reference_texts(resource)]
    assert len(texts) > 500
    for _ in range(2):  # the second round answers from memory
        for text in texts:
            fresh = _relative.__wrapped__(text.strip())
            assert reference({"reference": text}, {}) == fresh == _split_reference(text), text


def test_a_bundle_full_url_wins_over_a_remembered_reading() -> None:
    text = "http://ehr.example.org/fhir/Observation/o-1"
    assert reference({"reference": text}, {}) == "Observation/o-1"  # now remembered
    aliases = {text: "Observation/o-2"}  # this chart's Bundle says otherwise
    assert reference({"reference": text}, aliases) == "Observation/o-2"
    assert reference({"reference": f" {text} "}, aliases) == "Observation/o-2"
