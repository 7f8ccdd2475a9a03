"""Independent replications of a scenario, and their KPIs with confidence intervals.

Replication ``i`` runs on its own generator, ``numpy.random.default_rng(seeds[i])``, where
``seeds`` come from ``SeedSequence(scenario seed).spawn(n)``: the integer alone reproduces the
replication, and it is also the replication's ``identity_seed`` (synthetic faces are keyed by it).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from sim.kpi import headline, kpi_tables, summarise
from sim.loader import parse_scenario, scenario_json
from sim.scenario import Scenario
from sim.terminal import simulate
from sim.verifier import GateVerifier

__all__ = ["VerifierFactory", "Replication", "RunResult", "replication_seeds", "run_one",
           "run_replications", "with_horizon"]

# The pipeline's live mode plugs in here: (scenario, replication generator, identity seed).
VerifierFactory = Callable[[Scenario, np.random.Generator, int], GateVerifier]


def replication_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent 63-bit seeds (fit an int64 column) derived from the scenario seed."""
    if n < 1:
        raise ValueError(f"replications must be >= 1, got {n}")
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1))
            for c in np.random.SeedSequence(seed).spawn(n)]


def with_horizon(s: Scenario, horizon_s: float | None) -> Scenario:
    """The scenario re-validated with another horizon. Flights landing at or after it and
    incidents ending after it are left out (they would never happen within the run)."""
    if horizon_s is None:
        return s
    if not horizon_s > 0:
        raise ValueError(f"horizon must be > 0 s, got {horizon_s}")
    data = json.loads(scenario_json(s))
    data["horizon_s"] = float(horizon_s)
    data["flights"]["schedule"] = [f for f in data["flights"]["schedule"]
                                   if f["time_s"] + f["delay_s"] < horizon_s]
    data["incidents"] = [i for i in data["incidents"]
                         if i["time_s"] + i["duration_s"] <= horizon_s]
    return parse_scenario(data, f"{s.name} (horizon {horizon_s:g} s)")


@dataclass(frozen=True)
class Replication:
    index: int
    seed: int
    records: dict[str, pd.DataFrame] = field(repr=False)
    kpis: dict[str, pd.DataFrame] = field(repr=False)
    headline: dict[str, float]
    events: int
    wall_s: float


def run_one(s: Scenario, index: int, seed: int,
            verifier_factory: VerifierFactory | None = None) -> Replication:
    """One replication: simulate, add any tables the verifier keeps, compute its KPIs."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    verifier = verifier_factory(s, rng, seed) if verifier_factory is not None else None
    rec = simulate(s, rng, verifier, identity_seed=seed)
    records = rec.frames()
    extra = getattr(verifier, "frames", None)
    if callable(extra):
        for name, df in extra().items():
            if name in records:
                raise ValueError(f"verifier table {name!r} clashes with a record table")
            records[name] = df
    kpis = kpi_tables(records, s)
    head = headline(records, kpis, s)
    return Replication(index, seed, records, kpis, head, rec.events, time.perf_counter() - t0)


@dataclass(frozen=True)
class RunResult:
    scenario: Scenario
    seed: int
    seeds: list[int]
    tables: dict[str, pd.DataFrame] = field(repr=False)  # records and kpi_* tables
    per_replication: pd.DataFrame = field(repr=False)  # replication + headline columns
    summary: pd.DataFrame = field(repr=False)  # metric, unit, mean, ci_low, ci_high, ...
    events: int = 0
    wall_s: float = 0.0


def _concat(parts: list[tuple[int, pd.DataFrame]]) -> pd.DataFrame:
    frames = [df.assign(replication=i)[["replication", *df.columns]] for i, df in parts]
    return pd.concat(frames, ignore_index=True)


def combine(s: Scenario, seed: int, reps: list[Replication], wall_s: float) -> RunResult:
    reps = sorted(reps, key=lambda r: r.index)
    tables: dict[str, pd.DataFrame] = {}
    for name in reps[0].records:
        tables[name] = _concat([(r.index, r.records[name]) for r in reps if name in r.records])
    for name in reps[0].kpis:
        tables[f"kpi_{name}"] = _concat([(r.index, r.kpis[name]) for r in reps])
    per_rep = pd.DataFrame([{"replication": r.index, **r.headline} for r in reps])
    summary = summarise(per_rep)
    tables["kpi_headline"] = per_rep
    tables["kpi_summary"] = summary
    return RunResult(s, seed, [r.seed for r in reps], tables, per_rep, summary,
                     sum(r.events for r in reps), wall_s)


def run_replications(s: Scenario, n: int, seed: int | None = None,
                     verifier_factory: VerifierFactory | None = None,
                     progress: Callable[[Replication], None] | None = None) -> RunResult:
    """Run ``n`` replications one after another; ``progress`` is called after each."""
    seed = s.seed if seed is None else seed
    t0 = time.perf_counter()
    reps = []
    for i, rep_seed in enumerate(replication_seeds(seed, n)):
        rep = run_one(s, i, rep_seed, verifier_factory)
        reps.append(rep)
        if progress is not None:
            progress(rep)
    return combine(s, seed, reps, time.perf_counter() - t0)
