"""``experiments.cctv_dwell_tune.revivals``: the tracker's own take-backs of a lost track after a
gap, with the people before and after and how fast the first one walked (the tool that finds a
walker's lost track taken by the next walker). New with the per-track lost buffer."""

import numpy as np
import pandas as pd

from experiments.cctv_dwell_tune import revivals


def _box(x: float) -> dict:
    return {"x1": x, "y1": 100.0, "x2": x + 40.0, "y2": 240.0}


def _window(link_at: float | None = None):
    """Track 1 follows walker 7 (1.3 m/s on the floor) for 2 s, is unseen 1.2 s, then follows
    walker 8 where 7 was heading; ``link_at``: the re-linker's link at that moment instead."""
    frames, rows = [], []
    for k in range(26):
        t = 1000.0 + 0.2 * k
        people = [{"traveler_id": 7, **_box(100 + 10 * k), "floor_x": 1.3 * 0.2 * k,
                   "floor_y": 0.0}]
        if k >= 16:
            people.append({"traveler_id": 8, **_box(100 + 10 * k), "floor_x": 9.0,
                           "floor_y": 0.0})
        frames.append({"t": t, "truth": pd.DataFrame(people)})
        if k < 10 or k >= 16:
            rows.append({"frame": t, "id": 1, **_box(100 + 10 * k)})
    hyp = pd.DataFrame(rows)
    # track 1's boxes after the gap lie on walker 8 (walker 7 moved out from under them)
    for f in frames[16:]:
        f["truth"].loc[f["truth"]["traveler_id"] == 7, ["x1", "x2"]] += 400.0
    hyp.attrs["relinked_ids"] = [1] * len(hyp)
    hyp.attrs["links"] = [] if link_at is None else [(link_at, 5, 1, "short")]
    return {"frames": frames}, hyp


def test_a_walkers_lost_track_taken_by_the_next_walker_is_listed():
    cam, hyp = _window()
    t = revivals(cam, hyp)
    assert len(t) == 1
    r = t.iloc[0]
    assert np.isclose(r["gap_s"], 1.4) and (r["person_before"], r["person_after"]) == (7, 8)
    assert r["wrong"] == 1.0 and np.isclose(r["speed_m_s"], 1.3)


def test_a_re_link_or_a_short_gap_is_no_revival():
    cam, hyp = _window(link_at=1003.2)
    assert revivals(cam, hyp).empty
    cam, hyp = _window()
    assert revivals(cam, hyp, min_gap_s=1.5).empty
