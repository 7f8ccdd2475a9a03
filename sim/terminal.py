"""The SimPy model of the arrivals flow: aircraft → immigration → baggage reclaim → customs → exit.

Processes are generator functions taking ``env`` first. The model does no I/O: it appends flat
records to a :class:`~sim.records.Records`. Randomness comes from the one generator handed in.

Covers: flights deplaning at a rate, parties walking at their slowest member's pace, queue choice
by class and e-gate eligibility (shortest expected wait among the groups that serve the class),
e-gate transactions through a :class:`~sim.verifier.GateVerifier` with referral to a desk on a
reject or a failure to acquire, desk rosters and e-gate outages (a closing processor finishes its
current traveler first), bags delivered per flight over a window, a customs red channel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import simpy

from sim.distributions import UNIT, SampleStream
from sim.records import Records
from sim.scenario import Scenario, TravelerClass, ZoneKind
from sim.travelers import Traveler, flight_travelers
from sim.verifier import GateOutcome, GateVerifier, ProfileVerifier

TRAVELER, CLOSURE = 1, 0  # request priorities: a closing processor jumps the queue


class ProcessorGroup:
    """A bank of identical processors (e-gates, desks, customs officers) with one queue."""

    def __init__(self, env: simpy.Environment, gid: str, kind: str, count: int, rec: Records):
        self.id, self.kind, self.count = gid, kind, count
        self.res = simpy.PriorityResource(env, capacity=max(count, 1))
        self.free = list(range(count - 1, -1, -1))  # server ids, popped from the end
        self.waiting = 0
        self.closed: list[simpy.Event] = []  # granted or pending closure requests
        self.rec = rec
        self.open = count
        if count == 0:  # a group with no processors: permanently closed
            self.closed.append(self.res.request(priority=CLOSURE))

    def load(self) -> float:
        """Travelers ahead per open processor: the expected-wait proxy a traveler sees."""
        return math.inf if self.open <= 0 else (self.waiting + self.res.count) / self.open

    def set_open(self, env: simpy.Environment, n_open: int) -> None:
        if self.count == 0:
            return
        n_open = max(0, min(n_open, self.count))
        target_closed = self.count - n_open
        while len(self.closed) < target_closed:
            self.closed.append(self.res.request(priority=CLOSURE))
        while len(self.closed) > target_closed:
            req = self.closed.pop()
            if req.triggered:
                self.res.release(req)
            else:  # still waiting for its processor to finish: withdraw it
                req.cancel()
        self.open = n_open
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
        s, env, rec = self.scenario, self.env, self.rec
        imm = s.immigration
        self.banks = [ProcessorGroup(env, b.id, "egate", b.count, rec) for b in imm.egate_banks]
        self.desks = [ProcessorGroup(env, d.id, "desk", d.count, rec) for d in imm.desks]
        self.customs = ProcessorGroup(env, "customs", "customs", s.customs.officers, rec)
        self.gate_time = {b.id: SampleStream(b.transaction_time, self.rng) for b in imm.egate_banks}
        self.desk_time = {d.id: SampleStream(d.service_time, self.rng) for d in imm.desks}
        self.first_time_factor = {d.id: d.first_time_factor for d in imm.desks}
        self.inspect_time = SampleStream(s.customs.inspection_time, self.rng)
        self.unit = SampleStream(UNIT, self.rng)
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
        self.occupants = {z.id: 0 for z in s.terminal.zones}
        self.walk_m = {(w.from_zone, w.to_zone): w.distance_m for w in s.terminal.walks}
        for g in self.banks + self.desks + [self.customs]:
            rec.capacity.append((0.0, g.id, g.open))

    # --- bookkeeping shared by the processes -------------------------------------------
    def enter_zone(self, tr: Traveler, zone: str) -> None:
        self.occupants[zone] += 1
        self.rec.occupancy.append((self.env.now, zone, self.occupants[zone]))
        tr.place = zone

    def leave_zone(self, tr: Traveler, zone: str) -> None:
        self.occupants[zone] -= 1
        self.rec.occupancy.append((self.env.now, zone, self.occupants[zone]))
        tr.place = "walking"


def walk(env, term: Terminal, tr: Traveler, src: str, dst: str):
    t0 = env.now
    tr.place = "walking"
    yield env.timeout(term.walk_m[(src, dst)] / tr.speed)
    term.rec.walks.append((tr.id, src, dst, t0, env.now))


def use_processor(env, term: Terminal, tr: Traveler, grp: ProcessorGroup, service_time: float,
                  outcome: str = "served"):
    """Queue at ``grp``, hold one processor for ``service_time`` seconds, record the visit."""
    rec, q_t = term.rec, env.now
    grp.waiting += 1
    rec.queue_lengths.append((q_t, grp.id, grp.waiting))
    with grp.res.request(priority=TRAVELER) as req:
        yield req
        grp.waiting -= 1
        start = env.now
        rec.queue_lengths.append((start, grp.id, grp.waiting))
        server = grp.free.pop()
        yield env.timeout(service_time)
        grp.free.append(server)
    rec.visits.append((tr.id, tr.cls, grp.id, grp.kind, q_t, start, env.now, server, outcome))
    return server


def egate_transaction(env, term: Terminal, tr: Traveler, grp: ProcessorGroup):
    """One e-gate attempt. Returns the outcome; the verifier's time adds to the gate's own."""
    rec, q_t = term.rec, env.now
    grp.waiting += 1
    rec.queue_lengths.append((q_t, grp.id, grp.waiting))
    with grp.res.request(priority=TRAVELER) as req:
        yield req
        grp.waiting -= 1
        start = env.now
        rec.queue_lengths.append((start, grp.id, grp.waiting))
        gate = grp.free.pop()
        mechanical = term.gate_time[grp.id]()
        decision = term.verifier.verify(tr, start + mechanical / 2)
        yield env.timeout(mechanical + decision.duration_s)
        grp.free.append(gate)
    outcome = decision.outcome.value
    rec.visits.append((tr.id, tr.cls, grp.id, "egate", q_t, start, env.now, gate, outcome))
    rec.egate_transactions.append((tr.id, grp.id, gate, start, env.now - start,
                                   decision.duration_s, outcome, decision.score))
    return decision.outcome


def manual_desk(env, term: Terminal, tr: Traveler):
    grp = min(term.desks_for[tr.cls], key=ProcessorGroup.load)
    t = term.desk_time[grp.id]()
    if tr.cls == TravelerClass.first_time_visitor.value:
        t *= term.first_time_factor[grp.id]
    yield from use_processor(env, term, tr, grp, t)


def immigration(env, term: Terminal, tr: Traveler):
    banks = [b for b in term.banks_for[tr.cls] if b.open > 0] if tr.egate_eligible else []
    if not banks:
        tr.route = "desk"
        yield from manual_desk(env, term, tr)
        return
    tr.route = "egate"
    outcome = yield from egate_transaction(env, term, tr, min(banks, key=ProcessorGroup.load))
    if outcome is not GateOutcome.passed:
        tr.route = "egate_referred"
        yield env.timeout(term.scenario.immigration.referral_walk_m / tr.speed)
        yield from manual_desk(env, term, tr)


def traveler_journey(env, term: Terminal, tr: Traveler, gate_zone: str):
    tr.arrive_t = env.now
    yield from walk(env, term, tr, gate_zone, term.hall)
    term.enter_zone(tr, term.hall)
    yield from immigration(env, term, tr)
    term.leave_zone(tr, term.hall)
    yield from walk(env, term, tr, term.hall, term.reclaim)
    term.enter_zone(tr, term.reclaim)
    if tr.checked_bag:
        q_t = env.now
        if tr.bag_t > q_t:
            yield env.timeout(tr.bag_t - q_t)
        term.rec.visits.append((tr.id, tr.cls, "reclaim", "reclaim", q_t, env.now, env.now,
                                -1, "bag_collected"))
    term.leave_zone(tr, term.reclaim)
    yield from walk(env, term, tr, term.reclaim, term.customs_zone)
    term.enter_zone(tr, term.customs_zone)
    if term.unit() < term.scenario.customs.inspection_rate and term.customs.count > 0:
        yield from use_processor(env, term, tr, term.customs, term.inspect_time(), "inspected")
    term.leave_zone(tr, term.customs_zone)
    yield from walk(env, term, tr, term.customs_zone, term.exit)
    tr.exit_t = env.now
    tr.place = "exited"


def flight_arrival(env, term: Terminal, flight, parties: list[list[Traveler]]):
    s = term.scenario
    yield env.timeout(flight.time_s + flight.delay_s)
    on_blocks = env.now
    first_bag = on_blocks + float(s.baggage.first_bag_s.sample(term.rng))
    window = s.baggage.delivery_window_s
    yield env.timeout(float(s.flights.deplaning.door_open_s.sample(term.rng)))
    gap = 60.0 / s.flights.deplaning.rate_per_min
    for party in parties:
        for tr in party:
            tr.bag_t = first_bag + term.unit() * window
            tr.place = flight.gate
            env.process(traveler_journey(env, term, tr, flight.gate))
        yield env.timeout(gap * len(party))


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
    next_id, next_party = 0, 0
    for flight in sorted(scenario.flights.schedule, key=lambda f: (f.time_s + f.delay_s, f.id)):
        parties = flight_travelers(flight, scenario, rng, next_id, next_party, identity_seed)
        next_id += flight.passengers
        next_party += len(parties)
        term.travelers.extend(tr for p in parties for tr in p)
        env.process(flight_arrival(env, term, flight, parties))
    return term


def simulate(scenario: Scenario, rng: np.random.Generator,
             verifier: GateVerifier | None = None, identity_seed: int = 0) -> Records:
    """Run one replication to the scenario's horizon and return its records."""
    env = simpy.Environment()
    term = build(env, scenario, rng, verifier, identity_seed)
    env.run(until=scenario.horizon_s)
    term.rec.travelers = [tr.row() for tr in term.travelers]
    return term.rec
