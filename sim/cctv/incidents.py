"""Scripted incidents: actors layered on the simulated crowd, with their ground truth.

The queueing model knows nothing of incidents, so each scenario incident becomes a small script
of actors (and, for a left bag, an object) with timed waypoints on the floor. The script is
deterministic from the scenario seed and the incident's index. Each incident's label is active
from ``time_s`` for ``duration_s`` (loitering: the time the actor has been in the zone longer
than the threshold). ``params`` tune a script; ``near_miss: 1`` makes the almost-incident
(a bag picked up again, a brisk walk, a brief stop, a person who falls and gets up at once,
a second traveler through the next gate cycle), labelled ``near_miss`` in the ground truth.

Where the incident happens (``spot``): ``params.x``/``params.y`` if given, else the floor point
at the middle of the first CCTV camera that watches the zone, else the zone's centre. Zones,
cameras and e-gate lanes are read from the floor plan (:func:`sim.layout.floor_plan`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from floorplan.plan import FloorPlan, PlanZone
from floorplan.shapes import points_in_polygon
from sim.positions import hash_uniform
from sim.scenario import Incident, Scenario

__all__ = ["ACTOR_BASE", "IncidentError", "IncidentScript", "IncidentSpan", "ActorTrack",
           "LeftBag", "incident_spot"]

ACTOR_BASE = 10_000_000  # actor track ids: ACTOR_BASE + incident index * 1000 + actor number
WALK, RUN = 1.25, 4.5  # m/s


class IncidentError(ValueError):
    """An incident that cannot be staged; names the incident and the missing piece."""


@dataclass(frozen=True)
class IncidentSpan:
    index: int
    label: str
    t_start: float
    t_end: float
    zone: str
    track_ids: tuple[int, ...]
    near_miss: bool = False
    info: dict = field(default_factory=dict)


@dataclass
class ActorTrack:
    """A scripted person: waypoints (t, x, y, fall 0..1) and what they do on each segment."""

    track_id: int
    key: tuple[int, int]
    demographics: tuple[str, str, str]
    t: list[float]
    xy: list[tuple[float, float]]
    fall: list[float]
    acts: list[str] = field(default_factory=list)
    carry: list[str | None] = field(default_factory=list)  # per segment; None = own bag
    fall_dir: float = 0.0

    # --- building -------------------------------------------------------------------------
    def go(self, to, speed: float, act: str = "walking", carry=None) -> "ActorTrack":
        d = math.hypot(to[0] - self.xy[-1][0], to[1] - self.xy[-1][1])
        return self._add(d / max(speed, 1e-3), tuple(map(float, to)), self.fall[-1], act, carry)

    def wait(self, seconds: float, act: str = "standing", carry=None) -> "ActorTrack":
        return self._add(seconds, self.xy[-1], self.fall[-1], act, carry)

    def tumble(self, seconds: float, to_fall: float, act: str) -> "ActorTrack":
        return self._add(seconds, self.xy[-1], to_fall, act, "none")

    def _add(self, seconds, xy, fall, act, carry):
        if seconds > 1e-6:
            self.t.append(self.t[-1] + seconds)
            self.xy.append(xy)
            self.fall.append(fall)
            self.acts.append(act)
            self.carry.append(carry)
        return self

    def freeze(self) -> "ActorTrack":
        self._t = np.asarray(self.t, float)
        self._xy = np.asarray(self.xy, float)
        self._fall = np.asarray(self.fall, float)
        seg = np.diff(self._xy, axis=0)
        dist = np.hypot(seg[:, 0], seg[:, 1]) if len(seg) else np.zeros(0)
        self._cum = np.concatenate([[0.0], np.cumsum(dist)])
        self._speed = dist / np.maximum(np.diff(self._t), 1e-9)
        heading = np.arctan2(seg[:, 1], seg[:, 0]) if len(seg) else np.zeros(0)
        last = 0.0
        for k in range(len(heading)):  # standing keeps the last walking heading
            if dist[k] > 1e-6:
                last = heading[k]
            heading[k] = last
        self._heading = heading
        return self

    # --- state ----------------------------------------------------------------------------
    def state(self, t: float):
        """(x, y, heading, act, speed, travelled m, fall 0..1, carry) or None when absent."""
        if len(self._t) < 2 or not self._t[0] <= t < self._t[-1]:
            return None
        k = int(np.searchsorted(self._t, t, side="right") - 1)
        f = (t - self._t[k]) / max(self._t[k + 1] - self._t[k], 1e-9)
        xy = self._xy[k] + (self._xy[k + 1] - self._xy[k]) * f
        fall = self._fall[k] + (self._fall[k + 1] - self._fall[k]) * f
        travelled = self._cum[k] + (self._cum[k + 1] - self._cum[k]) * f
        return (xy[0], xy[1], self._heading[k], self.acts[k], self._speed[k], travelled, fall,
                self.carry[k])


@dataclass(frozen=True)
class LeftBag:
    owner: int
    xy: tuple[float, float]
    t_from: float
    t_to: float
    colour_key: tuple[int, int]


# --- where -----------------------------------------------------------------------------------

def incident_spot(plan: FloorPlan, inc: Incident) -> np.ndarray:
    zone = plan.zone(inc.zone)
    if "x" in inc.params and "y" in inc.params:
        return np.array([float(inc.params["x"]), float(inc.params["y"])])
    for model in plan.cameras:
        if model.zone == zone.id:
            p = model.image_to_floor([[model.width / 2, model.height * 0.6]])[0]
            if np.all(np.isfinite(p)) and points_in_polygon(p[None], zone.polygon)[0]:
                return p
    return np.asarray(zone.centre, float)


def _chord(zone: PlanZone, spot, direction, half: float) -> tuple[np.ndarray, np.ndarray]:
    """The stretch of the line through ``spot`` along ``direction`` inside ``zone``, at most
    ``half`` metres either side, kept 0.5 m off the walls."""
    u = np.asarray(direction, float) / max(np.hypot(*direction), 1e-9)
    s = np.arange(-half, half + 1e-9, 0.25)
    inside = points_in_polygon(spot + s[:, None] * u, zone.polygon)
    mid = int(np.argmin(np.abs(s)))
    lo = hi = mid
    while lo > 0 and inside[lo - 1]:
        lo -= 1
    while hi < len(s) - 1 and inside[hi + 1]:
        hi += 1
    a, b = max(s[lo] + 0.5, -half), min(s[hi] - 0.5, half)
    return spot + a * u, spot + b * u


def _heading(inc: Incident, default: float) -> np.ndarray:
    ang = math.radians(float(inc.params["heading_deg"])) if "heading_deg" in inc.params \
        else default
    return np.array([math.cos(ang), math.sin(ang)])


# --- the scripts -----------------------------------------------------------------------------

class IncidentScript:
    """All incidents of a scenario as actor tracks, left bags and labelled spans."""

    def __init__(self, scenario: Scenario, seed: int, plan: FloorPlan | None = None):
        if plan is None:
            from sim.layout import floor_plan

            plan = floor_plan(scenario)
        self.scenario, self.seed, self.plan = scenario, seed, plan
        self.actors: list[ActorTrack] = []
        self.bags: list[LeftBag] = []
        self.spans: list[IncidentSpan] = []
        demo = scenario.travelers.demographics
        self._demo = [(list(d), np.cumsum(list(d.values()))) for d in
                      (demo.skin_tone, demo.age_band, demo.sex_presentation)]
        for i, inc in enumerate(scenario.incidents):
            getattr(self, f"_{inc.kind}")(i, inc, incident_spot(plan, inc))
        for a in self.actors:
            a.freeze()
        self._starts = np.asarray([a.t[0] for a in self.actors], float)
        self._ends = np.asarray([a.t[-1] for a in self.actors], float)

    # --- helpers --------------------------------------------------------------------------
    def _u(self, i: int, k: int, n: int = 4) -> np.ndarray:
        return hash_uniform(np.arange(n) + (i * 1000 + k) * 16, self.seed * 31 + 5)

    def _actor(self, i: int, k: int, t0: float, xy) -> ActorTrack:
        tid = ACTOR_BASE + i * 1000 + k
        u = self._u(i, k, 3)
        demo = tuple(keys[min(int(np.searchsorted(cum, u[j] * cum[-1], side="right")),
                              len(keys) - 1)] for j, (keys, cum) in enumerate(self._demo))
        a = ActorTrack(tid, (self.seed, tid), demo, [float(t0)], [tuple(map(float, xy))], [0.0])
        self.actors.append(a)
        return a

    def _span(self, i, inc, t0, t1, ids, near=False, **info):
        label = inc.kind
        self.spans.append(IncidentSpan(i, label, float(t0), float(t1), inc.zone, tuple(ids),
                                       bool(near), info))

    def _near(self, inc) -> bool:
        return bool(float(inc.params.get("near_miss", 0)))

    def _default_dir(self, inc, i) -> float:
        """Across the first camera's view of the zone, so motion shows well in its image."""
        for cam in self.scenario.cameras:
            if cam.kind == "cctv" and cam.zone == inc.zone:
                return math.radians(cam.yaw_deg) + math.pi / 2
        return 2 * math.pi * float(self._u(i, 99, 1)[0])

    # --- kinds ----------------------------------------------------------------------------
    def _abandoned_bag(self, i, inc: Incident, spot):
        T, E = inc.time_s, inc.time_s + inc.duration_s
        d = _heading(inc, self._default_dir(inc, i))
        lead = float(inc.params.get("owner_lead_s", 12.0))
        start = spot - d * WALK * lead
        owner = self._actor(i, 0, max(0.0, T - lead - 1.5), start)
        owner.go(spot, WALK, carry="roller").wait(T - owner.t[-1], carry="roller")
        bag_xy = tuple(spot + np.array([-d[1], d[0]]) * 0.45)
        away = spot + d * WALK * 25
        if self._near(inc):
            back = float(inc.params.get("return_s", 20.0))
            turn = spot + d * WALK * back / 2 * 0.8
            owner.go(turn, WALK, carry="none").go(spot, WALK, carry="none")
            owner.wait(max(0.0, T + back - owner.t[-1]), carry="none")
            owner.wait(1.0, carry="none").go(away, WALK, carry="roller")
            self.bags.append(LeftBag(owner.track_id, bag_xy, T, T + back, owner.key))
            self._span(i, inc, T, T + back, [owner.track_id], near=True)
            return
        owner.go(away, WALK, carry="none")
        self.bags.append(LeftBag(owner.track_id, bag_xy, T, E, owner.key))
        self._span(i, inc, T, E, [owner.track_id])

    def _running(self, i, inc, spot):
        T, E = inc.time_s, inc.time_s + inc.duration_s
        near = self._near(inc)
        speed = float(inc.params.get("speed_mps", 2.0 if near else RUN))
        a, b = _chord(self.plan.zone(inc.zone), spot,
                      _heading(inc, self._default_dir(inc, i)),
                      float(inc.params.get("length_m", 20.0)) / 2)
        runner = self._actor(i, 0, T, a)
        ends, k = (b, a), 0
        act = "walking" if near else "running"
        while runner.t[-1] < E:
            runner.go(ends[k % 2], speed, act)
            k += 1
        if runner.t[-1] > E:  # cut the last lap at the end of the span, walk on from there
            t0, t1 = runner.t[-2], runner.t[-1]
            p0, p1 = np.asarray(runner.xy[-2]), np.asarray(runner.xy[-1])
            runner.xy[-1] = tuple(p0 + (p1 - p0) * (E - t0) / max(t1 - t0, 1e-9))
            runner.t[-1] = E
        runner.go(ends[(k - 1) % 2], WALK, "walking")
        self._span(i, inc, T, E, [runner.track_id], near=near, speed_mps=speed)

    def _fall(self, i, inc, spot):
        T, E = inc.time_s, inc.time_s + inc.duration_s
        d = _heading(inc, self._default_dir(inc, i))
        p = self._actor(i, 0, max(0.0, T - 10.0), spot - d * WALK * min(10.0, T))
        p.fall_dir = math.atan2(d[1], d[0])
        p.go(spot, WALK).tumble(0.8, 1.0, "falling")
        near = self._near(inc)
        lie_until = T + 3.0 if near else E
        p.wait(lie_until - p.t[-1], "lying", carry="none")
        p.tumble(1.5, 0.0, "getting_up").go(spot + d * WALK * 12, WALK)
        self._span(i, inc, T, lie_until, [p.track_id], near=near)

    def _loitering(self, i, inc, spot):
        T, E = inc.time_s, inc.time_s + inc.duration_s
        threshold = float(inc.params.get("threshold_s", 60.0))
        near = self._near(inc)
        enter = max(0.0, T - threshold)
        leave = enter + threshold * 0.5 if near else E
        d = _heading(inc, self._default_dir(inc, i))
        p = self._actor(i, 0, max(0.0, enter - 8.0), spot - d * WALK * min(8.0, enter))
        p.go(spot, WALK)
        k = 0
        zone = self.plan.zone(inc.zone)
        while p.t[-1] < leave:
            u = self._u(i, 100 + k, 3)
            p.wait(min(5.0 + 6.0 * u[0], leave - p.t[-1]), "loitering")
            ang, r = 2 * math.pi * u[1], 2.5 * math.sqrt(u[2])
            to = spot + r * np.array([math.cos(ang), math.sin(ang)])
            if points_in_polygon(to[None], zone.polygon)[0] and p.t[-1] < leave:
                p.go(to, 0.6, "loitering")
            k += 1
        p.go(np.asarray(p.xy[-1]) + d * WALK * 12, WALK)
        t0, t1 = (enter, leave) if near else (T, E)
        self._span(i, inc, t0, t1, [p.track_id], near=near, threshold_s=threshold)

    def _counterflow(self, i, inc, spot):
        T, E = inc.time_s, inc.time_s + inc.duration_s
        flow = self.scenario.zone(inc.zone).flow_direction  # as written: the truth's info
        if "heading_deg" in inc.params:
            d = _heading(inc, 0.0)
        elif flow is not None:
            d = -np.asarray(flow, float)
        else:
            raise IncidentError(
                f"incident {i} (counterflow in zone {inc.zone}): the zone has no flow_direction; "
                f"set terminal.zones[{inc.zone}].flow_direction or params.heading_deg")
        speed = float(inc.params.get("speed_mps", WALK))
        a, b = _chord(self.plan.zone(inc.zone), spot, d,
                      float(inc.params.get("length_m", 30.0)) / 2)
        pass_s = float(np.hypot(*(b - a))) / speed
        ids, t, k = [], T, 0
        while t < E:
            w = self._actor(i, k, t, a).go(b, speed)
            ids.append(w.track_id)
            t += pass_s
            k += 1
        self._span(i, inc, T, E, ids, flow=tuple(-d))

    def _overcrowding(self, i, inc, spot):
        T, E = inc.time_s, inc.time_s + inc.duration_s
        zone = self.plan.zone(inc.zone)
        low = zone.space_low_m2
        m2pp = float(inc.params.get("m2_per_person", 0.5 * low if low is not None else 0.5))
        area = float(inc.params.get("area_m2", 25.0))
        n = int(min(150, math.ceil(area / m2pp)))
        side = math.sqrt(area)
        x0, y0, x1, y1 = zone.bounds
        c = np.clip(spot, [x0 + side / 2 + 0.5, y0 + side / 2 + 0.5],
                    [x1 - side / 2 - 0.5, y1 - side / 2 - 0.5])
        cols = int(math.ceil(math.sqrt(n)))
        gather = float(inc.params.get("gather_s", 15.0))
        # Where the crowd comes from: all around (default), or within ``approach_spread_deg``
        # of ``approach_deg`` (0 = from the east, 270 = from the south), so that a crowd can
        # gather without anyone walking against the hall's flow.
        spread = math.radians(float(inc.params.get("approach_spread_deg", 360.0)))
        centre = math.radians(float(inc.params.get("approach_deg", 0.0)))
        ids = []
        for k in range(n):
            u = self._u(i, k, 4)
            gx, gy = k % cols, k // cols
            place = c + (np.array([(gx + 0.5) / cols, (gy + 0.5) / cols]) - 0.5) * side \
                + (u[:2] - 0.5) * side / cols * 0.5
            ang = 2 * math.pi * u[2] if spread >= 2 * math.pi else centre + spread * (u[2] - 0.5)
            ring = place + (side / 2 + 5 + 3 * u[3]) * np.array([math.cos(ang), math.sin(ang)])
            ring = np.clip(ring, [x0 + 0.3, y0 + 0.3], [x1 - 0.3, y1 - 0.3])
            p = self._actor(i, k, max(0.0, T - gather), ring)
            p.go(place, max(0.4, np.hypot(*(place - ring)) / max(gather, 1e-3)))
            p.wait(max(0.0, T - p.t[-1]))
            t = p.t[-1]
            while t < E:  # shuffle on the spot now and then
                step = min(4.0 + 4.0 * self._u(i, k * 50 + int(t), 1)[0], E - t)
                p.wait(step)
                t = p.t[-1]
            p.go(ring, WALK)
            ids.append(p.track_id)
        self._span(i, inc, T, E, ids, persons_per_m2=n / area, area_m2=area)

    def _tailgating(self, i, inc, spot):
        T, E = inc.time_s, inc.time_s + inc.duration_s
        banks = [r for r in self.plan.rows_in(inc.zone) if r.kind == "egate"]
        if "bank" in inc.params:
            banks = [b for b in banks if b.id == inc.params["bank"]]
        if not banks:
            raise IncidentError(f"incident {i} (tailgating in zone {inc.zone}): no e-gate bank "
                                f"stands in that zone")
        bank = banks[0]
        gates = bank.points
        g = int(inc.params.get("gate", int(np.argmin(np.hypot(*(gates - spot).T)))))
        if not 0 <= g < len(gates):
            raise IncidentError(f"incident {i} (tailgating): params.gate must be in "
                                f"0..{len(gates) - 1}, got {g}")
        through = np.asarray(bank.through, float)
        p = gates[g]
        speed = 1.0
        t_pass = T + min(inc.duration_s / 2, 6.0)
        near = self._near(inc)
        gap = 6.0 if near else 0.8  # seconds behind the first traveler
        ids = []
        for k, delay in enumerate((0.0, gap)):
            a = self._actor(i, k, t_pass + delay - 5.0 / speed, p - through * 5.0)
            a.go(p, speed).go(p + through * 4.0, speed)
            ids.append(a.track_id)
        self._span(i, inc, T, E, ids, near=near, bank=bank.id, gate=g)

    # --- queries --------------------------------------------------------------------------
    def actors_at(self, t: float) -> list[tuple[ActorTrack, tuple]]:
        live = np.flatnonzero((self._starts <= t) & (t < self._ends))
        out = []
        for k in live:
            st = self.actors[k].state(t)
            if st is not None:
                out.append((self.actors[k], st))
        return out

    def bags_at(self, t: float) -> list[LeftBag]:
        return [b for b in self.bags if b.t_from <= t < b.t_to]

    def spans_at(self, t: float) -> list[IncidentSpan]:
        return [s for s in self.spans if s.t_start <= t < s.t_end]

