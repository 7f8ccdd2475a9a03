"""`airtwin run --mode pedestrian` on a short arrivals peak: the run folder gets the
pedestrian tables, and the plan and density tables count the hall's people where JuPedSim put
them."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from outputs.run import load_run

HORIZON_S = 700


@pytest.fixture(scope="module")
def ped_run(tmp_path_factory, repo_root):
    out = tmp_path_factory.mktemp("ped") / "peak"
    res = subprocess.run([sys.executable, "-m", "airtwin.cli", "run",
                          str(repo_root / "scenarios" / "icn_t1_arrivals_peak.yaml"), "-n", "1",
                          "--horizon", str(HORIZON_S), "--mode", "pedestrian", "--out",
                          str(out)], cwd=repo_root, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    return load_run(out, tables=["ped_trajectories", "ped_visits", "ped_summary", "ped_flow",
                                 "plan_positions", "density_zones"])


def test_pedestrian_tables_written(ped_run):
    s = ped_run["ped_summary"].iloc[0]
    assert s["travelers"] > 0 and s["max_in_hall"] > 0
    v = ped_run["ped_visits"]
    served = v.dropna(subset=["start_t"])
    assert len(served) > 0
    assert (served["start_t"] >= served["enter_t"]).all()


def test_pedpy_flow_counts_who_left(ped_run):
    flow = ped_run["ped_flow"]
    left = ped_run["ped_visits"]["exit_t"].notna().sum()
    assert 0 < flow["exits"].sum() <= left  # the door line is crossed on the way out
    assert (flow["density"] >= 0).all() and (flow["speed"].dropna() <= 2.5).all()


def test_hall_positions_are_the_pedestrian_ones(ped_run):
    tr = ped_run["ped_trajectories"]
    pos = ped_run["plan_positions"]
    t = float(pos.loc[pos["t"] > 500, "t"].iloc[0])  # an instant with people in the hall
    ped_now = tr[np.isclose(tr["t"], t)].sort_values("traveler_id")
    assert len(ped_now) > 0
    merged = pos[np.isclose(pos["t"], t) & pos["traveler_id"].isin(ped_now["traveler_id"])]
    merged = merged.sort_values("traveler_id")
    assert np.allclose(merged[["x", "y"]].to_numpy(), ped_now[["x", "y"]].to_numpy())
    zones = ped_run["density_zones"]
    hall = zones[(zones["zone"] == "immigration_hall") & np.isclose(zones["t"], t)]
    assert int(hall["travelers"].iloc[0]) >= len(ped_now)


def test_unknown_mode_is_named(repo_root, tmp_path):
    res = subprocess.run([sys.executable, "-m", "airtwin.cli", "run",
                          str(repo_root / "scenarios" / "icn_t1_arrivals_peak.yaml"), "-n", "1",
                          "--horizon", "60", "--mode", "walking", "--out", str(tmp_path / "r")],
                         cwd=repo_root, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert "--mode: must be fast or pedestrian, got 'walking'" in res.stderr
