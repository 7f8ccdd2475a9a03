"""The demand of a simulated day, from a hand-built run: curve, peak hour, mix, compression."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loadtests.plan import PlanError, arrival_schedule
from loadtests.replay import (compressed_curve, demand_curve, mix_from_run, peak_hour,
                              replay_plan)
from outputs.run import Run

CAMERAS = [{"id": "hall", "kind": "cctv", "fps": 10.0}, {"id": "belt", "kind": "cctv", "fps": 5.0},
           {"id": "gate", "kind": "egate", "fps": 15.0}]


def hand_run(times_by_rep: list[list[float]], horizon: float = 7200.0, watchlist=None) -> Run:
    rows = [{"replication": r, "traveler_id": i, "bank": "egates", "gate": 0, "t": t,
             "duration_s": 12.0, "recognizer_s": 0.3, "outcome": "pass", "score": np.nan}
            for r, ts in enumerate(times_by_rep) for i, t in enumerate(ts)]
    scenario = {"name": "hand", "horizon_s": horizon, "cameras": CAMERAS,
                "watchlist": watchlist or {"planted": 0, "extra_identities": 0}}
    return Run(Path("hand-run"), {"replications": len(times_by_rep), "horizon_s": horizon},
               {"egate_transactions": pd.DataFrame(rows)}, scenario)


def two_reps() -> Run:
    # Replication 0: 3600 transactions in the first hour; replication 1: 1800 in the first hour
    # and 3600 in the second. Mean: first hour 2700, second 1800.
    first = list(np.linspace(0, 3599, 3600))
    return hand_run([first, list(np.linspace(0, 3599, 1800)) + list(np.linspace(3600, 7199, 3600))])


def test_demand_curve_counts_transactions_per_bin_per_replication():
    c = demand_curve(two_reps(), bin_s=3600)
    assert list(c["sim_t0"]) == [0.0, 3600.0] and list(c["sim_t1"]) == [3600.0, 7200.0]
    assert c["verify_rps"].tolist() == pytest.approx([2700 / 3600, 1800 / 3600])
    assert c["identify_rps"].tolist() == [0.0, 0.0]  # no watchlist: no 1:N searches
    assert c["analyze_rps"].tolist() == [15.0, 15.0]  # 10 + 5 fps; the e-gate camera is not CCTV
    slow = demand_curve(two_reps(), bin_s=3600, analyze_fps=2.0)
    assert slow["analyze_rps"].tolist() == [4.0, 4.0]


def test_watchlist_means_one_search_per_transaction():
    run = hand_run([[10.0, 20.0]], horizon=100.0, watchlist={"planted": 2})
    c = demand_curve(run, bin_s=50)
    assert c["identify_rps"].tolist() == c["verify_rps"].tolist() == [0.04, 0.0]


def test_peak_hour_is_the_busiest_window():
    p = peak_hour(two_reps())
    assert p.start_s == 0.0 and p.end_s == 3600.0
    assert p.demand_rps["verify"] == pytest.approx(2700 / 3600)
    assert p.demand_rps["analyze"] == 15.0
    # A burst in the middle of the day moves the peak there.
    burst = hand_run([list(np.linspace(5000, 5600, 500)) + [100.0]], horizon=14400.0)
    q = peak_hour(burst)
    assert q.start_s <= 5000.0 and q.end_s >= 5600.0
    assert q.demand_rps["verify"] == pytest.approx(500 / 3600)


def test_mix_from_run_weighs_frames_against_transactions():
    mix = mix_from_run(two_reps())
    verify_total, frames_total = 4500.0, 15.0 * 7200
    assert mix["verify"] == pytest.approx(verify_total / (verify_total + frames_total))
    assert mix["identify"] == 0.0 and sum(mix.values()) == pytest.approx(1.0)


def test_replay_compresses_the_clock_and_multiplies_rates():
    c = demand_curve(two_reps(), bin_s=3600)
    plan = replay_plan(c, compress=360.0, scale=0.5, endpoints=("verify",), seed=2)
    assert [(s.start_s, s.end_s) for s in plan.steps] == [(0.0, 10.0), (10.0, 20.0)]
    assert plan.steps[0].rates["verify"] == pytest.approx(2700 / 3600 * 360 * 0.5)
    assert plan.mode == "open" and plan.compress == 360.0 and plan.mix == {"verify": 1.0}
    sched = arrival_schedule(plan)
    n0, n1 = np.sum(sched.t < 10), np.sum(sched.t >= 10)
    assert abs(n0 - 1350) < 4 * np.sqrt(1350) and abs(n1 - 900) < 4 * np.sqrt(900)
    sent = compressed_curve(plan, c)
    assert sent["sim_t0"].tolist() == [0.0, 3600.0] and sent["t1"].tolist() == [10.0, 20.0]


def test_replay_window_and_errors():
    c = demand_curve(two_reps(), bin_s=1800)
    plan = replay_plan(c, compress=180.0, sim_from=3600.0, sim_to=5400.0, endpoints=("verify",))
    assert [(s.start_s, s.end_s) for s in plan.steps] == [(0.0, 10.0)]
    assert compressed_curve(plan, c, 3600.0)["sim_t0"].tolist() == [3600.0]
    with pytest.raises(PlanError, match="compress"):
        replay_plan(c, compress=0)
    with pytest.raises(PlanError, match="no curve bins"):
        replay_plan(c, compress=10, sim_from=9000.0)
