"""experiments.cctv_segment_tune failures: a failed mated search is sorted by what its track's
faces up to the search show, and held-out runs are refused unless asked for a report."""

import pandas as pd
import pytest

from experiments.cctv_segment_tune import search_kinds
from outputs.run import write_run


def _run(tmp_path, seed):
    # two people side by side in one frame; track 1's faces: person 7 (t=1), then person 8 (t=2)
    truth = pd.DataFrame([("cam", t, tid, x, 0.0, x + 100, 300.0, x + 30, 40.0, 0.0)
                          for t in (1.0, 2.0) for tid, x in ((7, 0.0), (8, 200.0))],
                         columns=["camera", "frame", "id", "x1", "y1", "x2", "y2", "face_x1",
                                  "ipd_px", "occluded"])
    faces = pd.DataFrame([("cam", 1.0, 1, 30.0, 10.0, 70.0, 60.0, 40.0, float("nan")),
                          ("cam", 2.0, 1, 230.0, 10.0, 270.0, 60.0, 40.0, 0.3),
                          ("cam", 1.0, 2, 230.0, 10.0, 270.0, 60.0, 40.0, float("nan"))],
                         columns=["camera", "frame", "track_id", "x1", "y1", "x2", "y2",
                                  "ipd_px", "agreement"])
    st = pd.DataFrame({"camera": "cam", "track_id": [1, 1, 2], "t": [1.0, 2.0, 1.0],
                       "first_face_t": 1.0, "search": [1, 2, 1], "best_ipd_px": 40.0,
                       "ipd_band": "40-60", "traveler_id": [7, 7, 7], "mated": True,
                       "mate_rank": [1, 0, 0], "claimed_traveler": [7, 8, 8]})
    return write_run(tmp_path / f"run{seed}", {"cctv_faces": faces, "cctv_truth": truth,
                                                "cctv_search_truth": st}, {"seed": seed}, "{}")


def test_a_failed_search_is_sorted_by_what_its_faces_show(tmp_path):
    k = search_kinds(_run(tmp_path, 1)).set_index(["track_id", "search"])
    assert k.loc[(1, 1), "kind"] == "clean_then_change" and k.loc[(1, 1), "ok"]
    assert k.loc[(1, 2), "kind"] == "mixed" and k.loc[(1, 2), "claimed_in_track"]
    assert k.loc[(2, 1), "kind"] == "other_person" and not k.loc[(2, 1), "ok"]


def test_held_out_runs_are_read_only_for_a_report(tmp_path):
    run = _run(tmp_path, 102)
    with pytest.raises(SystemExit, match="held out"):
        search_kinds(run)
    assert len(search_kinds(run, held_out=True)) == 3
