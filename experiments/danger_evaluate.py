"""Alerts against ground truth, the way operators judge video analytics: events caught (recall),
alerts that were real (precision), how fast (time to detect) and false alarms per camera-hour.

Matching: an alert is true when its camera's frames showed an incident of the same kind (the
incident's people or bag in the picture) and the alert falls in that incident's span, from its
start to ``grace_s`` after its end (a rule that waits for a dwell fires late by design). Every
other alert is a false alarm, including one on a near miss (a bag picked up again, a brisk walk,
a brief stop), which are counted apart too. An incident is detected when any camera's alert
matched it; its time to detect is the first such alert's time minus the incident's start.
Further alerts on a detected incident are true but also reported as duplicates.

Inputs are the tables :mod:`experiments.danger_run` writes: ``danger_alerts``,
``danger_truth``, ``danger_incidents`` and ``danger_coverage`` (a window with no incident is a
baseline window, where the false-alarm target is measured).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.danger.rules import KINDS

METRIC_COLUMNS = ["kind", "incidents", "detected", "alerts", "true_alerts", "duplicates",
                  "false_alarms", "near_miss_alarms", "precision", "recall", "f1",
                  "ttd_median_s", "ttd_p95_s", "false_alarms_per_camera_hour",
                  "baseline_false_alarms", "baseline_false_alarms_per_camera_hour",
                  "recall_target", "precision_target", "meets_target"]

# Targets of the issue: recall >= 0.9 and precision >= 0.8 for every kind but falls (measured).
TARGETS = {k: (0.9, 0.8) for k in KINDS if k != "fall"}
BASELINE_FA_TARGET = 1.0  # false alarms per camera-hour on incident-free windows
GRACE_S = 30.0


def match(alerts: pd.DataFrame, truth: pd.DataFrame, incidents: pd.DataFrame,
          grace_s: float = GRACE_S) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Alerts with ``incident`` (-1: false alarm), ``near_miss`` and ``duplicate`` columns;
    incidents with ``seen`` (in some analysed camera's frames), ``detected`` and ``ttd_s``."""
    alerts = alerts.sort_values(["t", "camera"], kind="stable").reset_index(drop=True).copy()
    inc = incidents.set_index("incident", drop=False).copy()
    inc["seen"] = inc["incident"].isin(truth["incident"])
    inc["detected"] = False
    inc["ttd_s"] = np.nan
    alerts["incident"] = -1
    alerts["near_miss"] = False
    alerts["duplicate"] = False
    for i, a in alerts.iterrows():
        cand = truth[(truth["camera"] == a["camera"]) & (truth["kind"] == a["kind"])
                     & (truth["t_start"] <= a["t"]) & (a["t"] <= truth["t_end"] + grace_s)]
        real = cand[~cand["near_miss"].astype(bool)]
        if real.empty:
            alerts.at[i, "near_miss"] = bool(len(cand))
            continue
        ids = real["incident"].tolist()
        fresh = [j for j in ids if not inc.at[j, "detected"]]
        j = min(fresh or ids, key=lambda j: inc.at[j, "t_start"])
        alerts.at[i, "incident"] = int(j)
        if inc.at[j, "detected"]:
            alerts.at[i, "duplicate"] = True
        else:
            inc.at[j, "detected"] = True
            inc.at[j, "ttd_s"] = max(0.0, float(a["t"] - inc.at[j, "t_start"]))
    return alerts, inc.reset_index(drop=True)


def camera_hours(coverage: pd.DataFrame, baseline_only: bool = False) -> float:
    cov = coverage[coverage["incidents"] == 0] if baseline_only else coverage
    return float((cov["t_to"] - cov["t_from"]).sum() / 3600.0)


def _in_windows(alerts: pd.DataFrame, windows: pd.DataFrame) -> pd.Series:
    inside = pd.Series(False, index=alerts.index)
    for w in windows.itertuples(index=False):
        inside |= (alerts["camera"] == w.camera) & (alerts["t"] >= w.t_from) & (alerts["t"] < w.t_to)
    return inside


