"""Capacity of one service replica, and the replicas a simulated peak hour needs.

Capacity (MLPerf Server / perf_analyzer style): the highest throughput among the load steps
whose valid requests met the SLO: p99 latency (from the due time) <= ``slo_ms`` and error rate
<= ``max_error_rate``. Deliberately bad payloads are left out of both.

Replica plan. A replica is what was measured: one service process on a CPU, or one on a GPU
(``replica_kind``, from the service's ``/readyz``); the plan never calls a CPU process a GPU.
Endpoints cost different amounts of work (a CCTV frame is not a face), so a capacity
measured at one mix is converted into work: ``cost_ms[e]`` is endpoint e's p50 service time at
the lowest load step (no queueing, so it is the work one request brings), and one replica at
its capacity does ``capacity_rps * sum(mix[e] * cost_ms[e])`` ms of work per second. The peak
hour brings ``sum(demand_rps[e] * cost_ms[e])``; their ratio is the utilisation one replica
would have, and ``replicas = ceil(utilisation * (1 + headroom))``. When the demand mix is the
measured mix this is simply ``demand / capacity * (1 + headroom)``. An endpoint the peak hour
needs but the load test did not measure is listed in ``unmeasured``, never guessed.

CCTV identification (``cctv``, ``POST /v1/cctv/frame``) is costed the same way, per frame: the
demand is every face camera's fps (cameras never rest, so every hour is the peak), and the plan
also says how many such cameras one replica holds in real time (``cameras_per_replica``: one
replica's work over one camera's, ``fps x cost_ms["cctv"]``, at the mean fps of the cameras), at
the faces per frame the measured frames showed (``faces_per_frame``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from loadtests.plan import ENDPOINTS
from outputs.loadtest import replica_unit

MIN_STEP_REQUESTS = 10  # fewer, and a step's p99 is just its slowest request or two


@dataclass(frozen=True)
class Capacity:
    capacity_rps: float | None
    step: int | None
    slo_ms: float
    max_error_rate: float
    steps: int  # steps with enough requests to judge
    steps_passing: int
    detail: str
    min_requests: int = MIN_STEP_REQUESTS

    def to_dict(self) -> dict:
        return asdict(self)


def find_capacity(steps: pd.DataFrame, slo_ms: float, max_error_rate: float,
                  min_requests: int = MIN_STEP_REQUESTS) -> Capacity:
    """The best passing step of a step summary (its "all" rows; see results.step_summary).
    Steps with fewer than ``min_requests`` valid requests say too little to count."""
    rows = steps[steps["endpoint"] == "all"]
    rows = rows[rows["requests"] >= max(min_requests, 1)]
    ok = rows[(rows["p99_ms"] <= slo_ms) & (rows["error_rate"] <= max_error_rate)]
    rule = f"p99 <= {slo_ms:g} ms and errors <= {max_error_rate:.2%}"
    if rows.empty:
        return Capacity(None, None, slo_ms, max_error_rate, 0, 0,
                        f"no step had the {min_requests} valid requests a capacity figure needs",
                        min_requests)
    if ok.empty:
        best = rows.loc[rows["p99_ms"].idxmin()]
        return Capacity(None, None, slo_ms, max_error_rate, len(rows), 0,
                        f"no step met {rule}: the best p99 was {best.p99_ms:.0f} ms at step "
                        f"{int(best.step)} ({best.rps:.2f} req/s, errors {best.error_rate:.2%})",
                        min_requests)
    top = ok.loc[ok["rps"].idxmax()]
    detail = (f"step {int(top.step)}: {top.rps:.2f} req/s with p99 {top.p99_ms:.0f} ms and "
              f"errors {top.error_rate:.2%} ({rule})")
    beyond = rows[(rows["step"] > top.step) & ~rows.index.isin(ok.index)]
    if len(beyond):
        nxt = beyond.iloc[0]
        detail += (f"; step {int(nxt.step)} failed at {nxt.rps:.2f} req/s: p99 "
                   f"{nxt.p99_ms:.0f} ms, errors {nxt.error_rate:.2%}")
    return Capacity(float(top.rps), int(top.step), slo_ms, max_error_rate, len(rows), len(ok),
                    detail, min_requests)


def endpoint_costs(log: pd.DataFrame) -> dict[str, float]:
    """Per endpoint, the p50 service time (ms) in the lowest-load step where it was sent."""
    valid = log[~log["expected_error"] & log["ok"] & (log["step"] >= 0)]
    costs = {}
    for kind in ENDPOINTS:
        mine = valid[valid["endpoint"] == kind]
        if len(mine):
            first = mine[mine["step"] == mine["step"].min()]
            costs[kind] = float(np.median(first["service_ms"]))
    return costs


def measured_mix(log: pd.DataFrame, step: int | None) -> dict[str, float]:
    """Shares of valid requests per endpoint (in ``step``, or over the whole run)."""
    valid = log[~log["expected_error"]]
    if step is not None:
        valid = valid[valid["step"] == step]
    counts = valid.groupby("endpoint").size()
    total = counts.sum()
    return {k: float(v / total) for k, v in counts.items()} if total else {}


@dataclass(frozen=True)
class ReplicaPlan:
    capacity_rps: float
    measured_on: str
    headroom: float
    cost_ms: dict[str, float]
    measured_mix: dict[str, float]
    peak_hour: dict[str, float]
    demand_rps: dict[str, float]
    unmeasured: list[str]
    utilisation: float
    replicas: int
    detail: str
    replica_kind: str | None = None  # "cpu" or "gpu": what one measured replica was
    cameras: dict[str, float] | None = None  # face cameras of the demand -> fps
    cameras_per_replica: float | None = None  # such cameras one replica holds in real time
    faces_per_frame: float | None = None  # mean faces visible in the measured cctv frames

    def to_dict(self) -> dict:
        return asdict(self)


def cameras_per_replica(replica_work_ms: float, cost_ms: dict[str, float],
                        cameras: dict[str, float] | None) -> float | None:
    """Face cameras at their mean fps that one replica's work (ms per second) holds."""
    if not cameras or "cctv" not in cost_ms or not cost_ms["cctv"] > 0:
        return None
    fps = sum(cameras.values()) / len(cameras)
    return replica_work_ms / (fps * cost_ms["cctv"])


