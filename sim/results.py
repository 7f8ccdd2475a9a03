"""Run folders: what ``airtwin run`` writes and what the dashboard reads.

Run-folder format (``format`` 1). A run folder is written whole or not at all: everything goes
into a temporary folder beside the target (``.<name>.tmp-XXXX``), which is then renamed into
place; an existing folder of the same name is replaced only after the new one is complete.

::

    RUN/
      summary.json          headline KPIs with 95% CIs and run metadata (below)
      scenario.json         the resolved, validated scenario (Scenario.model_dump(mode="json",
                            by_alias=True)); sim.loader.parse_scenario() reads it back
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
                            ``frames()`` returned, with ``replication`` added
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

``summary.json``::

    {"format": 1, "airtwin_version": "0.1.0", "created": "2026-11-26T17:00:00+00:00",
     "scenario": {"name": ..., "file": ... or null, "sha256": <hash of scenario.json bytes>},
     "seed": 20261126, "replications": 5, "replication_seeds": [...], "horizon_s": 14400.0,
     "recognizer_mode": "profile", "wall_time_s": 3.2, "events": 144000,  # SimPy events
     "tables": {"travelers": "travelers.parquet", ...},   # every Parquet file, by table name
     "headline": {"egate_wait_p95_s": {"mean": ..., "ci_low": ..., "ci_high": ..., "sd": ...,
                                       "n": 5, "unit": "s", "description": ...}, ...}}

A CI is the t-distribution 95% interval of the replication means; with one replication (or no
spread) ``ci_low == ci_high == mean``. Non-finite numbers are written as JSON ``null``.

Reading: :func:`load_run` returns a :class:`Run` (``tables``, ``summary``, ``scenario``);
a missing folder, a missing or malformed ``summary.json`` or a missing table raises
:class:`RunFolderError` naming the path.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

__all__ = ["FORMAT", "Run", "RunFolderError", "load_run", "write_run", "write_atomic_text",
           "json_safe"]

FORMAT = 1


class RunFolderError(ValueError):
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


def json_safe(value: Any) -> Any:
    """Plain JSON types; NaN and ±inf become ``None`` (JSON has no spelling for them)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_atomic_text(path: Path, text: str) -> None:
    """Write a file through a temporary file in the same folder, then ``os.replace``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_run(out: str | Path, tables: dict[str, pd.DataFrame], summary: dict[str, Any],
              scenario_json: str, report_html: str | None = None) -> Path:
    """Write a complete run folder at ``out`` atomically; returns its path.

    ``summary`` gets ``format`` and ``tables`` filled in here; ``scenario_json`` is the exact
    text for scenario.json (its hash goes in the summary).
    """
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; a run folder is for sharing
    try:
        files = {}
        for name, df in tables.items():
            files[name] = f"{name}.parquet"
            df.to_parquet(tmp / files[name], index=False)
        (tmp / "scenario.json").write_text(scenario_json, encoding="utf-8")
        if report_html is not None:
            (tmp / "report.html").write_text(report_html, encoding="utf-8")
        summary = {"format": FORMAT, **summary, "tables": files}
        (tmp / "summary.json").write_text(json.dumps(json_safe(summary), indent=2) + "\n",
                                          encoding="utf-8")
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def replace_dir(new: Path, target: Path) -> None:
    """Rename ``new`` to ``target``; an old ``target`` is moved aside first, then removed."""
    if target.exists():
        if not target.is_dir():
            raise RunFolderError(f"{target}: exists and is not a folder")
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.rmdir(old)
        os.replace(target, old)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)


def load_run(path: str | Path, tables: Iterable[str] | None = None) -> Run:
    """Read a run folder. ``tables``: only these (default: every table the summary lists)."""
    path = Path(path)
    if not path.is_dir():
        raise RunFolderError(f"{path}: run folder not found")
    summary_path = path / "summary.json"
    if not summary_path.is_file():
        raise RunFolderError(f"{summary_path}: missing (not a run folder, or an unfinished one)")
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise RunFolderError(f"{summary_path}: not valid JSON ({exc})") from None
    if not isinstance(summary, dict) or not isinstance(summary.get("tables"), dict):
        raise RunFolderError(f"{summary_path}: malformed: needs a 'tables' mapping")
    if summary.get("format") != FORMAT:
        raise RunFolderError(f"{summary_path}: format {summary.get('format')!r} is not "
                             f"the supported format {FORMAT}")
    listed: dict[str, str] = summary["tables"]
    wanted = list(listed) if tables is None else list(tables)
    frames = {}
    for name in wanted:
        if name not in listed:
            known = ", ".join(sorted(listed)) or "none"
            raise RunFolderError(f"{path}: no table {name!r} (has: {known})")
        file = path / listed[name]
        if not file.is_file():
            raise RunFolderError(f"{file}: table {name!r} listed in summary.json is missing")
        try:
            frames[name] = pd.read_parquet(file)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise RunFolderError(f"{file}: not a readable Parquet file ({exc})") from None
    scenario = None
    scen_path = path / "scenario.json"
    if scen_path.is_file():
        try:
            scenario = json.loads(scen_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise RunFolderError(f"{scen_path}: not valid JSON ({exc})") from None
    return Run(path, summary, frames, scenario)


def airtwin_version() -> str:
    try:
        from importlib.metadata import version
        return version("airtwin")
    except Exception:  # not installed (a bare checkout): still write a run folder
        return "unknown"


def run_summary(result, scenario_text: str, scenario_file: str | None = None) -> dict[str, Any]:
    """summary.json's content (less ``format`` and ``tables``) for a
    :class:`sim.replications.RunResult`."""
    import hashlib
    from datetime import datetime, timezone

    s = result.scenario
    head = {r.metric: {"mean": r.mean, "ci_low": r.ci_low, "ci_high": r.ci_high, "sd": r.sd,
                       "n": int(r.n), "unit": r.unit, "description": r.description}
            for r in result.summary.itertuples()}
    return {
        "airtwin_version": airtwin_version(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "scenario": {"name": s.name, "file": scenario_file,
                     "sha256": hashlib.sha256(scenario_text.encode()).hexdigest()},
        "seed": result.seed,
        "replications": len(result.seeds),
        "replication_seeds": result.seeds,
        "horizon_s": s.horizon_s,
        "recognizer_mode": s.immigration.recognizer.mode,
        "wall_time_s": round(result.wall_s, 3),
        "events": result.events,
        "headline": head,
    }


def save_run(result, out: str | Path, scenario_file: str | None = None,
             report: bool = True) -> Path:
    """Write a :class:`sim.replications.RunResult` as a run folder (format above)."""
    from sim.loader import scenario_json
    from sim.report import render

    text = scenario_json(result.scenario)
    summary = run_summary(result, text, scenario_file)
    html = None
    if report:
        html = render(result.tables, {"scenario": result.scenario.name, "seed": result.seed,
                                      "replications": len(result.seeds),
                                      "horizon_s": result.scenario.horizon_s,
                                      "wall_time_s": summary["wall_time_s"],
                                      "airtwin": summary["airtwin_version"]})
    return write_run(out, result.tables, summary, text, html)
