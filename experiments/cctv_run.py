"""Drive the CCTV identification core over frames with ground truth, and measure it.

    tables = run_cameras(frames_by_camera, gallery, detector, embedder, centres, config)
    metrics = evaluate(tables, gallery)

``frames_by_camera`` maps a camera id to its frames in time order, each with ``.image``,
``.t`` and a ground-truth ``.persons`` DataFrame (the frame interface agreed with the
face-capable cameras of issue 11 part 1; :mod:`experiments.cctv_composite` makes such frames
today). Ground truth is read only here, never by the pipeline.

Tables (one row per ...): ``cctv_tracks`` (camera, frame t, track box, ``filled``: a row of a
track's short gap filled after the run, :mod:`pipeline.cctv.gaps`), ``cctv_truth`` (camera,
frame t, GT person box and face), ``cctv_frames`` (camera, frame t: wall ``seconds``, process
CPU ``cpu_s``, wall seconds per stage ``detect_s`` ... ``search_s``, person boxes given to the
tracker and how many of them faces implied), ``cctv_faces`` (each embedded face: box, IPD,
cosine with its track's earlier faces; no template), ``cctv_searches`` (one 1:N search: its candidates' ids and
scores, no template), ``journeys``. The evaluation adds ``cctv_identification`` (FRTE style per
group), ``cctv_tracking`` (per camera) and ``cctv_cross_camera`` over the persons in sight
(at least :data:`pipeline.cctv.metrics.MIN_VISIBLE` of the body visible; the hidden ones are
"don't care"), and ``cctv_tracking_all`` / ``cctv_cross_camera_all`` over everyone in view;
``cctv_tracking_filled`` / ``cctv_cross_camera_filled``: the persons in sight again, with the
rows :func:`pipeline.cctv.gaps.fill_gaps` added to ``cctv_tracks`` (``filled`` True; the other
tables and the identification read only the tracker's own rows); in a run with its fragments
stitched (``cctv_tracks.stitched_id``, :mod:`pipeline.cctv.stitch`), ``cctv_tracking_stitched``
/ ``cctv_cross_camera_stitched``: the same rows under the stitched ids and the journeys linked on
the stitched tracks (``journeys_stitched``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from pipeline.cctv.galleries import Gallery
from pipeline.cctv.gaps import MAX_GAP_S, fill_gaps
from pipeline.cctv.journeys import LinkConfig, link_journeys
from pipeline.cctv.metrics import (MIN_VISIBLE, cross_camera_idf1, drop_dont_care,
                                   identification_by, ipd_band, mot_metrics)
from pipeline.cctv.stitch import StitchConfig, stitch, stitched_summaries, summary_looks
from pipeline.cctv.stream import CctvStream, StreamConfig
from pipeline.vision.detections import iou_matrix
from outputs.progress import steps

# per-frame stages of :class:`pipeline.cctv.stream.CctvStream`, wall seconds as ``<stage>_s``
STAGES = ("detect", "quality", "track", "embed", "search")


def camera_config(config: StreamConfig, fps: float | None = None,
                  tracker_options: dict | None = None) -> StreamConfig:
    """One camera's stream settings: ``config`` at the camera's frame rate ``fps`` (None: as
    it is) with its person tracker's options ``tracker_options`` over the stream's."""
    if fps:
        config = replace(config, fps=fps)
    if tracker_options:
        config = replace(config, tracker_options={**config.tracker_options, **tracker_options})
    return config


def run_cameras(frames_by_camera: dict, gallery: Gallery, detector, embedder,
                centres: dict[str, tuple[float, float]], config: StreamConfig = StreamConfig(),
                audit=None, frame_size=(1920, 1080), link: LinkConfig = LinkConfig(),
                quiet: bool = False, fps: dict[str, float] | None = None,
                person_detectors: dict | None = None,
                views: dict[str, np.ndarray] | None = None,
                models: dict | None = None,
                max_gap_s: float = MAX_GAP_S,
                stitching: StitchConfig | None = None,
                tracker_options: dict[str, dict] | None = None) -> dict[str, pd.DataFrame]:
    """Every camera's frames through its own stream, then journeys across cameras.
    ``frame_size``: one (width, height) for all cameras or a dict per camera; ``fps``: each
    camera's frame rate where it differs from ``config.fps`` (the tracker's time step);
    ``detector``: one for all cameras or a dict per camera; ``person_detectors``: camera id ->
    its prepared :class:`pipeline.vision.detections.PersonDetector` (a camera without one tracks
    the bodies its faces imply); ``views``: camera id -> its view area on the floor, for the
    journeys (:func:`pipeline.cctv.journeys.view_area`; None: view centres only); ``models``:
    camera id -> its calibration (:class:`floorplan.camera.CameraModel`), for the tracker's
    floor speed (a camera without one reads the image speed); ``max_gap_s``: once every frame
    is processed, each track's gaps up to this long are filled
    (:func:`pipeline.cctv.gaps.fill_gaps`; ``cctv_tracks.filled`` marks those rows; 0: none);
    ``stitching``: then each camera's fragments are stitched (:func:`pipeline.cctv.stitch.stitch`,
    ``cctv_tracks.stitched_id`` beside the tracker's ``id``) and the journeys linked again on the
    stitched tracks' summaries (``journeys_stitched``); None: off. ``tracker_options``: camera
    id -> the person tracker's options there over ``config.tracker_options`` (e.g.
    ``{"hall_exit": {"born": True}}``)."""
    unknown = sorted(set(frames_by_camera) - set(centres))
    if unknown:
        raise ValueError(f"unknown camera(s) {', '.join(unknown)} (the floor plan has "
                         f"{', '.join(sorted(centres))})")
    tracks, truth, searches, summaries, seconds, faces = [], [], [], [], [], []
    for cam, frames in frames_by_camera.items():
        size = frame_size[cam] if isinstance(frame_size, dict) else frame_size
        cam_config = camera_config(config, (fps or {}).get(cam),
                                   (tracker_options or {}).get(cam))
        det = detector[cam] if isinstance(detector, dict) else detector
        stream = CctvStream(cam, size, det, embedder, gallery, cam_config, audit,
                            person_detector=(person_detectors or {}).get(cam),
                            camera_model=(models or {}).get(cam))
        # frames may be rendered lazily: never held all at once
        total = len(frames) if hasattr(frames, "__len__") else None
        with steps(f"camera {cam}", total, "frames", quiet=quiet) as advance:
            for f in frames:
                r = stream.process(f.image, f.t)
                advance()
                _collect(cam, f, r, tracks, truth, searches, seconds, faces)
        summaries += stream.finish()
    tables = _tables(tracks, truth, searches, seconds,
                     link_journeys(summaries, centres, link, views), faces)
    # after every search and journey: filled rows never make or change an identification
    tables["cctv_tracks"] = fill_gaps(tables["cctv_tracks"], tables["cctv_frames"][
        ["camera", "t"]].rename(columns={"t": "frame"}), max_gap_s)
    tables["cctv_track_summaries"] = summary_table(summaries)
    if stitching is not None:
        looks, claims = summary_looks(summaries)
        tables["cctv_tracks"] = stitch(tables["cctv_tracks"], stitching, looks, claims)
        tables["journeys_stitched"] = link_journeys(
            stitched_summaries(summaries, tables["cctv_tracks"]), centres, link, views)
    return tables


SUMMARY_COLUMNS = ["camera", "track_id", "t_in", "t_out", "identity", "score", "watchlist",
                   "frames", "histogram"]


def summary_table(summaries) -> pd.DataFrame:
    """One row per track summary (:class:`pipeline.cctv.stream.TrackSummary`): what the
    cross-camera linker saw, its clothing histogram flattened, so the linker can be replayed
    on a run (``python -m experiments.cctv_link_tune``). No face, no template."""
    return pd.DataFrame([(s.camera, s.track_id, s.t_in, s.t_out, s.identity, s.score,
                          s.watchlist, s.frames, np.asarray(s.histogram, np.float32).ravel())
                         for s in summaries], columns=SUMMARY_COLUMNS)


def summaries_of(table: pd.DataFrame):
    """The :class:`pipeline.cctv.stream.TrackSummary` list of a ``cctv_track_summaries``
    table (:func:`summary_table`)."""
    from pipeline.cctv.appearance import HIST_BINS
    from pipeline.cctv.stream import TrackSummary

    return [TrackSummary(r.camera, int(r.track_id), float(r.t_in), float(r.t_out),
                         None if r.identity is None or r.identity != r.identity else r.identity,
                         float(r.score), bool(r.watchlist),
                         np.asarray(r.histogram, np.float32).reshape(HIST_BINS), int(r.frames))
            for r in table.itertuples(index=False)]


def _collect(cam, f, r, tracks, truth, searches, seconds, faces) -> None:
    seconds.append((cam, f.t, r.seconds, r.cpu_seconds,
                    *(r.stages.get(k, np.nan) for k in STAGES), r.person_boxes,
                    r.boxes_from_faces))
    tracks += [(cam, f.t, tid, *box) for tid, box in r.tracks]
    faces += [(cam, f.t, o.track_id, *o.box, o.quality.ipd_px, o.agreement)
              for o in r.faces if o.embedded]
    p = f.persons if "occluded" in f.persons.columns else f.persons.assign(occluded=0.0)
    truth += [(cam, f.t, *row) for row in p[["traveler_id", "x1", "y1", "x2", "y2", "face_x1",
                                             "ipd_px", "occluded"]].itertuples(index=False)]
    for s in r.searches:
        top = s.candidates[0] if s.candidates else None
        searches.append((cam, s.track_id, s.t, s.first_face_t, s.search, s.matched,
                         s.watchlist, s.best_ipd_px, [c.template_id for c in s.candidates],
                         [c.score for c in s.candidates], top.score if top else np.nan))


def _tables(tracks, truth, searches, seconds, journeys, faces=()) -> dict[str, pd.DataFrame]:
    return {
        # each embedded face: where, its track, its size and its agreement with the track's
        # earlier faces (pipeline.cctv.aggregate identity segments); never a template
        "cctv_faces": pd.DataFrame(list(faces), columns=["camera", "frame", "track_id", "x1",
                                                         "y1", "x2", "y2", "ipd_px",
                                                         "agreement"]),
        "cctv_tracks": pd.DataFrame(tracks, columns=["camera", "frame", "id", "x1", "y1", "x2",
                                                     "y2"]),
        "cctv_truth": pd.DataFrame(truth, columns=["camera", "frame", "id", "x1", "y1", "x2",
                                                   "y2", "face_x1", "ipd_px", "occluded"]),
        "cctv_searches": pd.DataFrame(searches, columns=[
            "camera", "track_id", "t", "first_face_t", "search", "matched", "watchlist",
            "best_ipd_px", "candidate_ids", "candidate_scores", "top_score"]),
        "cctv_frames": pd.DataFrame(seconds, columns=[
            "camera", "t", "seconds", "cpu_s", *(f"{k}_s" for k in STAGES), "person_boxes",
            "boxes_from_faces"]),
        "journeys": journeys,
    }


def _track_truth(tracks: pd.DataFrame, truth: pd.DataFrame) -> pd.Series:
    """(camera, track id) -> the GT traveler its boxes overlap most (IoU >= 0.3 votes)."""
    votes = []
    truth_at = dict(list(truth.groupby(["camera", "frame"])))  # one pass, not one per frame
    for (cam, t), h in tracks.groupby(["camera", "frame"]):
        g = truth_at.get((cam, t))
        if g is None or g.empty:
            continue
        iou = iou_matrix(h[["x1", "y1", "x2", "y2"]].to_numpy(float), g[["x1", "y1", "x2", "y2"]]
                   .to_numpy(float))
        for i, tid in enumerate(h["id"]):
            j = int(iou[i].argmax())
            if iou[i, j] >= 0.3:
                votes.append((cam, tid, int(g["id"].iloc[j])))
    v = pd.DataFrame(votes, columns=["camera", "id", "traveler"])
    return v.groupby(["camera", "id"])["traveler"].agg(lambda s: s.mode().iloc[0])


def evaluate(tables: dict[str, pd.DataFrame], gallery: Gallery,
             groups: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Identification, tracking and cross-camera metrics; ``groups`` (traveler_id plus
    demographic columns) adds per-group identification rows."""
    rows, truth, s = tables["cctv_tracks"], tables["cctv_truth"], tables["cctv_searches"].copy()
    # the tracker's own rows; a run's filled gaps (pipeline.cctv.gaps) are scored beside them
    filled = rows["filled"].astype(bool) if "filled" in rows.columns else \
        pd.Series(False, index=rows.index)
    tracks = rows[~filled]
    who = _track_truth(tracks, truth)
    enrolled = {tr: tid for tid, tr in gallery.traveler_of.items() if tr >= 0}
    s["traveler_id"] = [who.get((c, k), -1) for c, k in zip(s["camera"], s["track_id"])]
    s["mated"] = s["traveler_id"].map(lambda tr: tr in enrolled)
    rank, score = [], []
    for tr, ids, scs in zip(s["traveler_id"], s["candidate_ids"], s["candidate_scores"]):
        mate = enrolled.get(tr)
        ids = list(ids)
        r = ids.index(mate) + 1 if mate in ids else 0
        rank.append(r)
        score.append(float(scs[r - 1]) if r else np.nan)
    s["mate_rank"], s["mate_score"] = rank, score
    s["ipd_band"] = ipd_band(s["best_ipd_px"]).astype(str).to_numpy()
    s["policy"], s["gallery_size"] = gallery.policy, gallery.size
    if groups is not None:
        s = s.merge(groups, on="traveler_id", how="left")
    group_columns = [c for c in groups.columns if c != "traveler_id"] if groups is not None else []
    ident = identification_by(s, ["camera", "ipd_band", *group_columns]).assign(
        policy=gallery.policy, gallery_size=gallery.size)
    out = {"cctv_search_truth": s.drop(columns=["candidate_ids", "candidate_scores"]),
           "cctv_identification": ident}
    # the persons in sight (the scored ground truth) and everyone in view, side by side; and the
    # persons in sight again with the filled rows (``_filled``), never in place of the others
    for suffix, hyp, min_visible in (("", tracks, MIN_VISIBLE), ("_all", tracks, 0.0),
                                     ("_filled", rows, MIN_VISIBLE)):
        out[f"cctv_tracking{suffix}"], out[f"cctv_cross_camera{suffix}"] = _tracking(
            truth, hyp, tables["journeys"], min_visible)
    n_filled = rows.loc[filled, "camera"].value_counts()
    out["cctv_tracking_filled"]["filled_rows"] = [int(n_filled.get(c, 0))
                                                  for c in out["cctv_tracking_filled"]["camera"]]
    if "stitched_id" in rows.columns:  # a run with its fragments stitched (pipeline.cctv.stitch)
        out.update(_stitched(truth, rows, tables.get("journeys_stitched", tables["journeys"])))
    return out


