"""``cctv_track_tune collect --faces-from``: a cache's faces are reused only for the same seed
and frame times the cache holds; anything else stops with an error naming the file."""

import pickle

import numpy as np
import pytest

from experiments.cctv_track_tune import _reused_faces, _reused_frame


@pytest.fixture()
def cache(tmp_path):
    frames = [{"t": 1330.0 + i / 5, "faces": np.zeros((1, 4)), "face_hist": [None]}
              for i in range(3)]
    with open(tmp_path / "hall_exit.pkl", "wb") as fh:
        pickle.dump({"camera": "hall_exit", "seed": 2, "frames": frames}, fh)
    return tmp_path


def test_the_faces_of_the_same_frame_are_reused(cache):
    reused = _reused_faces(cache, "hall_exit", 2)
    assert _reused_frame(reused, 1, 1330.2, cache, "hall_exit") is reused[1]
    # a window starting later than the cache's finds its frames by time
    assert _reused_frame(reused, 0, 1330.4, cache, "hall_exit") is reused[2]


def test_another_seed_camera_or_window_is_refused(cache):
    with pytest.raises(SystemExit, match="seed 2, not --seed 1"):
        _reused_faces(cache, "hall_exit", 1)
    with pytest.raises(SystemExit, match="no cached camera corridor_far"):
        _reused_faces(cache, "corridor_far", 2)
    reused = _reused_faces(cache, "hall_exit", 2)
    with pytest.raises(SystemExit, match="frame 1 is at t=1330.2, no cached frame at the "
                                         "window's t=1330.3"):
        _reused_frame(reused, 1, 1330.3, cache, "hall_exit")
    with pytest.raises(SystemExit, match="frame 3 is at t=none"):
        _reused_frame(reused, 3, 1330.6, cache, "hall_exit")
