"""``sarcoma-cds stage-fhir FILE... [--patient ID] [--json] [--fhir-out]``.

Reads FHIR R4 resources and Bundles (JSON files), stages each primary soft tissue sarcoma of
one patient and prints the result: text by default, ``--json`` an array with one object per
primary (the keys of ``sarcoma-cds stage --json`` plus ``condition``), ``--fhir-out`` the mCODE
Observations it would create as a FHIR transaction Bundle. Without ``--patient`` the patient
is the one Patient resource in the input or, with none, the one subject all clinical resources
share. Bad input (missing file, invalid JSON, not FHIR, ambiguous patient) exits 2 with one
line on stderr; resources of other patients are ignored and reported on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

EXIT_USAGE = 2


class InputError(Exception):
    """Input the command cannot use; the message is the one line shown to the user."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "stage-fhir",
        help="stage the soft tissue sarcomas in FHIR R4 resources or Bundles",
        description=(
            "Read FHIR R4 resources and Bundles (JSON) of one patient and print, per primary soft "
            "tissue sarcoma, the AJCC 8th edition staging and FNCLCC grade with their derivation."
        ),
    )
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path, help="JSON file")
    parser.add_argument("--patient", metavar="ID", help="the Patient id (when not inferable)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--json", action="store_true", help="print a JSON array, one object per primary"
    )
    output.add_argument(
        "--fhir-out",
        action="store_true",
        help="print the mCODE Observations it would create as a FHIR transaction Bundle",
    )
    parser.set_defaults(handler=_stage_fhir)


