"""``airtwin evaluate-tracking``: score a CCTV identification run folder against its ground
truth and write the metrics tables and ``cctv_report.md`` into it (through :mod:`outputs.run`).

Tables added: ``cctv_search_truth`` (each search with its true traveler), ``cctv_identification``
(FNIR at FPIR 1e-2/1e-3 and rank-1: all, per camera, per IPD band, per group; with policy and
gallery size), ``cctv_gallery_size`` (the same as the gallery grows), ``cctv_tracking`` (HOTA,
IDF1, MOTA, ID switches per camera), ``cctv_cross_camera`` (IDF1 over all cameras with journeys
as global ids) -- both over the persons in sight, and again over everyone in view
(``cctv_tracking_all``, ``cctv_cross_camera_all``) and with the filled rows of short gaps
(``cctv_tracking_filled``, ``cctv_cross_camera_filled``, :mod:`pipeline.cctv.gaps`) and, in a
run with its fragments stitched, under the stitched ids (``cctv_tracking_stitched``,
``cctv_cross_camera_stitched``, :mod:`pipeline.cctv.stitch`), ``cctv_reach`` (share identified
by group and consent, arrival to first identification), ``cctv_false_ids`` (per hour and
camera-hour), ``cctv_latency`` (face to identification p50/p95), ``cctv_realtime`` (processing
rate against fps).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.cctv_reach import (false_identifications, gallery_size_sweep,
                                    identification_latency, realtime, surveillance_reach)
from experiments.cctv_run import evaluate
from experiments.cctv_sources import GROUP_COLUMNS
from pipeline.cctv.metrics import MIN_VISIBLE, max_min_ratio

RECORD_TABLES = ["cctv_tracks", "cctv_truth", "cctv_searches", "cctv_frames", "journeys",
                 "cctv_gallery", "cctv_travelers", "cctv_cameras"]
REPORT = "cctv_report.md"


@dataclass(frozen=True)
class GalleryInfo:
    """What the evaluation needs of a run's gallery (read back from the run folder)."""
    policy: str
    size: int
    traveler_of: dict  # listed template id -> traveler id


def evaluate_run(run: str | Path) -> tuple[dict[str, pd.DataFrame], str]:
    from outputs.run import RunFolderError, add_report, add_tables, load_run

    r = load_run(run, tables=None)
    missing = [t for t in RECORD_TABLES if t not in r.tables]
    if missing or "cctv" not in r.summary:
        raise RunFolderError(f"{run}: not a CCTV identification run (missing "
                             f"{', '.join(missing) or 'summary cctv section'}); make one with "
                             f"airtwin identify-cctv")
    meta = r.summary["cctv"]
    gal = r["cctv_gallery"]
    info = GalleryInfo(meta["policy"], int(meta["gallery_size"]),
                       dict(zip(gal["template_id"], gal["traveler_id"].astype(int))))
    travelers = r["cctv_travelers"]
    groups = travelers[["traveler_id", *GROUP_COLUMNS, "consent"]]
    tables = {k: r[k] for k in RECORD_TABLES}
    if "journeys_stitched" in r.tables:  # a run with its fragments stitched
        tables["journeys_stitched"] = r["journeys_stitched"]
    out = evaluate(tables, info, groups)
    s = out["cctv_search_truth"]
    raw = r["cctv_searches"]
    s["claimed_traveler"] = [int(info.traveler_of.get(ids[0], -1)) if len(ids) else -1
                             for ids in raw["candidate_ids"]]
    out["cctv_search_truth"] = s
    truth, cams = r["cctv_truth"], r["cctv_cameras"]
    span = float(truth["frame"].max() - truth["frame"].min()) + 1 / float(cams["fps"].min()) \
        if len(truth) else 0.0
    out["cctv_reach"] = surveillance_reach(s, truth, travelers)
    out["cctv_false_ids"] = pd.DataFrame([false_identifications(s, cams, span)])
    out["cctv_latency"] = identification_latency(s, truth)
    out["cctv_realtime"] = realtime(r["cctv_frames"], cams)
    mates = {int(tr): tid for tid, tr in info.traveler_of.items()}
    sweep = s.assign(listed_ids=raw["listed_ids"].to_numpy(),
                     listed_scores=raw["listed_scores"].to_numpy(),
                     extra_max=raw["extra_max"].to_numpy())
    out["cctv_gallery_size"] = gallery_size_sweep(
        sweep, meta["sweep_sizes"], int(meta["listed"]), mates, run_threshold(meta)) \
        .assign(policy=meta["policy"])
    text = report_markdown(out, meta, str(run))
    add_tables(run, out)
    add_report(run, REPORT, text)
    return out, text


