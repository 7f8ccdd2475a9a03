"""cctv_corridor_tune misses: why the head detector gave no person box for a visible head."""

import numpy as np
import pandas as pd

from experiments.cctv_corridor_tune import head_misses
from pipeline.vision.heads import _score


def _truth(yaw: float) -> pd.DataFrame:
    return pd.DataFrame({"traveler_id": [7, 8], "x1": [100.0, 500.0], "y1": [100.0] * 2,
                         "x2": [160.0, 560.0], "y2": [310.0] * 2, "yaw_deg": [yaw, 0.0],
                         "head_x1": [115.0, np.nan], "head_y1": [100.0, np.nan],
                         "head_x2": [145.0, np.nan], "head_y2": [130.0, np.nan]})


def _frame(t: float, heads, margins, yaw: float = 0.0) -> dict:
    h = np.asarray(heads, float).reshape(-1, 4)
    return {"t": t, "truth": _truth(yaw), "heads": {810: (h, _score(np.asarray(margins)), [])}}


def test_a_missed_head_is_sorted_by_the_nearest_cached_window():
    frames = [_frame(0.0, [[115, 100, 145, 130]], [-0.5], yaw=-200.0),  # under the threshold
              _frame(0.2, [[115, 100, 145, 130]], [0.2]),  # found: lost after the detector
              _frame(0.4, [[127, 100, 157, 130]], [0.4]),  # IoU 0.43: the window beside it
              _frame(0.6, [[108, 92, 152, 136]], [0.4]),  # IoU 0.46: a larger window
              _frame(0.8, [[400, 100, 430, 130]], [1.0])]  # nothing on the head
    rows = [{"frame": f["t"], "gt": 7, "kind": "no_box"} for f in frames]
    rows += [{"frame": 0.0, "gt": 8, "kind": "no_box"},  # no head drawn: skipped
             {"frame": 0.2, "gt": 7, "kind": "id_tp"}]
    out = head_misses({"frames": frames}, pd.DataFrame(rows), adjust=-0.3)
    assert out["why"].tolist() == ["below", "found", "offset", "offset", "none"]
    assert np.isclose(out["margin"].iloc[0], -0.5)
    assert np.isclose(out["yaw"].iloc[0], 160.0)  # folded to 0-180 from facing the camera
    assert np.isnan(out["margin"].iloc[-1])
