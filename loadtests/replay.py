"""The service demand a simulated day makes, from a sim run folder (:func:`outputs.run.load_run`).

- e-gate verify: one 1:1 verify per e-gate transaction (the ``egate_transactions`` table).
- watchlist identify: one 1:N search per e-gate capture when the scenario has a watchlist
  (``watchlist.planted + watchlist.extra_identities > 0``), as the live recognizer does; none
  otherwise.
- CCTV analyze: every frame of every ``cctv`` camera (``fps`` in scenario.json), or
  ``analyze_fps`` frames/s per camera where the analytics run slower than the camera.
- CCTV identification (``cctv``): every frame of every face camera (a ``cctv`` camera with
  ``faces:``), ``POST /v1/cctv/frame``; cameras never rest, so this demand is flat.

Rates are averaged over the run's replications. :func:`demand_curve` bins them on the simulated
clock; :func:`replay_plan` compresses that curve into a load plan; :func:`peak_hour` is the
busiest hour, which the GPU plan is sized for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from loadtests.plan import ENDPOINTS, LoadPlan, PlanError, Step, pool_size

RATE_COLUMNS = tuple(f"{e}_rps" for e in ENDPOINTS)


class ReplayError(ValueError):
    """A run that cannot be replayed; the message names the run and what is missing."""


def _replications(run) -> int:
    n = run.summary.get("replications")
    if isinstance(n, int) and n >= 1:
        return n
    tx = run["egate_transactions"]
    return int(tx["replication"].nunique()) if "replication" in tx and len(tx) else 1


def _scenario(run) -> dict:
    if not run.scenario:
        raise ReplayError(f"{run.path}: no scenario.json: cannot tell the cameras and watchlist")
    return run.scenario


def searches_per_transaction(scenario: dict) -> float:
    wl = scenario.get("watchlist") or {}
    return 1.0 if (wl.get("planted", 0) or 0) + (wl.get("extra_identities", 0) or 0) > 0 else 0.0


def cctv_frame_rate(scenario: dict, analyze_fps: float | None = None) -> float:
    """Frames/s the CCTV cameras send for analysis, all cameras together."""
    cams = [c for c in scenario.get("cameras", []) if c.get("kind") == "cctv"]
    if analyze_fps is not None:
        if analyze_fps <= 0:
            raise ReplayError(f"analyze_fps: must be > 0, got {analyze_fps}")
        return float(sum(min(analyze_fps, float(c.get("fps", 10.0))) for c in cams))
    return float(sum(float(c.get("fps", 10.0)) for c in cams))


def face_cameras(scenario: dict) -> dict[str, float]:
    """The scenario's face cameras (cctv cameras with ``faces:``) and their fps."""
    return {c["id"]: float(c.get("fps", 10.0)) for c in scenario.get("cameras", [])
            if c.get("kind") == "cctv" and c.get("faces")}


def demand_curve(run, bin_s: float = 300.0, analyze_fps: float | None = None) -> pd.DataFrame:
    """sim_t0, sim_t1 (s), then requests/s per endpoint in each bin of the simulated day."""
    if bin_s <= 0:
        raise ReplayError(f"bin_s: must be > 0, got {bin_s}")
    scenario = _scenario(run)
    horizon = float(run.summary.get("horizon_s") or scenario.get("horizon_s"))
    edges = np.append(np.arange(0.0, horizon, bin_s), horizon)  # the last bin may be short
    tx = run["egate_transactions"]
    counts, _ = np.histogram(tx["t"].to_numpy(float), bins=edges)
    width = np.diff(edges)
    verify = counts / width / _replications(run)
    return pd.DataFrame({"sim_t0": edges[:-1], "sim_t1": edges[1:], "verify_rps": verify,
                         "identify_rps": verify * searches_per_transaction(scenario),
                         "analyze_rps": np.full(len(width), cctv_frame_rate(scenario, analyze_fps)),
                         "cctv_rps": np.full(len(width), sum(face_cameras(scenario).values()))})


def mix_from_run(run, analyze_fps: float | None = None) -> dict[str, float]:
    """Shares of requests per endpoint over the whole simulated day."""
    c = demand_curve(run, analyze_fps=analyze_fps)
    w = (c["sim_t1"] - c["sim_t0"]).to_numpy()
    totals = {e: float((c[f"{e}_rps"] * w).sum()) for e in ENDPOINTS}
    s = sum(totals.values())
    if s <= 0:
        raise ReplayError(f"{run.path}: the run makes no service requests (no e-gate "
                          f"transactions, no CCTV cameras)")
    return {e: v / s for e, v in totals.items()}


