"""The planner's figures as tables: pure functions over a run's KPI tables and summaries.

KPI tables hold one row per replication and key (see :mod:`outputs.run`); the dashboard shows
the mean over replications, with the spread across them (min–max) where a band helps. Headline
metrics keep the confidence interval summary.json already computed. Nothing here reads files or
imports Streamlit, so every function is tested on small hand-built frames.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

TIME_BASE = pd.Timestamp("2000-01-01")  # sim seconds are drawn as clock times from 00:00
UNIT_NAMES = {"m2": "m²"}
WAIT_STATS = ("p50_s", "p90_s", "p95_s", "max_s", "mean_s")


def sim_clock(seconds) -> pd.Series:
    """Sim seconds as timestamps from 00:00 on a fixed day, so plotly draws an h:mm axis."""
    return TIME_BASE + pd.to_timedelta(pd.Series(seconds, dtype=float), unit="s")


def _require(df: pd.DataFrame, cols, what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"{what}: missing column(s) {', '.join(missing)}; "
                       f"has {', '.join(map(str, df.columns)) or 'none'}")


def over_replications(df: pd.DataFrame, keys: list[str], value: str, what: str) -> pd.DataFrame:
    """Mean, min and max of ``value`` across replications, per ``keys``."""
    _require(df, [*keys, value], what)
    g = df.groupby(keys, sort=False, dropna=False)[value]
    out = g.agg(mean="mean", low="min", high="max").reset_index()
    return out.rename(columns={"mean": value, "low": f"{value}_low", "high": f"{value}_high"})


# --- headline figures ------------------------------------------------------------------------
def headline_long(summaries: dict[str, dict]) -> pd.DataFrame:
    """label, metric, unit, mean, ci_low, ci_high, description: one row per run and metric,
    in the order the first summary lists its metrics."""
    rows = []
    for label, summary in summaries.items():
        for metric, h in (summary.get("headline") or {}).items():
            if not isinstance(h, dict):
                continue
            rows.append({"label": label, "metric": metric, "unit": h.get("unit", ""),
                         "mean": _num(h.get("mean")), "ci_low": _num(h.get("ci_low")),
                         "ci_high": _num(h.get("ci_high")),
                         "description": h.get("description", "")})
    cols = ["label", "metric", "unit", "mean", "ci_low", "ci_high", "description"]
    return pd.DataFrame(rows, columns=cols)


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def fmt(value: float, unit: str = "") -> str:
    """A number as a person reads it: shares as %, seconds as min:s past a minute."""
    if value is None or not np.isfinite(value):
        return "–"
    if unit == "share":
        return f"{100 * value:.1f}%"
    if unit == "s" and abs(value) >= 60:
        m, s = divmod(int(round(value)), 60)
        return f"{m}:{s:02d} min"
    if unit == "s":
        return f"{value:.1f} s"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}" if abs(value) >= 10 \
        else f"{value:,.2f}"
    unit = UNIT_NAMES.get(unit, unit)
    return f"{text} {unit}".strip() if unit not in ("", "share") else text


def fmt_clock(seconds: float) -> str:
    """Sim seconds as ``h:mm:ss`` since the start of the run."""
    if seconds is None or not np.isfinite(seconds):
        return "–"
    h, rem = divmod(int(round(seconds)), 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}"


def fmt_ci(mean: float, low: float, high: float, unit: str) -> str:
    """``mean (low – high)``; the interval is left out when it collapses to the mean. Units
    other than shares and seconds are written once, at the end."""
    spelled = unit in ("share", "s")
    text = fmt(mean, unit if spelled else "")
    if np.isfinite(low) and np.isfinite(high) and (low != mean or high != mean):
        u = unit if spelled else ""
        text += f" ({fmt(low, u)} – {fmt(high, u)})"
    return text if spelled or not unit else f"{text} {unit}"


def headline_table(long: pd.DataFrame) -> pd.DataFrame:
    """Metrics as rows, runs as columns, each cell ``mean (95% CI)`` in readable units."""
    if long.empty:
        return pd.DataFrame()
    cell = [fmt_ci(r.mean, r.ci_low, r.ci_high, r.unit) for r in long.itertuples()]
    wide = long.assign(cell=cell).pivot(index="metric", columns="label", values="cell")
    order = list(dict.fromkeys(long["metric"]))
    labels = list(dict.fromkeys(long["label"]))
    return wide.reindex(index=order, columns=labels).rename_axis(index=None, columns=None)


# --- what differs between runs ----------------------------------------------------------------
def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested JSON as ``{dotted.path: value}``; list items by index (the sweep's --set paths)."""
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return {prefix: data}
    out: dict[str, Any] = {}
    for k, v in items:
        out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    if not out and prefix:
        out[prefix] = data  # an empty list or mapping is a value too
    return out


def scenario_differences(scenarios: dict[str, dict], skip: tuple[str, ...] = ("name",
                         "description")) -> pd.DataFrame:
    """The scenario fields whose values differ between runs: path as rows, runs as columns."""
    flat = {label: flatten(s or {}) for label, s in scenarios.items()}
    paths = sorted(set().union(*flat.values())) if flat else []
    rows = {}
    for p in paths:
        if p.split(".")[0] in skip:
            continue
        values = [flat[label].get(p, "—") for label in flat]
        if len({repr(v) for v in values}) > 1:
            rows[p] = [str(v) for v in values]
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(flat))


