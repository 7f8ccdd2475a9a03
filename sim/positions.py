"""Where every traveler stands at any simulated time, rebuilt from a run's records.

The queueing model only knows who is where in which queue; renderers need metres. This module
replays each traveler's records as a chain of legs on the floor plan (:mod:`floorplan.plan`:
doors, processor points, queue paths and belts are read from it, never worked out here):

    gate → (door) → tail of the queue joined → queue slot by order → processor → (through an
    e-gate) → reclaim waiting point → customs (officer or pass-through point) → exit point

Walks routed on the plan (a scenario with doors, :mod:`sim.walking`) follow their polyline
through the doors and around obstacles, at the pace that fits the walk record (crowding
included). A typed walk lasts as long as its typed distance says, which is usually longer than
the straight line on the plan: the walker covers the visible parts (inside the zone they leave
and the zone they enter) at their own walking speed and spends the rest in the unmodelled
corridor, off the plan: :meth:`Trajectories.positions_at` does not return them then.

A queue longer than its roped line holds (``walking.queue_space``) spills: the overflow stands
as a crowd round the line's tail, on a grid of free floor in the row's zone (off every queue
line and processor row), nearest the tail first (spillback).

Queue positions are computed per query: a traveler's slot is their rank among those still waiting
(FIFO, as in the model), and the slot eases forward over ``ADVANCE_S`` when someone ahead leaves,
so a queue shuffles forward instead of jumping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from floorplan.plan import FloorPlan
from floorplan.shapes import points_in_polygon, queue_point, serpentine_queue
from sim.floor_spots import belt_spots, spill_cells, spots_in
from sim.scenario import Scenario, ZoneKind
from sim.walking import GATE_EXIT_M, WalkRoutes, walk_routes

__all__ = ["ACTIVITIES", "Trajectories", "hash_uniform"]

ACTIVITIES = ("walking", "queueing", "service", "waiting_bag")
WALKING, QUEUEING, SERVICE, WAITING_BAG = range(4)
BUCKET_S = 10.0  # time buckets of the leg index
ADVANCE_S = 0.8  # seconds a queue takes to shuffle one slot forward
# One row of the leg table: who, when, from where to where, doing what; queue legs have no
# fixed place (NaN) but a queue group and a rank in it, resolved per query.
LEG_COLUMNS = ("tidx", "t0", "t1", "x0", "y0", "x1", "y1", "act", "heading", "queue", "rank")


def hash_uniform(ids, salt: int) -> np.ndarray:
    """Uniform [0, 1) numbers that depend only on (id, salt): splitmix64, vectorised."""
    with np.errstate(over="ignore"):
        z = np.asarray(ids, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        z = z + np.uint64((salt * 0xBF58476D1CE4E5B9) % (1 << 64))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


@dataclass
class _QueueGroup:
    pts: np.ndarray
    cum: np.ndarray
    slot_m: float
    starts: np.ndarray  # sorted service start times of everyone who queued (inf: never)
    slots: float = math.inf  # what the roped line holds; the rest stand on spill cells
    spill: np.ndarray | None = None  # (K, 2) free floor round the tail, nearest first

    def shuffled(self, t: np.ndarray) -> np.ndarray:
        """How many of the group's travelers have left the queue by ``t`` (eased)."""
        t = np.asarray(t, float)
        done = np.searchsorted(self.starts, t - ADVANCE_S, side="right").astype(float)
        lo = np.searchsorted(self.starts, t - ADVANCE_S, side="right")
        hi = np.searchsorted(self.starts, t, side="right")
        for k in range(int(np.max(hi - lo, initial=0))):  # the few who left in the last instant
            idx = np.minimum(lo + k, len(self.starts) - 1)
            ok = lo + k < hi
            done += np.where(ok, np.clip((t - self.starts[idx]) / ADVANCE_S, 0, 1), 0)
        return done

    def slot_xy(self, rank: np.ndarray, t: np.ndarray):
        slot = np.maximum(np.asarray(rank, float) - self.shuffled(t), 0.0)
        xy, heading = queue_point(self.pts, self.cum, slot * self.slot_m)
        over = slot >= self.slots
        if over.any():  # spillback: the j-th beyond the ropes stands on the j-th spill cell
            j = np.minimum(np.floor(slot[over] - self.slots).astype(np.int64),
                           len(self.spill) - 1)
            tail = self.pts[-1]
            xy[over] = self.spill[j]
            d = tail - self.spill[j]
            heading[over] = np.arctan2(d[:, 1], d[:, 0])  # facing the queue's tail
        return xy, heading


