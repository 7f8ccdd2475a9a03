"""Each search of a ``cctv_rank1 run`` replayed from its recorded templates, and each failed
mated search at IPD >= 40 px traced (tune seeds only; the recording is scratch research data).

    python -m experiments.cctv_rank1_trace trace RUN --faces RUN.npz [--min-ipd 40]
    python -m experiments.cctv_rank1_trace rules RUN1:RUN1.npz RUN2:RUN2.npz

The replay feeds each track's embedded faces, in order, into a
:class:`pipeline.cctv.aggregate.TrackFaces` with the stream's settings and searches whenever
the stream would (:meth:`TrackFaces.wants_search` after a face joins), against the run's own
gallery templates; it checks that it reproduces the run's searches (time, number, top
candidate). ``trace`` prints, for each failed mated search, the faces the search used (IPD,
quality, true person, cosine with the traveler's enrolment template and with the one ranked
first), the mate's rank and score, and how the traveler's and the winner's enrolment templates
compare (a look-alike). ``rules`` scores other ways to make a track's probe from the same faces
(:data:`RULES`) per IPD band, searches unchanged in time and number.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.cctv.metrics import IPD_LABELS as BANDS  # the evaluation's own IPD bands
import pandas as pd

from experiments.cctv_track_tune import HELD_OUT
from pipeline.cctv.aggregate import AggregationConfig, TrackFace, TrackFaces
from pipeline.cctv.quality import FaceQuality


@dataclass(frozen=True)
class Recorded:
    """A run with its recorded templates: embedded faces (``faces``, one row per cctv_faces row,
    with ``person`` its true traveler), the gallery (``gallery_ids``, ``gallery_travelers``,
    ``gallery``: rows of templates), the evaluated searches (``searches``)."""
    faces: pd.DataFrame
    vectors: np.ndarray
    quality: list[FaceQuality]
    gallery_ids: list[str]
    gallery_travelers: np.ndarray
    gallery: np.ndarray
    searches: pd.DataFrame
    config: AggregationConfig


def load_recorded(run: Path, faces: Path, held_out: bool = False) -> Recorded:
    """A run of ``experiments.cctv_rank1 run --faces`` with its recording; refuses held-out
    seeds unless ``held_out`` (``cctv_rank1 report``: scoring a frozen setting, never tuning)."""
    from experiments.cctv_identify import enrolments_of, hold_out
    from experiments.cctv_segment_tune import face_truth
    from outputs.run import load_run

    r = load_run(run, tables=["cctv_faces", "cctv_truth", "cctv_search_truth", "cctv_gallery",
                              "cctv_travelers", "cctv_searches"])
    seed = int(r.summary["seed"])
    if seed in HELD_OUT and not held_out:
        raise SystemExit(f"{run}: seed {seed} is held out; tune seeds only")
    rec = np.load(faces)
    f = r["cctv_faces"].reset_index(drop=True)
    if len(f) != len(rec["frame_boxes"]) or not np.allclose(
            f[["x1", "y1", "x2", "y2"]].to_numpy(float), rec["frame_boxes"]):
        raise SystemExit(f"{faces}: its recorded faces are not {run}'s embedded faces")
    f["person"] = face_truth(f, r["cctv_truth"])
    cctv = r.summary["cctv"]
    enr = hold_out(enrolments_of(r["cctv_travelers"]), float(cctv["holdout"]), seed)
    enr = enr[~enr["traveler_id"].isin(cctv["failed_to_enrol"])].reset_index(drop=True)
    by_id = dict(zip(enr["template_id"], rec["enrol_vectors"]))
    g = r["cctv_gallery"]
    q = [FaceQuality(*map(float, row)) for row in rec["frame_quality"]]
    s = r["cctv_search_truth"].merge(r["cctv_searches"][["camera", "track_id", "search",
                                                        "candidate_ids"]],
                                     on=["camera", "track_id", "search"])
    agg = AggregationConfig(**{k: v for k, v in cctv["aggregation"].items()
                               if k in AggregationConfig.__dataclass_fields__})
    return Recorded(f, rec["frame_vectors"], q, list(g["template_id"]),
                    g["traveler_id"].to_numpy(int), np.stack([by_id[t] for t in
                                                              g["template_id"]]), s, agg)


def _weighted(faces: list[TrackFace], power: float = 1.0) -> np.ndarray:
    """The stream's probe (power 1): the faces' templates weighted by quality value ** power."""
    w = np.array([max(f.quality.value, 1e-6) ** power for f in faces], np.float32)
    v = (w[:, None] * np.stack([f.vector for f in faces])).sum(0)
    return v / np.linalg.norm(v)


def gallery_scores(gallery: np.ndarray, probe: np.ndarray) -> np.ndarray:
    """Each gallery template's score: the cosine with one probe, or the best over several."""
    return gallery @ probe if probe.ndim == 1 else (gallery @ probe.T).max(1)


