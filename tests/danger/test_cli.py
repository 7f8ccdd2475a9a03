"""The commands end to end on a short window: a run folder with the alerts as records beside the
sim's tables, scored into a table and a report; clear errors for bad arguments."""

import pandas as pd
from typer.testing import CliRunner

from airtwin.cli import app

runner = CliRunner()


def test_detect_then_evaluate_a_short_window(tmp_path, repo_root):
    out = tmp_path / "run"
    scenario = repo_root / "scenarios" / "incidents_demo.yaml"
    r = runner.invoke(app, ["detect-danger", str(scenario), "--out", str(out), "--camera",
                            "reclaim_cam", "--window", "0:12", "--no-evaluate"])
    assert r.exit_code == 0, r.output
    for table in ("travelers", "visits", "danger_alerts", "danger_truth", "danger_incidents",
                  "danger_coverage"):
        assert (out / f"{table}.parquet").is_file(), table
    cov = pd.read_parquet(out / "danger_coverage.parquet")
    assert cov[["camera", "t_from", "t_to", "frames"]].values.tolist() == [
        ["reclaim_cam", 0.0, 12.0, 60]]
    incidents = pd.read_parquet(out / "danger_incidents.parquet")
    assert len(incidents) == 24 and incidents["near_miss"].sum() == 3
    r = runner.invoke(app, ["evaluate-danger", str(out)])
    assert r.exit_code == 0, r.output
    metrics = pd.read_parquet(out / "danger_metrics.parquet")
    assert set(metrics["kind"]) >= {"overcrowding", "tailgating", "all"}
    assert "Baseline false alarms" in (out / "danger_report.md").read_text()


def test_bad_arguments_are_named(tmp_path, repo_root):
    scenario = repo_root / "scenarios" / "incidents_demo.yaml"
    r = runner.invoke(app, ["detect-danger", str(scenario), "--out", str(tmp_path / "r"),
                            "--camera", "egate_cam"])
    assert r.exit_code == 2 and "egate_cam are not cctv cameras" in r.output
    r = runner.invoke(app, ["detect-danger", str(scenario), "--out", str(tmp_path / "r"),
                            "--window", "10-20"])
    assert r.exit_code == 2 and "expected FROM:TO" in r.output
    r = runner.invoke(app, ["detect-danger", str(scenario), "--out", str(tmp_path / "r"),
                            "--window", "7000:8000"])
    assert r.exit_code == 2 and "must lie inside the run" in r.output
    r = runner.invoke(app, ["evaluate-danger", str(tmp_path / "nothing")])
    assert r.exit_code == 2 and "run folder not found" in r.output


def test_bench_danger_default_scenario_is_in_the_repository():
    # The benchmark's default moved with the module once and pointed outside the repository.
    from experiments.bench_danger import DEFAULT_SCENARIO

    assert DEFAULT_SCENARIO.is_file(), DEFAULT_SCENARIO
