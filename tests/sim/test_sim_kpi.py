"""KPI functions on small hand-built record frames."""

import math

import numpy as np
import pandas as pd
import pytest

from sim import kpi
from sim.records import COLUMNS


def visits(rows):
    return pd.DataFrame(rows, columns=COLUMNS["visits"])


def test_level_stats_are_time_weighted():
    # 0 until t=10, 2 until 30, 1 until the horizon 40: mean (2*20 + 1*10) / 40.
    q = pd.DataFrame({"t": [10.0, 30.0], "processor": "a", "length": [2, 1]})
    out = kpi.level_stats(q, "processor", "length", 40.0)
    assert out.to_dict("records") == [{"processor": "a", "mean": 1.25, "max": 2.0}]


def test_level_stats_last_change_at_one_instant_wins():
    q = pd.DataFrame({"t": [0.0, 0.0, 5.0], "processor": "a", "length": [3, 1, 0]})
    assert kpi.level_stats(q, "processor", "length", 10.0)["mean"].item() == 0.5


def test_level_series_bins():
    q = pd.DataFrame({"t": [150.0, 450.0], "processor": "a", "length": [4, 0]})
    s = kpi.level_series(q, "processor", "length", 900.0, bin_s=300.0)
    assert s["t"].tolist() == [0.0, 300.0, 600.0]
    assert s["length"].tolist() == [2.0, 2.0, 0.0]


def test_time_above():
    occ = pd.DataFrame({"t": [0.0, 10.0, 20.0], "zone": "h", "count": [1, 5, 2]})
    assert kpi.time_above(occ, "count", 3, 40.0) == 0.25


def test_waits_percentiles_targets_and_censoring():
    v = visits([
        (1, "visitor", "dk", "desk", 0.0, 0.0, 60.0, 0, "served"),
        (2, "visitor", "dk", "desk", 10.0, 60.0, 120.0, 0, "served"),
        (3, "national", "dk", "desk", 20.0, 120.0, 180.0, 0, "served"),
        (4, "national", "eg", "egate", 0.0, 5.0, 20.0, 0, "pass"),
        (5, "visitor", "dk", "desk", 100.0, np.nan, np.nan, -1, "waiting"),
    ])
    w = kpi.waits(v, horizon=200.0, targets={"desk": 60.0, "egate": 600.0})
    desk = w.query("processor == 'dk' and cls == 'all'").iloc[0]
    # Waits 0, 50, 100 and 100 so far (queued at 100, horizon 200).
    assert desk["n"] == 4 and desk["n_waiting"] == 1
    assert desk["mean_s"] == 62.5 and desk["max_s"] == 100.0
    assert desk["p50_s"] == 75.0
    assert desk["within_target"] == 0.5 and desk["target_s"] == 60.0
    visitor = w.query("processor == 'dk' and cls == 'visitor'").iloc[0]
    assert visitor["n"] == 3 and visitor["mean_s"] == pytest.approx(50.0)
    by_kind = w.query("processor == 'all' and kind == 'egate' and cls == 'all'").iloc[0]
    assert by_kind["n"] == 1 and by_kind["p95_s"] == 5.0 and by_kind["within_target"] == 1.0


def test_utilisation_uses_open_capacity():
    v = visits([(1, "visitor", "dk", "desk", 0.0, 0.0, 50.0, 0, "served"),
                (2, "visitor", "dk", "desk", 0.0, 0.0, 30.0, 1, "served"),
                (3, "visitor", "dk", "desk", 80.0, 80.0, np.nan, 0, "served")])  # to horizon
    cap = pd.DataFrame({"t": [0.0, 50.0], "processor": "dk", "open": [2, 1]})
    u = kpi.utilisation(v, cap, {"dk": "desk"}, horizon=100.0).iloc[0]
    assert u["busy_s"] == 100.0 and u["open_s"] == 150.0
    assert u["utilisation"] == pytest.approx(2 / 3)


def test_throughput_per_hour_and_exits():
    v = visits([(i, "visitor", "dk", "desk", 0.0, 0.0, t, 0, "served")
                for i, t in enumerate([100.0, 3500.0, 3700.0])])
    tr = pd.DataFrame({"exit_t": [4000.0, np.nan, 7300.0]})
    out = kpi.throughput(v, tr, {"dk": "desk"}, horizon=7200.0)
    assert out.query("processor == 'dk'")["served"].tolist() == [2, 1]
    assert out.query("processor == 'exit'")["served"].tolist() == [0, 2]  # 7300 s: last hour


def test_time_in_system():
    tr = pd.DataFrame({"cls": ["a", "a", "b"], "arrive_t": [0.0, 10.0, 5.0],
                       "exit_t": [100.0, np.nan, 305.0]})
    out = kpi.time_in_system(tr).set_index("cls")
    assert out.loc["a", "n"] == 1 and out.loc["all", "n"] == 2
    assert out.loc["all", "mean_s"] == 200.0 and out.loc["b", "max_s"] == 300.0


def test_egate_referral_rate():
    tx = pd.DataFrame({"outcome": ["pass", "reject", "fta", "pass"]})
    assert kpi.egate_referral_rate(tx) == 0.5
    assert math.isnan(kpi.egate_referral_rate(tx.iloc[:0]))


def test_space_against_bands():
    zone = kpi.SpaceZone("hall", "immigration_hall", 100.0, 1.0, 1.2)
    occ = pd.DataFrame({"t": [0.0, 300.0, 600.0], "zone": "hall", "count": [50, 90, 150]})
    sp = kpi.space(occ, [zone], horizon=1200.0, bin_s=300.0)
    assert sp["m2_per_pax"].tolist()[:3] == [2.0, pytest.approx(100 / 90), pytest.approx(100 / 150)]
    assert sp["status"].tolist() == ["over-design", "optimum", "sub-optimum", "sub-optimum"]
    empty = kpi.space(occ.iloc[:0], [zone], horizon=600.0, bin_s=300.0)
    assert empty["status"].tolist() == ["empty", "empty"]


def test_mean_ci_matches_t_distribution():
    mean, lo, hi, sd, n = kpi.mean_ci([1.0, 2.0, 3.0, 4.0])
    assert (mean, n) == (2.5, 4)
    # t(0.975, 3) = 3.182446; sd = 1.290994; half-width = t * sd / 2
    assert hi - mean == pytest.approx(3.182446 * 1.290994 / 2, rel=1e-5)
    assert lo == pytest.approx(2 * mean - hi)
    assert kpi.mean_ci([7.0])[:3] == (7.0, 7.0, 7.0)
    assert kpi.mean_ci([np.nan, 1.0, 3.0])[4] == 2
    assert math.isnan(kpi.mean_ci([])[0])


def test_summarise_orders_metrics_and_units():
    per_rep = pd.DataFrame({"desk_wait_p95_s": [100.0, 120.0], "egate_referral_rate": [0.1, 0.1]})
    out = kpi.summarise(per_rep)
    assert out["metric"].tolist() == ["desk_wait_p95_s", "egate_referral_rate"]
    assert out.set_index("metric").loc["egate_referral_rate", "ci_low"] == pytest.approx(0.1)
    assert out.set_index("metric").loc["desk_wait_p95_s", "unit"] == "s"
