"""fhir_profiles/: our StructureDefinitions, CodeSystem, ValueSets and examples.

Examples are what ``hooks.fhir.emit`` produces for two fixture patients; regenerate them with
``SARCOMA_CDS_UPDATE_EXAMPLES=1 pytest tests/fhir/test_profiles.py`` after a deliberate change.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest

from hooks.cards.common import INFO_OVERRIDE_REASONS
from hooks.cards.factory import OVERRIDE_REASONS, OVERRIDE_SYSTEM
from hooks.cards.therapy import OVERRIDE_REASONS as THERAPY_OVERRIDE_REASONS
from hooks.fhir import codes, r4b
from hooks.fhir.emit import SCORE_CODES, as_transaction_bundle, staging_observations
from hooks.services.staging import stage_patient
from tests.fhir.conftest import PROFILES, ProfileValidator, counter_ids, load

EXAMPLES = PROFILES / "examples"
GOLDEN = Path(__file__).parents[1] / "golden" / "cases"
EFFECTIVE = "2025-09-21T10:00:00Z"
TABLES = Path(codes.__file__).with_name("tables")
CONFORMANCE = sorted(p.name for p in PROFILES.glob("*.json"))
EXAMPLE_SOURCES = [
    ("lms", "pat-lms", ["mcode-stu4-thigh-leiomyosarcoma.json"]),
    ("two", "pat-two", ["two-primaries.json"]),
]


def read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def build_examples() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for prefix, patient, files in EXAMPLE_SOURCES:
        _, reports = stage_patient(patient, [load(name) for name in files])
        new_id = counter_ids(f"example-{prefix}")
        observations = [
            o
            for report in reports
            for o in staging_observations(patient, report, effective=EFFECTIVE, new_id=new_id)
        ]
        for observation in observations:
            out[f"Observation-{observation['id']}.json"] = observation
        bundle = as_transaction_bundle(observations) | {"id": f"example-{prefix}-transaction"}
        out[f"Bundle-example-{prefix}-transaction.json"] = bundle
    return out


def test_examples_are_what_we_emit() -> None:
    expected = build_examples()
    if os.environ.get("SARCOMA_CDS_UPDATE_EXAMPLES") == "1":
        EXAMPLES.mkdir(exist_ok=True)
        for old in EXAMPLES.glob("*.json"):
            old.unlink()
        for name, resource in expected.items():
            (EXAMPLES / name).write_text(json.dumps(resource, indent=2) + "\n", encoding="utf-8")
    found = {p.name: read(p) for p in EXAMPLES.glob("*.json")}
    assert found == expected


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_examples_round_trip_and_conform(name: str, profile_validator: ProfileValidator) -> None:
    resource = read(EXAMPLES / name)
    assert r4b.problem(resource) is None
    assert r4b.round_trip(resource) == resource
    if resource["resourceType"] == "Observation":
        profile_validator.validate(resource)


def test_there_are_examples_of_every_profile(profile_validator: ProfileValidator) -> None:
    profiles = {profile_validator.profile_of(read(p)) for p in EXAMPLES.glob("Observation-*.json")}
    assert profiles == set(profile_validator.models)


@pytest.mark.parametrize("name", CONFORMANCE)
def test_conformance_resources_are_valid_r4(name: str) -> None:
    resource = read(PROFILES / name)
    assert r4b.problem(resource) is None
    assert name == f"{resource['resourceType']}-{resource['id']}.json"
    assert resource["url"].startswith(codes.CANONICAL_BASE + "/")
    assert resource["url"].endswith("/" + resource["id"])


def test_structure_definitions_are_differentials_over_r4_observation() -> None:
    for path in PROFILES.glob("StructureDefinition-*.json"):
        definition = read(path)
        assert definition["baseDefinition"] == "http://hl7.org/fhir/StructureDefinition/Observation"
        assert definition["derivation"] == "constraint"
        assert definition["fhirVersion"] == "4.0.1"
        assert "snapshot" not in definition
        assert definition["differential"]["element"]


def _vs_codes(name: str) -> set[str]:
    valueset = read(PROFILES / f"ValueSet-{name}.json")
    return {c["code"] for inc in valueset["compose"]["include"] for c in inc.get("concept", [])}


def test_value_sets_match_the_code_tables() -> None:
    with (TABLES / "outputs.toml").open("rb") as handle:
        values = tomllib.load(handle)["value"]
    for letter in ("T", "N", "M"):
        expected = {c for p in ("c", "p") for v, c in values[p].items() if v.startswith(letter)}
        assert _vs_codes(f"sarcoma-{letter.lower()}-category-values") == expected
    assert _vs_codes("sarcoma-stage-group-values") == set(values["stage"].values())
    assert _vs_codes("sarcoma-grade-values") == set(values["grade"].values())
    # CLINICAL.md section 4: the grade values, GX 1228845001 (never 1228855002)
    assert _vs_codes("sarcoma-grade-values") == {
        "1228845001",
        "1228848004",
        "1228850007",
        "1228851006",
    }
    # no pM0 concept anywhere
    assert "M0" not in values["p"]


def test_code_system_has_every_score_we_emit_and_read() -> None:
    system = read(PROFILES / "CodeSystem-fnclcc.json")
    assert system["url"] == codes.SARC
    concepts = {c["code"] for c in system["concept"]}
    assert set(SCORE_CODES.values()) <= concepts
    read_codes = {c for (s, c) in codes.OBSERVATION_CODES if s == codes.SARC}
    assert read_codes <= concepts


def test_override_reason_code_system_defines_every_reason_the_cards_offer() -> None:
    system = read(PROFILES / "CodeSystem-override-reason.json")
    assert r4b.validation_problem(system) is None
    assert system["url"] == OVERRIDE_SYSTEM
    assert system["content"] == "complete"
    defined = {c["code"]: c["display"] for c in system["concept"]}
    offered = [reason.wire() for reason in (*OVERRIDE_REASONS, *THERAPY_OVERRIDE_REASONS)]
    # ... and what the cards actually sent for the golden patients.
    for path in GOLDEN.glob("*.response.json"):
        for card in read(path)["cards"]:
            offered.extend(card.get("overrideReasons", []))
    assert len(offered) > len(OVERRIDE_REASONS)
    for reason in offered:
        assert reason["system"] == system["url"]
        assert defined.get(reason["code"]) == reason["display"], reason["code"]
    assert set(defined) == {
        r.code for r in (*OVERRIDE_REASONS, *INFO_OVERRIDE_REASONS, *THERAPY_OVERRIDE_REASONS)
    }


def test_site_value_sets_match_the_site_table() -> None:
    with (TABLES / "sites.toml").open("rb") as handle:
        sites = tomllib.load(handle)
    for group in ("trunk-extremity", "retroperitoneum", "head-neck", "visceral"):
        snomed = {c for row in sites["snomed"] if row["site"] == group for c in row["codes"]}
        topography = {k for k, v in sites["topography"].items() if v == group}
        assert _vs_codes(f"sarcoma-site-{group}") == snomed | topography