def run_threshold(meta: dict):
    """The run's decision threshold: the fixed one, or the rule that set it for the gallery's
    size (a :class:`pipeline.cctv.operating.SizedThreshold`; the size sweep applies it at each
    swept size)."""
    from pipeline.cctv.operating import SizedThreshold

    rule = meta.get("threshold_rule")
    return SizedThreshold(**rule) if rule else float(meta["threshold"])


def headline(out: dict[str, pd.DataFrame]) -> dict:
    """The few figures a command line or a policy comparison shows for one evaluated run."""
    ident = out["cctv_identification"]
    row = ident[ident["by"] == "all"].iloc[0]
    reach = out["cctv_reach"].iloc[0]
    false = out["cctv_false_ids"].iloc[0]
    return {"rank1": float(row["rank1"]), "fnir_at_fpir_1e-2": float(row["fnir_at_fpir_1e-2"]),
            "fnir_at_fpir_1e-3": float(row["fnir_at_fpir_1e-3"]),
            "n_mated": int(row["n_mated"]), "n_nonmated": int(row["n_nonmated"]),
            "share_identified": float(reach["share_identified"]),
            "travelers": int(reach["travelers"]),
            "false_identifications": int(false["false_identifications"]),
            "false_ids_per_hour": float(false["false_ids_per_hour"]),
            "cross_camera_idf1": float(out["cctv_cross_camera"].iloc[0]["IDF1"]),
            "cross_camera_idf1_filled": float(out["cctv_cross_camera_filled"].iloc[0]["IDF1"]),
            "filled_rows": int(out["cctv_tracking_filled"]["filled_rows"].sum()),
            **({"cross_camera_idf1_stitched": float(out["cctv_cross_camera_stitched"].iloc[0][
                "IDF1"]), "joins": int(out["cctv_tracking_stitched"]["joins"].sum())}
               if "cctv_cross_camera_stitched" in out else {})}


