"""Replay the cross-camera linker on runs' stored track summaries, over a grid of settings.

    python -m experiments.cctv_link_tune RUN [RUN ...] \\
        --grid "min_appearance=0.55,0.7;max_dwell_s=60,300"

Each run (``airtwin identify-cctv``) keeps every track summary the linker saw, with its clothing
histogram (``cctv_track_summaries``). For each combination of :class:`pipeline.cctv.journeys.
LinkConfig` fields the replay links them again and scores the journeys as ``airtwin
evaluate-tracking`` does (cross-camera IDF1 over the persons in sight), plus the links
themselves: how many join two tracks of one person (each track's person by majority vote of its
boxes, :func:`experiments.cctv_run._track_truth`), split into face-identity links and
appearance links, link precision (links joining one person / all links) and hand-offs (each
track and the same person's previous track) that were linked. Tune seeds only (1, 2, 3): the
held-out seeds are refused, except by ``--report``, which scores exactly three configs, the
defaults before the first tuning (:data:`OLD_DEFAULTS`), before the view areas
(:data:`BEFORE_VIEWS`) and the current ``LinkConfig()``:

    python -m experiments.cctv_link_tune --report RUN [RUN ...]

``--claims-at fixed|follows-size`` (with ``--report``) first claims every track again from the
run's stored searches (``cctv_searches``) at the CCTV operating point, fixed or following the
gallery's size (:mod:`pipeline.cctv.operating`), as the stream claims: a track's identity is
its best-scoring search that reaches the threshold. The journeys of a run made before the
threshold followed the gallery's size can so be scored at the rule's threshold without
running the cameras again (the tracks are the run's own).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.cctv_track_tune import HELD_OUT  # the one list of held-out seeds

# LinkConfig as shipped at bfda364 (before this tuning); the new fields at the values that
# reproduce its rule exactly. ``--report`` scores these against the current defaults.
OLD_DEFAULTS = {"min_speed": 0.4, "max_speed": 2.2, "detour": 1.3, "max_dwell_s": 300.0,
                "min_appearance": 0.55, "overlap_m": 6.0, "appearance_of": "last",
                "reacquire_s": 0.0, "face_needs_timing": False, "min_margin": 0.0,
                "half_life_s": None, "views": False}
# LinkConfig at 961b2b4, before view areas bounded the walk (experiments.cctv_cross_tune)
BEFORE_VIEWS = {"views": False}


def load(run: Path, allow_held_out: bool = False) -> dict:
    from outputs.run import load_run

    r = load_run(run, tables=["cctv_track_summaries", "cctv_tracks", "cctv_truth",
                              "cctv_cameras", "cctv_searches", "cctv_gallery"])
    seed = r.summary.get("seed")
    if seed in HELD_OUT and not allow_held_out:
        raise SystemExit(f"{run}: seed {seed} is held out; tune on seeds 1, 2, 3")
    return {"run": str(run), "seed": seed, "summaries": r["cctv_track_summaries"],
            "tracks": r["cctv_tracks"], "truth": r["cctv_truth"], "cameras": r["cctv_cameras"],
            "views": views_of(run, r["cctv_cameras"]), "searches": r["cctv_searches"],
            "gallery_size": len(r["cctv_gallery"])}


def views_of(run: Path, cameras: pd.DataFrame) -> dict | None:
    """Each camera's view area (:func:`pipeline.cctv.journeys.view_area`): as the run stored
    it (``cctv_cameras.view_xy``), else from the floor plan of the scenario file the run names
    (runs made before view areas); None for a source without a floor plan (composites)."""
    import json

    if "view_xy" in cameras.columns and all(len(v) for v in cameras["view_xy"]):
        return {c: np.asarray(v, float).reshape(-1, 2)
                for c, v in zip(cameras["camera"], cameras["view_xy"])}
    described = json.loads((Path(run) / "scenario.json").read_text())
    if not described.get("scenario_file"):
        return None
    from pipeline.cctv.journeys import view_area
    from sim.layout import floor_plan
    from sim.loader import load_scenario

    plan = floor_plan(load_scenario(described["scenario_file"]))
    return {c: view_area(plan.camera(c)) for c in cameras["camera"]}


def score(run: dict, cfg) -> dict:
    """The linker at ``cfg`` on a loaded run's stored summaries, scored (:func:`score_links`)."""
    from experiments.cctv_run import _track_truth, summaries_of

    if "who" not in run:  # once per run, not once per config: neither depends on the linker
        run["who"] = _track_truth(run["tracks"], run["truth"])
        run["cared"] = cared_boxes(summaries_of(run["summaries"]), run["tracks"], run["truth"])
    return score_links(summaries_of(run["summaries"]), run["tracks"], run["truth"],
                       centres_of(run["cameras"]), run["who"], cfg, cared=run["cared"],
                       views=run["views"])[0]


