"""Walking in the fast mode: routes and distances from the floor plan, and speed by crowd density.

Routes. A scenario with ``terminal.doors`` walks on its floor plan (:mod:`floorplan.routing`):

- gate → hall: from the middle of the gate zone to the nearest door into the hall (by route),
  then, once the traveler has picked a queue there, from that door to the queue's tail;
- hall → reclaim: from the exit side of the processor row that served the traveler to the
  middle of the reclaim zone (snapped off the belts);
- reclaim → customs → exit: zone middle to zone middle.

A walk typed in ``terminal.walks`` overrides the routed one for its pair of zones (a pier longer
than the plan shows, say). Without doors every walk is typed, as before.

Speed. Weidmann's fundamental diagram for pedestrians (U. Weidmann, *Transporttechnik der
Fussgänger*, Schriftenreihe des IVT Nr. 90, ETH Zürich, 1993, eq. 3.22 with his fitted
gamma = 1.913 m⁻² and jam density rho_max = 5.4 m⁻²):

    v(rho) = v0 * (1 - exp(-gamma * (1/rho - 1/rho_max)))

A traveler's own free speed plays v0; rho is the crowd on the stretch being walked (walkers on
it, plus, on the walk into the hall, travelers spilled from full queues standing there) over the
stretch's floor (its length times ``walking.corridor_width_m``). The speed is set when a
traveler enters a stretch and kept to its end: no event per change of density, which keeps the
fast mode fast; a stretch crowded when one enters slows everyone entering it. The factor is
exactly 1.0 in floating point below about 0.05 travelers/m² (exp(-37) is below half an ulp of
1), so sparse walks take exactly their free-speed time. It is floored at ``MIN_SPEED_FACTOR``:
a jam at rho_max still creeps forward (stop-and-go) instead of standing forever.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from floorplan.plan import FloorPlan
from floorplan.routing import RouteError, WalkGraph, path_length
from sim.scenario import Scenario, ZoneKind

__all__ = ["MIN_SPEED_FACTOR", "WEIDMANN_GAMMA", "WEIDMANN_RHO_MAX", "EXIT_STEP_M", "Stretch",
           "WalkRoutes", "referral_span", "typed_span", "walk_routes", "weidmann_factor"]

WEIDMANN_GAMMA = 1.913  # m^-2, Weidmann (1993)
WEIDMANN_RHO_MAX = 5.4  # m^-2, jam density, Weidmann (1993)
MIN_SPEED_FACTOR = 0.1
EXIT_STEP_M = 1.5  # past a processor row on its exit side, where the walk on starts
GATE_EXIT_M = 1.5  # how far past an e-gate a traveler steps before walking on (sim.positions)


def weidmann_factor(rho: float) -> float:
    """v(rho) / v0 by Weidmann's diagram, floored at ``MIN_SPEED_FACTOR``; 1 at rho <= 0."""
    if rho <= 0.0:
        return 1.0
    if rho >= WEIDMANN_RHO_MAX:
        return MIN_SPEED_FACTOR
    f = 1.0 - math.exp(-WEIDMANN_GAMMA * (1.0 / rho - 1.0 / WEIDMANN_RHO_MAX))
    return f if f > MIN_SPEED_FACTOR else MIN_SPEED_FACTOR


class Stretch:
    """A walk between two zones as a crowded floor, in the model: ``n`` walkers on ``area`` m²,
    plus the overflow of the queues in ``spill`` (processor groups whose spilled travelers
    stand where the walk ends). ``factors[k]`` is the speed factor with k people on it, tabled
    as crowds first reach k (a list look-up on the model's hot path instead of an exp)."""

    __slots__ = ("n", "area", "spill", "congestion", "factors")

    def __init__(self, area: float, spill: tuple = (), congestion: bool = True):
        self.n, self.area, self.spill, self.congestion = 0, max(area, 1e-9), spill, congestion
        self.factors = [1.0]

    def enter(self, speed: float) -> float:
        """A walker enters (``n`` counts them until the model takes them off): their speed
        here, m/s, by Weidmann's diagram, or the free ``speed`` with congestion off."""
        self.n += 1
        if not self.congestion:
            return speed
        n = self.n
        for g in self.spill:
            over = len(g.queue) - g.slots
            if over > 0:
                n += over
        factors = self.factors
        if n >= len(factors):
            factors.extend(weidmann_factor(k / self.area) for k in range(len(factors), 2 * n + 1))
        return speed * factors[n]


@dataclass(frozen=True)
class WalkRoutes:
    """Walking distances (m) and, for routed walks, their polylines on the plan.

    ``distance[a, b]`` is what the model walks between zones (gate → hall: to the hall's door);
    ``into_queue[gate, group]`` from that door to the group's queue tail and
    ``from_row[group]`` from the row's exit side to the reclaim's middle, both routed only.
    ``typed`` are the zone pairs whose distance came from ``terminal.walks``."""

    distance: dict[tuple[str, str], float]
    polyline: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    into_queue: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    from_row: dict[str, np.ndarray] = field(default_factory=dict)
    typed: frozenset = frozenset()
    hall: str = ""  # the immigration hall, where from_row routes start

    def into_queue_m(self, gate: str, group: str) -> float:
        line = self.into_queue.get((gate, group))
        return 0.0 if line is None else path_length(line)

    def from_row_m(self, group: str, default: float) -> float:
        line = self.from_row.get(group)
        return default if line is None else path_length(line)


