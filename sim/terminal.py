"""The SimPy model of the arrivals flow: aircraft → immigration → baggage reclaim → customs → exit.

Processes are generator functions taking ``env`` first. The model does no I/O: it appends flat
records to a :class:`~sim.records.Records`. Randomness comes from the one generator handed in.

Covers: flights deplaning at a rate, parties walking at their slowest member's pace, queue choice
by class and e-gate eligibility (least travelers per open processor among the groups that serve
the class), e-gate transactions through a :class:`~sim.verifier.GateVerifier` with referral to a
desk on a reject or a failure to acquire, desk rosters and e-gate outages (a closing processor
finishes its current traveler first), bags delivered per flight over a window, a customs red
channel. Walks (:mod:`sim.walking`): typed or routed on the floor plan, slowed by the crowd on
them (Weidmann), the walk into the hall also by travelers spilled from full queues. Whoever is
still inside at the horizon is reported where they are (see :func:`simulate`).

Speed: a 24-hour day of 100,000 travelers is about 800,000 events (``airtwin bench sim``), so
the hot path avoids SimPy's ``Resource`` (a request object and a sorted queue per visit): a
:class:`ProcessorGroup` hands a free processor over without an event and wakes queued travelers
in FIFO order. Traveler attributes are drawn in vectorised blocks before the run; levels that
follow from other records (occupancy, queue lengths) are derived afterwards in
:meth:`~sim.records.Records.frames`; the garbage collector is paused while the run allocates.
"""

from __future__ import annotations

import gc
import math
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import simpy

from sim.distributions import SampleStream
from sim.layout import floor_plan
from sim.records import Records
from sim.scenario import Scenario, TravelerClass, ZoneKind
from sim.travelers import Traveler, schedule_travelers
from sim.verifier import GateOutcome, GateVerifier, ProfileVerifier
from sim.walking import Stretch, drawn_zones, referral_span, walk_routes

NAN = math.nan


class ProcessorGroup:
    """A bank of identical processors (e-gates, desks, customs officers) with one FIFO queue.

    Invariant: travelers wait only while no open processor is free. ``open`` is the number the
    roster or outages ask for; a processor that must close finishes its traveler first.
    ``slots`` is how many the queue's ropes hold (the rest spill into the hall in front).
    """

    __slots__ = ("id", "kind", "count", "open", "busy", "free", "closed", "queue", "rec",
                 "slots")

    def __init__(self, gid: str, kind: str, count: int, rec: Records):
        self.id, self.kind, self.count, self.rec = gid, kind, count, rec
        self.slots = math.inf
        self.open = count
        self.busy = 0
        self.free = list(range(count - 1, -1, -1))  # idle open processor ids, popped from the end
        self.closed: list[int] = []
        self.queue: deque[simpy.Event] = deque()

    def load(self) -> float:
        """Travelers ahead per open processor: the expected-wait proxy a traveler sees."""
        return math.inf if self.open <= 0 else (len(self.queue) + self.busy) / self.open

    def join(self, env: simpy.Environment) -> simpy.Event:
        """Queue for a processor; the event's value is the processor id."""
        ev = env.event()
        self.queue.append(ev)
        return ev

    def release(self, server: int) -> None:
        """Hand the processor to the next traveler in line, or free it (or close it)."""
        if self.busy + len(self.free) > self.open:  # this processor is closing
            self.busy -= 1
            self.closed.append(server)
        elif self.queue:
            self.queue.popleft().succeed(server)
        else:
            self.busy -= 1
            self.free.append(server)

    def set_open(self, env: simpy.Environment, n_open: int) -> None:
        self.open = n_open = max(0, min(n_open, self.count))
        while self.free and self.busy + len(self.free) > n_open:
            self.closed.append(self.free.pop())
        while self.closed and self.busy + len(self.free) < n_open:
            server = self.closed.pop()
            if self.queue:
                self.busy += 1
                self.queue.popleft().succeed(server)
            else:
                self.free.append(server)
        self.rec.capacity.append((env.now, self.id, n_open))


