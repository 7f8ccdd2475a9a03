"""A cheap far band: the head detector's 1080-row band pass on the frame's top band + margin
rows only (``HeadDetector(band_margin=...)``, :func:`pipeline.vision.heads.band_rows`), or on
every n-th frame (``band_every``); its own cache key in the replay tuner (``collect
--band-rows``, replay ``band_margin``); real rendered pixels where the detector runs."""

import cv2
import numpy as np
import pytest

from experiments.cctv_track_tune import _band, _heads, band_key
from pipeline.vision.heads import (BAND_MARGIN, HeadDetector, _score, band_rows,
                                 heads_from_shoulder_boxes)


@pytest.fixture(scope="module")
def image(small_cctv_scenario, small_cctv_window):
    from sim.feeds import CctvFeed

    return CctvFeed(small_cctv_scenario, "corridor_near", seed=1).render(
        small_cctv_window[0]).image


def test_band_rows_are_the_band_and_its_margin_scaled_to_the_frame():
    assert band_rows(300, 120, 1080) == 420
    assert band_rows(300, 120, 2160) == 840  # a 4K frame: the same share of its rows
    assert band_rows(1000, 120, 1080) == 1080  # never past the frame
    assert band_rows(300, None, 1080) == 1080  # None: the whole frame


def test_the_band_pass_runs_on_the_top_rows_only(image):
    det = HeadDetector(band=300)
    assert det.band_margin == BAND_MARGIN
    shapes, run = [], det._run
    det._run = lambda pixels, adjust: (shapes.append(pixels.shape), run(pixels, adjust))[1]
    heads, scores = det.band_heads(image)
    rows = band_rows(300, BAND_MARGIN, image.shape[0])
    assert shapes == [(rows, image.shape[1], 3)]  # one pass, on the top rows only
    # the pass on the crop, as dlib runs it there (its pyramid levels fall elsewhere than on
    # the whole frame, so the crop's windows are its own: the cache key band_top<rows>)
    boxes, _ = run(cv2.cvtColor(np.ascontiguousarray(image[:rows]), cv2.COLOR_BGR2RGB),
                   det.adjust)
    crop = heads_from_shoulder_boxes(boxes)
    assert len(heads) >= 2 and np.allclose(heads, crop) and len(scores) == len(heads)
    assert (heads[:, 1] < rows).all()


def test_band_every_runs_the_band_on_every_nth_frame_only(image):
    plain, _ = HeadDetector().heads(image)
    every = HeadDetector(band=700, band_every=2)
    far = np.array([[10.0, 10.0, 30.0, 30.0]])  # a head the band's pass finds, no interior one
    calls = []
    every._band_heads = lambda img: (calls.append(1), (far, np.array([0.6])))[1]
    first, _ = every.heads(image)
    second, _ = every.heads(image)
    third, _ = every.heads(image)
    assert len(calls) == 2 and np.allclose(second, plain)
    assert len(first) == len(plain) + 1 and np.allclose(third, first)
    every.reset()
    assert np.allclose(every.heads(image)[0], first)


@pytest.mark.parametrize("kwargs, message", [({"band_margin": -1}, "band_margin must be >= 0"),
                                             ({"band_every": 0}, "band_every must be >= 1")])
def test_bad_band_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HeadDetector(band=300, **kwargs)


def _above(part, adjust):
    heads, scores, hists = part
    keep = scores >= _score(adjust) - 1e-9
    return heads[keep], scores[keep], [h for h, k in zip(hists, keep) if k]


def test_the_replay_takes_the_cropped_pass_of_the_band_and_its_margin():
    h810 = np.array([[100.0, 10.0, 130.0, 40.0]])
    crop = np.array([[300.0, 20.0, 322.0, 42.0]])
    whole = np.array([[500.0, 20.0, 522.0, 42.0]])
    cached = {1080: (whole, _score(np.array([0.2])), ["w"]),
              band_key(160 + BAND_MARGIN): (crop, _score(np.array([0.2])), ["c"])}
    part = (h810, _score(np.array([0.3])), ["x"])
    heads, _, hists = _band(cached, part, {"band": 160}, (1920, 1080), _above)
    assert hists == ["x", "c"]
    heads, _, hists = _band(cached, part, {"band": 160, "band_margin": "whole"}, (1920, 1080),
                            _above)
    assert hists == ["x", "w"]
    with pytest.raises(SystemExit, match="--band-rows 190"):
        _band(cached, part, {"band": 160, "band_margin": 30}, (1920, 1080), _above)


def test_the_replay_merges_the_band_on_every_nth_frame_only():
    cached = {810: (np.array([[100.0, 10.0, 130.0, 40.0]]), _score(np.array([0.3])), ["x"]),
              band_key(160 + BAND_MARGIN): (np.array([[300.0, 20.0, 322.0, 42.0]]),
                                            _score(np.array([0.2])), ["c"])}
    opts = {"band": 160, "band_every": 2}
    assert [_heads(cached, 810, opts, (1920, 1080), k)[2] for k in range(3)] == [
        ["x", "c"], ["x"], ["x", "c"]]


def test_band_cost_times_each_variant_on_each_camera(image):
    from experiments.cctv_speed_check import band_cost, band_variants

    variants = band_variants("0;300:whole;300:120;300:60:2")
    assert variants == {"0": {"band": 0}, "300:whole": {"band": 300, "band_margin": None},
                        "300:120": {"band": 300, "band_margin": 120},
                        "300:60:2": {"band": 300, "band_margin": 60, "band_every": 2}}
    out = band_cost({"corridor_near": image}, variants, repeat=1)
    assert set(out["corridor_near"]) == set(variants)
    assert all(v["median_ms"] > 0 and len(v["ms"]) == 1 for v in out["corridor_near"].values())
