"""Load-test result folders: what ``airtwin loadtest`` writes and what the dashboard reads.

Load-test folder format (``format`` 1, ``kind`` "loadtest"). Written whole or not at all: Locust
and the summary write into a temporary folder beside the target (``.<name>.tmp-XXXX``), renamed
into place once complete. Times are seconds from the start of the load (the shape's t = 0);
latencies are milliseconds.

::

    LOADTEST/
      summary.json        headline figures and metadata (below); a dashboard starts here
      report.md           readable report: setup, endpoints, steps, capacity, GPU plan, and
                          how coordinated omission was avoided
      plan.json           the load plan Locust ran (shape, mode, stages, mix, payload pack,
                          seed, workers); loadtests.shapes.LoadPlan.from_json() reads it back
      endpoints.parquet   one row per request name from Locust's stats CSV, then Locust's
                          "Aggregated" row (every request, deliberately bad ones included):
                          name ("/v1/verify", "/v1/identify", "/v1/analyze",
                          "/v1/verify [corrupt jpeg]", "Aggregated"), endpoint ("verify"|
                          "identify"|"analyze"|"corrupt"|"all"), expected_error (bool: a
                          deliberately bad payload), requests, failures, error_rate, rps,
                          mean_ms, p50_ms, p95_ms, p99_ms, max_ms (Locust's figures: latency
                          from the due time, percentiles rounded as Locust rounds them),
                          late_starts (from requests.parquet)
      steps.parquet       one row per load step and endpoint ("all" = every valid request):
                          step, endpoint, users (closed loop; NaN open loop), target_rps (open
                          loop; NaN closed loop), t_start, t_end (measured window, after the
                          step's settle time), requests, failures, error_rate, rps, p50_ms,
                          p95_ms, p99_ms, late_starts, passes (p99 <= SLO and error_rate <=
                          max; only on "all" rows, else NaN; the capacity also needs the step
                          to hold >= capacity.min_requests valid requests)
      requests.parquet    one row per request: t_sched (when it was due), t_start (when it was
                          sent), latency_ms (from t_sched to the reply: what the traveler
                          waited), service_ms (from t_start to the reply), name, endpoint
                          (the kind: verify|identify|analyze|corrupt), expected_error, ok,
                          status (HTTP status; 0 = no reply), node ("local" or "worker-N"),
                          late (sent more than LATE_MS after t_sched), step (-1: between steps)
      curve.parquet       replay shape only: the request-rate curve sent, on the compressed
                          clock: t0, t1, verify_rps, identify_rps, analyze_rps, sim_t0, sim_t1
                          (the simulated seconds the bin stands for)
      gpu_plan.json       only with a sim run (--run): the replicas the peak hour needs (below)
      locust/             Locust's own files: locust_stats.csv, locust_stats_history.csv,
                          locust_failures.csv, locust_exceptions.csv, locust.log, report.html

``summary.json``::

    {"format": 1, "kind": "loadtest", "airtwin_version": "0.1.0", "created": ISO-8601,
     "shape": "sweep"|"poisson"|"replay", "mode": "closed"|"open", "host": "http://127.0.0.1:8000",
     "duration_s": 60.0, "workers": 0, "seed": 0, "run": "runs/x" or null,
     "mix": {"verify": 0.5, "identify": 0.2, "analyze": 0.3, "corrupt": 0.0},   # shares of sends
     "slo_ms": 200.0, "max_error_rate": 0.001,
     "totals": {"requests": ..., "failures": ..., "error_rate": ..., "rps": ...,  # valid only
                "p50_ms": ..., "p95_ms": ..., "p99_ms": ..., "late_starts": ...,
                "late_share": ..., "bad_requests": ..., "bad_rejected": ...},  # deliberately bad
     "capacity": {"capacity_rps": 7.9 or null, "step": 3 or null, "slo_ms": 200.0,
                  "max_error_rate": 0.001, "steps": 5, "steps_passing": 3, "detail": "...",
                  "min_requests": 10},
     "gpu_plan": null or the gpu_plan.json object,
     "files": {"endpoints": "endpoints.parquet", ...}}

``gpu_plan.json``::

    {"capacity_rps": 7.9,                 # measured, one service replica, at the SLO
     "measured_on": "dlib backend, this CPU", "headroom": 0.3,
     "cost_ms": {"verify": 95.0, ...},    # per-request work of each endpoint (low-load p50)
     "measured_mix": {"verify": 0.6, ...},
     "peak_hour": {"start_s": 3600.0, "end_s": 7200.0},   # simulated clock of the run
     "demand_rps": {"verify": 0.42, "identify": 0.0, "analyze": 20.0},
     "unmeasured": ["analyze"],           # demanded but not measured: not in the replicas
     "utilisation": 3.1,                  # peak work / one replica's work capacity
     "replicas": 5,                       # ceil(utilisation * (1 + headroom)), at least 1
     "detail": "..."}

Non-finite numbers are written as JSON ``null``. Read a folder with :func:`load_loadtest`;
a missing folder or file, or a malformed ``summary.json``, raises :class:`LoadTestFolderError`
naming the path.
"""