@dataclass
class Terminal:
    """Everything the processes share within one replication."""

    env: simpy.Environment
    scenario: Scenario
    rng: np.random.Generator
    verifier: GateVerifier
    rec: Records = field(default_factory=Records)
    travelers: list[Traveler] = field(default_factory=list)

    def __post_init__(self):
        s, rec = self.scenario, self.rec
        imm = s.immigration
        self.banks = [ProcessorGroup(b.id, "egate", b.count, rec) for b in imm.egate_banks]
        self.desks = [ProcessorGroup(d.id, "desk", d.count, rec) for d in imm.desks]
        self.customs = ProcessorGroup("customs", "customs", s.customs.officers, rec)
        self.gate_time = {b.id: SampleStream(b.transaction_time, self.rng) for b in imm.egate_banks}
        self.desk_time = {d.id: SampleStream(d.service_time, self.rng) for d in imm.desks}
        self.first_time_factor = {d.id: d.first_time_factor for d in imm.desks}
        self.inspect_time = SampleStream(s.customs.inspection_time, self.rng)
        eligible = {b.id: {c.value for c in b.eligible} for b in imm.egate_banks}
        self.banks_for = {c.value: [g for g in self.banks if c.value in eligible[g.id]]
                          for c in TravelerClass}
        serves = {d.id: {c.value for c in d.classes} for d in imm.desks}
        self.desks_for = {c.value: [g for g in self.desks if c.value in serves[g.id]]
                          for c in TravelerClass}
        self.hall = s.zone_of_kind(ZoneKind.immigration_hall).id
        self.reclaim = s.zone_of_kind(ZoneKind.baggage_reclaim).id
        self.customs_zone = s.zone_of_kind(ZoneKind.customs).id
        self.exit = s.zone_of_kind(ZoneKind.exit).id
        rec.stop_zones = (self.hall, self.reclaim, self.customs_zone)
        walking = s.terminal.walking
        plan = (floor_plan(s) if s.terminal.doors or walking.queue_space
                or walking.cover_drawn_routes else None)
        self.routes = walk_routes(s, plan)
        # in a drawn hall never shorter than the walk sim.positions draws from a gate to a desk
        drawn = walking.cover_drawn_routes and self.hall in drawn_zones(s)
        self.referral_walk_m = (max(imm.referral_walk_m, referral_span(plan)) if drawn
                                else imm.referral_walk_m)
        self.walk_m = self.routes.distance
        self.walk_hall_reclaim = self.walk_m[self.hall, self.reclaim]
        self.walk_reclaim_customs = self.walk_m[self.reclaim, self.customs_zone]
        self.walk_customs_exit = self.walk_m[self.customs_zone, self.exit]
        hall_groups = self.banks + self.desks
        if walking.queue_space:
            slots = {r.id: r.queue_slots for r in plan.rows}
            for g in hall_groups + [self.customs]:
                g.slots = slots.get(g.id, math.inf)
        # Walking stretches and their crowds (walkers on them), for the speed-density relation.
        width = walking.corridor_width_m
        spill = tuple(hall_groups) if walking.queue_space else ()
        self.congestion = walking.congestion
        self.stretch = {pair: Stretch(d * width, spill if pair[1] == self.hall else (),
                                      self.congestion)
                        for pair, d in self.walk_m.items()}
        self.into_queue_m = {k: self.routes.into_queue_m(*k) for k in self.routes.into_queue}
        self.from_row_m = {g.id: self.routes.from_row_m(g.id, self.walk_hall_reclaim)
                           for g in hall_groups}
        for g in self.banks + self.desks + [self.customs]:
            rec.capacity.append((0.0, g.id, g.open))


