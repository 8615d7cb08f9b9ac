"""Properties over generated input (hypothesis): robustness of FHIR reading, monotonicity of
the clinical answer.

- Arbitrary and malformed FHIR never crashes extraction or staging, and another patient's
  resources never reach a result.
- A larger tumor never gets a lower T, whatever else is known, at every site group, and
  through FHIR whatever unit the size is recorded in.
- Adding a metastasis never lowers the stage, in the core and through FHIR.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds.assess import assess
from cds.model import Grade, M, N, SiteGroup, Stage, T, TumorInputs
from hooks.fhir.extract import extract
from hooks.services.staging import stage_patient
from tests.security.patients import chart, coding, condition, patient, searchset, tumor_size

PID = "pat-1"
OTHER = "pat-2"
STAGE_ORDER = list(Stage)
#: T categories in increasing extent; TX and T0 say nothing about size and are not compared.
T_ORDER = [T.T1, T.T2, T.T2a, T.T2b, T.T3, T.T4, T.T4a, T.T4b, T.T4c]
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
resource_types = st.sampled_from(
    ["Patient", "Condition", "Observation", "Bundle", "Specimen", "OperationOutcome", "", "X"]
)
FHIR_KEYS = [
    "id",
    "subject",
    "code",
    "status",
    "valueQuantity",
    "valueCodeableConcept",
    "valueInteger",
    "component",
    "focus",
    "bodySite",
    "extension",
    "meta",
    "entry",
    "clinicalStatus",
    "verificationStatus",
    "effectiveDateTime",
    "onsetDateTime",
    "specimen",
    "category",
    "stage",
    "evidence",
    "hasMember",
    "derivedFrom",
    "resource",
    "reference",
]
random_resources = st.fixed_dictionaries(
    {"resourceType": resource_types},
    optional=dict.fromkeys(FHIR_KEYS, json_values),
)


def sarcoma_chart(pid: str, size_cm: float = 7.3) -> list[dict[str, Any]]:
    return [patient(pid), condition(pid), tumor_size(pid, size_cm)]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside nested dicts and lists."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


@st.composite
def mutated_charts(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A valid chart (this patient's and another's), with some values replaced by anything."""
    resources = copy.deepcopy(sarcoma_chart(PID) + sarcoma_chart(OTHER, 12.0))
    for _ in range(draw(st.integers(1, 6))):
        target = draw(st.sampled_from(resources))
        where = draw(st.sampled_from(paths(target)))
        parent = target
        for step in where[:-1]:
            parent = parent[step]
        parent[where[-1]] = draw(json_values)
    return resources


def assert_only_this_patient(resources: list[dict[str, Any]]) -> None:
    extraction, reports = stage_patient(PID, resources)
    assert extraction.patient_id == PID
    for report in reports:
        assert OTHER not in report.tumor.condition
        for source in report.tumor.sources.values():
            assert OTHER not in source.reference


@FUZZ
@given(st.lists(random_resources, max_size=6))
def test_random_resources_never_crash_extraction(resources: list[dict[str, Any]]) -> None:
    extract(PID, resources)
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }
    stage_patient(PID, [bundle])


@FUZZ
@given(st.lists(st.dictionaries(st.text(max_size=12), json_values, max_size=5), max_size=5))
def test_arbitrary_json_objects_never_crash_extraction(resources: list[dict[str, Any]]) -> None:
    stage_patient(PID, resources)


@FUZZ
@given(mutated_charts())
def test_malformed_charts_never_crash_nor_mix_patients(resources: list[dict[str, Any]]) -> None:
    assert_only_this_patient(resources)
    assert_only_this_patient([searchset(*resources)])


@FUZZ
@given(entries=st.lists(json_values, max_size=5), links=json_values)
def test_malformed_bundles_never_crash(entries: list[Any], links: Any) -> None:
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": entries, "link": links}
    stage_patient(PID, [bundle, *sarcoma_chart(PID)])


sizes = st.decimals(min_value=Decimal("0.1"), max_value=Decimal("80"), places=1)
maybe = st.none().__or__


