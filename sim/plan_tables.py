"""The tables an animated floor plan and the density figures read, from one replication of a
run: sampled positions, each processor's state, and :mod:`sim.density`'s tables.

``airtwin run`` adds them to the run folder (replication 0 only: an animation shows one
replication, and a day sampled every 10 s is already a few hundred thousand rows):

- ``plan_zones``: zone, kind, vertex, x, y (each zone's outline, so a reader can draw the plan
  without the simulator);
- ``plan_positions``: t, traveler_id, x, y, zone, activity (every ``step_s``);
- ``plan_processors``: t, processor, kind, server, x, y, state (busy | idle | closed);
- ``density_zones``, ``density_cells``, ``density_worst`` (see :mod:`sim.density`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from floorplan.plan import FloorPlan
from sim.density import STEP_S, density_tables, sample_positions

__all__ = ["PLAN_TABLES", "fast_positions", "plan_tables", "processor_states", "zone_outlines"]

PLAN_TABLES = ("plan_zones", "plan_positions", "plan_processors", "density_zones",
               "density_cells",
               "density_worst")


def zone_outlines(plan: FloorPlan) -> pd.DataFrame:
    """zone, kind, vertex, x, y: every zone polygon's corners in order."""
    return pd.DataFrame([{"zone": z.id, "kind": z.kind, "vertex": k, "x": float(x),
                          "y": float(y)} for z in plan.zones
                         for k, (x, y) in enumerate(z.polygon)])


def processor_states(visits: pd.DataFrame, capacity: pd.DataFrame, plan: FloorPlan,
                     times: np.ndarray) -> pd.DataFrame:
    """Each processor's state at ``times``: busy while a visit's service runs on it, closed
    when its index is at or above the row's open count (servers open lowest first), else
    idle."""
    parts = []
    times = np.asarray(times, float)
    for row in plan.rows:
        cap = capacity[capacity["processor"] == row.id].sort_values("t", kind="stable")
        if len(cap):
            k = np.searchsorted(cap["t"].to_numpy(float), times, side="right") - 1
            n_open = np.where(k >= 0, cap["open"].to_numpy()[np.maximum(k, 0)], 0)
        else:
            n_open = np.full(len(times), len(row.points))
        v = visits[(visits["processor"] == row.id) & visits["start_t"].notna()]
        start = v["start_t"].to_numpy(float)
        end = v["end_t"].fillna(np.inf).to_numpy(float)
        server = v["server"].to_numpy(np.int64)
        for j, (x, y) in enumerate(row.points):
            mine = server == j
            s, e = start[mine], end[mine]
            busy = ((s[None, :] <= times[:, None]) & (times[:, None] < e[None, :])).any(axis=1) \
                if len(s) else np.zeros(len(times), bool)
            state = np.where(busy, "busy", np.where(j >= n_open, "closed", "idle"))
            parts.append(pd.DataFrame({"t": times, "processor": row.id, "kind": row.kind,
                                       "server": j, "x": float(x), "y": float(y),
                                       "state": state}))
    if not parts:
        return pd.DataFrame(columns=["t", "processor", "kind", "server", "x", "y", "state"])
    return pd.concat(parts, ignore_index=True).sort_values(["t", "processor", "server"],
                                                           ignore_index=True)


def replication_tables(tables: dict[str, pd.DataFrame],
                       replication: int) -> dict[str, pd.DataFrame]:
    """The record tables of one replication (KPI tables and tables without replications left
    out), without the ``replication`` column."""
    return {name: df[df["replication"] == replication].drop(columns="replication")
            for name, df in tables.items()
            if not name.startswith("kpi_") and "replication" in df}


def fast_positions(tables: dict[str, pd.DataFrame], scenario, replication: int = 0,
                   step_s: float = STEP_S, plan: FloorPlan | None = None) -> pd.DataFrame:
    """The fast mode's positions of one replication every ``step_s``
    (:class:`sim.positions.Trajectories` rebuilt from the records)."""
    from sim.positions import Trajectories

    return sample_positions(Trajectories.from_records(replication_tables(tables, replication),
                                                      scenario, plan), step_s)


def plan_tables(tables: dict[str, pd.DataFrame], scenario, replication: int = 0,
                step_s: float = STEP_S, positions: pd.DataFrame | None = None
                ) -> dict[str, pd.DataFrame]:
    """The plan tables of one replication of a run's ``tables`` (records with a
    ``replication`` column). ``positions`` (e.g. a pedestrian run's trajectories sampled every
    ``step_s``) replaces the fast mode's positions rebuilt from the records."""
    from sim.layout import floor_plan

    plan = floor_plan(scenario)
    frames = replication_tables(tables, replication)
    times = np.arange(0.0, scenario.horizon_s, step_s)
    if positions is None:
        positions = fast_positions(tables, scenario, replication, step_s, plan)
    out = {"plan_zones": zone_outlines(plan), "plan_positions": positions,
           "plan_processors": processor_states(frames["visits"], frames["capacity"], plan,
                                               times)}
    out.update(density_tables(positions, plan, times=times))
    return out