def serve(env, term: Terminal, tr: Traveler, grp: ProcessorGroup, service_time,
          outcome: str = "served"):
    """Queue at ``grp``, hold one processor for ``service_time`` seconds (a number, or a
    callable of (terminal, traveler, start time, group, processor) returning (seconds, outcome,
    decision)), record the visit. Returns the decision (``None`` for a plain service)."""
    q_t = env.now
    visit = tr.visit = [grp.id, grp.kind, q_t, NAN, -1, outcome]
    if grp.free:
        server = grp.free.pop()
        grp.busy += 1
        start = q_t
    else:
        server = yield grp.join(env)
        start = env.now
    visit[3], visit[4] = start, server
    decision = None
    if callable(service_time):
        service_time, visit[5], decision = service_time(term, tr, start, grp, server)
    yield env.timeout(service_time)
    end = start + service_time
    grp.release(server)
    tr.visit = None
    term.rec.visits.append((tr.id, tr.cls, grp.id, grp.kind, q_t, start, end, server, visit[5]))
    return decision


def egate_transaction(term: Terminal, tr: Traveler, start: float, grp: ProcessorGroup,
                      gate: int):
    """The e-gate transaction, a service-time callable for :func:`serve`: the gate's own
    mechanical time plus the recognizer's, whose capture happens half-way through."""
    mechanical = term.gate_time[grp.id]()
    decision = term.verifier.verify(tr, start + mechanical / 2)
    duration = mechanical + decision.duration_s
    outcome = decision.outcome._value_  # Enum.value is a Python-level descriptor: hot path
    term.rec.egate_transactions.append((tr.id, grp.id, gate, start, duration,
                                        decision.duration_s, outcome, decision.score))
    return duration, outcome, decision


def desk_for(term: Terminal, tr: Traveler) -> tuple[ProcessorGroup, float]:
    """The least-loaded desk group serving the traveler's class, and their service time."""
    desks = term.desks_for[tr.cls]
    grp = desks[0] if len(desks) == 1 else min(desks, key=ProcessorGroup.load)
    t = term.desk_time[grp.id]()
    if tr.cls == "first_time_visitor":
        t *= term.first_time_factor[grp.id]
    return grp, t


def first_processor(term: Terminal, tr: Traveler):
    """E-gate if enrolled, consenting and a bank for the class is open; a desk otherwise.
    Returns (group, service time or the e-gate transaction) and sets the traveler's route."""
    banks = term.banks_for[tr.cls] if tr.enrolled and tr.consent else ()
    if len(banks) > 1 or (banks and banks[0].open <= 0):
        banks = [b for b in banks if b.open > 0]
    if not banks:
        tr.route = "desk"
        return desk_for(term, tr)
    tr.route = "egate"
    bank = banks[0] if len(banks) == 1 else min(banks, key=ProcessorGroup.load)
    return bank, egate_transaction