def route_pairs(s: Scenario) -> list[tuple[str, str]]:
    """Every (from zone, to zone) walk of the route: each gate to the hall, then on to the exit."""
    hall = s.zone_of_kind(ZoneKind.immigration_hall).id
    pairs = [(z.id, hall) for z in s.terminal.zones if z.kind == ZoneKind.gate]
    ids = [s.zone_of_kind(k).id for k in (ZoneKind.immigration_hall, ZoneKind.baggage_reclaim,
                                          ZoneKind.customs, ZoneKind.exit)]
    return pairs + list(zip(ids, ids[1:]))


def typed_span(plan: FloorPlan, a: str, b: str) -> float:
    """The longest stretch of a typed walk from zone ``a`` to zone ``b`` that
    :mod:`sim.positions` draws on the plan (m): from the farthest corner of ``a`` to its door
    towards ``b``, straight across to ``b``'s door towards ``a``, on to ``b``'s farthest corner.
    With ``terminal.walking.cover_drawn_routes``, where the scenario draws both zones
    (``polygon``, not ``laid_out``), a typed walk lasts at least this long
    at the walker's speed, so no one is drawn hurrying (the rest of a longer typed walk is the
    unmodelled corridor, off the plan). Zones laid out automatically keep the typed figure:
    their plan is a sketch, and the model's timings stay the ones typed."""
    d_out, d_in = plan.door(a, b), plan.door(b, a)
    corners_a = np.asarray(plan.zone(a).polygon, float)
    corners_b = np.asarray(plan.zone(b).polygon, float)
    return float(np.hypot(*(corners_a - d_out).T).max() + np.hypot(*(d_in - d_out))
                 + np.hypot(*(corners_b - d_in).T).max())


def referral_span(plan: FloorPlan) -> float:
    """The longest referral walk :mod:`sim.positions` draws (m): from a step past any e-gate
    to the far end of any desk queue line; the model's referral walk is never shorter."""
    exits = [r.points + GATE_EXIT_M * np.asarray(r.through, float)
             for r in plan.rows if r.kind == "egate"]
    lines = [r.queue_line() for r in plan.rows if r.kind == "desk"]
    if not exits or not lines:
        return 0.0
    a, b = np.vstack(exits), np.vstack(lines)
    return float(np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1]).max())


def drawn_zones(s: Scenario) -> set[str]:
    """The zones the scenario draws itself (a polygon it gives, not one the layout made)."""
    return {z.id for z in s.terminal.zones if z.polygon is not None and not z.laid_out}


def walk_routes(s: Scenario, plan: FloorPlan | None = None) -> WalkRoutes:
    """The scenario's walks: typed ones as given, the rest routed on its floor plan (raises
    :class:`~floorplan.routing.RouteError` for a walk that cannot exist, or ``KeyError`` for a
    walk neither typed nor routable because the scenario has no doors)."""
    typed = {(w.from_zone, w.to_zone): w.distance_m for w in s.terminal.walks}
    if plan is None and (s.terminal.doors or s.terminal.walking.cover_drawn_routes):
        from sim.layout import floor_plan

        plan = floor_plan(s)
    if s.terminal.walking.cover_drawn_routes:  # never shorter than sim.positions draws them
        drawn = drawn_zones(s)
        typed = {(a, b): max(d, typed_span(plan, a, b)) if {a, b} <= drawn else d
                 for (a, b), d in typed.items()}
    if not s.terminal.doors:
        missing = [p for p in route_pairs(s) if p not in typed]
        if missing:
            raise KeyError(f"no walk from {missing[0][0]!r} to {missing[0][1]!r} (type it in "
                           f"terminal.walks, or give terminal.doors to route it on the plan)")
        return WalkRoutes(dict(typed), typed=frozenset(typed))
    graph = WalkGraph(plan)
    middle = {z.id: graph.snap(z.centre) for z in plan.zones}
    hall = s.zone_of_kind(ZoneKind.immigration_hall).id
    reclaim = s.zone_of_kind(ZoneKind.baggage_reclaim).id
    hall_rows = [r for r in plan.rows if r.kind != "customs"]
    distance, polyline, into_queue, from_row = dict(typed), {}, {}, {}
    for a, b in route_pairs(s):
        if b == hall:  # to the nearest door of the hall, then on to the queue picked
            doors = [d for d in plan.doors if d.zone == hall and d.width_m > 0]
            if not doors:
                raise RouteError(f"no walking route from zone {a!r} to zone {hall!r} on plan "
                                 f"{plan.name}: the hall has no door (terminal.doors)")
            options = [graph.path(middle[a], d.xy, a, hall) for d in doors]
            line = min(options, key=path_length)
            for r in hall_rows:
                into_queue[a, r.id] = graph.path(line[-1], r.queue_line()[-1], hall, hall)
        elif a == hall and b == reclaim:
            for r in hall_rows:
                exit_xy = r.points[len(r.points) // 2] + EXIT_STEP_M * np.asarray(r.through)
                from_row[r.id] = graph.path(exit_xy, middle[b], a, b)
            line = min(from_row.values(), key=path_length) if from_row else \
                graph.path(middle[a], middle[b], a, b)
        else:
            line = graph.path(middle[a], middle[b], a, b)
        if (a, b) in typed:
            if b == hall:
                into_queue = {k: v for k, v in into_queue.items() if k[0] != a}
            elif a == hall:
                from_row = {}
            continue
        polyline[a, b] = line
        distance[a, b] = path_length(line)
    return WalkRoutes(distance, polyline, into_queue, from_row, frozenset(typed), hall)
