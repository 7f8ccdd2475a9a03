"""How fast the pedestrian mode runs with a given number of people in the hall.

A hall of the arrivals peak's size (the scenario's immigration hall polygon, or 60 m x 40 m)
holds ``n`` people walking from its entrance side to its far side; whoever arrives is put back
at the entrance, so ``n`` stays constant. The real-time factor is simulated seconds per wall
second, trajectories recorded as the pedestrian mode records them (every 5th step).
"""

from __future__ import annotations

import time

import numpy as np
import shapely

from sim.pedestrian.crowd import DT_S, Crowd, Walker

__all__ = ["HALL_PEOPLE", "bench_hall", "hall_polygon", "peak_estimate"]

HALL_PEOPLE = (50, 200, 800, 1500)


def hall_polygon(plan=None) -> shapely.Polygon:
    """The immigration hall of ``plan`` (a floorplan.FloorPlan), else a 60 m x 40 m box."""
    if plan is not None:
        for z in plan.zones:
            if z.kind == "immigration_hall":
                return shapely.Polygon(z.polygon)
    return shapely.box(0, 0, 60, 40)


def bench_hall(n: int, hall: shapely.Polygon, sim_s: float = 20.0, seed: int = 5,
               dt: float = DT_S) -> dict:
    """Run ``n`` people for ``sim_s`` simulated seconds; wall time and real-time factor."""
    import jupedsim as jps

    x0, y0, x1, y1 = hall.bounds
    exit_strip = shapely.box(x1 - 1.0, y0, x1, y1).intersection(hall)
    crowd = Crowd(hall, [exit_strip], dt=dt)
    entry = shapely.box(x0, y0, x0 + 0.5 * (x1 - x0), y1).intersection(hall)
    rng = np.random.default_rng(seed)
    pts = jps.distribute_by_number(polygon=entry, number_of_agents=n, distance_to_agents=0.5,
                                   distance_to_polygon=0.3, seed=seed)
    for p in pts:
        crowd.add(Walker(tuple(p), desired_speed=float(np.clip(rng.normal(1.34, 0.26), 0.5,
                                                                 2.2))))
    steps = int(round(sim_s / dt))
    wall, cpu = 0.0, 0.0
    counts = []
    refill = shapely.box(x0, y0, x0 + 3.0, y1).intersection(hall)
    for k in range(0, steps, 20):
        t, c = time.perf_counter(), time.process_time()
        crowd.step(20)
        missing = n - crowd.count()
        if missing > 0:  # back in at the entrance, where there is room
            occupied = [a.position for a in crowd.sim.agents()]
            try:
                more = jps.distribute_by_number(
                    polygon=refill, number_of_agents=missing, distance_to_agents=0.5,
                    distance_to_polygon=0.3, seed=int(rng.integers(1 << 30)),
                    occupied_areas=shapely.MultiPoint(occupied).buffer(0.45)
                    if occupied else None)
            except Exception:  # the entrance strip is full: retry after the next steps
                more = []
            for p in more:
                crowd.add(Walker(tuple(p)))
        wall += time.perf_counter() - t
        cpu += time.process_time() - c
        counts.append(crowd.count())
    sim_done = steps * dt
    return {"people": n, "sim_s": sim_done, "wall_s": wall,
            "realtime_factor": sim_done / wall if wall > 0 else float("inf"),
            "ms_per_step": 1000 * wall / steps, "dt_s": dt, "cpu_s": cpu,
            "realtime_factor_cpu": sim_done / cpu if cpu > 0 else float("inf"),
            "mean_in_hall": float(np.mean(counts)) if counts else 0.0}


def peak_estimate(points: list[dict], occupancy_t: np.ndarray, occupancy_n: np.ndarray,
                  horizon_s: float) -> dict:
    """The real-time factor of a run whose hall holds ``occupancy_n`` people from
    ``occupancy_t`` on (a level), from the measured cost per step at ``points`` (interpolated
    log-log in the number of people; above the largest measured, extrapolated on its slope).
    An estimate: it prices every step by the hall's crowd and nothing else."""
    n = np.array([p["people"] for p in points], float)
    ms = np.array([p["ms_per_step"] for p in points], float)
    ln, lm = np.log(n), np.log(ms)
    slope = (lm[-1] - lm[-2]) / (ln[-1] - ln[-2]) if len(n) > 1 else 1.0
    edges = np.append(np.asarray(occupancy_t, float), horizon_s)
    dur = np.clip(np.diff(edges), 0, None)
    people = np.maximum(np.asarray(occupancy_n, float), 1.0)
    lp = np.log(people)
    cost = np.where(lp <= ln[-1], np.interp(lp, ln, lm), lm[-1] + slope * (lp - ln[-1]))
    dt = points[0]["dt_s"]
    wall = float(np.sum(dur / dt * np.exp(cost) / 1000.0))
    return {"horizon_s": horizon_s, "hall_people_max": float(people.max()),
            "hall_people_mean": float(np.sum(dur * people) / max(dur.sum(), 1e-9)),
            "wall_s_estimated": wall, "realtime_factor_estimated": horizon_s / wall}
