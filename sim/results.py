"""A simulation's result as a run folder: the adapter between :mod:`sim` and the run-folder
format, which :mod:`outputs.run` owns (its docstring documents every file). Here a
:class:`sim.replications.RunResult` or any scenario's tables become a run folder whose
scenario.json :func:`sim.loader.parse_scenario` reads back as written.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd

from outputs.header import airtwin_version
from outputs.run import write_run
from sim.loader import scenario_json
from sim.scenario import Scenario

__all__ = ["run_summary", "save_run", "write_scenario_run"]


def write_scenario_run(out: str | Path, scenario: Scenario, tables: dict[str, pd.DataFrame],
                       summary: dict[str, Any], scenario_file: str | None = None,
                       report_html: str | None = None) -> Path:
    """A run folder of ``scenario``: scenario.json as :func:`sim.loader.scenario_json` writes
    it, and ``summary["scenario"]`` naming it (name, file, hash of scenario.json)."""
    text = scenario_json(scenario)
    about = {"name": scenario.name, "file": scenario_file,
             "sha256": hashlib.sha256(text.encode()).hexdigest()}
    return write_run(out, tables, {"scenario": about, **summary}, text, report_html)


def run_summary(result) -> dict[str, Any]:
    """summary.json's own keys (less the header, ``scenario`` and ``tables``) for a
    :class:`sim.replications.RunResult`."""
    s = result.scenario
    head = {r.metric: {"mean": r.mean, "ci_low": r.ci_low, "ci_high": r.ci_high, "sd": r.sd,
                       "n": int(r.n), "unit": r.unit, "description": r.description}
            for r in result.summary.itertuples()}
    return {
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
    """Write a :class:`sim.replications.RunResult` as a run folder."""
    from sim.report import render

    summary = run_summary(result)
    html = None
    if report:
        html = render(result.tables, {"scenario": result.scenario.name, "seed": result.seed,
                                      "replications": len(result.seeds),
                                      "horizon_s": result.scenario.horizon_s,
                                      "wall_time_s": summary["wall_time_s"],
                                      "airtwin": airtwin_version()})
    return write_scenario_run(out, result.scenario, result.tables, summary, scenario_file, html)
