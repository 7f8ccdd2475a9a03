"""Flat records the terminal model emits, one list of tuples per table (like Ciw's DataRecord).

The model appends plain tuples on its hot path; :meth:`Records.frames` turns them into pandas
DataFrames with fixed columns. The two levels that follow from other records, zone occupancy
(from walks) and queue lengths (from visits), are derived there, vectorised, rather than counted
event by event in the model. Writing files happens elsewhere (:mod:`sim.results`).

Tables (times in seconds since the start of the run):

- ``travelers``: one row per traveler; ``exit_t`` is NaN and ``final_place`` says where the
  traveler was at the horizon if they had not left.
- ``visits``: one row per traveler per processor visit (e-gate, desk, customs, reclaim):
  ``queue_t`` joined the queue, ``start_t`` service began (NaN if still waiting at the horizon),
  ``end_t`` service ended (NaN if unfinished), ``server`` index within the group (-1: none yet,
  or reclaim), ``outcome`` (``waiting`` for a traveler still queued at the horizon). A referred
  traveler has two immigration visits: the e-gate (outcome ``reject``/``fta``) and a desk.
- ``egate_transactions``: one row per e-gate attempt with the recognizer's decision, written
  when the gate opens for the traveler (``t``); ``duration_s`` = gate time + ``recognizer_s``.
- ``walks``: one row per walk between zones (``t1`` NaN if still walking at the horizon).
- ``queue_lengths``: the queue length of a processor group after every change (a level): +1 at
  each ``queue_t`` of a visit that had to wait, -1 at its ``start_t``.
- ``occupancy``: the number of travelers in a zone after every change (a level): +1 at the end
  of each walk into the zone, -1 at the start of each walk out of it. Counted zones are those
  travelers stop in on the route (hall, reclaim, customs; not gates or the exit).
- ``capacity``: processors open in a group after every roster or outage change (a level).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

COLUMNS: dict[str, list[str]] = {
    "travelers": ["traveler_id", "flight_id", "party_id", "cls", "egate_enrolled", "consent",
                  "checked_bag", "walk_speed", "skin_tone", "age_band", "sex_presentation",
                  "arrive_t", "exit_t", "route", "final_place"],
    "visits": ["traveler_id", "cls", "processor", "kind", "queue_t", "start_t", "end_t",
               "server", "outcome"],
    "egate_transactions": ["traveler_id", "bank", "gate", "t", "duration_s", "recognizer_s",
                           "outcome", "score"],
    "walks": ["traveler_id", "from_zone", "to_zone", "t0", "t1"],
    "queue_lengths": ["t", "processor", "length"],
    "occupancy": ["t", "zone", "count"],
    "capacity": ["t", "processor", "open"],
}


@dataclass
class Records:
    travelers: list[tuple] = field(default_factory=list)
    visits: list[tuple] = field(default_factory=list)
    egate_transactions: list[tuple] = field(default_factory=list)
    walks: list[tuple] = field(default_factory=list)
    queue_lengths: list[tuple] = field(default_factory=list)
    occupancy: list[tuple] = field(default_factory=list)
    capacity: list[tuple] = field(default_factory=list)
    events: int = 0  # SimPy events processed (for benchmarks), not a table
    stop_zones: tuple[str, ...] = ()  # zones whose occupancy is counted (from the model)

    def frames(self) -> dict[str, pd.DataFrame]:
        out = {name: pd.DataFrame.from_records(getattr(self, name), columns=cols)
               for name, cols in COLUMNS.items()}
        if not self.occupancy:
            out["occupancy"] = occupancy_from_walks(out["walks"], self.stop_zones)
        if not self.queue_lengths:
            out["queue_lengths"] = queue_lengths_from_visits(out["visits"])
        return out


def _level(t: np.ndarray, key: np.ndarray, step: np.ndarray, names: tuple[str, str, str]):
    """Running sum of +1/-1 steps per key, in time order (ties: in the order given)."""
    order = np.lexsort((t,))  # stable sort on time
    t, key, step = t[order], key[order], step[order]
    df = pd.DataFrame({names[0]: t, names[1]: key, "step": step})
    df[names[2]] = df.groupby(names[1], sort=False)["step"].cumsum().astype("int64")
    return df[list(names)].reset_index(drop=True)


def occupancy_from_walks(walks: pd.DataFrame, zones=()) -> pd.DataFrame:
    """Occupancy of ``zones`` (default: every zone walked both into and out of)."""
    zones = set(zones) or set(walks["from_zone"]) & set(walks["to_zone"])
    into = walks[walks["to_zone"].isin(zones) & walks["t1"].notna()]
    out_of = walks[walks["from_zone"].isin(zones)]
    t = np.concatenate([into["t1"].to_numpy(float), out_of["t0"].to_numpy(float)])
    key = np.concatenate([into["to_zone"].to_numpy(object), out_of["from_zone"].to_numpy(object)])
    step = np.concatenate([np.ones(len(into), np.int64), -np.ones(len(out_of), np.int64)])
    if not len(t):
        return pd.DataFrame(columns=COLUMNS["occupancy"])
    return _level(t, key, step, ("t", "zone", "count"))


def queue_lengths_from_visits(visits: pd.DataFrame) -> pd.DataFrame:
    v = visits[(visits["kind"] != "reclaim")
               & ~(visits["start_t"] <= visits["queue_t"])]  # waited, or still waiting
    started = v[v["start_t"].notna()]
    t = np.concatenate([v["queue_t"].to_numpy(float), started["start_t"].to_numpy(float)])
    key = np.concatenate([v["processor"].to_numpy(object),
                          started["processor"].to_numpy(object)])
    step = np.concatenate([np.ones(len(v), np.int64), -np.ones(len(started), np.int64)])
    if not len(t):
        return pd.DataFrame(columns=COLUMNS["queue_lengths"])
    return _level(t, key, step, ("t", "processor", "length"))
