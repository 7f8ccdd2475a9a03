"""The terminal model as an M/M/c queue: its mean wait must match Erlang C.

One desk group of c = 3 desks with exponential service (mean 60 s) and Poisson arrivals
(one-passenger flights at exponential gaps, mean 25 s; no door delay, no walk): rho = 0.8.
Each replication draws its own arrival times; a warm-up is dropped; the replication means give a
t-distribution 95% confidence interval that must hold the Erlang C value (64.7 s).
"""

import math

import numpy as np

from sim.kpi import mean_ci, utilisation
from sim.loader import parse_scenario
from sim.terminal import simulate

from tiny_scenarios import tiny_data

C, MEAN_SERVICE, MEAN_GAP = 3, 60.0, 25.0
ARRIVALS, WARMUP_S, REPLICATIONS = 3000, 3000.0, 10


def erlang_c_wait(c: int, lam: float, mu: float) -> float:
    a = lam / mu
    top = a**c / math.factorial(c) * c / (c - a)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def mmc_scenario(rng: np.random.Generator):
    times = np.cumsum(rng.exponential(MEAN_GAP, ARRIVALS))
    data = tiny_data(
        horizon_s=float(times[-1]) + 1.0,
        flights__schedule=[{"id": f"A{i}", "time_s": float(t), "passengers": 1, "gate": "gate"}
                           for i, t in enumerate(times)],
        travelers__mix={"visitor": 1.0},
        travelers__egate_enrolment={},
        immigration__egate_banks=[],
        immigration__desks=[{"id": "dk", "count": C, "classes": ["visitor"],
                             "service_time": {"dist": "exponential", "mean": MEAN_SERVICE}}],
    )
    data["terminal"]["walks"][0]["distance_m"] = 0
    return parse_scenario(data, "mmc.yaml")


def test_erlang_c_value():
    assert erlang_c_wait(3, 1 / 25, 1 / 60) == np.float64(0.6471910112359551 / 0.01) or \
        math.isclose(erlang_c_wait(3, 1 / 25, 1 / 60), 64.7191, rel_tol=1e-4)
    assert math.isclose(erlang_c_wait(1, 0.5, 1.0), 1.0)  # M/M/1: rho / (mu - lambda)


def test_mmc_mean_wait_matches_erlang_c():
    expected = erlang_c_wait(C, 1 / MEAN_GAP, 1 / MEAN_SERVICE)
    rng = np.random.default_rng(20261126)
    means, utils = [], []
    for _ in range(REPLICATIONS):
        s = mmc_scenario(rng)
        f = simulate(s, rng).frames()
        v = f["visits"].query("kind == 'desk' and queue_t >= @WARMUP_S").dropna(
            subset=["start_t"])
        means.append(float((v["start_t"] - v["queue_t"]).mean()))
        u = utilisation(f["visits"], f["capacity"], {"dk": "desk"}, s.horizon_s)
        utils.append(float(u["utilisation"].iloc[0]))
    mean, lo, hi, _, n = mean_ci(means)
    assert n == REPLICATIONS
    assert lo <= expected <= hi, f"Erlang C {expected:.1f} s outside CI [{lo:.1f}, {hi:.1f}]"
    assert hi - lo < 0.7 * expected  # tight enough to mean something (a 10% slower desk: +90%)
    u_mean, u_lo, u_hi, _, _ = mean_ci(utils)
    assert u_lo - 0.01 <= 0.8 <= u_hi + 0.01, (u_lo, u_hi)