def plan_replicas(capacity_rps: float, cost_ms: dict[str, float], mix: dict[str, float],
                  demand_rps: dict[str, float], headroom: float = 0.3,
                  peak_hour: tuple[float, float] = (0.0, 3600.0),
                  measured_on: str = "", replica_kind: str | None = None,
                  cameras: dict[str, float] | None = None,
                  faces_per_frame: float | None = None) -> ReplicaPlan:
    """Replicas for ``demand_rps`` (see the module docstring for the model); ``cameras``: the
    face cameras behind the cctv demand and their fps."""
    if not capacity_rps > 0:
        raise ValueError(f"capacity_rps: must be > 0, got {capacity_rps}")
    if replica_kind not in (None, "cpu", "gpu"):
        raise ValueError(f"replica_kind: must be 'cpu' or 'gpu', got {replica_kind!r}")
    if headroom < 0:
        raise ValueError(f"headroom: must be >= 0, got {headroom}")
    work_per_req = sum(mix.get(k, 0.0) * cost_ms[k] for k in cost_ms)
    if not work_per_req > 0:
        raise ValueError(f"measured mix {mix} has no endpoint with a measured cost {cost_ms}")
    replica_work = capacity_rps * work_per_req  # ms of work one replica does per second
    unmeasured = sorted(k for k, d in demand_rps.items() if d > 0 and k not in cost_ms)
    demand_work = sum(d * cost_ms[k] for k, d in demand_rps.items() if k in cost_ms)
    util = demand_work / replica_work
    replicas = math.ceil(util * (1.0 + headroom) - 1e-9) if demand_work > 0 else 0
    replicas = max(replicas, 1) if demand_work > 0 else 0
    covered = {k: d for k, d in demand_rps.items() if k in cost_ms}
    detail = (f"peak-hour demand {sum(covered.values()):.2f} req/s "
              f"({', '.join(f'{k} {v:.2f}' for k, v in covered.items())}) = {util:.2f} replicas "
              f"of measured work; with {headroom:.0%} headroom: {replicas} "
              f"{replica_unit({'replica_kind': replica_kind})}")
    per_replica = cameras_per_replica(replica_work, cost_ms, cameras)
    if per_replica is not None:
        fps = sum(cameras.values()) / len(cameras)
        detail += (f"; CCTV identification: {len(cameras)} face cameras, "
                   f"{sum(cameras.values()):.0f} frames/s; one replica holds "
                   f"{per_replica:.2f} cameras at {fps:g} fps in real time"
                   + (f" ({faces_per_frame:.1f} faces per measured frame)"
                      if faces_per_frame is not None else ""))
    if unmeasured:
        detail += (f". NOT covered (not measured by this load test): "
                   f"{', '.join(f'{k} {demand_rps[k]:.2f} req/s' for k in unmeasured)}")
    return ReplicaPlan(capacity_rps, measured_on, headroom, cost_ms, mix,
                       {"start_s": float(peak_hour[0]), "end_s": float(peak_hour[1])},
                       dict(demand_rps), unmeasured, util, replicas, detail, replica_kind,
                       dict(cameras) if cameras else None, per_replica, faces_per_frame)


GpuPlan = ReplicaPlan  # the old name; a plan's replicas are CPU processes or GPUs
