"""The reader's shortcuts give exactly what the plain reading gives.

Shortcuts on the hot path of a new chart (hooks.fhir): remembered leaf elements in the validity
check, a calendar look-up only for the 29th to the 31st, remembered Condition verdicts
(hooks.fhir.triage), a reference parser that avoids a split per reference, and dict tests
instead of Mapping tests. Each is compared here with the plain computation it replaces, on
every Condition and reference of the repository's charts and on generated input.
"""

from __future__ import annotations

import copy
import types
from datetime import date, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from hooks.fhir import shape, triage
from hooks.fhir.extract import extract
from hooks.fhir.read import reference
from tests.fhir.test_shape import CHARTS, RESOURCES


def _condition(cid: str, code: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": cid,
        "subject": {"reference": "Patient/p"},
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": code,
    }


CONDITIONS = [(name, r) for name, r in RESOURCES if r.get("resourceType") == "Condition"] + [
    # a code outside our tables with no words: cannot be read at all
    (
        "opaque",
        _condition("o", {"coding": [{"system": "http://snomed.info/sct", "code": "94579000"}]}),
    ),
    # words of a metastasis that is negated: seen, not counted
    ("negated", _condition("n", {"text": "No evidence of metastatic disease"})),
]


def test_the_corpus_has_conditions_of_every_kind() -> None:
    kinds = {triage.decide(r).info.kind.name for _, r in CONDITIONS}
    assert {"SARCOMA", "SECONDARY", "OTHER_CANCER", "NONE"} <= kinds
    assert any(triage.decide(r).opaque for _, r in CONDITIONS)


def test_remembered_verdicts_equal_a_direct_reading() -> None:
    for _ in range(2):  # the second round answers from memory
        for name, resource in CONDITIONS:
            assert triage.read(resource) == triage.decide(resource), name


def test_a_verdict_is_remembered_by_its_deciding_elements_only() -> None:
    # The same metastasis code, once with a lymph node body site (nodal) and once without:
    # two different verdicts, whatever was asked first.
    base = {
        "resourceType": "Condition",
        "id": "m1",
        "subject": {"reference": "Patient/p"},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "128462008"}]},
    }
    nodal = copy.deepcopy(base) | {
        "id": "m2",
        "bodySite": [{"coding": [{"system": "http://snomed.info/sct", "code": "68171009"}]}],
    }
    first, second = triage.read(base), triage.read(nodal)
    assert first == triage.decide(base)
    assert second == triage.decide(nodal)
    assert first.info.nodal != second.info.nodal
    # Another id, patient and date with the same deciding elements: the same verdict.
    other = copy.deepcopy(base) | {"id": "x", "recordedDate": "2020-01-01"}
    assert triage.read(other) == triage.decide(other)


