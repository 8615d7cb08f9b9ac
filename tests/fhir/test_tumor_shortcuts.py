"""The fourth round of reader shortcuts gives exactly what the plain reading gives: the tumor's
merged Conditions, post-treatment values and classification, and an element's references,
each compared with the plain computation it replaces, on every chart of the repository and on
generated input."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hooks.fhir import extract as extract_module
from hooks.fhir import tumor as tumor_module
from hooks.fhir.extract import extract
from hooks.fhir.model import Classification, PrimaryTumor, Source
from hooks.fhir.read import Finding, _refs, reference
from hooks.fhir.tumor import Context, _classification
from tests.fhir.test_shape import CHARTS, RESOURCES

TODAY = date(2026, 6, 15)

# ------------------------------------------------------------------------ classification


def _plain_classification(
    values: dict[str, Any], by_field: dict[str, list[Finding]], sources: dict[str, Source]
) -> Classification:
    def chosen(name: str) -> Finding | None:
        return next(
            (f for f in by_field.get(name, []) if name in sources and f.source is sources[name]),
            None,
        )

    t, size, n = chosen("t"), chosen("size_cm"), chosen("n")
    if t is not None:
        pathologic = t.classification == "p"
    elif size is not None:
        pathologic = size.specimen_based
    else:
        pathologic = n is not None and n.classification == "p"
    return Classification.PATHOLOGIC if pathologic else Classification.CLINICAL


_SOURCES = [Source(f"Observation/{n}") for n in range(3)]
_FINDING = st.builds(
    lambda field, source, classification, specimen: Finding(
        field, 1, source, True, None, classification, specimen
    ),
    st.sampled_from(["t", "size_cm", "n"]),
    st.sampled_from(_SOURCES),
    st.sampled_from(["", "c", "p"]),
    st.booleans(),
)


@settings(max_examples=500)
@given(
    st.dictionaries(st.sampled_from(["t", "size_cm", "n"]), st.lists(_FINDING, max_size=3)),
    st.dictionaries(st.sampled_from(["t", "size_cm", "n"]), st.sampled_from(_SOURCES)),
)
def test_generated_findings_give_the_plain_classification(
    by_field: dict[str, list[Finding]], sources: dict[str, Source]
) -> None:
    assert _classification({}, by_field, sources) is _plain_classification({}, by_field, sources)


# ------------------------------------------------------------------- whole tumors


def test_chart_tumors_give_the_plain_readings(monkeypatch: pytest.MonkeyPatch) -> None:
    """On every chart: ``also``, ``post_treatment`` and the classification of each tumor are
    those the plain computations give from the same context."""
    real_tumor, real_owned = tumor_module.tumor, tumor_module._owned
    real_classification = tumor_module._classification
    posts: list[dict[str, list[Source]]] = []
    counts = {"merged": 0, "post": 0, "classified": 0}

    def owned(context: Context, ref: str, notes: list[str]) -> Any:
        by_field, post = real_owned(context, ref, notes)
        posts.append({k: list(v) for k, v in post.items()})
        return by_field, post

    def classification(
        values: dict[str, Any], by_field: dict[str, list[Finding]], sources: dict[str, Source]
    ) -> Classification:
        found = real_classification(values, by_field, sources)
        assert found is _plain_classification(values, by_field, sources)
        counts["classified"] += 1
        return found

    def checked(context: Context, ref: str) -> PrimaryTumor:
        posts.clear()
        made = real_tumor(context, ref)
        plain_also = tuple(d for d, kept in context.merged.items() if kept == ref)
        assert made.also == plain_also
        assert made.post_treatment == {k: tuple(v) for k, v in posts[0].items()}
        assert type(made.post_treatment) is dict
        said = [n for n in made.notes if "records the same tumor as" in n]
        assert len(said) == (1 if plain_also else 0)
        counts["merged"] += bool(plain_also)
        counts["post"] += bool(posts[0])
        return made

    monkeypatch.setattr(tumor_module, "_owned", owned)
    monkeypatch.setattr(tumor_module, "_classification", classification)
    monkeypatch.setattr(extract_module, "tumor", checked)
    for _, patient, resources in CHARTS:
        extract(patient, resources, today=TODAY)
    # The corpus holds merged Conditions and post-treatment values: the test can fail.
    assert counts["merged"] > 0
    assert counts["post"] > 0
    assert counts["classified"] > 0


# ------------------------------------------------------------------------- references


def _plain_refs(value: Any, aliases: dict[str, str]) -> tuple[str, ...]:
    if value is None:
        return ()
    found = [reference(v, aliases) for v in (value if isinstance(value, list) else [value])]
    return tuple(r for r in found if r)


_REFERENCE = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "reference": st.sampled_from(
                ["Condition/a", " Condition/b ", "urn:uuid:1", "x", "", "Observation/1/_history/2"]
            )
        },
    ),
    st.none(),
    st.just("Condition/a"),
)


@settings(max_examples=500)
@given(st.one_of(_REFERENCE, st.lists(_REFERENCE, max_size=4)))
def test_generated_references_give_the_plain_list(value: Any) -> None:
    aliases = {"urn:uuid:1": "Condition/u"}
    assert _refs(value, aliases) == _plain_refs(value, aliases)


def test_chart_references_give_the_plain_list() -> None:
    seen = 0
    for _, resource in RESOURCES:
        for key in ("focus", "derivedFrom", "hasMember", "specimen", "subject"):
            found = _refs(resource.get(key), {})
            assert found == _plain_refs(resource.get(key), {})
            seen += len(found)
    assert seen > 0  # the corpus holds references: the test can fail
