"""What costs cross-camera journeys over long windows: the gallery's hold-out, per-camera
tracking, or the linker. Replays the linker on one ``identify-cctv`` run, without rendering.

    python -m experiments.cctv_cross_tune separate RUN [RUN ...] --holdouts 0,0.5,0.9 \\
        [--grid "max_dwell_s=60,300"] [--csv OUT.csv]
    python -m experiments.cctv_cross_tune pairs RUN --holdout 0.9 [--oracle] [--csv OUT.csv]

**Hold-out.** A run keeps every search's five best listed candidates and their scores
(``cctv_searches.listed_ids`` / ``listed_scores``), and a track's claim is its best search whose
best candidate reaches the threshold; nothing else in the stream reads the gallery. So a run
made with a gallery G can be replayed with any gallery inside G: candidates outside it are
dropped, the best remaining one claims if it reaches the threshold (:func:`claims`). The
hold-out draw (:func:`experiments.cctv_identify.hold_out`) is redone from the run's travelers;
a share whose gallery is not inside the run's is refused. A run at ``--holdout 0`` replays
every share. (If all five candidates were dropped and the fifth still reached the threshold,
the sixth is unknown: :func:`claims` counts such searches, ``unsure``; expected 0.)

**Oracle tracking.** Each person's ground-truth boxes in a camera are one track per stay in
view (split where they are out of view for more than ``ORACLE_GAP_S``), with the evidence the
real run found for them there: the best claim among the real tracks whose boxes are mostly
theirs (:func:`experiments.cctv_run._track_truth`) and those tracks' clothing histogram
(frame-weighted; the person's other cameras' where no real track found them). The linker then
runs as is; the gap between real and oracle is what broken per-camera tracks cost journeys.

``pairs`` lists every link the linker made (right or wrong) and every hand-off (a person's
track and their previous one) it missed, by camera pair and gap. Tune seeds only.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.cctv_link_tune import (cared_boxes, centres_of, link_config, load,
                                        score_links, show)

ORACLE_GAP_S = 1.0  # out of view longer than this: a new ground-truth track
GAP_BINS = [-np.inf, 0.0, 5.0, 15.0, 30.0, 60.0, 120.0, np.inf]
GAP_LABELS = ["overlap", "0-5 s", "5-15 s", "15-30 s", "30-60 s", "60-120 s", "> 120 s"]


def gallery_at(run: dict, share: float) -> set[str]:
    """The template ids searchable at hold-out ``share``: the run's gallery less the travelers
    the draw holds out at ``share`` (refused unless that gallery lies inside the run's)."""
    from experiments.cctv_identify import enrolments_of, hold_out

    enr = enrolments_of(run["travelers"])
    kept = set(hold_out(enr, share, run["seed"])["template_id"])
    had = set(run["gallery"]["template_id"])
    ran_at = float(run["holdout"])
    ran_kept = set(hold_out(enr, ran_at, run["seed"])["template_id"])
    if not had <= ran_kept:
        raise ValueError(f"{run['run']}: its gallery is not a hold-out of {ran_at} drawn from "
                         f"its travelers (seed {run['seed']})")
    if not kept <= ran_kept:
        raise ValueError(f"{run['run']}: run at hold-out {ran_at}; hold-out {share} would "
                         f"search travelers the run's gallery lacked (replay shares from a "
                         f"run at --holdout 0)")
    return had & kept


def claims(searches: pd.DataFrame, gallery: set[str], threshold: float
           ) -> tuple[dict[tuple[str, int], tuple[str, float]], int]:
    """(camera, track id) -> (claimed template id, score) with only ``gallery`` searchable, as
    the stream claims (the best search whose best candidate reaches ``threshold``); and how many
    searches lost all their stored candidates while the last still reached it (``unsure``)."""
    out: dict[tuple[str, int], tuple[str, float]] = {}
    unsure = 0
    for cam, tid, ids, scores in zip(searches["camera"], searches["track_id"],
                                     searches["listed_ids"], searches["listed_scores"]):
        kept = [(i, float(s)) for i, s in zip(ids, scores) if i in gallery]
        if not kept:
            unsure += int(len(scores) > 0 and float(scores[-1]) >= threshold)
            continue
        best, score = max(kept, key=lambda c: c[1])
        key = (cam, int(tid))
        if score >= threshold and not (key in out and out[key][1] >= score):
            out[key] = (best, score)
    return out, unsure


def with_claims(summaries, claimed: dict, watchlist: set[str]):
    """``summaries`` (TrackSummary) with their identity, score and watchlist flag replaced."""
    return [replace(s, identity=c[0], score=c[1], watchlist=c[0] in watchlist)
            if (c := claimed.get((s.camera, s.track_id))) else
            replace(s, identity=None, score=float("nan"), watchlist=False)
            for s in summaries]


def oracle(run: dict, summaries, who) -> tuple[list, pd.DataFrame, dict]:
    """Ground-truth tracks as summaries carrying the real run's evidence (module docstring):
    the summaries, their boxes (camera, frame, id, x1..y2) and (camera, track id) -> person."""
    from pipeline.cctv.stream import TrackSummary

    truth = run["truth"].sort_values(["camera", "id", "frame"])
    gap = truth.groupby(["camera", "id"])["frame"].diff().fillna(np.inf) > ORACLE_GAP_S
    boxes = truth.assign(person=truth["id"], id=gap.cumsum().astype(int))
    hist: dict = {}
    claim: dict = {}
    for s in summaries:
        p = who.get((s.camera, s.track_id))
        if p is None:
            continue
        h = hist.setdefault((s.camera, p), np.zeros_like(s.histogram, np.float64))
        h += s.histogram * s.frames
        if s.identity is not None and not (
                (s.camera, p) in claim and claim[(s.camera, p)].score >= s.score):
            claim[(s.camera, p)] = s
    anywhere: dict = {}
    for (cam, p), h in hist.items():
        anywhere[p] = anywhere.get(p, 0) + h
    out, owner = [], {}
    for (cam, tid), b in boxes.groupby(["camera", "id"]):
        p = int(b["person"].iloc[0])
        h = hist.get((cam, p), anywhere.get(p))
        h = np.zeros(summaries[0].histogram.shape, np.float32) if h is None else h / max(
            h.sum(), 1e-9)
        c = claim.get((cam, p))
        out.append(TrackSummary(cam, int(tid), float(b["frame"].min()), float(b["frame"].max()),
                                None if c is None else c.identity,
                                float("nan") if c is None else c.score,
                                False if c is None else c.watchlist,
                                np.asarray(h, np.float32), len(b)))
        owner[(cam, int(tid))] = p
    return out, boxes.drop(columns="person"), owner


def perfect_journeys(summaries, who) -> pd.DataFrame:
    """Journeys as a perfect linker would make them: each track joins its person's (``who``);
    a track on nobody is a journey of its own."""
    from pipeline.cctv.journeys import JOURNEY_COLUMNS

    rows, first = [], {}
    for s in sorted(summaries, key=lambda s: (s.t_in, s.camera, s.track_id)):
        p = who.get((s.camera, s.track_id))
        key = ("person", p) if p is not None else ("track", s.camera, s.track_id)
        link = float("nan") if key not in first else 0.5  # an appearance link for the counts
        jid = first.setdefault(key, len(first) + 1)
        rows.append((jid, s.camera, s.track_id, s.t_in, s.t_out, s.identity, s.score, link))
    return pd.DataFrame(rows, columns=JOURNEY_COLUMNS).sort_values(["journey_id", "t_in"])


def _prepared(path: Path) -> dict:
    from experiments.cctv_run import _track_truth, summaries_of
    from outputs.run import load_run

    run = load(path)
    more = load_run(path, tables=["cctv_searches", "cctv_gallery", "cctv_travelers"])
    cctv = more.summary.get("cctv", {})
    run.update(searches=more["cctv_searches"], gallery=more["cctv_gallery"],
               travelers=more["cctv_travelers"], holdout=cctv.get("holdout", 0.0),
               threshold=float(cctv["threshold"]),
               watchlist=set(more["cctv_gallery"].loc[more["cctv_gallery"]["watchlist"]
                                                      .astype(bool), "template_id"]),
               real=summaries_of(run["summaries"]),
               who=_track_truth(run["tracks"], run["truth"]))
    return run


def variants(run: dict, share: float, tracking: str):
    """(summaries, boxes, who, unsure) of ``run`` at hold-out ``share``, real or oracle."""
    claimed, unsure = claims(run["searches"], gallery_at(run, share), run["threshold"])
    real = with_claims(run["real"], claimed, run["watchlist"])
    if tracking == "real":
        return real, run["tracks"], run["who"], unsure
    if "oracle" not in run or run["oracle"][0] != share:
        run["oracle"] = (share, oracle(run, real, run["who"]))
    s, boxes, owner = run["oracle"][1]
    return s, boxes, owner, unsure


def _cared(run: dict, tracking: str, s, boxes):
    """:func:`cared_boxes` of one tracking, once per run."""
    key = f"cared_{tracking}"
    if key not in run:
        run[key] = cared_boxes(s, boxes, run["truth"])
    return run[key]


def separate(paths: list[Path], shares: list[float], spec: str = "",
             trackings=("real", "oracle"), perfect: bool = True) -> pd.DataFrame:
    """Cross-camera scores per run, hold-out share, tracking (real / oracle) and linker setting
    (``spec``, a :func:`experiments.cctv_track_tune.grid`); with ``perfect`` also each tracking
    under a perfect linker (its ceiling: what per-camera tracking alone loses)."""
    from experiments.cctv_track_tune import grid

    rows = []
    for path in paths:
        run = _prepared(path)
        centres = centres_of(run["cameras"])
        for share in shares:
            for tracking in trackings:
                s, boxes, who, unsure = variants(run, share, tracking)
                for opts in grid(spec) or [{}]:
                    cfg = link_config(opts)
                    scores, _ = score_links(s, boxes, run["truth"], centres, who, cfg,
                                            cared=_cared(run, tracking, s, boxes),
                                            views=run["views"])
                    rows.append({"seed": run["seed"], "holdout": share, "tracking": tracking,
                                 **opts, "tracks": len(s),
                                 "claimed": sum(x.identity is not None for x in s),
                                 "unsure": unsure, **scores})
        if perfect:
            for tracking in trackings:
                s, boxes, who, _ = variants(run, shares[0], tracking)
                scores, _ = score_links(s, boxes, run["truth"], centres, who, None,
                                        perfect_journeys(s, who),
                                        _cared(run, tracking, s, boxes))
                rows.append({"seed": run["seed"], "holdout": float("nan"),
                             "tracking": f"{tracking}, perfect linker", "tracks": len(s),
                             **scores})
    return pd.DataFrame(rows)


def link_rows(j: pd.DataFrame, who) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every link the journeys make (camera pair, gap, face or appearance, right) and every
    hand-off (a person's track and their previous one by start time: pair, gap, linked)."""
    j = j.sort_values(["journey_id", "t_in"])
    links = []
    for _, m in j.groupby("journey_id"):
        rows = list(m.itertuples(index=False))
        for a, b in zip(rows, rows[1:]):
            pa, pb = who.get((a.camera, a.track_id)), who.get((b.camera, b.track_id))
            face = b.identity is not None and b.identity == b.identity and b.link_score >= 1.0
            links.append((f"{a.camera}>{b.camera}", b.t_in - a.t_out,
                          "face" if face else "appearance", pa is not None and pa == pb))
    jid = dict(zip(zip(j["camera"], j["track_id"]), j["journey_id"]))
    ends = dict(zip(zip(j["camera"], j["track_id"]), j["t_out"]))
    hand, last = [], {}
    for r in j.sort_values(["t_in", "camera", "track_id"]).itertuples(index=False):
        p = who.get((r.camera, r.track_id))
        if p is None:
            continue
        if p in last:
            cam, tid = last[p]
            hand.append((f"{cam}>{r.camera}", r.t_in - ends[(cam, tid)],
                         jid[(cam, tid)] == r.journey_id, (cam, tid), (r.camera, r.track_id)))
        last[p] = (r.camera, r.track_id)
    return (pd.DataFrame(links, columns=["pair", "gap_s", "kind", "right"]),
            pd.DataFrame(hand, columns=["pair", "gap_s", "linked", "prev", "next"]))


def why_missed(hand: pd.DataFrame, summaries, centres: dict, cfg, views=None) -> pd.Series:
    """Why the linker left each missed hand-off apart: "timing" (an implausible walk for the
    floor plan), "faces" (two different claims), "clothes" (below ``min_appearance``), or
    "taken" (allowed, but either track went to another journey)."""
    from pipeline.cctv.appearance import similarity
    from pipeline.cctv.journeys import _apart, _dist, _timing

    by = {(s.camera, s.track_id): s for s in summaries}
    apart = _apart(views, sorted({s.camera for s in summaries})) if views and cfg.views else {}
    out = []
    for prev, nxt, linked in zip(hand["prev"], hand["next"], hand["linked"]):
        a, b = by[prev], by[nxt]
        if linked:
            out.append("")
        elif a.identity is not None and b.identity is not None and a.identity != b.identity:
            out.append("faces")
        elif _timing(a, b, _dist(centres, a.camera, b.camera), cfg,
                     apart.get((a.camera, b.camera))) <= 0:
            out.append("timing")
        elif similarity(a.histogram, b.histogram) < cfg.min_appearance:
            out.append("clothes")
        else:
            out.append("taken")
    return pd.Series(out, index=hand.index, dtype=str)


def pairs(path: Path, share: float, tracking: str = "real", opts: dict | None = None,
          by: str = "pair") -> pd.DataFrame:
    """Links (face / appearance, wrong) and hand-offs (missed) grouped ``by`` camera pair or
    gap bin."""
    run = _prepared(path)
    s, boxes, who, _ = variants(run, share, tracking)
    cfg, centres = link_config(opts or {}), centres_of(run["cameras"])
    _, j = score_links(s, boxes, run["truth"], centres, who, cfg, views=run["views"])
    links, hand = link_rows(j, who)
    hand["why"] = why_missed(hand, s, centres, cfg, run["views"])
    for t in (links, hand):
        t["gap"] = pd.cut(t["gap_s"], GAP_BINS, labels=GAP_LABELS)
    key = "pair" if by == "pair" else "gap"
    a = links.groupby(key, observed=True).agg(
        links=("right", "size"), face=("kind", lambda k: int((k == "face").sum())),
        wrong=("right", lambda r: int((~r.astype(bool)).sum())),
        wrong_face=("right", lambda r: int((~r.astype(bool) & (links.loc[r.index, "kind"]
                                                               == "face")).sum())))
    b = hand.groupby(key, observed=True).agg(hand_offs=("linked", "size"),
                                             missed=("linked", lambda x: int((~x).sum())))
    b = b.join(pd.crosstab(hand[key], hand["why"]).drop(columns="", errors="ignore")
               .add_prefix("missed_"))
    return a.join(b, how="outer").fillna(0).astype(int).reset_index()


def main(argv=None) -> None:
    from experiments.cctv_track_tune import grid

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("separate", help="cross-camera IDF1 by hold-out and tracking")
    s.add_argument("runs", nargs="+", type=Path)
    s.add_argument("--holdouts", default="0,0.5,0.9")
    s.add_argument("--tracking", default="real,oracle")
    s.add_argument("--grid", default="")
    s.add_argument("--no-perfect", action="store_true", help="skip the perfect-linker rows")
    p = sub.add_parser("pairs", help="links and missed hand-offs by camera pair and gap")
    p.add_argument("run", type=Path)
    p.add_argument("--holdout", type=float, default=0.9)
    p.add_argument("--oracle", action="store_true")
    p.add_argument("--by", choices=("pair", "gap"), default="pair")
    p.add_argument("--config", default="", help="LinkConfig fields, e.g. 'max_dwell_s=60'")
    for q in (s, p):
        q.add_argument("--csv", type=Path, default=None)
    a = ap.parse_args(argv)
    if a.cmd == "separate":
        table = separate(a.runs, [float(x) for x in a.holdouts.split(",")], a.grid,
                         a.tracking.split(","), not a.no_perfect)
    else:
        opts = (grid(a.config) or [{}])[0]
        table = pairs(a.run, a.holdout, "oracle" if a.oracle else "real", opts, a.by)
    show(table, a.csv)


if __name__ == "__main__":
    main()
