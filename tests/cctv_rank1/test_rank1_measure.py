"""experiments.cctv_rank1: rank-1 at IPD >= 40 px pooled over runs with an exact lower bound,
the measurement's cost, and the held-out seeds refused for the recording run."""

import numpy as np
import pandas as pd
import pytest

from experiments.cctv_rank1 import lower_bound, report, run, run_rows
from outputs.run import write_run


def test_the_lower_bound_says_how_many_clean_searches_call_the_target():
    assert lower_bound(59, 59) >= 0.95 > lower_bound(58, 58)
    assert lower_bound(8, 8) == pytest.approx(0.688, abs=1e-3)  # the held-out figure of stop 33
    assert lower_bound(0, 5) == 0.0


def _run(tmp_path, name, searches):
    """A run whose mated/non-mated searches are (best_ipd_px, mated, mate_rank, track_id)."""
    s = pd.DataFrame(searches, columns=["best_ipd_px", "mated", "mate_rank", "track_id"])
    s["camera"], s["search"] = "corridor_far", 1
    s["ipd_band"] = pd.cut(s["best_ipd_px"], [0, 20, 40, 60, np.inf], right=False,
                           labels=["<20", "20-40", "40-60", ">=60"]).astype(str)
    frames = pd.DataFrame({"camera": "corridor_far", "t": np.arange(600) * 0.2, "cpu_s": 0.1})
    return write_run(tmp_path / name, {"cctv_search_truth": s, "cctv_frames": frames},
                     {"seed": 1, "cctv": {"wall_time_s": 300.0}}, "{}")


def test_rank1_at_40_px_pools_mated_searches_of_that_size_only(tmp_path):
    a = _run(tmp_path, "a", [(45.0, True, 1, 1), (52.0, True, 1, 1), (61.0, True, 2, 2),
                             (39.9, True, 3, 3), (48.0, False, 0, 4)])
    b = _run(tmp_path, "b", [(41.0, True, 1, 5), (18.0, True, 1, 6)])
    row = run_rows(a)
    assert (row["ge40_hits"], row["ge40"], row["ge40_tracks"], row["ge40_nonmated"]) == \
        (2, 3, 2, 1)
    assert row["40-60"] == "2/2" and row[">=60"] == "0/1" and row["20-40"] == "0/1"
    assert row["footage_min"] == pytest.approx(2.0)
    text = report([a, b])
    assert "rank-1 at IPD >= 40 px (the stream's searches): 3 of 4 = 0.750" in text
    # 4 mated searches at >= 40 px over 600 s of run wall time and 120 s of stream CPU
    assert "wall time: 0.40; per CPU minute of the camera stream: 2.00" in text


def test_the_recording_run_refuses_held_out_seeds(tmp_path):
    with pytest.raises(SystemExit, match="held out"):
        run("scenarios/cctv_identification.yaml", 102, (1270, 1280), tmp_path / "r", None)