def replay(d: Recorded, probe=None) -> pd.DataFrame:
    """Every search the stream made, replayed: camera, track_id, search, t, the faces used
    (their cctv_faces rows), the gallery scores of the probe ``probe(track_faces, used)``
    makes (default: the stream's own template) and ``may_claim`` (False: the track's earlier
    searches forbid a claim, :meth:`TrackFaces.claim_conflicts`)."""
    rows = []
    for cam, tid, t, tf, row_of in _track_frames(d):
        if tf.wants_search():
            used = tf.search_faces()
            p = tf.template(used) if probe is None else probe(tf, used)
            sc = gallery_scores(d.gallery, p)
            first = (d.gallery_ids[int(np.argmax(sc))], float(sc.max()))
            may_claim = not tf.claim_conflicts(first[0])
            tf.mark_searched(first)
            rows.append({"camera": cam, "track_id": tid, "search": tf.searches, "t": t,
                         "used": [row_of[id(f)] for f in used], "scores": sc,
                         "may_claim": may_claim})
    return pd.DataFrame(rows)


def _track_frames(d: Recorded):
    """Each track's faces fed, frame by frame, into a TrackFaces with the stream's settings:
    yields (camera, track_id, t, track_faces, {id(face): its cctv_faces row}) after each frame
    that embedded a face on the track."""
    for (cam, tid), g in d.faces.groupby(["camera", "track_id"], sort=False):
        tf, row_of = TrackFaces(int(tid), d.config), {}
        for t, at in g.groupby("frame", sort=True):
            for i in at.index:
                face = TrackFace(float(t), d.quality[i], d.vectors[i])
                row_of[id(face)] = i
                tf.add(face)
            yield cam, int(tid), float(t), tf, row_of


def scored(d: Recorded, probe=None) -> pd.DataFrame:
    """The run's mated searches with the replayed probe's mate rank (1 = rank-1)."""
    r = replay(d, probe)
    m = d.searches[d.searches["mated"]].merge(r, on=["camera", "track_id", "search"],
                                               suffixes=("", "_replay"))
    mate = {tr: k for k, tr in enumerate(d.gallery_travelers)}
    m["replay_rank"] = [int((sc > sc[mate[tr]]).sum()) + 1 if tr in mate else 0
                        for tr, sc in zip(m["traveler_id"], m["scores"])]
    return m


def at_ipd(d: Recorded, min_ipd: float = 40.0, probe=None) -> pd.DataFrame:
    """Each track whose embedded faces reach ``min_ipd`` px, probed once at that moment: the
    stream's own template (the same faces, the same rule) as it stands once the first face that
    large has joined the faces a search would use, searched against the gallery. The stream itself searches again only for a
    face of 1.4 x the searched quality, so most tracks hold a 40 px face they never search;
    this counts each such track once. Columns: camera, track_id, t, ipd (the largest face
    used), traveler_id and mated (the run's truth for the track), rank (of the mate, 1 = rank-1;
    0: not enrolled), first (the traveler ranked first), used (the faces' cctv_faces rows). ``probe(track_faces, used)``: another probe from the same faces (as in
    :func:`replay`)."""
    truth = d.searches.drop_duplicates(["camera", "track_id"]).set_index(
        ["camera", "track_id"])[["traveler_id", "mated"]]
    mate = {tr: k for k, tr in enumerate(d.gallery_travelers)}
    rows, done = [], set()
    for cam, tid, t, tf, row_of in _track_frames(d):
        if (cam, tid) in done or max(f.quality.ipd_px for f in tf.best) < min_ipd:
            continue
        used = tf.search_faces()
        if max(f.quality.ipd_px for f in used) < min_ipd:  # the large face is another's
            continue
        done.add((cam, tid))
        sc = gallery_scores(d.gallery, tf.template(used) if probe is None else probe(tf, used))
        tr, mated = truth.loc[(cam, tid)] if (cam, tid) in truth.index else (-1, False)
        k = mate.get(tr)
        rows.append({"camera": cam, "track_id": tid, "t": t,
                     "ipd": max(f.quality.ipd_px for f in used), "traveler_id": int(tr),
                     "mated": bool(mated),
                     "rank": int((sc > sc[k]).sum()) + 1 if k is not None else 0,
                     "first": int(d.gallery_travelers[int(np.argmax(sc))]),
                     "used": [row_of[id(f)] for f in used]})
    return pd.DataFrame(rows, columns=["camera", "track_id", "t", "ipd", "traveler_id", "mated",
                                       "rank", "first", "used"])


