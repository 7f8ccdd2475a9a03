"""The pedestrian mode against published measurements, analysed with PedPy (MIT):

- a corridor at a set density: mean speed against Weidmann's (1993) fundamental diagram;
- a door (bottleneck) in a wall: specific flow against the 1.3-1.9 persons/m/s that
  Seyfried et al. (2009, *Transportation Science* 43(3)) and Kretz et al. (2006) measured for
  widths of 0.8-1.2 m and more.

The model's time gap and radius (:mod:`sim.pedestrian.crowd`) were fitted on seed 3 of both
scenes; tests and ``airtwin bench pedestrian`` report other seeds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from sim.pedestrian.crowd import FREE_SPEED, Crowd, Walker, weidmann_speed

__all__ = ["FREE_SPEED_SD", "CorridorResult", "DoorResult", "bottleneck_flow",
           "corridor_speed"]

FREE_SPEED_SD = 0.26  # Weidmann's spread of free walking speeds (m/s)
MIN_GAP_M = 0.42  # people are placed at least this far apart (centre to centre)


def _walkers(area: shapely.Polygon, rng_seed: int, *, density: float | None = None,
             number: int | None = None) -> list[Walker]:
    import jupedsim as jps

    if density is not None:
        pts = jps.distribute_by_density(polygon=area, density=density,
                                        distance_to_agents=MIN_GAP_M,
                                        distance_to_polygon=0.2, seed=rng_seed)
    else:
        pts = jps.distribute_by_number(polygon=area, number_of_agents=number,
                                       distance_to_agents=MIN_GAP_M + 0.03,
                                       distance_to_polygon=0.25, seed=rng_seed)
    rng = np.random.default_rng(rng_seed)
    speeds = np.clip(rng.normal(FREE_SPEED, FREE_SPEED_SD, len(pts)), 0.5, 2.2)
    return [Walker(tuple(p), desired_speed=float(v)) for p, v in zip(pts, speeds)]


def _pedpy_trajectories(crowd: Crowd):
    import pedpy

    df = crowd.trajectories()
    return pedpy.TrajectoryData(data=df[["id", "frame", "x", "y"]],
                                frame_rate=crowd.frame_rate)


@dataclass(frozen=True)
class CorridorResult:
    set_density: float  # persons/m² the corridor was filled with
    density: float  # PedPy's classic density in the measurement area, mean over the window
    speed: float  # PedPy's mean speed there (m/s)
    weidmann: float  # Weidmann's speed at the measured density (m/s)
    people: int


def corridor_speed(density: float, seed: int, width_m: float = 3.0, filled_m: float = 40.0,
                   window_s: tuple[float, float] = (2.0, 10.0)) -> CorridorResult:
    """Fill ``filled_m`` of a corridor at ``density`` and let everyone walk to its far end;
    measure density and speed in a 10 m stretch in the middle of the crowd (PedPy's classic
    density and mean speed per frame) over ``window_s`` (before the crowd thins out)."""
    import pedpy

    length = filled_m + 20.0
    crowd = Crowd(shapely.box(0, 0, length, width_m), [shapely.box(length - 1, 0, length,
                                                                   width_m)])
    for w in _walkers(shapely.box(2, 0, 2 + filled_m, width_m), seed, density=density):
        crowd.add(w)
    crowd.step(int(window_s[1] / crowd.dt) + crowd.record_every)
    traj = _pedpy_trajectories(crowd)
    mid = 2 + filled_m / 2
    area = pedpy.MeasurementArea([(mid - 5, 0), (mid + 5, 0), (mid + 5, width_m),
                                  (mid - 5, width_m)])
    dens = pedpy.compute_classic_density(traj_data=traj, measurement_area=area)
    speed = pedpy.compute_individual_speed(
        traj_data=traj, frame_step=2, speed_calculation=pedpy.SpeedCalculation.BORDER_SINGLE_SIDED)
    mean = pedpy.compute_mean_speed_per_frame(traj_data=traj, measurement_area=area,
                                              individual_speed=speed)
    m = dens.merge(mean, on="frame")
    lo, hi = (w * crowd.frame_rate for w in window_s)
    m = m[(m["frame"] >= lo) & (m["frame"] <= hi)]
    rho = float(m["density"].mean())
    return CorridorResult(density, rho, float(m["speed"].mean()), float(weidmann_speed(rho)),
                          crowd.count())


@dataclass(frozen=True)
class DoorResult:
    width_m: float
    people: int  # who started in the room
    passed: int  # who crossed the door line
    flow: float  # persons/s through the door, between the 10th and 90th percentile crossings
    specific_flow: float  # persons/m/s


def bottleneck_flow(width_m: float, seed: int, people: int = 100,
                    max_s: float = 120.0) -> DoorResult:
    """A 10 m x 10 m room of ``people`` emptying through a door of ``width_m`` (0.5 m deep) into
    a second room; flow from PedPy's crossings of the door line."""
    import pedpy

    half = width_m / 2
    walkable = shapely.union_all([shapely.box(0, 0, 10, 10),
                                  shapely.box(10, 5 - half, 10.5, 5 + half),
                                  shapely.box(10.5, 0, 20, 10)])
    crowd = Crowd(walkable, [shapely.box(19, 0, 20, 10)])
    for w in _walkers(shapely.box(1, 1, 9, 9), seed, number=people):
        crowd.add(w)
    while crowd.time_s < max_s and crowd.count() > 0:
        crowd.step(100)
    line = pedpy.MeasurementLine([(10.25, 5 - half), (10.25, 5 + half)])
    _, crossing = pedpy.compute_n_t(traj_data=_pedpy_trajectories(crowd),
                                    measurement_line=line)
    t = np.sort(crossing["frame"].to_numpy(float)) / crowd.frame_rate
    n = len(t)
    if n < 10:
        raise RuntimeError(f"door {width_m} m: only {n} of {people} crossed in {max_s} s")
    a, b = int(0.1 * n), int(0.9 * n) - 1
    flow = (b - a) / (t[b] - t[a])
    return DoorResult(width_m, people, n, float(flow), float(flow / width_m))