def _f(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "NO"
    if isinstance(v, (float, np.floating)):
        return f"{v:.{digits}f}"
    return str(v)


def _md(df: pd.DataFrame, cols: list[str]) -> str:
    cols = [c for c in cols if c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(_f(v) for v in row) + " |"
              for row in df[cols].itertuples(index=False)]
    return "\n".join(lines)


def policy_banner(meta: dict) -> str:
    if meta.get("marked"):
        return (f"> **MASS-ENROLMENT POLICY: `{meta['policy']}`.** This run searched "
                f"{meta['gallery_size']:,} enrolled identities, not a watchlist: everyone "
                f"{'on the arriving flights' if meta['policy'] == 'manifest' else 'on the manifest plus ' + format(meta['extra'], ',') + ' extra people'}"
                f" could be named by the cameras.")
    return (f"Gallery policy: `watchlist` (the default): only {meta['gallery_size']:,} listed "
            f"identities are searchable.")


def fpir_note(n_nonmated: int, holds: str) -> list[str]:
    """Report lines saying when too few non-mated searches stand behind FPIR 1e-2 / 1e-3."""
    if n_nonmated >= 1000:
        return []
    return [f"Note: FPIR 1e-3 needs at least 1,000 non-mated searches and 1e-2 at least 100; "
            f"{holds} {n_nonmated}, so a threshold with fewer behind it sits just above the "
            f"highest non-mated scores and its FNIR is optimistic. Pool more runs (`airtwin "
            f"evaluate-tracking RUN... --pool OUT`), travelers or cameras for figures to "
            f"quote.", ""]


FILLED_COLUMNS = ["camera", "IDF1", "IDF1 filled", "IDF1 stitched", "HOTA", "HOTA filled",
                  "HOTA stitched", "MOTA", "MOTA filled", "MOTA stitched", "filled_rows",
                  "joins"]


def filled_side_by_side(out: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per camera and across cameras: IDF1 / HOTA / MOTA of the tracker's own rows beside the
    same with the filled rows, and how many rows were filled; in a run with its fragments
    stitched (:mod:`pipeline.cctv.stitch`) also the same under the stitched ids and how many
    fragments were joined."""
    own = out["cctv_tracking"].set_index("camera")
    variants = [("filled", "filled_rows")] + (
        [("stitched", "joins")] if "cctv_tracking_stitched" in out else [])
    t = pd.DataFrame({"camera": own.index})
    cross = {"camera": "cross-camera", "IDF1": float(out["cctv_cross_camera"]["IDF1"].iloc[0])}
    for name, count in variants:
        v = out[f"cctv_tracking_{name}"].set_index("camera").loc[own.index]
        for k in ("IDF1", "HOTA", "MOTA"):
            t[k] = own[k].to_numpy()
            t[f"{k} {name}"] = v[k].to_numpy()
        t[count] = v[count].to_numpy()
        cross[f"IDF1 {name}"] = float(out[f"cctv_cross_camera_{name}"]["IDF1"].iloc[0])
        cross[count] = int(t[count].sum())
    t = pd.concat([t, pd.DataFrame([cross])], ignore_index=True)
    return t.astype({c: "Int64" for _, c in variants})


def report_markdown(out: dict[str, pd.DataFrame], meta: dict, run: str) -> str:
    ident = out["cctv_identification"]
    fpir = [c for c in ident.columns if c.startswith("fnir_at_fpir")]
    cols = ["by", "camera", "ipd_band", *GROUP_COLUMNS, "consent", "n_mated", "n_nonmated",
            "rank1", *fpir]
    parts = [f"# CCTV identification: {meta['source_name']} ({meta['gallery_label']})", "",
             policy_banner(meta), "",
             f"Run `{run}`; source {meta['source']}; backend {meta['backend']} "
             f"({meta['embedder']}); decision threshold {meta['threshold']:.3f} "
             f"({meta['threshold_source']}); cameras {', '.join(meta['cameras'])}; "
             f"{meta.get('excluded_no_consent', 0)} non-consenting travelers kept out of the "
             f"gallery; failed to enrol (no face found in the enrolment photo): "
             f"{len(meta.get('failed_to_enrol', []))}.", "",
             "## Identification (NIST FRTE style; per search of a track's aggregated template)",
             "", _md(ident, cols), ""]
    n_non = int(ident.loc[ident["by"] == "all", "n_nonmated"].iloc[0]) if len(ident) else 0
    parts += fpir_note(n_non, "this run has")
    for g in GROUP_COLUMNS:
        sub = ident[ident["by"] == g]
        if len(sub):
            parts.append(f"- {g}: rank-1 max/min ratio {_f(max_min_ratio(sub['rank1']), 2)}")
    parts += ["", "## False identifications as the gallery grows", "",
              _md(out["cctv_gallery_size"], ["policy", "n_extra", "gallery_size", "searches",
                                             "rank1", *fpir, "false_identifications",
                                             "fpir_at_threshold", "fnir_at_threshold"]), "",
              "## Surveillance reach", "",
              _md(out["cctv_reach"], ["by", "group", "travelers", "identified",
                                      "share_identified", "to_first_id_p50_s",
                                      "to_first_id_p95_s"]), "",
              _md(out["cctv_false_ids"], ["identifications", "correct", "false_identifications",
                                          "false_ids_per_hour", "false_ids_per_camera_hour"]),
              "", "## Tracking (MOTChallenge style, trackers.eval)", "",
              f"Persons in sight (at least {MIN_VISIBLE:.0%} of the body box not behind nearer "
              f"people; those more hidden are \"don't care\": a track on one is neither a hit "
              f"nor a false positive):", "",
              _md(out["cctv_tracking"], ["camera", "HOTA", "IDF1", "MOTA", "ID_switches",
                                         "gt_ids", "tracker_ids"]), "",
              _md(out["cctv_cross_camera"], ["IDF1", "IDP", "IDR", "gt_ids", "journeys"]), "",
              f"The same persons in sight without and with the rows of tracks' short gaps "
              f"filled after the run (up to {_f(meta.get('max_gap_s', 0.0), 1)} s, "
              f"`cctv_tracks.filled`; a filled row on the wrong person or on nobody counts as a "
              f"false positive)"
              + ("; stitched: those rows under the ids of the run's fragments stitched after "
                 "the run (`cctv_tracks.stitched_id`, journeys linked again on the stitched "
                 "tracks; a join of two people counts as what it costs)"
                 if "cctv_tracking_stitched" in out else "") + ":", "",
              _md(filled_side_by_side(out), FILLED_COLUMNS), "",
              "Everyone in view, however hidden:", "",
              _md(out["cctv_tracking_all"], ["camera", "HOTA", "IDF1", "MOTA", "ID_switches",
                                             "gt_ids", "tracker_ids"]), "",
              _md(out["cctv_cross_camera_all"], ["IDF1", "IDP", "IDR", "gt_ids", "journeys"]),
              "",
              "## Real time", "",
              _md(out["cctv_latency"], ["camera", "identified", "latency_p50_s",
                                        "latency_p95_s"]), "",
              _md(out["cctv_realtime"], ["camera", "frames", "cpu_s", "processing_s",
                                         "frames_per_s", "fps", "realtime_factor",
                                         "wall_realtime_factor", "keeps_up"]), ""]
    return "\n".join(parts)
