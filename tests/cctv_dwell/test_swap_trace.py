"""``experiments.cctv_belts_tune swaps``: a tracker id that moves from one person to another
(:func:`handovers`: which stage took the box, what the crowd looks read) and a person's output
id changing (:func:`fragment_starts`: the old id went on with a neighbour, ...). New in this
round (the trace of issue 11's swaps at the belts)."""

import numpy as np
import pandas as pd

from experiments.cctv_belts_tune import fragment_starts, handovers
from test_revivals import _box


def _hist(k: int) -> np.ndarray:
    h = np.zeros((12, 4), np.float32)
    h[k, 2] = 1.0
    return h


def _window():
    """Person 7 stands at x 100; walker 8 (1.3 m/s on the floor) at x 200. Tracker id 1 holds
    7 for 2 s, then 8 from frame 10 on (a box handed over, no gap); 7 continues under a new id
    2 from frame 11."""
    frames, rows, raw, hists = [], [], [], []
    for k in range(26):
        t = 1000.0 + 0.2 * k
        frames.append({"t": t, "truth": pd.DataFrame([
            {"traveler_id": 7, **_box(100), "floor_x": 0.0, "floor_y": 0.0},
            {"traveler_id": 8, **_box(200), "floor_x": 1.3 * 0.2 * k, "floor_y": 3.0}])})
        rows.append({"frame": t, "id": 1, **_box(100 if k < 10 else 200)})
        raw.append(1)
        hists.append(_hist(0) if k < 10 else _hist(6))
        if k >= 11:
            rows.append({"frame": t, "id": 2, **_box(100)})
            raw.append(2)
            hists.append(_hist(0))
    hyp = pd.DataFrame(rows)
    hyp.attrs.update(raw_ids=raw, hists=hists, scores=[0.9] * len(hyp),
                     speeds=[(0.0, 0.1)] * len(hyp))
    return {"frames": frames}, hyp


def test_a_stander_s_id_handed_to_a_walker_is_listed_with_its_cause():
    cam, hyp = _window()
    t = handovers(cam, hyp)
    assert len(t) == 1
    r = t.iloc[0]
    assert (r["id"], r["person_before"], r["person_after"]) == (1, 7, 8)
    assert r["stage"] == "first" and np.isclose(r["gap_s"], 0.2)
    # asked (floor 0.1 < 0.8), clothes unlike: so the pair was not contested at its stage
    assert r["cause"] == "not vetoed" and r["app"] < 0.4
    assert np.isclose(r["v_after"], 1.3) and r["v_before"] == 0.0


def test_the_person_left_behind_starts_a_fragment_the_old_id_went_on_with_a_neighbour():
    cam, hyp = _window()
    f = fragment_starts(cam, hyp)
    assert len(f) == 1
    r = f.iloc[0]
    assert (r["person"], r["old_id"], r["new_id"]) == (7, 1, 2)
    assert r["cause"] == "old id to neighbour" and r["new_born"]
    assert np.isclose(r["v_taker"], 1.3) and r["rows"] == 15
