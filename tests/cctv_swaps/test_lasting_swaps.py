"""The replay's swap count (experiments.cctv_swap_tune.lasting_swaps): a track that follows
one person for five frames and then another counts; matching flicker between two does not."""

import pandas as pd

from experiments.cctv_swap_tune import lasting_swaps


def _truth(n):
    rows = []
    for k in range(n):
        rows += [(0.2 * k, 7, 0.0, 0.0, 10.0, 30.0), (0.2 * k, 8, 100.0, 0.0, 110.0, 30.0)]
    return pd.DataFrame(rows, columns=["frame", "id", "x1", "y1", "x2", "y2"])


def _track(xs):
    return pd.DataFrame([(0.2 * k, 1, x, 0.0, x + 10.0, 30.0) for k, x in enumerate(xs)],
                        columns=["frame", "id", "x1", "y1", "x2", "y2"])


def test_a_lasting_swap_counts_and_flicker_does_not():
    assert lasting_swaps(_truth(10), _track([0.0] * 5 + [100.0] * 5)) == 1
    assert lasting_swaps(_truth(10), _track([0.0] * 10)) == 0
    flicker = [0.0] * 5 + [100.0, 0.0, 100.0, 0.0] + [0.0]
    assert lasting_swaps(_truth(10), _track(flicker)) == 0
