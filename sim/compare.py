"""Two or more layouts side by side: waits, space per traveler and walking times.

``airtwin compare A.yaml B.yaml`` runs every scenario on the same replication seeds (common
random numbers: with the same demand, differences come from the layouts, not the draws) and
lays their figures out in one table, with each scenario's difference from the first:

- waits: the headline immigration, e-gate and desk waits (:mod:`sim.kpi`);
- space: least m² per traveler in the hall and in reclaim (5-minute means, IATA ADRM bands);
- walking: mean time per walk between zones, mean walking per traveler, and how much of it
  the crowd cost (walk time over the free-speed time of the same distance);
- queue space: the most travelers standing outside a full queue's ropes (spillback), and the
  share of the horizon with anyone spilled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.kpi import HEADLINE
from sim.layout import floor_plan
from sim.replications import replication_seeds, run_one
from sim.scenario import Scenario
from sim.walking import walk_routes

__all__ = ["FIGURES", "compare_layouts", "layout_figures"]

HEADLINE_FIGURES = ("immigration_wait_mean_s", "immigration_wait_p95_s", "egate_wait_p95_s",
                    "desk_wait_p95_s", "time_in_system_mean_s", "hall_m2_per_pax_min",
                    "reclaim_m2_per_pax_min")
# name → (unit, words), in table order
FIGURES: dict[str, tuple[str, str]] = {
    **{k: HEADLINE[k] for k in HEADLINE_FIGURES},
    "walk_per_traveler_mean_s": ("s", "mean walking time per exited traveler, aircraft to exit"),
    "walk_crowd_delay_mean_s": ("s", "mean walking time per exited traveler lost to crowding "
                                     "(walk time minus free-speed time)"),
    "spill_max_pax": ("pax", "most travelers waiting outside full queue ropes (any queue)"),
    "spill_time_share": ("share", "share of the horizon with a queue spilling into the hall"),
}


@dataclass(frozen=True)
class LayoutRun:
    scenario: Scenario
    figures: dict[str, float]  # FIGURES, means over replications
    walks: pd.DataFrame  # from_zone, to_zone, walk_mean_s, distance_m (means over replications)


def _spill(queue_lengths: pd.DataFrame, slots: dict[str, int], horizon: float
           ) -> tuple[float, float]:
    """(most travelers beyond any queue's slots, share of the horizon with any spilled)."""
    if queue_lengths.empty:
        return 0.0, 0.0
    q = queue_lengths.sort_values("t", kind="stable")
    over = (q["length"] - q["processor"].map(slots).fillna(np.inf)).clip(lower=0)
    spilled = q.assign(over=over.to_numpy())
    # Any queue spilled: a step function per processor; sum them over time.
    wide = spilled.pivot_table(index="t", columns="processor", values="over", aggfunc="last")
    wide = wide.ffill().fillna(0.0)
    any_over = (wide.sum(axis=1) > 0).to_numpy()
    t = wide.index.to_numpy(float)
    dt = np.diff(np.append(t, horizon))
    return float(over.max()), float((dt * any_over).sum() / horizon)


def layout_figures(s: Scenario, records: dict[str, pd.DataFrame], head: dict[str, float]
                   ) -> tuple[dict[str, float], pd.DataFrame]:
    """One replication's figures and its walks per pair of zones."""
    routes = walk_routes(s)
    hall = _hall(s)
    w = records["walks"].dropna(subset=["t1"])
    w = w.assign(walk_s=w["t1"] - w["t0"])
    speed = records["travelers"].set_index("traveler_id")["walk_speed"]
    # The distance the model walked: into a routed hall on to the queue joined first, out of
    # it from the row that served last.
    v = records["visits"]
    imm = v[v["kind"].isin(["egate", "desk"])].sort_values("queue_t", kind="stable")
    first = imm.groupby("traveler_id")["processor"].first()
    last = imm.groupby("traveler_id")["processor"].last()
    base = [routes.distance.get(k, np.nan) for k in zip(w["from_zone"], w["to_zone"])]
    extra_in = [routes.into_queue_m(a, p) if b == hall and isinstance(p, str) else 0.0
                for a, b, p in zip(w["from_zone"], w["to_zone"], w["traveler_id"].map(first))]
    row_out = [routes.from_row_m(p, d) if a == hall and isinstance(p, str) else d
               for a, p, d in zip(w["from_zone"], w["traveler_id"].map(last), base)]
    dist = pd.Series(np.asarray(row_out, float) + np.asarray(extra_in, float), index=w.index)
    free = dist / w["traveler_id"].map(speed)
    exited = set(records["travelers"].loc[records["travelers"]["exit_t"].notna(), "traveler_id"])
    mine = w["traveler_id"].isin(exited)
    per_tr = w[mine].groupby("traveler_id")["walk_s"].sum()
    delay = (w["walk_s"] - free)[mine].groupby(w["traveler_id"]).sum()
    slots = {r.id: r.queue_slots for r in floor_plan(s).rows} if \
        s.terminal.walking.queue_space else {}
    spill_max, spill_share = _spill(records["queue_lengths"], slots, s.horizon_s)
    figures = {k: head.get(k, np.nan) for k in HEADLINE_FIGURES}
    figures.update({
        "walk_per_traveler_mean_s": float(per_tr.mean()) if len(per_tr) else np.nan,
        "walk_crowd_delay_mean_s": float(delay.reindex(per_tr.index, fill_value=0).mean())
        if len(per_tr) else np.nan,
        "spill_max_pax": spill_max, "spill_time_share": spill_share})
    legs = w.assign(distance_m=base).groupby(["from_zone", "to_zone"], as_index=False).agg(
        walk_mean_s=("walk_s", "mean"), distance_m=("distance_m", "first"))
    # (distance_m: the zone-to-zone part; a routed hall adds door → queue and row → door)
    return figures, legs


def _hall(s: Scenario) -> str:
    from sim.scenario import ZoneKind

    return s.zone_of_kind(ZoneKind.immigration_hall).id


def compare_layouts(scenarios: list[Scenario], replications: int = 1, seed: int | None = None,
                    progress=None) -> tuple[pd.DataFrame, list[LayoutRun]]:
    """Run each scenario on the same seeds; return the comparison table (figure, unit, one
    column per scenario, ``<name> - <first>`` differences) and each run's figures."""
    seed = scenarios[0].seed if seed is None else seed
    seeds = replication_seeds(seed, replications)
    runs = []
    for s in scenarios:
        per_rep, legs = [], []
        for i, rep_seed in enumerate(seeds):
            rep = run_one(s, i, rep_seed)
            f, lg = layout_figures(s, rep.records, rep.headline)
            per_rep.append(f)
            legs.append(lg)
            if progress is not None:
                progress(s.name, i)
        figures = pd.DataFrame(per_rep).mean().to_dict()
        walks = pd.concat(legs).groupby(["from_zone", "to_zone"], as_index=False).mean()
        runs.append(LayoutRun(s, figures, walks))
    names = [r.scenario.name for r in runs]
    if len(set(names)) != len(names):
        raise ValueError(f"compare: scenarios need different names, got {', '.join(names)}")
    rows = []
    for key, (unit, words) in FIGURES.items():
        row = {"figure": key, "unit": unit, "meaning": words}
        for r in runs:
            row[r.scenario.name] = r.figures[key]
        for r in runs[1:]:
            row[f"{r.scenario.name} - {names[0]}"] = r.figures[key] - runs[0].figures[key]
        rows.append(row)
    return pd.DataFrame(rows), runs
