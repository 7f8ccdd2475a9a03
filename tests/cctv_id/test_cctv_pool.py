"""Pooling evaluated CCTV runs (``evaluate-tracking RUN... --pool OUT``): one FPIR threshold over
all runs' non-mated searches, tracking per camera over the runs, refusal of runs whose scores are
not on one scale, all on hand-built run folders."""

import json

import numpy as np
import pandas as pd
import pytest

from experiments.cctv_pool import main, pool_runs, targets_rows, write_pooled
from outputs.run import RunFolderError, write_run

META = {"source_name": "hall", "policy": "manifest", "backend": "dlib", "embedder": "resnet",
        "threshold": 0.5, "persons": "heads", "tracker": "bytetrack"}


def searches(nonmated_scores, mated_ranks, ipd=30.0):
    rows = [dict(camera="c1", traveler_id=i, mated=False, mate_rank=np.nan, mate_score=np.nan, top_score=s,
                 best_ipd_px=ipd, ipd_band="20-40", skin_tone="I-II", age_band="18-29",
                 sex_presentation="female", consent=True)
            for i, s in enumerate(nonmated_scores)]
    rows += [dict(camera="c2", traveler_id=100 + i, mated=True, mate_rank=r, mate_score=0.9, top_score=0.9,
                  best_ipd_px=ipd, ipd_band="20-40", skin_tone="V-VI", age_band="30-44",
                  sex_presentation="male", consent=True)
             for i, r in enumerate(mated_ranks)]
    return pd.DataFrame(rows)


def make_run(path, seed, nonmated, ranks, idf1, meta=META):
    tables = {"cctv_search_truth": searches(nonmated, ranks),
              "cctv_tracking": pd.DataFrame({"camera": ["c1", "c2"], "HOTA": [0.6, 0.5],
                                             "IDF1": idf1, "MOTA": [0.7, 0.7],
                                             "ID_switches": [3, 4]}),
              "cctv_cross_camera": pd.DataFrame({"IDF1": [0.75], "IDP": [0.8], "IDR": [0.7],
                                                 "gt_ids": [5], "journeys": [6]}),
              "cctv_false_ids": pd.DataFrame({"false_identifications": [1], "run_hours": [0.5]}),
              "cctv_realtime": pd.DataFrame({"camera": ["c1", "c2"],
                                             "realtime_factor": [0.5, 0.2 * seed]})}
    return write_run(path, tables, {"seed": seed, "cctv": meta}, "{}")


def test_one_threshold_over_every_runs_nonmated_searches(tmp_path):
    a = make_run(tmp_path / "a", 1, [0.1, 0.2], [1, 1, 2], [0.85, 0.7])
    b = make_run(tmp_path / "b", 2, [0.3, 0.95], [1, 3], [0.81, 0.79])
    tables, sec, text = pool_runs([a, b])
    ident = tables["cctv_pooled_identification"]
    every = ident[ident["by"] == "all"].iloc[0]
    assert (every["n_mated"], every["n_nonmated"]) == (5, 4)
    # the 0.95 non-mated score of run b sets the threshold for run a's rows as well
    per_run = ident[ident["by"] == "run"].set_index("run")
    assert per_run.loc["a", "threshold_fpir_1e-2"] == per_run.loc["b", "threshold_fpir_1e-2"] > 0.95
    assert per_run.loc["a", "rank1"] == pytest.approx(2 / 3)
    assert sec["rank1"] == pytest.approx(3 / 5) and sec["seeds"] == [1, 2]
    assert sec["camera_windows_idf1_ge_0.8"] == [2, 4]
    cams = tables["cctv_pooled_tracking_cameras"].set_index("camera")
    assert cams.loc["c1", "windows_meeting"] == 2 and cams.loc["c2", "windows_meeting"] == 0
    assert cams.loc["c2", "ID_switches"] == 8
    assert sec["false_identifications"] == 2 and sec["false_ids_per_hour"] == pytest.approx(2.0)
    assert "these runs hold between them 4" in text  # fewer than 1,000 non-mated searches is said


def test_written_atomically_with_report_and_summary(tmp_path):
    a = make_run(tmp_path / "a", 1, [0.1], [1], [0.9, 0.9])
    b = make_run(tmp_path / "b", 2, [0.2], [1], [0.9, 0.9])
    path, _ = write_pooled([a, b], tmp_path / "pool")
    summary = json.loads((path / "summary.json").read_text())
    assert summary["cctv_pool"]["runs"] == [str(a), str(b)]
    assert "cctv_pooled_identification" in summary["tables"]
    assert (path / "cctv_pooled_report.md").read_text().startswith("# CCTV identification pooled")


@pytest.mark.parametrize("field, value", [("threshold", 0.6), ("policy", "watchlist"),
                                          ("backend", "insightface")])
def test_runs_on_another_scale_are_refused_by_name(tmp_path, field, value):
    a = make_run(tmp_path / "a", 1, [0.1], [1], [0.9, 0.9])
    b = make_run(tmp_path / "b", 2, [0.2], [1], [0.9, 0.9], meta={**META, field: value})
    with pytest.raises(RunFolderError, match=rf"b: cctv.{field} is {value!r}"):
        write_pooled([a, b], tmp_path / "pool")
    assert not (tmp_path / "pool").exists()


def test_a_run_not_yet_evaluated_is_named(tmp_path):
    a = make_run(tmp_path / "a", 1, [0.1], [1], [0.9, 0.9])
    raw = write_run(tmp_path / "raw", {"cctv_tracks": pd.DataFrame({"x": [1]})},
                    {"cctv": META}, "{}")
    with pytest.raises(RunFolderError, match="raw: not evaluated .*evaluate-tracking"):
        pool_runs([a, raw])


def test_targets_table_pools_tune_and_test_apart(tmp_path, capsys):
    a = make_run(tmp_path / "a", 1, [0.1], [1, 2], [0.9, 0.7])
    b = make_run(tmp_path / "b", 2, [0.2], [1], [0.85, 0.9])
    rows = {r["measure"]: r for r in targets_rows([a, b], "test")}
    assert rows["rank-1, IPD 20-40"]["value"] == pytest.approx(2 / 3)
    assert rows["rank-1, IPD 20-40"]["n"] == 3 and rows["rank-1, IPD >= 40"]["n"] == 0
    assert rows["seed 1: per-camera IDF1 min / mean"]["value"] == "0.700 / 0.800"
    assert rows["real-time factor c2 (worst seed)"]["value"] == pytest.approx(0.4)
    main(["--tune", str(a), "--test", str(b)])
    out = capsys.readouterr().out
    assert "| tune | rank-1, IPD >= 40 |" in out and "| test | seed 2: cross-camera IDF1" in out
