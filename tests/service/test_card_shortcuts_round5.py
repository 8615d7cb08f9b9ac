"""The fifth round's shortcuts in the cards and the write-back give exactly what the direct
computation gives: the identifier material by a %-format per combination of steady inputs and
source names (``hooks.fhir.writeback.tumor_material_text``), our own Observations found by plain
loops (``accepted_observations``), the options' number as a memo key
(``hooks.cards.option_keys``) and Markdown escaping of letters, digits, "/" and "-" by one
replace (``hooks.cards.markdown._escaped``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cds.model import Basis, Grade, Stage, Status, T
from hooks.cards import common, markdown, notes, option_keys, treatment
from hooks.fhir import writeback
from hooks.fhir.model import Source, TumorReport
from hooks.fhir.text import MEMO_TEXT_MAX
from hooks.fhir.writeback import Plan
from tests.service.test_card_memos import reports
from tests.service.test_card_shortcuts import tumors


def direct_accepted_observations(resources: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """``writeback.accepted_observations`` as written before its plain loops (the reference)."""
    out: dict[str, str] = {}
    for resource in resources:
        if type(resource) is not dict and not isinstance(resource, Mapping):
            continue  # (the dict test first: the Mapping ABC test is slow)
        if resource.get("resourceType") != "Observation" or not isinstance(resource.get("id"), str):
            continue
        idents = resource.get("identifier")
        meta = resource.get("meta")
        tag_list = meta.get("tag") if isinstance(meta, dict) else None
        if not idents and not tag_list:
            continue  # most Observations: neither an identifier nor a tag to look at
        ours = isinstance(idents, list) and any(
            isinstance(i, dict) and i.get("system") == writeback.IDENTIFIER_SYSTEM for i in idents
        )
        found = {
            t.get("code")
            for t in tag_list or ()
            if isinstance(t, dict) and t.get("system") == writeback.TAG_SYSTEM
        }
        if ours or writeback.TAG_ACCEPTED in found:
            kind = writeback.CONVENTION if writeback.TAG_CONVENTION in found else writeback.ACCEPTED
            out[f"Observation/{resource['id']}"] = kind
    return out


def test_the_format_memo_gives_the_direct_material_for_every_tumor() -> None:
    for tumor in tumors():
        assert writeback.tumor_material_text(tumor) == writeback.direct_tumor_material(tumor)


@pytest.mark.parametrize(
    "change",
    [
        {"histology": "88%s90/3", "topography": "C%r49"},  # "%" in a steady text
        {"differentiation": True},  # equal to 1, written True
        {"differentiation": 1},
        {"size_cm": Decimal("7.00")},  # equal to 7.0, written with its two places
        {"size_cm": Decimal("7.0")},
        {"mitoses": True},
        {"t": None, "topography": "T2"},  # a text equal to a member
        {"t": T.T2, "topography": None},
        {"grade": Grade.G3, "grade_options": (Grade.G3,)},  # a tuple that is not empty
        {"grade_caveats": ("graded on a core biopsy",)},
    ],
)
def test_each_kind_of_value_is_written_as_its_repr(change: dict[str, Any]) -> None:
    base = reports()[0].tumor
    odd_sources = {
        **base.sources,
        "n": Source("Observation/100%", "2024-%d", None),
        "m": Source("Observation/o'brien\\", None, None),
    }
    for sources in (base.sources, odd_sources):
        tumor = replace(base, inputs=replace(base.inputs, **change), sources=sources)
        # twice: the second from the memo
        for _ in range(2):
            assert writeback.tumor_material_text(tumor) == writeback.direct_tumor_material(tumor)


def test_one_format_serves_charts_that_differ_in_their_numbers_and_sources() -> None:
    base = reports()[0].tumor
    first = writeback.tumor_material_text(base)
    other = replace(
        base,
        inputs=replace(base.inputs, size_cm=Decimal("9.9"), mitoses=3),
        sources={k: replace(s, reference=s.reference + "x") for k, s in base.sources.items()},
    )
    hits = writeback._remembered_format.cache_info().hits
    second = writeback.tumor_material_text(other)
    assert writeback._remembered_format.cache_info().hits == hits + 1
    assert second == writeback.direct_tumor_material(other) != first


def test_long_texts_are_written_without_the_memo() -> None:
    base = reports()[0].tumor
    long = "8" * (MEMO_TEXT_MAX + 1)
    tumor = replace(base, inputs=replace(base.inputs, histology=long))
    misses = writeback._remembered_format.cache_info().misses
    hits = writeback._remembered_format.cache_info().hits
    assert writeback.tumor_material_text(tumor) == writeback.direct_tumor_material(tumor)
    info = writeback._remembered_format.cache_info()
    assert (info.hits, info.misses) == (hits, misses)


RESOURCES: list[Any] = [
    {"resourceType": "Patient", "id": "p"},
    {"resourceType": "Observation", "id": "a"},
    {
        "resourceType": "Observation",
        "id": 7,
        "identifier": [{"system": writeback.IDENTIFIER_SYSTEM}],
    },
    {"resourceType": "Observation", "id": "b", "identifier": [{"system": "urn:lab"}, "x", 3]},
    {
        "resourceType": "Observation",
        "id": "c",
        "identifier": [{"system": writeback.IDENTIFIER_SYSTEM}],
    },
    {
        "resourceType": "Observation",
        "id": "d",
        "identifier": {"system": writeback.IDENTIFIER_SYSTEM},
    },
    {
        "resourceType": "Observation",
        "id": "e",
        "meta": {"tag": [{"system": writeback.TAG_SYSTEM, "code": writeback.TAG_ACCEPTED}]},
    },
    {
        "resourceType": "Observation",
        "id": "f",
        "meta": {
            "tag": [
                {"system": writeback.TAG_SYSTEM, "code": writeback.TAG_CONVENTION},
                "tag",
                {"system": writeback.TAG_SYSTEM, "code": writeback.TAG_ACCEPTED},
            ]
        },
    },
    {
        "resourceType": "Observation",
        "id": "g",
        "identifier": [{"system": writeback.IDENTIFIER_SYSTEM}],
        "meta": {"tag": [{"system": writeback.TAG_SYSTEM, "code": writeback.TAG_CONVENTION}]},
    },
    {"resourceType": "Observation", "id": "h", "meta": {"tag": [{"system": "x", "code": "y"}]}},
    {"resourceType": "Observation", "id": "i", "meta": {"tag": "accepted-suggestion"}},
    {"resourceType": "Observation", "id": "j", "meta": []},
    {
        "resourceType": "Observation",
        "id": "k",
        "meta": {"tag": [{"system": writeback.TAG_SYSTEM, "code": writeback.TAG_CONVENTION}]},
    },
    "not a resource",
]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(RESOURCES), max_size=8))
def test_our_observations_are_those_the_direct_reading_finds(chosen: list[Any]) -> None:
    assert writeback.accepted_observations(chosen) == direct_accepted_observations(chosen)


def test_every_listed_resource_is_read_as_directly() -> None:
    found = writeback.accepted_observations(RESOURCES)
    assert found == direct_accepted_observations(RESOURCES)
    assert set(found) == {f"Observation/{x}" for x in "cefg"}
    assert found["Observation/f"] == found["Observation/g"] == writeback.CONVENTION


def test_an_unhashable_tag_code_fails_as_it_did() -> None:
    bad = [
        {
            "resourceType": "Observation",
            "id": "x",
            "meta": {"tag": [{"system": writeback.TAG_SYSTEM, "code": []}]},
        }
    ]
    with pytest.raises(TypeError):
        direct_accepted_observations(bad)
    with pytest.raises(TypeError):
        writeback.accepted_observations(bad)


def test_equal_options_share_a_number_and_different_ones_never_do() -> None:
    found = reports()
    by_value: dict[tuple[Any, ...], int] = {}
    for report in found:
        options = report.assessment.treatment
        key = option_keys.numbered(options)
        assert key.options == options
        assert option_keys.numbered(tuple(options)) == key  # (a tuple of a tuple is itself)
        assert option_keys.numbered((*options,)) == key  # an equal, other object
        by_value.setdefault(options, key)
        assert by_value[options] == key
    assert len(set(by_value.values())) == len(by_value) >= 3
    assert len(option_keys._BY_OBJECT) <= option_keys._KEPT
    assert len(option_keys._BY_VALUE) <= option_keys._KEPT


def test_numbered_texts_are_the_direct_texts_after_the_memory_is_forgotten() -> None:
    found = reports()
    for _ in range(2):
        for report in found:
            a = report.assessment
            assert notes.option_notes(a.treatment) == notes.direct_option_notes(a.treatment)
            key = (a.treatment, a.stage, False, report.tumor.description, a.histology_name)
            assert treatment.card_text(*key) == treatment.direct_card_text(*key)
            trimmed = a.treatment[1:]  # another value: another number
            assert notes.option_notes(trimmed) == notes.direct_option_notes(trimmed)
        option_keys._BY_OBJECT.clear()
        option_keys._BY_VALUE.clear()


SIMPLE = st.text(alphabet="abzAZ09/-", max_size=40)


@settings(max_examples=2000)
@given(SIMPLE | st.text(alphabet="ab/-.:@wW \t\u00e9\u202e", max_size=30) | st.text(max_size=20))
def test_letters_digits_slashes_and_dashes_are_escaped_as_by_the_full_path(text: str) -> None:
    direct = markdown.escape(markdown._defang(markdown.plain(text)))
    assert markdown._escaped(text) == direct
    assert markdown._escaped(text) == markdown._defang(markdown.plain(text)).translate(
        markdown._MD_ESCAPES
    )


def test_problems_are_each_once_as_the_direct_listing_gives_them() -> None:
    for report in reports():
        a = report.assessment
        all_problems = (*a.grade.problems, *a.problems)
        variants = [a, replace(a, problems=(), grade=replace(a.grade, problems=()))]
        for p in all_problems:
            copy = replace(p)  # equal, another object
            other = replace(p, code=p.code + "-other")
            for grade_problems, problems in [
                ((p,), (p,)),
                ((p,), (copy,)),
                ((), (p, copy)),
                ((p,), (other,)),
                ((other,), (p, other)),
                ((), (p,)),
            ]:
                variants.append(
                    replace(a, problems=problems, grade=replace(a.grade, problems=grade_problems))
                )
        for variant in variants:
            expected = list(dict.fromkeys((*variant.grade.problems, *variant.problems)))
            found = common.problems(variant)
            assert found == expected
            assert [id(x) for x in found] == [id(x) for x in expected]  # the first of equals


def test_the_treatment_card_shortcuts_are_the_direct_readings() -> None:
    for report in reports():
        a = report.assessment
        for variant in (a, replace(a, trace=()), replace(a, trace=a.trace[::-1])):
            direct = next((s.row for s in variant.trace if s.table == "pdq-treatment-extent"), None)
            assert treatment.extent_row(variant) == direct
        for options in (a.treatment, a.treatment[:1], (), a.treatment[::-1]):
            expected = any(o.kind in {"stage", "histology"} for o in options)
            assert treatment._shows_options(option_keys.numbered(options)) is expected


def plan_as_first_written(report: TumorReport) -> Plan:
    """``hooks.fhir.writeback.direct_plan`` before its closure and generators were written out."""
    tumor, a = report.tumor, report.assessment
    if not a.ajcc_sts:
        return Plan(blocked="the AJCC 8 soft tissue sarcoma chapters do not cover this tumor")
    possible = tuple(dict.fromkeys(a.alternatives))
    if len(possible) > 1:
        return Plan(
            blocked="the stage group depends on missing data (possible: "
            + ", ".join(s.value for s in possible)
            + ")"
        )
    if a.stage is None and a.status is Status.INSUFFICIENT_DATA:
        return Plan(blocked="no stage group can be assigned yet")
    if any(writeback.disagrees(p) for p in (*a.grade.problems, *a.problems)):
        return Plan(blocked="the chart's recorded staging disagrees with the AJCC 8 rules")
    grade_known = a.grade.grade is not Grade.GX
    if grade_known and writeback.grade_rests_on_assumption(tumor, a):
        return Plan(blocked="the grade depends on the differentiation score, which is not recorded")
    src = tumor.sources
    recorded: list[tuple[str, Source]] = []
    write: list[str] = []

    def consider(kind: str, already: bool) -> None:
        # Recorded staging is an Observation (an N1 read from a nodal metastasis Condition is
        # recorded as an N category Observation).
        if already and kind in src and src[kind].reference.startswith("Observation/"):
            recorded.append((kind, src[kind]))
        else:
            write.append(kind)

    if a.stage is not None:
        consider("stage", tumor.inputs.stage is a.stage)
    consider("t", a.t_basis is Basis.RECORDED)
    consider("n", a.n_basis is Basis.RECORDED)
    consider("m", a.m_basis is Basis.RECORDED)
    if grade_known:
        consider("grade", a.grade.basis is Basis.RECORDED)
        if "grade" in write:
            write += writeback._scores(tumor, a)
    assumed = tuple(
        k for k, b in (("n", a.n_basis), ("m", a.m_basis)) if b is Basis.ASSUMED and k in write
    )
    return Plan(write=tuple(write), recorded=tuple(recorded), assumed=assumed)


def test_the_plan_is_the_plan_as_first_written() -> None:
    checked = 0
    for report in reports():
        tumor, a = report.tumor, report.assessment
        condition_sources = {
            k: replace(s, reference="Condition/x") for k, s in tumor.sources.items()
        }
        staged = {**tumor.sources, "stage": Source("Observation/stage", "2024-01-01")}
        tumors = [
            tumor,
            replace(tumor, sources={}),
            replace(tumor, sources=condition_sources),
            replace(tumor, sources=staged, inputs=replace(tumor.inputs, stage=a.stage)),
            replace(tumor, sources=staged, inputs=replace(tumor.inputs, stage=Stage.IV)),
        ]
        assessments = [
            a,
            replace(a, n_basis=Basis.ASSUMED, m_basis=Basis.ASSUMED),
            replace(a, n_basis=Basis.ASSUMED, t_basis=Basis.DERIVED, stage=None),
            replace(a, grade=replace(a.grade, grade=Grade.GX)),
            replace(a, grade=replace(a.grade, basis=Basis.DERIVED)),
            replace(a, alternatives=(Stage.IA, Stage.IB)),
            replace(a, ajcc_sts=False),
        ]
        for variant_tumor in tumors:
            for variant in assessments:
                both = TumorReport(variant_tumor, variant)
                assert writeback.direct_plan(both) == plan_as_first_written(both)
                checked += 1
    assert checked >= 200


def test_an_unhashable_tag_code_of_a_resource_without_id_is_skipped_as_it_was() -> None:
    tag = {"system": writeback.TAG_SYSTEM, "code": []}
    bad = [
        {"resourceType": "Observation", "id": 7, "meta": {"tag": [tag]}},
        {"resourceType": "Observation", "identifier": [{"system": writeback.IDENTIFIER_SYSTEM}]},
    ]
    assert writeback.accepted_observations(bad) == direct_accepted_observations(bad) == {}
