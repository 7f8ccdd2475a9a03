"""The head detector drops half-window twins (:func:`pipeline.vision.heads.half_window_twins`,
``HeadDetector(twins=True)``, on by default): dlib's suppression keeps a window one half-window
step from a head it found, one person then has two heads, two boxes and two tracks trading the
person; of two equal-size heads half a head width apart only the higher-scored stays."""

import numpy as np

from pipeline.vision.heads import HeadDetector, half_window_twins, shoulder_boxes_from_heads


def test_the_lower_scored_of_two_heads_half_a_window_apart_is_dropped():
    heads = np.array([[100.0, 100, 140, 140],   # a head
                      [120.0, 100, 160, 140],   # its twin half a width right, scored higher
                      [100.0, 120, 140, 160],   # a twin half a width below
                      [300.0, 100, 340, 140],   # a neighbour seven widths away
                      [100.0, 300, 160, 360],   # a head 1.5 x larger
                      [130.0, 300, 175, 345]])  # near it, half its width away, not its size
    scores = np.array([0.6, 0.9, 0.5, 0.5, 0.7, 0.6])
    # 1 (0.9) drops its twin 0; 0, dropped, drops nothing, so 2 (0.7 widths from 1) stays
    assert half_window_twins(heads, scores).tolist() == [False, True, True, True, True, True]
    # without 1, the head 0 drops both its twins' lower-scored... 0 (0.6) drops 2 (0.5)
    rest = half_window_twins(heads[[0, 2, 3]], scores[[0, 2, 3]])
    assert rest.tolist() == [True, False, True]


def test_heads_at_other_offsets_or_sizes_are_kept():
    a = np.array([100.0, 100, 140, 140])
    for dx in (0.3, 0.7, 1.0):  # head widths apart: one head, or two people side by side
        heads = np.vstack([a, a + [40 * dx, 0, 40 * dx, 0]])
        assert half_window_twins(heads, np.array([0.9, 0.6])).all(), dx
    assert half_window_twins(a[None], np.array([0.9])).tolist() == [True]
    assert half_window_twins(np.zeros((0, 4)), np.zeros(0)).tolist() == []


def test_the_detector_drops_twins_by_default_and_keeps_them_when_asked(monkeypatch):
    heads = np.array([[100.0, 100, 140, 140], [120.0, 100, 160, 140]])
    margins = np.array([0.2, 0.5])  # the second scores higher

    def run(self, pixels, adjust):
        return shoulder_boxes_from_heads(heads), margins

    monkeypatch.setattr(HeadDetector, "_run", run)
    image = np.zeros((810, 1440, 3), np.uint8)
    got, scores = HeadDetector(edge_pad=0).heads(image)
    assert np.allclose(got, heads[1:]) and len(scores) == 1
    both, _ = HeadDetector(edge_pad=0, twins=False).heads(image)
    assert np.allclose(both, heads)
