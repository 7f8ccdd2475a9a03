"""Stitching's minimum fragment length (``StitchConfig.min_rows``): a fragment of fewer rows is
joined to nothing, either end; 0 (the default) joins any. Fails on ec71cee (no ``min_rows``)."""

import numpy as np
import pandas as pd

from pipeline.cctv.stitch import StitchConfig, stitch, stitch_links

STEP = 0.2
RED = np.zeros((12, 4), np.float32)
RED[0, 3] = 1.0


def _walk(tid, t0, t1, x0, speed=10.0):
    t = np.round(np.arange(t0, t1 + 1e-9, STEP), 6)
    x = x0 + speed * (t - t0)
    return pd.DataFrame({"camera": "a", "frame": t, "id": tid, "x1": x, "y1": 100.0,
                         "x2": x + 40.0, "y2": 240.0})


def test_a_short_fragment_is_joined_to_nothing():
    # a 21-row walker, a 3-row fragment 2 s later, a 21-row one 2 s after that
    tracks = pd.concat([_walk(1, 0.0, 4.0, 100.0), _walk(2, 6.0, 6.4, 160.0),
                        _walk(3, 8.4, 12.4, 184.0)])
    looks = {1: RED, 2: RED, 3: RED}
    assert stitch_links(tracks, StitchConfig(), looks)[["id", "next"]].values.tolist() == \
        [[1, 2], [2, 3]]
    links = stitch_links(tracks, StitchConfig(min_rows=5), looks)
    assert links[["id", "next"]].values.tolist() == [[1, 3]]  # the short one skipped
    out = stitch(tracks, StitchConfig(min_rows=5), looks={("a", i): RED for i in (1, 2, 3)})
    assert out.groupby("id")["stitched_id"].first().to_dict() == {1: 1, 2: 2, 3: 1}
    assert StitchConfig().min_rows == 0