def check_replay(d: Recorded) -> str:
    r = replay(d)
    s = d.searches.merge(r, on=["camera", "track_id", "search"], how="outer", indicator=True,
                         suffixes=("", "_replay"))
    both = s[s["_merge"] == "both"]
    top = [d.gallery_ids[int(np.argmax(sc))] == list(c)[0] for sc, c in
           zip(both["scores"], both["candidate_ids"])]
    return (f"replay: {len(both)} of {len(d.searches)} searches reproduced "
            f"({int((s['_merge'] == 'right_only').sum())} extra), top candidate equal in "
            f"{sum(top)}, time equal in {int(np.isclose(both['t'], both['t_replay']).sum())}")


def _big(tf: TrackFaces, used: list[TrackFace], share: float) -> np.ndarray:
    top = max(f.quality.ipd_px for f in used)
    return _weighted([f for f in used if f.quality.ipd_px >= share * top])


def _best_group(tf: TrackFaces, thr: float = 0.45) -> np.ndarray:
    """The faces agreeing with the track's best face (not the largest group): a search made
    for a new best face searches that face's person."""
    kept = tf.kept or tf.best
    top = max(kept, key=lambda f: f.quality.value)
    group = sorted((f for f in kept if float(f.vector @ top.vector) >= thr),
                   key=lambda f: -f.quality.value)
    return _weighted(group[:tf.config.k])


def _group(tf: TrackFaces, thr: float, pure: float | None = None) -> np.ndarray:
    """The stream's one-person group at another cosine ``thr`` (the largest group of faces
    agreeing with one face of the track); ``pure``: then drop, one at a time, the face least
    like the group's template while it is below ``pure`` (a face that agrees with the seed
    face but not with the rest: a second person let in by an ambiguous seed)."""
    kept = tf.kept or tf.best
    v = np.stack([f.vector for f in kept])
    together = (v @ v.T) >= thr
    value = np.array([f.quality.value for f in kept])
    seed = max(range(len(kept)), key=lambda i: (together[i].sum(), together[i] @ value, -i))
    group = [f for f, keep in zip(kept, together[seed]) if keep]
    while pure is not None and len(group) > 2:
        cos = np.stack([f.vector for f in group]) @ _weighted(group)
        if cos.min() >= pure:
            break
        del group[int(cos.argmin())]
    group.sort(key=lambda f: -f.quality.value)
    return _weighted(group[:tf.config.k])


# Other probes from the faces a search uses (its track's best k of one person): the stream's
# rule first. ``best``: the best face alone; ``big70``/``big50``: the faces at least 70 % / 50 %
# of the largest face's IPD; ``value2``: weights squared; ``maxfuse``: each face searched, a
# gallery entry scored by its best face; ``group50``-``group60``: the one-person group at a
# stricter cosine; ``pure50``/``pure60``: the group purged of faces unlike its template;
# ``bestface``: the group of the track's best face instead of its largest group.
RULES = {
    "stream": None,
    "best": lambda tf, used: used[0].vector,
    "big70": lambda tf, used: _big(tf, used, 0.7),
    "big50": lambda tf, used: _big(tf, used, 0.5),
    "value2": lambda tf, used: _weighted(used, 2.0),
    "maxfuse": lambda tf, used: np.stack([f.vector for f in used]),
    "group50": lambda tf, used: _group(tf, 0.50),
    "group55": lambda tf, used: _group(tf, 0.55),
    "group60": lambda tf, used: _group(tf, 0.60),
    "pure50": lambda tf, used: _group(tf, 0.45, 0.50),
    "pure60": lambda tf, used: _group(tf, 0.45, 0.60),
    "bestface": lambda tf, used: _best_group(tf),
}


def rules_table(recorded: list[Recorded], rules=RULES) -> pd.DataFrame:
    """Rank-1 (hits/mated searches) per IPD band and rule, over the recorded runs, and of each
    track's probe at its first 40 px face (:func:`at_ipd`)."""
    rows = []
    for name, probe in rules.items():
        m = pd.concat([scored(d, probe) for d in recorded], ignore_index=True)
        row = {"rule": name}
        for band in BANDS:
            b = m[m["ipd_band"] == band]
            row[band] = f"{int((b['replay_rank'] == 1).sum())}/{len(b)}"
        row["all"] = f"{int((m['replay_rank'] == 1).sum())}/{len(m)}"
        a = pd.concat([at_ipd(d, 40.0, probe) for d in recorded], ignore_index=True)
        a = a[a["mated"]]
        row["probe at 40 px"] = f"{int((a['rank'] == 1).sum())}/{len(a)}"
        rows.append(row)
    return pd.DataFrame(rows)


LOOK_ALIKE = 0.5  # enrolment cosine of two travelers above which they count as look-alikes


