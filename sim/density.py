"""Density over the floor plan: m² per traveler per zone and per grid cell over time, against
IATA ADRM's space bands and Fruin's levels of service, with the worst moments listed.

Everything here is a pure function of a positions table (one row per traveler per sampled
instant: ``t, traveler_id, x, y``), so it reads the same whether the positions came from the
fast mode (:meth:`sim.positions.Trajectories.positions_at`, sampled by
:func:`sample_positions`) or from the pedestrian mode's trajectories (:mod:`sim.pedestrian`).

Areas are the zones' polygon areas: the positions are counted inside those polygons, so the
area must be the polygon's (a scenario's ``area_m2`` may differ from its drawn outline).

Fruin (1971, *Pedestrian Planning and Design*), m² per person at the lower edge of each level:

- walkways (gates, corridors, exit hall): A ≥ 3.3, B ≥ 2.3, C ≥ 1.4, D ≥ 0.9, E ≥ 0.5, F below;
- queueing and waiting areas (immigration hall, reclaim, customs): A ≥ 1.2, B ≥ 0.9, C ≥ 0.7,
  D ≥ 0.3, E ≥ 0.2, F below.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from floorplan.plan import FloorPlan, PlanZone
from floorplan.shapes import points_in_polygon

__all__ = ["CELL_M", "FRUIN_QUEUE", "FRUIN_WALKWAY", "POSITION_COLUMNS", "STEP_S",
           "cell_density", "density_tables", "fruin_level", "fruin_standard", "iata_status",
           "polygon_area", "sample_positions", "worst_moments", "zone_density"]

STEP_S = 10.0  # seconds between sampled instants of a fast-mode run
CELL_M = 2.0  # side of a grid cell (m): about the footprint a group of 4-6 people occupies
FRUIN_WALKWAY = (3.3, 2.3, 1.4, 0.9, 0.5)  # m²/person at the lower edge of levels A..E
FRUIN_QUEUE = (1.2, 0.9, 0.7, 0.3, 0.2)
QUEUEING_KINDS = ("immigration_hall", "baggage_reclaim", "customs")
POSITION_COLUMNS = ("t", "traveler_id", "x", "y", "zone", "activity")
WORST_GAP_S = 300.0  # two worst moments of one zone are at least this far apart


def polygon_area(polygon) -> float:
    """Shoelace area (m²) of a simple polygon."""
    x, y = np.asarray(polygon, float).T
    return 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))


def fruin_standard(zone_kind: str) -> str:
    """Which of Fruin's tables applies: ``queue`` for waiting areas, else ``walkway``."""
    return "queue" if zone_kind in QUEUEING_KINDS else "walkway"


def fruin_level(m2_per_pax, standard: str = "walkway") -> np.ndarray:
    """Fruin's level of service (A best .. F worst) for m² per person; "" where empty (inf)."""
    if standard not in ("walkway", "queue"):
        raise ValueError(f"fruin standard must be 'walkway' or 'queue', got {standard!r}")
    edges = FRUIN_WALKWAY if standard == "walkway" else FRUIN_QUEUE
    m2 = np.asarray(m2_per_pax, float)
    level = np.select([m2 >= e for e in edges], list("ABCDE"), "F")
    return np.where(np.isfinite(m2), level, "")


def iata_status(m2_per_pax, low: float | None, high: float | None) -> np.ndarray:
    """IATA ADRM words against a zone's band: over-design, optimum, sub-optimum; "empty" where
    nobody is there, "" where the zone has no band."""
    m2 = np.asarray(m2_per_pax, float)
    if low is None or high is None:
        return np.where(np.isfinite(m2), "", "empty")
    return np.select([~np.isfinite(m2), m2 > high, m2 >= low],
                     ["empty", "over-design", "optimum"], "sub-optimum")


def _per_pax(area: float | np.ndarray, n: np.ndarray) -> np.ndarray:
    n = np.asarray(n, float)
    return np.where(n > 0, area / np.where(n > 0, n, 1.0), np.inf)


def sample_positions(trajectories, step_s: float = STEP_S, t0: float = 0.0,
                     t1: float | None = None) -> pd.DataFrame:
    """Fast-mode positions every ``step_s`` from ``t0`` to ``t1`` (default the horizon):
    :data:`POSITION_COLUMNS`, from a :class:`sim.positions.Trajectories`."""
    if not step_s > 0:
        raise ValueError(f"step_s must be > 0, got {step_s}")
    end = trajectories.scenario.horizon_s if t1 is None else t1
    parts = []
    for t in np.arange(t0, end, step_s):
        p = trajectories.positions_at(float(t))
        parts.append(p.assign(t=float(t))[list(POSITION_COLUMNS)])
    if not parts:
        return pd.DataFrame({c: [] for c in POSITION_COLUMNS})
    return pd.concat(parts, ignore_index=True)


def _zone_of(positions: pd.DataFrame, zones: tuple[PlanZone, ...]) -> np.ndarray:
    xy = positions[["x", "y"]].to_numpy(float)
    zone = np.full(len(xy), "", dtype=object)
    for z in zones:
        zone[points_in_polygon(xy, z.polygon) & (zone == "")] = z.id
    return zone


