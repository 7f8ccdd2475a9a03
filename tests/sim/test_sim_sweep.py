"""Sweeps: grid building, clear errors, resume without redoing finished points, the Dask CLI."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from sim.loader import parse_scenario
from outputs.run import load_run
from sim.sweep import SweepError, check, parse_set, run_sweep, set_path

from tiny_scenarios import tiny_data


@pytest.fixture
def base():
    return parse_scenario(tiny_data(flights__schedule__0__passengers=20), "tiny.yaml")


def test_parse_set_reads_yaml_values():
    assert parse_set("immigration.egate_banks.0.count=1,2, 3") == (
        "immigration.egate_banks.0.count", [1, 2, 3])
    assert parse_set("customs.inspection_rate=0.1,0.25")[1] == [0.1, 0.25]
    with pytest.raises(SweepError, match=r"expected PATH=V1,V2"):
        parse_set("customs.officers")


def test_set_path_names_what_is_wrong():
    data = {"a": [{"b": 1}]}
    assert set_path(data, "a.0.b", 5) == {"a": [{"b": 5}]} and data == {"a": [{"b": 1}]}
    with pytest.raises(SweepError, match=r"a is a list of 1, no item '3'"):
        set_path(data, "a.3.b", 5)
    with pytest.raises(SweepError, match=r"a.0 has no field 'c' \(has: b\)"):
        set_path(data, "a.0.c", 5)
    with pytest.raises(SweepError, match=r"a.0.b is a value \(1\)"):
        set_path(data, "a.0.b.c", 5)


def test_bad_value_names_path_and_value(base):
    with pytest.raises(SweepError, match=r"--set immigration.desks.0.count=-1: the scenario "
                                         r"rejects this point:\ntiny.yaml: immigration.desks\[0\]"
                                         r".count: must be >= 0, got -1"):
        check(base, [("immigration.desks.0.count", [1, -1])], 1, 0, "tiny.yaml")
    with pytest.raises(SweepError, match=r"no field 'egates'"):
        check(base, [("immigration.egates.0.count", [1])], 1, 0)


def test_sweep_resumes_without_redoing_finished_points(base, tmp_path):
    sets = [("immigration.desks.0.count", [1, 2]), ("travelers.consent_rate", [0.0, 1.0])]
    events = []
    table = run_sweep(base, sets, 2, tmp_path, progress=lambda e, d, t: events.append((e, d, t)))
    assert events[0] == ("start", 0, 4) and events[-1] == ("task", 8, 8)
    assert len(table) == 4 and table["point"].is_unique
    assert table[["immigration.desks.0.count", "travelers.consent_rate"]].values.tolist() == [
        [1, 0.0], [1, 1.0], [2, 0.0], [2, 1.0]]
    # Nobody consents: no e-gate use, so the e-gate wait is undefined and desks work harder.
    no_consent = table[table["travelers.consent_rate"] == 0.0]
    assert no_consent["egate_wait_p95_s"].isna().all()
    assert (table.groupby("immigration.desks.0.count")["desk_wait_p95_s"].max().diff().dropna()
            <= 0).all()
    saved = pd.read_parquet(tmp_path / "comparison.parquet")
    pd.testing.assert_frame_equal(saved, table)
    assert len(pd.read_csv(tmp_path / "comparison.csv")) == 4
    first = load_run(tmp_path / "points" / table["point"][0])
    assert first.summary["point"]["assignments"] == {"immigration.desks.0.count": 1,
                                                     "travelers.consent_rate": 0.0}
    assert len(first["kpi_headline"]) == 2

    # Interrupted: one point lost. A rerun with one more value does only the missing work.
    import shutil
    shutil.rmtree(tmp_path / "points" / table["point"][3])
    events.clear()
    sets[0] = ("immigration.desks.0.count", [1, 2, 3])
    again = run_sweep(base, sets, 2, tmp_path, progress=lambda e, d, t: events.append((e, d, t)))
    assert events[0] == ("start", 3, 6) and events[-1] == ("task", 6, 6)  # 3 points × 2 reps
    pd.testing.assert_frame_equal(again.iloc[[0, 1, 2]].reset_index(drop=True),
                                  table.iloc[[0, 1, 2]].reset_index(drop=True))
    # Another replication count is another point: nothing is reused.
    events.clear()
    run_sweep(base, sets[:1], 1, tmp_path / "other",
              progress=lambda e, d, t: events.append((e, d, t)))
    assert events[0] == ("start", 0, 3)


def test_sweep_cli_on_a_local_dask_cluster(tmp_path):
    scen = tmp_path / "tiny.yaml"
    scen.write_text(json.dumps(tiny_data(flights__schedule__0__passengers=10)))
    out = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "airtwin.cli", "sweep", str(scen), "--set",
           "immigration.desks.0.count=1,2", "-n", "1", "--workers", "1", "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "sweep: 2 points" in done.stdout
    assert len(pd.read_parquet(out / "comparison.parquet")) == 2
    assert "0 of 2 points already finished" in done.stdout
    # A bad value fails before any cluster starts, naming the path and the value.
    bad = subprocess.run(cmd[:6] + ["immigration.desks.0.count=x"] + cmd[7:],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2
    assert "immigration.desks.0.count='x'" in bad.stderr and "integer" in bad.stderr
