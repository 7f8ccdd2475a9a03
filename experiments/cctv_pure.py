"""Wrong-person claims of the CCTV stream: a census, and claim rules replayed (issue 11; tune
seeds only, held-out seeds for the lead's ``--held-out-report``).

    python -m experiments.cctv_pure census RUN1:RUN1.npz ... [--variant NAME=KEY:VALUE,...]
    python -m experiments.cctv_pure compare RUN1:RUN1.npz ... [--variant NAME=KEY:VALUE,...]

Both replay ``cctv_rank1 run --faces`` recordings (:mod:`experiments.cctv_rank1_trace`): every
search the stream made, from its recorded templates, at the shipped decision threshold for the
run's gallery size (:mod:`pipeline.cctv.operating`).

``census``: each search that claims (best score at the threshold) someone other than the
track's true traveler (the evaluation's truth: the person whose body box the track overlaps in
most frames), with per face the true person, time, IPD, quality and cosine with the search's
other faces, and how the track came to hold them: ``switch`` (its faces show two people: the
search named the other; ``mixed``: within the search's own faces, by the faces' truth;
``switch``: an earlier search of the track named another person first), ``behind`` (every face
of the track's searches is the claimed person's; the track's box covers two walkers in line
and the truth is the one hidden behind). The faces' truth (the person whose face box starts
nearest the detected face, :func:`experiments.cctv_segment_tune.face_truth`) cannot tell two
walkers in line apart: the earlier searches can. ``own-face``: the claimed person's
face was in the search; ``impostor``: it was not.

``compare``: per variant of the aggregation settings (:class:`AggregationConfig` fields, e.g.
``claim_conflict_score``, ``consistent_min_cosine``), searches whose claim the rule withheld
(``blocked``), FPIR (every search made non-mated, as in :mod:`experiments.cctv_operating_n`),
wrong-person claims (mated searches claiming
another enrolled person, plus non-mated searches claiming a face the track held), FNIR (1 -
rank-1 at the threshold) and rank-1 (no threshold) of mated searches at IPD >= 40 px and over
all, at the whole manifest and at N = 234 (the exact mean over every 234-identity gallery
drawn from the manifest with the traveler in it, :mod:`experiments.cctv_operating_n`).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.cctv_operating_n import (SearchScores, false_ids, foreign_columns, mated_hits,
                                          mated_wrong, shipped_threshold, with_truth)
from experiments.cctv_rank1_trace import Recorded, check_replay, load_recorded, replay

DRAWN = 234  # the manifest size the CCTV threshold was chosen at (half the manifest held out)
MIN_IPD = 40.0
# variants compared by default, every setting spelled out (a recording's own settings are the
# code's defaults of its time): before stop 36, the stricter one-person group alone (s35), the
# claim against the track's earlier searches at a few scores, and both (chosen on tune in stop
# 36, off after the held-out replay)
BEFORE = {"consistent_min_cosine": 0.45, "claim_conflict_score": None}
VARIANTS = {
    "before": BEFORE,
    "group55": BEFORE | {"consistent_min_cosine": 0.55},
    "conflict50": BEFORE | {"claim_conflict_score": 0.50},
    "conflict55": BEFORE | {"claim_conflict_score": 0.55},
    "conflict60": BEFORE | {"claim_conflict_score": 0.60},
    "conflict65": BEFORE | {"claim_conflict_score": 0.65},
    "group55+conflict60": {"consistent_min_cosine": 0.55, "claim_conflict_score": 0.60},
}


def with_settings(d: Recorded, **settings) -> Recorded:
    """The recording replayed with other aggregation settings."""
    return dataclasses.replace(d, config=dataclasses.replace(d.config, **settings))


def claims_replayed(d: Recorded) -> pd.DataFrame:
    """Every search replayed (:func:`experiments.cctv_rank1_trace.replay`, with
    ``may_claim``) with the truth of each (:func:`experiments.cctv_operating_n.with_truth`)."""
    return with_truth(d, replay(d))


def _scores(d: Recorded, r: pd.DataFrame) -> SearchScores:
    return SearchScores(0, np.stack(r["scores"].to_list()), r["mate"].to_numpy(),
                        foreign_columns(d, r), r["ipd"].to_numpy(), np.zeros((len(r), 0)), ())


def rates(recorded: list[Recorded], settings: dict) -> dict:
    """Pooled over the recordings, with ``settings`` (module docstring)."""
    out: dict[str, float] = {}
    parts = []
    for d in recorded:
        r = claims_replayed(with_settings(d, **settings))
        s = _scores(d, r)
        t = shipped_threshold(len(d.gallery_ids))
        mated = r["mate"].to_numpy() >= 0
        gate, big = r["may_claim"].to_numpy(), r["ipd"].to_numpy() >= MIN_IPD
        top = s.scores.max(1)
        own_face = np.array([int(d.gallery_travelers[int(np.argmax(sc))]) in ps and
                             int(d.gallery_travelers[int(np.argmax(sc))]) != tr
                             for sc, ps, tr in zip(r["scores"], r["persons"], r["traveler"])])
        nonmated_own = (~mated) & own_face & (top >= t) & gate
        # at N = 234 a claim is withheld as at the whole manifest (the earlier searches'
        # first candidates of the whole manifest), and non-mated own-face claims are not counted
        for label, size, thr in (("all", "all", t), (str(DRAWN), DRAWN, shipped_threshold(DRAWN))):
            parts.append({
                "size": label, "mated": int(mated.sum()), "mated40": int((mated & big).sum()),
                "hits": (mated_hits(s, thr, size) * gate[mated]),
                "big": big[mated],
                "rank1": mated_hits(s, -np.inf, size),
                "wrong": float((mated_wrong(s, thr, size) * gate[mated]).sum()
                               + nonmated_own.sum() * (size == "all")),
                "blocked": int((~gate & (top >= thr)).sum()),
                "false": false_ids(s, thr, size) * gate})
    for label in ("all", str(DRAWN)):
        p = [x for x in parts if x["size"] == label]
        hits, big = np.concatenate([x["hits"] for x in p]), np.concatenate([x["big"] for x in p])
        r1 = np.concatenate([x["rank1"] for x in p])
        out |= {f"wrong {label}": sum(x["wrong"] for x in p),
                f"FNIR40 {label}": 1 - hits[big].mean(), f"rank1 40 {label}": r1[big].mean(),
                f"FNIR {label}": 1 - hits.mean(), f"rank1 {label}": r1.mean(),
                f"blocked {label}": sum(x["blocked"] for x in p),
                f"FPIR {label}": np.concatenate([x["false"] for x in p]).mean()}
    once = parts[::2]  # each recording's mated searches, counted at one size
    out["mated (40 px)"] = (f"{sum(x['mated'] for x in once)} "
                            f"({sum(x['mated40'] for x in once)})")
    return out


def _boxes(tracks: pd.DataFrame, truth: pd.DataFrame, x, traveler: int, claimed: int) -> str:
    """Where the track's box was at search ``x``: its IoU with the traveler's and the claimed
    person's true body boxes, the traveler's face occlusion, the other tracks on the claimed
    person (IoU >= 0.5)."""
    from pipeline.vision.detections import iou_matrix

    at = (tracks["camera"] == x.camera) & np.isclose(tracks["frame"], x.t)
    mine = tracks[at & (tracks["id"] == x.track_id)]
    others = tracks[at & (tracks["id"] != x.track_id)]
    g = truth[(truth["camera"] == x.camera) & np.isclose(truth["frame"], x.t)].set_index("id")
    xy = ["x1", "y1", "x2", "y2"]
    if mine.empty or not {traveler, claimed} <= set(g.index):
        return "  box: not in this frame's tables"
    iou = iou_matrix(mine[xy].to_numpy(float), g.loc[[traveler, claimed], xy].to_numpy(float))[0]
    rival = iou_matrix(others[xy].to_numpy(float), g.loc[[claimed], xy].to_numpy(float))[:, 0]
    return (f"  box: IoU {iou[0]:.2f} with the traveler's body, {iou[1]:.2f} with the claimed "
            f"person's; traveler's face occluded {float(g.loc[traveler, 'occluded']):.2f}; "
            f"other tracks on the claimed person: "
            f"{' '.join(str(i) for i in others['id'][rival >= 0.5]) or 'none'}")


def census(d: Recorded, run: Path, tracks: pd.DataFrame | None = None,
           truth: pd.DataFrame | None = None) -> list[str]:
    """Each wrong-person claim of a recording (module docstring), as lines; with the run's
    ``cctv_tracks`` and ``cctv_truth``, where the track's box was (:func:`_boxes`)."""
    t = shipped_threshold(len(d.gallery_ids))
    r = claims_replayed(d)
    out = [f"== {run}: N = {len(d.gallery_ids)}, threshold {t:.3f}, {len(r)} searches"]
    first = [int(d.gallery_travelers[int(np.argmax(sc))]) for sc in r["scores"]]
    for k, x in enumerate(r.itertuples(index=False)):
        top = int(np.argmax(x.scores))
        who = int(d.gallery_travelers[top])
        if x.scores[top] < t or who == x.traveler or not x.may_claim:
            continue
        before = [f"{first[j]}@{float(r['scores'][j].max()):.2f}" for j in range(k)
                  if (r["camera"][j], r["track_id"][j]) == (x.camera, x.track_id)]
        kind = "own-face" if who in x.persons else "impostor"
        how = ("mixed" if len(set(x.persons)) > 1 else
               "switch" if any(not b.startswith(f"{who}@") for b in before) else
               "behind" if who in x.persons else "-")
        out.append(f"{x.camera} track {x.track_id} search {x.search} t={x.t:.1f}: traveler "
                   f"{x.traveler} ({'mated' if x.mate >= 0 else 'not enrolled'}) claimed as "
                   f"{who} at {x.scores[top]:.3f}, {kind}, {how}; earlier searches named "
                   f"{' '.join(before) or 'nobody'}")
        if tracks is not None and truth is not None:
            out.append(_boxes(tracks, truth, x, x.traveler, who))
        v = d.vectors[list(x.used)]
        c = v @ v.T
        for j, i in enumerate(x.used):
            f, q = d.faces.loc[i], d.quality[i]
            others = " ".join(f"{v:.2f}" for v in np.delete(c[j], j))
            out.append(f"  face t={f.frame:.1f} ipd {q.ipd_px:5.1f} value {q.value:.2f} person "
                       f"{f.person}; cosine with the other faces [{others}], with the claimed "
                       f"{float(d.vectors[i] @ d.gallery[top]):.2f}")
    return out