def metrics(alerts: pd.DataFrame, truth: pd.DataFrame, incidents: pd.DataFrame,
            coverage: pd.DataFrame, grace_s: float = GRACE_S) -> pd.DataFrame:
    """One row per kind (and ``all``) with the columns of :data:`METRIC_COLUMNS`."""
    m_alerts, m_inc = match(alerts, truth, incidents, grace_s)
    hours = camera_hours(coverage)
    base_hours = camera_hours(coverage, baseline_only=True)
    in_base = _in_windows(m_alerts, coverage[coverage["incidents"] == 0])
    rows = []
    for kind in list(KINDS) + ["all"]:
        a = m_alerts if kind == "all" else m_alerts[m_alerts["kind"] == kind]
        t = m_inc[m_inc["seen"] & ~m_inc["near_miss"].astype(bool)]
        t = t if kind == "all" else t[t["kind"] == kind]
        n_true = int((a["incident"] >= 0).sum())
        false = a["incident"] < 0
        detected = int(t["detected"].sum())
        precision = n_true / len(a) if len(a) else math.nan
        recall = detected / len(t) if len(t) else math.nan
        if precision == precision and recall == recall:
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        else:
            f1 = math.nan
        ttd = t["ttd_s"].dropna().to_numpy()
        base_fa = int((false & in_base.reindex(a.index, fill_value=False)).sum())
        r_target, p_target = TARGETS.get(kind, (math.nan, math.nan))
        meets = None
        if kind in TARGETS and len(t):
            meets = bool(recall >= r_target and (precision == precision and precision >= p_target))
        rows.append({
            "kind": kind, "incidents": len(t), "detected": detected, "alerts": len(a),
            "true_alerts": n_true, "duplicates": int(a["duplicate"].sum()),
            "false_alarms": int(false.sum()), "near_miss_alarms": int(a["near_miss"].sum()),
            "precision": precision, "recall": recall, "f1": f1,
            "ttd_median_s": float(np.median(ttd)) if len(ttd) else math.nan,
            "ttd_p95_s": float(np.percentile(ttd, 95)) if len(ttd) else math.nan,
            "false_alarms_per_camera_hour": int(false.sum()) / hours if hours > 0 else math.nan,
            "baseline_false_alarms": base_fa,
            "baseline_false_alarms_per_camera_hour": base_fa / base_hours if base_hours > 0 else math.nan,
            "recall_target": r_target, "precision_target": p_target, "meets_target": meets,
        })
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)


def _fmt(v, digits=2) -> str:
    if v is None:
        return "–"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "**no**"
    if isinstance(v, float):
        return "–" if not math.isfinite(v) else f"{v:.{digits}f}"
    return str(v)


def report_markdown(table: pd.DataFrame, coverage: pd.DataFrame, meta: dict) -> str:
    """A readable report: settings, the per-kind table, the baseline false-alarm rate."""
    hours = camera_hours(coverage)
    base_hours = camera_hours(coverage, baseline_only=True)
    total = table[table["kind"] == "all"].iloc[0]
    base_rate = total["baseline_false_alarms_per_camera_hour"]
    lines = [
        f"# Danger detection: {meta.get('scenario', '?')}",
        "",
        f"- Run: `{meta.get('run', '?')}`; cameras: {', '.join(sorted(coverage['camera'].unique()))}",
        f"- Analysed at {meta.get('analysis_fps', '?')} frames/s per camera "
        f"(cameras record at {meta.get('camera_fps', '?')}); detector `{meta.get('detector', '?')}`",
        f"- Camera-hours analysed: {hours:.2f}, of which incident-free (baseline): {base_hours:.2f}",
        f"- An alert is true when it falls in an incident of its kind seen by its camera, from the "
        f"start to {meta.get('grace_s', GRACE_S):.0f} s after the end; an alert on a near miss is "
        f"a false alarm. Recall counts incidents caught by any camera.",
        "",
        "| kind | incidents | detected | alerts | false alarms (near misses) | precision | recall "
        "| F1 | TTD median s | TTD p95 s | FA / cam-h | baseline FA / cam-h | target met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for r in table.itertuples(index=False):
        lines.append(
            f"| {r.kind} | {r.incidents} | {r.detected} | {r.alerts} | {r.false_alarms} "
            f"({r.near_miss_alarms}) | "
            f"{_fmt(r.precision)} | {_fmt(r.recall)} | {_fmt(r.f1)} | {_fmt(r.ttd_median_s, 1)} | "
            f"{_fmt(r.ttd_p95_s, 1)} | {_fmt(r.false_alarms_per_camera_hour)} | "
            f"{_fmt(r.baseline_false_alarms_per_camera_hour)} | {_fmt(r.meets_target)} |")
    ok = base_rate == base_rate and base_rate <= BASELINE_FA_TARGET
    lines += [
        "",
        f"Baseline false alarms: {int(total['baseline_false_alarms'])} in {base_hours:.2f} "
        f"camera-hours = {_fmt(base_rate)} per camera-hour "
        f"(target <= {BASELINE_FA_TARGET:g}: {'met' if ok else 'NOT met'}).",
        "",
        "Targets: recall >= 0.9 and precision >= 0.8 for every kind but falls, which are "
        "measured and reported as they are.",
    ]
    missed = [r.kind for r in table.itertuples(index=False) if r.meets_target is False]
    if missed:
        lines.append(f"Kinds below target: {', '.join(missed)}.")
    return "\n".join(lines) + "\n"


def evaluate_run(run: str | Path, grace_s: float = GRACE_S) -> tuple[pd.DataFrame, str]:
    """Score a run folder written by ``airtwin detect-danger``: adds ``danger_metrics`` to its
    tables (:func:`outputs.run.add_tables`) and writes ``danger_report.md`` beside them."""
    from outputs.atomic import write_text
    from outputs.run import add_tables, load_run

    names = ["danger_alerts", "danger_truth", "danger_incidents", "danger_coverage"]
    r = load_run(run, tables=names)
    table = metrics(r["danger_alerts"], r["danger_truth"], r["danger_incidents"],
                    r["danger_coverage"], grace_s)
    danger = r.summary.get("danger", {})
    meta = {**danger, "run": str(run), "grace_s": grace_s}
    text = report_markdown(table, r["danger_coverage"], meta)
    add_tables(run, {"danger_metrics": table})
    write_text(Path(run) / "danger_report.md", text)
    return table, text
