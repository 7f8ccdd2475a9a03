"""Offline stitching of a finished run's fragments within one camera, replayed on tune caches.

    python -m experiments.cctv_stitch_tune replay /work/runs/cctv-long/s1 \\
        [--grid "max_gap_s=10,20;min_appearance=0.5,0.6"] [--keep DIR] [--csv OUT.csv] \\
        [--chain "band=300;band_margin=60"]
    python -m experiments.cctv_stitch_tune cross RUN [RUN ...] [--grid ...] [--csv OUT.csv]

``replay``: each cached camera is replayed once through the stream's chain
(``experiments.cctv_corridor_tune.stream_track_camera``, shipped settings; ``--keep DIR`` keeps
the replayed tracks and each id's clothing histogram, the mean of its rows', there and reads them
back next time), then scored as ``airtwin evaluate-tracking`` scores (persons in sight) as the
tracker gave them (``own``), with its short gaps filled (``filled``, :mod:`pipeline.cctv.gaps`),
with the perfect stitching of the fragments that exist (``ceiling``: each id given its majority
person, a person's ids chained in time order where they do not overlap), and stitched
(:func:`pipeline.cctv.stitch.stitch`, at each ``--grid`` combination of
:class:`pipeline.cctv.stitch.StitchConfig` fields) without and with the gaps then filled across
the stitched ids (``stitched_filled``, with ``--across``) or only within the tracker's own ids
(``filled_then_stitched``, as a run does); ``joins`` / ``joins_wrong``: joins and those between two
different people (each id's majority person; unknown people not counted wrong).

``cross``: runs of ``airtwin identify-cctv`` (their stored tracks and track summaries): per
camera the stitching, then the cross-camera linker replayed on the stitched summaries
(:func:`pipeline.cctv.stitch.stitched_summaries`), cross-camera IDF1 beside the run's own.

Tune seeds only (the caches and runs refuse the held-out seeds).
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import numpy as np
import pandas as pd

COLS = ["frame", "id", "x1", "y1", "x2", "y2"]


def replayed(folders, cameras, keep: Path | None, chain: dict | None = None):
    """(seed, camera, tracks, looks, truth, people) per cached camera; ``people``: each row's
    true person (-1: none); ``chain``: replay options over the shipped chain (e.g. the far
    band, ``{"band": 300, "band_margin": 60}``)."""
    from experiments.cctv_corridor_tune import stream_track_camera
    from experiments.cctv_dwell_tune import row_people
    from experiments.cctv_track_tune import load, truth_of

    for folder in folders:
        for cam in load(folder, cameras):
            where = f"{Path(folder).parent.name}-{Path(folder).name}" + "".join(
                f"_{k}{v}" for k, v in sorted((chain or {}).items()))
            path = keep / f"s{cam['seed']}_{where}_{cam['camera']}.pkl" if keep else None
            if path is not None and path.exists():
                with open(path, "rb") as fh:
                    yield pickle.load(fh)
                continue
            hyp, _ = stream_track_camera(cam, chain)
            hists = list(hyp.attrs["hists"])
            hyp = hyp[COLS].reset_index(drop=True)
            looks = {}
            for tid, idx in hyp.groupby("id").groups.items():
                hs = [hists[i] for i in idx if hists[i] is not None]
                if hs:
                    m = np.mean(hs, axis=0)
                    looks[tid] = (m / max(float(m.sum()), 1e-12)).astype(np.float32)
            item = (cam["seed"], cam["camera"], hyp, looks, truth_of(cam), row_people(cam, hyp))
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "wb") as fh:
                    pickle.dump(item, fh)
            yield item


def majority(hyp: pd.DataFrame, people: np.ndarray) -> dict:
    """id -> its rows' most frequent true person (ids on nobody left out)."""
    p = pd.Series(people, index=hyp.index)
    on = p >= 0
    return p[on].groupby(hyp.loc[on, "id"]).agg(lambda s: int(s.mode().iloc[0])).to_dict()


