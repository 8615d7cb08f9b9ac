"""``sarcoma-cds stage``: grade and stage one soft tissue sarcoma from the command line.

AJCC Cancer Staging Manual 8th ed. (ch. 40-44) and FNCLCC grade, via NCI PDQ Adult Soft Tissue
Sarcoma Treatment. The flags and the ``--json`` keys are a stable contract for scripts and
registrars. Every value is checked here; bad input exits 2 with one line naming the flag
(argparse only parses strings, so that the message is ours and never a traceback).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from decimal import Decimal, InvalidOperation

from cds.assess import assess
from cds.histology import is_icdo3
from cds.model import Grade, M, N, SiteGroup, T, TumorInputs
from cds.numbers import MAX_CHARS, Verdict, check, shown
from cds.report import assessment_json, assessment_text
from cds.tables import table

EXIT_BAD_INPUT = 2
PROG = "sarcoma-cds stage"
SITES = tuple(s.value for s in SiteGroup)
T_PATTERN = re.compile(r"(?:y?[cp])?T([0-4X])([abc]?)", re.IGNORECASE)
TOPOGRAPHY_PATTERN = re.compile(r"C\d{2}(\.\d)?", re.IGNORECASE)
TOPOGRAPHY_CATEGORIES = table("icdo3-topography-categories")
REGIONS = table("icdo3-topography-regions")


class BadInput(ValueError):
    """One bad flag value; the message names the flag."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``stage`` subcommand to the ``sarcoma-cds`` console script."""
    p = subparsers.add_parser(
        "stage",
        help="grade and stage one soft tissue sarcoma (AJCC 8th ed., FNCLCC)",
        description=(
            "Grade (FNCLCC) and stage (AJCC 8th edition) one soft tissue sarcoma and list the "
            "NCI PDQ treatment options. --site is required. Unknown N and M are taken as N0 "
            "and M0 (the AJCC rule) and reported as assumed. A recorded --grade G1-G3 and "
            "--t are authoritative; disagreements with the scores or the size are reported. "
            "A recorded GX or TX (cannot be assessed) gives way to complete FNCLCC scores or "
            "to the size. Exit status 0 on success, 2 on bad input."
        ),
    )
    required = p.add_argument_group("required arguments")
    required.add_argument(
        "--site", required=True, metavar="{" + ",".join(SITES) + "}", help="AJCC site group"
    )
    p.add_argument("--size-cm", metavar="X", help="greatest dimension of the tumor in cm")
    p.add_argument("--histology", metavar="ICDO3", help="ICD-O-3 morphology, e.g. 8890/3")
    p.add_argument("--topography", metavar="CXX.X", help="ICD-O-3 topography, e.g. C49.2")
    p.add_argument("--differentiation", metavar="1|2|3", help="FNCLCC differentiation score")
    p.add_argument("--mitoses", metavar="N", help="mitotic count per 10 high-power fields")
    p.add_argument("--necrosis", metavar="PCT", help="tumor necrosis, percent (0-100)")
    p.add_argument("--grade", metavar="G1|G2|G3|GX", help="recorded FNCLCC grade")
    p.add_argument("--t", metavar="CAT", help="recorded T category, e.g. T2, pT4a")
    p.add_argument("--n", metavar="N0|N1", help="recorded N category (default: N0 assumed)")
    p.add_argument("--m", metavar="M0|M1", help="recorded M category (default: M0 assumed)")
    p.add_argument(
        "--grade-caveat",
        action="append",
        default=[],
        metavar="TEXT",
        help="why the grade is provisional, e.g. 'core biopsy' (repeatable)",
    )
    p.add_argument("--recurrent", action="store_true", help="the tumor is a recurrence")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=run_stage)


def _decimal(flag: str, raw: str) -> Decimal:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise BadInput(f"{flag} must be a number, not {shown(raw)!r}") from None
    if not value.is_finite():
        raise BadInput(f"{flag} must be a finite number, not {shown(raw)!r}")
    return value


def _site(raw: str | None) -> SiteGroup:
    if raw is None:
        raise BadInput(f"--site is required (one of {', '.join(SITES)})")
    if raw.strip().lower() not in SITES:
        raise BadInput(f"--site must be one of {', '.join(SITES)}, not {raw!r}")
    return SiteGroup(raw.strip().lower())


def _measured(flag: str, raw: str, quantity: str) -> Decimal:
    """A number checked against ``cds/tables/plausibility.toml`` before anything else is done
    with it: impossible values (not finite, negative, absurd magnitude or digits) are bad input;
    implausible but possible ones are used with a warning on stderr."""
    text = raw.strip()
    if len(text) > MAX_CHARS:
        raise BadInput(f"{flag} must be a number of at most {MAX_CHARS} characters")
    value = _decimal(flag, text)
    checked = check(quantity, value)
    if checked.verdict is Verdict.IMPOSSIBLE:
        raise BadInput(f"{flag} {shown(text)} is impossible: {checked.says}")
    if checked.verdict is Verdict.IMPLAUSIBLE:
        print(f"{PROG}: warning: {flag} {shown(text)}: {checked.says}", file=sys.stderr)
    return value


def _size(raw: str | None) -> Decimal | None:
    if raw is None:
        return None
    value = _decimal("--size-cm", raw[:MAX_CHARS])
    if value <= 0:
        raise BadInput(f"--size-cm must be greater than 0, not {shown(raw)}")
    return _measured("--size-cm", raw, "size_cm")


