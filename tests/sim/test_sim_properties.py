"""Invariants of the terminal model over random small scenarios (hypothesis)."""

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.loader import parse_scenario
from sim.terminal import simulate

from tiny_scenarios import tiny_data

INSIDE = {"aircraft", "walking", "hall", "reclaim", "customs"}


@st.composite
def scenarios(draw):
    n_flights = draw(st.integers(1, 4))
    horizon = draw(st.floats(60, 2400))
    flights = [{"id": f"F{i}", "time_s": draw(st.floats(0, horizon - 1)),
                "passengers": draw(st.integers(0, 40)), "gate": "gate"}
               for i in range(n_flights)]
    shares = draw(st.lists(st.integers(0, 4), min_size=4, max_size=4).filter(any))
    mix = dict(zip(["national", "resident", "visitor", "first_time_visitor"],
                   [x / sum(shares) for x in shares]))
    mix["national"] += 1 - sum(mix.values())  # exact sum of 1 despite rounding
    egates = draw(st.integers(0, 3))
    desks = draw(st.integers(1, 3))
    data = tiny_data(
        horizon_s=horizon,
        flights__schedule=flights,
        travelers__mix=mix,
        travelers__egate_enrolment={"national": draw(st.floats(0, 1)), "resident": 0.5},
        travelers__party_size={"dist": "empirical", "values": [1, 2, 3]},
        travelers__walking_speed={"dist": "uniform", "low": 0.5, "high": 2.0},
        travelers__checked_bag_rate=draw(st.floats(0, 1)),
        baggage__first_bag_s={"dist": "uniform", "low": 0, "high": 300},
        baggage__delivery_window_s=draw(st.floats(0, 300)),
        customs__officers=draw(st.integers(0, 2)),
        customs__inspection_rate=draw(st.floats(0, 1)),
        customs__inspection_time={"dist": "exponential", "mean": 40},
        flights__deplaning={"door_open_s": {"dist": "uniform", "low": 0, "high": 60},
                            "rate_per_min": draw(st.floats(5, 60))},
        # crowded walks (Weidmann congestion) must keep every invariant too
        terminal__walking={"congestion": draw(st.booleans()),
                           "corridor_width_m": draw(st.floats(0.5, 5))},
    )
    imm = data["immigration"]
    imm["egate_banks"] = [{"id": "eg", "count": egates, "eligible": ["national", "resident"],
                           "transaction_time": {"dist": "exponential", "mean": 12}}]
    imm["desks"] = [{"id": "dk", "count": desks,
                     "classes": ["national", "resident", "visitor", "first_time_visitor"],
                     "service_time": {"dist": "exponential", "mean": 45}}]
    imm["recognizer"] = {"profile": {"fta_rate": draw(st.floats(0, 0.3)),
                                     "fnmr": draw(st.floats(0, 0.5)), "latency": 0.3}}
    if draw(st.booleans()) and desks > 1:
        imm["roster"] = [{"desks": "dk", "start_s": 100, "end_s": 700, "open": 1}]
    if draw(st.booleans()) and egates > 0:
        imm["outages"] = [{"bank": "eg", "start_s": 50, "end_s": 400, "gates": egates}]
    return parse_scenario(data, "hypothesis.yaml")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_terminal_invariants(s, seed):
    f = simulate(s, np.random.default_rng(seed)).frames()
    tr, visits, walks = f["travelers"], f["visits"], f["walks"]
    assert len(tr) == sum(fl.passengers for fl in s.flights.schedule)
    assert tr["traveler_id"].is_unique

    # Every traveler has left or is inside, in exactly one place.
    exited = tr["final_place"] == "exited"
    assert (exited == tr["exit_t"].notna()).all()
    assert set(tr.loc[~exited, "final_place"]) <= INSIDE
    assert (tr["arrive_t"].isna() == (tr["final_place"] == "aircraft")).all()
    assert (tr["exit_t"].dropna() <= s.horizon_s).all()
    assert (f["occupancy"]["count"] >= 0).all() and (f["queue_lengths"]["length"] >= 0).all()
    assert f["occupancy"]["t"].is_monotonic_increasing
    last = f["occupancy"].groupby("zone")["count"].last()
    for zone in ("hall", "reclaim", "customs"):
        assert last.get(zone, 0) == (tr["final_place"] == zone).sum(), zone
    queued = f["queue_lengths"].groupby("processor")["length"].last()
    waiting = visits[visits["outcome"] == "waiting"]
    for proc in set(queued.index) | set(waiting["processor"]) - {"reclaim"}:
        assert queued.get(proc, 0) == (waiting["processor"] == proc).sum(), proc
    open_walks = walks[walks["t1"].isna()]
    assert open_walks["traveler_id"].is_unique
    walking = set(tr.loc[tr["final_place"] == "walking", "traveler_id"])
    assert set(open_walks["traveler_id"]) == walking
    open_visits = visits[visits["end_t"].isna()]
    assert open_visits["traveler_id"].is_unique
    assert set(open_visits["traveler_id"]) <= set(tr.loc[tr["final_place"].isin(
        ["hall", "reclaim", "customs"]), "traveler_id"])

    # Nobody is served twice at one kind of processor.
    assert not visits.duplicated(["traveler_id", "kind"]).any()
    assert (visits.groupby("traveler_id")["kind"].apply(
        lambda k: (k == "egate").sum() <= 1 and (k == "desk").sum() <= 1)).all()

    # Waits and services never negative; every visit within the horizon.
    started = visits.dropna(subset=["start_t"])
    assert (started["start_t"] >= started["queue_t"]).all()
    done = visits.dropna(subset=["end_t"])
    assert (done["end_t"] >= done["start_t"]).all()
    assert (visits["queue_t"] <= s.horizon_s).all()

    # A processor serves one traveler at a time, and never more than the group has.
    for proc, v in started[started["kind"] != "reclaim"].groupby("processor"):
        for _, sv in v.groupby("server"):
            sv = sv.sort_values("start_t")
            ends = sv["end_t"].fillna(math.inf).to_numpy()
            assert (sv["start_t"].to_numpy()[1:] >= ends[:-1] - 1e-9).all(), proc
        count = {"eg": s.immigration.egate_banks[0].count, "dk": s.immigration.desks[0].count,
                 "customs": s.customs.officers}[proc]
        assert v["server"].between(0, count - 1).all()
