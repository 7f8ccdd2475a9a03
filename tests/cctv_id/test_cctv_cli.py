"""``airtwin identify-cctv`` / ``evaluate-tracking`` end to end on a tiny composite run (dlib,
two cameras, a few frames): the run folder holds the record and metric tables and a report that
marks the manifest policy; bad input gets a clear error naming it."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

import airtwin.cli  # noqa: F401  (registers every command)
from airtwin.app import app
from pipeline.registry import available_backends

runner = CliRunner()
SCENARIOS = __import__("pathlib").Path(__file__).resolve().parents[2] / "scenarios"

TABLES = {"cctv_tracks", "cctv_truth", "cctv_searches", "cctv_frames", "journeys",
          "cctv_gallery", "cctv_travelers", "cctv_cameras", "cctv_identification",
          "cctv_tracking", "cctv_cross_camera", "cctv_reach", "cctv_false_ids", "cctv_latency",
          "cctv_realtime", "cctv_gallery_size", "cctv_search_truth", "cctv_tracking_filled",
          "cctv_cross_camera_filled"}


@pytest.fixture(scope="module")
def manifest_run(tmp_path_factory):
    if "dlib" not in available_backends():
        pytest.skip("dlib not installed")
    out = tmp_path_factory.mktemp("cctv") / "run"
    r = runner.invoke(app, ["identify-cctv", "--composite", "--out", str(out), "--gallery",
                            "manifest", "--travelers", "5", "--chain", "2", "--seconds", "0.5",
                            "--seed", "1", "--quiet"])
    assert r.exit_code == 0, r.output
    return out, r.output


def test_identify_cctv_writes_tables_and_a_marked_report(manifest_run):
    out, output = manifest_run
    summary = json.loads((out / "summary.json").read_text())
    assert TABLES <= set(summary["tables"]) and summary["reports"] == ["cctv_report.md"]
    assert summary["gallery_policy"] == "manifest" and summary["mass_enrolment_policy"] is True
    assert len(summary["cctv"]["cameras"]) == 2  # --chain 2 (it was shadowed by --cameras)
    report = (out / "cctv_report.md").read_text()
    assert "MASS-ENROLMENT POLICY: `manifest`" in report and "MASS-ENROLMENT" in output
    for section in ("## Identification", "## False identifications as the gallery grows",
                    "## Surveillance reach", "## Tracking", "## Real time"):
        assert section in report
    ident = pd.read_parquet(out / "cctv_identification.parquet")
    assert {"camera", "ipd_band", "skin_tone", "consent"} <= set(ident["by"])
    assert (ident["policy"] == "manifest").all()
    travelers = pd.read_parquet(out / "cctv_travelers.parquet")
    gallery = pd.read_parquet(out / "cctv_gallery.parquet")
    # nobody off the manifest (and off the watchlist) or without consent is enrolled
    enrolled = set(gallery["traveler_id"])
    assert not enrolled & set(travelers.loc[~travelers.on_manifest & ~travelers.watchlist,
                                            "traveler_id"])
    reach = pd.read_parquet(out / "cctv_reach.parquet").set_index(["by", "group"])
    assert reach.loc[("on_manifest", "False"), "identified"] == 0
    assert pd.read_parquet(out / "cctv_realtime.parquet")["fps"].eq(10.0).all()
    # short track gaps filled after the run, flagged, scored beside the tracker's own rows
    assert pd.read_parquet(out / "cctv_tracks.parquet")["filled"].dtype == bool
    assert summary["cctv"]["max_gap_s"] == 1.0
    assert "without and with the rows of tracks' short gaps filled" in report
    assert "rows of short gaps filled" in output


def test_evaluate_tracking_reruns_and_compares_runs(manifest_run):
    out, _ = manifest_run
    r = runner.invoke(app, ["evaluate-tracking", str(out), str(out)])
    assert r.exit_code == 0, r.output
    assert r.output.count("cross-camera IDF1") == 2 and "by gallery policy" in r.output


def test_evaluate_tracking_pools_runs_into_a_new_folder(manifest_run, tmp_path):
    out, _ = manifest_run
    r = runner.invoke(app, ["evaluate-tracking", str(out), str(out), "--pool",
                            str(tmp_path / "pool")])
    assert r.exit_code == 0, r.output
    assert "pooled 2 runs" in r.output
    one = pd.read_parquet(out / "cctv_identification.parquet").query("by == 'all'").iloc[0]
    pooled = pd.read_parquet(tmp_path / "pool" / "cctv_pooled_identification.parquet")
    both = pooled.query("by == 'all'").iloc[0]
    assert both["n_nonmated"] == 2 * one["n_nonmated"] and both["n_mated"] == 2 * one["n_mated"]
    assert (tmp_path / "pool" / "cctv_pooled_report.md").is_file()
    assert "with short gaps filled" in r.output  # both, never only the filled figure
    cams = pd.read_parquet(tmp_path / "pool" / "cctv_pooled_tracking_cameras.parquet")
    assert {"IDF1_mean", "IDF1_mean_filled"} <= set(cams.columns)


def test_identify_cctv_stitch_scores_stitched_tracks_beside_the_own(tmp_path):
    """``--stitch`` (off by default): the tracker's own id stays, the stitched id beside it,
    journeys linked again on the stitched tracks, the report and the command line show both.
    Fails on f8d78be: no --stitch option."""
    if "dlib" not in available_backends():
        pytest.skip("dlib not installed")
    out = tmp_path / "run"
    r = runner.invoke(app, ["identify-cctv", "--composite", "--out", str(out), "--travelers",
                            "5", "--chain", "2", "--seconds", "0.5", "--seed", "1", "--quiet",
                            "--stitch"])
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["cctv"]["stitch"]["max_gap_s"] > 0
    assert {"journeys_stitched", "cctv_tracking_stitched", "cctv_cross_camera_stitched"} <= \
        set(summary["tables"])
    tracks = pd.read_parquet(out / "cctv_tracks.parquet")
    assert {"id", "stitched_id"} <= set(tracks.columns)
    assert "fragments stitched" in r.output
    assert "IDF1 stitched" in (out / "cctv_report.md").read_text()


def test_identify_cctv_does_not_stitch_by_default(manifest_run):
    out, _ = manifest_run
    assert "stitched_id" not in pd.read_parquet(out / "cctv_tracks.parquet").columns
    assert json.loads((out / "summary.json").read_text())["cctv"]["stitch"] is None


@pytest.mark.parametrize("args, needle", [
    (["identify-cctv", "nope.yaml", "--out", "{tmp}/r"], "nope.yaml: scenario not found"),
    (["identify-cctv", "--composite", "--out", "{tmp}/r", "--gallery", "everyone"],
     "gallery policy 'everyone' is unknown"),
    (["identify-cctv", "--composite", "--out", "{tmp}/r", "--backend", "magic"],
     "unknown recognition backend 'magic'"),
    (["identify-cctv", "--out", "{tmp}/r"], "give a SCENARIO or --composite"),
    (["identify-cctv", str(SCENARIOS / "incidents_demo.yaml"), "--out", "{tmp}/r"],
     "no face-capable CCTV camera"),
    (["evaluate-tracking", "{tmp}/missing"], "missing: run folder not found"),
    (["identify-cctv", "--composite", "--out", "{tmp}/r", "--fill-gaps", "-1"], "--fill-gaps"),
    (["identify-cctv", "--composite", "--out", "{tmp}/r", "--persons", "onnx"],
     "--persons onnx needs --person-model"),
    (["identify-cctv", "--composite", "--out", "{tmp}/r", "--persons", "onnx",
      "--person-model", "{tmp}/none.onnx"], "none.onnx: no such file"),
    (["identify-cctv", "--composite", "--out", "{tmp}/r", "--persons", "yolo"],
     "--persons: must be one of faces, mog2, knn, onnx"),
])
def test_bad_input_names_the_problem(tmp_path, args, needle):
    r = runner.invoke(app, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert r.exit_code == 2
    assert needle in r.output
    assert not (tmp_path / "r").exists()


def test_population_without_enough_extras_is_refused(tmp_path):
    if "dlib" not in available_backends():
        pytest.skip("dlib not installed")
    r = runner.invoke(app, ["identify-cctv", "--composite", "--out", str(tmp_path / "r"),
                            "--gallery", "population", "--extra", "10", "--travelers", "2",
                            "--chain", "1", "--seconds", "0.1", "--quiet"])
    assert r.exit_code == 2 and "at least 100,000 extra" in r.output


def test_evaluate_tracking_refuses_a_run_that_is_not_cctv(tmp_path):
    from outputs.run import write_run

    write_run(tmp_path / "sim", {"travelers": pd.DataFrame({"x": [1]})}, {}, "{}")
    r = runner.invoke(app, ["evaluate-tracking", str(tmp_path / "sim")])
    assert r.exit_code == 2 and "not a CCTV identification run" in r.output