def _histology(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not is_icdo3(raw.strip()):
        raise BadInput(
            "--histology must be an ICD-O-3 code NNNN/B (behaviour /0, /1, /2, /3, /6 or /9) "
            f"such as 8890/3, not {raw!r}"
        )
    return raw.strip()


def _topography(raw: str | None) -> str | None:
    """An ICD-O-3 topography whose category exists (table ``icdo3-topography-categories``)."""
    if raw is None:
        return None
    if not TOPOGRAPHY_PATTERN.fullmatch(raw.strip()):
        raise BadInput(f"--topography must be an ICD-O-3 topography such as C49.2, not {raw!r}")
    code = raw.strip().upper()
    row = TOPOGRAPHY_CATEGORIES.first(topography=code if "." in code else code + ".")
    if row is None or row.text("kind") == "not-icdo3":
        raise BadInput(
            f"--topography {code} is not an ICD-O-3 topography (categories C00-C80 less those "
            "ICD-O does not use; table icdo3-topography-categories), e.g. C49.2"
        )
    return code


def topography_warning(site: SiteGroup | None, topography: str | None) -> str | None:
    """Why a valid topography looks wrong for ``site``, or None.

    Trunk and extremity sarcomas (AJCC 8 ch. 41) lie in the soft tissue topographies of the
    limbs and trunk (table ``icdo3-topography-regions``: C47.1-C47.6, C49.1-C49.6); any other
    code (an organ such as C34.1 lung, or the head and neck C49.0) probably belongs to another
    site group. Other site groups include organ sites (ch. 40, 42) and are not checked.
    """
    if topography is None or site is not SiteGroup.TRUNK_EXTREMITY:
        return None
    region = REGIONS.first(topography=topography)
    if region is not None and region.text("region") in {"limb", "trunk"}:
        return None
    return (
        f"--topography {topography} is not a trunk or limb soft tissue topography (ICD-O-3 "
        "C47.1-C47.6, C49.1-C49.6; table icdo3-topography-regions), yet --site is "
        "trunk-extremity: staged by --site; check the site group and the code"
    )


def _differentiation(raw: str | None) -> int | None:
    if raw is None:
        return None
    if raw.strip() not in {"1", "2", "3"}:
        raise BadInput(f"--differentiation must be 1, 2 or 3, not {raw!r}")
    return int(raw.strip())


def _mitoses(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not re.fullmatch(r"-?\d+", raw.strip()):
        raise BadInput(
            f"--mitoses must be a whole number of mitoses per 10 HPF, not {shown(raw)!r}"
        )
    if raw.strip().startswith("-"):
        raise BadInput(f"--mitoses must be 0 or more, not {shown(raw)}")
    return int(_measured("--mitoses", raw, "mitoses"))  # bounded first: int() is cheap


def _necrosis(raw: str | None) -> Decimal | None:
    if raw is None:
        return None
    value = _decimal("--necrosis", raw.strip().removesuffix("%")[:MAX_CHARS])
    if not 0 <= value <= 100:
        raise BadInput("--necrosis must be between 0 and 100")
    return _measured("--necrosis", raw.strip().removesuffix("%"), "necrosis_pct")


def _grade(raw: str | None) -> Grade | None:
    if raw is None:
        return None
    value = raw.strip().upper()
    if value not in {g.value for g in Grade}:
        raise BadInput(f"--grade must be one of G1, G2, G3, GX, not {raw!r}")
    return Grade(value)


def _t(raw: str | None) -> T | None:
    if raw is None:
        return None
    match = T_PATTERN.fullmatch(raw.strip())
    value = f"T{match.group(1).upper()}{match.group(2).lower()}" if match else ""
    if value not in {t.value for t in T}:
        raise BadInput(
            f"--t must be an AJCC 8 T category ({', '.join(t.value for t in T)}), not {raw!r}"
        )
    return T(value)


def _category(flag: str, raw: str | None, allowed: tuple[str, ...]) -> str | None:
    if raw is None:
        return None
    value = re.sub(r"^y?[cp](?=[NMnm])", "", raw.strip()).upper()
    if value not in allowed:
        raise BadInput(f"{flag} must be {' or '.join(allowed)}, not {raw!r}")
    return value


def inputs_from_args(args: argparse.Namespace) -> TumorInputs:
    """Check every flag and build the core's inputs; BadInput names the first bad flag."""
    n = _category("--n", args.n, ("N0", "N1"))
    m = _category("--m", args.m, ("M0", "M1"))
    return TumorInputs(
        site=_site(args.site),
        topography=_topography(args.topography),
        histology=_histology(args.histology),
        size_cm=_size(args.size_cm),
        differentiation=_differentiation(args.differentiation),
        mitoses=_mitoses(args.mitoses),
        necrosis_pct=_necrosis(args.necrosis),
        grade=_grade(args.grade),
        t=_t(args.t),
        n=N(n) if n else None,
        m=M(m) if m else None,
        recurrent=bool(args.recurrent),
        grade_caveats=tuple(c.strip() for c in args.grade_caveat if c.strip()),
    )


def run_stage(args: argparse.Namespace) -> int:
    """The ``stage`` handler: exit 0 with the result, or 2 with one line naming the flag."""
    try:
        inputs = inputs_from_args(args)
    except BadInput as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    warning = topography_warning(inputs.site, inputs.topography)
    if warning:
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
    assessment = assess(inputs)
    if args.json:
        print(json.dumps(assessment_json(assessment), indent=2, ensure_ascii=False))
    else:
        print(assessment_text(assessment))
    return 0
