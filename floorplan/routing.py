"""Walking routes over the floor plan: shortest paths around walls and obstacles.

The walkable floor is every zone's polygon shrunk by a body clearance (so a route keeps off the
walls), joined through the plan's doors (openings of ``width_m`` in the wall two zones share),
less the obstacles: processor rows (a booth line travelers pass through only when served),
baggage belts and barriers, each grown by the same clearance. A shortest path in such a polygonal
domain bends only at the domain's vertices, so routes are shortest paths over its visibility
graph (vertices that see each other in a straight line inside the floor; ``shapely`` for the
geometry, ``networkx`` for Dijkstra). Built once per plan: a few hundred vertices, well under a
second; a query adds its two end points to the graph.

A route that cannot exist is a :class:`RouteError` that names the two zones and the wall in the
way (two zones that touch with no door between them), or says that no zone reachable from the
start touches the target.
"""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import nearest_points, unary_union

from floorplan.plan import Door, FloorPlan, PlanError

__all__ = ["CLEARANCE_M", "RouteError", "WalkGraph", "path_length"]

CLEARANCE_M = 0.3  # half a body's width: how far a route keeps from walls and obstacles
BOOTH_DEPTH_M = 0.6  # a processor row as an obstacle: its line grown this much each side
TOUCH_M = 0.5  # two zones whose outlines share at least this much wall are neighbours


class RouteError(PlanError):
    """No walking route between two places; the message names the zones and what is in the way."""


def path_length(points) -> float:
    pts = np.asarray(points, float)
    return float(np.hypot(*np.diff(pts, axis=0).T).sum()) if len(pts) > 1 else 0.0


def _door_passage(plan: FloorPlan, door: Door, clearance: float) -> Polygon:
    """The opening as a rectangle across the wall: ``width_m`` along it, reaching past the
    clearance on both sides."""
    poly = plan.zone(door.zone).polygon
    xy = np.asarray(door.xy, float)
    best, u = math.inf, np.array([1.0, 0.0])
    for a, b in zip(poly, np.roll(poly, -1, axis=0)):
        ab = b - a
        length = float(np.hypot(*ab))
        if length < 1e-9:
            continue
        s = np.clip(np.dot(xy - a, ab) / length ** 2, 0, 1)
        d = float(np.hypot(*(a + s * ab - xy)))
        if d < best:
            best, u = d, ab / length
    n = np.array([-u[1], u[0]])
    half_w = max(door.width_m / 2 - clearance, 0.05)
    depth = clearance + 0.2
    return Polygon([xy + u * half_w + n * depth, xy - u * half_w + n * depth,
                    xy - u * half_w - n * depth, xy + u * half_w - n * depth])


def _obstacles(plan: FloorPlan, clearance: float):
    out = []
    for row in plan.rows:
        pts = np.asarray(row.points, float)
        ends = np.array([pts[0] - [row.spacing_m / 2, 0], pts[-1] + [row.spacing_m / 2, 0]])
        out.append(LineString(ends).buffer(BOOTH_DEPTH_M / 2 + clearance, cap_style="flat",
                                           join_style="mitre"))
    for b in plan.belts:
        cx, cy = b.centre
        spine = LineString([(cx, cy - b.half_length_m), (cx, cy + b.half_length_m)])
        out.append(spine.buffer(b.half_width_m + clearance, quad_segs=2))
    for line in plan.barriers:
        out.append(LineString(line).buffer(0.05 + clearance, cap_style="square",
                                           join_style="mitre"))
    return out


