"""Person-tracking settings tuned on cached detections: detect once, replay the tracker many times.

    python -m experiments.cctv_track_tune collect scenarios/cctv_identification.yaml --seed 1 \\
        --from 1330 --to 1360 --fps 5 --out runs/track-cache/s1
    python -m experiments.cctv_track_tune replay runs/track-cache/s1 runs/track-cache/s2 \\
        --grid "assoc=body,head;min_hits=1,2;lost_s=2,4"
    # another head model on the same frames (faces reused from a cache of the same window)
    python -m experiments.cctv_track_tune collect ... --model runs/heads/heads_hog.svm \
        --faces-from runs/track-cache/s1 --out runs/track-cache-newheads/s1

``collect`` renders each face camera of the window once and keeps, per frame, what
:class:`pipeline.cctv.stream.CctvStream` hands its tracker: the head detector's heads and
scores (every frame, at each ``--heights``), the faces (SCRFD at the CCTV input), the person
boxes :func:`pipeline.cctv.persons.person_boxes` makes of them, each box's clothing histogram,
and the ground truth (``persons.parquet`` columns). ``replay`` runs
:class:`pipeline.cctv.persons.LibraryTracker` over those boxes for every combination of the
grid and scores each camera as ``airtwin evaluate-tracking`` does (persons in sight,
:func:`pipeline.cctv.metrics.drop_dont_care`), plus a loss breakdown (missed ground-truth boxes,
false boxes, ground truth split over several tracks, tracks covering several people).

Tune seeds only (1, 2, 3): the held-out seeds 101-103 are for the frozen settings' report.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import pickle
import time
from pathlib import Path

import numpy as np
import pandas as pd

# Held-out seeds, never tuned on: 101-103 (the peak minutes), 104-105 (long windows for FPIR 1e-3,
# stop 26), 106-110 (kept for the lead's later reports)
HELD_OUT = set(range(101, 111))
# the edge pass is cached with windows starting up to this many px inside a side (at 810 px
# high); replay's edge_reach keeps those below its own value (default 0: past the side)
CACHED_EDGE_REACH = 24


def collect(scenario: str, seed: int, window: tuple[float, float], fps: float, out: Path,
            cameras: list[str] | None = None, heights=(810,), model: Path | None = None,
            faces_from: Path | None = None, heads: dict | None = None,
            cpu: dict | None = None, adjust: float = -0.3, edge_pad: int = 0,
            edge_strip: int | None = None, band_rows: tuple = (),
            keep_heads: bool = False) -> Path:
    """Cache one seed's window (see the module docstring). ``model``: the head detector's
    ``.svm`` (default :data:`pipeline.vision.heads.DEFAULT_MODEL`); ``faces_from``: a cache of
    the same seed and window whose faces (and their histograms) are reused instead of running
    SCRFD again (the frames' times must match), so only the head detections are new.
    ``heads``: cache key -> head detector, instead of one per height in ``heights``; ``cpu``:
    a dict that gathers each key's CPU seconds on the head detector. ``adjust``: the head
    detector's threshold (a lower one keeps more heads; ``replay``'s ``adjust`` option drops
    those below a higher one); ``edge_pad`` > 0: also cache the edge pass's heads alone
    (key ``"edge"``, at ``adjust``, on ``edge_strip`` px a side), which ``replay``'s ``edge=1``
    merges in. ``band_rows``: also cache the far band's pass on the top ROWS rows of a
    1080-row frame (key :func:`band_key`; ``replay``'s ``band`` + ``band_margin``), at
    ``adjust``; ``keep_heads``: the head passes of the ``faces_from`` cache are kept (only the
    new passes run)."""
    from experiments.cctv_sources import scenario_source
    from outputs.progress import steps
    from pipeline.vision.heads import HeadDetector, body_boxes_from_heads
    from pipeline.cctv.operating import detection_input
    from pipeline.cctv.persons import body_boxes_from_faces
    from pipeline.registry import get_detector

    src = scenario_source(scenario, seed, window, cameras, fps=fps)
    if heads is None:
        # the interior pass alone: the edge pass is cached apart (key "edge", --edge-pad)
        heads = {h: HeadDetector(model_path=model, height=h, adjust=adjust, edge_pad=0)
                 for h in heights}
    strip = {} if edge_strip is None else {"edge_strip": edge_strip}
    edge = (HeadDetector(model_path=model, adjust=adjust, edge_pad=edge_pad, edge_adjust=adjust,
                         edge_reach=CACHED_EDGE_REACH, **strip) if edge_pad else None)
    bands = {band_key(r): HeadDetector(model_path=model, adjust=adjust, band=r, band_margin=0)
             for r in band_rows}
    if keep_heads and faces_from is None:
        raise SystemExit("collect --keep-heads: keeps the head passes of --faces-from CACHE; "
                         "give one")
    out.mkdir(parents=True, exist_ok=True)
    for cam, spec in src.cameras.items():
        reused = _reused_faces(faces_from, cam, seed) if faces_from else None
        if reused is None:
            det = get_detector("insightface", det_size=detection_input(spec.size))
            det.prepare()
        frames = []
        with steps(f"seed {seed} {cam}", spec.n_frames, "frames") as advance:
            for i, f in enumerate(src.frames(cam)):
                advance()
                if reused is not None:
                    faces = _reused_frame(reused, i, f.t, faces_from, cam)["faces"]
                else:
                    faces = np.array([d.box for d in det.detect(f.image)],
                                     np.float64).reshape(-1, 4)
                rec = {"t": f.t, "faces": faces, "truth": f.persons, "heads": {}}
                if keep_heads:
                    rec["heads"] = dict(_reused_frame(reused, i, f.t, faces_from, cam)["heads"])
                size = f.image.shape[1], f.image.shape[0]
                passes = [(h, hd.heads) for h, hd in heads.items()]
                passes += [(key, hd.band_heads) for key, hd in bands.items()]
                for h, run in passes:
                    c0 = time.process_time()
                    hb, sc = run(f.image)
                    if cpu is not None:
                        cpu[h] = cpu.get(h, 0.0) + time.process_time() - c0
                    rec["heads"][h] = (hb, sc, _histograms(f.image,
                                                           body_boxes_from_heads(hb, size)))
                if edge is not None:
                    hb, sc = edge.edge_heads(f.image)
                    rec["heads"]["edge"] = (hb, sc, _histograms(f.image,
                                                                body_boxes_from_heads(hb, size)))
                rec["face_hist"] = (_reused_frame(reused, i, f.t, faces_from, cam)["face_hist"]
                                    if reused is not None else
                                    _histograms(f.image, body_boxes_from_faces(faces, size)))
                frames.append(rec)
        with open(out / f"{cam}.pkl", "wb") as fh:
            pickle.dump({"camera": cam, "fps": spec.fps, "size": spec.size, "seed": seed,
                         "frames": frames}, fh)
    return out


def band_key(rows: int) -> str:
    """The cache key of the far band's pass on a frame's top ``rows`` rows (of 1080)."""
    return f"band_top{int(rows)}"


def _reused_faces(folder: Path, cam: str, seed: int) -> list[dict]:
    path = Path(folder) / f"{cam}.pkl"
    if not path.is_file():
        raise SystemExit(f"--faces-from {folder}: no cached camera {cam} ({path} missing)")
    with open(path, "rb") as fh:
        cached = pickle.load(fh)
    if cached["seed"] != seed:
        raise SystemExit(f"--faces-from {path}: seed {cached['seed']}, not --seed {seed}")
    return cached["frames"]


def _reused_frame(reused: list[dict], i: int, t: float, folder: Path, cam: str) -> dict:
    """The cached frame at time ``t`` (the ``i``-th of the window; a window starting later
    than the cache's finds it by time)."""
    if i < len(reused) and abs(reused[i]["t"] - t) <= 1e-6:
        return reused[i]
    at = [r for r in reused if abs(r["t"] - t) <= 1e-6]
    if at:
        return at[0]
    got = reused[i]["t"] if i < len(reused) else "none"
    raise SystemExit(f"--faces-from {folder}/{cam}.pkl: frame {i} is at t={got}, no cached frame "
                     f"at the window's t={t}; collect a window inside the cache's at its --fps")


def _histograms(image, bodies) -> list:
    from pipeline.cctv.appearance import clothing_histogram

    return [clothing_histogram(image, b) for b in bodies]


def load(folder: Path, cameras: list[str] | None = None) -> list[dict]:
    out = []
    for p in sorted(Path(folder).glob("*.pkl")):
        if cameras and p.stem not in cameras:
            continue
        with open(p, "rb") as fh:
            out.append(pickle.load(fh))
    if not out:
        raise SystemExit(f"{folder}: no cached camera (*.pkl); run `collect` first")
    if out[0]["seed"] in HELD_OUT:
        raise SystemExit(f"{folder}: seed {out[0]['seed']} is held out; tune on seeds 1, 2, 3")
    return out


CACHE_SCENARIO = "scenarios/cctv_identification.yaml"  # the scenario every cache was taken of


@functools.lru_cache(maxsize=None)
def camera_model(camera: str):
    """A cached camera's calibration (:class:`floorplan.camera.CameraModel`), from the floor
    plan of :data:`CACHE_SCENARIO` (the cameras do not depend on the seed)."""
    from sim.layout import floor_plan
    from sim.loader import load_scenario

    return floor_plan(load_scenario(CACHE_SCENARIO)).camera(camera)


# the head detector as the stream runs it (pipeline.vision.heads.HeadDetector's defaults), in
# replay keys
SHIPPED_HEADS = {"adjust": -0.3, "edge": 1, "edge_adjust": 0.0}


def stream_options() -> dict:
    """:func:`track_camera` options of the stream's chain at its defaults: the head detector
    (:data:`SHIPPED_HEADS`, twin rule on), the tracker options and the re-linker."""
    from pipeline.cctv.persons import CCTV_TRACKER_OPTIONS

    return {**CCTV_TRACKER_OPTIONS, **SHIPPED_HEADS, "relink": 1, "twins": 1}


def track_camera(cam: dict, opts: dict, swap: dict | None = None,
                 crops: dict | None = None) -> pd.DataFrame:
    """The (frame, id, x1, y1, x2, y2, face) tracks of one cached camera under ``opts`` (tracker
    options, ``height`` / ``every`` of the head detector, ``relink`` 0/1 and its ``r_*``
    settings); ``face``: the index of the cached face the track's box carries (-1: none).
    ``swap``: :class:`pipeline.cctv.swaps.SwapConfig` fields, the swap guard after the
    re-linker (None: off); it compares the cached clothing histograms (at
    :data:`pipeline.cctv.swaps.HIST_GUARD`'s settings unless ``swap`` names others), or with
    ``crops`` (the camera's ``experiments.cctv_swap_tune crops`` cache) the looks of
    :mod:`pipeline.cctv.look` (``l_*`` fields of ``swap``:
    :class:`pipeline.cctv.look.LookConfig`)."""
    from pipeline.cctv.persons import make_tracker
    from pipeline.cctv.relink import RelinkConfig, Relinker
    from pipeline.cctv.swaps import HIST_GUARD, SwapConfig, SwapGuard

    height, every = opts.get("height", 810), int(opts.get("every", 1))
    topts = _tracker_options(opts)
    topts["frame_size"] = tuple(cam["size"])  # as CctvStream gives it
    # the camera's calibration, as CctvStream gives it where it is known
    tracker = make_tracker("bytetrack", cam["fps"], camera=camera_model(cam["camera"]),
                           options=topts)
    trail = getattr(tracker, "trail", None)
    relinker = None
    if int(opts.get("relink", 0)):
        relinker = Relinker(RelinkConfig(**{k[2:]: v for k, v in opts.items()
                                            if k.startswith("r_")}))
    guard = None
    if swap is not None:
        from pipeline.cctv.look import LookConfig

        look_config = LookConfig(**{k[2:]: v for k, v in swap.items() if k.startswith("l_")})
        fields = {**({"cue": "look"} if crops is not None else HIST_GUARD),
                  **{k: v for k, v in swap.items() if not k.startswith("l_")}}
        if fields["cue"] == "look" and crops is None:
            raise SystemExit("swap guard cue=look: the replay needs a crops cache (--crops)")
        guard = SwapGuard(SwapConfig(**fields, look=look_config))
    rows, last, boxes, changes, links, row_hists, rids, raws = [], None, [], [], [], [], [], []
    cues, row_scores, heals = [], [], []
    for k, fr in enumerate(cam["frames"]):
        if last is None or k % every == 0:
            last = _heads(fr["heads"], height, opts, cam["size"], k)
        people, hists = _people(last, fr["faces"], fr["face_hist"], cam["size"])
        boxes.append(people.boxes)
        more = {"looks": hists} if getattr(tracker, "wants_looks", False) else {}
        tracks = tracker.update(fr["t"], people.boxes, people.scores, heads=people.heads, **more)
        h = [hists[tr.detection] if tr.detection >= 0 else None for tr in tracks]
        raws += [tr.track_id for tr in tracks]
        row_scores += [float(people.scores[tr.detection]) if tr.detection >= 0 else np.nan
                       for tr in tracks]
        if trail is not None:
            cues += [(trail.speed(tr.track_id), trail.floor_speed(tr.track_id)) for tr in tracks]
        if relinker is not None:
            raw = [tr.track_id for tr in tracks]
            tracks = relinker.update(fr["t"], tracks, h)
            links += [(fr["t"], r, tr.track_id, relinker.kind_now[tr.track_id])
                      for r, tr in zip(raw, tracks) if tr.track_id in relinker.kind_now
                      and r != tr.track_id]
        rids += [tr.track_id for tr in tracks]
        if guard is not None:
            if guard.config.cue == "look":
                h = _looks(crops["frames"][k], fr["t"], people.boxes, tracks, look_config,
                           cam["size"][1])
            tracks = guard.update(fr["t"], tracks, h)
            changes += guard.changes_now
            heals += [(fr["t"], *pair) for pair in guard.healed_now]
        rows += [(fr["t"], tr.track_id, *tr.box, people.face_of_box.get(tr.detection, -1))
                 for tr in tracks]
        row_hists += [hists[tr.detection] if tr.detection >= 0 else None for tr in tracks]
    out = pd.DataFrame(rows, columns=["frame", "id", "x1", "y1", "x2", "y2", "face"])
    out.attrs["swap_changes"] = _Kept(changes)
    out.attrs["heals"] = _Kept(heals)  # the guard's heals: (t, the new id, the old id continued)
    out.attrs["boxes"] = _Kept(boxes)  # each frame's person boxes
    # the re-linker's links: (t, the new tracker id, the id it continues, "short" / "dwell")
    out.attrs["links"] = _Kept(links)
    # each row's clothing histogram (None: coasting or replaced)
    out.attrs["hists"] = _Kept(row_hists)
    out.attrs["relinked_ids"] = _Kept(rids)  # each row's id after the re-linker (before the guard)
    out.attrs["raw_ids"] = _Kept(raws)  # each row's tracker id (before the re-linker)
    out.attrs["scores"] = _Kept(row_scores)  # each row's box score (NaN: coasting)
    # each row's track speed after the frame (image, floor; None: unknown), as the tracker's
    # head trail reads it (empty: no option reads it)
    out.attrs["speeds"] = _Kept(cues)
    return out


class _Kept(list):
    """A list that a frame's ``attrs`` hold by reference: pandas deep-copies ``attrs`` into
    every column, slice and group taken of the frame, which on a five-minute window's boxes
    and histograms cost more than the replay."""

    def __deepcopy__(self, memo):
        return self


def _looks(cached: dict, t: float, boxes, tracks, config, frame_height: float) -> list:
    """Each track's look in a frame of a crops cache (None for a coasting box): its person box's
    crop looked up among the cache's bodies (``experiments.cctv_swap_tune crops``: every
    :func:`candidate_bodies`, or, in caches of before, the person boxes of one replay)."""
    from pipeline.cctv.look import look_of, occluders

    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if abs(cached["t"] - t) > 1e-6:
        raise SystemExit(f"crops cache: frame at t={cached['t']}, the replay's at t={t}")
    out = []
    for tr in tracks:
        if tr.detection < 0:
            out.append(None)
            continue
        crop = cached_crop(cached, boxes[tr.detection])
        if crop is None:
            raise SystemExit(f"crops cache at t={t}: no crop of person box "
                             f"{boxes[tr.detection].round(1).tolist()} ({len(cached['boxes'])} "
                             f"cached bodies): collect it again (`crops`) with this code")
        out.append(look_of(*crop, boxes[tr.detection], occluders(boxes, tr.detection), config,
                           frame_height))
    return out


def cached_crop(cached: dict, box, tol: float = 1e-6):
    """A crops cache frame's (crop, frame box) of person box ``box`` (None: not among its
    cached bodies, to ``tol`` px)."""
    at = np.flatnonzero(np.abs(np.asarray(cached["boxes"]) - np.asarray(box)).max(1) < tol)
    return cached["crops"][at[0]] if len(at) else None


def candidate_bodies(frame: dict, size) -> np.ndarray:
    """Every body a person box of a cached frame can be, whatever the replay's head threshold,
    edge pass or twin rule: of each cached head at :data:`pipeline.vision.heads.TRAIN_HEIGHT`
    (the edge pass's too) and of each face (:func:`pipeline.cctv.persons.person_boxes` keeps a
    head's body or puts a face's in its place)."""
    from pipeline.vision.heads import TRAIN_HEIGHT, body_boxes_from_heads
    from pipeline.cctv.persons import body_boxes_from_faces

    heads = [frame["heads"][k][0] for k in (TRAIN_HEIGHT, "edge") if k in frame["heads"]]
    return np.vstack([body_boxes_from_heads(np.vstack(heads).reshape(-1, 4), size),
                      body_boxes_from_faces(frame["faces"], size)]).astype(np.float64)


def _heads(cached: dict, height, opts: dict, size=(1920, 1080), frame: int = 0) -> tuple:
    """A frame's cached (heads, scores, histograms) under ``opts``: ``adjust``, the head
    detector's threshold (only at or above the cache's), and ``edge`` 1 with ``edge_adjust``
    (default the detector's, :data:`pipeline.vision.heads.EDGE_ADJUST`) and ``edge_reach`` (default 0, at most :data:`CACHED_EDGE_REACH`):
    the edge pass's heads merged in as :meth:`pipeline.vision.heads.HeadDetector.heads` merges
    them (``size``: the frame's width, height; ``frame``: the frame's index, for the band's
    ``band_every``). ``far_rows`` (px of a 1080-row frame; 0: off) with ``far_adjust``: heads
    ending in the frame's top ``far_rows`` rows kept down to that lower threshold (interior and
    band passes; tried on the far cameras, not shipped: docs/cctv.md "A track from its first head")."""
    from pipeline.vision.heads import (EDGE_ADJUST, TRAIN_HEIGHT, _score, edge_keep,
                                     edge_windows, shoulder_boxes_from_heads)

    far_rows = float(opts.get("far_rows", 0)) * size[1] / 1080.0

    def above(part, adjust):
        heads, scores, hists = part
        keep = scores >= _score(adjust) - 1e-9
        if far_rows:  # heads ending in the top far_rows rows kept down to far_adjust
            keep |= ((heads[:, 3] <= far_rows + 1e-6)
                     & (scores >= _score(float(opts["far_adjust"])) - 1e-9))
        return heads[keep], scores[keep], [h for h, k in zip(hists, keep) if k]

    adjust = opts.get("adjust")
    heads, scores, hists = cached[height] if adjust is None else above(cached[height], adjust)
    if float(opts.get("band", 0)) and frame % int(opts.get("band_every", 1)) == 0:
        heads, scores, hists = _band(cached, (heads, scores, hists), opts, size, above)
    if not int(opts.get("edge", 0)):
        return _twins((heads, scores, hists), opts)
    if "edge" not in cached:
        raise SystemExit("replay edge=1: the cache has no edge pass; collect with --edge-pad")
    eh, es, ehist = above(cached["edge"], opts.get("edge_adjust", EDGE_ADJUST))
    reach = float(opts.get("edge_reach", 0))
    if reach > CACHED_EDGE_REACH:
        raise SystemExit(f"replay edge_reach={reach}: the cache holds windows up to "
                         f"{CACHED_EDGE_REACH} px inside a side")
    k = TRAIN_HEIGHT / size[1]
    hs, w = shoulder_boxes_from_heads(eh) * k, round(size[0] * k)
    near = edge_windows(hs, w, reach, True) | edge_windows(hs, w, reach, False)
    eh, es, ehist = eh[near], es[near], [h for h, n in zip(ehist, near) if n]
    keep = edge_keep(eh, heads)  # as pipeline.vision.heads.merge_edge_heads keeps them
    return _twins((np.vstack([heads, eh[keep]]), np.concatenate([scores, es[keep]]),
                   list(hists) + [h for h, k in zip(ehist, keep) if k]), opts)


def _band(cached: dict, part: tuple, opts: dict, size, above) -> tuple:
    """``band`` > 0 (px of the frame): the far band's pass merged in, as
    :meth:`pipeline.vision.heads.HeadDetector.heads` merges it: the heads of the cache's pass on
    the top ``band`` + ``band_margin`` rows (default :data:`pipeline.vision.heads.BAND_MARGIN`;
    ``collect --band-rows``), or with ``band_margin=whole`` of its whole-frame
    ``band_height`` pass (default 1080 rows; ``collect --heights 810,1080``) at the detector's
    threshold whose head lies in the frame's top ``band`` rows and overlaps no head of the
    interior pass (head-box IoU < 0.3)."""
    from pipeline.vision.heads import ADJUST, BAND_HEIGHT, BAND_MARGIN, band_keep

    margin = opts.get("band_margin", BAND_MARGIN)
    if margin == "whole":
        key = int(opts.get("band_height", BAND_HEIGHT))
        if key not in cached:
            raise SystemExit(f"replay band=...: the cache has no {key}-row pass; collect with "
                             f"--heights 810,{key}")
    else:
        key = band_key(int(opts["band"]) + int(margin))
        if key not in cached:
            raise SystemExit(f"replay band={opts['band']};band_margin={margin}: the cache has no "
                             f"pass on the top {int(opts['band']) + int(margin)} rows; collect "
                             f"with --band-rows {int(opts['band']) + int(margin)} (or replay "
                             f"band_margin=whole, the whole frame's pass)")
    bh, bs, bhist = above(cached[key], opts.get("adjust", ADJUST))
    heads, scores, hists = part
    keep = band_keep(bh, heads, float(opts["band"]) * size[1] / 1080.0)
    return (np.vstack([heads, bh[keep]]), np.concatenate([scores, bs[keep]]),
            list(hists) + [h for h, k in zip(bhist, keep) if k])


def _twins(part: tuple, opts: dict) -> tuple:
    """``twins`` 1 (default 0: the caches' replays before the rule): the head detector's
    half-window-twin suppression after the edge merge, as ``HeadDetector(twins=True)``
    (:func:`pipeline.vision.heads.half_window_twins`; ``twin_ratio``, ``twin_lo``, ``twin_hi``)."""
    from pipeline.vision.heads import TWIN_OFFSET, TWIN_RATIO, half_window_twins

    if not int(opts.get("twins", 0)):
        return part
    heads, scores, hists = part
    k = half_window_twins(heads, scores, float(opts.get("twin_ratio", TWIN_RATIO)),
                          (float(opts.get("twin_lo", TWIN_OFFSET[0])),
                           float(opts.get("twin_hi", TWIN_OFFSET[1]))))
    return heads[k], scores[k], [h for h, y in zip(hists, k) if y]


TRACKER_KEYS = ("assoc", "min_hits", "lost_s", "min_iou", "activation", "high", "iou", "coast",
                "head_scale", "edge_coast", "side_width", "walker_lost_s", "speed_s", "still_m_s",
                "looks_weight", "looks_veto", "looks_keep", "looks_still_m_s", "looks_cue",
                "looks_alone", "looks_frame", "looks_place", "looks_lost",
                "looks_lost_still", "looks_missed", "lost_cue", "born", "born_iou")


def _tracker_options(opts: dict) -> dict:
    return {k: opts[k] for k in TRACKER_KEYS if k in opts}


def _people(detected, faces, face_hist, size):
    """The frame's person boxes as the stream makes them, and each box's clothing histogram
    (looked up among the cached head- and face-implied bodies; None for a replaced box)."""
    from pipeline.vision.heads import HeadDetector, body_boxes_from_heads
    from pipeline.cctv.persons import body_boxes_from_faces, person_boxes

    heads, scores, head_hist = detected
    bodies = body_boxes_from_heads(heads, size)
    people = person_boxes(bodies, scores, faces, size, heads=heads,
                          **HeadDetector.person_box_options)
    known = np.vstack([np.asarray(bodies, np.float64).reshape(-1, 4),
                       np.asarray(body_boxes_from_faces(faces, size), np.float64).reshape(-1, 4)])
    known_hist = list(head_hist) + list(face_hist)
    hists = []
    for box in people.boxes:  # the first known body equal to the box (np.allclose, vectorised)
        hit = np.flatnonzero(np.isclose(known, np.asarray(box, np.float64)).all(1))
        hists.append(known_hist[hit[0]] if len(hit) else None)
    return people, hists


def truth_of(cam: dict) -> pd.DataFrame:
    parts = []
    for fr in cam["frames"]:
        p = fr["truth"]
        if len(p):
            parts.append(pd.DataFrame({"frame": fr["t"], "id": p["traveler_id"].to_numpy(),
                                       "x1": p["x1"], "y1": p["y1"], "x2": p["x2"],
                                       "y2": p["y2"], "occluded": p["occluded"]}))
    return pd.concat(parts, ignore_index=True)


def score(truth: pd.DataFrame, hyp: pd.DataFrame) -> dict:
    from pipeline.cctv.metrics import drop_dont_care, mot_metrics

    g, h = drop_dont_care(truth, hyp, ["frame"])
    m = mot_metrics(g[["frame", "id", "x1", "y1", "x2", "y2"]], h)
    return {k: m[k] for k in ("IDF1", "IDP", "IDR", "HOTA", "MOTA", "ID_switches", "gt_ids",
                              "tracker_ids")}


def grid(spec: str) -> list[dict]:
    keys, values = [], []
    for part in filter(None, spec.split(";")):
        k, v = part.split("=")
        keys.append(k.strip())
        values.append([_value(x) for x in v.split(",")])
    return [dict(zip(keys, combo)) for combo in itertools.product(*values)]


def _value(x: str):
    for cast in (int, float):
        try:
            return cast(x)
        except ValueError:
            pass
    return x


def replay(folders: list[Path], spec: str, cameras: list[str] | None = None) -> pd.DataFrame:
    cams = [(f, c) for f in folders for c in load(f, cameras)]
    truths = {(str(f), c["camera"]): truth_of(c) for f, c in cams}
    rows = []
    for opts in grid(spec):
        for f, c in cams:
            m = score(truths[(str(f), c["camera"])],
                      track_camera(c, opts)[["frame", "id", "x1", "y1", "x2", "y2"]])
            rows.append({**opts, "seed": c["seed"], "camera": c["camera"], **m})
    return pd.DataFrame(rows)


def window_args(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """A scenario window's arguments (scenario, seed, --from/--to, fps, cameras), shared by the
    CCTV tuning scripts."""
    parser.add_argument("scenario")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--from", dest="t_from", type=float, required=True)
    parser.add_argument("--to", dest="t_to", type=float, required=True)
    parser.add_argument("--fps", type=float, default=5.0)
    parser.add_argument("--cameras", default=None)
    return parser


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = window_args(sub.add_parser("collect"))
    c.add_argument("--heights", default="810")
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--model", type=Path, default=None,
                   help="head detector .svm (default: the shipped pipeline/vision/models model)")
    c.add_argument("--adjust", type=float, default=-0.3,
                   help="head detector threshold; replay's adjust=X keeps heads at X or above")
    c.add_argument("--edge-pad", type=int, default=0,
                   help="also cache the edge pass alone (mirrored px past each side)")
    c.add_argument("--edge-strip", type=int, default=None,
                   help="the edge pass's strip, px a side (default: the detector's)")
    c.add_argument("--band-rows", default="",
                   help="also cache the far band's pass on the top ROWS rows of 1080 (e.g. "
                        "360,420; replay band + band_margin)")
    c.add_argument("--keep-heads", action="store_true",
                   help="keep the --faces-from cache's head passes; run only the new ones")
    c.add_argument("--faces-from", type=Path, default=None,
                   help="reuse the faces of this cache (same seed and window) instead of SCRFD")
    r = sub.add_parser("replay")
    r.add_argument("folders", nargs="+", type=Path)
    r.add_argument("--grid", default="")
    r.add_argument("--csv", type=Path, default=None)
    r.add_argument("--cameras", default=None, help="only these cached cameras")
    a = ap.parse_args(argv)
    if a.cmd == "collect":
        if a.seed in HELD_OUT:
            raise SystemExit(f"--seed {a.seed} is held out; tune on seeds 1, 2, 3")
        collect(a.scenario, a.seed, (a.t_from, a.t_to), a.fps, a.out,
                a.cameras.split(",") if a.cameras else None,
                tuple(int(h) for h in a.heights.split(",") if h), a.model, a.faces_from,
                adjust=a.adjust, edge_pad=a.edge_pad, edge_strip=a.edge_strip,
                band_rows=tuple(int(r) for r in a.band_rows.split(",") if r),
                keep_heads=a.keep_heads)
        return
    table = replay(a.folders, a.grid, a.cameras.split(",") if a.cameras else None)
    if a.csv:
        table.to_csv(a.csv, index=False)
    keys = [k for k in table.columns if k not in ("seed", "camera", "IDF1", "IDP", "IDR", "HOTA",
                                                  "MOTA", "ID_switches", "gt_ids",
                                                  "tracker_ids")]
    pd.set_option("display.width", 250)
    print(table.round(3).to_string(index=False))
    if keys:
        print(table.groupby(keys)[["IDF1", "HOTA", "MOTA", "ID_switches"]].mean().round(3)
              .sort_values("IDF1").to_string())


if __name__ == "__main__":
    main()
