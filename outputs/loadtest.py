"""Load-test folders: what ``airtwin loadtest`` writes and what the dashboard reads. This module
owns the layout (it writes, versions and reads the folder); :mod:`loadtests.results` computes
the tables from Locust's output and :mod:`loadtests.runner` fills the staging folder. The
format lives here, beside the run and sweep formats, so that every reader (the dashboard above
all) reads result folders through one package that imports neither the simulator nor Locust.

Load-test folder format (``format`` 1, ``kind`` "loadtest"). Written whole or not at all: Locust
and the summary write into a staging folder beside the target (``.<name>.tmp-XXXX``, see
:func:`outputs.atomic.staged_folder`), renamed into place once complete. Times are seconds from
the start of the load (the shape's t = 0); latencies are milliseconds.

::

    LOADTEST/
      summary.json        headline figures and metadata (below); a dashboard starts here
      report.md           readable report: setup, endpoints, steps, capacity, GPU plan, and
                          how coordinated omission was avoided
      plan.json           the load plan Locust ran (shape, mode, stages, mix, payload pack,
                          seed, workers); loadtests.shapes.LoadPlan.from_json() reads it back
      endpoints.parquet   one row per request name from Locust's stats CSV, then Locust's
                          "Aggregated" row (every request, deliberately bad ones included):
                          name ("/v1/verify", "/v1/identify", "/v1/analyze", "/v1/cctv/frame",
                          "/v1/verify [corrupt jpeg]", "Aggregated"), endpoint ("verify"|
                          "identify"|"analyze"|"cctv"|"corrupt"|"all"), expected_error (bool: a
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
                          (the kind: verify|identify|analyze|cctv|corrupt), expected_error, ok,
                          status (HTTP status; 0 = no reply), node ("local" or "worker-N"),
                          late (sent more than loadtests.results.LATE_MS after t_sched),
                          step (-1: between steps)
      curve.parquet       replay shape only: the request-rate curve sent, on the compressed
                          clock: t0, t1, verify_rps, identify_rps, analyze_rps, cctv_rps, sim_t0,
                          sim_t1 (the simulated seconds the bin stands for; cctv_rps absent in
                          folders written before CCTV identification was load-tested)
      cctv_stages.parquet only when cctv frames were sent (loadtests.cctv_stages): one row per
                          face-camera frame of the pack run again in-process through the
                          service's CctvStream on its backend: camera, t, faces, searches,
                          frame_s, heads_s, detect_s, quality_s, track_s, embed_s, search_s, other_s
      gpu_plan.json       only with a sim run (--run): the replicas the peak hour needs (below;
                          the name is historic: a replica is a CPU process or a GPU, as
                          ``replica_kind`` says)
      locust/             Locust's own files: locust_stats.csv, locust_stats_history.csv,
                          locust_failures.csv, locust_exceptions.csv, locust.log, report.html

``summary.json`` (the header of :mod:`outputs.header`, then)::

    {"format": 1, "kind": "loadtest", "airtwin_version": "0.1.0", "created": ISO-8601,
     "shape": "sweep"|"poisson"|"replay", "mode": "closed"|"open", "host": "http://127.0.0.1:8000",
     "replicas": 1,                       # service processes loaded together (--host A,B)
     "duration_s": 60.0, "workers": 0, "seed": 0, "run": "runs/x" or null,
     "mix": {"verify": 0.5, "identify": 0.2, "analyze": 0.3, "corrupt": 0.0},   # shares of sends
     "slo_ms": 200.0, "max_error_rate": 0.001,
     "cameras": {"corridor_near": {"fps": 10.0, "faces": true, "faces_per_frame": 4.3}},
                                          # only when cctv frames were sent: the face cameras
     "cctv_stages": {"backend": "dlib", "frames": 50,
                     "stages": {"detect": {"mean_ms":, "p50_ms":, "p95_ms":}, ...}},  # ditto
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
     "measured_on": "backend dlib, model ...", "headroom": 0.3,
     "replica_kind": "cpu" | "gpu",       # what one measured replica was (the service's /readyz);
                                          # absent in folders written before it was recorded
     "cost_ms": {"verify": 95.0, ...},    # per-request work of each endpoint (low-load p50)
     "measured_mix": {"verify": 0.6, ...},
     "peak_hour": {"start_s": 3600.0, "end_s": 7200.0},   # simulated clock of the run
     "demand_rps": {"verify": 0.42, "identify": 0.0, "analyze": 20.0},
     "unmeasured": ["analyze"],           # demanded but not measured: not in the replicas
     "utilisation": 3.1,                  # peak work / one replica's work capacity
     "replicas": 5,                       # ceil(utilisation * (1 + headroom)), at least 1
     "detail": "...",
     "cameras": {"corridor_near": 10.0, ...} or null,   # face cameras behind the cctv demand
     "cameras_per_replica": 2.4 or null,  # such cameras one replica holds in real time
     "faces_per_frame": 4.3 or null}      # mean faces visible in the measured cctv frames

Non-finite numbers are written as JSON ``null``. Read a folder with :func:`load_loadtest`;
a missing folder or file, a malformed ``summary.json`` or a wrong ``kind`` or ``format``
raises :class:`LoadTestFolderError` naming the path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from outputs.atomic import write_json, write_text
from outputs.header import SUMMARY, FolderError, read_summary, with_header

__all__ = ["KIND", "LoadTest", "LoadTestFolderError", "load_loadtest", "replica_unit",
           "write_loadtest"]

KIND = "loadtest"
_UNITS = {"cpu": "CPU processes", "gpu": "GPUs"}


def replica_unit(plan: dict[str, Any] | None) -> str:
    """What the plan's replicas are, by what was measured: ``CPU processes`` or ``GPUs``; a
    folder written before the kind was recorded says so rather than guess."""
    kind = (plan or {}).get("replica_kind")
    return _UNITS.get(kind, "replicas (CPU process or GPU: not recorded)")


class LoadTestFolderError(FolderError):
    """A load-test folder that cannot be read; ``str()`` names the path and what is wrong."""


@dataclass(frozen=True)
class LoadTest:
    path: Path
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(repr=False)
    gpu_plan: dict[str, Any] | None = None


def write_loadtest(work: Path, summary: dict[str, Any], tables: dict[str, pd.DataFrame],
                   report_md: str, gpu_plan: dict[str, Any] | None) -> None:
    """Finish the staging folder ``work`` (Locust's files and plan.json already in it): the
    tables, gpu_plan.json, report.md, then summary.json with its header. The caller's
    :func:`~outputs.atomic.staged_folder` swaps it in once this returns."""
    files = {}
    for name, df in tables.items():
        files[name] = f"{name}.parquet"
        df.to_parquet(work / files[name], index=False)
    if gpu_plan is not None:
        write_json(work / "gpu_plan.json", gpu_plan)
        files["gpu_plan"] = "gpu_plan.json"
    write_text(work / "report.md", report_md)
    summary = {**with_header(KIND, summary), "gpu_plan": gpu_plan,
               "files": {**files, "report": "report.md", "plan": "plan.json",
                         "locust": "locust/"}}
    write_json(work / SUMMARY, summary)


def load_loadtest(path: str | Path) -> LoadTest:
    """Read a load-test folder; missing or malformed parts raise LoadTestFolderError."""
    path = Path(path)
    summary = read_summary(path, KIND, LoadTestFolderError)
    tables = {}
    for name, file in (summary.get("files") or {}).items():
        if str(file).endswith(".parquet"):
            try:
                tables[name] = pd.read_parquet(path / file)
            except (OSError, ValueError) as exc:
                raise LoadTestFolderError(f"{path / file}: cannot read ({exc})") from None
    return LoadTest(path, summary, tables, summary.get("gpu_plan"))
