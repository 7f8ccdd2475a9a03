"""Sweep folders: what ``airtwin sweep`` writes and the dashboard's planner reads. This module
owns the layout and builds the comparison table; :mod:`sim.sweep` runs the grid and hands each
finished point and the final table to it.

Sweep folder::

    DIR/
      points/p-<key>/       one finished point, written atomically: a run folder
                            (:mod:`outputs.run`) with only kpi_headline and kpi_summary, plus
                            ``point`` in summary.json: {"id": "p-<key>", "key": <sha256>,
                            "assignments": {<swept path>: <value>, ...}}
      comparison.parquet    one row per point: point id, one column per swept path (a list or
      comparison.csv        mapping value as JSON text), then <metric>, <metric>_ci_low,
                            <metric>_ci_high for each headline metric (NaN where undefined)

Each file is replaced atomically. A sweep that has not finished has no comparison table yet;
:func:`read_sweep` then rebuilds it from the finished points with :func:`comparison_table`,
the same function the sweep writes it with.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from outputs.atomic import write_parquet, write_text
from outputs.header import FolderError
from outputs.run import read_run_summary, write_run

__all__ = ["COMPARISON", "POINTS", "Sweep", "SweepFolderError", "comparison_table",
           "finished_point", "finished_points", "point_path", "read_sweep", "write_comparison",
           "write_point"]

POINTS = "points"
COMPARISON = "comparison.parquet"
COMPARISON_CSV = "comparison.csv"


class SweepFolderError(FolderError):
    """A sweep folder that cannot be read; ``str()`` names the path and what is wrong."""


@dataclass(frozen=True)
class Sweep:
    path: Path
    comparison: pd.DataFrame = field(repr=False)
    points: list[dict[str, Any]] = field(repr=False)  # finished points' summaries, with "_path"
    note: str | None = None  # set when the table was rebuilt from an unfinished sweep's points


def point_path(sweep: str | Path, point_id: str) -> Path:
    return Path(sweep) / POINTS / point_id


def _number(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def comparison_table(points: Sequence[dict[str, Any]],
                     metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per point summary (``point`` and ``headline`` as a point's summary.json holds
    them): the point id, its assignments, then each metric's mean and CI bounds. ``metrics``:
    these, in this order (default: every headline metric of the points, first seen first)."""
    if metrics is None:
        metrics = list(dict.fromkeys(m for s in points for m in (s.get("headline") or {})))
    rows = []
    for s in points:
        p = s.get("point") or {}
        row: dict[str, Any] = {"point": p.get("id", "?")}
        row.update({path: json.dumps(v) if isinstance(v, (dict, list)) else v
                    for path, v in (p.get("assignments") or {}).items()})
        head = s.get("headline") or {}
        for metric in metrics:
            h = head.get(metric) or {}
            row[metric] = _number(h.get("mean"))
            row[f"{metric}_ci_low"] = _number(h.get("ci_low"))
            row[f"{metric}_ci_high"] = _number(h.get("ci_high"))
        rows.append(row)
    return pd.DataFrame(rows)


def write_point(sweep: str | Path, summary: dict[str, Any], tables: dict[str, pd.DataFrame],
                scenario_json: str) -> Path:
    """A finished point as its own run folder; ``summary["point"]["id"]`` names it."""
    return write_run(point_path(sweep, summary["point"]["id"]), tables, summary, scenario_json)


def finished_point(sweep: str | Path, point_id: str, key: str) -> bool:
    """Whether the point's folder is complete and was made with the same settings (``key``)."""
    try:
        summary = read_run_summary(point_path(sweep, point_id))
    except FolderError:
        return False
    return (summary.get("point") or {}).get("key") == key


def write_comparison(sweep: str | Path, table: pd.DataFrame) -> None:
    sweep = Path(sweep)
    write_parquet(sweep / COMPARISON, table)
    write_text(sweep / COMPARISON_CSV, table.to_csv(index=False))


def finished_points(path: str | Path) -> list[dict[str, Any]]:
    """The summaries of the sweep's finished points (with ``_path``), by folder name;
    unfinished ones (no readable summary yet) are skipped: the sweep reruns them."""
    folder = Path(path) / POINTS
    points = []
    if folder.is_dir():
        for p in sorted(q for q in folder.iterdir() if q.is_dir() and not q.name.startswith(".")):
            try:
                points.append(read_run_summary(p) | {"_path": str(p)})
            except FolderError:
                continue
    return points


def read_sweep(path: str | Path) -> Sweep:
    """The comparison table (rebuilt from the finished points while the sweep has not written
    it) and the finished points' summaries."""
    folder = Path(path)
    points = finished_points(folder)
    comparison = folder / COMPARISON
    if comparison.is_file():
        try:
            return Sweep(folder, pd.read_parquet(comparison), points)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise SweepFolderError(f"{comparison}: not a readable Parquet file ({exc})") from None
    if not points:
        raise SweepFolderError(f"{folder}: a sweep folder with no {COMPARISON} and no finished "
                               f"point yet")
    return Sweep(folder, comparison_table(points), points,
                 f"{COMPARISON} not written yet (sweep unfinished): {len(points)} finished "
                 f"points shown")
