"""Run folders: what ``airtwin run`` and ``airtwin detect-danger`` write, and what the dashboard,
the load tests' replay and danger evaluation read. This module is the format's one owner: it
writes, versions, reads and adds to a run folder; :mod:`sim.results` turns a simulation's result
into one through it.

Run-folder format (``format`` 1, ``kind`` "run"). A run folder is written whole or not at all
(:func:`outputs.atomic.staged_folder`): everything goes into a staging folder beside the target
(``.<name>.tmp-XXXX``), which is then renamed into place; an existing folder of the same name is
replaced only after the new one is complete.

::

    RUN/
      summary.json          headline KPIs with 95% CIs and run metadata (below)
      scenario.json         the resolved, validated scenario as sim.loader.scenario_json writes
                            it (schedule CSV and profile file inlined); sim.loader.parse_scenario()
                            reads it back as written
      report.html           self-contained plotly report (plotly.js inlined; opens offline)
      <record table>.parquet    one per record table of sim.records.COLUMNS, all replications
                            concatenated, with an int ``replication`` column first:
        travelers           traveler_id, flight_id, party_id, cls, egate_enrolled, consent,
                            checked_bag, walk_speed, skin_tone, age_band, sex_presentation,
                            arrive_t, exit_t (NaN: still inside), route, final_place
        visits              traveler_id, cls, processor, kind (egate|desk|customs|reclaim),
                            queue_t, start_t (NaN: still waiting), end_t (NaN: unfinished),
                            server, outcome
        egate_transactions  traveler_id, bank, gate, t, duration_s, recognizer_s, outcome, score
        walks               traveler_id, from_zone, to_zone, t0, t1 (NaN: still walking)
        queue_lengths       t, processor, length        (a level: value after each change)
        occupancy           t, zone, count              (a level)
        capacity            t, processor, open          (a level)
        recognition         only in live-recognizer runs: whatever the verifier's
                            ``frames()`` returned, with ``replication`` added (also
                            watchlist_searches, watchlist_hits)
      kpi_<name>.parquet    KPI tables from sim.kpi, one row per replication and key:
        kpi_waits           replication, processor, kind, cls, n, n_waiting, mean_s, p50_s,
                            p90_s, p95_s, max_s, target_s, within_target
                            (processor "all" = every group of that kind; cls "all" = every class;
                            n_waiting = still queued at the horizon, counted with their wait so far;
                            within_target = share of waits <= target_s, NaN without a target)
        kpi_queues          replication, processor, kind, mean_length (time-weighted over the
                            horizon), max_length
        kpi_queue_series    replication, processor, kind, t (bin start, s), length (time-weighted
                            mean within the bin)
        kpi_utilisation     replication, processor, kind, busy_s, open_s, utilisation
        kpi_throughput      replication, processor, kind, hour (0 = first hour of the run),
                            served (services ended in that hour; processor "exit" = travelers
                            leaving the terminal)
        kpi_time_in_system  replication, cls, n, mean_s, p50_s, p95_s, max_s (exited travelers)
        kpi_space           replication, zone, zone_kind, t (bin start, s), travelers
                            (time-weighted mean count), m2_per_pax (area / travelers; inf when
                            empty), band_low_m2, band_high_m2, status
                            (empty|over-design|optimum|sub-optimum, the IATA ADRM words)
        kpi_headline        replication, then one column per headline metric (see summary.json)
        kpi_summary         metric, unit, mean, ci_low, ci_high, sd, n, description
      cctv_*.parquet, journeys.parquet   ``airtwin identify-cctv`` runs only
                            (experiments.cctv_identify), then the metrics added by
                            ``airtwin evaluate-tracking``, with cctv_report.md beside them
      danger_*.parquet      ``airtwin detect-danger`` runs only: danger_alerts, danger_truth,
                            danger_incidents, danger_coverage (experiments.danger_run), then
                            danger_metrics added by the evaluation (:func:`add_tables`), with
                            danger_report.md beside it

``summary.json`` (the header of :mod:`outputs.header`, then)::

    {"format": 1, "kind": "run", "airtwin_version": "0.1.0", "created": "2026-11-26T17:00:00+00:00",
     "scenario": {"name": ..., "file": ... or null, "sha256": <hash of scenario.json bytes>},
     "seed": 20261126, "replications": 5, "replication_seeds": [...], "horizon_s": 14400.0,
     "recognizer_mode": "profile", "wall_time_s": 3.2, "events": 144000,  # SimPy events
     "tables": {"travelers": "travelers.parquet", ...},   # every Parquet file, by table name
     "headline": {"egate_wait_p95_s": {"mean": ..., "ci_low": ..., "ci_high": ..., "sd": ...,
                                       "n": 5, "unit": "s", "description": ...}, ...}}

A detect-danger run has ``danger`` (its settings and timings) instead of the replication keys;
a sweep point has ``point`` (see :mod:`outputs.sweep`). A CI is the t-distribution 95% interval
of the replication means; with one replication (or no spread) ``ci_low == ci_high == mean``.
Non-finite numbers are written as JSON ``null``. Folders written before ``kind`` existed (format
1 without it) read the same.

Reading: :func:`load_run` returns a :class:`Run` (``tables``, ``summary``, ``scenario``);
a missing folder, a missing or malformed ``summary.json``, a wrong ``kind`` or ``format`` or a
missing table raises :class:`RunFolderError` naming the path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from outputs.atomic import staged_folder, write_json, write_parquet, write_text
from outputs.header import SUMMARY, FolderError, read_summary, with_header

__all__ = ["KIND", "Run", "RunFolderError", "add_report", "add_tables", "load_run",
           "optional_table", "read_run_summary", "write_run"]

KIND = "run"
SCENARIO = "scenario.json"


class RunFolderError(FolderError):
    """A run folder that cannot be read; ``str()`` names the path and what is wrong."""


@dataclass(frozen=True)
class Run:
    path: Path
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(repr=False)
    scenario: dict[str, Any] | None = field(default=None, repr=False)

    def __getitem__(self, table: str) -> pd.DataFrame:
        try:
            return self.tables[table]
        except KeyError:
            known = ", ".join(sorted(self.tables)) or "none"
            raise KeyError(f"{self.path}: no table {table!r} (has: {known})") from None


def write_run(out: str | Path, tables: dict[str, pd.DataFrame], summary: dict[str, Any],
              scenario_json: str, report_html: str | None = None) -> Path:
    """Write a complete run folder at ``out`` atomically; returns its path.

    ``summary`` gets the header and ``tables`` filled in here; ``scenario_json`` is the exact
    text for scenario.json.
    """
    out = Path(out).resolve()
    with staged_folder(out) as tmp:
        files = {}
        for name, df in tables.items():
            files[name] = f"{name}.parquet"
            df.to_parquet(tmp / files[name], index=False)
        (tmp / SCENARIO).write_text(scenario_json, encoding="utf-8")
        if report_html is not None:
            (tmp / "report.html").write_text(report_html, encoding="utf-8")
        write_json(tmp / SUMMARY, {**with_header(KIND, summary), "tables": files})
    return out


def read_run_summary(path: str | Path) -> dict[str, Any]:
    """A run folder's checked summary.json (header and a ``tables`` mapping)."""
    summary = read_summary(path, KIND, RunFolderError)
    if not isinstance(summary.get("tables"), dict):
        raise RunFolderError(f"{Path(path) / SUMMARY}: malformed: needs a 'tables' mapping")
    return summary