def _stitched(truth: pd.DataFrame, rows: pd.DataFrame, journeys: pd.DataFrame
              ) -> dict[str, pd.DataFrame]:
    """``cctv_tracking_stitched`` / ``cctv_cross_camera_stitched``: the persons in sight and the
    run's rows (filled ones included) under their stitched ids, the journeys linked on the
    stitched tracks; ``joins``: fragments joined to an earlier one, per camera."""
    hyp = rows.assign(id=rows["stitched_id"])
    per_cam, cross = _tracking(truth, hyp, journeys, MIN_VISIBLE)
    pairs = rows[["camera", "id", "stitched_id"]].drop_duplicates()
    joins = pairs[pairs["id"] != pairs["stitched_id"]]["camera"].value_counts()
    per_cam["joins"] = [int(joins.get(c, 0)) for c in per_cam["camera"]]
    return {"cctv_tracking_stitched": per_cam, "cctv_cross_camera_stitched": cross}


def _tracking(truth: pd.DataFrame, tracks: pd.DataFrame, journeys: pd.DataFrame,
              min_visible: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-camera MOT metrics and cross-camera IDF1 (journeys as global ids) of ``tracks``
    against the persons at least ``min_visible`` in sight."""
    j = journeys[["camera", "track_id", "journey_id"]]
    global_hyp = tracks.merge(j, left_on=["camera", "id"], right_on=["camera", "track_id"])
    global_hyp = global_hyp.assign(id=global_hyp["journey_id"])
    per_cam = []
    for cam in sorted(truth["camera"].unique()):
        g, h = drop_dont_care(truth[truth.camera == cam], tracks[tracks.camera == cam],
                              ["frame"], min_visible)
        per_cam.append(dict(camera=cam, min_visible=min_visible, **mot_metrics(g, h)))
    g, h = drop_dont_care(truth, global_hyp, ["camera", "frame"], min_visible)
    return (pd.DataFrame(per_cam),
            pd.DataFrame([dict(min_visible=min_visible, **cross_camera_idf1(g, h))]))
