"""A camera load-test folder in the real format (:mod:`outputs.loadtest`) for the engineer page,
made from a seeded request log and stage profile instead of a Locust run (the load tests' own
tests run Locust against the service): one face camera streamed at half and full real time,
the replica plan for five face cameras, and the per-frame stage profile. Every figure the page
shows is computed by the load-test package's own functions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from loadtests import capacity as cap
from loadtests.cctv_stages import COLUMNS, stage_summary
from loadtests.plan import camera_plan, camera_schedule
from loadtests.results import endpoint_summary, prepare_log, step_summary, totals

from dash_loadtest import locust_stats, write_folder

CAMERAS = {f"cam{i}": 10.0 for i in range(5)}  # the demand: five face cameras at 10 fps
SLO_MS, MAX_ERRORS = 500.0, 0.001


def make_camera_loadtest(out: Path, seed: int = 3) -> Path:
    rng = np.random.default_rng(seed)
    plan = camera_plan({"cam0": 10.0}, [0.5, 1.0], 6.0, seed=seed)
    due = camera_schedule(plan, "cam0")
    service = 60.0 * rng.lognormal(0.0, 0.2, len(due))
    log = prepare_log(pd.DataFrame({
        "t_sched": due, "t_start": due, "latency_ms": service, "service_ms": service,
        "name": "/v1/cctv/frame", "endpoint": "cctv", "expected_error": False, "ok": True,
        "status": 200, "node": "local"}), plan)
    steps = step_summary(log, plan, SLO_MS, MAX_ERRORS)
    found = cap.find_capacity(steps, SLO_MS, MAX_ERRORS)
    gpu = cap.plan_replicas(found.capacity_rps, cap.endpoint_costs(log),
                            cap.measured_mix(log, found.step), {"cctv": 50.0}, 0.3,
                            (0.0, 3600.0), measured_on="synthetic log", replica_kind="cpu",
                            cameras=CAMERAS, faces_per_frame=4.0).to_dict()
    frames = pd.DataFrame([("cam0", 900 + 0.1 * k, 4, 1, 0, 0.025, 0.030, 0.002, 0.001, 0.012,
                            0.004, 0.003) for k in range(6)], columns=list(COLUMNS))
    parts = [c for c in COLUMNS if c.endswith("_s") and c != "frame_s"]
    frames["frame_s"] = frames[parts].sum(axis=1)
    summary = {"airtwin_version": "test", "created": "2026-12-05T00:00:00+00:00",
               "shape": plan.shape, "mode": plan.mode, "host": "http://127.0.0.1:9",
               "service": "backend dlib, synthetic log", "duration_s": plan.duration_s,
               "workers": 0, "seed": seed, "run": None, "mix": plan.mix, "slo_ms": SLO_MS,
               "max_error_rate": MAX_ERRORS, "totals": totals(log, plan.duration_s),
               "capacity": found.to_dict(), "notes": [],
               "cameras": {"cam0": {"fps": 10.0, "faces": True, "faces_per_frame": 4.0}},
               "cctv_stages": {"backend": "dlib", "persons": "heads", "frames": len(frames),
                               "stages": stage_summary(frames)}}
    tables = {"endpoints": endpoint_summary(locust_stats(log, plan.duration_s), log),
              "steps": steps, "requests": log, "cctv_stages": frames}
    return write_folder(out, plan, summary, tables, gpu)
