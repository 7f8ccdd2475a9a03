"""cctv_corridor_tune losses: each scored box's IDF1 loss class under the IDF1 assignment."""

import numpy as np
import pandas as pd

from experiments.cctv_corridor_tune import losses

BODY = (100.0, 100.0, 160.0, 310.0)


def _truth(x: float, floor_x: float) -> pd.DataFrame:
    return pd.DataFrame({"traveler_id": [7], "x1": [x], "y1": [100.0], "x2": [x + 60],
                         "y2": [310.0], "occluded": [0.0], "floor_x": [floor_x],
                         "floor_y": [0.0], "activity": ["walking"], "head_x1": [x + 15],
                         "head_y1": [100.0], "head_x2": [x + 45], "head_y2": [130.0]})


def test_each_box_of_a_person_is_sorted_by_what_covered_it():
    frames = [{"t": 0.2 * k, "truth": _truth(100.0, 0.3 * k)} for k in range(5)]
    cam = {"frames": frames, "size": (1920, 1080)}
    boxes = [np.array([BODY])] * 2 + [np.zeros((0, 4)), np.array([BODY]), np.array([BODY])]
    t = [f["t"] for f in frames]  # track 1 on frames 0, 1 and 4; track 2 on frame 3
    hyp = pd.DataFrame([(t[0], 1, *BODY), (t[1], 1, *BODY), (t[3], 2, *BODY),
                        (t[4], 1, *BODY)], columns=["frame", "id", "x1", "y1", "x2", "y2"])
    out = losses(cam, hyp, boxes).sort_values("frame", kind="stable")
    assert out["kind"].tolist() == ["id_tp", "id_tp", "no_box", "other_id", "fp_other", "id_tp"]
    person = out[out["gt"] == 7]
    assert not person["still"].any()  # 1.5 m/s on the floor
    assert set(person["where"]) == {"inside"}
    assert out[out["kind"] == "fp_other"]["track"].tolist() == [2]


def test_a_track_box_on_a_frame_with_no_person_is_a_false_box():
    # review: only frames with a scored person were visited, so a stray box on an empty frame
    # had no row while IDF1 counts it
    empty = _truth(100.0, 0.0).iloc[:0]
    frames = [{"t": 0.0, "truth": _truth(100.0, 0.0)}, {"t": 0.2, "truth": empty},
              {"t": 0.4, "truth": _truth(100.0, 0.6)}]
    cam = {"frames": frames, "size": (1920, 1080)}
    boxes = [np.array([BODY])] * 3
    hyp = pd.DataFrame([(0.0, 1, *BODY), (0.2, 1, *BODY), (0.4, 1, *BODY)],
                       columns=["frame", "id", "x1", "y1", "x2", "y2"])
    out = losses(cam, hyp, boxes).sort_values("frame", kind="stable")
    assert out["kind"].tolist() == ["id_tp", "fp_none", "id_tp"]
