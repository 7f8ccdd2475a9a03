"""The immigration hall in pedestrian mode: SimPy decides service, JuPedSim moves people.

Coupling, stepped in lockstep every JuPedSim step (``dt``, 0.05 s): SimPy runs up to the
step's time, then JuPedSim iterates once, then the loop tells SimPy who has reached their
processor.

- A traveler enters at the hall's door from the corridor when the fast run's records say they
  reached the hall, and walks (JuPedSim) to the tail of their processor row's queue: a JuPedSim
  queue stage whose waiting places are the row's serpentine queue path, slot by slot.
- Each processor is a SimPy process: while it is open (the run's capacity level) and someone
  stands in its row's queue, it calls the head of the queue (the queue stage's ``pop``), waits
  for them to walk to it, serves them for their service time (the fast run's, so both modes
  serve the same work), and lets them walk on to the hall's exit door.
- While served, a traveler is taken off JuPedSim's floor (they stand in the booth); they come
  back on the far side of the processor.

What changes against the fast mode: walking to and in the queue takes the time the crowd lets
it take, so waits and times in the hall include walking, and the queue is physical. Referrals
from an e-gate to a desk are not modelled here (each traveler's first immigration visit only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
import shapely.ops
import simpy

from floorplan.plan import FloorPlan, ProcessorRow
from floorplan.shapes import serpentine_queue
from sim.pedestrian.crowd import DT_S, RADIUS_M, TIME_GAP_S

__all__ = ["HallResult", "HallTraveler", "hall_travelers", "simulate_hall"]

REACH_M = 0.5  # a traveler this close to their processor has reached it
QUEUE_SLOTS = 250  # waiting places per row (the serpentine folds as long as the hall allows)
RECORD_EVERY = 10  # record positions every 10th step (0.5 s)
CLOSED_POLL_S = 5.0  # a closed processor looks at its row's open count this often


@dataclass(frozen=True)
class HallTraveler:
    traveler_id: int
    enter_t: float  # when they reach the hall (s)
    row: str  # the processor row they queue for
    service_s: float
    speed: float  # free walking speed (m/s)
    from_zone: str  # the zone they come from (they enter at the hall's door towards it)


def hall_travelers(frames: dict[str, pd.DataFrame], hall_zone: str) -> list[HallTraveler]:
    """Who enters ``hall_zone`` in one replication's records, for which row, served how long."""
    walks = frames["walks"]
    into = walks[walks["to_zone"] == hall_zone].sort_values("t1").groupby("traveler_id").first()
    enter, came = into["t1"], into["from_zone"]
    v = frames["visits"]
    v = v[v["kind"].isin(["egate", "desk"]) & v["start_t"].notna() & v["end_t"].notna()]
    first = v.sort_values("queue_t").groupby("traveler_id").first()
    speed = frames["travelers"].set_index("traveler_id")["walk_speed"]
    out = []
    for tid, t in enter.items():
        if tid not in first.index or not np.isfinite(t):
            continue
        r = first.loc[tid]
        out.append(HallTraveler(int(tid), float(t), str(r["processor"]),
                                float(r["end_t"] - r["start_t"]), float(speed.get(tid, 1.34)),
                                str(came[tid])))
    return sorted(out, key=lambda h: h.enter_t)


@dataclass
class HallResult:
    trajectories: pd.DataFrame  # t, traveler_id, x, y, activity (every RECORD_EVERY steps)
    visits: pd.DataFrame  # traveler_id, processor, server, enter_t, queue_t, call_t, start_t,
    #                       end_t, exit_t (NaN where not reached by the horizon)
    steps: int
    wall_s: float
    cpu_s: float  # this process's CPU time in the loop: the one-core cost on a shared machine
    max_in_hall: int
    exit_xy: tuple[float, float]  # the door people leave the hall by
    frame_rate: float  # recorded positions per second


@dataclass
class _Row:
    row: ProcessorRow
    stage: int
    queue: object  # jupedsim.NotifiableQueueStage
    journey: int
    server_stages: list[int] = field(default_factory=list)
    server_journeys: list[int] = field(default_factory=list)
    wake: object = None  # simpy.Event: someone stands in the queue (idle servers wait on it)


def _inside(poly: shapely.Polygon, p, margin: float = 0.3) -> tuple[float, float]:
    """``p`` moved into ``poly`` (at least ``margin`` from its edge) if it is not already."""
    pt = shapely.Point(p)
    inner = poly.buffer(-margin)
    if inner.contains(pt):
        return float(p[0]), float(p[1])
    q = shapely.ops.nearest_points(inner, pt)[0]
    return float(q.x), float(q.y)


