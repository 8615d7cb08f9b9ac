"""SNOMED CT identifier check (SNOMED CT Technical Implementation Guide, "SCTID data
structure"): an SCTID is 6 to 18 digits, without a leading zero; its last digit is a Verhoeff
check digit over the others, and the two digits before it are the partition identifier (00
or 10 for a concept). A code that fails is a typo, never a concept: the code tables are
checked with this (tests/fhir/test_code_tables.py)."""

from __future__ import annotations

from typing import Final


def _dihedral(j: int, k: int) -> int:
    """Multiplication in the dihedral group D5 (elements 0-4 rotations, 5-9 reflections)."""
    if j < 5 and k < 5:
        return (j + k) % 5
    if j < 5:
        return 5 + (j + k) % 5
    if k < 5:
        return 5 + (j - k) % 5
    return (j - k) % 5


_D: Final = tuple(tuple(_dihedral(j, k) for k in range(10)) for j in range(10))
# Verhoeff's position permutation and its powers (position i uses the i mod 8-th power).
_P1: Final = (1, 5, 7, 6, 2, 8, 3, 0, 9, 4)


def _powers() -> tuple[tuple[int, ...], ...]:
    rows = [tuple(range(10))]
    for _ in range(7):
        rows.append(tuple(_P1[x] for x in rows[-1]))
    return tuple(rows)


_P: Final = _powers()
CONCEPT_PARTITIONS: Final = frozenset({"00", "10"})


def verhoeff_valid(digits: str) -> bool:
    """True when the string of digits ends with its Verhoeff check digit."""
    if not digits.isdigit() or not digits.isascii():
        return False
    check = 0
    for position, char in enumerate(reversed(digits)):
        check = _D[check][_P[position % 8][int(char)]]
    return check == 0


def is_concept_id(code: str) -> bool:
    """A well-formed SNOMED CT concept identifier: digits, 6-18 long, no leading zero,
    a concept partition (00 core, 10 extension) and a valid Verhoeff check digit."""
    return (
        code.isascii()
        and code.isdigit()
        and 6 <= len(code) <= 18
        and not code.startswith("0")
        and code[-3:-1] in CONCEPT_PARTITIONS
        and verhoeff_valid(code)
    )
