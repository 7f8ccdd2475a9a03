"""A JuPedSim crowd on a walkable polygon, with its trajectories kept as a plain table.

JuPedSim (LGPL-3.0) moves the people; this wrapper only builds its geometry from shapely
polygons, adds people with the collision-free speed model's parameters, steps it, and records
``id, frame, t, x, y`` every ``record_every`` steps, the columns PedPy's ``TrajectoryData``
reads. The model choice is the one JuPedSim recommends for crowds of this size: Tordeux's
collision-free speed model (a speed that falls with the gap ahead, time gap ``T`` s).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from sim.walking import WEIDMANN_GAMMA, WEIDMANN_RHO_MAX

__all__ = ["DT_S", "Crowd", "Walker", "weidmann_speed"]

DT_S = 0.05  # JuPedSim time step (s); its documentation uses 0.01-0.05
RADIUS_M = 0.18  # a person's radius in the model
FREE_SPEED = 1.34  # Weidmann's mean free walking speed (m/s)
TIME_GAP_S = 0.7  # the speed model's time gap T (s): fitted to Weidmann on the corridor, seed 3


def weidmann_speed(density, v0: float = FREE_SPEED, rho_max: float = WEIDMANN_RHO_MAX,
                   gamma: float = WEIDMANN_GAMMA) -> np.ndarray:
    """Weidmann's (1993) fundamental diagram: walking speed (m/s) at a density (persons/m²)."""
    rho = np.asarray(density, float)
    with np.errstate(divide="ignore"):
        v = v0 * (1.0 - np.exp(-gamma * (1.0 / rho - 1.0 / rho_max)))
    return np.clip(np.where(rho > 0, v, v0), 0.0, v0)


@dataclass(frozen=True)
class Walker:
    """One person as the pedestrian model sees them."""

    position: tuple[float, float]
    desired_speed: float = FREE_SPEED
    radius: float = RADIUS_M
    time_gap: float = TIME_GAP_S


@dataclass
class Crowd:
    """People walking on ``walkable`` (a shapely polygon, holes for obstacles) towards exits.

    ``exits`` are polygons; a person who reaches one leaves the simulation. Trajectories are
    recorded every ``record_every`` steps (``trajectories()``)."""

    walkable: shapely.Polygon
    exits: list[shapely.Polygon]
    dt: float = DT_S
    record_every: int = 5
    _rows: list[np.ndarray] = field(default_factory=list, repr=False)

    def __post_init__(self):
        import jupedsim as jps

        if not self.walkable.is_valid or self.walkable.area <= 0:
            raise ValueError(f"walkable area must be a valid polygon with area > 0, got "
                             f"{shapely.is_valid_reason(self.walkable)}")
        self._jps = jps
        self.sim = jps.Simulation(model=jps.CollisionFreeSpeedModel(), geometry=self.walkable,
                                  dt=self.dt)
        self.exit_stages = [self.sim.add_exit_stage(e) for e in self.exits]
        self.journeys = [self.sim.add_journey(jps.JourneyDescription([s]))
                         for s in self.exit_stages]
        self.steps = 0

    @property
    def time_s(self) -> float:
        return self.steps * self.dt

    def add(self, walker: Walker, exit_index: int = 0) -> int:
        """Add a person heading for exit ``exit_index``; returns their id."""
        return self.sim.add_agent(self._jps.CollisionFreeSpeedModelAgentParameters(
            journey_id=self.journeys[exit_index], stage_id=self.exit_stages[exit_index],
            position=walker.position, desired_speed=walker.desired_speed,
            radius=walker.radius, time_gap=walker.time_gap))

    def count(self) -> int:
        return self.sim.agent_count()

    def step(self, n: int = 1) -> None:
        for _ in range(n):
            if self.steps % self.record_every == 0:
                self._record()
            self.sim.iterate()
            self.steps += 1

    def _record(self) -> None:
        agents = list(self.sim.agents())
        if not agents:
            return
        a = np.empty((len(agents), 4))
        for k, ag in enumerate(agents):
            a[k, 0] = ag.id
            a[k, 2], a[k, 3] = ag.position
        a[:, 1] = self.steps // self.record_every
        self._rows.append(a)

    @property
    def frame_rate(self) -> float:
        return 1.0 / (self.dt * self.record_every)

    def trajectories(self) -> pd.DataFrame:
        """id, frame, t (s), x, y (m): every recorded person at every recorded frame."""
        if not self._rows:
            return pd.DataFrame({"id": [], "frame": [], "t": [], "x": [], "y": []})
        a = np.vstack(self._rows)
        df = pd.DataFrame({"id": a[:, 0].astype(np.int64), "frame": a[:, 1].astype(np.int64),
                           "x": a[:, 2], "y": a[:, 3]})
        df.insert(2, "t", df["frame"] / self.frame_rate)
        return df