def _queue_places(row: ProcessorRow, poly: shapely.Polygon) -> list[tuple[float, float]]:
    pts, cum = serpentine_queue(row.queue_line())
    gap = max(row.slot_spacing_m, 2 * RADIUS_M + 0.1)
    inner = poly.buffer(-0.3)
    places = []
    for s in np.arange(0.0, cum[-1], gap):
        k = min(int(np.searchsorted(cum, s, side="right")) - 1, len(pts) - 2)
        f = (s - cum[k]) / max(cum[k + 1] - cum[k], 1e-9)
        p = pts[k] + f * (pts[k + 1] - pts[k])
        if inner.contains(shapely.Point(p)):
            places.append((float(p[0]), float(p[1])))
        if len(places) >= QUEUE_SLOTS:
            break
    if not places:
        raise ValueError(f"row {row.id}: no queue place inside the hall polygon")
    return places


def _open_at(capacity: pd.DataFrame, row_id: str, n: int):
    cap = capacity[capacity["processor"] == row_id].sort_values("t")
    t, k = cap["t"].to_numpy(float), cap["open"].to_numpy()

    def open_at(now: float) -> int:
        i = np.searchsorted(t, now, side="right") - 1
        return int(k[i]) if i >= 0 else n
    return open_at


def simulate_hall(plan: FloorPlan, travelers: list[HallTraveler], capacity: pd.DataFrame,
                  horizon_s: float, dt: float = DT_S, progress=None) -> HallResult:
    """Run the coupled hall to ``horizon_s``; see the module docstring."""
    import time

    import jupedsim as jps

    hall = next(z for z in plan.zones if z.kind == "immigration_hall")
    poly = shapely.Polygon(hall.polygon)
    doors = {d.toward: d.xy for d in plan.doors_of(hall.id)}
    exit_zone = next((z for z in doors if plan.zone(z).kind in ("baggage_reclaim", "customs",
                                                                 "exit")), None)
    if exit_zone is None:
        raise ValueError(f"plan {plan.name}: hall {hall.id} has no door towards reclaim, "
                         f"customs or the exit (doors towards: {', '.join(doors) or 'none'})")
    entries = {z: _inside(poly, xy, 1.0) for z, xy in doors.items() if z != exit_zone}
    exit_xy = np.asarray(doors[exit_zone], float)
    sim = jps.Simulation(model=jps.CollisionFreeSpeedModel(), geometry=poly, dt=dt)
    exit_poly = shapely.Point(exit_xy).buffer(1.5).intersection(poly)
    exit_stage = sim.add_exit_stage(exit_poly)
    exit_journey = sim.add_journey(jps.JourneyDescription([exit_stage]))
    rows: dict[str, _Row] = {}
    for row in plan.rows_in(hall.id):
        if row.kind not in ("egate", "desk"):
            continue
        stage = sim.add_queue_stage(_queue_places(row, poly))
        r = _Row(row, stage, sim.get_stage(stage), sim.add_journey(
            jps.JourneyDescription([stage])))
        for p in row.points:
            wp = sim.add_waypoint_stage(_inside(poly, p, 0.3), 0.3)
            r.server_stages.append(wp)
            r.server_journeys.append(sim.add_journey(jps.JourneyDescription([wp])))
        rows[row.id] = r

    env = simpy.Environment()
    agent_of: dict[int, int] = {}  # traveler id -> JuPedSim agent id (while on the floor)
    who: dict[int, int] = {}  # agent id -> traveler id
    state: dict[int, str] = {}  # traveler id -> walking | queueing | service
    arrived: dict[int, simpy.Event] = {}  # agent id -> event when at their processor
    targets: dict[int, np.ndarray] = {}
    log: dict[int, dict] = {}
    queued_ids: set[int] = set()  # who has been seen in a queue (their queue_t is set)
    by_id = {h.traveler_id: h for h in travelers}

    pending: list[tuple[int, tuple[float, float], int, int]] = []  # waiting to step on
    rng = np.random.default_rng(0)
    inner = poly.buffer(-0.25)
    shapely.prepare(inner)

    def add_agent(tid: int, pos, journey: int, stage: int) -> None:
        pending.append((tid, pos, journey, stage))

    def free_spot(pos) -> tuple[float, float] | None:
        """``pos`` or a spot within 1.5 m of it with nobody closer than two radii."""
        for k in range(8):
            p = np.asarray(pos) + (rng.uniform(-1.5, 1.5, 2) if k else 0.0)
            if inner.contains(shapely.Point(p)) and \
                    not list(sim.agents_in_range(tuple(p), 2 * RADIUS_M + 0.05)):
                return float(p[0]), float(p[1])
        return None

    def step_on() -> None:
        """Put whoever is waiting to step on onto the floor where there is room (a crowded
        door holds them back: they try again next step)."""
        still = []
        for tid, pos, journey, stage in pending:
            spot = free_spot(pos)
            if spot is None:
                still.append((tid, pos, journey, stage))
                continue
            _agent(tid, spot, journey, stage)
        pending[:] = still

    def _agent(tid: int, pos, journey: int, stage: int) -> int:
        h = by_id[tid]
        aid = sim.add_agent(jps.CollisionFreeSpeedModelAgentParameters(
            journey_id=journey, stage_id=stage, position=pos,
            desired_speed=min(max(h.speed, 0.5), 2.0), radius=RADIUS_M, time_gap=TIME_GAP_S))
        agent_of[tid], who[aid] = aid, tid
        return aid

    def arrival(h: HallTraveler):
        yield env.timeout(max(h.enter_t - env.now, 0.0))
        if h.row not in rows:
            return
        r = rows[h.row]
        log[h.traveler_id] = {"traveler_id": h.traveler_id, "processor": h.row,
                              "enter_t": env.now}
        state[h.traveler_id] = "walking"
        entry = entries.get(h.from_zone) or next(iter(entries.values()))
        add_agent(h.traveler_id, entry, r.journey, r.stage)

    def server(r: _Row, j: int, open_at):
        point = np.asarray(_inside(poly, r.row.points[j], 0.3))
        out = _inside(poly, np.asarray(r.row.points[j]) + 1.5 * np.asarray(r.row.through), 0.3)
        while True:
            if j >= open_at(env.now):
                yield env.timeout(CLOSED_POLL_S)
                continue
            if r.queue.count_enqueued() == 0:
                if r.wake is None or r.wake.triggered:
                    r.wake = env.event()
                yield r.wake
                continue
            aid = r.queue.enqueued()[0]
            r.queue.pop(1)
            tid = who[aid]
            if tid not in queued_ids:  # reached the queue since the loop last looked
                queued_ids.add(tid)
                log[tid]["queue_t"] = env.now
            log[tid]["call_t"] = env.now
            state[tid] = "walking"
            sim.switch_agent_journey(aid, r.server_journeys[j], r.server_stages[j])
            arrived[aid] = env.event()
            targets[aid] = point
            yield arrived[aid]
            sim.mark_agent_for_removal(aid)
            del agent_of[tid], who[aid]
            state[tid] = "service"
            log[tid].update(start_t=env.now, server=j)
            yield env.timeout(by_id[tid].service_s)
            log[tid]["end_t"] = env.now
            state[tid] = "walking"
            add_agent(tid, out, exit_journey, exit_stage)

    for h in travelers:
        if h.enter_t < horizon_s:
            env.process(arrival(h))
    for r in rows.values():
        open_at = _open_at(capacity, r.row.id, len(r.row.points))
        for j in range(len(r.row.points)):
            env.process(server(r, j, open_at))

    recs, steps, max_in = [], int(math.ceil(horizon_s / dt)), 0
    t_wall, t_cpu = time.perf_counter(), time.process_time()

    def sync(t: float) -> None:
        """SimPy up to ``t`` (its clock too, so events triggered now are stamped ``t``)."""
        if env.now < t or env.peek() <= t:
            env.run(until=t + 1e-9)

    for k in range(steps):
        t = k * dt
        if env.peek() <= t:
            sync(t)
        if pending:
            step_on()
        sim.iterate()
        t_after = t + dt
        for aid in list(arrived):
            pos = np.asarray(sim.agent(aid).position)
            if np.hypot(*(pos - targets[aid])) < REACH_M:
                sync(t_after)
                arrived.pop(aid).succeed()
                del targets[aid]
        for aid in sim.removed_agents():
            tid = who.pop(aid, None)
            if tid is not None:  # left through the exit, not into a booth
                agent_of.pop(tid, None)
                log[tid]["exit_t"] = t + dt
                state.pop(tid, None)
        if k % 2 == 0:  # who has reached a queue (to 0.1 s); wake the row's idle servers
            for r in rows.values():
                if r.queue.count_enqueued():
                    if r.wake is not None and not r.wake.triggered:
                        sync(t_after)
                        r.wake.succeed()
                    for aid in r.queue.enqueued():
                        tid = who.get(aid)
                        if tid is not None and tid not in queued_ids:
                            queued_ids.add(tid)
                            log[tid]["queue_t"] = t
                            state[tid] = "queueing"
        if k % RECORD_EVERY == 0:
            agents = list(sim.agents())
            max_in = max(max_in, len(agents))
            for a in agents:
                tid = who.get(a.id)
                if tid is not None:
                    recs.append((t, tid, a.position[0], a.position[1],
                                 state.get(tid, "walking")))
            if progress is not None and k % (RECORD_EVERY * 600) == 0:
                progress(t, horizon_s)
    wall, cpu = time.perf_counter() - t_wall, time.process_time() - t_cpu
    traj = pd.DataFrame(recs, columns=["t", "traveler_id", "x", "y", "activity"])
    cols = ["traveler_id", "processor", "server", "enter_t", "queue_t", "call_t", "start_t",
            "end_t", "exit_t"]
    visits = pd.DataFrame(list(log.values())).reindex(columns=cols)
    return HallResult(traj, visits, steps, wall, cpu, max_in, tuple(map(float, exit_xy)),
                      1.0 / (dt * RECORD_EVERY))