from __future__ import annotations

FORMAT = 1
KIND = "loadtest"
LATE_MS = 10.0  # a send this long after its due time counts as a late start

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from loadtests.plan import ENDPOINTS, LoadPlan, step_of

__all__ = ["FORMAT", "KIND", "LATE_MS", "LoadTest", "LoadTestFolderError", "endpoint_summary",
           "load_loadtest", "prepare_log", "read_locust_stats", "step_summary", "totals",
           "write_loadtest"]

LOCUST_PREFIX = "locust"  # Locust's --csv prefix inside locust/
STEP_COLUMNS = ("step", "endpoint", "users", "target_rps", "t_start", "t_end", "requests",
                "failures", "error_rate", "rps", "p50_ms", "p95_ms", "p99_ms", "late_starts",
                "passes")
ENDPOINT_COLUMNS = ("name", "endpoint", "expected_error", "requests", "failures", "error_rate",
                    "rps", "mean_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms", "late_starts")


class LoadTestFolderError(ValueError):
    """A load-test folder that cannot be read; ``str()`` names the path and what is wrong."""


def endpoint_of(name: str) -> str:
    """The kind of request a Locust name stands for ("/v1/verify [corrupt jpeg]" -> corrupt)."""
    if name == "Aggregated":
        return "all"
    if "[corrupt" in name:
        return "corrupt"
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


# --- the folder --------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoadTest:
    path: Path
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(repr=False)
    gpu_plan: dict[str, Any] | None = None


def json_text(obj: Any) -> str:
    from sim.results import json_safe

    return json.dumps(json_safe(obj), indent=2) + "\n"


def write_loadtest(work: Path, out: Path, summary: dict[str, Any],
                   tables: dict[str, pd.DataFrame], report_md: str,
                   gpu_plan: dict[str, Any] | None) -> Path:
    """Finish the working folder ``work`` (Locust's files and plan.json already in it) and
    rename it to ``out``; an older ``out`` is replaced only once the new one is complete."""
    files = {}
    for name, df in tables.items():
        files[name] = f"{name}.parquet"
        df.to_parquet(work / files[name], index=False)
    if gpu_plan is not None:
        (work / "gpu_plan.json").write_text(json_text(gpu_plan), encoding="utf-8")
        files["gpu_plan"] = "gpu_plan.json"
    (work / "report.md").write_text(report_md, encoding="utf-8")
    summary = {"format": FORMAT, "kind": KIND, **summary, "gpu_plan": gpu_plan,
               "files": {**files, "report": "report.md", "plan": "plan.json",
                         "locust": "locust/"}}
    (work / "summary.json").write_text(json_text(summary), encoding="utf-8")
    os.chmod(work, 0o755)
    from sim.results import replace_dir

    replace_dir(work, out)
    return out


def load_loadtest(path: str | Path) -> LoadTest:
    """Read a load-test folder; missing or malformed parts raise LoadTestFolderError."""
    path = Path(path)
    summary_path = path / "summary.json"
    if not path.is_dir():
        raise LoadTestFolderError(f"{path}: load-test folder not found")
    if not summary_path.is_file():
        raise LoadTestFolderError(f"{summary_path}: missing (not a load-test folder)")
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise LoadTestFolderError(f"{summary_path}: not valid JSON ({exc})") from None
    if not isinstance(summary, dict) or summary.get("kind") != KIND:
        raise LoadTestFolderError(f"{summary_path}: not a load-test summary (kind "
                                  f"{summary.get('kind') if isinstance(summary, dict) else None!r})")
    if summary.get("format") != FORMAT:
        raise LoadTestFolderError(f"{summary_path}: format {summary.get('format')!r} is not "
                                  f"the supported format {FORMAT}")
    tables = {}
    for name, file in summary.get("files", {}).items():
        if str(file).endswith(".parquet"):
            try:
                tables[name] = pd.read_parquet(path / file)
            except (OSError, ValueError) as exc:
                raise LoadTestFolderError(f"{path / file}: cannot read ({exc})") from None
    return LoadTest(path, summary, tables, summary.get("gpu_plan"))
