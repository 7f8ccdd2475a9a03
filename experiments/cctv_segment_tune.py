"""Identity segments (:mod:`pipeline.cctv.aggregate`) measured on tune seeds: how often a track's
face changes person, and what ending the track there costs or gains.

    python -m experiments.cctv_segment_tune run scenarios/cctv_identification.yaml --seed 2 \\
        --from 1330 --to 1390 --cameras corridor_far,corridor_near,hall_entry \\
        --segment-cosine 0.3 --verify 1.0 --out runs/seg/s2_030
    python -m experiments.cctv_segment_tune faces runs/seg/s2_off runs/seg/s1_off
    python -m experiments.cctv_segment_tune failures runs/r21/c1 runs/r21/c2
    python -m experiments.cctv_segment_tune pairs runs/r21/c1 runs/r21/c2
    python -m experiments.cctv_segment_tune compare corridor_far:runs/s20m/id1:runs/r21/c1

``run`` is ``airtwin identify-cctv --gallery manifest --backend insightface --holdout 0.5`` plus
``evaluate-tracking`` with the aggregation settings given (refuses the held-out seeds 101-103).
``faces`` reads runs' ``cctv_faces`` (each embedded face with its cosine to its track's earlier
faces) and ground truth: each face's true person (the person whose face box starts nearest to
the detected one, inside their body box), and whether it differs from the person of the track's
earlier faces (a track that moved onto another person). It prints, per cosine threshold, the
true changes it catches and the same-person faces it would split on. ``failures`` (evaluated
runs) sorts each failed mated search by what its track's embedded faces up to the search show
(:func:`search_kinds`) and prints rank-1 per IPD band and per kind. ``pairs`` prints the
cosine of each track's first two embedded faces, one person against two, per threshold (for
``AggregationConfig.consistent_min_cosine``). ``compare`` sets one camera of two runs of a seed
side by side (IDF1, rank-1 per IPD band, false matches, searches changed). ``run
--no-swaps``: the swap guard and links on probation off (the swap guard's replay:
``experiments/cctv_swap_tune.py``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.cctv_track_tune import HELD_OUT, window_args


def run(scenario: str, seed: int, window, cameras, fps: float, out: Path, segment: float | None,
        verify: float | None, one_person: float | None = None, swaps: bool = True) -> None:
    from dataclasses import replace

    from experiments.cctv_evaluate import evaluate_run, headline
    from experiments.cctv_identify import identify_cctv
    from experiments.cctv_sources import scenario_source
    from outputs.run import write_run
    from pipeline.cctv.aggregate import AggregationConfig

    if seed in HELD_OUT:
        raise SystemExit(f"--seed {seed} is held out; tune on seeds 1, 2, 3")
    source = scenario_source(scenario, seed, window, cameras, fps)
    agg = replace(AggregationConfig(), segment_min_cosine=segment, verify_interval_s=verify,
                  consistent_min_cosine=one_person)
    tables, meta = identify_cctv(source, "manifest", "insightface", 0, seed, None, True,
                                 holdout=0.5, aggregation=agg, swaps=swaps)
    path = write_run(out, tables, {"seed": seed, "gallery_policy": "manifest",
                                   "mass_enrolment_policy": meta["marked"], "cctv": meta},
                     source.describe_json())
    res, _ = evaluate_run(path)
    print(path, headline(res))


TIE_PX = 2.0  # face boxes whose left edges lie this close start together


def face_truth(faces: pd.DataFrame, truth: pd.DataFrame) -> pd.Series:
    """Each embedded face's true traveler (-1: none found): among the persons of that camera
    and frame with a face whose body box holds the face's centre, the one whose face box starts
    nearest the detected face's left edge (of two starting within :data:`TIE_PX`, the larger
    face: the nearer person, drawn over the other)."""
    at = dict(list(truth.groupby(["camera", "frame"])))
    out = []
    for f in faces.itertuples(index=False):
        g = at.get((f.camera, f.frame))
        if g is None:
            out.append(-1)
            continue
        cx, cy = (f.x1 + f.x2) / 2, (f.y1 + f.y2) / 2
        g = g[np.isfinite(g["face_x1"]) & (g["x1"] <= cx) & (cx <= g["x2"]) & (g["y1"] <= cy)
              & (cy <= g["y2"])]
        if g.empty:
            out.append(-1)
            continue
        d = (g["face_x1"] - f.x1).abs().to_numpy()
        # two faces starting together (one walker straight behind another): the nearer one,
        # the larger, is drawn over the other and is the face detected
        near = np.flatnonzero(d <= d.min() + TIE_PX)
        out.append(int(g["id"].iloc[near[int(g["ipd_px"].to_numpy()[near].argmax())]])
                   if d.min() < (f.x2 - f.x1) else -1)
    return pd.Series(out, index=faces.index)


def changes(run: Path) -> pd.DataFrame:
    """The run's embedded faces that were compared with their track (agreement not NaN), each
    with ``changed``: its true person differs from the most frequent one among the track's
    earlier faces (faces without a true person left out)."""
    from outputs.run import load_run

    r = load_run(run, tables=["cctv_faces", "cctv_truth"])
    f = r["cctv_faces"].copy()
    f["person"] = face_truth(f, r["cctv_truth"])
    rows = []
    for (_, _), g in f.sort_values("frame").groupby(["camera", "track_id"]):
        seen: list[int] = []
        for x in g.itertuples(index=False):
            if x.person >= 0 and seen and np.isfinite(x.agreement):
                major = max(set(seen), key=seen.count)
                rows.append({"camera": x.camera, "track_id": x.track_id, "frame": x.frame,
                             "ipd_px": x.ipd_px, "agreement": x.agreement,
                             "changed": x.person != major})
            if x.person >= 0:
                seen.append(x.person)
    return pd.DataFrame(rows)


def first_pairs(run: Path) -> pd.DataFrame:
    """The cosine of each track's first two embedded faces (the second face's agreement, when
    its track had one judgeable face before), with ``same``: both faces show one person (a
    sample of face-to-face cosines for :attr:`AggregationConfig.consistent_min_cosine`)."""
    from outputs.run import load_run

    r = load_run(run, tables=["cctv_faces", "cctv_truth"])
    f = r["cctv_faces"].copy()
    f["person"] = face_truth(f, r["cctv_truth"])
    rows = []
    for _, g in f.sort_values("frame").groupby(["camera", "track_id"]):
        if len(g) < 2:
            continue
        a, b = g.iloc[0], g.iloc[1]
        if a["person"] >= 0 and b["person"] >= 0 and np.isfinite(b["agreement"]):
            rows.append({"same": a["person"] == b["person"], "cosine": b["agreement"],
                         "ipd_px": min(a["ipd_px"], b["ipd_px"])})
    return pd.DataFrame(rows, columns=["same", "cosine", "ipd_px"])


def threshold_table(c: pd.DataFrame, thresholds) -> pd.DataFrame:
    rows = []
    for thr in thresholds:
        split = c["agreement"] < thr
        rows.append({"threshold": thr, "changes": int(c["changed"].sum()),
                     "caught": int((split & c["changed"]).sum()),
                     "same_person_faces": int((~c["changed"]).sum()),
                     "false_splits": int((split & ~c["changed"]).sum())})
    return pd.DataFrame(rows)


KINDS = {
    "clean": "every face up to the search shows the search's true traveler",
    "clean_then_change": "clean, and later faces of the track show another person",
    "mixed": "faces of the true traveler and of another person",
    "other_person": "every face shows another person than the track's true traveler (the "
                    "person its boxes overlap most)",
    "unknown": "no face with a true person",
}


def search_kinds(run: Path, held_out: bool = False) -> pd.DataFrame:
    """The run's mated searches (evaluated run: ``cctv_search_truth``), each with ``kind`` (one
    of :data:`KINDS`, from the true person of each of its track's embedded faces up to the
    search), ``ok`` (rank 1), ``claimed_in_track`` (the top candidate's traveler shows a face
    on the track) and ``ipd_band``. Refuses held-out runs (seeds 101-103) unless ``held_out``
    (scoring a frozen setting after the fact, never tuning)."""

    r = _tune_run(run, ["cctv_faces", "cctv_truth", "cctv_search_truth"], held_out)
    f = r["cctv_faces"].copy()
    f["person"] = face_truth(f, r["cctv_truth"])
    by_track = dict(list(f.groupby(["camera", "track_id"])))
    s = r["cctv_search_truth"]
    rows = []
    for x in s[s["mated"]].itertuples(index=False):
        tf = by_track.get((x.camera, x.track_id), f.iloc[:0])
        tf = tf[tf["person"] >= 0]
        now, later = tf[tf["frame"] <= x.t + 1e-6], tf[tf["frame"] > x.t + 1e-6]
        own = now["person"] == x.traveler_id
        if now.empty:
            kind = "unknown"
        elif own.all():
            kind = "clean" if (later["person"] == x.traveler_id).all() else "clean_then_change"
        else:
            kind = "mixed" if own.any() else "other_person"
        rows.append({"camera": x.camera, "track_id": x.track_id, "t": x.t, "search": x.search,
                     "best_ipd_px": x.best_ipd_px, "ipd_band": x.ipd_band,
                     "ok": x.mate_rank == 1, "mate_rank": x.mate_rank, "kind": kind,
                     "claimed_in_track": int(x.claimed_traveler) in set(tf["person"]),
                     "faces": len(now), "other_faces": int((~own).sum())})
    return pd.DataFrame(rows)


def span_truth(run: Path, held_out: bool = False) -> pd.DataFrame:
    """Every search of an evaluated run with a second truth: ``span_traveler``, the person the
    track's boxes overlap most (IoU >= 0.3 votes, as the run's truth) over the frames from its
    first face to the search only, i.e. the person it followed while it collected the faces
    it searched, where the run's truth votes over the track's whole life; ``span_mated`` and
    ``span_rank1`` score the search against it. A diagnostic: the run's metrics keep their
    truth."""
    from pipeline.vision.detections import iou_matrix

    r = _tune_run(run, ["cctv_tracks", "cctv_truth", "cctv_searches", "cctv_gallery",
                        "cctv_search_truth"], held_out)
    template_of = dict(zip(r["cctv_gallery"]["traveler_id"].astype(int),
                           r["cctv_gallery"]["template_id"]))
    tracks = dict(list(r["cctv_tracks"].groupby(["camera", "id"])))
    truth = dict(list(r["cctv_truth"].groupby(["camera", "frame"])))
    s = r["cctv_search_truth"].copy()
    span, rank1 = [], []
    for x, ids in zip(s.itertuples(index=False), r["cctv_searches"]["candidate_ids"]):
        h = tracks.get((x.camera, x.track_id))
        votes = []
        if h is not None:
            h = h[(h["frame"] >= x.first_face_t - 1e-6) & (h["frame"] <= x.t + 1e-6)]
            for fr, hh in h.groupby("frame"):
                g = truth.get((x.camera, fr))
                if g is None or g.empty:
                    continue
                o = iou_matrix(hh[["x1", "y1", "x2", "y2"]].to_numpy(float),
                         g[["x1", "y1", "x2", "y2"]].to_numpy(float))[0]
                if o.max() >= 0.3:
                    votes.append(int(g["id"].iloc[int(o.argmax())]))
        who = pd.Series(votes).mode().iloc[0] if votes else -1
        span.append(int(who))
        rank1.append(len(ids) > 0 and template_of.get(int(who)) == ids[0])
    s["span_traveler"] = span
    s["span_mated"] = [t in template_of for t in span]
    s["span_rank1"] = rank1
    return s


def failures_report(runs: list[Path], cameras: list[str] | None = None,
                    held_out: bool = False) -> str:
    d = pd.concat([search_kinds(p, held_out).assign(run=str(p)) for p in runs], ignore_index=True)
    if cameras:
        d = d[d["camera"].isin(cameras)]
    d["ipd_ge_40"] = d["best_ipd_px"] >= 40
    out = ["rank-1 per IPD band (mated searches):",
           d.groupby("ipd_band")["ok"].agg(rank1="mean", ok="sum", n="count").round(3)
           .to_string(),
           "rank-1 at IPD >= 40: " + f"{int(d[d.ipd_ge_40].ok.sum())} of {int(d.ipd_ge_40.sum())}",
           "mated searches per kind (IPD >= 40, ok):",
           pd.crosstab([d["ipd_ge_40"], d["kind"]], d["ok"]).to_string(),
           "failed mated searches:",
           d[~d["ok"]].drop(columns=["ok"]).round(2).to_string(index=False)]
    t = pd.concat([span_truth(p, held_out) for p in runs], ignore_index=True)
    if cameras:
        t = t[t["camera"].isin(cameras)]
    m = t[t["span_mated"]]
    ge40 = m["best_ipd_px"] >= 40
    out += ["diagnostic, truth = the person followed from the track's first face to the search "
            "(span_truth):",
            f"  searches whose truth changes: {int((t['span_traveler'] != t['traveler_id']).sum())}"
            f" of {len(t)}; mated {int(t['mated'].sum())} -> {len(m)}",
            f"  rank-1 {m['span_rank1'].mean():.3f} ({int(m['span_rank1'].sum())} of {len(m)}); "
            f"at IPD >= 40: {int(m[ge40]['span_rank1'].sum())} of {int(ge40.sum())}"]
    return "\n".join(out)


def _tune_run(run: Path, tables: list[str], held_out: bool = False):
    """An evaluated run's ``tables``; refuses a held-out seed (101-103) unless ``held_out``
    (scoring a frozen setting after the fact, never tuning)."""
    from outputs.run import load_run

    r = load_run(run, tables=tables)
    if int(r.summary.get("seed", -1)) in HELD_OUT and not held_out:
        raise SystemExit(f"{run}: seed {r.summary['seed']} is held out; tune on seeds 1, 2, 3")
    return r


def compare_row(camera: str, before: Path, after: Path) -> dict:
    """One camera of two evaluated runs of one seed (before, after): IDF1, rank-1 overall and
    per IPD band as "ok/mated", false matches and how many searches changed candidates."""

    out: dict = {"camera": camera}
    searches = []
    for tag, run in (("before", before), ("after", after)):
        r = _tune_run(run, ["cctv_tracking", "cctv_search_truth", "cctv_searches"])
        t = r["cctv_tracking"]
        s = r["cctv_search_truth"]
        s = s[s["camera"] == camera]
        m = s[s["mated"]]
        ok = m["mate_rank"] == 1
        band = m["ipd_band"].astype(str)
        out[f"IDF1_{tag}"] = round(float(t[t["camera"] == camera]["IDF1"].iloc[0]), 3)
        for name, sel in (("all", band == band), ("<20", band == "<20"), ("20-40", band == "20-40"),
                          (">=40", band.isin(["40-60", ">=60"]))):
            out[f"{name}_{tag}"] = f"{int((ok & sel).sum())}/{int(sel.sum())}"
        out[f"false_{tag}"] = int((~s["mated"] & s["matched"]).sum())
        c = r["cctv_searches"]
        searches.append(c[c["camera"] == camera].reset_index(drop=True))
    a, b = searches
    if len(a) != len(b):
        out["changed"] = f"{len(a)} -> {len(b)} searches"
    else:
        changed = sum(list(x) != list(y) or not np.allclose(p, q, atol=1e-5)
                      for x, y, p, q in zip(a["candidate_ids"], b["candidate_ids"],
                                            a["candidate_scores"], b["candidate_scores"]))
        out["changed"] = f"{changed} of {len(b)}"
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = window_args(sub.add_parser("run"))
    r.add_argument("--segment-cosine", type=float, default=None)
    r.add_argument("--verify", type=float, default=None)
    r.add_argument("--one-person", type=float, default=None,
                   help="AggregationConfig.consistent_min_cosine (default: off)")
    r.add_argument("--no-swaps", action="store_true",
                   help="the swap guard and links on probation off")
    r.add_argument("--out", type=Path, required=True)
    f = sub.add_parser("faces")
    f.add_argument("runs", nargs="+", type=Path)
    fl = sub.add_parser("failures")
    fl.add_argument("runs", nargs="+", type=Path)
    fl.add_argument("--cameras", default=None, help="comma-separated: only these cameras")
    fl.add_argument("--held-out-report", action="store_true",
                    help="also read held-out runs (101-103): scoring a frozen setting only")
    cp = sub.add_parser("compare", help="one camera of runs before and after a change")
    cp.add_argument("pairs", nargs="+", help="CAMERA:BEFORE_RUN:AFTER_RUN")
    pr = sub.add_parser("pairs")
    pr.add_argument("runs", nargs="+", type=Path)
    a = ap.parse_args(argv)
    if a.cmd == "compare":
        pd.set_option("display.width", 250)
        print(pd.DataFrame([compare_row(*p.split(":")) for p in a.pairs]).to_string(index=False))
        return
    if a.cmd == "pairs":
        d = pd.concat([first_pairs(p) for p in a.runs], ignore_index=True)
        print(d.groupby("same")["cosine"].describe().round(3).to_string())
        for thr in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55):
            below = d["cosine"] < thr
            print(f"{thr}: two people below {int((below & ~d['same']).sum())} of "
                  f"{int((~d['same']).sum())}, one person below {int((below & d['same']).sum())}"
                  f" of {int(d['same'].sum())}")
        return
    if a.cmd == "failures":
        pd.set_option("display.width", 200)
        print(failures_report(a.runs, a.cameras.split(",") if a.cameras else None,
                              a.held_out_report))
        return
    if a.cmd == "run":
        run(a.scenario, a.seed, (a.t_from, a.t_to), a.cameras.split(",") if a.cameras else None,
            a.fps, a.out, a.segment_cosine, a.verify, a.one_person, not a.no_swaps)
        return
    c = pd.concat([changes(p).assign(run=str(p)) for p in a.runs], ignore_index=True)
    pd.set_option("display.width", 200)
    print(c.groupby("changed")["agreement"].describe().round(3).to_string())
    print(threshold_table(c, [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]).to_string(
        index=False))


if __name__ == "__main__":
    main()
