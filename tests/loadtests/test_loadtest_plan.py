"""Load plans and the open-loop arrival schedule: statistics of the Poisson stream, the split
among workers, the shape's stages, and the loopback rule."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from loadtests.plan import (KINDS, LoadPlan, PlanError, Step, arrival_schedule, poisson_plan,
                            pool_size, require_loopback, shape_stages, stage_at, step_of,
                            sweep_plan)

MIX = {"verify": 0.5, "identify": 0.3, "analyze": 0.2}


def test_poisson_schedule_has_the_target_rate_and_exponential_gaps():
    plan = poisson_plan(MIX, rps=40.0, duration_s=500.0, seed=11)
    s = arrival_schedule(plan)
    n = len(s)
    # 20,000 expected; a Poisson count is within 4 sd (~566) of it.
    assert abs(n - 20_000) < 4 * np.sqrt(20_000)
    assert np.all(np.diff(s.t) >= 0) and s.t[0] >= 0 and s.t[-1] < 500.0
    gaps = np.diff(s.t)
    assert stats.kstest(gaps, "expon", args=(0, 1 / 40.0)).pvalue > 1e-3
    assert abs(gaps.std() / gaps.mean() - 1.0) < 0.05  # CV of exponential gaps is 1
    # The kinds follow the mix.
    share = {k: np.mean(s.kind == KINDS.index(k)) for k in MIX}
    for k, w in MIX.items():
        assert abs(share[k] - w) < 0.02, (k, share[k])


def test_schedule_is_fixed_by_the_seed_and_independent_of_anything_else():
    a = arrival_schedule(poisson_plan(MIX, 5.0, 60.0, seed=3))
    b = arrival_schedule(poisson_plan(MIX, 5.0, 60.0, seed=3, timeout_s=2.0, pool_users=99))
    c = arrival_schedule(poisson_plan(MIX, 5.0, 60.0, seed=4))
    assert np.array_equal(a.t, b.t) and np.array_equal(a.kind, b.kind)
    assert not np.array_equal(a.t, c.t)


def test_workers_split_the_global_stream_exactly():
    plan = poisson_plan(MIX, 20.0, 30.0, seed=5, workers=3)
    whole = arrival_schedule(plan)
    parts = [arrival_schedule(plan, i, 3) for i in range(3)]
    merged = np.sort(np.concatenate([p.t for p in parts]))
    assert np.array_equal(merged, whole.t)
    assert max(len(p) for p in parts) - min(len(p) for p in parts) <= 1


def test_rate_sweep_steps_have_their_own_rates():
    plan = sweep_plan(MIX, 100.0, rps=[2.0, 10.0], seed=1)
    assert plan.mode == "open" and [s.target_rps for s in plan.steps] == [2.0, 10.0]
    s = arrival_schedule(plan)
    first, second = np.sum(s.t < 100.0), np.sum(s.t >= 100.0)
    assert abs(first - 200) < 4 * np.sqrt(200) and abs(second - 1000) < 4 * np.sqrt(1000)
    assert list(step_of(plan, np.array([0.0, 99.9, 100.0, 199.9, 200.0, -1.0]))) == \
        [0, 0, 1, 1, -1, -1]


def test_closed_sweep_stages_and_the_open_pool():
    closed = sweep_plan(MIX, 5.0, users=[1, 2, 4])
    stages = shape_stages(closed)
    assert [s[:2] for s in stages] == [(5.0, 1), (10.0, 2), (15.0, 4)]
    assert stage_at(stages, 0.0)[0] == 1 and stage_at(stages, 7.0)[0] == 2
    assert stage_at(stages, 15.0) is None  # the test stops by itself
    open_ = poisson_plan(MIX, 8.0, 20.0, timeout_s=5.0)
    (end, users, _), = shape_stages(open_)
    assert end == open_.lead_s + 20.0 and users == open_.pool_users == pool_size(8.0, 5.0)
    # Little's law with every request taking the whole timeout: 8/s x 5 s = 40 in flight.
    assert open_.pool_users >= 40


def test_plan_round_trips_through_json():
    plan = sweep_plan(MIX, 3.0, rps=[1.0, 2.0], seed=9, pack="/p", log_path="/l")
    assert LoadPlan.from_json(plan.to_json()) == plan


@pytest.mark.parametrize("kwargs, match", [
    (dict(shape="ramp"), "shape: must be one of"),
    (dict(mix={"verify": 1, "enroll": 1}), "unknown kinds"),
    (dict(mix={"verify": 0}), "not all 0"),
    (dict(steps=(Step(0, 5, users=0),)), r"steps\[0\].users"),
    (dict(steps=(Step(5, 5, users=1),)), "non-empty"),
])
def test_bad_plans_name_the_setting(kwargs, match):
    base = dict(shape="sweep", mode="closed", steps=(Step(0, 5, users=1),), mix={"verify": 1})
    with pytest.raises(PlanError, match=match):
        LoadPlan(**{**base, **kwargs})


def test_load_goes_only_to_loopback():
    for ok in ("http://127.0.0.1:8000", "http://localhost:1", "http://[::1]:9", "http://127.5.0.1"):
        assert require_loopback(ok) == ok
    for bad in ("http://10.0.0.2:8000", "http://example.com", "127.0.0.1:8000", "", None):
        with pytest.raises(PlanError, match="host"):
            require_loopback(bad)