def perfect(hyp: pd.DataFrame, who: dict) -> pd.Series:
    """Each row's id under the perfect stitching of the fragments that exist: a person's ids
    (``who``: id -> its majority person) chained in time order, an id overlapping the chain's
    last starting a new chain; ids on nobody keep theirs."""
    span = hyp.groupby("id")["frame"].agg(["min", "max"])
    root = {}
    for person, ids in pd.Series(who).groupby(pd.Series(who)):
        chains = []  # [root id, t_out]
        for tid in sorted(ids.index, key=lambda i: span.loc[i, "min"]):
            for ch in chains:
                if span.loc[tid, "min"] > ch[1]:
                    root[tid], ch[1] = ch[0], span.loc[tid, "max"]
                    break
            else:
                chains.append([tid, span.loc[tid, "max"]])
                root[tid] = tid
    return hyp["id"].map(lambda i: root.get(i, i))


def replay(folders, spec: str, cameras, keep: Path | None, chain: dict | None = None,
           across: bool = False) -> pd.DataFrame:
    from dataclasses import replace

    from experiments.cctv_track_tune import grid, score
    from pipeline.cctv.gaps import MAX_GAP_S, fill_gaps
    from pipeline.cctv.metrics import MIN_VISIBLE
    from pipeline.cctv.stitch import StitchConfig, stitch

    rows = []
    for seed, camera, hyp, looks, truth, people in replayed(folders, cameras, keep, chain):
        frames = pd.DataFrame({"frame": np.sort(truth["frame"].unique())})
        frames = pd.DataFrame({"frame": np.union1d(frames["frame"], hyp["frame"].unique())})
        key = {"seed": seed, "camera": camera,
               "in_sight": int(((1.0 - truth["occluded"].fillna(0.0)) >= MIN_VISIBLE).sum())}
        who = majority(hyp, people)

        def scored(variant, h, **extra):
            rows.append({**key, "variant": variant, **extra, **score(truth, h[COLS])})

        scored("own", hyp)
        scored("filled", fill_gaps(hyp, frames, MAX_GAP_S, by=()))
        scored("ceiling", hyp.assign(id=perfect(hyp, who)))
        for opts in grid(spec) if spec else [{}]:
            cfg = replace(StitchConfig(), **opts)
            s = stitch(hyp, cfg, looks, by=())
            joined = s[["id", "stitched_id"]].drop_duplicates()
            joined = joined[joined["id"] != joined["stitched_id"]]
            wrong = sum(who.get(a) is not None and who.get(b) is not None
                        and who.get(a) != who.get(b)
                        for a, b in zip(joined["id"], joined["stitched_id"]))
            extra = {**opts, "joins": len(joined), "joins_wrong": int(wrong)}
            st = s.assign(id=s["stitched_id"])[COLS]
            scored("stitched", st, **extra)
            if across:
                scored("stitched_filled", fill_gaps(st, frames, MAX_GAP_S, by=()), **extra)
            own_filled = fill_gaps(s, frames, MAX_GAP_S, by=())
            own_filled["stitched_id"] = own_filled["id"].map(
                dict(zip(s["id"], s["stitched_id"])))
            scored("filled_then_stitched", own_filled.assign(id=own_filled["stitched_id"]),
                   **extra)
    return pd.DataFrame(rows)