@dataclass(frozen=True)
class PeakHour:
    start_s: float
    end_s: float
    demand_rps: dict[str, float]
    cameras: dict[str, float] = field(default_factory=dict)  # face cameras -> fps

    @property
    def total_rps(self) -> float:
        return float(sum(self.demand_rps.values()))


def peak_hour(run, analyze_fps: float | None = None, window_s: float = 3600.0) -> PeakHour:
    """The hour of the simulated day with the most e-gate transactions (replication mean), and
    the requests/s each endpoint must serve in it. CCTV demand is flat: cameras never rest."""
    scenario = _scenario(run)
    horizon = float(run.summary.get("horizon_s") or scenario.get("horizon_s"))
    window = min(window_s, horizon)
    t = np.sort(run["egate_transactions"]["t"].to_numpy(float))
    start, count = 0.0, 0
    if len(t):
        # Each window that could hold the most starts at a transaction; clamp to the horizon.
        starts = np.minimum(t, horizon - window)
        n = np.searchsorted(t, starts + window, side="left") - np.searchsorted(t, starts, "left")
        best = int(np.argmax(n))
        start, count = float(starts[best]), int(n[best])
    verify = count / window / _replications(run)
    demand = {"verify": verify, "identify": verify * searches_per_transaction(scenario),
              "analyze": cctv_frame_rate(scenario, analyze_fps),
              "cctv": float(sum(face_cameras(scenario).values()))}
    return PeakHour(start, start + window, demand, face_cameras(scenario))


def replay_plan(curve: pd.DataFrame, compress: float, scale: float = 1.0,
                sim_from: float | None = None, sim_to: float | None = None,
                endpoints: tuple[str, ...] = ENDPOINTS, corrupt_share: float = 0.0,
                **kw) -> LoadPlan:
    """An open-loop plan that sends the curve's requests ``compress`` times faster (one load
    second stands for ``compress`` simulated seconds), each rate also times ``scale``."""
    if compress <= 0 or scale <= 0:
        raise PlanError(f"replay: compress and scale must be > 0, got {compress}, {scale}")
    c = curve
    if sim_from is not None:
        c = c[c["sim_t1"] > sim_from]
    if sim_to is not None:
        c = c[c["sim_t0"] < sim_to]
    if c.empty:
        raise PlanError(f"replay: no curve bins between {sim_from} and {sim_to} s")
    lo = window_start(curve, sim_from)
    steps = []
    for row in c.itertuples(index=False):
        a = max(row.sim_t0, lo)
        b = row.sim_t1 if sim_to is None else min(row.sim_t1, sim_to)
        rates = {e: float(getattr(row, f"{e}_rps")) * compress * scale for e in endpoints}
        if corrupt_share > 0:
            rates["corrupt"] = sum(rates.values()) * corrupt_share
        steps.append(Step((a - lo) / compress, (b - lo) / compress, rates=rates))
    peak = max(s.target_rps for s in steps)
    if peak <= 0:
        raise PlanError("replay: the curve sends no requests in that window")
    total = {k: sum(s.rates.get(k, 0.0) * (s.end_s - s.start_s) for s in steps)
             for k in (*endpoints, "corrupt")}
    s_total = sum(total.values())
    mix = {k: v / s_total for k, v in total.items() if v > 0}
    kw.setdefault("pool_users", pool_size(peak, kw.get("timeout_s", 10.0), kw.get("workers", 0)))
    return LoadPlan("replay", "open", tuple(steps), mix, compress=compress, **kw)


def window_start(curve: pd.DataFrame, sim_from: float | None) -> float:
    """The simulated time the replay's load clock starts at."""
    first = float(curve["sim_t0"].iloc[0])
    return first if sim_from is None else max(first, float(sim_from))


def compressed_curve(plan: LoadPlan, curve: pd.DataFrame, sim_from: float | None = None
                     ) -> pd.DataFrame:
    """The curve as sent (curve.parquet): load-clock bins with their rates and simulated span."""
    lo = window_start(curve, sim_from)
    rows = [{"t0": s.start_s, "t1": s.end_s,
             **{f"{e}_rps": (s.rates or {}).get(e, 0.0) for e in ENDPOINTS},
             "sim_t0": lo + s.start_s * plan.compress, "sim_t1": lo + s.end_s * plan.compress}
            for s in plan.steps]
    return pd.DataFrame(rows)
