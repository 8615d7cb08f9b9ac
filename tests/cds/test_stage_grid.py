"""The full AJCC 8 stage grid for both staged site groups, through the ``stage`` CLI.

Expected stages are transcribed from NCI PDQ Table 7 (AJCC 8th ed. ch. 41 and 44):

    IA    T1        N0  M0  GX, G1
    IB    T2-T4     N0  M0  GX, G1
    II    T1        N0  M0  G2, G3
    IIIA  T2        N0  M0  G2, G3
    IIIB  T3-T4     N0  M0  G2, G3
    IIIB (retroperitoneum) / IV (trunk and extremities)   any T  N1  M0  any G
    IV    any T     any N   M1  any G

one row per T x N x M x G combination (4 x 2 x 2 x 4 = 64 per site), typed out below rather
than computed, so that the test can catch a wrong table row.
"""

from __future__ import annotations

import json

import pytest

from hooks.cli import main

GRID = """
trunk-extremity  T1 N0 M0 GX IA
trunk-extremity  T1 N0 M0 G1 IA
trunk-extremity  T1 N0 M0 G2 II
trunk-extremity  T1 N0 M0 G3 II
trunk-extremity  T1 N0 M1 GX IV
trunk-extremity  T1 N0 M1 G1 IV
trunk-extremity  T1 N0 M1 G2 IV
trunk-extremity  T1 N0 M1 G3 IV
trunk-extremity  T1 N1 M0 GX IV
trunk-extremity  T1 N1 M0 G1 IV
trunk-extremity  T1 N1 M0 G2 IV
trunk-extremity  T1 N1 M0 G3 IV
trunk-extremity  T1 N1 M1 GX IV
trunk-extremity  T1 N1 M1 G1 IV
trunk-extremity  T1 N1 M1 G2 IV
trunk-extremity  T1 N1 M1 G3 IV
trunk-extremity  T2 N0 M0 GX IB
trunk-extremity  T2 N0 M0 G1 IB
trunk-extremity  T2 N0 M0 G2 IIIA
trunk-extremity  T2 N0 M0 G3 IIIA
trunk-extremity  T2 N0 M1 GX IV
trunk-extremity  T2 N0 M1 G1 IV
trunk-extremity  T2 N0 M1 G2 IV
trunk-extremity  T2 N0 M1 G3 IV
trunk-extremity  T2 N1 M0 GX IV
trunk-extremity  T2 N1 M0 G1 IV
trunk-extremity  T2 N1 M0 G2 IV
trunk-extremity  T2 N1 M0 G3 IV
trunk-extremity  T2 N1 M1 GX IV
trunk-extremity  T2 N1 M1 G1 IV
trunk-extremity  T2 N1 M1 G2 IV
trunk-extremity  T2 N1 M1 G3 IV
trunk-extremity  T3 N0 M0 GX IB
trunk-extremity  T3 N0 M0 G1 IB
trunk-extremity  T3 N0 M0 G2 IIIB
trunk-extremity  T3 N0 M0 G3 IIIB
trunk-extremity  T3 N0 M1 GX IV
trunk-extremity  T3 N0 M1 G1 IV
trunk-extremity  T3 N0 M1 G2 IV
trunk-extremity  T3 N0 M1 G3 IV
trunk-extremity  T3 N1 M0 GX IV
trunk-extremity  T3 N1 M0 G1 IV
trunk-extremity  T3 N1 M0 G2 IV
trunk-extremity  T3 N1 M0 G3 IV
trunk-extremity  T3 N1 M1 GX IV
trunk-extremity  T3 N1 M1 G1 IV
trunk-extremity  T3 N1 M1 G2 IV
trunk-extremity  T3 N1 M1 G3 IV
trunk-extremity  T4 N0 M0 GX IB
trunk-extremity  T4 N0 M0 G1 IB
trunk-extremity  T4 N0 M0 G2 IIIB
trunk-extremity  T4 N0 M0 G3 IIIB
trunk-extremity  T4 N0 M1 GX IV
trunk-extremity  T4 N0 M1 G1 IV
trunk-extremity  T4 N0 M1 G2 IV
trunk-extremity  T4 N0 M1 G3 IV
trunk-extremity  T4 N1 M0 GX IV
trunk-extremity  T4 N1 M0 G1 IV
trunk-extremity  T4 N1 M0 G2 IV
trunk-extremity  T4 N1 M0 G3 IV
trunk-extremity  T4 N1 M1 GX IV
trunk-extremity  T4 N1 M1 G1 IV
trunk-extremity  T4 N1 M1 G2 IV
trunk-extremity  T4 N1 M1 G3 IV
retroperitoneum  T1 N0 M0 GX IA
retroperitoneum  T1 N0 M0 G1 IA
retroperitoneum  T1 N0 M0 G2 II
retroperitoneum  T1 N0 M0 G3 II
retroperitoneum  T1 N0 M1 GX IV
retroperitoneum  T1 N0 M1 G1 IV
retroperitoneum  T1 N0 M1 G2 IV
retroperitoneum  T1 N0 M1 G3 IV
retroperitoneum  T1 N1 M0 GX IIIB
retroperitoneum  T1 N1 M0 G1 IIIB
retroperitoneum  T1 N1 M0 G2 IIIB
retroperitoneum  T1 N1 M0 G3 IIIB
retroperitoneum  T1 N1 M1 GX IV
retroperitoneum  T1 N1 M1 G1 IV
retroperitoneum  T1 N1 M1 G2 IV
retroperitoneum  T1 N1 M1 G3 IV
retroperitoneum  T2 N0 M0 GX IB
retroperitoneum  T2 N0 M0 G1 IB
retroperitoneum  T2 N0 M0 G2 IIIA
retroperitoneum  T2 N0 M0 G3 IIIA
retroperitoneum  T2 N0 M1 GX IV
retroperitoneum  T2 N0 M1 G1 IV
retroperitoneum  T2 N0 M1 G2 IV
retroperitoneum  T2 N0 M1 G3 IV
retroperitoneum  T2 N1 M0 GX IIIB
retroperitoneum  T2 N1 M0 G1 IIIB
retroperitoneum  T2 N1 M0 G2 IIIB
retroperitoneum  T2 N1 M0 G3 IIIB
retroperitoneum  T2 N1 M1 GX IV
retroperitoneum  T2 N1 M1 G1 IV
retroperitoneum  T2 N1 M1 G2 IV
retroperitoneum  T2 N1 M1 G3 IV
retroperitoneum  T3 N0 M0 GX IB
retroperitoneum  T3 N0 M0 G1 IB
retroperitoneum  T3 N0 M0 G2 IIIB
retroperitoneum  T3 N0 M0 G3 IIIB
retroperitoneum  T3 N0 M1 GX IV
retroperitoneum  T3 N0 M1 G1 IV
retroperitoneum  T3 N0 M1 G2 IV
retroperitoneum  T3 N0 M1 G3 IV
retroperitoneum  T3 N1 M0 GX IIIB
retroperitoneum  T3 N1 M0 G1 IIIB
retroperitoneum  T3 N1 M0 G2 IIIB
retroperitoneum  T3 N1 M0 G3 IIIB
retroperitoneum  T3 N1 M1 GX IV
retroperitoneum  T3 N1 M1 G1 IV
retroperitoneum  T3 N1 M1 G2 IV
retroperitoneum  T3 N1 M1 G3 IV
retroperitoneum  T4 N0 M0 GX IB
retroperitoneum  T4 N0 M0 G1 IB
retroperitoneum  T4 N0 M0 G2 IIIB
retroperitoneum  T4 N0 M0 G3 IIIB
retroperitoneum  T4 N0 M1 GX IV
retroperitoneum  T4 N0 M1 G1 IV
retroperitoneum  T4 N0 M1 G2 IV
retroperitoneum  T4 N0 M1 G3 IV
retroperitoneum  T4 N1 M0 GX IIIB
retroperitoneum  T4 N1 M0 G1 IIIB
retroperitoneum  T4 N1 M0 G2 IIIB
retroperitoneum  T4 N1 M0 G3 IIIB
retroperitoneum  T4 N1 M1 GX IV
retroperitoneum  T4 N1 M1 G1 IV
retroperitoneum  T4 N1 M1 G2 IV
retroperitoneum  T4 N1 M1 G3 IV"""

