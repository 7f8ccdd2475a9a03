"""``airtwin loadtest`` against two real replicas on one PostgreSQL template store: the users are
spread over both, and the GPU plan counts replicas by what each one carried."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pandas as pd
import pytest

from gallery_helpers import SERVE_ENV, TOKEN, serve_args
from loadtests.payloads import PackSpec, build_pack
from loadtests.runner import LoadTestOptions, run_loadtest
from outputs.run import write_run
from pipeline.service.launcher import ServiceProcess

SPEC = PackSpec(identities=2, captures=1, strangers=1, frames_per_camera=0, corrupt=0, seed=5)


def _verify_calls(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith("airtwin_requests_total") and '"/v1/verify"' in line)


def test_loadtest_spreads_over_two_replicas_and_plans_per_replica(tmp_path, secrets_dir,
                                                                  pg_dsn):
    env = {**SERVE_ENV, "AIRTWIN_STORE_DSN": pg_dsn,
           "AIRTWIN_CALIBRATION_DIR": str(tmp_path / "no-calibration")}
    replicas = [ServiceProcess(serve_args(secrets_dir, tmp_path / f"audit-{i}.jsonl"), env=env)
                for i in range(2)]
    t = np.linspace(0, 3599, 720)  # a sim run's hour of e-gate transactions: 0.2/s
    tx = pd.DataFrame({"replication": 0, "traveler_id": np.arange(720), "bank": "egates",
                       "gate": 0, "t": t, "duration_s": 12.0, "recognizer_s": 0.3,
                       "outcome": "pass", "score": np.nan})
    run = write_run(tmp_path / "run", {"egate_transactions": tx},
                    {"replications": 1, "horizon_s": 3600.0},
                    json.dumps({"name": "hand", "horizon_s": 3600.0, "cameras": [],
                                "watchlist": {}}))
    try:
        for r in replicas:
            r.start()
        out = run_loadtest(LoadTestOptions(
            shape="sweep", host=",".join(r.url for r in replicas), out=tmp_path / "lt",
            users=(2,), duration_s=8.0, mix={"verify": 1.0}, run=run, token=TOKEN,
            pack=build_pack(tmp_path / "pack", SPEC), pack_spec=SPEC, slo_ms=120_000.0,
            timeout_s=60.0, settle_s=0.5, min_step_requests=2), say=lambda m: None)
        calls = [_verify_calls(r.url) for r in replicas]
    finally:
        for r in replicas:
            r.stop()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["replicas"] == 2 and summary["totals"]["failures"] == 0
    assert min(calls) >= 2, calls  # both replicas carried load (round robin over the users)
    gpu = json.loads((out / "gpu_plan.json").read_text())
    assert gpu["capacity_rps"] == pytest.approx(summary["capacity"]["capacity_rps"] / 2)
    assert "2 replicas measured together" in gpu["measured_on"]
