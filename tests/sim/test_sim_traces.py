"""Exact event traces of tiny scenarios with fixed times, and seed reproducibility."""

import numpy as np
import pandas as pd

from sim.terminal import simulate


def frames(s, seed=0):
    return simulate(s, np.random.default_rng(seed)).frames()


def visit_log(f):
    v = f["visits"]
    return [(r.traveler_id, r.processor, r.queue_t, r.start_t, r.end_t, r.server, r.outcome)
            for r in v.sort_values(["start_t", "traveler_id"]).itertuples()]


def test_two_nationals_share_one_egate(tiny):
    # Deplaned 1 s apart, 10 s walk, 10 s gate: the second waits for the first.
    f = frames(tiny())
    assert visit_log(f) == [
        (0, "eg", 10.0, 10.0, 20.0, 0, "pass"),
        (1, "eg", 11.0, 20.0, 30.0, 0, "pass"),
    ]
    tr = f["travelers"].set_index("traveler_id")
    assert tr["exit_t"].tolist() == [50.0, 60.0]  # three more 10 s walks after the gate
    assert tr["route"].tolist() == ["egate", "egate"]
    assert tr["final_place"].tolist() == ["exited", "exited"]
    assert f["queue_lengths"].values.tolist() == [[11.0, "eg", 1], [20.0, "eg", 0]]
    hall = f["occupancy"].query("zone == 'hall'")
    assert hall[["t", "count"]].values.tolist() == [[10, 1], [11, 2], [20, 1], [30, 0]]


def test_walk_legs_of_first_traveler(tiny):
    w = frames(tiny())["walks"]
    legs = w[w.traveler_id == 0][["from_zone", "to_zone", "t0", "t1"]].values.tolist()
    assert legs == [["gate", "hall", 0.0, 10.0], ["hall", "reclaim", 20.0, 30.0],
                    ["reclaim", "customs", 30.0, 40.0], ["customs", "out", 40.0, 50.0]]


def test_rejected_traveler_is_referred_to_a_desk(tiny):
    # Every attempt rejected: gate 10 s, 15 m referral walk at 1 m/s, then a 30 s desk.
    f = frames(tiny(immigration__recognizer__profile__fnmr=1.0))
    assert visit_log(f) == [
        (0, "eg", 10.0, 10.0, 20.0, 0, "reject"),
        (1, "eg", 11.0, 20.0, 30.0, 0, "reject"),
        (0, "dk", 35.0, 35.0, 65.0, 0, "served"),
        (1, "dk", 45.0, 65.0, 95.0, 0, "served"),
    ]
    assert f["travelers"]["route"].tolist() == ["egate_referred"] * 2
    assert f["egate_transactions"]["outcome"].tolist() == ["reject", "reject"]


def test_outage_sends_eligible_travelers_to_the_desk(tiny):
    s = tiny(immigration__outages=[{"bank": "eg", "start_s": 0, "end_s": 100, "gates": 1}])
    f = frames(s)
    assert f["travelers"]["route"].tolist() == ["desk", "desk"]
    assert visit_log(f) == [(0, "dk", 10.0, 10.0, 40.0, 0, "served"),
                            (1, "dk", 11.0, 40.0, 70.0, 0, "served")]
    assert f["capacity"].query("processor == 'eg'")[["t", "open"]].values.tolist() == [
        [0.0, 1.0], [0.0, 0.0], [100.0, 1.0]]


def test_roster_closes_a_desk_after_its_traveler(tiny):
    # Two desks; from t=15 only one may be open. Both are busy then, so the first to finish
    # (desk 0 at 40) closes instead of taking traveler 2, who waits for desk 1 (free at 41).
    s = tiny(immigration__egate_banks=[],
             immigration__desks__0__count=2,
             immigration__roster=[{"desks": "dk", "start_s": 15, "end_s": 200, "open": 1}],
             flights__schedule__0__passengers=3)
    f = frames(s)
    assert visit_log(f) == [(0, "dk", 10.0, 10.0, 40.0, 0, "served"),
                            (1, "dk", 11.0, 11.0, 41.0, 1, "served"),
                            (2, "dk", 12.0, 41.0, 71.0, 1, "served")]
    assert f["capacity"].query("processor == 'dk'")["open"].tolist() == [2, 1, 2]


def test_bag_wait_is_a_reclaim_visit(tiny):
    s = tiny(travelers__checked_bag_rate=1.0, baggage__first_bag_s=100,
             flights__schedule__0__passengers=1)
    f = frames(s)
    r = f["visits"].query("kind == 'reclaim'")
    assert r[["queue_t", "start_t", "end_t"]].values.tolist() == [[30.0, 100.0, 100.0]]
    assert f["travelers"]["exit_t"].tolist() == [120.0]


def test_horizon_reports_open_visits_and_walks(tiny):
    s = tiny(horizon_s=15, flights__schedule__0__passengers=3)
    f = frames(s)
    tr = f["travelers"].set_index("traveler_id")
    # t=15: traveler 0 in the gate (10..20), 1 queued since 11, 2 in the hall since 12.
    assert tr["final_place"].tolist() == ["hall", "hall", "hall"]
    v = f["visits"].sort_values("traveler_id")
    assert v["outcome"].tolist() == ["pass", "waiting", "waiting"]
    assert v["end_t"].isna().all() and v["start_t"].isna().tolist() == [False, True, True]
    assert f["walks"]["t1"].notna().all()
    s = tiny(horizon_s=5)
    tr = frames(s)["travelers"]
    assert tr["final_place"].tolist() == ["walking", "walking"]
    assert frames(s)["walks"]["t1"].isna().sum() == 2


def test_same_seed_same_records(default_scenario):
    s = default_scenario.model_copy(update={"horizon_s": 3000.0})
    a, b = frames(s, 42), frames(s, 42)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)
    c = frames(s, 43)
    assert not a["visits"].equals(c["visits"])
