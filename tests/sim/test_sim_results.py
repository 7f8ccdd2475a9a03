"""`airtwin run` writes a complete run folder atomically (through :mod:`outputs.run`); load_run
reads it back or says why not; scenario.json loads as written."""

import json
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from airtwin.cli import app
from outputs.header import airtwin_version
from outputs.run import RunFolderError, load_run
from sim.kpi import HEADLINE
from sim.loader import load_scenario, parse_scenario
from sim.records import COLUMNS
from sim.replications import replication_seeds, run_replications
from sim.results import save_run, write_scenario_run

runner = CliRunner()


def test_run_command_writes_a_reloadable_folder(tmp_path, repo_root):
    out = tmp_path / "run1"
    result = runner.invoke(app, ["run", str(repo_root / "scenarios/icn_t1_arrivals_peak.yaml"),
                                 "-n", "2", "--horizon", "2400", "--seed", "9",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "desk_wait_p95_s" in result.output and "run folder" in result.output
    run = load_run(out)
    s = run.summary
    assert (s["format"], s["kind"], s["airtwin_version"]) == (1, "run", airtwin_version())
    assert s["replications"] == 2 and s["seed"] == 9 and s["horizon_s"] == 2400.0
    assert s["replication_seeds"] == replication_seeds(9, 2)
    assert s["scenario"]["name"] == "icn_t1_arrivals_peak" and len(s["scenario"]["sha256"]) == 64
    assert set(HEADLINE) == set(s["headline"])
    h = s["headline"]["desk_wait_p95_s"]
    assert h["ci_low"] <= h["mean"] <= h["ci_high"] and h["n"] == 2
    for name, cols in COLUMNS.items():
        df = run[name]
        assert list(df.columns) == ["replication", *cols]
        assert set(df["replication"]) <= {0, 1}
    assert set(run["travelers"]["replication"]) == {0, 1}
    assert {"kpi_waits", "kpi_space", "kpi_summary", "kpi_headline"} <= set(run.tables)
    assert len(run["kpi_headline"]) == 2
    scen = parse_scenario(run.scenario, "scenario.json")
    assert scen.horizon_s == 2400.0
    html = (out / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "plotly" in html and "Queue waits" in html
    assert not re.search(r"<script[^>]*\bsrc=", html) and len(html) > 1_000_000  # inlined js
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp leftovers


def test_scenario_json_loads_as_written_with_a_csv_schedule(tmp_path):
    from tiny_scenarios import tiny_data

    data = tiny_data()
    flights = data["flights"]
    (tmp_path / "schedule.csv").write_text(
        "id,time_s,passengers,gate\nCSV1,120,5," + flights["schedule"][0]["gate"] + "\n")
    flights["schedule_csv"] = "schedule.csv"
    (tmp_path / "tiny.yaml").write_text(json.dumps(data))
    s = load_scenario(tmp_path / "tiny.yaml")
    out = write_scenario_run(tmp_path / "r", s, {}, {"seed": 1}, "tiny.yaml")
    run = load_run(out)
    again = parse_scenario(run.scenario, "scenario.json", base_dir=tmp_path / "elsewhere")
    assert [f.id for f in again.flights.schedule] == [f.id for f in s.flights.schedule]
    assert run.summary["scenario"]["name"] == "tiny" and run.summary["seed"] == 1


def test_same_seed_same_headline(tiny):
    a = run_replications(tiny(), 2, seed=3)
    b = run_replications(tiny(), 2, seed=3)
    pd.testing.assert_frame_equal(a.per_replication, b.per_replication)
    assert a.seeds == b.seeds and len(set(a.seeds)) == 2


def test_rewrite_replaces_the_folder_whole(tmp_path, tiny):
    out = tmp_path / "r"
    save_run(run_replications(tiny(), 1), out, report=False)
    (out / "stale.txt").write_text("old")
    save_run(run_replications(tiny(), 2), out, report=False)
    assert not (out / "stale.txt").exists()
    assert load_run(out).summary["replications"] == 2


def test_verifier_factory_and_extra_tables(tiny):
    from sim.verifier import GateDecision, GateOutcome

    calls = []

    class Rejecting:
        def __init__(self, seed):
            self.seed, self.rows = seed, []

        def verify(self, traveler, capture_time):
            self.rows.append((traveler.id, capture_time, self.seed))
            return GateDecision(GateOutcome.rejected, 1.0, 0.12)

        def frames(self):
            return {"recognition": pd.DataFrame(self.rows, columns=["traveler_id", "t", "seed"])}

    def factory(scenario, rng, identity_seed):
        calls.append(identity_seed)
        return Rejecting(identity_seed)

    res = run_replications(tiny(), 2, seed=5, verifier_factory=factory)
    assert calls == replication_seeds(5, 2)
    rec = res.tables["recognition"]
    assert list(rec.columns) == ["replication", "traveler_id", "t", "seed"]
    assert len(rec) == 4 and set(rec["seed"]) == set(calls)
    assert (res.tables["egate_transactions"]["outcome"] == "reject").all()
    assert (res.tables["travelers"]["route"] == "egate_referred").all()


def test_load_run_errors(tmp_path, tiny):
    with pytest.raises(RunFolderError, match="run folder not found"):
        load_run(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunFolderError, match=r"summary.json: missing"):
        load_run(tmp_path / "empty")
    out = save_run(run_replications(tiny(), 1), tmp_path / "ok", report=False)
    (out / "visits.parquet").unlink()
    with pytest.raises(RunFolderError, match=r"visits.parquet: table 'visits' listed in "
                                             r"summary.json is missing"):
        load_run(out)
    assert len(load_run(out, tables=["travelers"])["travelers"]) == 2
    with pytest.raises(RunFolderError, match=r"no table 'nope'"):
        load_run(out, tables=["nope"])
    (out / "travelers.parquet").write_text("not parquet")
    with pytest.raises(RunFolderError, match="not a readable Parquet file"):
        load_run(out, tables=["travelers"])
    (out / "summary.json").write_text("{")
    with pytest.raises(RunFolderError, match="not valid JSON"):
        load_run(out)
    (out / "summary.json").write_text(json.dumps({"format": 99, "tables": {}}))
    with pytest.raises(RunFolderError, match="format 99 is not the supported format 1"):
        load_run(out)


def test_run_command_errors(tmp_path, repo_root):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    result = runner.invoke(app, ["run", str(bad), "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "not valid YAML" in result.output
    result = runner.invoke(app, ["run", str(repo_root / "scenarios/regional_airport.yaml"),
                                 "--horizon", "-5", "--out", str(tmp_path / "y")])
    assert result.exit_code == 2 and "horizon must be > 0" in result.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_live_mode_builds_the_pipeline_factory(tmp_path, monkeypatch):
    import sys
    import types

    from tiny_scenarios import tiny_data

    scen = tmp_path / "live.yaml"
    scen.write_text(json.dumps(tiny_data(immigration__recognizer__mode="live")))
    seen = {}

    def live_verifier_factory(scenario, backend, model_dir):
        from sim.verifier import ProfileVerifier

        seen.update(name=scenario.name, backend=backend, model_dir=model_dir)
        return lambda s, rng, seed: ProfileVerifier(s.immigration.recognizer.profile, rng)

    fake = types.ModuleType("experiments.live_egate")
    fake.live_verifier_factory = live_verifier_factory
    monkeypatch.setitem(sys.modules, "experiments.live_egate", fake)
    result = runner.invoke(app, ["run", str(scen), "-n", "1", "--backend", "insightface",
                                 "--model-dir", str(tmp_path), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert seen == {"name": "tiny", "backend": "insightface", "model_dir": str(tmp_path)}
    assert load_run(tmp_path / "r").summary["recognizer_mode"] == "live"

    monkeypatch.setitem(sys.modules, "experiments.live_egate", None)  # import fails
    result = runner.invoke(app, ["run", str(scen), "--out", str(tmp_path / "r2")])
    assert result.exit_code == 2
    assert "mode is 'live' but the live recognizer cannot be imported" in result.output
