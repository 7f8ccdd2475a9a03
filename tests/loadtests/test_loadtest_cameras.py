"""The camera replay: ``airtwin loadtest --shape cameras`` streams a scenario's face cameras to
the REAL service's ``POST /v1/cctv/frame`` (``airtwin serve --backend dlib --site`` of that
scenario), one Locust user per camera, frames in time order at the camera's fps times the
step's load. A few seconds of load; the figures themselves are measured by ``airtwin loadtest``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from floorplan.site import write_site
from loadtests.payloads import PackSpec
from loadtests.plan import LoadPlan, camera_schedule
from loadtests.runner import LoadTestOptions, run_loadtest
from pipeline.service.launcher import ServiceProcess
from sim.layout import floor_plan
from sim.loader import load_scenario

FRAMES = 3  # per camera in the payload pack


def pack_spec(start_s: float) -> PackSpec:
    return PackSpec(identities=1, captures=1, strangers=0, frames_per_camera=FRAMES, corrupt=0,
                    seed=3, frames_from_s=start_s)


@pytest.fixture(scope="module")
def cctv_service(tmp_path_factory, small_cctv_scenario):
    tmp = tmp_path_factory.mktemp("lt-cctv-service")
    site = write_site(floor_plan(load_scenario(small_cctv_scenario)), tmp / "site.yaml")
    proc = ServiceProcess(["--backend", "dlib", "--audit-log", str(tmp / "audit.jsonl"),
                           "--site", str(site)],
                          env={"AIRTWIN_API_TOKEN": None, "AIRTWIN_TEMPLATE_KEY": None,
                               "AIRTWIN_CALIBRATION_DIR": str(tmp / "no-calibration")})
    proc.start()
    yield proc
    proc.stop()


def test_camera_replay_streams_each_face_camera_in_order(cctv_service, small_cctv_scenario,
                                                         small_cctv_window, tmp_path):
    opts = LoadTestOptions(shape="cameras", host=cctv_service.url, out=tmp_path / "lt",
                           camera_load=(0.1, 0.2), duration_s=6.0, pack=tmp_path / "pack",
                           pack_spec=pack_spec(small_cctv_window[0]),
                           frames_scenario=small_cctv_scenario,
                           slo_ms=120_000.0, timeout_s=60.0, settle_s=0.0, min_step_requests=1)
    out = run_loadtest(opts, say=lambda m: None)
    plan = LoadPlan.read(out / "plan.json")
    log = pd.read_parquet(out / "requests.parquet")
    stats = pd.read_csv(out / "locust" / "locust_stats.csv").set_index("Name")
    summary = json.loads((out / "summary.json").read_text())
    # One face camera at 10 fps: 1 frame/s for 3 s, then 2 frames/s for 3 s, each sent when
    # due by the camera's own user (the schedule is periodic, not Poisson).
    assert plan.shape == "cameras" and plan.cameras == {"corridor_near": 10.0}
    due = camera_schedule(plan, "corridor_near")
    assert len(due) == 9
    assert len(log) == len(due) == stats.loc["/v1/cctv/frame", "Request Count"]
    assert np.allclose(np.sort(log["t_sched"].to_numpy()), due, atol=1e-6)
    assert set(log["endpoint"]) == {"cctv"} and set(log["name"]) == {"/v1/cctv/frame"}
    # Every answer was 200 and the documented body (tracks, faces, searches, latency), so no
    # frame came out of order (that would be 409) and the queue never overflowed (429).
    assert log["ok"].all() and (log["status"] == 200).all(), log[["status", "ok"]]
    assert stats.loc["/v1/cctv/frame", "Failure Count"] == 0
    assert (log["latency_ms"] >= log["service_ms"] - 1e-6).all()
    cams = summary["cameras"]
    assert set(cams) == {"corridor_near"} and cams["corridor_near"]["faces_per_frame"] > 0
    # The replica plan is sized for the scenario's face cameras without a sim run.
    gpu = json.loads((out / "gpu_plan.json").read_text())
    assert gpu["replica_kind"] == "cpu" and gpu["demand_rps"] == {"cctv": 10.0}
    assert gpu["cameras"] == {"corridor_near": 10.0} and gpu["cameras_per_replica"] > 0
    assert gpu["cost_ms"]["cctv"] > 0
    report = (out / "report.md").read_text()
    assert "one replica holds" in report and "face cameras streamed" in report
    # Afterwards the same frames ran through the service's stream in-process, stage by stage.
    stages = pd.read_parquet(out / "cctv_stages.parquet")
    assert len(stages) == FRAMES and set(stages["camera"]) == {"corridor_near"}
    assert (stages["detect_s"] > 0).all() and (stages["t"].diff().dropna() > 0).all()
    # the service tracks people from its head detector (the default), so the profile does too
    assert summary["cctv_stages"]["persons"] == "heads" and (stages["heads_s"] > 0).all()
    parts = stages[[c for c in stages if c.endswith("_s") and c != "frame_s"]].sum(axis=1)
    assert np.allclose(parts, stages["frame_s"], rtol=0.05, atol=1e-3)
    assert summary["cctv_stages"]["backend"] == "dlib" and "where a frame's time goes" in report