class _Legs:
    """Growing leg table while the trajectories are built: one tuple per leg, in LEG_COLUMNS
    order (plain tuples: there are hundreds of thousands)."""

    def __init__(self):
        self.rows: list[tuple] = []

    def move(self, i, t0, t1, a, b, act=WALKING):
        if t1 <= t0:
            return
        d = b - a
        heading = math.atan2(d[1], d[0]) if np.hypot(*d) > 1e-6 else math.nan
        self.rows.append((i, t0, t1, a[0], a[1], b[0], b[1], act, heading, -1, -1))

    def stay(self, i, t0, t1, p, act, heading):
        if t1 > t0:
            self.rows.append((i, t0, t1, p[0], p[1], p[0], p[1], act, heading, -1, -1))

    def queue(self, i, t0, t1, group, rank):
        if t1 > t0:
            self.rows.append((i, t0, t1, math.nan, math.nan, math.nan, math.nan, QUEUEING,
                              math.nan, group, rank))


class Trajectories:
    """Every traveler's legs on the floor plan, indexed for fast look-ups by time."""

    def __init__(self, scenario: Scenario, plan: FloorPlan, traveler_ids: np.ndarray,
                 legs: np.ndarray, groups: list[_QueueGroup], group_ids: dict[str, int]):
        self.scenario = scenario
        self.plan = plan
        self.traveler_ids = traveler_ids
        cols = legs.T if len(legs) else np.zeros((len(LEG_COLUMNS), 0))
        for name, col in zip(LEG_COLUMNS, cols):
            setattr(self, name, col)
        for name in ("tidx", "act", "queue", "rank"):
            setattr(self, name, getattr(self, name).astype(np.int64))
        self.groups = groups
        self.group_ids = group_ids
        with np.errstate(invalid="ignore", divide="ignore"):
            speed = np.hypot(self.x1 - self.x0, self.y1 - self.y0) / (self.t1 - self.t0)
        self.speed = np.where(np.isfinite(speed), speed, 0.0)  # m/s on the leg (0 in queues)
        self._index()

    def _index(self) -> None:
        horizon = self.scenario.horizon_s
        n_b = int(horizon // BUCKET_S) + 2
        b0 = np.clip((self.t0 // BUCKET_S).astype(np.int64), 0, n_b - 1)
        b1 = np.clip((np.minimum(self.t1, horizon) // BUCKET_S).astype(np.int64), 0, n_b - 1)
        counts = b1 - b0 + 1
        leg = np.repeat(np.arange(len(self.t0)), counts)
        offs = np.arange(len(leg)) - np.repeat(np.cumsum(counts) - counts, counts)
        bucket = np.repeat(b0, counts) + offs
        order = np.argsort(bucket, kind="stable")
        self._bucket_legs = leg[order]
        self._bucket_start = np.searchsorted(bucket[order], np.arange(n_b + 1))

    # --- construction ---------------------------------------------------------------------
    @classmethod
    def from_records(cls, frames: dict[str, pd.DataFrame], scenario: Scenario,
                     plan: FloorPlan | None = None) -> "Trajectories":
        """Build from ``Records.frames()`` (or a run folder's tables) of a run of ``scenario``,
        on its floor plan (``sim.layout.floor_plan(scenario)`` unless given)."""
        if plan is None:
            from sim.layout import floor_plan

            plan = floor_plan(scenario)
        return _build(frames, scenario, plan)

    # --- queries --------------------------------------------------------------------------
    def queue_path(self, processor: str) -> np.ndarray:
        """The polyline (M, 2) a processor group's queue stands on, head first, including the
        serpentine lanes it folds into when it outgrows the scenario's queue_path."""
        if processor not in self.group_ids:
            known = ", ".join(self.group_ids)
            raise KeyError(f"unknown processor group {processor!r} (known: {known})")
        return self.groups[self.group_ids[processor]].pts.copy()

    def arrays_at(self, t: float) -> dict[str, np.ndarray]:
        """Positions at ``t`` as plain arrays (the renderer's fast path)."""
        # Whatever was under way at the horizon is recorded as ending there: show it at t = end.
        t = min(t, np.nextafter(self.scenario.horizon_s, -np.inf))
        b = int(min(max(t, 0.0), self.scenario.horizon_s) // BUCKET_S)
        b = min(b, len(self._bucket_start) - 2)
        cand = self._bucket_legs[self._bucket_start[b]:self._bucket_start[b + 1]]
        cand = cand[(self.t0[cand] <= t) & (t < self.t1[cand])]
        t0, t1 = self.t0[cand], self.t1[cand]
        f = np.clip((t - t0) / np.maximum(t1 - t0, 1e-9), 0.0, 1.0)
        x = self.x0[cand] + (self.x1[cand] - self.x0[cand]) * f
        y = self.y0[cand] + (self.y1[cand] - self.y0[cand]) * f
        heading = self.heading[cand].copy()
        queued = np.flatnonzero(self.queue[cand] >= 0)
        if len(queued):
            q = self.queue[cand[queued]]
            for g in np.unique(q):
                sel = queued[q == g]
                xy, hd = self.groups[g].slot_xy(self.rank[cand[sel]], np.full(len(sel), t))
                x[sel], y[sel], heading[sel] = xy[:, 0], xy[:, 1], hd
        return {"tidx": self.tidx[cand], "traveler_id": self.traveler_ids[self.tidx[cand]],
                "x": x, "y": y, "act": self.act[cand], "heading": heading,
                "speed": self.speed[cand]}

    def positions_at(self, t: float) -> pd.DataFrame:
        """traveler_id, x, y (m), zone ('' between zones), activity, heading (rad, 0 = east)."""
        a = self.arrays_at(t)
        xy = np.column_stack([a["x"], a["y"]])
        zone = np.full(len(xy), "", dtype=object)
        for z in self.plan.zones:
            inside = points_in_polygon(xy, z.polygon) & (zone == "")
            zone[inside] = z.id
        df = pd.DataFrame({"traveler_id": a["traveler_id"], "x": a["x"], "y": a["y"],
                           "zone": zone, "activity": np.asarray(ACTIVITIES)[a["act"]],
                           "heading": a["heading"]})
        return df.sort_values("traveler_id", ignore_index=True)


# --- building the legs ---------------------------------------------------------------------

class _Event(NamedTuple):
    """One walk or visit of a traveler; sorted by (t, order) they come in the order lived."""

    t: float  # when it began (a visit: when the traveler joined its queue)
    order: int  # at one time, a visit (0) comes before a walk (1)
    walk: Any  # the walk record, or None
    visit: Any  # the visit record, or None
    visit_label: Any  # the visit record's index label (None for a walk)


def _build(frames: dict[str, pd.DataFrame], s: Scenario, plan: FloorPlan) -> Trajectories:
    horizon = s.horizon_s
    travelers = frames["travelers"].sort_values("traveler_id", ignore_index=True)
    tids = travelers["traveler_id"].to_numpy(np.int64)
    tindex = {int(t): i for i, t in enumerate(tids)}
    speed = travelers["walk_speed"].to_numpy(float)

    # Queue groups: e-gate banks, desk groups, customs; one per row of processors.
    visits = frames["visits"]
    queued = visits[visits["kind"] != "reclaim"].copy()
    queued["start_f"] = queued["start_t"].fillna(math.inf)
    groups, gid, rank, tail, head = [], {}, {}, {}, {}
    for row in plan.rows:
        v = queued[queued["processor"] == row.id].sort_values(["queue_t", "start_f"],
                                                              kind="stable")
        line = row.queue_line()
        gid[row.id] = len(groups)
        if s.terminal.walking.queue_space:  # the ropes hold what they hold; the rest spill
            cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(line, axis=0).T))])
            n_spill = max(len(v) - row.queue_slots, 1)
            grp = _QueueGroup(np.asarray(line, float), cum, row.slot_spacing_m,
                              np.sort(v["start_f"].to_numpy()), float(row.queue_slots),
                              spill_cells(plan, row, n_spill))
        else:
            pts, cum = serpentine_queue(line)
            grp = _QueueGroup(pts, cum, row.slot_spacing_m, np.sort(v["start_f"].to_numpy()))
        groups.append(grp)
        ranks = np.arange(len(v))
        # Where each traveler joins the queue and where they stand when called: the anchors
        # their walks in and out of the queue end and start at.
        t_in, _ = grp.slot_xy(ranks, v["queue_t"].to_numpy(float))
        start = v["start_f"].to_numpy()
        t_out, _ = grp.slot_xy(ranks, np.where(np.isfinite(start), start, 0.0))
        for r, idx in enumerate(v.index):
            rank[idx], tail[idx], head[idx] = r, t_in[r], t_out[r]
    rows = {row.id: row for row in plan.rows}

    # Per-traveler deterministic spots: reclaim waiting point, pass-through points.
    u = np.column_stack([hash_uniform(tids, k) for k in range(6)])
    spots = {z.id: spots_in(z, u) for z in plan.zones}
    belts = plan.belts_in(s.zone_of_kind(ZoneKind.baggage_reclaim).id)
    wait_xy, wait_heading = belt_spots(belts, u[:, 4], u[:, 5])

    events: dict[int, list[_Event]] = {}
    for walk in frames["walks"].itertuples(index=False):
        events.setdefault(int(walk.traveler_id), []).append(_Event(walk.t0, 1, walk, None, None))
    for label, visit in zip(visits.index, visits.itertuples(index=False)):
        events.setdefault(int(visit.traveler_id), []).append(
            _Event(visit.queue_t, 0, None, visit, label))

    routes = walk_routes(s, plan) if s.terminal.doors else None
    legs = _Legs()
    for tid, evs in events.items():
        i = tindex.get(tid)
        if i is None:
            continue
        evs.sort(key=lambda e: (e.t, e.order))
        v_speed = max(float(speed[i]), 0.3)
        cur, cur_t, served_by = None, None, ""
        for k, ev in enumerate(evs):
            nxt = evs[k + 1] if k + 1 < len(evs) else None
            if ev.walk is not None:
                src, dst = ev.walk.from_zone, ev.walk.to_zone
                t0, t1 = ev.walk.t0, ev.walk.t1  # t1 inf: still walking at the horizon
                start = cur if cur is not None else spots[src][i]
                target = _visit_start(nxt, dst, t1, i, tail, spots, wait_xy)
                line = _routed_line(routes, src, dst, nxt, served_by)
                if line is not None:
                    _walk_along(legs, i, t0, t1, np.vstack([start, line, target]), v_speed)
                else:
                    _walk(legs, i, t0, t1, start, target, plan.door(src, dst),
                          plan.door(dst, src), v_speed)
                cur, cur_t = target, min(t1, horizon)
                continue
            visit = ev.visit
            if visit.kind != "reclaim":
                served_by = visit.processor
            q_t = float(visit.queue_t)
            if cur is not None and q_t > cur_t + 1e-6:  # e.g. a referral from e-gate to desk
                joined = _visit_start(ev, None, q_t, i, tail, spots, wait_xy)
                legs.move(i, cur_t, q_t, cur, joined)
            start_t = horizon if not np.isfinite(visit.start_t) else float(visit.start_t)
            end_t = horizon if not np.isfinite(visit.end_t) else float(visit.end_t)
            if visit.kind == "reclaim":
                p = wait_xy[i]
                legs.stay(i, q_t, end_t, p, WAITING_BAG, wait_heading[i])
                cur, cur_t = p, end_t
                continue
            row = rows[visit.processor]
            legs.queue(i, q_t, start_t, gid[row.id], rank[ev.visit_label])
            if start_t >= horizon:
                cur, cur_t = None, horizon
                continue
            slot = head[ev.visit_label]
            server = int(visit.server) if visit.server >= 0 else 0
            desk = row.points[min(server, len(row.points) - 1)]
            walk_s = float(np.hypot(*(desk - slot))) / v_speed
            if np.isfinite(visit.end_t):  # a finished service: the step to the desk is part of it
                walk_s = min(walk_s, 0.6 * (end_t - start_t))
            legs.move(i, start_t, start_t + walk_s, slot, desk, SERVICE)
            facing = math.atan2(*(desk - slot)[::-1]) if np.hypot(*(desk - slot)) > 1e-6 else 0.0
            if visit.kind == "egate" and np.isfinite(visit.end_t):  # step through the gate
                out = desk + GATE_EXIT_M * np.asarray(row.through, float)
                pass_s = min(1.2, 0.3 * (end_t - start_t))
                legs.stay(i, start_t + walk_s, end_t - pass_s, desk, SERVICE, facing)
                legs.move(i, end_t - pass_s, end_t, desk, out, SERVICE)
                cur = out
            else:
                legs.stay(i, start_t + walk_s, end_t, desk, SERVICE, facing)
                cur = desk
            cur_t = end_t

    table = np.asarray(legs.rows, float) if legs.rows else np.zeros((0, len(LEG_COLUMNS)))
    return Trajectories(s, plan, tids, table, groups, gid)


def _visit_start(ev: _Event | None, zone_id, t, i, tail, spots, wait_xy) -> np.ndarray:
    """Where a traveler reaching ``zone_id`` at ``t`` heads for: the tail of the queue of the
    visit ``ev`` if it begins then (or ``zone_id`` is None: a referral), else a spot."""
    if ev is not None and ev.visit is not None and (
            zone_id is None or abs(float(ev.visit.queue_t) - t) < 1e-6):
        if ev.visit.kind == "reclaim":
            return wait_xy[i]
        return tail[ev.visit_label]
    return spots[zone_id][i]


def _routed_line(routes: WalkRoutes | None, src: str, dst: str, nxt: _Event | None,
                 served_by: str) -> np.ndarray | None:
    """The routed polyline of a walk (:mod:`sim.walking`), or None where it is typed: into
    the hall it runs on to the queue the traveler joins, out of it from the row that served."""
    if routes is None or (src, dst) not in routes.polyline:
        return None
    line = routes.polyline[src, dst]
    if nxt is not None and nxt.visit is not None and (src, nxt.visit.processor) in \
            routes.into_queue:
        return np.vstack([line, routes.into_queue[src, nxt.visit.processor]])
    return routes.from_row.get(served_by, line) if src == routes.hall else line


def _finite_end(t0: float, t1: float, length: float, speed: float) -> float:
    """A walk's end: t1, or for one under way at the horizon (t1 inf) when the walker's
    ``speed`` covers ``length``."""
    return t1 if np.isfinite(t1) else t0 + max(length, 1e-6) / speed


def _walk_along(legs: _Legs, i, t0, t1, pts: np.ndarray, speed) -> None:
    """Along a polyline at one pace, from t0 to t1 (the model's time, crowd included; t1 inf:
    a walk under way at the horizon goes on at the walker's ``speed``)."""
    seg = np.hypot(*np.diff(pts, axis=0).T)
    total = float(seg.sum())
    t1 = _finite_end(t0, t1, total, speed)
    if total <= 1e-9:
        legs.stay(i, t0, t1, pts[0], WALKING, math.nan)
        return
    times = t0 + (t1 - t0) * np.concatenate([[0.0], np.cumsum(seg)]) / total
    for k in range(len(seg)):
        if seg[k] > 1e-9:
            legs.move(i, float(times[k]), float(times[k + 1]), pts[k], pts[k + 1])


def _walk(legs: _Legs, i, t0, t1, a, b, d_out, d_in, speed):
    """a → door out of the zone left → (corridor, off the plan) → door into the next → b.
    The model's walk (``sim.walking.typed_span``) is never shorter than this at ``speed``; t1
    inf: a walk under way at the horizon goes on at ``speed``."""
    l_out = float(np.hypot(*(d_out - a)))
    l_in = float(np.hypot(*(b - d_in)))
    l_mid = float(np.hypot(*(d_in - d_out)))
    t1 = _finite_end(t0, t1, l_out + l_mid + l_in, speed)
    duration = t1 - t0
    if l_out + l_mid + l_in >= speed * duration:  # short walk: stay on the plan all the way
        v = (l_out + l_mid + l_in) / max(duration, 1e-9)
        ta, tb = t0 + l_out / v if v > 0 else t0, t1 - l_in / v if v > 0 else t1
        legs.move(i, t0, ta, a, d_out)
        legs.move(i, ta, tb, d_out, d_in)
        legs.move(i, tb, t1, d_in, b)
        return
    legs.move(i, t0, t0 + l_out / speed, a, d_out)
    legs.move(i, t1 - l_in / speed, t1, d_in, b)
