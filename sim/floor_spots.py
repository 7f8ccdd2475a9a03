"""Where travelers stand on the floor when not walking a route or standing in a roped queue:
spots inside a zone, waiting places round a baggage belt, and the crowd a full queue spills
into (deterministic per traveler: hashed uniforms in, points out)."""

from __future__ import annotations

import math

import numpy as np
import shapely

from floorplan.plan import Belt, FloorPlan, PlanZone, ProcessorRow
from floorplan.shapes import points_in_polygon

__all__ = ["SPILL_CLEAR_M", "SPILL_GAP_M", "belt_spots", "spill_cells", "spots_in"]

SPILL_GAP_M = 0.6  # grid of a spilled crowd (about 2.8 travelers/m², dense standing)
SPILL_CLEAR_M = 0.5  # a spilled traveler stands this far off queue lines and rows


def spill_cells(plan: FloorPlan, row: ProcessorRow, n: int) -> np.ndarray:
    """``n`` standing places for a spilled queue: a SPILL_GAP_M grid over the row's zone, off
    every queue line and processor row there, nearest the queue's tail first (repeating the
    farthest if the zone has fewer)."""
    line = row.queue_line()
    tail = np.asarray(line[-1], float)
    if not row.zone:
        return tail[None, :]
    zone = plan.zone(row.zone)
    x0, y0, x1, y1 = zone.bounds
    gx, gy = np.meshgrid(np.arange(x0 + SPILL_GAP_M / 2, x1, SPILL_GAP_M),
                         np.arange(y0 + SPILL_GAP_M / 2, y1, SPILL_GAP_M))
    cells = np.column_stack([gx.ravel(), gy.ravel()])
    cells = cells[points_in_polygon(cells, zone.polygon)]
    lines = [shapely.linestrings(r.queue_line()) for r in plan.rows_in(row.zone)]
    lines += [shapely.linestrings(r.points) if len(r.points) > 1 else shapely.points(r.points[0])
              for r in plan.rows_in(row.zone)]
    taken = shapely.union_all(lines)
    free = shapely.distance(shapely.points(cells), taken) >= SPILL_CLEAR_M
    cells = cells[free] if free.any() else cells
    order = np.argsort(np.hypot(*(cells - tail).T), kind="stable")[:n]
    return cells[order] if len(order) else tail[None, :]


def spots_in(zone: PlanZone, u: np.ndarray) -> np.ndarray:
    """One point per traveler inside ``zone`` (near its middle), from hashed uniforms."""
    x0, y0, x1, y1 = zone.bounds
    cx, cy = zone.centre
    pts = np.column_stack([cx + (u[:, 0] - 0.5) * 0.6 * (x1 - x0),
                           cy + (u[:, 1] - 0.5) * 0.6 * (y1 - y0)])
    inside = points_in_polygon(pts, zone.polygon)
    pts[~inside] = (cx, cy)
    return pts


def belt_spots(belts: list[Belt], u_belt: np.ndarray, u_pos: np.ndarray):
    """Waiting points 1.2 m outside a belt's stadium outline, facing the belt."""
    k = np.minimum((u_belt * len(belts)).astype(int), len(belts) - 1)
    table = np.asarray([(*b.centre, b.half_length_m, b.half_width_m) for b in belts], float)
    cx, cy, hl, hw = table[k].T
    r = hw + 1.2
    arc = math.pi * hw
    s = u_pos * (4 * hl + 2 * arc)
    x, y = np.empty_like(s), np.empty_like(s)
    a = s < 2 * hl  # east straight, going north
    x[a], y[a] = cx[a] + r[a], cy[a] - hl[a] + s[a]
    b = ~a & (s < 2 * hl + arc)  # north end
    ang = (s[b] - 2 * hl[b]) / hw[b]
    x[b], y[b] = cx[b] + r[b] * np.cos(ang), cy[b] + hl[b] + r[b] * np.sin(ang)
    c = ~a & ~b & (s < 4 * hl + arc)  # west straight, going south
    x[c], y[c] = cx[c] - r[c], cy[c] + hl[c] - (s[c] - 2 * hl[c] - arc[c])
    d = ~(a | b | c)  # south end
    ang = math.pi + (s[d] - 4 * hl[d] - arc[d]) / hw[d]
    x[d], y[d] = cx[d] + r[d] * np.cos(ang), cy[d] - hl[d] + r[d] * np.sin(ang)
    heading = np.arctan2(np.clip(y, cy - hl, cy + hl) - y, cx - x)
    return np.column_stack([x, y]), heading
