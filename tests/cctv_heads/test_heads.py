"""The CCTV head-and-shoulders detector: head ground truth from the renderer, the box geometry,
the shipped model on real rendered pixels (a tune-seed frame of the small scenario), the
person boxes it gives a stream, and clear errors for a missing model."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from airtwin.cli import app
from pipeline.vision.heads import (DEFAULT_MODEL, HeadDetector, HeadModelError,
                                 body_boxes_from_heads, heads_from_shoulder_boxes,
                                 shoulder_boxes_from_heads)
from pipeline.cctv.persons import person_boxes
from sim.cctv.face_view import HEAD_M


@pytest.fixture(scope="module")
def frame(small_cctv_scenario, small_cctv_window):
    from sim.feeds import CctvFeed

    feed = CctvFeed(small_cctv_scenario, "corridor_near", seed=1)
    return feed.render(small_cctv_window[0]), feed.model


def test_every_drawn_person_has_a_head_box_of_the_true_size(frame):
    f, cam = frame
    df = f.persons_df
    assert len(df) >= 3 and df["head_x1"].notna().all()
    side = df["head_y2"] - df["head_y1"]
    # a HEAD_M square at the figure's scale (the mean of its foot and head-top depths, a few
    # per cent from the head's own depth)
    expected = HEAD_M * cam.focal_px / df["depth_m"]
    inside = (df["head_x1"] > 0) & (df["head_y1"] > 0) & (df["head_x2"] < cam.width)
    assert np.allclose(side[inside], expected[inside], rtol=0.1)
    faces = df[df["face_x1"].notna()]
    assert len(faces) >= 2
    # a face lies inside its own head, and the head's top is the body's top (hair top)
    assert ((faces["face_x1"] >= faces["head_x1"] - 1) & (faces["face_x2"] <= faces["head_x2"] + 1)
            & (faces["face_y1"] >= faces["head_y1"] - 1)
            & (faces["face_y2"] <= faces["head_y2"] + 1)).all()
    assert ((df["head_y1"] - df["y1"]).abs() < 0.25 * side)[inside].all()
    assert df["head_occluded"].between(0, 1).all()


def test_head_and_shoulder_boxes_round_trip_and_imply_a_standing_body():
    heads = np.array([[100.0, 50.0, 130.0, 80.0], [500.0, 10.0, 560.0, 70.0]])
    hs = shoulder_boxes_from_heads(heads)
    assert np.allclose(hs[:, 2] - hs[:, 0], 2 * (heads[:, 2] - heads[:, 0]))
    assert (hs[:, 1] < heads[:, 1]).all() and (hs[:, 3] > heads[:, 3]).all()
    assert np.allclose(heads_from_shoulder_boxes(hs), heads)
    body = body_boxes_from_heads(heads, (1920, 1080))
    assert np.allclose((body[:, 0] + body[:, 2]) / 2, (heads[:, 0] + heads[:, 2]) / 2)
    assert (body[:, 3] - body[:, 1] > 5 * (heads[:, 3] - heads[:, 1])).all()
    edge = body_boxes_from_heads(np.array([[1900.0, 1000.0, 1930.0, 1030.0]]), (1920, 1080))
    assert edge[0, 2] <= 1919 and edge[0, 3] <= 1079


def test_the_shipped_model_is_small_synthetic_and_has_its_provenance():
    assert DEFAULT_MODEL.is_file() and DEFAULT_MODEL.stat().st_size < 1_000_000
    prov = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    import hashlib

    assert prov["sha256"] == hashlib.sha256(DEFAULT_MODEL.read_bytes()).hexdigest()
    assert "synthetic" in prov["data"] and prov["command"].startswith("airtwin train heads")
    assert not set(prov["seeds"]) & {101, 102, 103}  # the held-out seeds were never trained on


def test_the_detector_finds_the_heads_of_a_rendered_frame(frame):
    f, _ = frame
    df = f.persons_df
    det = HeadDetector()
    heads, scores = det.heads(f.image)
    assert len(heads) and ((scores > 0) & (scores < 1)).all()
    visible = df[(df["head_occluded"] < 0.5) & (df["head_x2"] - df["head_x1"] >= 27)]
    assert len(visible) >= 2
    centres = np.column_stack([(heads[:, 0] + heads[:, 2]) / 2, (heads[:, 1] + heads[:, 3]) / 2])
    found = 0
    for r in visible.itertuples():
        side = r.head_x2 - r.head_x1
        d = np.hypot(centres[:, 0] - (r.head_x1 + r.head_x2) / 2,
                     centres[:, 1] - (r.head_y1 + r.head_y2) / 2)
        found += bool((d < 0.5 * side).any())
    assert found >= 0.75 * len(visible)
    assert len(heads) <= len(df) + 2  # few false alarms on an empty corridor floor
    blobs = det.detect(f.image).blobs
    assert len(blobs) == len(heads)
    assert all(b.box[3] - b.box[1] > 5 * (h[3] - h[1]) for b, h in zip(blobs, heads))


def test_a_person_standing_behind_keeps_their_box():
    near = [100.0, 100.0, 200.0, 400.0]    # carries the face
    behind = [120.0, 80.0, 180.0, 300.0]   # head above the near one's, body mostly behind it
    face = np.array([[135.0, 110.0, 165.0, 140.0]])
    dropped = person_boxes(np.array([near, behind]), np.array([0.9, 0.8]), face, (640, 480))
    kept = person_boxes(np.array([near, behind]), np.array([0.9, 0.8]), face, (640, 480),
                        **HeadDetector.person_box_options)
    assert len(dropped.boxes) == 1 and len(kept.boxes) == 2
    assert kept.face_of_box == {0: 0}


def test_a_missing_model_is_named(tmp_path, small_cctv_scenario):
    missing = tmp_path / "no_such_heads.svm"
    with pytest.raises(HeadModelError, match="no_such_heads.svm.*airtwin train heads"):
        HeadDetector(missing).prepare()
    r = CliRunner().invoke(app, ["identify-cctv", str(small_cctv_scenario), "--out",
                                 str(tmp_path / "run"), "--persons", "heads",
                                 "--person-model", str(missing), "--from", "198.5", "--to",
                                 "198.7", "--quiet"])
    assert r.exit_code == 2 and "no_such_heads.svm" in r.output
    assert not (tmp_path / "run").exists()


def test_labels_ignore_hidden_small_and_cut_heads_and_matching_skips_them():
    import pandas as pd

    from experiments.cctv_heads_train import head_labels, match

    p = pd.DataFrame({"head_x1": [100.0, 300.0, 500.0, 0.0, np.nan],
                      "head_y1": [100.0, 100.0, 100.0, 100.0, np.nan],
                      "head_x2": [140.0, 340.0, 510.0, 20.0, np.nan],
                      "head_y2": [140.0, 140.0, 110.0, 140.0, np.nan],
                      "head_occluded": [0.1, 0.7, 0.0, 0.0, np.nan]})
    hs, lab = head_labels(p, 1.0, (1920, 1080))
    # visible; hidden behind nearer people; smaller than the window; cut by the image edge
    assert len(hs) == 4 and lab.tolist() == [True, False, False, False]
    det = np.vstack([hs[0] + 2, hs[1], [900, 900, 960, 960]])
    assert match(det, np.array([0.9, 0.8, 0.7]), hs, lab) == (1, 1, 1)
    assert match(np.zeros((0, 4)), np.zeros(0), hs, lab) == (0, 0, 1)


def test_train_heads_rejects_bad_seeds(tmp_path):
    r = CliRunner().invoke(app, ["train", "heads", "--seeds", "1,x", "--out",
                                 str(tmp_path / "m.svm")])
    assert r.exit_code == 2 and "--seeds" in r.output and not (tmp_path / "m.svm").exists()


def test_bench_cctv_names_a_bad_person_source():
    r = CliRunner().invoke(app, ["bench", "cctv", "--persons", "mog9", "--frames", "1"])
    assert r.exit_code == 2 and "--persons must be faces or heads" in r.output


def test_every_other_frame_reuses_the_last_boxes(frame):
    f, _ = frame
    det = HeadDetector(every=2)
    a, b, c = det.detect(f.image), det.detect(f.image), det.detect(f.image)
    assert len(a.blobs) and b is a and c is not a and c.blobs == a.blobs
    det.reset()
    assert det.detect(f.image) is not a
    with pytest.raises(ValueError, match="every must be >= 1"):
        HeadDetector(every=0)


def test_heads_in_box_finds_a_person_head_on_a_crop_in_frame_pixels(frame):
    # the crop the tailgating rule's head vote runs (issue 12, round 11): around one body box,
    # scaled so the box is CROP_BOX_PX tall, heads given back in the frame's pixels (on this
    # queue the crops find the front one of people overlapping)
    f, _ = frame
    df = f.persons_df
    visible = df[(df["head_occluded"] < 0.5) & (df["head_x2"] - df["head_x1"] >= 15)]
    det = HeadDetector(edge_pad=0)
    found = 0
    for r in visible.itertuples():
        heads, scores = det.heads_in_box(f.image, (r.x1, r.y1, r.x2, r.y2))
        assert heads.shape == (len(scores), 4)
        c = np.column_stack([(heads[:, 0] + heads[:, 2]) / 2, (heads[:, 1] + heads[:, 3]) / 2])
        side = r.head_x2 - r.head_x1
        d = np.hypot(c[:, 0] - (r.head_x1 + r.head_x2) / 2, c[:, 1] - (r.head_y1 + r.head_y2) / 2)
        found += bool(((d < 0.5 * side) & (scores >= 0.5)).any())
    assert found >= 1
    # a box off every person (the frame's top-left corner) gives no confident head
    _, none = det.heads_in_box(f.image, (0.0, 0.0, 40.0, 90.0))
    assert not (none >= 0.9).any()