def _variant(text: str) -> tuple[str, dict]:
    name, _, body = text.partition("=")
    settings = {}
    for kv in filter(None, body.split(",")):
        k, v = kv.split(":")
        settings[k] = None if v == "none" else float(v)
    return name, settings


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m experiments.cctv_pure", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cmd", choices=["census", "compare"])
    p.add_argument("pairs", nargs="+", help="RUN:FACES.npz")
    p.add_argument("--variant", action="append", default=[],
                   help="NAME=FIELD:VALUE,... (AggregationConfig fields; default: VARIANTS)")
    p.add_argument("--held-out-report", action="store_true",
                   help="the lead's: score held-out seeds' recordings with a frozen setting")
    a = p.parse_args(argv)
    recorded = []
    for pair in a.pairs:
        run, faces = (Path(x) for x in pair.split(":", 1))
        recorded.append((run, load_recorded(run, faces, a.held_out_report)))
        print(f"{run}: {check_replay(recorded[-1][1])}")  # the recording's own settings
    variants = dict(map(_variant, a.variant)) or VARIANTS
    if a.cmd == "census":
        from outputs.run import load_run

        # at the first variant given, else the settings before stop 36
        settings = next(iter(variants.values())) if a.variant else BEFORE
        print(f"settings: {settings}")
        for run, d in recorded:
            boxes = load_run(run, tables=["cctv_tracks", "cctv_truth"])
            print("\n".join(census(with_settings(d, **settings), run, boxes["cctv_tracks"],
                                   boxes["cctv_truth"])))
        return
    table = pd.DataFrame([{"variant": n, **rates([d for _, d in recorded], s)}
                          for n, s in variants.items()])
    pd.set_option("display.width", 250)
    print(f"seeds: {' '.join(str(run) for run, _ in recorded)}")
    print(table.round(4).to_string(index=False))


if __name__ == "__main__":
    main()
