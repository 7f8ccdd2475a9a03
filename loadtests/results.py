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
      endpoints.parquet   one row per request name, then "Aggregated" (every valid request):
                          name (e.g. "verify", "identify", "analyze", "verify [corrupt jpeg]"),
                          endpoint ("verify"|"identify"|"analyze"|"all"), expected_error (bool:
                          a deliberately bad payload), requests, failures, error_rate, rps,
                          mean_ms, p50_ms, p95_ms, p99_ms, max_ms, late_starts
      steps.parquet       one row per load step and endpoint ("all" = every valid request):
                          step, endpoint, users (closed loop; NaN open loop), target_rps (open
                          loop; NaN closed loop), t_start, t_end (measured window, after the
                          step's settle time), requests, failures, error_rate, rps, p50_ms,
                          p95_ms, p99_ms, late_starts, passes (p99 <= SLO and error_rate <=
                          max; only on "all" rows, else NaN)
      requests.parquet    one row per request: t_sched (when it was due), t_start (when it was
                          sent), latency_ms (from t_sched to the reply: what the traveler
                          waited), service_ms (from t_start to the reply), name, endpoint,
                          expected_error, ok, status (HTTP status; 0 = no reply), late (sent
                          more than LATE_MS after t_sched), step, node ("local" or "worker-N")
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
     "totals": {"requests": ..., "failures": ..., "expected_failures": ..., "rps": ...,
                "p50_ms": ..., "p95_ms": ..., "p99_ms": ..., "late_starts": ...,
                "late_share": ...},
     "capacity": {"capacity_rps": 7.9 or null, "step": 3 or null, "slo_ms": 200.0,
                  "max_error_rate": 0.001, "steps": 5, "steps_passing": 3, "detail": "..."},
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
