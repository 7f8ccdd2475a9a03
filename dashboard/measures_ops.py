"""The engineer's and stakeholder's figures as tables: stage latencies, error rates by
demographic group, alerts, and the service's privacy figures.

Error rates are computed by :mod:`pipeline.metrics` (NIST FRTE definitions); this module only
shapes the record tables into what those functions take. Nothing here imports Streamlit.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.metrics import DEMOGRAPHICS, identification_metrics, per_group, verification_metrics

STAGES = ("detect_s", "align_s", "embed_s", "match_s", "enrol_s", "total_s")


def _percentiles_ms(values: pd.Series) -> dict[str, float]:
    v = values.dropna().to_numpy(float) * 1000.0
    if not len(v):
        return {"n": 0, "mean_ms": math.nan, "p50_ms": math.nan, "p95_ms": math.nan,
                "p99_ms": math.nan}
    p50, p95, p99 = np.percentile(v, [50, 95, 99])
    return {"n": int(len(v)), "mean_ms": float(v.mean()), "p50_ms": float(p50),
            "p95_ms": float(p95), "p99_ms": float(p99)}


def stage_latencies(recognition: pd.DataFrame) -> pd.DataFrame:
    """stage, n, mean/p50/p95/p99 in ms, from a live run's ``recognition`` table (measured
    per e-gate attempt). ``total_s`` is the gate's whole recognizer time."""
    rows = [{"stage": c.removesuffix("_s"), **_percentiles_ms(recognition[c])}
            for c in STAGES if c in recognition]
    return pd.DataFrame(rows, columns=["stage", "n", "mean_ms", "p50_ms", "p95_ms", "p99_ms"])


def bench_stages(bench: dict) -> pd.DataFrame:
    """stage, p50_ms, p99_ms from ``airtwin bench pipeline --json`` output."""
    stages = bench.get("latency", {}).get("stages", {})
    rows = [{"stage": k, "p50_ms": v.get("p50_ms"), "p99_ms": v.get("p99_ms")}
            for k, v in stages.items() if isinstance(v, dict)]
    return pd.DataFrame(rows, columns=["stage", "p50_ms", "p99_ms"])


# --- error rates by demographic group ---------------------------------------------------------
def _with_demographics(df: pd.DataFrame, travelers: pd.DataFrame | None) -> pd.DataFrame:
    """Add the travelers' demographic columns a table lacks (joined per replication)."""
    missing = [c for c in DEMOGRAPHICS if c not in df]
    if not missing or travelers is None:
        return df
    keys = ["replication", "traveler_id"] if "replication" in df and "replication" in \
        travelers else ["traveler_id"]
    demo = travelers[[*keys, *missing]].drop_duplicates(keys)
    return df.merge(demo, on=keys, how="left")


def verification_by_group(recognition: pd.DataFrame, travelers: pd.DataFrame | None = None,
                          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(FTA, FNMR, FMR per attribute value, max/min ratio per attribute) of 1:1 attempts: a live
    run's ``recognition`` table, or e-gate transactions given ``genuine`` and ``decision``."""
    return per_group(_with_demographics(recognition, travelers), verification_metrics)


def egate_attempts(egate_transactions: pd.DataFrame) -> pd.DataFrame:
    """E-gate transactions as 1:1 attempts: every traveler presents their own passport
    (genuine), the outcome is the decision (pass | reject | fta)."""
    return egate_transactions.assign(genuine=True, decision=egate_transactions["outcome"])


def identification_by_group(searches: pd.DataFrame, travelers: pd.DataFrame | None = None,
                            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """FNIR, FPIR, rank-1 per attribute value of a live run's watchlist searches, at the
    threshold the run searched with."""
    threshold = float(searches["threshold"].dropna().iloc[0]) if "threshold" in searches and \
        searches["threshold"].notna().any() else math.inf
    return per_group(_with_demographics(searches, travelers),
                     lambda part: identification_metrics(part, threshold))


# --- alerts ---------------------------------------------------------------------------------
ALERT_COLUMNS = ["t", "source", "kind", "where", "detail"]


def alerts_timeline(danger_alerts: pd.DataFrame | None,
                    watchlist_hits: pd.DataFrame | None) -> pd.DataFrame:
    """One row per alert of either source: danger detection (camera, kind) and 1:N watchlist
    hits at the e-gates."""
    parts = []
    if danger_alerts is not None and len(danger_alerts):
        a = danger_alerts
        parts.append(pd.DataFrame({
            "t": a["t"].astype(float), "source": "danger detection",
            "kind": a["kind"].astype(str), "where": a.get("camera", "").astype(str),
            "detail": a["detail"].astype(str) if "detail" in a else ""}))
    if watchlist_hits is not None and len(watchlist_hits):
        h = watchlist_hits
        detail = [f"traveler {int(tid)} → {top} (score {s:.3f})" for tid, top, s in
                  zip(h["traveler_id"], h.get("top_id", ""), h.get("top_score", np.nan))]
        parts.append(pd.DataFrame({"t": h["time"].astype(float), "source": "watchlist",
                                   "kind": "watchlist hit", "where": "e-gates",
                                   "detail": detail}))
    if not parts:
        return pd.DataFrame(columns=ALERT_COLUMNS)
    return pd.concat(parts, ignore_index=True).sort_values("t", ignore_index=True)


def busiest_time(occupancy: pd.DataFrame, zone: str, replication: int = 0) -> float | None:
    """When ``zone`` held the most travelers in one replication (a camera's most telling
    moment); None when nobody was ever there."""
    d = occupancy[occupancy["zone"] == zone]
    if "replication" in d:
        d = d[d["replication"] == replication]
    if d.empty or d["count"].max() <= 0:
        return None
    return float(d.loc[d["count"].idxmax(), "t"])


# --- the service's privacy figures --------------------------------------------------------------
@dataclass(frozen=True)
class AuditFigures:
    entries: int
    chain: str  # "intact" or why it is broken
    events: dict[str, int]


def audit_figures(path: Path) -> AuditFigures:
    """Entries of a service audit log, the state of its hash chain, entries per event."""
    from pipeline.service.audit import verify_chain

    check = verify_chain(path)
    events: dict[str, int] = {}
    entries = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            entries += 1
            try:
                ev = json.loads(line).get("event", "?")
            except (ValueError, AttributeError):
                ev = "(unreadable)"
            events[str(ev)] = events.get(str(ev), 0) + 1
    return AuditFigures(entries, "intact" if check.ok else str(check), events)


def metric_values(exposition: str) -> dict[str, float]:
    """Sample name → value, summed over labels, from a Prometheus text exposition."""
    from prometheus_client.parser import text_string_to_metric_families

    out: dict[str, float] = {}
    for family in text_string_to_metric_families(exposition):
        for s in family.samples:
            out[s.name] = out.get(s.name, 0.0) + float(s.value)
    return out


def privacy_from_metrics(values: dict[str, float]) -> dict[str, float | None]:
    """Templates held and retention purges from the service's metrics, where it exports them."""
    purges = [v for k, v in values.items() if "purge" in k and k.endswith("_total")]
    return {"templates_held": values.get("airtwin_templates"),
            "retention_purges": sum(purges) if purges else None}