def load(path: Path) -> dict[str, Any]:
    """One JSON file holding a FHIR resource or Bundle."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot be read ({error})") from None
    from hooks.fhir.json_numbers import loads  # noqa: PLC0415

    try:
        data = loads(text)  # as the service parses: numbers beyond a double kept as text
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path}: not valid JSON ({error.msg}, line {error.lineno} column {error.colno})"
        ) from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deep to read") from None
    except ValueError as error:  # e.g. an integer of more than 4,300 digits
        raise InputError(f"{path}: JSON that cannot be read ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise InputError(f"{path}: not a FHIR resource or Bundle (no resourceType)")
    return data


def patients_in(resources: Sequence[Mapping[str, Any]]) -> set[str]:
    """Every patient id the input names: Patient ids and the subjects of clinical resources."""
    from hooks.fhir.extract import subject_of  # noqa: PLC0415

    ids = {str(r["id"]) for r in resources if r["resourceType"] == "Patient" and r.get("id")}
    for resource in resources:
        subject = subject_of(resource)
        if subject is not None and subject.startswith("Patient/"):
            ids.add(subject.removeprefix("Patient/"))
    return ids


def check_patient(patient: str, resources: Sequence[Mapping[str, Any]]) -> str:
    """``--patient``: it must be named in the input, or a typo would read as "no sarcoma"."""
    known = patients_in(resources)
    if patient not in known:
        listed = ", ".join(sorted(known)[:10]) or "none"
        raise InputError(
            f"--patient {patient}: no Patient/{patient} and no resource about it in the input "
            f"(patients in the input: {listed})"
        )
    return patient


def infer_patient(resources: Sequence[Mapping[str, Any]]) -> str:
    """The one Patient in the input or, with none, the one subject of the clinical resources."""
    from hooks.fhir.extract import subject_of  # noqa: PLC0415

    patients = sorted(
        {str(r["id"]) for r in resources if r["resourceType"] == "Patient" and r.get("id")}
    )
    if len(patients) == 1:
        return patients[0]
    if len(patients) > 1:
        raise InputError(
            f"the input holds {len(patients)} Patients ({', '.join(patients)}): "
            "choose one with --patient"
        )
    subjects = sorted(
        {
            s.removeprefix("Patient/")
            for r in resources
            if r["resourceType"] in {"Condition", "Observation"}
            and (s := subject_of(r)) is not None
            and s.startswith("Patient/")
        }
    )
    if len(subjects) == 1:
        return subjects[0]
    if not subjects:
        raise InputError("the input names no patient: give one with --patient")
    raise InputError(
        f"the input holds resources of {len(subjects)} patients ({', '.join(subjects)}): "
        "choose one with --patient"
    )


def _stage_fhir(args: argparse.Namespace) -> int:
    from cds.report import assessment_text  # noqa: PLC0415
    from hooks.fhir.extract import flatten  # noqa: PLC0415
    from hooks.services.staging import stage_patient  # noqa: PLC0415

    try:
        documents = [load(path) for path in args.files]
        resources, _ = flatten(documents)
        patient = (
            check_patient(args.patient, resources) if args.patient else infer_patient(resources)
        )
    except InputError as error:
        print(f"sarcoma-cds stage-fhir: {error}", file=sys.stderr)
        return EXIT_USAGE

    extraction, reports = stage_patient(patient, documents)
    for note in extraction.notes:
        print(f"sarcoma-cds stage-fhir: note: {note}", file=sys.stderr)

    if args.fhir_out:
        print(json.dumps(_bundle(patient, reports), indent=2))
    elif args.json:
        print(json.dumps(assessment_items(reports, extraction), indent=2))
    elif not reports:
        print(f"No primary soft tissue sarcoma found for Patient/{patient}.")
    else:
        for report in reports:
            tumor = report.tumor
            print(f"== {tumor.description} ({tumor.condition})")
            if tumor.preliminary:
                print("Rests on preliminary data.")
            for note in tumor.notes:
                print(f"  * {note}")
            for said in tumor.unreadable:
                print(f"  * {said}")
            print(assessment_text(report.assessment))
            print()
    return 0


def assessment_items(reports: Sequence[Any], extraction: Any) -> list[dict[str, Any]]:
    """The ``--json`` output: per primary, ``assessment_json`` plus the tumor's Condition id,
    description, classification, preliminary flag, notes and clinical context (also the
    ``POST /stage`` answer)."""
    from cds.report import assessment_json  # noqa: PLC0415

    out = []
    for report in reports:
        item: dict[str, Any] = dict(assessment_json(report.assessment))
        tumor = report.tumor
        item["condition"] = tumor.condition.removeprefix("Condition/")
        item["description"] = tumor.description
        item["classification"] = tumor.classification.value
        item["preliminary"] = tumor.preliminary
        item["notes"] = list(tumor.notes)
        item["unreadable"] = list(tumor.unreadable)
        _context_keys(item, tumor, extraction)
        out.append(item)
    return out


def _context_keys(item: dict[str, Any], tumor: Any, extraction: Any) -> None:
    """Issue 9 context: merged duplicates, clinical status, yp values, unattributed
    metastases, and for a patient under 18 no adult (PDQ) treatment options."""
    from hooks.cards.context import minor  # noqa: PLC0415

    item["also"] = [r.removeprefix("Condition/") for r in tumor.also]
    item["clinical_status"] = tumor.clinical_status
    item["resolved"] = tumor.resolved
    item["post_treatment"] = {
        name: [{"reference": s.reference, "text": s.text, "date": s.date} for s in sources]
        for name, sources in tumor.post_treatment.items()
    }
    item["possible_metastases"] = list(tumor.possible_metastases)
    if tumor.possible_metastases:
        from dataclasses import replace  # noqa: PLC0415

        from cds.assess import assess  # noqa: PLC0415
        from cds.model import M  # noqa: PLC0415

        hypo = assess(replace(tumor.inputs, m=M.M1))
        group = hypo.stage.value if hypo.stage else "no stage group"
        item["stage_if_metastasis_belongs"] = hypo.stage.value if hypo.stage else None
        item["notes"].append(
            f"{', '.join(tumor.possible_metastases)} could not be attributed: M1 if this "
            f"metastasis belongs to it (stage {group})."
        )
    if tumor.resolved:
        item["notes"].append(
            f"The disease is recorded as resolved ({tumor.resolved}): follow-up first, not "
            "first-line treatment."
        )
    item["age_years"] = extraction.age_years
    if minor(extraction):
        item["treatment"] = []
        item["notes"].append(
            f"The patient is {extraction.age_years} years old: the adult NCI PDQ summary does "
            "not apply (pediatric soft tissue sarcoma has its own PDQ summary, Childhood Soft "
            "Tissue Sarcoma Treatment); no adult treatment options are given."
        )


def _bundle(patient: str, reports: list[Any]) -> dict[str, Any]:
    import uuid  # noqa: PLC0415
    from datetime import UTC, datetime  # noqa: PLC0415

    from hooks.fhir.emit import as_transaction_bundle, staging_observations  # noqa: PLC0415

    effective = datetime.now(UTC).isoformat(timespec="seconds")
    observations = [
        obs
        for report in reports
        for obs in staging_observations(
            patient, report, effective=effective, new_id=lambda: str(uuid.uuid4())
        )
    ]
    return as_transaction_bundle(observations)