ROWS = [line.split() for line in GRID.strip().splitlines()]
CASES = [(r[0], tuple(r[1:5]), r[5]) for r in ROWS]


def test_grid_is_complete() -> None:
    assert len(ROWS) == 128
    combos = {tuple(r[:5]) for r in ROWS}
    assert len(combos) == 128


@pytest.mark.parametrize(("site", "tnmg", "stage"), CASES, ids=[" ".join(r[:5]) for r in ROWS])
def test_stage_grid_via_cli(
    site: str, tnmg: tuple[str, str, str, str], stage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    t, n, m, g = tnmg
    argv = ["stage", "--site", site, "--t", t, "--n", n, "--m", m, "--grade", g, "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["stage"] == stage
    assert out["status"] == "staged"
    assert (out["t"], out["n"], out["m"], out["grade"]) == (t, n, m, g)
    if g == "GX":
        # GX groups with G1; the alternatives add the stage with G2/G3 (same when N1 or M1)
        assert stage in out["alternatives"]
    else:
        assert out["alternatives"] == []


# With GX the stage is the G1 stage (AJCC rule) and the alternatives are every stage G1-G3
# allow: read from PDQ Table 7 by hand.
GX_ALTERNATIVES = {
    ("trunk-extremity", "T1", "N0", "M0"): ["IA", "II"],
    ("trunk-extremity", "T2", "N0", "M0"): ["IB", "IIIA"],
    ("trunk-extremity", "T3", "N0", "M0"): ["IB", "IIIB"],
    ("trunk-extremity", "T4", "N0", "M0"): ["IB", "IIIB"],
    ("trunk-extremity", "T2", "N1", "M0"): ["IV"],
    ("trunk-extremity", "T4", "N0", "M1"): ["IV"],
    ("retroperitoneum", "T1", "N0", "M0"): ["IA", "II"],
    ("retroperitoneum", "T2", "N0", "M0"): ["IB", "IIIA"],
    ("retroperitoneum", "T3", "N0", "M0"): ["IB", "IIIB"],
    ("retroperitoneum", "T1", "N1", "M0"): ["IIIB"],
    ("retroperitoneum", "T3", "N1", "M1"): ["IV"],
}


@pytest.mark.parametrize(("key", "expected"), list(GX_ALTERNATIVES.items()))
def test_gx_alternatives(
    key: tuple[str, str, str, str], expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    site, t, n, m = key
    argv = ["stage", "--site", site, "--t", t, "--n", n, "--m", m, "--grade", "GX", "--json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["alternatives"] == expected