def failure_class(traveler: int, persons: list[int], first: int, enrol_cosine: float) -> str:
    """Why a mated search missed, from the true persons of the faces it used: ``track`` (most
    of them are another person, and the search found that person or someone else: the track,
    not the recognition, failed), ``mixed`` (some are), ``look-alike`` (all are the traveler,
    and the winner's enrolment photo is close to the traveler's), ``recognition`` (all are the
    traveler; the probe is nearer a stranger)."""
    own = sum(p == traveler for p in persons)
    if own * 2 < len(persons):
        return "track"
    if own < len(persons):
        return "mixed"
    return "look-alike" if enrol_cosine >= LOOK_ALIKE else "recognition"


def classes_of_misses(d: Recorded, a: pd.DataFrame) -> pd.Series:
    """:func:`failure_class` of each mated row of :func:`at_ipd` that missed rank 1."""
    row_of = {tr: k for k, tr in enumerate(d.gallery_travelers)}
    miss = a[a["mated"] & (a["rank"] != 1)]
    return pd.Series([failure_class(x.traveler_id, [int(d.faces.loc[i, "person"]) for i in
                                                    x.used], x.first,
                                    float(d.gallery[row_of[x.traveler_id]]
                                          @ d.gallery[row_of[x.first]]))
                      for x in miss.itertuples(index=False)], index=miss.index, dtype=object)


def trace(run: Path, faces: Path, min_ipd: float = 40.0) -> str:
    """Each failed mated search at IPD >= ``min_ipd``: what went into it and what won."""
    from experiments.cctv_segment_tune import search_kinds

    d = load_recorded(run, faces)
    out = [check_replay(d)]
    m = scored(d)
    kinds = search_kinds(run).set_index(["camera", "track_id", "search"])["kind"]
    row_of = dict(zip(d.gallery_travelers, range(len(d.gallery_travelers))))
    fails = m[(m["best_ipd_px"] >= min_ipd) & (m["mate_rank"] != 1)]
    out.append(f"{len(fails)} failed of {int((m['best_ipd_px'] >= min_ipd).sum())} mated "
               f"searches at IPD >= {min_ipd:g} px")
    classes: list[tuple[str, str]] = []
    for x in fails.itertuples(index=False):
        mate = row_of.get(x.traveler_id)
        win = int(np.argmax(x.scores))
        enrol = float(d.gallery[mate] @ d.gallery[win])
        cls = failure_class(x.traveler_id, [int(d.faces.loc[i, "person"]) for i in x.used],
                            int(d.gallery_travelers[win]), enrol)
        classes.append((x.ipd_band, cls))
        out.append(f"\n{x.camera} track {x.track_id} search {x.search} t={x.t:.1f} "
                   f"traveler {x.traveler_id}: {cls}; "
                   f"kind {kinds.get((x.camera, x.track_id, x.search))}"
                   f", mate rank {x.mate_rank} score {x.scores[mate]:.3f}; first "
                   f"{d.gallery_ids[win]} (traveler {d.gallery_travelers[win]}) "
                   f"{x.scores[win]:.3f}; enrolment cosine mate-first {enrol:.3f}")
        for i in x.used:
            f, q = d.faces.loc[i], d.quality[i]
            out.append(f"  face t={f.frame:.1f} ipd {q.ipd_px:5.1f} yaw {q.yaw_deg:5.1f} pitch "
                       f"{q.pitch_deg:5.1f} sharp {q.sharpness:6.1f} value {q.value:.2f} person "
                       f"{f.person}: cos mate {float(d.vectors[i] @ d.gallery[mate]):.3f} "
                       f"first {float(d.vectors[i] @ d.gallery[win]):.3f}")
    if classes:
        out.append("\nfailures by IPD band and class:\n" + pd.DataFrame(
            classes, columns=["ipd_band", "class"]).value_counts().to_string())
    return "\n".join(out)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m experiments.cctv_rank1_trace",
                                description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("trace", help="each failed mated search at IPD >= --min-ipd")
    t.add_argument("run", type=Path)
    t.add_argument("--faces", type=Path, required=True)
    t.add_argument("--min-ipd", type=float, default=40.0)
    r = sub.add_parser("rules", help="rank-1 per IPD band of other probes from the same faces")
    r.add_argument("pairs", nargs="+", help="RUN:FACES.npz")
    a = p.parse_args(argv)
    if a.cmd == "trace":
        print(trace(a.run, a.faces, a.min_ipd))
    else:
        rec = [load_recorded(Path(x.split(":")[0]), Path(x.split(":")[1])) for x in a.pairs]
        print(rules_table(rec).to_string(index=False))


if __name__ == "__main__":
    main()
