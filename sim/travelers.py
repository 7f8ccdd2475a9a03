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
                 "place", "bag_t", "identity_key")

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)
        self.exit_t = math.nan
        self.route = ""
        self.place = "aircraft"

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
    cls_idx = rng.choice(len(CLASSES), size=n, p=np.asarray(mix.shares()))
    enrol_rate = np.asarray([t.egate_enrolment.get(c, 0.0) for c in CLASSES])
    enrolled = rng.random(n) < enrol_rate[cls_idx]
    consent = rng.random(n) < t.consent_rate
    bags = rng.random(n) < t.checked_bag_rate
    speed = np.clip(np.asarray(t.walking_speed.sample(rng, n), float), 0.3, 3.0)
    demo = t.demographics
    skin = _pick(rng, demo.skin_tone, n)
    age = _pick(rng, demo.age_band, n)
    sex = _pick(rng, demo.sex_presentation, n)
    sizes = np.maximum(1, np.rint(np.asarray(t.party_size.sample(rng, n), float))).astype(int)

    parties: list[list[Traveler]] = []
    i, party = 0, first_party
    while i < n:
        size = min(int(sizes[len(parties)]), n - i)
        members = []
        # A party walks at its slowest member's pace and shares the lead member's class
        # (families and tour groups go to the same queue).
        lead_cls = CLASSES[cls_idx[i]]
        pace = float(speed[i:i + size].min())
        for j in range(i, i + size):
            members.append(Traveler(
                id=first_id + j, flight_id=flight.id, party_id=party, cls=lead_cls,
                enrolled=bool(enrolled[j]), consent=bool(consent[j]),
                checked_bag=bool(bags[j]), speed=pace, skin_tone=skin[j], age_band=age[j],
                sex=sex[j], arrive_t=math.nan, bag_t=math.nan,
                identity_key=(identity_seed, first_id + j)))
        parties.append(members)
        i += size
        party += 1
    return parties
