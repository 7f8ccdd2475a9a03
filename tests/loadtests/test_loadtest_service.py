"""Short headless Locust runs against the REAL service (``airtwin serve --backend dlib`` on a
free loopback port): requests recorded, no failures for valid payloads, deliberately bad ones
counted, the open loop keeps its schedule, the capacity search and the GPU plan find figures.

Latency on this shared CPU is whatever it is: the tests use a loose SLO so the capacity search
has something to find; the figures themselves are measured by ``airtwin loadtest``.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from floorplan.site import write_site
from loadtests.payloads import PackSpec, build_pack
from loadtests.plan import LoadPlan, arrival_schedule
from loadtests.runner import FRAMES_SCENARIO, LoadTestOptions, run_loadtest
from outputs.run import write_run
from pipeline.service.launcher import ServiceProcess
from sim.layout import floor_plan
from sim.loader import load_scenario

TOKEN = "loadtest-token-not-a-secret"
SPEC = PackSpec(identities=2, captures=1, strangers=1, frames_per_camera=0, corrupt=2, seed=5)
LOOSE_SLO_MS = 120_000.0  # the dlib backend on two shared cores: seconds per face under load


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lt-service")
    (tmp / "token").write_text(TOKEN + "\n")
    # The analyze frames are of FRAMES_SCENARIO's cameras: the service watches its site.
    site = write_site(floor_plan(load_scenario(FRAMES_SCENARIO)), tmp / "site.yaml")
    proc = ServiceProcess(["--backend", "dlib", "--token-file", str(tmp / "token"),
                           "--audit-log", str(tmp / "audit.jsonl"), "--site", str(site)],
                          env={"AIRTWIN_API_TOKEN": None, "AIRTWIN_TEMPLATE_KEY": None,
                               "AIRTWIN_CALIBRATION_DIR": str(tmp / "no-calibration")})
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    return build_pack(tmp_path_factory.mktemp("lt-pack") / "pack", SPEC)


@pytest.fixture(scope="module")
def hand_run(tmp_path_factory):
    """A run folder with one hour of e-gate transactions (720 = 0.2/s), no CCTV cameras."""
    t = np.linspace(0, 3599, 720)
    tx = pd.DataFrame({"replication": 0, "traveler_id": np.arange(720), "bank": "egates",
                       "gate": 0, "t": t, "duration_s": 12.0, "recognizer_s": 0.3,
                       "outcome": "pass", "score": np.nan})
    scenario = {"name": "hand", "horizon_s": 3600.0, "cameras": [], "watchlist": {}}
    return write_run(tmp_path_factory.mktemp("lt-run") / "run", {"egate_transactions": tx},
                     {"replications": 1, "horizon_s": 3600.0}, json.dumps(scenario))


def options(service, pack, tmp_path, **kw) -> LoadTestOptions:
    base = dict(host=service.url, out=tmp_path / "lt", token=TOKEN, pack=pack, pack_spec=SPEC,
                slo_ms=LOOSE_SLO_MS, timeout_s=60.0, settle_s=0.5, min_step_requests=2)
    return LoadTestOptions(**{**base, **kw})


def test_sweep_records_requests_counts_bad_ones_and_finds_capacity(service, pack, hand_run,
                                                                   tmp_path):
    out = run_loadtest(options(service, pack, tmp_path, shape="sweep", users=(1, 2),
                               duration_s=10.0, mix={"verify": 0.6, "identify": 0.4},
                               bad_share=0.25, run=hand_run), say=lambda m: None)
    summary = json.loads((out / "summary.json").read_text())
    log = pd.read_parquet(out / "requests.parquet")
    stats = pd.read_csv(out / "locust" / "locust_stats.csv").set_index("Name")
    valid, bad = log[~log["expected_error"]], log[log["expected_error"]]
    assert len(valid) >= 4 and set(valid["endpoint"]) <= {"verify", "identify"}
    # Valid payloads: no failures at all; deliberately bad ones: every one a failure, and a 4xx.
    assert valid["ok"].all() and (valid["status"] == 200).all()
    assert stats.loc["/v1/verify", "Failure Count"] == 0
    assert len(bad) >= 1 and not bad["ok"].any() and bad["status"].between(400, 499).all()
    assert stats.loc["/v1/verify [corrupt jpeg]", "Failure Count"] == len(bad)
    # Locust's statistics and our request log saw the same requests.
    assert stats.loc["Aggregated", "Request Count"] == len(log)
    assert summary["totals"]["failures"] == 0 and summary["totals"]["bad_requests"] == len(bad)
    # Closed loop: every request is sent the moment its user is free.
    assert (log["t_sched"] == log["t_start"]).all()
    cap = summary["capacity"]
    assert cap["capacity_rps"] is not None and cap["capacity_rps"] > 0, cap
    steps = pd.read_parquet(out / "steps.parquet")
    best = steps[(steps["endpoint"] == "all") & (steps["step"] == cap["step"])].iloc[0]
    assert cap["capacity_rps"] == pytest.approx(best["rps"]) and best["passes"]
    gpu = json.loads((out / "gpu_plan.json").read_text())
    assert gpu["demand_rps"]["verify"] == pytest.approx(0.2)
    assert gpu["replicas"] == max(1, math.ceil(gpu["utilisation"] * 1.3 - 1e-9))
    report = (out / "report.md").read_text()
    # a dlib service on this CPU: its replicas are CPU processes, never "GPUs"
    assert gpu["replica_kind"] == "cpu"
    assert "## Capacity" in report and \
        f"replicas needed: {gpu['replicas']} CPU processes" in report and "GPU" not in report
    assert (out / "locust" / "report.html").is_file()


def test_open_loop_sends_on_the_precomputed_schedule(service, pack, tmp_path):
    out = run_loadtest(options(service, pack, tmp_path, shape="poisson", rps=(1.5,),
                               duration_s=6.0, mix={"verify": 1.0}, workers=1, seed=4),
                       say=lambda m: None)
    plan = LoadPlan.read(out / "plan.json")
    log = pd.read_parquet(out / "requests.parquet")
    stats = pd.read_csv(out / "locust" / "locust_stats.csv").set_index("Name")
    due = arrival_schedule(plan).t
    # Through a master and a worker, every arrival of the schedule was sent, at its due time
    # give or take the worker's start: independent of how fast the server answered.
    assert len(log) == len(due) == stats.loc["Aggregated", "Request Count"]
    assert np.allclose(np.sort(log["t_sched"].to_numpy()), due, atol=1e-6)
    assert log["ok"].all() and set(log["node"]) == {"worker-0"}
    # Latency is measured from the due time: never less than the service time.
    assert (log["latency_ms"] >= log["service_ms"] - 1e-6).all()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["mode"] == "open" and summary["totals"]["late_starts"] == log["late"].sum()
    assert "coordinated omission" in (out / "report.md").read_text()


def test_analyze_users_when_the_service_has_the_endpoint(service, tmp_path):
    import httpx

    if "/v1/analyze" not in httpx.get(f"{service.url}/openapi.json").json()["paths"]:
        pytest.skip("this service has no /v1/analyze (pipeline/service/routes_danger.py): the "
                    "analyze users are left out of the mix, as the runner notes")
    spec = PackSpec(identities=1, captures=1, strangers=0, frames_per_camera=3, corrupt=0)
    out = run_loadtest(options(service, tmp_path / "pack", tmp_path, shape="sweep", users=(1,),
                               duration_s=6.0, mix={"analyze": 1.0}, pack_spec=spec),
                       say=lambda m: None)
    log = pd.read_parquet(out / "requests.parquet")
    assert len(log) >= 1 and set(log["endpoint"]) == {"analyze"} and log["ok"].all()


def test_cli_refuses_a_non_loopback_host(tmp_path):
    r = subprocess.run([sys.executable, "-m", "airtwin.cli", "loadtest", "--host",
                        "http://192.0.2.1:8000", "--out", str(tmp_path / "x")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "not a loopback address" in r.stderr
    assert not (tmp_path / "x").exists()
