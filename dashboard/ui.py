"""Streamlit pieces every page uses: the results index, messages for empty or unreadable
folders, and a panel guard that turns a bad table into a message instead of a traceback."""

from __future__ import annotations

import logging
from contextlib import contextmanager

import streamlit as st

from dashboard import data
from dashboard.folders import ResultsIndex

log = logging.getLogger("airtwin.dashboard")
PANEL_FAILED = "Could not show"  # the start of every panel failure message (tests look for it)


def results() -> ResultsIndex:
    return data.index(str(data.results_root()))


def show_problems(idx: ResultsIndex) -> None:
    """A warning per folder that looked like a result but could not be read."""
    for p in idx.problems:
        if p.path == idx.root:
            st.error(f"Results folder `{p.path}`: {p.reason}. Start the dashboard with "
                     f"`airtwin dashboard --results DIR` on a folder that exists.")
        else:
            st.warning(f"`{p.path}`: {p.reason}; skipped.")


def nothing_here(idx: ResultsIndex, wanted: str, how: str) -> None:
    """The message for a results folder without what this page shows."""
    if idx.empty and not any(p.path == idx.root for p in idx.problems):
        st.info(f"No results in `{idx.root}`: found no run folders (summary.json), sweeps "
                f"(comparison.parquet), load tests, service logs or bench files in it or one or "
                f"two levels below. {how}")
    elif not idx.empty:
        st.info(f"No {wanted} in `{idx.root}`. {how}")


@contextmanager
def panel(title: str, where: object):
    """Run one panel; any error becomes a warning naming the panel, the folder and the cause.

    Streamlit's own control flow (rerun, stop) is a BaseException and passes through."""
    try:
        yield
    except Exception as exc:  # the page stays up; the message names what to fix
        log.warning("panel %r on %s failed", title, where, exc_info=True)
        st.warning(f"{PANEL_FAILED} {title} for `{where}`: {exc}")


def run_label(summary: dict) -> str:
    s = summary.get("scenario") or {}
    return (f"{s.get('name', '?')}, {summary.get('replications', '?')} replications, "
            f"{float(summary.get('horizon_s') or 0) / 3600:.1f} h, "
            f"recognizer {summary.get('recognizer_mode', '?')}")


def pick_run(idx: ResultsIndex, key: str, label: str = "Run"):
    """One run folder (a :class:`dashboard.folders.Found`), remembered across pages."""
    labels = [f.label for f in idx.runs]
    keep = st.session_state.get("_run_choice")
    choice = st.selectbox(label, labels, index=labels.index(keep) if keep in labels else 0,
                          key=key)
    st.session_state["_run_choice"] = choice
    return next(f for f in idx.runs if f.label == choice)
