"""KPIs as pure functions over one replication's record tables (see :mod:`sim.records`).

Waits are tallies (one per visit); queue lengths, zone occupancy and open capacity are levels
(a value after each change, weighted by how long it held). Nothing here reads files or the clock.
:func:`kpi_tables` computes every KPI table of one replication; :func:`headline` the scalar
metrics that ``summary.json`` reports; :func:`summarise` turns per-replication headline values
into means with t-distribution 95% confidence intervals.

A traveler still queued at the horizon counts with the wait so far (a lower bound): leaving them
out would flatter an overloaded hall.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.loader import PROCESSOR_KINDS  # noqa: F401  (the kinds waits are reported for)
from sim.scenario import Scenario, ZoneKind

ALL = "all"
BIN_S = 300.0  # width of the time bins of the queue and space series (5 min)


# --- levels --------------------------------------------------------------------------------
def _level_arrays(df: pd.DataFrame, value: str, horizon: float):
    """Change times and values of one level, clipped to [0, horizon], stable in time order."""
    d = df.sort_values("t", kind="stable")
    t = np.clip(d["t"].to_numpy(float), 0.0, horizon)
    return t, d[value].to_numpy(float)


def _integral_at(t: np.ndarray, v: np.ndarray, x: np.ndarray) -> np.ndarray:
    """∫₀ˣ level(s) ds for each x, where the level is 0 before t[0] and v[i] from t[i]."""
    if len(t) == 0:
        return np.zeros_like(x, dtype=float)
    dur = np.diff(t, append=t[-1])
    cum = np.concatenate(([0.0], np.cumsum(v * dur)))  # integral up to each t[i]
    k = np.searchsorted(t, x, side="right") - 1  # last change at or before x
    out = np.zeros_like(x, dtype=float)
    ok = k >= 0
    out[ok] = cum[k[ok]] + v[k[ok]] * (x[ok] - t[k[ok]])
    return out


def level_stats(levels: pd.DataFrame, key: str, value: str, horizon: float) -> pd.DataFrame:
    """Time-weighted mean over [0, horizon] and max of a level, per ``key``."""
    rows = []
    for k, df in levels.groupby(key, sort=True):
        t, v = _level_arrays(df, value, horizon)
        total = _integral_at(t, v, np.array([horizon]))[0]
        rows.append((k, total / horizon, float(v.max()) if len(v) else 0.0))
    return pd.DataFrame(rows, columns=[key, "mean", "max"])


def level_series(levels: pd.DataFrame, key: str, value: str, horizon: float,
                 bin_s: float = BIN_S) -> pd.DataFrame:
    """Time-weighted mean of a level within each bin ``[t, t + bin_s)``, per ``key``."""
    edges = np.arange(0.0, horizon + bin_s, bin_s)
    edges[-1] = min(edges[-1], horizon)
    edges = np.unique(edges)
    width = np.diff(edges)
    parts = []
    for k, df in levels.groupby(key, sort=True):
        t, v = _level_arrays(df, value, horizon)
        mean = np.diff(_integral_at(t, v, edges)) / width
        parts.append(pd.DataFrame({key: k, "t": edges[:-1], value: mean}))
    if not parts:
        return pd.DataFrame(columns=[key, "t", value])
    return pd.concat(parts, ignore_index=True)


def time_above(levels: pd.DataFrame, value: str, threshold: float, horizon: float) -> float:
    """Share of [0, horizon] during which the level is strictly above ``threshold``."""
    t, v = _level_arrays(levels, value, horizon)
    if len(t) == 0:
        return 0.0
    dur = np.diff(np.append(t, horizon))
    return float(dur[v > threshold].sum() / horizon)


# --- tallies -------------------------------------------------------------------------------
def visit_waits(visits: pd.DataFrame, horizon: float) -> pd.Series:
    """Wait of each visit; still queued at the horizon: the wait so far."""
    start = visits["start_t"].fillna(horizon)
    return (start - visits["queue_t"]).clip(lower=0.0)


def _wait_stats(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    g = df.groupby(keys, sort=True)["wait"]
    out = g.agg(n="count", mean_s="mean", max_s="max")
    out["n_waiting"] = df["waiting"].groupby([df[k] for k in keys], sort=True).sum()
    q = g.quantile([0.5, 0.9, 0.95]).unstack()
    out["p50_s"], out["p90_s"], out["p95_s"] = q[0.5], q[0.9], q[0.95]
    out["within_target"] = df["within"].groupby([df[k] for k in keys], sort=True).mean()
    return out.reset_index()


def waits(visits: pd.DataFrame, horizon: float, targets: dict[str, float]) -> pd.DataFrame:
    """Wait percentiles per processor and class, plus ``all`` rows per kind and over classes."""
    cols = ["processor", "kind", "cls", "n", "n_waiting", "mean_s", "p50_s", "p90_s", "p95_s",
            "max_s", "target_s", "within_target"]
    if visits.empty:
        return pd.DataFrame(columns=cols)
    df = visits[["processor", "kind", "cls"]].copy()
    df["wait"] = visit_waits(visits, horizon)
    df["waiting"] = visits["start_t"].isna()
    target = df["kind"].map(targets).astype(float)
    df["within"] = np.where(target.notna(), (df["wait"] <= target).astype(float), np.nan)
    by_kind = df.assign(processor=ALL)
    frames = [df, df.assign(cls=ALL), by_kind, by_kind.assign(cls=ALL)]
    out = _wait_stats(pd.concat(frames, ignore_index=True), ["processor", "kind", "cls"])
    out["target_s"] = out["kind"].map(targets).astype(float)
    return out[cols]


def time_in_system(travelers: pd.DataFrame) -> pd.DataFrame:
    """Exit minus arrival of travelers who left, per class and over all (``cls == 'all'``)."""
    done = travelers.dropna(subset=["exit_t", "arrive_t"])
    df = pd.DataFrame({"cls": done["cls"], "tis": done["exit_t"] - done["arrive_t"]})
    df = pd.concat([df, df.assign(cls=ALL)], ignore_index=True)
    g = df.groupby("cls", sort=True)["tis"]
    out = g.agg(n="count", mean_s="mean", max_s="max")
    q = g.quantile([0.5, 0.95]).unstack() if len(df) else pd.DataFrame({0.5: [], 0.95: []})
    out["p50_s"], out["p95_s"] = q.get(0.5), q.get(0.95)
    return out.reset_index()[["cls", "n", "mean_s", "p50_s", "p95_s", "max_s"]]


def utilisation(visits: pd.DataFrame, capacity: pd.DataFrame, kinds: dict[str, str],
                horizon: float) -> pd.DataFrame:
    """Busy processor-seconds over open processor-seconds within [0, horizon], per group.

    A processor told to close finishes its traveler first, so a group can briefly be busier
    than its open count: utilisation can exceed 1 by that drain time.
    """
    served = visits[visits["processor"].isin(kinds) & visits["start_t"].notna()]
    busy_t = served["end_t"].fillna(horizon).clip(upper=horizon) - served["start_t"]
    busy = busy_t.clip(lower=0).groupby(served["processor"]).sum()
    rows = []
    for proc, kind in kinds.items():
        cap = capacity[capacity["processor"] == proc]
        t, v = _level_arrays(cap, "open", horizon)
        open_s = float(_integral_at(t, v, np.array([horizon]))[0])
        b = float(busy.get(proc, 0.0))
        rows.append((proc, kind, b, open_s, b / open_s if open_s > 0 else math.nan))
    return pd.DataFrame(rows, columns=["processor", "kind", "busy_s", "open_s", "utilisation"])


def throughput(visits: pd.DataFrame, travelers: pd.DataFrame, kinds: dict[str, str],
               horizon: float) -> pd.DataFrame:
    """Services ended per hour of the run per group; ``exit``: travelers leaving per hour."""
    hours = max(1, math.ceil(horizon / 3600))
    ends = visits[visits["processor"].isin(kinds)].dropna(subset=["end_t"])
    ends = pd.concat([
        pd.DataFrame({"processor": ends["processor"], "t": ends["end_t"]}),
        pd.DataFrame({"processor": "exit", "t": travelers["exit_t"].dropna()}),
    ], ignore_index=True)
    ends["hour"] = (ends["t"] // 3600).astype(int).clip(upper=hours - 1)
    counts = ends.groupby(["processor", "hour"]).size()
    procs = list(kinds) + ["exit"]
    idx = pd.MultiIndex.from_product([procs, range(hours)], names=["processor", "hour"])
    out = counts.reindex(idx, fill_value=0).rename("served").reset_index()
    out.insert(1, "kind", out["processor"].map({**kinds, "exit": "exit"}))
    return out


def egate_referral_rate(egate_transactions: pd.DataFrame) -> float:
    """Share of e-gate attempts that did not pass (rejects and failures to acquire)."""
    if egate_transactions.empty:
        return math.nan
    return float((egate_transactions["outcome"] != "pass").mean())


@dataclass(frozen=True)
class SpaceZone:
    zone: str
    kind: str
    area_m2: float
    low_m2: float
    high_m2: float


def space_zones(s: Scenario) -> list[SpaceZone]:
    """Zones with a level-of-service space band (hall and reclaim by default)."""
    bands = s.level_of_service.space
    return [SpaceZone(z.id, z.kind.value, z.area_m2, bands[z.kind.value].low_m2,
                      bands[z.kind.value].high_m2)
            for z in s.terminal.zones if z.kind.value in bands]


def space_status(m2_per_pax: np.ndarray, low: float, high: float) -> np.ndarray:
    """IATA ADRM words: above the band over-design, inside optimum, below sub-optimum."""
    return np.select([~np.isfinite(m2_per_pax), m2_per_pax > high, m2_per_pax >= low],
                     ["empty", "over-design", "optimum"], "sub-optimum")


def space(occupancy: pd.DataFrame, zones: list[SpaceZone], horizon: float,
          bin_s: float = BIN_S) -> pd.DataFrame:
    """m² per traveler in each banded zone over time (time-weighted mean count per bin)."""
    cols = ["zone", "zone_kind", "t", "travelers", "m2_per_pax", "band_low_m2", "band_high_m2",
            "status"]
    parts = []
    for z in zones:
        occ = occupancy[occupancy["zone"] == z.zone]
        series = level_series(occ.assign(zone=z.zone), "zone", "count", horizon, bin_s)
        if series.empty:
            series = level_series(pd.DataFrame({"zone": [z.zone], "t": [0.0], "count": [0]}),
                                  "zone", "count", horizon, bin_s)
        n = series["count"].to_numpy(float)
        with np.errstate(divide="ignore"):
            m2 = np.where(n > 0, z.area_m2 / np.where(n > 0, n, 1), np.inf)
        parts.append(pd.DataFrame({
            "zone": z.zone, "zone_kind": z.kind, "t": series["t"], "travelers": n,
            "m2_per_pax": m2, "band_low_m2": z.low_m2, "band_high_m2": z.high_m2,
            "status": space_status(m2, z.low_m2, z.high_m2)}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


# --- one replication's tables, its headline, and the summary over replications -------------
def processor_kinds(s: Scenario) -> dict[str, str]:
    imm = s.immigration
    kinds = {b.id: "egate" for b in imm.egate_banks}
    kinds.update({d.id: "desk" for d in imm.desks})
    kinds["customs"] = "customs"
    return kinds


def wait_targets(s: Scenario) -> dict[str, float]:
    return {kind: t.max_wait_s for kind, t in s.level_of_service.waits.items()}


def kpi_tables(records: dict[str, pd.DataFrame], s: Scenario,
               horizon: float | None = None) -> dict[str, pd.DataFrame]:
    """Every KPI table of one replication (names without the ``kpi_`` prefix)."""
    horizon = horizon or s.horizon_s
    kinds = processor_kinds(s)
    visits = records["visits"]
    queue = level_stats(records["queue_lengths"], "processor", "length", horizon)
    queue = pd.DataFrame({"processor": list(kinds)}).merge(queue, how="left").fillna(0.0)
    queue.insert(1, "kind", queue["processor"].map(kinds))
    series = level_series(records["queue_lengths"], "processor", "length", horizon)
    series.insert(1, "kind", series["processor"].map(kinds))
    return {
        "waits": waits(visits, horizon, wait_targets(s)),
        "queues": queue.rename(columns={"mean": "mean_length", "max": "max_length"}),
        "queue_series": series,
        "utilisation": utilisation(visits, records["capacity"], kinds, horizon),
        "throughput": throughput(visits, records["travelers"], kinds, horizon),
        "time_in_system": time_in_system(records["travelers"]),
        "space": space(records["occupancy"], space_zones(s), horizon),
    }


# name → (unit, description); the order is the order of summary tables.
HEADLINE: dict[str, tuple[str, str]] = {
    "travelers_arrived": ("pax", "travelers who stepped off their aircraft within the horizon"),
    "travelers_exited": ("pax", "travelers who reached the landside exit"),
    "time_in_system_mean_s": ("s", "mean time from aircraft door to exit (exited travelers)"),
    "time_in_system_p95_s": ("s", "95th percentile time from aircraft door to exit"),
    "immigration_wait_mean_s": ("s", "mean total queueing per traveler at immigration "
                                     "(e-gate plus desk after a referral)"),
    "immigration_wait_p95_s": ("s", "95th percentile total immigration queueing per traveler"),
    "egate_wait_p95_s": ("s", "95th percentile e-gate queue wait"),
    "desk_wait_mean_s": ("s", "mean manual-desk queue wait"),
    "desk_wait_p95_s": ("s", "95th percentile manual-desk queue wait"),
    "desk_wait_max_s": ("s", "longest manual-desk queue wait"),
    "customs_wait_p95_s": ("s", "95th percentile customs inspection queue wait"),
    "los_share_egate": ("share", "share of e-gate waits within the level-of-service target"),
    "los_share_desk": ("share", "share of desk waits within the level-of-service target"),
    "egate_referral_rate": ("share", "share of e-gate attempts referred to a desk"),
    "egate_utilisation": ("share", "busy over open time, all e-gates"),
    "desk_utilisation": ("share", "busy over open time, all desks"),
    "desk_queue_max": ("pax", "longest desk queue (any desk group)"),
    "hall_m2_per_pax_min": ("m2", "least m² per traveler in the immigration hall "
                                  "(5-minute means)"),
    "hall_time_sub_optimum_share": ("share", "share of the horizon with the hall below its "
                                             "space band (sub-optimum)"),
    "reclaim_m2_per_pax_min": ("m2", "least m² per traveler in baggage reclaim "
                                     "(5-minute means)"),
    "exits_peak_hour": ("pax/h", "most travelers leaving in one hour of the run"),
}


def _pick(df: pd.DataFrame, column: str, **where) -> float:
    mask = np.ones(len(df), bool)
    for k, v in where.items():
        mask &= (df[k] == v).to_numpy()
    vals = df.loc[mask, column]
    return float(vals.iloc[0]) if len(vals) else math.nan


def headline(records: dict[str, pd.DataFrame], kpis: dict[str, pd.DataFrame],
             s: Scenario, horizon: float | None = None) -> dict[str, float]:
    """The scalar metrics of one replication, keyed as in :data:`HEADLINE`."""
    horizon = horizon or s.horizon_s
    tr, visits, w = records["travelers"], records["visits"], kpis["waits"]
    imm = visits[visits["kind"].isin(["egate", "desk"])]
    imm_wait = visit_waits(imm, horizon).groupby(imm["traveler_id"]).sum()
    util = kpis["utilisation"].groupby("kind")[["busy_s", "open_s"]].sum()

    def kind_util(kind):
        if kind not in util.index or util.loc[kind, "open_s"] <= 0:
            return math.nan
        return float(util.loc[kind, "busy_s"] / util.loc[kind, "open_s"])

    sp = kpis["space"]
    hall_zone = s.zone_of_kind(ZoneKind.immigration_hall)
    hall_band = s.level_of_service.space.get(ZoneKind.immigration_hall.value)
    hall_sub = math.nan
    if hall_band is not None:
        occ = records["occupancy"]
        hall_sub = time_above(occ[occ["zone"] == hall_zone.id], "count",
                              hall_zone.area_m2 / hall_band.low_m2, horizon)
    thr = kpis["throughput"]
    out = {
        "travelers_arrived": float(tr["arrive_t"].notna().sum()),
        "travelers_exited": float(tr["exit_t"].notna().sum()),
        "time_in_system_mean_s": _pick(kpis["time_in_system"], "mean_s", cls=ALL),
        "time_in_system_p95_s": _pick(kpis["time_in_system"], "p95_s", cls=ALL),
        "immigration_wait_mean_s": float(imm_wait.mean()) if len(imm_wait) else math.nan,
        "immigration_wait_p95_s": float(imm_wait.quantile(0.95)) if len(imm_wait) else math.nan,
        "egate_wait_p95_s": _pick(w, "p95_s", processor=ALL, kind="egate", cls=ALL),
        "desk_wait_mean_s": _pick(w, "mean_s", processor=ALL, kind="desk", cls=ALL),
        "desk_wait_p95_s": _pick(w, "p95_s", processor=ALL, kind="desk", cls=ALL),
        "desk_wait_max_s": _pick(w, "max_s", processor=ALL, kind="desk", cls=ALL),
        "customs_wait_p95_s": _pick(w, "p95_s", processor=ALL, kind="customs", cls=ALL),
        "los_share_egate": _pick(w, "within_target", processor=ALL, kind="egate", cls=ALL),
        "los_share_desk": _pick(w, "within_target", processor=ALL, kind="desk", cls=ALL),
        "egate_referral_rate": egate_referral_rate(records["egate_transactions"]),
        "egate_utilisation": kind_util("egate"),
        "desk_utilisation": kind_util("desk"),
        "desk_queue_max": float(kpis["queues"].query("kind == 'desk'")["max_length"].max()),
        "hall_m2_per_pax_min": float(sp.loc[sp["zone_kind"] == "immigration_hall",
                                            "m2_per_pax"].min()),
        "hall_time_sub_optimum_share": hall_sub,
        "reclaim_m2_per_pax_min": float(sp.loc[sp["zone_kind"] == "baggage_reclaim",
                                               "m2_per_pax"].min()),
        "exits_peak_hour": float(thr.loc[thr["processor"] == "exit", "served"].max()),
    }
    return out


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float, float, int]:
    """Mean, CI low, CI high, sample sd and n of the finite values (t-distribution interval).
    One value or no spread: the interval collapses to the mean."""
    x = np.asarray([v for v in values if v is not None and np.isfinite(v)], float)
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n == 1:
        return mean, mean, mean, math.nan, 1
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n))
    return mean, mean - half, mean + half, sd, n


def summarise(per_replication: pd.DataFrame) -> pd.DataFrame:
    """One row per headline metric: mean with its 95% CI over the replications."""
    rows = []
    for name, (unit, desc) in HEADLINE.items():
        if name in per_replication:
            mean, lo, hi, sd, n = mean_ci(per_replication[name].to_numpy(float))
            rows.append((name, unit, mean, lo, hi, sd, n, desc))
    return pd.DataFrame(rows, columns=["metric", "unit", "mean", "ci_low", "ci_high", "sd", "n",
                                       "description"])
