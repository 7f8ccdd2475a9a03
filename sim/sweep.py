"""Parameter sweeps: a grid of scenario variants × replications, on Dask, resumable.

``--set immigration.egate_banks.0.count=6,10,14`` names a field by its dotted path in the
scenario (list items by index, keys as in the YAML); each value is read as YAML (``12``,
``0.5``, ``true``, ``lognormal``). Every grid point is re-validated, so a bad value fails before
anything runs, naming the path and the value.

The sweep folder (``points/``, ``comparison.parquet`` and ``.csv``) is documented and written by
:mod:`outputs.sweep`; this module runs the grid and hands it each finished point and the final
comparison table.

A point's key (its folder is ``points/p-<key>``) hashes its assignments, the replication count,
the seed and the base scenario, so a rerun skips exactly the points that finished with the same
settings. Every point runs on the same replication seeds (common random numbers): differences
between points come from the swept values, not from different draws.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import yaml

from outputs.sweep import (comparison_table, finished_point, finished_points,
                           write_comparison, write_point)
from sim.kpi import HEADLINE, summarise
from sim.loader import ScenarioError, parse_scenario, scenario_json
from sim.replications import replication_seeds, run_one
from sim.scenario import Scenario

__all__ = ["SweepError", "Point", "parse_set", "grid", "run_sweep"]


class SweepError(ValueError):
    """A sweep that cannot run: bad ``--set``, a value the scenario rejects, a bad folder."""


def parse_set(text: str) -> tuple[str, list[Any]]:
    """``path=v1,v2,...`` → (path, [values]), each value parsed as YAML."""
    path, sep, values = text.partition("=")
    path = path.strip()
    if not sep or not path or not values.strip():
        raise SweepError(f"--set {text!r}: expected PATH=V1,V2,... "
                         f"(e.g. immigration.egate_banks.0.count=6,10)")
    out = []
    for raw in values.split(","):
        try:
            out.append(yaml.safe_load(raw.strip()))
        except yaml.YAMLError as exc:
            raise SweepError(f"--set {path}: value {raw!r} is not valid YAML ({exc})") from None
    return path, out


def set_path(data: Any, path: str, value: Any) -> Any:
    """A copy of the JSON-like ``data`` with ``path`` (dotted, list indices) set to ``value``."""
    keys = path.split(".")

    def go(node, i):
        where = ".".join(keys[:i]) or "(top level)"
        key = keys[i]
        if isinstance(node, list):
            if not key.lstrip("-").isdigit() or not -len(node) <= int(key) < len(node):
                raise SweepError(f"--set {path}: {where} is a list of {len(node)}, "
                                 f"no item {key!r}")
            node = list(node)
            idx = int(key)
        elif isinstance(node, dict):
            if key not in node:
                known = ", ".join(sorted(map(str, node))) or "none"
                raise SweepError(f"--set {path}: {where} has no field {key!r} (has: {known})")
            node = dict(node)
            idx = key
        else:
            raise SweepError(f"--set {path}: {where} is a value ({node!r}), not a mapping or list")
        node[idx] = value if i == len(keys) - 1 else go(node[idx], i + 1)
        return node

    return go(data, 0)


@dataclass(frozen=True)
class Point:
    index: int
    assignments: tuple[tuple[str, Any], ...]
    scenario: Scenario
    key: str

    @property
    def id(self) -> str:
        # The key alone, not the grid position: adding values to a sweep keeps old points' ids.
        return f"p-{self.key[:12]}"


def grid(base: Scenario, sets: list[tuple[str, list[Any]]], replications: int,
         seed: int, source: str = "<sweep>") -> list[Point]:
    """Every combination of the values, each applied to ``base`` and re-validated."""
    base_text = scenario_json(base)
    base_data = json.loads(base_text)
    base_hash = hashlib.sha256(base_text.encode()).hexdigest()
    paths = [p for p, _ in sets]
    if len(set(paths)) != len(paths):
        raise SweepError(f"--set: a path is given twice ({', '.join(paths)})")
    points = []
    for i, combo in enumerate(itertools.product(*(v for _, v in sets))):
        data = base_data
        for path, value in zip(paths, combo):
            data = set_path(data, path, value)
        assignments = tuple(zip(paths, combo))
        try:
            scenario = parse_scenario(data, source)
        except ScenarioError as exc:
            what = ", ".join(f"{p}={v!r}" for p, v in assignments)
            raise SweepError(f"--set {what}: the scenario rejects this point:\n{exc}") from None
        key = hashlib.sha256(json.dumps([assignments, replications, seed, base_hash],
                                        default=str).encode()).hexdigest()
        points.append(Point(i, assignments, scenario, key))
    return points


def check(base: Scenario, sets: list[tuple[str, list[Any]]], replications: int, seed: int,
          source: str = "<sweep>") -> list[Point]:
    """The validated grid; :class:`SweepError` for anything that would stop the sweep."""
    if base.immigration.recognizer.mode != "profile":
        raise SweepError("sweeps run profile-mode recognizers only (the live recognizer "
                         "holds models that do not travel to Dask workers)")
    if not sets:
        raise SweepError("--set: give at least one PATH=V1,V2,...")
    return grid(base, sets, replications, seed, source)


def _replication(scenario: Scenario, index: int, seed: int) -> tuple[int, dict[str, float]]:
    """One Dask task: one replication of one point, returning only its headline metrics."""
    rep = run_one(scenario, index, seed)
    return index, rep.headline


def _write_point(out: Path, point: Point, heads: dict[int, dict[str, float]],
                 seeds: list[int]) -> None:
    per_rep = pd.DataFrame([{"replication": i, **heads[i]} for i in sorted(heads)])
    summary = summarise(per_rep)
    meta = {"point": {"id": point.id, "key": point.key,
                      "assignments": {p: v for p, v in point.assignments}},
            "scenario": {"name": point.scenario.name}, "seed_replications": seeds,
            "replications": len(seeds),
            "headline": {r.metric: {"mean": r.mean, "ci_low": r.ci_low, "ci_high": r.ci_high,
                                    "n": int(r.n), "unit": r.unit}
                         for r in summary.itertuples()}}
    write_point(out, meta, {"kpi_headline": per_rep, "kpi_summary": summary},
                scenario_json(point.scenario))


def run_sweep(base: Scenario, sets: list[tuple[str, list[Any]]], replications: int, out: Path,
              client=None, seed: int | None = None,
              progress: Callable[[str, int, int], None] | None = None,
              source: str = "<sweep>") -> pd.DataFrame:
    """Run the grid (finished points are skipped), write DIR/comparison.{parquet,csv}.

    ``client``: a ``distributed.Client``; ``None`` runs every task here, one after another.
    ``progress(event, done, total)`` is called as tasks finish. Call :func:`check` first to
    fail on a bad grid before starting a cluster.
    """
    seed = base.seed if seed is None else seed
    points = check(base, sets, replications, seed, source)
    out = Path(out)
    (out / "points").mkdir(parents=True, exist_ok=True)
    seeds = replication_seeds(seed, replications)
    todo = [p for p in points if not finished_point(out, p.id, p.key)]
    total = len(todo) * replications
    if progress:
        progress("start", len(points) - len(todo), len(points))
    heads: dict[int, dict[int, dict[str, float]]] = {p.index: {} for p in todo}
    by_index = {p.index: p for p in todo}
    done = 0

    def finish(point_index: int, rep: int, head: dict[str, float]) -> None:
        nonlocal done
        heads[point_index][rep] = head
        done += 1
        if len(heads[point_index]) == replications:
            p = by_index[point_index]
            _write_point(out, p, heads.pop(point_index), seeds)
        if progress:
            progress("task", done, total)

    if client is None:
        for p in todo:
            for i, s in enumerate(seeds):
                finish(p.index, *_replication(p.scenario, i, s))
    else:
        from distributed import as_completed

        futures = {}
        for p in todo:
            scen = client.scatter(p.scenario, broadcast=False)
            for i, s in enumerate(seeds):
                futures[client.submit(_replication, scen, i, s, pure=False)] = p.index
        for fut in as_completed(futures):
            rep, head = fut.result()
            finish(futures[fut], rep, head)
    finished = {s["point"]["id"]: s for s in finished_points(out)}
    table = comparison_table([finished[p.id] for p in points], HEADLINE)
    write_comparison(out, table)
    return table
