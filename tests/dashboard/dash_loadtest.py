"""A load-test folder in the real format (:mod:`outputs.loadtest`) for the engineer page,
made from a seeded request log instead of a Locust run (the load tests' own tests run Locust).

The log imitates one service replica under a closed-loop sweep: each step's users keep one
server busy, so latency grows with users while throughput levels off; a few deliberately
corrupt payloads are refused with 400, and the busiest step drops some requests (503). Every
figure the page shows is then computed by the load-test package's own functions, and the GPU
plan uses the real peak hour of the sim run the dashboard tests made.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from loadtests import capacity as cap
from loadtests.plan import sweep_plan
from loadtests.replay import peak_hour
from loadtests.report import render_report
from loadtests.results import endpoint_summary, prepare_log, step_summary, totals
from outputs.atomic import staged_folder
from outputs.loadtest import write_loadtest
from outputs.run import load_run

MIX = {"verify": 0.6, "identify": 0.2, "analyze": 0.15, "corrupt": 0.05}
SERVICE_MS = {"verify": 90.0, "identify": 110.0, "analyze": 60.0, "corrupt": 5.0}
USERS = [1, 2, 4, 8]
STEP_S = 8.0
SLO_MS, MAX_ERRORS = 200.0, 0.001


def _request_log(plan, rng: np.random.Generator) -> pd.DataFrame:
    kinds, weights = list(MIX), np.array(list(MIX.values()))
    rows = []
    for i, step in enumerate(plan.steps):
        t = step.start_s
        while t < step.end_s:
            kind = kinds[rng.choice(len(kinds), p=weights / weights.sum())]
            service = SERVICE_MS[kind] * rng.lognormal(0.0, 0.25)
            wait = service * (step.users - 1) * rng.uniform(0.6, 1.0)  # the others ahead
            dropped = step.users == USERS[-1] and kind != "corrupt" and rng.random() < 0.01
            status = 400 if kind == "corrupt" else 503 if dropped else 200
            name = "/v1/verify [corrupt jpeg]" if kind == "corrupt" else f"/v1/{kind}"
            rows.append((t, t, wait + service, wait + service, name, kind, kind == "corrupt",
                         status == 200 or kind == "corrupt", status, "local"))
            t += service / 1000.0
    return pd.DataFrame(rows, columns=["t_sched", "t_start", "latency_ms", "service_ms", "name",
                                       "endpoint", "expected_error", "ok", "status", "node"])


def locust_stats(log: pd.DataFrame, duration_s: float) -> pd.DataFrame:
    """What Locust's stats CSV holds for this log (one row per name, then Aggregated)."""
    def row(name, d):
        q = np.percentile(d["latency_ms"], [50, 95, 99])
        return {"Name": name, "Request Count": len(d), "Failure Count": int((~d["ok"]).sum()),
                "Requests/s": len(d) / duration_s, "Average Response Time": d["latency_ms"].mean(),
                "50%": q[0], "95%": q[1], "99%": q[2], "Max Response Time": d["latency_ms"].max()}
    rows = [row(n, d) for n, d in log.groupby("name")] + [row("Aggregated", log)]
    return pd.DataFrame(rows)


def make_loadtest(out: Path, run_dir: Path, seed: int = 7) -> Path:
    plan = sweep_plan(MIX, STEP_S, users=USERS, seed=seed)
    log = prepare_log(_request_log(plan, np.random.default_rng(seed)), plan)
    steps = step_summary(log, plan, SLO_MS, MAX_ERRORS)
    found = cap.find_capacity(steps, SLO_MS, MAX_ERRORS)
    summary = {"airtwin_version": "test", "created": "2026-11-26T00:00:00+00:00",
               "shape": plan.shape, "mode": plan.mode, "host": "http://127.0.0.1:9",
               "service": "synthetic request log", "duration_s": plan.duration_s, "workers": 0,
               "seed": seed, "run": str(run_dir), "mix": MIX, "slo_ms": SLO_MS,
               "max_error_rate": MAX_ERRORS, "totals": totals(log, plan.duration_s),
               "capacity": found.to_dict(), "notes": []}
    peak = peak_hour(load_run(run_dir, tables=["egate_transactions"]))
    gpu = cap.plan_replicas(found.capacity_rps, cap.endpoint_costs(log),
                            cap.measured_mix(log, found.step), peak.demand_rps, 0.3,
                            (peak.start_s, peak.end_s), measured_on="synthetic log",
                            replica_kind="cpu").to_dict()
    tables = {"endpoints": endpoint_summary(locust_stats(log, plan.duration_s), log),
              "steps": steps, "requests": log}
    return write_folder(out, plan, summary, tables, gpu)


def write_folder(out: Path, plan, summary: dict, tables: dict, gpu: dict | None) -> Path:
    """The load-test folder, written as the runner writes it (report included)."""
    with staged_folder(out) as work:
        (work / "locust").mkdir()
        (work / "plan.json").write_text(plan.to_json(), encoding="utf-8")
        write_loadtest(work, summary, tables, render_report(summary, tables["endpoints"],
                                                            tables["steps"], plan, gpu), gpu)
    return out


def expected_figures(folder: Path) -> dict:
    """What the engineer page must show for the folder: capacity and replicas."""
    s = json.loads((folder / "summary.json").read_text())
    return {"capacity_rps": s["capacity"]["capacity_rps"], "replicas": s["gpu_plan"]["replicas"]}