def centres_of(cameras: pd.DataFrame) -> dict[str, tuple[float, float]]:
    return {c: (x, y) for c, x, y in zip(cameras["camera"], cameras["centre_x"],
                                         cameras["centre_y"])}


def cared_boxes(summaries, tracks: pd.DataFrame, truth: pd.DataFrame
          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ground truth and the boxes of tracks with a summary, less the don't-care persons and
    the boxes on them (:func:`pipeline.cctv.metrics.drop_dont_care`): the same whatever the
    linker does, so a replay computes it once."""
    from pipeline.cctv.metrics import MIN_VISIBLE, drop_dont_care

    # a track id can have two summaries (ended, then continued under its id): the run's
    # evaluation gives its boxes to both (``nth``: which summary, by start time)
    keys = pd.DataFrame(sorted((s.camera, s.track_id, s.t_in) for s in summaries),
                        columns=["camera", "id", "t_in"])
    keys["nth"] = keys.groupby(["camera", "id"]).cumcount()
    return drop_dont_care(truth, tracks.merge(keys.drop(columns="t_in"), on=["camera", "id"]),
                          ["camera", "frame"], MIN_VISIBLE)


def score_links(summaries, tracks: pd.DataFrame, truth: pd.DataFrame, centres: dict, who,
                cfg, journeys: pd.DataFrame | None = None,
                cared: tuple[pd.DataFrame, pd.DataFrame] | None = None,
                views: dict | None = None) -> tuple[dict, pd.DataFrame]:
    """Link ``summaries`` at ``cfg`` (or take ``journeys`` as linked) and score the journeys
    against ``truth``: cross-camera IDF1 of ``tracks``' boxes (camera, frame, id, x1..y2) under
    their journey ids, face and appearance links joining one person (``who``: (camera, track
    id) -> person) and hand-offs linked. ``cared``: :func:`cared_boxes` of these, if known;
    ``views``: the cameras' view areas. Returns the scores and the journeys table."""
    from pipeline.cctv.journeys import link_journeys
    from pipeline.cctv.metrics import cross_camera_idf1

    j = link_journeys(summaries, centres, cfg, views) if journeys is None else journeys
    g, h = cared if cared is not None else cared_boxes(summaries, tracks, truth)
    j_nth = j.sort_values("t_in").assign(
        nth=lambda d: d.groupby(["camera", "track_id"]).cumcount())
    h = h.merge(j_nth[["camera", "track_id", "nth", "journey_id"]],
                left_on=["camera", "id", "nth"], right_on=["camera", "track_id", "nth"])
    h = h.assign(id=h["journey_id"])
    out = cross_camera_idf1(g, h)
    links = {"face": [0, 0], "appearance": [0, 0]}
    for _, m in j.sort_values(["journey_id", "t_in"]).groupby("journey_id"):
        prev = None
        for r in m.itertuples(index=False):
            if prev is not None:
                kind = "face" if (r.identity is not None and r.identity == r.identity
                                  and r.link_score >= 1.0) else "appearance"
                a, b = who.get((prev.camera, prev.track_id)), who.get((r.camera, r.track_id))
                links[kind][0] += 1
                links[kind][1] += int(a is not None and a == b)
            prev = r
    hand_offs = linked = 0
    jid = dict(zip(zip(j["camera"], j["track_id"]), j["journey_id"]))
    order = sorted(((r.t_in, r.camera, r.track_id) for r in j.itertuples(index=False)))
    last_of: dict = {}
    for _, cam, tid in order:  # each track and the same person's previous track
        p = who.get((cam, tid))
        if p is None:
            continue
        prev = last_of.get(p)
        if prev is not None:
            hand_offs += 1
            linked += int(jid[prev] == jid[(cam, tid)])
        last_of[p] = (cam, tid)
    n_links = links["face"][0] + links["appearance"][0]
    right = links["face"][1] + links["appearance"][1]
    return {"IDF1": out["IDF1"], "IDP": out["IDP"], "IDR": out["IDR"],
            "journeys": out["journeys"], "people": out["gt_ids"],
            "face_links": links["face"][0], "face_links_right": links["face"][1],
            "app_links": links["appearance"][0], "app_links_right": links["appearance"][1],
            "link_precision": right / n_links if n_links else float("nan"),
            "hand_offs": hand_offs, "hand_offs_linked": linked}, j


def link_config(opts: dict):
    """``LinkConfig()`` with a grid's settings (``None``, ``True``, ``False`` spelled out)."""
    from dataclasses import replace

    from pipeline.cctv.journeys import LinkConfig

    words = {"None": None, "True": True, "False": False}
    return replace(LinkConfig(), **{k: words.get(v, v) if isinstance(v, str) else v
                                    for k, v in opts.items()})


def replay(runs: list[Path], spec: str) -> pd.DataFrame:
    from experiments.cctv_track_tune import grid

    loaded = [load(r) for r in runs]
    rows = []
    for opts in grid(spec) or [{}]:
        cfg = link_config(opts)
        for run in loaded:
            rows.append({**opts, "seed": run["seed"], **score(run, cfg)})
    return pd.DataFrame(rows)


def claimed_at(summaries: pd.DataFrame, searches: pd.DataFrame, threshold: float
               ) -> pd.DataFrame:
    """``summaries`` (a ``cctv_track_summaries`` table) with every track's claim made again at
    ``threshold`` from its stored searches, as the stream claims (``CctvStream._search``): the
    best-scoring search of the track (within its time span: a track id can be ended and
    continued) whose top candidate reaches the threshold; no claim where none does."""
    out = summaries.copy()
    ident, score = [None] * len(out), [float("nan")] * len(out)
    by_track = {k: g for k, g in searches.groupby(["camera", "track_id"])}
    for i, r in enumerate(out.itertuples(index=False)):
        g = by_track.get((r.camera, r.track_id))
        if g is None:
            continue
        g = g[(g["t"] >= r.t_in - 1e-6) & (g["t"] <= r.t_out + 1e-6)
              & (g["top_score"] >= threshold)]
        if len(g):
            best = g.loc[g["top_score"].idxmax()]
            ident[i], score[i] = list(best["candidate_ids"])[0], float(best["top_score"])
    return out.assign(identity=ident, score=score)


def threshold_of(run: dict, claims_at: str) -> float:
    """The insightface CCTV threshold for a run's gallery, fixed or following its size."""
    from experiments.cctv_operating_n import INSIGHTFACE_EMBEDDER
    from pipeline.cctv.operating import cctv_operating_point, threshold_at

    op = cctv_operating_point(INSIGHTFACE_EMBEDDER, follow_size=claims_at == "follows-size")
    return threshold_at(op.rule, run["gallery_size"])


def report(runs: list[Path], claims_at: str | None = None) -> pd.DataFrame:
    """The old defaults (:data:`OLD_DEFAULTS`), those before view areas (:data:`BEFORE_VIEWS`)
    and the current ``LinkConfig()``, per run; held-out seeds allowed (three fixed configs, no
    grid, so nothing is chosen on them)."""
    from pipeline.cctv.journeys import LinkConfig

    configs = {"old": LinkConfig(**OLD_DEFAULTS), "before_views": link_config(BEFORE_VIEWS),
               "new": LinkConfig()}
    rows = []
    for path in runs:
        run = load(path, allow_held_out=True)
        extra = {}
        if claims_at:
            thr = threshold_of(run, claims_at)
            run["summaries"] = claimed_at(run["summaries"], run["searches"], thr)
            extra = {"claims_at": claims_at, "threshold": round(thr, 4),
                     "claims": int(run["summaries"]["identity"].notna().sum())}
        for name, cfg in configs.items():
            rows.append({"config": name, "run": str(path), "seed": run["seed"], **extra,
                         **score(run, cfg)})
    return pd.DataFrame(rows)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--grid", default="")
    ap.add_argument("--report", action="store_true",
                    help="score only the old defaults, those before view areas and the "
                         "current ones (no grid); the one mode allowed on held-out seeds")
    ap.add_argument("--claims-at", choices=["fixed", "follows-size"], default=None,
                    help="with --report: claim every track again from the stored searches at "
                         "the CCTV threshold, fixed or following the gallery's size")
    ap.add_argument("--csv", type=Path, default=None)
    a = ap.parse_args(argv)
    if a.report and a.grid:
        ap.error("--report scores three fixed configs; it takes no --grid")
    if a.claims_at and not a.report:
        ap.error("--claims-at goes with --report")
    show(report(a.runs, a.claims_at) if a.report else replay(a.runs, a.grid), a.csv)


def show(table: pd.DataFrame, csv: Path | None = None) -> None:
    """Print a replay's table (and write it to ``csv``)."""
    if csv:
        table.to_csv(csv, index=False)
    pd.set_option("display.width", 250)
    print(table.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
