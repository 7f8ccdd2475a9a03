"""Travelers of a flight: class, e-gate enrolment and consent, bags, customs inspection, speed,
demographics.

Attributes are drawn for the whole schedule in vectorised blocks from the replication's generator.
A traveler's synthetic identity (for rendered faces) is keyed by ``identity_key`` =
(replication seed, traveler id), so renderers can rebuild the same face from the run's records.
"""

from __future__ import annotations

import math

import numpy as np

from sim.scenario import CLASSES, Flight, Scenario


class Traveler:
    __slots__ = ("id", "flight_id", "party_id", "cls", "enrolled", "consent", "checked_bag",
                 "speed", "skin_tone", "age_band", "sex", "arrive_t", "exit_t", "route",
                 "place", "bag_t", "identity_key", "leg", "visit", "inspected")

    def __init__(self, id, flight_id, party_id, cls, enrolled, consent, checked_bag, speed,
                 skin_tone, age_band, sex, identity_key, inspected=False):
        self.id, self.flight_id, self.party_id, self.cls = id, flight_id, party_id, cls
        self.enrolled, self.consent, self.checked_bag = enrolled, consent, checked_bag
        self.speed, self.skin_tone, self.age_band, self.sex = speed, skin_tone, age_band, sex
        self.identity_key = identity_key
        self.inspected = inspected  # picked for the customs red channel
        self.arrive_t = self.exit_t = self.bag_t = math.nan
        self.route = ""
        self.place = "aircraft"
        self.leg = None  # (from zone, to zone, start) of the walk under way
        self.visit = None  # the processor visit under way (see sim.terminal.serve)

    @property
    def egate_eligible(self) -> bool:
        return self.enrolled and self.consent

    def row(self) -> tuple:
        final = "exited" if not math.isnan(self.exit_t) else self.place
        return (self.id, self.flight_id, self.party_id, self.cls, self.enrolled, self.consent,
                self.checked_bag, self.speed, self.skin_tone, self.age_band, self.sex,
                self.arrive_t, self.exit_t, self.route, final)


def _pick(rng, shares: dict[str, float], n: int) -> list[str]:
    """``n`` keys drawn with probabilities proportional to ``shares`` (inverse CDF: a fraction
    of ``rng.choice``'s overhead, which adds up over thousands of small flights)."""
    keys = list(shares)
    cum = np.cumsum(list(shares.values()))
    idx = np.searchsorted(cum, rng.random(n) * cum[-1], side="right")
    return [keys[i] for i in np.minimum(idx, len(keys) - 1).tolist()]


def schedule_travelers(flights: list[Flight], s: Scenario, rng: np.random.Generator,
                       identity_seed: int = 0) -> list[list[list[Traveler]]]:
    """Every flight's travelers grouped in parties, in deplaning order; traveler and party ids
    run on across ``flights`` in the order given. Attributes are drawn for the whole schedule at
    once: per-flight draws cost more in numpy overhead than in sampling on a day of small
    flights."""
    t = s.travelers
    counts = [f.passengers for f in flights]
    n = sum(counts)
    if n == 0:
        return [[] for _ in flights]
    # Parties first, never spanning two flights: a party shares its lead member's class
    # (families and tour groups go to the same queue), so enrolment is drawn for the class each
    # traveler ends up with.
    sizes = np.maximum(1, np.rint(np.asarray(t.party_size.sample(rng, n), float))).astype(int)
    sizes = sizes.tolist()
    starts, party_flight, k, first = [], [], 0, 0
    for fi, count in enumerate(counts):
        i = 0
        while i < count:
            starts.append(first + i)
            party_flight.append(fi)
            i += sizes[k]
            k += 1
        first += count
    starts_a = np.asarray(starts)
    lengths = np.diff(np.append(starts_a, n))
    mixes = np.asarray([(f.mix or t.mix).shares() for f in flights])
    cum = np.cumsum(mixes[np.asarray(party_flight)], axis=1)
    u = rng.random(len(starts)) * cum[:, -1]
    lead_cls = np.minimum((u[:, None] >= cum).sum(axis=1), len(CLASSES) - 1)
    cls_idx = np.repeat(lead_cls, lengths)
    enrol_rate = np.asarray([t.egate_enrolment.get(c, 0.0) for c in CLASSES])
    enrolled = (rng.random(n) < enrol_rate[cls_idx]).tolist()
    consent = (rng.random(n) < t.consent_rate).tolist()
    bags = (rng.random(n) < t.checked_bag_rate).tolist()
    inspected = (rng.random(n) < s.customs.inspection_rate).tolist()
    speed = np.clip(np.asarray(t.walking_speed.sample(rng, n), float), 0.3, 3.0)
    # A party walks at its slowest member's pace.
    pace = np.repeat(np.minimum.reduceat(speed, starts_a), lengths).tolist()
    demo = t.demographics
    skin = _pick(rng, demo.skin_tone, n)
    age = _pick(rng, demo.age_band, n)
    sex = _pick(rng, demo.sex_presentation, n)
    cls_names = [CLASSES[i] for i in cls_idx.tolist()]

    out: list[list[list[Traveler]]] = [[] for _ in flights]
    for p, (i, m, fi) in enumerate(zip(starts, lengths.tolist(), party_flight)):
        fid = flights[fi].id
        out[fi].append([
            Traveler(k, fid, p, cls_names[k], enrolled[k], consent[k], bags[k], pace[k],
                     skin[k], age[k], sex[k], (identity_seed, k), inspected[k])
            for k in range(i, i + m)])
    return out
