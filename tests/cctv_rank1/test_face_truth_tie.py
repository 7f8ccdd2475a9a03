"""experiments.cctv_segment_tune.face_truth: of two walkers in single file whose faces start at
the same column, the detected face is the nearer (larger) one, drawn over the other."""

import pandas as pd

from experiments.cctv_segment_tune import face_truth


def test_a_face_over_a_hidden_one_is_the_nearer_walkers():
    # traveler 251 straight behind 252: the same face column, 251's face smaller (farther)
    truth = pd.DataFrame([("cam", 1.0, 251, 1149.0, 88.0, 1286.0, 569.0, 1201.7, 13.9, 1.0),
                          ("cam", 1.0, 252, 1150.0, 96.0, 1288.0, 574.0, 1201.7, 17.8, 0.8),
                          ("cam", 1.0, 300, 400.0, 90.0, 520.0, 560.0, 440.0, 15.0, 0.0)],
                         columns=["camera", "frame", "id", "x1", "y1", "x2", "y2", "face_x1",
                                  "ipd_px", "occluded"])
    faces = pd.DataFrame([("cam", 1.0, 7, 1203.0, 114.0, 1241.0, 161.0),
                          ("cam", 1.0, 8, 441.0, 110.0, 475.0, 150.0)],
                         columns=["camera", "frame", "track_id", "x1", "y1", "x2", "y2"])
    assert face_truth(faces, truth).tolist() == [252, 300]