def _read_table(file: Path, name: str) -> pd.DataFrame:
    if not file.is_file():
        raise RunFolderError(f"{file}: table {name!r} listed in summary.json is missing")
    try:
        return pd.read_parquet(file)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise RunFolderError(f"{file}: not a readable Parquet file ({exc})") from None


def load_run(path: str | Path, tables: Iterable[str] | None = None) -> Run:
    """Read a run folder. ``tables``: only these (default: every table the summary lists)."""
    path = Path(path)
    summary = read_run_summary(path)
    listed: dict[str, str] = summary["tables"]
    wanted = list(listed) if tables is None else list(tables)
    frames = {}
    for name in wanted:
        if name not in listed:
            known = ", ".join(sorted(listed)) or "none"
            raise RunFolderError(f"{path}: no table {name!r} (has: {known})")
        frames[name] = _read_table(path / listed[name], name)
    scenario = None
    scen_path = path / SCENARIO
    if scen_path.is_file():
        try:
            scenario = json.loads(scen_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise RunFolderError(f"{scen_path}: not valid JSON ({exc})") from None
    return Run(path, summary, frames, scenario)


def optional_table(path: str | Path, summary: dict[str, Any], name: str) -> pd.DataFrame | None:
    """A table the run may lack: listed in ``summary``, or (folders written before tools
    listed what they added) ``<name>.parquet`` beside the summary or one folder below."""
    path = Path(path)
    listed = (summary.get("tables") or {}).get(name)
    if listed and (path / listed).is_file():
        return _read_table(path / listed, name)
    for pattern in (f"{name}.parquet", f"*/{name}.parquet"):
        hits = sorted(path.glob(pattern))
        if hits:
            return _read_table(hits[0], name)
    return None


def add_tables(path: str | Path, tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Add (or replace) tables in an existing run folder: each Parquet file atomically, then
    summary.json's ``tables`` rewritten atomically (the rest of it, header included, kept).
    A reader in between sees the old summary, which does not list the new files yet. Returns
    the new summary."""
    path = Path(path)
    summary = read_run_summary(path)
    for name, df in tables.items():
        write_parquet(path / f"{name}.parquet", df)
    summary = {**summary, "tables": {**summary["tables"],
                                     **{name: f"{name}.parquet" for name in tables}}}
    try:
        write_json(path / SUMMARY, summary)
    except OSError as exc:
        raise RunFolderError(f"{path / SUMMARY}: cannot update ({exc})") from None
    return summary


def add_report(path: str | Path, name: str, text: str) -> dict[str, Any]:
    """Add (or replace) a text report (markdown) ``name`` in an existing run folder, atomically,
    and list it under summary.json's ``reports``. Returns the new summary."""
    path = Path(path)
    if "/" in name or name.startswith("."):
        raise RunFolderError(f"{path}: report name {name!r} must be a plain file name")
    summary = read_run_summary(path)
    write_text(path / name, text)
    reports = sorted(set(summary.get("reports") or []) | {name})
    summary = {**summary, "reports": reports}
    try:
        write_json(path / SUMMARY, summary)
    except OSError as exc:
        raise RunFolderError(f"{path / SUMMARY}: cannot update ({exc})") from None
    return summary
