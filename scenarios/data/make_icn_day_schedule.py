"""Writes icn_day_schedule.csv: a synthetic 24-hour arrivals schedule of about 100,000 travelers.

Made once with ``python scenarios/data/make_icn_day_schedule.py`` (fixed seed, so rerunning gives
the same file). The hourly shape is a plausible Incheon-like arrivals day (a long-haul dawn wave,
a regional late-morning and evening wave, a quiet night), not a real timetable; flight numbers
are made up (prefix ``XX``).
"""

from pathlib import Path

import numpy as np

OUT = Path(__file__).with_name("icn_day_schedule.csv")
# Share of the day's arrivals by hour of day (0-23), from 00:00.
HOURLY = np.array([1.0, 0.5, 0.3, 0.3, 1.5, 4.5, 6.5, 6.5, 5.5, 4.5, 4.0, 4.5,
                   5.0, 5.0, 5.0, 5.0, 5.5, 6.0, 6.0, 5.5, 5.0, 4.5, 3.5, 2.0])
SEATS = np.array([160, 190, 240, 300, 380])  # narrow-body to large wide-body
LOAD = (0.75, 0.95)
ORIGINS = ["NRT", "KIX", "PVG", "PEK", "HKG", "TPE", "BKK", "SGN", "HAN", "MNL", "SIN", "KUL",
           "CGK", "DPS", "SYD", "LAX", "SFO", "JFK", "ORD", "YVR", "FRA", "CDG", "LHR", "DXB"]
GATES = ["pier_east", "pier_west", "concourse"]
TARGET = 100_000


def main() -> None:
    rng = np.random.default_rng(20261126)
    rows, total, i = [], 0, 0
    weights = HOURLY / HOURLY.sum()
    while total < TARGET:
        hour = rng.choice(24, p=weights)
        t = int(hour * 3600 + rng.integers(0, 3600))
        pax = int(rng.choice(SEATS) * rng.uniform(*LOAD))
        pax = min(pax, TARGET - total) if TARGET - total < 100 else pax
        rows.append((t, f"XX{1000 + i}", pax, str(rng.choice(ORIGINS)), str(rng.choice(GATES))))
        total += pax
        i += 1
    rows.sort()
    with OUT.open("w") as fh:
        fh.write("id,time_s,passengers,origin,gate\n")
        for t, fid, pax, origin, gate in rows:
            fh.write(f"{fid},{t},{pax},{origin},{gate}\n")
    print(f"{OUT}: {len(rows)} flights, {total} travelers")


if __name__ == "__main__":
    main()