def _leaves(data: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(data, dict):
        if "code" in data and "system" in data and not isinstance(data.get("code"), dict):
            out.append(data)
        for value in data.values():
            out.extend(_leaves(value))
    elif isinstance(data, list):
        for value in data:
            out.extend(_leaves(value))
    return out


def test_a_remembered_leaf_is_never_taken_for_an_equal_non_string() -> None:
    # True == 1 in Python: a remembered Coding with userSelected true must not make one with
    # userSelected 1 (not a FHIR boolean) valid.
    coding = {"system": "http://loinc.org", "code": "21889-1", "userSelected": True}
    assert shape.CODING(coding)
    assert shape.CODING(coding)
    assert not shape.CODING(coding | {"userSelected": 1})
    strings = {"system": "http://loinc.org", "code": "21889-1"}
    assert shape.CODING(strings)
    assert shape.CODING(dict(strings))
    assert not shape.CODING(strings | {"code": " 21889-1"})


def test_remembered_leaves_give_the_verdict_of_a_fresh_check() -> None:
    fresh = shape._element(  # the Coding rules, with no memory
        {
            "system": shape._uri,
            "version": shape._string,
            "code": shape._code,
            "display": shape._string,
            "userSelected": shape._boolean,
        }
    )
    seen = 0
    for _ in range(2):
        for _, resource in RESOURCES:
            for leaf in _leaves(resource):
                assert shape.CODING(leaf) == fresh(leaf), leaf
                seen += 1
    assert seen > 1000


def _split_reference(text: str) -> str | None:
    """The plain definition: the last two non-empty path segments, the type capitalised."""
    ref = text.strip()
    if "/_history/" in ref:
        ref = ref.split("/_history/", maxsplit=1)[0]
    parts = [p for p in ref.split("/") if p]
    if len(parts) >= 2 and parts[-2][:1].isupper():
        return f"{parts[-2]}/{parts[-1]}"
    return None


@given(
    st.lists(
        st.sampled_from(["", "Patient", "patient", "Obs", "1", "a.b", "_history", "http:", " "]),
        max_size=6,
    ).map("/".join),
    st.sampled_from(["", "/", "http://ehr.example.org/fhir/", "urn:uuid:"]),
)
def test_references_read_as_the_plain_split_reads_them(path: str, prefix: str) -> None:
    text = prefix + path
    assert reference({"reference": text}, {}) == _split_reference(text)


def reference_texts(data: Any) -> list[str]:
    """Every ``reference`` text anywhere in ``data``."""
    if isinstance(data, dict):
        found = [data["reference"]] if isinstance(data.get("reference"), str) else []
        return found + [r for v in data.values() for r in reference_texts(v)]
    if isinstance(data, list):
        return [r for v in data for r in reference_texts(v)]
    return []


def test_every_reference_in_the_charts_reads_as_the_plain_split_reads_it() -> None:
    texts = [r for _, resource in RESOURCES for r in reference_texts(resource)]
    assert len(texts) > 500
    for text in texts:
        assert reference({"reference": text}, {}) == _split_reference(text), text


def test_read_only_mappings_read_as_json_objects() -> None:
    def frozen(value: Any) -> Any:
        if isinstance(value, dict):
            return types.MappingProxyType({k: frozen(v) for k, v in value.items()})
        if isinstance(value, list):
            return [frozen(v) for v in value]
        return value

    for name, patient, resources in CHARTS[:40]:
        plain = extract(patient, resources)
        assert extract(patient, [frozen(r) for r in resources]) == plain, name


def _calendar_date_time(text: str, *, instant: bool = False) -> bool:
    """The plain definition: the pattern, then the calendar for the whole value."""
    m = shape._DATE_TIME.fullmatch(text)
    if m is None or (instant and m["t"] is None):
        return False
    try:
        if m["t"] is not None:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        elif m["d"] is not None:
            date.fromisoformat(text)
    except ValueError:
        return False
    return True


def test_dates_are_checked_as_the_calendar_checks_them() -> None:
    times = ("", "T00:00:00Z", "T23:59:59.123+13:59", "T12:00:00-05:00", "T24:00:00Z")
    seen = 0
    for year in ("2023", "2024", "1900", "2000"):
        for month in range(1, 13):
            for day in range(33):
                for time in times:
                    for text in (f"{year}-{month:02d}-{day:02d}{time}", f"{year}-{month:02d}"):
                        for instant in (False, True):
                            expected = _calendar_date_time(text, instant=instant)
                            assert shape._date_time(text, instant=instant) == expected, text
                            seen += expected
    assert seen > 5000  # many valid values, and the invalid days of every month


def _unkeyed(meta: Any) -> Any:
    """``meta`` without its profile (the only part of it the verdict is keyed on)."""
    return {k: v for k, v in meta.items() if k != "profile"} if isinstance(meta, dict) else meta


def test_a_verdict_depends_on_no_element_outside_its_key() -> None:
    # The memory is keyed on code, extension, meta.profile, bodySite and clinicalStatus: a
    # reading that came to depend on any other element (verificationStatus, stage, evidence,
    # note, dates, ...) must show here as a changed verdict when that element is removed or
    # taken from another Condition of the repository's charts.
    keyed = {"code", "extension", "bodySite", "clinicalStatus"}
    found: dict[str, dict[str, Any]] = {}
    for _, resource in CONDITIONS:
        for name, value in resource.items():
            if name not in keyed:
                plain = _unkeyed(value) if name == "meta" else value
                found.setdefault(name, {})[repr(plain)] = plain
    elements = {name: list(values.values())[:12] for name, values in found.items()}
    status = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
    elements["verificationStatus"] += [
        {"coding": [{"system": status, "code": code}]}
        for code in ("unconfirmed", "provisional", "differential", "confirmed")
    ]
    elements.setdefault("stage", []).append([{"summary": {"text": "Stage IV"}}])
    elements.setdefault("evidence", []).append([{"code": [{"text": "lung metastasis"}]}])
    elements.setdefault("note", []).append([{"text": "metastatic to lung; no evidence of"}])
    elements.setdefault("abatementDateTime", []).append("2020-01-01")
    assert {"verificationStatus", "onsetDateTime", "category"} <= elements.keys()
    changed = 0
    for name, resource in CONDITIONS:
        expected = triage.decide(resource)
        profile = (resource.get("meta") or {}).get("profile")
        for element, values in elements.items():
            variants: list[dict[str, Any]] = [{k: v for k, v in resource.items() if k != element}]
            if element == "meta" and profile is not None:  # removed, but for its profile
                variants[0]["meta"] = {"profile": profile}
            for value in values:
                if element == "meta" and isinstance(value, dict) and profile is not None:
                    variants.append(resource | {"meta": value | {"profile": profile}})
                else:
                    variants.append(resource | {element: value})
            for variant in variants:
                changed += variant != resource
                assert triage.decide(variant) == expected, (name, element)
    assert changed > 1000
