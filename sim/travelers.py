"""Travelers of a flight: class, e-gate enrolment and consent, bags, speed, demographics.

Attributes are drawn per flight in vectorised blocks from the replication's generator.
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
                 "place", "bag_t", "identity_key", "leg", "visit")

    def __init__(self, id, flight_id, party_id, cls, enrolled, consent, checked_bag, speed,
                 skin_tone, age_band, sex, identity_key):
        self.id, self.flight_id, self.party_id, self.cls = id, flight_id, party_id, cls
        self.enrolled, self.consent, self.checked_bag = enrolled, consent, checked_bag
        self.speed, self.skin_tone, self.age_band, self.sex = speed, skin_tone, age_band, sex
        self.identity_key = identity_key
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
    keys = list(shares)
    p = np.asarray([shares[k] for k in keys], float)
    return [keys[i] for i in rng.choice(len(keys), size=n, p=p / p.sum())]


def flight_travelers(flight: Flight, s: Scenario, rng: np.random.Generator,
                     first_id: int, first_party: int,
                     identity_seed: int = 0) -> list[list[Traveler]]:
    """The flight's travelers grouped in parties, in deplaning order."""
    n = flight.passengers
    if n == 0:
        return []
    t = s.travelers
    mix = flight.mix or t.mix
    # Parties first: a party shares its lead member's class (families and tour groups go to the
    # same queue), so enrolment is drawn for the class each traveler ends up with.
    sizes = np.maximum(1, np.rint(np.asarray(t.party_size.sample(rng, n), float))).astype(int)
    starts = np.cumsum(np.concatenate(([0], sizes)))
    starts = starts[starts < n]
    bounds = np.append(starts, n)
    lead_cls = rng.choice(len(CLASSES), size=len(starts), p=np.asarray(mix.shares()))
    cls_idx = np.repeat(lead_cls, np.diff(bounds))
    enrol_rate = np.asarray([t.egate_enrolment.get(c, 0.0) for c in CLASSES])
    enrolled = (rng.random(n) < enrol_rate[cls_idx]).tolist()
    consent = (rng.random(n) < t.consent_rate).tolist()
    bags = (rng.random(n) < t.checked_bag_rate).tolist()
    speed = np.clip(np.asarray(t.walking_speed.sample(rng, n), float), 0.3, 3.0)
    # A party walks at its slowest member's pace.
    pace = np.repeat(np.minimum.reduceat(speed, starts), np.diff(bounds)).tolist()
    demo = t.demographics
    skin = _pick(rng, demo.skin_tone, n)
    age = _pick(rng, demo.age_band, n)
    sex = _pick(rng, demo.sex_presentation, n)
    cls_names = [CLASSES[i] for i in cls_idx.tolist()]

    parties: list[list[Traveler]] = []
    for p, (i, j) in enumerate(zip(bounds[:-1].tolist(), bounds[1:].tolist())):
        parties.append([
            Traveler(first_id + k, flight.id, first_party + p, cls_names[k], enrolled[k],
                     consent[k], bags[k], pace[k], skin[k], age[k], sex[k],
                     (identity_seed, first_id + k))
            for k in range(i, j)])
    return parties
