"""A run's pedestrian-mode tables: the coupled hall (:mod:`sim.pedestrian.hall`) on one
replication's records, and the positions the plan and density tables read, with the hall's
people where JuPedSim put them and everyone else where the fast mode puts them.

Tables (``airtwin run --mode pedestrian`` adds them to the run folder through outputs):

- ``ped_trajectories``: t, traveler_id, x, y, activity in the immigration hall every 0.5 s;
- ``ped_visits``: traveler_id, processor, server, enter_t, queue_t, call_t, start_t, end_t,
  exit_t (s; NaN where the horizon came first);
- ``ped_summary``: one row: replication, travelers, max_in_hall, steps, dt_s, wall_s,
  realtime_factor, cpu_s, realtime_factor_cpu (simulated s per CPU s of this process: one
  core's worth on a shared machine), hall_wait_mean_s and hall_wait_p95_s (queue reached to called, pedestrian
  mode), fast_wait_mean_s and fast_wait_p95_s (the same travelers' waits in the fast mode);
- ``ped_flow``: the hall measured with PedPy per minute (:mod:`sim.pedestrian.analysis`);
- ``plan_positions`` then carries the pedestrian hall (see :func:`merged_positions`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.density import STEP_S

__all__ = ["merged_positions", "pedestrian_tables"]


def merged_positions(fast: pd.DataFrame, ped: pd.DataFrame, hall_polygon,
                     step_s: float = STEP_S) -> pd.DataFrame:
    """Fast-mode positions outside the hall, pedestrian positions inside it, at the fast
    table's instants. A traveler JuPedSim has on the hall's floor at an instant is there, not
    wherever the fast mode puts them then (the two modes' timings differ)."""
    from floorplan.shapes import points_in_polygon

    inside = points_in_polygon(fast[["x", "y"]].to_numpy(float), hall_polygon)
    times = np.unique(fast["t"].to_numpy(float))
    p = ped[np.isin(np.round(ped["t"].to_numpy(float), 3), np.round(times, 3))]
    p = p.assign(zone="", t=np.round(p["t"].to_numpy(float), 3))
    cols = ["t", "traveler_id", "x", "y", "zone", "activity"]
    key = pd.MultiIndex.from_arrays([np.round(fast["t"].to_numpy(float), 3),
                                     fast["traveler_id"].to_numpy()])
    on_ped_floor = key.isin(pd.MultiIndex.from_arrays([p["t"].to_numpy(),
                                                       p["traveler_id"].to_numpy()]))
    keep = ~inside & ~on_ped_floor
    return pd.concat([fast.loc[keep, cols], p[cols]], ignore_index=True).sort_values(
        ["t", "traveler_id"], ignore_index=True)


def pedestrian_tables(tables: dict[str, pd.DataFrame], scenario, replication: int = 0,
                      progress=None) -> tuple[dict[str, pd.DataFrame], object]:
    """The pedestrian tables of one replication of a run's ``tables`` (records with a
    ``replication`` column), and the :class:`sim.pedestrian.hall.HallResult`."""
    from sim.layout import floor_plan
    from sim.pedestrian.analysis import door_line, hall_flow
    from sim.pedestrian.hall import hall_travelers, simulate_hall
    from sim.plan_tables import replication_tables

    plan = floor_plan(scenario)
    frames = replication_tables(tables, replication)
    hall = next(z for z in plan.zones if z.kind == "immigration_hall")
    people = hall_travelers(frames, hall.id)
    res = simulate_hall(plan, people, frames["capacity"], scenario.horizon_s,
                        progress=progress)
    v = res.visits
    ped_wait = (v["call_t"] - v["queue_t"]).dropna().to_numpy(float)
    fv = frames["visits"]
    fv = fv[fv["traveler_id"].isin(v["traveler_id"]) & fv["kind"].isin(["egate", "desk"])]
    fv = fv.sort_values("queue_t").groupby("traveler_id").first()
    fast_wait = (fv["start_t"] - fv["queue_t"]).dropna().to_numpy(float)

    def stat(x, f):
        return float(f(x)) if len(x) else float("nan")

    summary = pd.DataFrame([{
        "replication": replication, "travelers": len(people), "max_in_hall": res.max_in_hall,
        "steps": res.steps, "dt_s": scenario.horizon_s / max(res.steps, 1),
        "wall_s": res.wall_s, "realtime_factor": scenario.horizon_s / max(res.wall_s, 1e-9),
        "cpu_s": res.cpu_s, "realtime_factor_cpu": scenario.horizon_s / max(res.cpu_s, 1e-9),
        "hall_wait_mean_s": stat(ped_wait, np.mean),
        "hall_wait_p95_s": stat(ped_wait, lambda x: np.percentile(x, 95)),
        "fast_wait_mean_s": stat(fast_wait, np.mean),
        "fast_wait_p95_s": stat(fast_wait, lambda x: np.percentile(x, 95))}])
    exit_door = res.exit_xy
    flow = hall_flow(res.trajectories, hall.polygon, door_line(hall.polygon, exit_door),
                     res.frame_rate)
    return {"ped_trajectories": res.trajectories, "ped_visits": v, "ped_summary": summary,
            "ped_flow": flow}, res