def zone_density(positions: pd.DataFrame, plan: FloorPlan,
                 times: np.ndarray | None = None) -> pd.DataFrame:
    """One row per sampled instant and zone (empty zones included): travelers, area_m2 (the
    polygon's), m2_per_pax (inf when empty), band_low_m2/band_high_m2 (IATA, NaN without a
    band), iata_status, fruin_standard, fruin_los. A traveler counts in the first zone of the
    plan whose polygon holds them (the ``zone`` column is recomputed, not trusted)."""
    times = np.unique(positions["t"].to_numpy(float)) if times is None else np.asarray(times,
                                                                                       float)
    zone = _zone_of(positions, plan.zones)
    counts = pd.Series(1, index=pd.MultiIndex.from_arrays(
        [positions["t"].to_numpy(float), zone], names=["t", "zone"])).groupby(level=[0, 1]).sum()
    parts = []
    for z in plan.zones:
        n = counts.xs(z.id, level="zone").reindex(times, fill_value=0).to_numpy(float) \
            if z.id in counts.index.get_level_values("zone") else np.zeros(len(times))
        area = polygon_area(z.polygon)
        m2 = _per_pax(area, n)
        std = fruin_standard(z.kind)
        parts.append(pd.DataFrame({
            "t": times, "zone": z.id, "zone_kind": z.kind, "travelers": n.astype(np.int64),
            "area_m2": area, "m2_per_pax": m2,
            "band_low_m2": np.nan if z.space_low_m2 is None else z.space_low_m2,
            "band_high_m2": np.nan if z.space_high_m2 is None else z.space_high_m2,
            "iata_status": iata_status(m2, z.space_low_m2, z.space_high_m2),
            "fruin_standard": std, "fruin_los": fruin_level(m2, std)}))
    cols = ["t", "zone", "zone_kind", "travelers", "area_m2", "m2_per_pax", "band_low_m2",
            "band_high_m2", "iata_status", "fruin_standard", "fruin_los"]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True).sort_values(["t", "zone"], ignore_index=True)


def cell_density(positions: pd.DataFrame, origin: tuple[float, float],
                 cell_m: float = CELL_M) -> pd.DataFrame:
    """Occupied grid cells per sampled instant: t, ix, iy (cell index from ``origin``), x, y
    (cell centre, m), travelers, m2_per_pax (cell area / travelers), fruin_los (walkway
    table: a cell does not know what it is used for). Empty cells are left out."""
    if not cell_m > 0:
        raise ValueError(f"cell_m must be > 0, got {cell_m}")
    ix = np.floor((positions["x"].to_numpy(float) - origin[0]) / cell_m).astype(np.int64)
    iy = np.floor((positions["y"].to_numpy(float) - origin[1]) / cell_m).astype(np.int64)
    g = pd.DataFrame({"t": positions["t"].to_numpy(float), "ix": ix, "iy": iy}) \
        .groupby(["t", "ix", "iy"], sort=True).size().rename("travelers").reset_index()
    g["x"] = origin[0] + (g["ix"] + 0.5) * cell_m
    g["y"] = origin[1] + (g["iy"] + 0.5) * cell_m
    g["travelers"] = g["travelers"].astype(np.int64)
    g["m2_per_pax"] = _per_pax(cell_m * cell_m, g["travelers"].to_numpy())
    g["fruin_los"] = fruin_level(g["m2_per_pax"].to_numpy(), "walkway")
    return g[["t", "ix", "iy", "x", "y", "travelers", "m2_per_pax", "fruin_los"]]


def worst_moments(zones: pd.DataFrame, n: int = 10, gap_s: float = WORST_GAP_S
                  ) -> pd.DataFrame:
    """The ``n`` most crowded moments (least m² per traveler) over all zones, each zone's
    moments at least ``gap_s`` apart so one long crush is listed once; ranked 1 = worst."""
    d = zones[np.isfinite(zones["m2_per_pax"])].sort_values(["m2_per_pax", "t"], kind="stable")
    picked: list[int] = []
    seen: dict[str, list[float]] = {}
    for label, zone, t in zip(d.index, d["zone"], d["t"]):
        if any(abs(t - u) < gap_s for u in seen.get(zone, ())):
            continue
        seen.setdefault(zone, []).append(t)
        picked.append(label)
        if len(picked) >= n:
            break
    out = d.loc[picked].reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def plan_origin(plan: FloorPlan) -> tuple[float, float]:
    """The grid's origin: the south-west corner of the plan's zones, floored to a metre."""
    pts = np.vstack([z.polygon for z in plan.zones])
    return float(np.floor(pts[:, 0].min())), float(np.floor(pts[:, 1].min()))


def density_tables(positions: pd.DataFrame, plan: FloorPlan, cell_m: float = CELL_M,
                   times: np.ndarray | None = None) -> dict[str, pd.DataFrame]:
    """``density_zones``, ``density_cells`` and ``density_worst`` from one positions table."""
    zones = zone_density(positions, plan, times)
    return {"density_zones": zones,
            "density_cells": cell_density(positions, plan_origin(plan), cell_m),
            "density_worst": worst_moments(zones)}
