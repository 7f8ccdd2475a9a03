"""Flat records the terminal model emits, one list of tuples per table (like Ciw's DataRecord).

The model appends plain tuples on its hot path; :meth:`Records.frames` turns them into pandas
DataFrames with fixed columns. Writing files happens elsewhere (:mod:`sim.results`).

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
- ``queue_lengths``: the queue length of a processor group after every change (a level).
- ``occupancy``: the number of travelers in a zone after every change (a level).
- ``capacity``: processors open in a group after every roster or outage change (a level).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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

    def frames(self) -> dict[str, pd.DataFrame]:
        return {name: pd.DataFrame.from_records(getattr(self, name), columns=cols)
                for name, cols in COLUMNS.items()}
