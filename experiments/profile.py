"""``airtwin profile``: measure the pipeline on synthetic e-gate transactions and save the
result in the shape ``immigration.recognizer.profile_file`` loads (``json["profile"]``), so
full-day runs in ``profile`` mode behave like the measured recognizer.

A transaction is what a live e-gate does: extract the chip photo's template, capture and extract
the live face, compare. Latency is the measured time of all three. FMR comes from comparing each
live capture with the next identity's chip photo (an impostor holding someone else's passport).
Rates follow :class:`sim.verifier.ProfileVerifier`: ``fnmr`` is among acquired attempts, FTA
apart; the NIST-convention FNMR (FTA included) is saved beside it for the record.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from outputs.atomic import write_json
from pipeline.calibration import OperatingPoint
from pipeline.metrics import per_group, verification_metrics
from pipeline.recognizer import FTA, MATCH, Recognizer

PROFILE_SEED = 31_415  # keys (PROFILE_SEED, i): disjoint from calibration identities
_DECISION = {MATCH: "pass", FTA: "fta"}


def synthetic_transactions(recognizer: Recognizer, op: OperatingPoint, n: int,
                           seed: int = PROFILE_SEED,
                           progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """One genuine and one impostor row per transaction, with stage latencies. The photo is up
    to ten years old, as live mode draws it by default (:class:`sim.faces.ChangeSettings`)."""
    from sim.faces import make_identity
    from sim.faces.render import render_traveler

    enrol, probes, rows = [], [], []
    for i in range(n):
        idt = make_identity((seed, i))
        photo, (live,), _ = render_traveler(idt, (seed, i), 1)
        ref = recognizer.extract(photo.image)
        probe = recognizer.extract(live.image)
        enrol.append(ref)
        probes.append((idt, probe))
        if progress:
            progress(1)
    for i, (idt, probe) in enumerate(probes):
        for genuine, ref in ((True, enrol[i]), (False, enrol[(i + 1) % n])):
            if ref.vector is None:
                decision, score, lat = ("reject" if probe.acquired else "fta"), np.nan, probe.latency
            else:
                r = recognizer.compare(probe, ref.vector, op.threshold)
                decision, score, lat = _DECISION.get(r.outcome, "reject"), r.score, r.latency
            rows.append({"transaction": i, "genuine": genuine, "decision": decision,
                         "score": score, "detect_s": lat.detect_s, "align_s": lat.align_s,
                         "embed_s": lat.embed_s, "match_s": lat.match_s,
                         "enrol_s": ref.latency.total_s,
                         "latency_s": ref.latency.total_s + lat.total_s,
                         "skin_tone": idt.skin_tone, "age_band": idt.age_band,
                         "sex_presentation": idt.sex_presentation})
    return pd.DataFrame(rows)


def build_profile(table: pd.DataFrame, recognizer: Recognizer, backend: str,
                  op: OperatingPoint, seed: int = PROFILE_SEED) -> dict:
    m = verification_metrics(table)
    gen = table[table["genuine"]]
    groups, ratios = per_group(table, verification_metrics)
    stages = {c: {"p50": float(gen[c].median()), "p99": float(gen[c].quantile(0.99))}
              for c in ("detect_s", "align_s", "embed_s", "match_s", "enrol_s", "latency_s")}
    return {
        "profile": {
            "fta_rate": m["fta"],
            "fnmr": m["fnmr_acquired"],
            "fmr": m["fmr"],
            "latency": {"dist": "empirical",
                        "values": [round(float(v), 6) for v in gen["latency_s"]]},
        },
        "backend": backend, "model": recognizer.model, "detector": recognizer.detector.name,
        "threshold": op.threshold, "target_fmr": op.target_fmr, "calibrated": op.calibrated,
        "threshold_source": op.source, "n_transactions": int(len(gen)), "seed": seed,
        "fnmr_nist": m["fnmr"], "n_impostor": m["n_impostor"], "latency_stages": stages,
        "per_group": groups.to_dict(orient="records"),
        "max_min_ratios": ratios.to_dict(orient="records"),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def save_profile(profile: dict, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_json(path, profile)
