"""A run keeps what the cross-camera linker saw, so the linker can be replayed on it."""

import numpy as np
import pandas as pd
import pytest

from experiments.cctv_run import summaries_of, summary_table
from pipeline.cctv.appearance import HIST_BINS
from pipeline.cctv.journeys import link_journeys
from pipeline.cctv.persons import LibraryTracker
from pipeline.cctv.stream import TrackSummary


def _summary(cam, tid, t_in, identity=None, colour=0):
    h = np.zeros(HIST_BINS, np.float32)
    h[colour, 1] = 1
    return TrackSummary(cam, tid, t_in, t_in + 5, identity, 0.8 if identity else np.nan, False,
                        h, 25)


def test_track_summaries_round_trip_and_link_the_same_journeys():
    s = [_summary("a", 1, 0, "t1"), _summary("a", 2, 1, None, 3), _summary("b", 7, 30, None, 3),
         _summary("b", 8, 31, "t1")]
    back = summaries_of(summary_table(s))
    assert [(x.camera, x.track_id, x.identity) for x in back] == \
        [(x.camera, x.track_id, x.identity) for x in s]
    assert all(np.array_equal(a.histogram, b.histogram) for a, b in zip(s, back))
    centres = {"a": (0.0, 0.0), "b": (30.0, 0.0)}
    pd.testing.assert_frame_equal(link_journeys(back, centres), link_journeys(s, centres),
                                  check_dtype=False)


def test_edge_coasting_needs_the_frame_size():
    with pytest.raises(ValueError, match="frame_size"):
        LibraryTracker(edge_coast=3)
