"""The head detector's edge pass (``HeadDetector(edge_pad=...)``): a second HOG pass on each
side's strip, mirrored past the side, finds a head whose shoulders the frame cuts; the interior
detections stay as they were; a head's mirror image in the border is no person. And the replay
tuner's cached-threshold rule gives the detector's own heads (real rendered pixels: the small
scenario's corridor_near frame, tune seed 1)."""

import numpy as np
import pytest

from experiments.cctv_track_tune import _heads
from pipeline.vision.heads import HeadDetector, edge_windows, merge_edge_heads


@pytest.fixture(scope="module")
def image(small_cctv_scenario, small_cctv_window):
    from sim.feeds import CctvFeed

    return CctvFeed(small_cctv_scenario, "corridor_near", seed=1).render(
        small_cctv_window[0]).image


def _iou(a, b):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_a_head_whose_shoulder_the_left_side_cuts_is_found_only_by_the_edge_pass(image):
    heads, _ = HeadDetector(edge_pad=0).heads(image)
    big = heads[np.argmax(heads[:, 2] - heads[:, 0])]  # the nearest walker
    width = big[2] - big[0]
    assert width > 40
    # cut the frame at the walker's head: the left shoulder is out of the frame
    cut = int(big[0]) + 1
    crop = np.ascontiguousarray(image[:, cut:])
    true = big - [cut, 0, cut, 0]
    inside, _ = HeadDetector(edge_pad=0).heads(crop)
    # the mechanism at the interior's threshold, on a strip wide enough for this 49 px head at
    # 810 rows (the shipped pass: a stricter margin, a 72 px strip for the crowd's small heads)
    both, scores = HeadDetector(edge_adjust=-0.3, edge_strip=128).heads(crop)
    assert not any(_iou(h, true) >= 0.3 for h in inside)  # the interior pass misses it
    assert np.array_equal(both[:len(inside)], inside)  # and its heads are unchanged
    added = both[len(inside):]
    assert any(_iou(h, true) >= 0.3 for h in added)
    assert ((scores > 0) & (scores < 1)).all()


def test_the_edge_pass_adds_nothing_to_an_uncut_frame_and_drops_mirrored_heads(image):
    inside, _ = HeadDetector(edge_pad=0).heads(image)
    both, _ = HeadDetector().heads(image)  # the edge pass is on by default
    assert np.array_equal(both[:len(inside)], inside)
    # a window centred in the mirrored border is a reflection of a head in the frame
    w = 1440
    windows = np.array([[-30.0, 100, 10, 140], [-10.0, 100, 30, 140], [5.0, 100, 45, 140],
                        [1420.0, 100, 1460, 140], [1430.0, 100, 1470, 140]])
    assert edge_windows(windows, w, 0, True).tolist() == [False, True, False, False, False]
    assert edge_windows(windows, w, 8, True).tolist() == [False, True, True, False, False]
    assert edge_windows(windows, w, 0, False).tolist() == [False, False, False, True, False]
    with pytest.raises(ValueError, match="edge_pad"):
        HeadDetector(edge_pad=-1)
    with pytest.raises(ValueError, match="edge_pad > 0"):
        HeadDetector(edge_pad=0).edge_heads(image)


def test_an_edge_head_overlapping_an_interior_one_is_not_added():
    heads, scores = np.array([[0.0, 0, 30, 30]]), np.array([0.9])
    edge, edge_scores = np.array([[2.0, 1, 31, 30], [0.0, 100, 30, 130]]), np.array([0.4, 0.6])
    merged, ms = merge_edge_heads(heads, scores, edge, edge_scores)
    assert merged.tolist() == [[0, 0, 30, 30], [0, 100, 30, 130]] and ms.tolist() == [0.9, 0.6]


def test_replay_of_a_low_threshold_cache_gives_the_detectors_heads(image):
    """collect --adjust -0.7 --edge-pad 48 and replay adjust=-0.3;edge=1 give what the
    shipped detector (adjust -0.3 and the edge pass) gives on the same frame (the replay
    applies no half-window-twin suppression, so the detectors here keep twins too)."""
    crop = np.ascontiguousarray(image[:, 1130:])  # a frame with a head cut on the left
    size = crop.shape[1], crop.shape[0]
    low = HeadDetector(adjust=-0.7, edge_pad=0, twins=False).heads(crop)
    edge = HeadDetector(adjust=-0.7, edge_adjust=-0.7, edge_reach=24).edge_heads(crop)
    cached = {810: (*low, list(range(len(low[0])))),
              "edge": (*edge, list(range(100, 100 + len(edge[0]))))}
    for opts, det in (({"adjust": -0.3}, HeadDetector(adjust=-0.3, edge_pad=0, twins=False)),
                      ({"adjust": -0.3, "edge": 1}, HeadDetector(twins=False)),  # shipped
                      ({"adjust": -0.5, "edge": 1, "edge_adjust": -0.5, "edge_reach": 16},
                       HeadDetector(adjust=-0.5, edge_adjust=-0.5, edge_reach=16,
                                    twins=False))):
        heads, scores, hists = _heads(cached, 810, opts, size)
        want, want_scores = det.heads(crop)
        assert np.allclose(heads, want) and np.allclose(scores, want_scores), opts
        assert len(hists) == len(heads)
    assert len(edge[0])  # the crop has an edge head to merge