# --- waits, queues, space, utilisation --------------------------------------------------------
def wait_percentiles(kpi_waits: pd.DataFrame) -> pd.DataFrame:
    """Per processor, kind and class: mean over replications of each wait statistic, the
    travelers counted (mean per replication) and the target."""
    _require(kpi_waits, ["processor", "kind", "cls", "n", "target_s", *WAIT_STATS], "kpi_waits")
    keys = ["processor", "kind", "cls"]
    out = kpi_waits.groupby(keys, sort=False)[[*WAIT_STATS, "n", "target_s"]].mean()
    within = kpi_waits["within_target"] if "within_target" in kpi_waits else np.nan
    out["within_target"] = kpi_waits.assign(w=within).groupby(keys, sort=False)["w"].mean()
    out = out.reset_index()
    # An "all" row of a kind with a single processor group repeats that group: drop it.
    groups = out[out["processor"] != "all"].groupby("kind")["processor"].nunique()
    single = out["kind"].map(groups).fillna(0) <= 1
    return out[~((out["processor"] == "all") & single & out["kind"].isin(groups.index))
               ].reset_index(drop=True)


def waits_by_kind(waits: pd.DataFrame) -> pd.DataFrame:
    """One row per processor kind over all classes: its ``all`` row, or its only group's."""
    d = waits[waits["cls"] == "all"].assign(_all=lambda x: x["processor"] == "all")
    return d.sort_values("_all", kind="stable").drop_duplicates("kind", keep="last") \
        .drop(columns="_all").sort_values("kind").reset_index(drop=True)


def queue_series(kpi_queue_series: pd.DataFrame) -> pd.DataFrame:
    """processor, kind, t, length (mean over replications), length_low, length_high."""
    return over_replications(kpi_queue_series, ["processor", "kind", "t"], "length",
                             "kpi_queue_series")


def space_series(kpi_space: pd.DataFrame) -> pd.DataFrame:
    """zone, t, m2_per_pax (mean over replications of the bin's mean count, turned back into
    m² per traveler; NaN when the zone is empty), the IATA band and its status word."""
    _require(kpi_space, ["zone", "zone_kind", "t", "travelers", "m2_per_pax", "band_low_m2",
                         "band_high_m2"], "kpi_space")
    d = kpi_space.copy()
    area = (d["m2_per_pax"] * d["travelers"]).where(d["travelers"] > 0)
    d["area_m2"] = area.groupby(d["zone"]).transform("max")
    g = d.groupby(["zone", "zone_kind", "t"], sort=False)
    out = g.agg(travelers=("travelers", "mean"), area_m2=("area_m2", "max"),
                band_low_m2=("band_low_m2", "first"),
                band_high_m2=("band_high_m2", "first")).reset_index()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["m2_per_pax"] = np.where(out["travelers"] > 0, out["area_m2"] / out["travelers"],
                                     np.nan)
    out["status"] = np.select(
        [~np.isfinite(out["m2_per_pax"]), out["m2_per_pax"] > out["band_high_m2"],
         out["m2_per_pax"] >= out["band_low_m2"]], ["empty", "over-design", "optimum"],
        "sub-optimum")
    return out.drop(columns="area_m2")


SPACE_STATUSES = ("sub-optimum", "optimum", "over-design", "empty")


def space_status_shares(kpi_space: pd.DataFrame) -> pd.DataFrame:
    """Share of 5-minute bins (all replications) in each IATA status, per zone."""
    _require(kpi_space, ["zone", "status"], "kpi_space")
    share = pd.crosstab(kpi_space["zone"], kpi_space["status"], normalize="index")
    return share.reindex(columns=list(SPACE_STATUSES), fill_value=0.0).rename_axis(
        index="zone", columns=None).reset_index()


def utilisation(kpi_utilisation: pd.DataFrame) -> pd.DataFrame:
    """processor, kind, utilisation (mean over replications) with its min and max."""
    return over_replications(kpi_utilisation, ["processor", "kind"], "utilisation",
                             "kpi_utilisation")


def consent_routing(travelers: pd.DataFrame) -> dict[str, float]:
    """Travelers enrolled for e-gates who did not consent and so went to a desk (mean per
    replication), and every non-consenting traveler."""
    _require(travelers, ["egate_enrolled", "consent", "route"], "travelers")
    t = travelers.assign(replication=travelers.get("replication", 0))
    no = ~t["consent"].astype(bool)
    routed = no & t["egate_enrolled"].astype(bool) & (t["route"] == "desk")
    per_rep = pd.DataFrame({"routed": routed, "no_consent": no, "all": True}).groupby(
        t["replication"]).sum()
    return {"routed_to_desk": float(per_rep["routed"].mean()),
            "no_consent": float(per_rep["no_consent"].mean()),
            "travelers": float(per_rep["all"].mean()),
            "replications": int(len(per_rep))}


# --- sweeps ---------------------------------------------------------------------------------
def short_path(path: str, parts: int = 2) -> str:
    """A swept path's last named parts: ``immigration.egate_banks.0.count`` → ``egate_banks.count``."""
    named = [p for p in path.split(".") if not p.lstrip("-").isdigit()]
    return ".".join(named[-parts:]) or path


def point_label(point: dict) -> str:
    """``egate_banks.count=6, ...`` for a sweep point's summary, else its id."""
    p = point.get("point") or {}
    what = ", ".join(f"{short_path(k)}={v}" for k, v in (p.get("assignments") or {}).items())
    return what or str(p.get("id", "?"))


def sweep_axes(comparison: pd.DataFrame, metrics: list[str]) -> list[str]:
    """The swept paths: every column that is neither the point id nor a metric or its CI."""
    metric_cols = set(metrics) | {f"{m}_ci_low" for m in metrics} | \
        {f"{m}_ci_high" for m in metrics}
    return [c for c in comparison.columns if c != "point" and c not in metric_cols]