class WalkGraph:
    """The walkable floor of a plan and its visibility graph; :meth:`path` between points."""

    def __init__(self, plan: FloorPlan, clearance_m: float = CLEARANCE_M):
        self.plan = plan
        self.clearance = clearance_m
        rooms = [Polygon(z.polygon).buffer(-clearance_m, join_style="mitre") for z in plan.zones]
        doors = [_door_passage(plan, d, clearance_m) for d in plan.doors if d.width_m]
        blocked = unary_union(_obstacles(plan, clearance_m)) if plan.rows or plan.belts or \
            plan.barriers else Polygon()
        self.free = unary_union(rooms + doors).difference(blocked)
        # Tests of "inside the floor" tolerate rounding on edges that run along the boundary.
        self._inside = self.free.buffer(1e-6, join_style="mitre")
        shapely.prepare(self._inside)
        self.nodes = self._vertices()
        self.graph = nx.Graph()
        self.graph.add_nodes_from(range(len(self.nodes)))
        for i, j, w in self._visible_pairs(self.nodes, self.nodes, same=True):
            self.graph.add_edge(i, j, weight=w)

    def _vertices(self) -> np.ndarray:
        polys = getattr(self.free, "geoms", [self.free])
        pts = []
        for p in polys:
            for ring in [p.exterior, *p.interiors]:
                pts.extend(np.asarray(ring.coords)[:-1])
        return np.unique(np.round(np.asarray(pts, float), 6), axis=0) if pts else np.zeros((0, 2))

    def _visible_pairs(self, a: np.ndarray, b: np.ndarray, same: bool = False):
        """(i, j, length) for points a[i], b[j] that see each other inside the floor."""
        if not len(a) or not len(b):
            return []
        if same:
            ii, jj = np.triu_indices(len(a), k=1)
        else:
            ii, jj = (m.ravel() for m in np.meshgrid(np.arange(len(a)), np.arange(len(b)),
                                                     indexing="ij"))
        lines = shapely.linestrings(np.stack([a[ii], b[jj]], axis=1))
        ok = shapely.covered_by(lines, self._inside)
        w = np.hypot(*(a[ii] - b[jj]).T)
        return list(zip(ii[ok].tolist(), jj[ok].tolist(), w[ok].tolist()))

    def snap(self, xy) -> np.ndarray:
        """``xy`` if it stands on the walkable floor, else the nearest point that does."""
        p = Point(float(xy[0]), float(xy[1]))
        if self._inside.covers(p) or self.free.is_empty:
            return np.asarray(xy, float)
        q = nearest_points(self.free, p)[0]
        return np.array([q.x, q.y])

    def zone_at(self, xy) -> str:
        for z in self.plan.zones:
            if Polygon(z.polygon).buffer(1e-6).covers(Point(*xy)):
                return z.id
        return ""

    def path(self, p, q, from_zone: str = "", to_zone: str = "") -> np.ndarray:
        """The shortest walk from ``p`` to ``q`` as a polyline (M, 2), both ends snapped onto
        the walkable floor. ``from_zone``/``to_zone`` name the ends in the error."""
        p, q = self.snap(p), self.snap(q)
        ends = np.array([p, q])
        direct = self._visible_pairs(ends[:1], ends[1:])
        if direct:
            return ends
        n = len(self.nodes)
        g = self.graph.copy()
        for k, _ in enumerate(ends):
            for i, j, w in self._visible_pairs(ends[k:k + 1], self.nodes):
                g.add_edge(n + k, j, weight=w)
        try:
            idx = nx.dijkstra_path(g, n, n + 1, weight="weight")
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            raise RouteError(self._why_no_route(p, q, from_zone or self.zone_at(p),
                                                to_zone or self.zone_at(q))) from None
        pts = np.vstack([self.nodes, ends])
        return pts[idx]

    # --- explaining a missing route ---------------------------------------------------------
    def _why_no_route(self, p, q, a: str, b: str) -> str:
        head = f"no walking route from zone {a!r} to zone {b!r} on plan {self.plan.name}"
        zones = {z.id: Polygon(z.polygon) for z in self.plan.zones}
        linked = {frozenset((d.zone, d.toward)) for d in self.plan.doors if d.width_m}
        reach, todo = {a}, [a]
        while todo:
            z = todo.pop()
            for other in zones:
                if other not in reach and frozenset((z, other)) in linked:
                    reach.add(other)
                    todo.append(other)
        if a in zones and b in zones and b not in reach:
            walls = [(x, y) for x, y in itertools.product(sorted(reach), sorted(zones))
                     if y not in reach and zones[x].boundary.intersection(
                         zones[y].boundary).length >= TOUCH_M]
            if walls:
                x, y = walls[0]
                return (f"{head}: the wall between {x!r} and {y!r} has no door "
                        f"(add one to terminal.doors: {{between: [{x}, {y}], at: [x, y]}})")
            return (f"{head}: no zone reachable from {a!r} ({', '.join(sorted(reach))}) "
                    f"touches another zone; zones must share a wall to have a door")
        return (f"{head}: the doors connect them, but processors, belts or barriers block "
                f"every way through (at {self.clearance} m clearance)")