def cross(runs: list[Path], spec: str) -> pd.DataFrame:
    """Per run: cross-camera IDF1 of the run's own journeys replayed, and of the linker on the
    stitched summaries at each ``spec`` combination (module docstring), plus per-camera IDF1."""
    from dataclasses import replace

    from experiments.cctv_link_tune import centres_of, load, score_links
    from experiments.cctv_run import _track_truth, summaries_of
    from experiments.cctv_track_tune import grid
    from pipeline.cctv.journeys import LinkConfig
    from pipeline.cctv.metrics import MIN_VISIBLE, drop_dont_care, mot_metrics
    from pipeline.cctv.stitch import (StitchConfig, stitch, stitched_summaries,
                                      summary_looks)

    rows = []
    for path in runs:
        run = load(path)
        t = run["tracks"]
        t = t[~t["filled"].astype(bool)] if "filled" in t.columns else t
        t = t[["camera", *COLS]].reset_index(drop=True)
        summ = summaries_of(run["summaries"])
        who = _track_truth(t, run["truth"])
        centres = centres_of(run["cameras"])
        own, _ = score_links(summ, t, run["truth"], centres, who, LinkConfig(),
                             views=run["views"])
        rows.append({"run": str(path), "seed": run["seed"], "variant": "own", **own,
                     **_per_camera(run["truth"], t, MIN_VISIBLE, drop_dont_care, mot_metrics)})
        # the ceiling: each camera's fragments perfectly stitched, then the linker
        ceil = t.copy()
        for cam, idx in t.groupby("camera").groups.items():
            part = t.loc[idx]
            ceil.loc[idx, "stitched_id"] = perfect(
                part, {i: p for (c, i), p in who.items() if c == cam}).to_numpy()
        ceil["stitched_id"] = ceil["stitched_id"].astype(t["id"].dtype)
        variants = [("ceiling", {}, ceil)]
        looks, claims = summary_looks(summ)
        for opts in grid(spec) if spec else [{}]:
            variants.append(("stitched", opts, stitch(t, replace(StitchConfig(), **opts), looks,
                                                      claims)))
        for variant, opts, s in variants:
            st = s.assign(id=s["stitched_id"])[["camera", *COLS]]
            ssum = stitched_summaries(summ, s)
            swho = _track_truth(st, run["truth"])
            m, _ = score_links(ssum, st, run["truth"], centres, swho, LinkConfig(),
                               views=run["views"])
            joins = int((s[["camera", "id", "stitched_id"]].drop_duplicates()
                         .pipe(lambda d: d["id"] != d["stitched_id"])).sum())
            rows.append({"run": str(path), "seed": run["seed"], "variant": variant, **opts,
                         "joins": joins, **m,
                         **_per_camera(run["truth"], st, MIN_VISIBLE, drop_dont_care,
                                       mot_metrics)})
    return pd.DataFrame(rows)


def _per_camera(truth, tracks, min_visible, drop_dont_care, mot_metrics) -> dict:
    out = {}
    for cam in sorted(truth["camera"].unique()):
        g, h = drop_dont_care(truth[truth.camera == cam], tracks[tracks.camera == cam],
                              ["frame"], min_visible)
        out[f"IDF1_{cam}"] = mot_metrics(g[COLS], h[COLS])["IDF1"]
    return out


def main(argv=None) -> None:
    from experiments.cctv_corridor_tune import cache_parser

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = cache_parser(sub, "replay")
    p.add_argument("--keep", type=Path, default=None,
                   help="keep the replayed tracks here (and read them back)")
    p.add_argument("--chain", default="", help="replay options over the shipped chain, e.g. "
                   "\"band=300;band_margin=60\" (the far cameras' band)")
    p.add_argument("--across", action="store_true",
                   help="also fill the short gaps across the stitched ids")
    c = sub.add_parser("cross")
    c.add_argument("runs", nargs="+", type=Path)
    c.add_argument("--grid", default="")
    c.add_argument("--csv", type=Path, default=None)
    a = ap.parse_args(argv)
    pd.set_option("display.width", 250)
    if a.cmd == "replay":
        from experiments.cctv_track_tune import grid

        chain = grid(a.chain)[0] if a.chain else None
        t = replay(a.folders, a.grid, a.cameras.split(",") if a.cameras else None, a.keep, chain,
                   a.across)
    else:
        t = cross(a.runs, a.grid)
    if a.csv:
        t.to_csv(a.csv, index=False)
    drop = [c for c in t.columns if c in ("gt_ids", "tracker_ids", "IDP", "IDR", "DetA", "AssA")]
    print(t.drop(columns=drop).round(4).to_string(index=False))


if __name__ == "__main__":
    main()
