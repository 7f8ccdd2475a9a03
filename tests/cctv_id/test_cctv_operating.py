"""CCTV operating settings: the recogniser's CCTV threshold, the detector input, which faces a
track embeds, and the profile gate."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.cctv.aggregate import AggregationConfig, TrackFace, TrackFaces
from pipeline.cctv.operating import cctv_operating_point, detection_input
from pipeline.cctv.quality import FaceQuality, QualityGate


def test_cctv_threshold_is_the_recognisers_own_and_none_for_others():
    op = cctv_operating_point("arcface:w600k_mbf_int8")
    assert op is not None and 0.2 < op.threshold < 0.8 and "tune seed" in op.source
    assert cctv_operating_point("dlib_resnet_v1") is None


def test_detection_input_is_a_third_of_the_frame_in_multiples_of_32():
    assert detection_input((1920, 1080)) == (640, 384)
    assert detection_input((1280, 720), scale=1.0) == (1280, 736)
    with pytest.raises(ValueError, match="scale >= 1"):
        detection_input((1920, 1080), scale=0.5)


def _q(value_ipd):
    return FaceQuality(value_ipd, 0.0, 0.0, 200.0, 0.9)


def test_a_track_embeds_only_faces_that_improve_it_and_not_too_often():
    tf = TrackFaces(1, AggregationConfig(k=2, embed_interval_s=0.3))
    assert tf.wants_face(_q(30), 0.0)
    tf.add(TrackFace(0.0, _q(30), np.ones(4, np.float32) / 2))
    assert not tf.wants_face(_q(50), 0.1)  # too soon after the last embedding
    assert tf.wants_face(_q(20), 0.4)  # fewer than k faces kept
    tf.add(TrackFace(0.4, _q(20), np.ones(4, np.float32) / 2))
    assert not tf.wants_face(_q(15), 0.8)  # would not join the best k
    assert tf.wants_face(_q(25), 0.8)


def test_faces_turned_beyond_35_degrees_are_gated_as_profile():
    gate = QualityGate()
    assert gate.check(FaceQuality(50, 36.0, 0.0, 200.0, 0.9)) == "profile"
    assert gate.check(FaceQuality(50, -34.0, 0.0, 200.0, 0.9)) == ""


def test_body_box_from_a_face_box_follows_the_measured_proportions():
    from pipeline.cctv.persons import body_boxes_from_faces

    body = body_boxes_from_faces(np.array([[100.0, 100.0, 140.0, 150.0]]), (1920, 1080))[0]
    # 3.5 face widths wide, 9.5 face heights tall, its top half a face height above the face
    assert np.allclose(body, [50.0, 75.0, 190.0, 550.0])
    clipped = body_boxes_from_faces(np.array([[0.0, 900.0, 40.0, 950.0]]), (1920, 1080))[0]
    assert clipped[0] == 0 and clipped[3] == 1079


def test_tracker_comparison_scores_every_tracker_on_the_same_boxes():
    import pandas as pd

    from experiments.cctv_tracker_compare import compare

    dets = []
    for k in range(20):  # two people walking apart, each a clean detection every frame
        x = 100.0 + 10 * k
        boxes = np.array([[x, 100, x + 100, 400], [900 - x, 100, 1000 - x, 400]], float)
        truth = pd.DataFrame({"traveler_id": [1, 2], "x1": boxes[:, 0], "y1": boxes[:, 1],
                              "x2": boxes[:, 2], "y2": boxes[:, 3],
                              "face_x1": [x + 30, np.nan]})
        dets.append((k / 10.0, boxes, truth))
    table = compare({"cam": dets}, 10.0, {})
    bt = table[(table.tracker == "bytetrack") & (table.ground_truth == "everyone in view")]
    assert set(table.tracker) == {"bytetrack", "ocsort"}  # floor needs a camera model
    assert bt["IDF1"].iloc[0] > 0.9 and bt["ID_switches"].iloc[0] == 0
    faces = table[(table.tracker == "bytetrack") & (table.ground_truth == "showing a face")]
    assert faces["gt_ids"].iloc[0] == 1