def traveler_journey(env, term: Terminal, tr: Traveler, gate_zone: str, deplane_in: float):
    """One traveler from the aircraft door to the landside exit.

    The first timeout covers the wait to deplane (``deplane_in`` s, still aboard) and the walk
    to the hall. Walks are a third of all events, so they are written out here rather than
    delegated to a sub-generator; ``tr.leg`` holds the walk under way for the horizon report.
    """
    rec, walks, speed, timeout = term.rec, term.rec.walks, tr.speed, env.timeout
    hall, reclaim, customs, exit_zone = term.hall, term.reclaim, term.customs_zone, term.exit
    stretch = term.stretch
    # ``now`` is tracked here: after ``yield timeout(d)`` SimPy's clock is exactly now + d.
    t0 = tr.arrive_t = env.now + deplane_in  # (with congestion on, the party steps off now)
    tr.place, tr.leg = "walking", (gate_zone, hall, t0)
    st = stretch[gate_zone, hall]
    v = st.enter(speed)
    d = deplane_in + term.walk_m[gate_zone, hall] / v
    yield timeout(d)
    grp, service = first_processor(term, tr)
    if term.into_queue_m:  # routed: from the hall's door on to the tail of the queue picked
        on_m = term.into_queue_m.get((gate_zone, grp.id), 0.0)  # 0: this gate's walk is typed
        if on_m > 0:
            yield timeout(on_m / v)
    st.n -= 1
    now = env.now
    walks.append((tr.id, gate_zone, hall, t0, now))
    tr.place = hall
    decision = yield from serve(env, term, tr, grp, service)
    if decision is not None and decision.outcome is not GateOutcome.passed:
        # Rejected or no face acquired: a short walk across the hall to a desk.
        tr.route = "egate_referred"
        yield timeout(term.referral_walk_m / speed)
        grp, service = desk_for(term, tr)
        yield from serve(env, term, tr, grp, service)

    t0 = env.now
    tr.place, tr.leg = "walking", (hall, reclaim, t0)
    st = stretch[hall, reclaim]
    d = term.from_row_m[grp.id] / st.enter(speed)
    yield timeout(d)
    st.n -= 1
    now = t0 + d
    walks.append((tr.id, hall, reclaim, t0, now))
    tr.place = reclaim
    if tr.checked_bag:
        q_t = now
        if tr.bag_t > now:
            tr.visit = ["reclaim", "reclaim", now, NAN, -1, "bag_collected"]
            yield timeout(tr.bag_t - now)
            tr.visit = None
            now = env.now
        rec.visits.append((tr.id, tr.cls, "reclaim", "reclaim", q_t, now, now, -1,
                           "bag_collected"))

    tr.place, tr.leg = "walking", (reclaim, customs, now)
    st = stretch[reclaim, customs]
    d = term.walk_reclaim_customs / st.enter(speed)
    yield timeout(d)
    st.n -= 1
    t0, now = now, now + d
    walks.append((tr.id, reclaim, customs, t0, now))
    tr.place = customs
    if tr.inspected and term.customs.count > 0:
        yield from serve(env, term, tr, term.customs, term.inspect_time(), "inspected")
        now = env.now

    tr.place, tr.leg = "walking", (customs, exit_zone, now)
    st = stretch[customs, exit_zone]
    d = term.walk_customs_exit / st.enter(speed)
    yield timeout(d)
    st.n -= 1
    tr.exit_t = now + d
    walks.append((tr.id, customs, exit_zone, now, tr.exit_t))
    tr.place = "exited"


def flight_arrival(env, term: Terminal, flight, parties: list[list[Traveler]]):
    """At on-blocks: draw the bag and door times, then start every traveler's journey with
    their deplaning offset (parties leave the aircraft one after another at the door rate).
    With congestion on, each party's journeys start when it steps off (one event per party),
    so the crowd on the walk is counted when the walk begins."""
    s = term.scenario
    yield env.timeout(flight.time_s + flight.delay_s)
    first_bag = env.now + float(s.baggage.first_bag_s.sample(term.rng))
    window = s.baggage.delivery_window_s
    offset = float(s.flights.deplaning.door_open_s.sample(term.rng))
    gap = 60.0 / s.flights.deplaning.rate_per_min
    bags = (first_bag + term.rng.random(flight.passengers) * window).tolist()
    i = 0
    on_blocks = env.now
    for party in parties:
        if term.congestion:  # the party steps off now: their walk's crowd is counted as it is
            due = on_blocks + offset
            if due > env.now:
                yield env.timeout(due - env.now)
        for tr in party:
            tr.bag_t = bags[i]
            i += 1
            env.process(traveler_journey(env, term, tr, flight.gate,
                                         0.0 if term.congestion else offset))
        offset += gap * len(party)


def capacity_schedule(env, grp: ProcessorGroup, changes: list[tuple[float, int]]):
    """Apply (time, open count) changes in time order: rosters and outages."""
    for t, n_open in changes:
        if t > env.now:
            yield env.timeout(t - env.now)
        grp.set_open(env, n_open)


def _capacity_changes(count: int, windows: list[tuple[float, float, int]], closing: bool):
    """Piecewise-constant open counts from windows. ``closing``: windows remove processors
    (outages); otherwise each window sets the open count (roster), with all open outside."""
    points = sorted({t for w in windows for t in w[:2]})
    changes = []
    for t in points:
        active = [w for w in windows if w[0] <= t < w[1]]
        if closing:
            n = count - sum(w[2] for w in active)
        else:
            n = active[-1][2] if active else count
        changes.append((t, max(0, n)))
    return changes


