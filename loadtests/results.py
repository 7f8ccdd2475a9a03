"""A load test's figures from Locust's output: per-endpoint figures from its stats CSV, the
request log with late starts and steps, per-step figures against the SLO, and the totals.

The folder these tables go into is the load-test folder format that :mod:`outputs.loadtest`
owns (its docstring documents every file and column); :mod:`loadtests.runner` writes it through
:func:`outputs.loadtest.write_loadtest`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from loadtests.plan import ENDPOINTS, LoadPlan, step_of
from outputs.loadtest import LoadTestFolderError

__all__ = ["LATE_MS", "endpoint_summary", "prepare_log", "read_locust_stats", "step_summary",
           "totals"]

LATE_MS = 10.0  # a send this long after its due time counts as a late start

LOCUST_PREFIX = "locust"  # Locust's --csv prefix inside locust/
STEP_COLUMNS = ("step", "endpoint", "users", "target_rps", "t_start", "t_end", "requests",
                "failures", "error_rate", "rps", "p50_ms", "p95_ms", "p99_ms", "late_starts",
                "passes")
ENDPOINT_COLUMNS = ("name", "endpoint", "expected_error", "requests", "failures", "error_rate",
                    "rps", "mean_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms", "late_starts")


def endpoint_of(name: str) -> str:
    """The kind of request a Locust name stands for ("/v1/verify [corrupt jpeg]" -> corrupt)."""
    if name == "Aggregated":
        return "all"
    if "[corrupt" in name:
        return "corrupt"
    if name.split()[0].rstrip("/") == "/v1/cctv/frame":
        return "cctv"
    tail = name.split()[0].rstrip("/").rsplit("/", 1)[-1]
    return tail if tail in ENDPOINTS else name


# --- Locust's stats CSV ------------------------------------------------------------------------

def read_locust_stats(path: str | Path) -> pd.DataFrame:
    """Locust's ``*_stats.csv`` as a frame; a missing file or a foreign one names the path."""
    path = Path(path)
    if not path.is_file():
        raise LoadTestFolderError(f"{path}: Locust stats CSV missing (did Locust run?)")
    df = pd.read_csv(path)
    need = {"Name", "Request Count", "Failure Count", "Requests/s", "Average Response Time",
            "50%", "95%", "99%", "Max Response Time"}
    if not need <= set(df.columns):
        raise LoadTestFolderError(f"{path}: not a Locust stats CSV (missing columns "
                                  f"{sorted(need - set(df.columns))})")
    return df


def endpoint_summary(stats: pd.DataFrame, log: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per request name (ENDPOINT_COLUMNS) from Locust's stats frame, late starts
    counted from the request log."""
    num = lambda col: pd.to_numeric(stats[col], errors="coerce").astype(float)  # noqa: E731
    names = stats["Name"].astype(str)
    n, fails = num("Request Count"), num("Failure Count")
    late = (log[log["late"]].groupby("name").size() if log is not None and len(log)
            else pd.Series(dtype=int))
    df = pd.DataFrame({
        "name": names, "endpoint": names.map(endpoint_of),
        "expected_error": names.str.contains("[corrupt", regex=False),
        "requests": n.astype(int), "failures": fails.astype(int),
        "error_rate": (fails / n).where(n > 0), "rps": num("Requests/s"),
        "mean_ms": num("Average Response Time"), "p50_ms": num("50%"), "p95_ms": num("95%"),
        "p99_ms": num("99%"), "max_ms": num("Max Response Time"),
        "late_starts": [int(late.sum()) if nm == "Aggregated" else int(late.get(nm, 0))
                        for nm in names]})
    return df[list(ENDPOINT_COLUMNS)].reset_index(drop=True)


# --- the request log ---------------------------------------------------------------------------

def prepare_log(log: pd.DataFrame, plan: LoadPlan, late_ms: float = LATE_MS) -> pd.DataFrame:
    """The raw request log with ``late`` and ``step`` added, sorted by due time."""
    log = log.sort_values("t_sched", kind="stable", ignore_index=True)
    log["late"] = (log["latency_ms"] - log["service_ms"]) > late_ms
    log["step"] = step_of(plan, log["t_sched"].to_numpy(float))
    return log


def _stats(df: pd.DataFrame, seconds: float) -> dict[str, float]:
    n = len(df)
    fails = int((~df["ok"]).sum()) if n else 0
    lat = df["latency_ms"].to_numpy(float)
    pct = np.percentile(lat, [50, 95, 99]) if n else [np.nan] * 3
    return {"requests": n, "failures": fails, "error_rate": fails / n if n else np.nan,
            "rps": n / seconds if seconds > 0 else np.nan, "p50_ms": float(pct[0]),
            "p95_ms": float(pct[1]), "p99_ms": float(pct[2]),
            "late_starts": int(df["late"].sum()) if n else 0}


def step_summary(log: pd.DataFrame, plan: LoadPlan, slo_ms: float, max_error_rate: float,
                 settle_s: float | None = None) -> pd.DataFrame:
    """Per step and endpoint (STEP_COLUMNS), over the step's window less its settle time; the
    "all" row (every valid request) says whether the step passes the SLO."""
    settle = plan.settle_s if settle_s is None else settle_s
    rows = []
    for i, step in enumerate(plan.steps):
        t0 = step.start_s + min(settle, 0.5 * (step.end_s - step.start_s))
        in_step = log[(log["t_sched"] >= t0) & (log["t_sched"] < step.end_s)]
        valid = in_step[~in_step["expected_error"]]
        base = {"step": i, "users": step.users if step.users is not None else np.nan,
                "target_rps": step.target_rps if step.target_rps is not None else np.nan,
                "t_start": t0, "t_end": step.end_s}
        span = step.end_s - t0
        for kind in sorted(set(valid["endpoint"])):
            rows.append({**base, "endpoint": kind,
                         **_stats(valid[valid["endpoint"] == kind], span), "passes": np.nan})
        s = _stats(valid, span)
        ok = bool(s["requests"] > 0 and s["p99_ms"] <= slo_ms
                  and s["error_rate"] <= max_error_rate)
        rows.append({**base, "endpoint": "all", **s, "passes": ok})
    return pd.DataFrame(rows, columns=list(STEP_COLUMNS))


def totals(log: pd.DataFrame, duration_s: float) -> dict[str, Any]:
    valid, bad = log[~log["expected_error"]], log[log["expected_error"]]
    t = _stats(valid, duration_s)
    t["late_share"] = t["late_starts"] / t["requests"] if t["requests"] else np.nan
    t["bad_requests"] = len(bad)
    t["bad_rejected"] = int(((bad["status"] >= 400) & (bad["status"] < 500)).sum())
    return t
