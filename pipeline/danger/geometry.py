"""What the rules need to know about the floor a camera watches: zones (with their allowed flow
direction and level-of-service space band), the lanes where people are expected to wait (queues,
processors, baggage belts) and the e-gates people pass through one at a time.

Built from a scenario (:func:`scene_from_scenario`) or given directly for a user's own camera.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from sim.layout import zone_bounds
from sim.positions import reclaim_belts
from sim.scenario import Scenario

QUEUE_HALF_WIDTH_M = 0.9  # half the width of a queue lane between its barriers
SERVICE_RADIUS_M = 2.0  # around a desk, an e-gate, a customs officer
BELT_WAIT_M = 3.0  # travelers wait for their bags this far out from a belt's edge


@dataclass(frozen=True)
class ZoneInfo:
    id: str
    kind: str
    polygon: np.ndarray  # (N, 2) metres
    flow: tuple[float, float] | None = None  # unit vector of allowed movement
    space_low_m2: float | None = None  # IATA LoS: below this many m² per person is sub-optimum


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
    zones: tuple[ZoneInfo, ...]
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

    def zone(self, zone_id: str) -> ZoneInfo | None:
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


def lane_polygon(path, half_width: float) -> list[np.ndarray]:
    """Rectangles around each segment of a polyline (one polygon per segment)."""
    pts = np.asarray(path, float)
    out = []
    for a, b in zip(pts[:-1], pts[1:]):
        d = b - a
        n = float(np.hypot(*d))
        if n < 1e-9:
            continue
        u = d / n
        perp = np.array([-u[1], u[0]]) * half_width
        a2, b2 = a - u * half_width, b + u * half_width
        out.append(np.array([a2 + perp, b2 + perp, b2 - perp, a2 - perp]))
    return out


def disc(xy, r: float, n: int = 12) -> np.ndarray:
    ang = np.linspace(0, 2 * math.pi, n, endpoint=False)
    return np.column_stack([xy[0] + r * np.cos(ang), xy[1] + r * np.sin(ang)])


def scene_from_scenario(s: Scenario) -> SceneGeometry:
    """Zones, waiting areas and e-gates of a (layout-filled) scenario."""
    space = s.level_of_service.space
    zones = []
    for z in s.terminal.zones:
        flow = None
        if z.flow_direction is not None:
            v = np.asarray(z.flow_direction, float)
            n = float(np.hypot(*v))
            flow = (float(v[0] / n), float(v[1] / n)) if n > 0 else None
        band = space.get(z.kind.value)
        zones.append(ZoneInfo(z.id, z.kind.value, np.asarray(z.polygon, float), flow,
                              band.low_m2 if band else None))
    waiting: list[np.ndarray] = []
    service: list[np.ndarray] = []
    gates: list[Gate] = []
    imm = s.immigration
    for grp in list(imm.egate_banks) + list(imm.desks):
        pl = grp.placement
        if pl is None:
            continue
        if pl.queue_path:
            waiting += lane_polygon(pl.queue_path, QUEUE_HALF_WIDTH_M)
        n = max(grp.count, 1)
        points = np.asarray(pl.origin, float) + np.outer(np.arange(n), [pl.spacing_m, 0.0])
        row_end = [points[0] - [SERVICE_RADIUS_M, 0], points[-1] + [SERVICE_RADIUS_M, 0]]
        waiting += lane_polygon(row_end, SERVICE_RADIUS_M)
        service += lane_polygon(row_end, SERVICE_RADIUS_M)
        if grp in imm.egate_banks:
            head = np.asarray(pl.queue_path[0] if pl.queue_path else (pl.origin[0],
                              pl.origin[1] - 3.0), float)
            side = math.copysign(1.0, points[0][1] - head[1]) if points[0][1] != head[1] else 1.0
            for i, p in enumerate(points):
                gates.append(Gate(grp.id, i, (float(p[0]), float(p[1])), (0.0, side),
                                  pl.spacing_m / 2))
    for z in s.terminal.zones:
        if z.kind.value == "baggage_reclaim":  # waiting at a belt is what reclaim is for
            for cx, cy, half_len, half_wid in reclaim_belts(z):
                r = half_wid + BELT_WAIT_M
                waiting.append(np.array([[cx - r, cy - half_len - r], [cx + r, cy - half_len - r],
                                         [cx + r, cy + half_len + r], [cx - r, cy + half_len + r]]))
        elif z.kind.value == "customs":  # being inspected is what customs is for
            x0, y0, x1, y1 = zone_bounds(z)
            waiting.append(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float))
    return SceneGeometry(tuple(zones), tuple(waiting), tuple(gates), tuple(service))
