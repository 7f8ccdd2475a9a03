"""The head detector's far band (``HeadDetector(band=...)``): heads high in the frame, at the
back of a hall, are looked for again on the top rows at 1080 (a finer scale than the interior
pass's 810); the interior pass's heads stay as they were and the band adds only heads inside it
that overlap none of them (real rendered pixels: the small scenario's corridor_near frame, tune
seed 1), as the replay tuner merges cached 1080-row heads."""

import numpy as np
import pytest

from experiments.cctv_track_tune import _band
from pipeline.vision.heads import HeadDetector, band_keep


@pytest.fixture(scope="module")
def image(small_cctv_scenario, small_cctv_window):
    from sim.feeds import CctvFeed

    return CctvFeed(small_cctv_scenario, "corridor_near", seed=1).render(
        small_cctv_window[0]).image


def _same(a, b) -> bool:
    return len(a) == len(b) and all(any(np.allclose(x, y, atol=1.0) for y in b) for x in a)


def test_the_band_adds_the_1080_row_heads_of_its_rows_to_the_interior_pass(image):
    band = 700  # rows of this 1080p frame: its walkers' heads are all in it
    plain, _ = HeadDetector().heads(image)
    banded, scores = HeadDetector(band=band, band_margin=None).heads(image)
    # with band_margin None the band's pass is the whole frame's at 1080 rows (the replay
    # merges those cached heads with band_margin=whole)
    full, _ = HeadDetector(height=1080, edge_pad=0, twins=False).heads(image)
    full = full[full[:, 3] <= band]
    assert len(full) >= 2
    own, _ = HeadDetector(band=band, band_margin=None)._band_heads(image)
    assert _same(own[own[:, 3] <= band], full)
    # the interior pass's heads all stay; the band adds heads that end in it and overlap none
    assert all(any(np.allclose(h, b) for b in banded) for h in plain)
    added = np.array([b for b in banded if not any(np.allclose(h, b) for h in plain)])
    assert all(b[3] <= band for b in added)
    assert ((scores > 0) & (scores < 1)).all()


def test_band_keep_adds_heads_in_the_band_that_no_interior_head_overlaps():
    interior = np.array([[100.0, 10.0, 130.0, 40.0]])
    band = np.array([[102.0, 10.0, 132.0, 40.0],  # the interior head again
                     [300.0, 20.0, 322.0, 42.0],  # a new head in the band
                     [500.0, 150.0, 522.0, 172.0]])  # ends below the band
    assert band_keep(band, interior, 160.0).tolist() == [False, True, False]
    assert band_keep(band, np.zeros((0, 4)), 160.0).tolist() == [True, True, False]


def test_a_negative_band_is_refused():
    with pytest.raises(ValueError, match="band must be >= 0"):
        HeadDetector(band=-1)


def test_the_replay_merges_the_cached_band_as_the_detector_does():
    from pipeline.vision.heads import _score

    h810 = np.array([[100.0, 10.0, 130.0, 40.0]])
    h1080 = np.array([[101.0, 10.0, 131.0, 40.0], [300.0, 20.0, 322.0, 42.0],
                      [400.0, 20.0, 420.0, 40.0]])
    cached = {1080: (h1080, _score(np.array([0.1, 0.2, -0.5])), ["a", "b", "c"])}

    def above(part, adjust):
        heads, scores, hists = part
        keep = scores >= _score(adjust) - 1e-9
        return heads[keep], scores[keep], [h for h, k in zip(hists, keep) if k]

    heads, scores, hists = _band(cached, (h810, _score(np.array([0.3])), ["x"]),
                                 {"band": 160, "adjust": -0.3, "band_margin": "whole"},
                                 (1920, 1080), above)
    assert heads.tolist() == [[100.0, 10.0, 130.0, 40.0], [300.0, 20.0, 322.0, 42.0]]
    assert hists == ["x", "b"]
