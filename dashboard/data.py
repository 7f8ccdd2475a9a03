"""Cached readers of result folders for the pages (``st.cache_data`` for tables and figures
read from disk, ``st.cache_resource`` for the CCTV feed that renders frames).

Every reader takes the path and a ``stamp`` (the mtime :mod:`dashboard.folders` saw), so a
folder rewritten by a new run is read again. Every folder is read through :mod:`outputs`, the
owner of its format; errors are :class:`outputs.header.FolderError` naming the file, which the
pages turn into messages.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import camera, folders
from outputs.header import FolderError
from outputs.loadtest import load_loadtest
from outputs.run import load_run, optional_table
from outputs.sweep import read_sweep

RESULTS_ENV = folders.RESULTS_ENV
DEFAULT_RESULTS = "runs"


def results_root() -> Path:
    """The folder ``airtwin dashboard --results`` named (passed in :data:`RESULTS_ENV`)."""
    return Path(os.environ.get(RESULTS_ENV) or DEFAULT_RESULTS).expanduser().resolve()


@st.cache_data(ttl=15, show_spinner=False)
def index(root: str) -> folders.ResultsIndex:
    return folders.scan(root)


# --- run folders ----------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=256)
def run_meta(path: str, stamp: float) -> tuple[dict, dict | None]:
    """(summary.json, scenario.json) of a run folder, checked by :func:`outputs.run.load_run`."""
    run = load_run(path, tables=[])
    return run.summary, run.scenario


@st.cache_data(show_spinner=False, max_entries=128)
def run_table(path: str, stamp: float, name: str) -> pd.DataFrame:
    """One table the run's summary lists."""
    return load_run(path, tables=[name])[name]


@st.cache_data(show_spinner=False, max_entries=128)
def extra_table(path: str, stamp: float, name: str) -> pd.DataFrame | None:
    """A table another tool may have added to the run (recognition, watchlist_hits,
    danger_alerts, ...); None when the run has none."""
    summary, _ = run_meta(path, stamp)
    return optional_table(path, summary, name)


# --- sweeps ---------------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=32)
def sweep(path: str, stamp: float) -> tuple[pd.DataFrame, list[dict], str | None]:
    """(comparison table, finished points' summaries, a note when the table was rebuilt)."""
    found = read_sweep(path)
    return found.comparison, found.points, found.note


# --- load tests, services, benches -------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=32)
def loadtest(path: str, stamp: float) -> dict:
    """summary, gpu_plan (dicts), endpoints, steps, curve (DataFrames or None) and report
    (text or None) of a load-test folder, read by :func:`outputs.loadtest.load_loadtest`."""
    lt = load_loadtest(path)
    if "endpoints" not in lt.tables:
        raise FolderError(f"{path}: the load test has no endpoints table")
    report = Path(path) / "report.md"
    return {"summary": lt.summary, "gpu_plan": lt.gpu_plan or lt.summary.get("gpu_plan"),
            "endpoints": lt.tables["endpoints"], "steps": lt.tables.get("steps"),
            "curve": lt.tables.get("curve"), "cctv_stages": lt.tables.get("cctv_stages"),
            "report": report.read_text(encoding="utf-8") if report.is_file() else None}


@st.cache_data(show_spinner=False, max_entries=16)
def audit(path: str, stamp: float):
    from dashboard.measures_ops import audit_figures

    return audit_figures(Path(path) / "audit.jsonl")


METRICS_FILES = ("metrics.prom", "metrics.txt")


@st.cache_data(show_spinner=False, ttl=15)
def service_metrics(folder: str) -> tuple[dict[str, float] | None, str | None]:
    """(sample → value, file name) from a saved /metrics snapshot in ``folder``, if any."""
    from dashboard.measures_ops import metric_values

    for name in METRICS_FILES:
        f = Path(folder) / name
        if f.is_file():
            return metric_values(f.read_text(encoding="utf-8")), name
    return None, None


@st.cache_data(show_spinner=False, max_entries=16)
def bench_json(path: str, stamp: float) -> dict:
    import json

    return json.loads(Path(path).read_text(encoding="utf-8"))


# --- camera frames -------------------------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=2)
def feed(path: str, stamp: float, replication: int, camera_id: str):
    """A CCTV feed over one replication of the run (trajectories and scene built once)."""
    summary, scenario = run_meta(path, stamp)
    tables = {name: run_table(path, stamp, name) for name in ("travelers", "visits", "walks")}
    seeds = summary.get("replication_seeds") or [summary.get("seed", 0)]
    return camera.make_feed(scenario, camera_id, camera.replication_records(tables, replication),
                            int(seeds[replication]))


@st.cache_data(show_spinner=False, max_entries=32)
def rendered_frame(path: str, stamp: float, replication: int, camera_id: str, t: float
                   ) -> tuple[np.ndarray, float, camera.Overlays]:
    """(BGR image, the frame's time, its ground truth) of the camera tick nearest ``t``."""
    frame = feed(path, stamp, replication, camera_id).render(t)
    return frame.image, frame.t, camera.frame_overlays(frame)