@st.composite
def tumor_inputs(draw: st.DrawFn) -> TumorInputs:
    """Anything the chart may hold besides the size (recorded T excluded: it is authoritative)."""
    return TumorInputs(
        site=draw(maybe(st.sampled_from(list(SiteGroup)))),
        histology=draw(maybe(st.sampled_from(["8890/3", "8850/3", "8805/3", "9040/3", "8830/3"]))),
        differentiation=draw(maybe(st.integers(1, 3))),
        mitoses=draw(maybe(st.integers(0, 200))),
        necrosis_pct=draw(maybe(st.decimals(min_value=0, max_value=100, places=0))),
        grade=draw(maybe(st.sampled_from(list(Grade)))),
        n=draw(maybe(st.sampled_from(list(N)))),
        m=draw(maybe(st.sampled_from([M.M0]))),
    )


@settings(max_examples=300, deadline=None)
@given(inputs=tumor_inputs(), a=sizes, b=sizes)
def test_a_larger_tumor_never_gets_a_lower_t(inputs: TumorInputs, a: Decimal, b: Decimal) -> None:
    small, large = sorted((a, b))
    t_small = assess(replace(inputs, size_cm=small)).t
    t_large = assess(replace(inputs, size_cm=large)).t
    if t_small in T_ORDER and t_large in T_ORDER:
        assert T_ORDER.index(t_small) <= T_ORDER.index(t_large)


@settings(max_examples=300, deadline=None)
@given(inputs=tumor_inputs(), size=maybe(sizes))
def test_adding_a_metastasis_never_lowers_the_stage(
    inputs: TumorInputs, size: Decimal | None
) -> None:
    before = assess(replace(inputs, size_cm=size))
    after = assess(replace(inputs, size_cm=size, m=M.M1))
    assert after.m is M.M1
    if before.stage is not None and after.stage is not None:
        assert STAGE_ORDER.index(before.stage) <= STAGE_ORDER.index(after.stage)
    if before.stage is not None:
        # Knowing of a metastasis never makes a staged tumor unstageable.
        assert after.stage is not None


def size_in(pid: str, size_cm: Decimal, unit: str) -> dict[str, Any]:
    observation = tumor_size(pid, float(size_cm))
    quantity = observation["component"][0]["valueQuantity"]
    factor = {"cm": 1, "mm": 10}[unit]
    quantity.update(value=float(size_cm * factor), unit=unit, code=unit)
    return observation


@settings(max_examples=100, deadline=None)
@given(a=sizes, b=sizes, unit_a=st.sampled_from(["cm", "mm"]), unit_b=st.sampled_from(["cm", "mm"]))
def test_through_fhir_a_larger_tumor_never_gets_a_lower_t(
    a: Decimal, b: Decimal, unit_a: str, unit_b: str
) -> None:
    (small, unit_small), (large, unit_large) = sorted(((a, unit_a), (b, unit_b)))
    t = []
    for size, unit in ((small, unit_small), (large, unit_large)):
        _, reports = stage_patient(PID, [patient(PID), condition(PID), size_in(PID, size, unit)])
        assert len(reports) == 1
        t.append(reports[0].assessment.t)
    assert T_ORDER.index(t[0]) <= T_ORDER.index(t[1])


def metastasis(pid: str, icd10: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": f"{pid}-met-{icd10}",
        "clinicalStatus": coding(
            "http://terminology.hl7.org/CodeSystem/condition-clinical", "active"
        ),
        "verificationStatus": coding(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed"
        ),
        "code": coding("http://hl7.org/fhir/sid/icd-10-cm", icd10, "Secondary malignant neoplasm"),
        "subject": {"reference": f"Patient/{pid}"},
    }


@settings(max_examples=100, deadline=None)
@given(size=sizes, site=st.sampled_from(["C78.00", "C78.7", "C79.51", "C79.31"]))
def test_through_fhir_adding_a_metastasis_never_lowers_the_stage(size: Decimal, site: str) -> None:
    chart = [patient(PID), condition(PID), tumor_size(PID, float(size))]
    _, before = stage_patient(PID, chart)
    _, after = stage_patient(PID, [*chart, metastasis(PID, site)])
    assert before[0].assessment.stage is not None
    assert after[0].assessment.m is M.M1
    stage_after = after[0].assessment.stage
    assert stage_after is not None
    assert STAGE_ORDER.index(before[0].assessment.stage) <= STAGE_ORDER.index(stage_after)
    # Another patient's metastasis changes nothing.
    _, unaffected = stage_patient(PID, [*chart, metastasis(OTHER, site)])
    assert unaffected[0].assessment.m == before[0].assessment.m


def test_prefetch_chart_helper_is_staged() -> None:
    prefetch = chart(PID, 7.3)
    _, reports = stage_patient(PID, list(prefetch.values()))
    assert reports[0].assessment.stage is not None