def build(env: simpy.Environment, scenario: Scenario, rng: np.random.Generator,
          verifier: GateVerifier | None = None, identity_seed: int = 0) -> Terminal:
    """Set up one replication: processor groups, schedules and every flight's travelers."""
    verifier = verifier or ProfileVerifier(scenario.immigration.recognizer.profile, rng)
    term = Terminal(env, scenario, rng, verifier)
    imm = scenario.immigration
    for grp, bank in zip(term.banks, imm.egate_banks):
        outs = [(o.start_s, o.end_s, o.gates) for o in imm.outages if o.bank == bank.id]
        if outs:
            env.process(capacity_schedule(env, grp, _capacity_changes(bank.count, outs, True)))
    for grp, desk in zip(term.desks, imm.desks):
        wins = [(w.start_s, w.end_s, w.open) for w in imm.roster if w.desks == desk.id]
        if wins:
            env.process(capacity_schedule(env, grp, _capacity_changes(desk.count, wins, False)))
    flights = sorted(scenario.flights.schedule, key=lambda f: (f.time_s + f.delay_s, f.id))
    for flight, parties in zip(flights, schedule_travelers(flights, scenario, rng,
                                                            identity_seed)):
        term.travelers.extend(tr for p in parties for tr in p)
        env.process(flight_arrival(env, term, flight, parties))
    return term


def close_at_horizon(term: Terminal, horizon: float) -> None:
    """Report whoever is still inside: open visits and walks get NaN ends, travelers their place."""
    rec = term.rec
    for tr in term.travelers:
        if not math.isnan(tr.exit_t):
            continue
        if math.isnan(tr.arrive_t) or tr.arrive_t > horizon:  # still aboard (or not landed)
            tr.arrive_t, tr.place = NAN, "aircraft"
            continue
        if tr.visit is not None:
            grp, kind, q_t, start, server, outcome = tr.visit
            rec.visits.append((tr.id, tr.cls, grp, kind, q_t, start, NAN, server,
                               outcome if not math.isnan(start) else "waiting"))
        elif tr.place == "walking":
            src, dst, t0 = tr.leg
            rec.walks.append((tr.id, src, dst, t0, NAN))


def simulate(scenario: Scenario, rng: np.random.Generator,
             verifier: GateVerifier | None = None, identity_seed: int = 0) -> Records:
    """Run one replication to the scenario's horizon and return its records."""
    with _gc_paused():
        env = simpy.Environment()
        term = build(env, scenario, rng, verifier, identity_seed)
        env.run(until=scenario.horizon_s)
        close_at_horizon(term, scenario.horizon_s)
        term.rec.travelers = [tr.row() for tr in term.travelers]
        term.rec.events = env_event_count(env)
        _drop_pending(env, term)
    return term.rec


def _drop_pending(env: simpy.Environment, term: Terminal) -> None:
    """Drop the events still pending at the horizon. Each holds an unfinished traveler process
    whose frame holds the terminal, in a cycle only the collector could free; dropped, the whole
    replication is freed as soon as the caller lets go of it."""
    pending = [ev for grp in term.banks + term.desks + [term.customs] for ev in grp.queue]
    queue = getattr(env, "_queue", None)  # SimPy's schedule (a private heap list)
    if isinstance(queue, list):
        pending += [entry[-1] for entry in queue]
        queue.clear()
    for ev in pending:  # a process waits on its event, whose callbacks hold the process
        if ev.callbacks:
            ev.callbacks.clear()
    for grp in term.banks + term.desks + [term.customs]:
        grp.queue.clear()


@contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector during a run: the model allocates millions of records
    and events that stay alive, and each young-generation pass rescans them (a 24-hour day runs
    about 1.6x faster). On the way out, everything allocated meanwhile is moved straight to the
    oldest generation (``freeze`` then ``unfreeze``): re-enabled with millions of objects in
    the young generation, the collector would scan them all at the next allocation (~0.3 s)
    only to promote them. They are collected as usual at the next full collection."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def env_event_count(env: simpy.Environment) -> int:
    """Events SimPy processed (scheduled minus still queued); -1 if SimPy hides its counter."""
    eid = getattr(env, "_eid", None)
    queue = getattr(env, "_queue", None)
    if eid is None or queue is None:
        return -1
    return next(eid) - len(queue)
