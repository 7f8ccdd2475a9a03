"""What the rules need to know about the floor a camera watches: zones (with their allowed flow
direction and level-of-service space band), the lanes where people are expected to wait (queues,
processors, baggage belts) and the e-gates people pass through one at a time.

Built from a floor plan (:func:`scene_geometry`: a site file's, or a scenario's through
``sim.layout.floor_plan``) or given directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from floorplan.plan import FloorPlan, PlanZone
from floorplan.shapes import lane_polygons

QUEUE_HALF_WIDTH_M = 0.9  # half the width of a queue lane between its barriers
SERVICE_RADIUS_M = 2.0  # around a desk, an e-gate, a customs officer
BELT_WAIT_M = 3.0  # travelers wait for their bags this far out from a belt's edge


@dataclass(frozen=True)
class Gate:
    """One e-gate: people queue on one side and step through along ``through``."""

    bank: str
    index: int
    xy: tuple[float, float]
    through: tuple[float, float]  # unit vector, queue side → exit side
    half_width_m: float  # half the lane width (half the spacing between gates)


RASTER_M = 0.1  # floor raster cell for zone and waiting-area look-ups


@dataclass(frozen=True)
class SceneGeometry:
    zones: tuple[PlanZone, ...]
    waiting_areas: tuple[np.ndarray, ...] = ()  # polygons where standing still is expected
    gates: tuple[Gate, ...] = ()
    # Rows of desks and e-gates: their counters and cabinets hide people, so a half-hidden
    # person there looks short (like a bag, or someone lying); shape rules skip these.
    service_areas: tuple[np.ndarray, ...] = ()
    _raster: tuple = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self):
        # Rules ask "which zone, and is it a waiting area?" for every track every frame: a
        # floor raster answers in O(1) where polygon tests would dominate the frame time.
        polys = [z.polygon for z in self.zones] + list(self.waiting_areas)
        if not polys:
            object.__setattr__(self, "_raster", (np.zeros(2), np.zeros((1, 1), np.int16),
                                                 np.zeros((1, 1), np.uint8)))
            return
        pts = np.vstack(polys)
        origin = pts.min(axis=0) - 1.0
        size = np.ceil((pts.max(axis=0) + 1.0 - origin) / RASTER_M).astype(int)
        zones = np.zeros((size[1], size[0]), np.int16)
        for k, z in enumerate(self.zones):  # the first zone listed wins where they overlap
            layer = np.zeros_like(zones, np.uint8)
            cv2.fillPoly(layer, [self._px(z.polygon, origin)], 1)
            zones[(layer > 0) & (zones == 0)] = k + 1
        areas = np.zeros_like(zones, np.uint8)  # bit 1: waiting area, bit 2: service area
        for poly in self.waiting_areas:
            cv2.fillPoly(areas, [self._px(poly, origin)], 1)
        service = np.zeros_like(areas)
        for poly in self.service_areas:
            cv2.fillPoly(service, [self._px(poly, origin)], 2)
        object.__setattr__(self, "_raster", (origin, zones, areas | service))

    @staticmethod
    def _px(poly, origin) -> np.ndarray:
        return np.round((np.asarray(poly, float) - origin) / RASTER_M).astype(np.int32)

    def _cell(self, xy) -> tuple[int, int] | None:
        origin, zones, _ = self._raster
        i = int((xy[0] - origin[0]) / RASTER_M)
        j = int((xy[1] - origin[1]) / RASTER_M)
        if 0 <= j < zones.shape[0] and 0 <= i < zones.shape[1]:
            return j, i
        return None

    def zone_at(self, xy) -> str:
        c = self._cell(xy)
        k = 0 if c is None else int(self._raster[1][c])
        return self.zones[k - 1].id if k > 0 else ""

    def zone(self, zone_id: str) -> PlanZone | None:
        for z in self.zones:
            if z.id == zone_id:
                return z
        return None

    def in_waiting_area(self, xy) -> bool:
        c = self._cell(xy)
        return c is not None and bool(self._raster[2][c] & 1)

    def in_service_area(self, xy) -> bool:
        c = self._cell(xy)
        return c is not None and bool(self._raster[2][c] & 2)


def scene_geometry(plan: FloorPlan) -> SceneGeometry:
    """Zones, waiting areas and e-gates of a floor plan."""
    waiting: list[np.ndarray] = []
    service: list[np.ndarray] = []
    gates: list[Gate] = []
    for row in plan.rows:
        if row.kind == "customs":  # the whole customs zone is a waiting area (below)
            continue
        if row.queue_path is not None:
            waiting += lane_polygons(row.queue_path, QUEUE_HALF_WIDTH_M)
        points = row.points
        row_end = [points[0] - [SERVICE_RADIUS_M, 0], points[-1] + [SERVICE_RADIUS_M, 0]]
        waiting += lane_polygons(row_end, SERVICE_RADIUS_M)
        service += lane_polygons(row_end, SERVICE_RADIUS_M)
        if row.kind == "egate":
            gates += [Gate(row.id, i, (float(p[0]), float(p[1])), row.through, row.spacing_m / 2)
                      for i, p in enumerate(points)]
    for z in plan.zones:
        if z.kind == "baggage_reclaim":  # waiting at a belt is what reclaim is for
            for belt in plan.belts_in(z.id):
                (cx, cy), half_len = belt.centre, belt.half_length_m
                r = belt.half_width_m + BELT_WAIT_M
                waiting.append(np.array([[cx - r, cy - half_len - r], [cx + r, cy - half_len - r],
                                         [cx + r, cy + half_len + r], [cx - r, cy + half_len + r]]))
        elif z.kind == "customs":  # being inspected is what customs is for
            x0, y0, x1, y1 = z.bounds
            waiting.append(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float))
    return SceneGeometry(tuple(plan.zones), tuple(waiting), tuple(gates), tuple(service))
