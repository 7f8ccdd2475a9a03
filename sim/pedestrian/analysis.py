"""The pedestrian hall's trajectories measured with PedPy (MIT): density and speed in the hall
and the flow out through its exit door, per frame and summed per time bin.

``ped_flow`` (one row per ``bin_s`` of the run): t (bin start, s), density (PedPy's classic
density over the hall polygon, persons/m², mean over the bin's frames), speed (PedPy's mean
speed of the people in the hall, m/s), exits (people who crossed the exit door line in the bin),
flow (exits per second).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["BIN_S", "door_line", "hall_flow"]

BIN_S = 60.0


def door_line(hall_polygon, door_xy, inset_m: float = 3.0, half_m: float = 3.0):
    """A measurement line across the way to a door: ``inset_m`` into the hall from the door
    point (ahead of JuPedSim's exit area, where people vanish), ``2 half_m`` long."""
    poly = np.asarray(hall_polygon, float)
    d = np.asarray(door_xy, float)
    n = poly.mean(axis=0) - d
    n /= max(np.hypot(*n), 1e-9)
    c, side = d + inset_m * n, np.array([-n[1], n[0]])
    return [tuple(c - half_m * side), tuple(c + half_m * side)]


def hall_flow(trajectories: pd.DataFrame, hall_polygon, exit_line, frame_rate: float,
              bin_s: float = BIN_S) -> pd.DataFrame:
    """``trajectories``: t, traveler_id, x, y every 1/``frame_rate`` s; ``exit_line``: two
    (x, y) points across the exit door, a step inside the hall."""
    import pedpy

    cols = ["t", "density", "speed", "exits", "flow"]
    if trajectories.empty:
        return pd.DataFrame(columns=cols)
    frame = np.round(trajectories["t"].to_numpy(float) * frame_rate).astype(np.int64)
    data = pd.DataFrame({"id": trajectories["traveler_id"].to_numpy(np.int64), "frame": frame,
                         "x": trajectories["x"].to_numpy(float),
                         "y": trajectories["y"].to_numpy(float)})
    # A traveler leaves the floor while served and comes back: one PedPy id per stretch on it.
    data = data.sort_values(["id", "frame"], ignore_index=True)
    gap = (data["id"].diff() != 0) | (data["frame"].diff() != 1)
    data["id"] = np.cumsum(gap.to_numpy())
    traj = pedpy.TrajectoryData(data=data, frame_rate=frame_rate)
    area = pedpy.MeasurementArea(np.asarray(hall_polygon, float).tolist())
    density = pedpy.compute_classic_density(traj_data=traj, measurement_area=area)
    speed = pedpy.compute_individual_speed(
        traj_data=traj, frame_step=1,
        speed_calculation=pedpy.SpeedCalculation.BORDER_SINGLE_SIDED)
    mean = pedpy.compute_mean_speed_per_frame(traj_data=traj, measurement_area=area,
                                              individual_speed=speed)
    _, crossing = pedpy.compute_n_t(traj_data=traj,
                                    measurement_line=pedpy.MeasurementLine(exit_line))
    per_frame = density.merge(mean, on="frame", how="left")
    per_frame["bin"] = np.floor(per_frame["frame"] / frame_rate / bin_s).astype(np.int64)
    out = per_frame.groupby("bin").agg(density=("density", "mean"), speed=("speed", "mean"))
    exits = np.floor(crossing["frame"].to_numpy(float) / frame_rate / bin_s).astype(np.int64)
    out["exits"] = pd.Series(exits).value_counts().reindex(out.index, fill_value=0).to_numpy()
    out["flow"] = out["exits"] / bin_s
    out = out.reset_index()
    out["t"] = out["bin"] * bin_s
    return out[cols]
