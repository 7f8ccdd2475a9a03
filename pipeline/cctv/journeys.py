"""Cross-camera linking: one journey per person from the track summaries of every camera.

Evidence, strongest first:

1. **Face identity.** Two tracks that claim the same identity are the same person; two that
   claim different identities never are. With ``face_needs_timing`` the walk must also be
   plausible.
2. **The floor plan.** Moving from camera A's view to camera B's takes at least the walking
   distance between the views (straight line x ``detour``) at ``max_speed``; a gap longer than
   the distance between the views' centres at ``min_speed`` plus ``max_dwell_s`` is
   implausible. Given each camera's **view area** (:func:`view_area`: the floor it sees, up to
   ``VIEW_DEPTH_M`` away) the shortest walk runs between the areas' nearest edges, and views
   whose areas meet may see a person at the same time (B starts before A ends): a camera
   looking across a hall sees people under another camera 20 m away. Without view areas (or
   with ``LinkConfig.views`` off) the walk runs between the view centres, and views whose
   centres are within ``overlap_m`` overlap: a camera facing the flow down a corridor sees
   20-30 m deep, so two such cameras 14 m apart see a walker at the same time (the
   shortest-walk rule rejected most of their hand-offs).
   Within one camera a new track may continue one that is still live for up to
   ``reacquire_s`` (the tracker re-acquiring a person under a new id); longer, they are two
   people.
3. **Appearance.** Clothing colour histograms (Bhattacharyya similarity) must reach
   ``min_appearance``; among plausible predecessors the best appearance x timing wins.

Linking is greedy in time order (each new track joins the best open journey whose last track it
can follow, or starts a new one), which is what an online system can do as tracks end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.cctv.appearance import similarity
from pipeline.cctv.stream import TrackSummary

__all__ = ["LinkConfig", "JOURNEY_COLUMNS", "VIEW_DEPTH_M", "link_journeys", "view_area",
           "view_centre"]

# how far a camera sees people well enough to track them (m): a view area's depth
VIEW_DEPTH_M = 30.0

JOURNEY_COLUMNS = ["journey_id", "camera", "track_id", "t_in", "t_out", "identity", "score",
                   "link_score"]


@dataclass(frozen=True)
class LinkConfig:
    min_speed: float = 0.4  # m/s, slowest plausible walk between views
    max_speed: float = 2.2  # m/s
    detour: float = 1.3  # walking distance / straight-line distance
    max_dwell_s: float = 300.0  # time a person may stop between views (queue, toilet)
    min_appearance: float = 0.7  # Bhattacharyya similarity of clothing histograms
    overlap_m: float = 15.0  # views closer than this may see a person at the same time
    # what a new track's clothes are compared with: "last" (the journey's last track) or
    # "journey" (the frame-weighted mean histogram of all its tracks)
    appearance_of: str = "last"
    # a camera's new track may continue one that is still live, if that one ends at most this
    # long after the new one starts (a tracker re-acquiring a person under a new id); 0: never
    reacquire_s: float = 5.0
    # a face-identity link must also be a plausible walk (else identity overrides timing)
    face_needs_timing: bool = False
    # an appearance link must beat the next-best journey's appearance x timing by this much
    # (a ratio test, as re-identification does: among many alike candidates the best is a
    # guess); 0: off
    min_margin: float = 0.0
    # the timing score halves for every this many seconds waited beyond the walk; None: falls
    # linearly to 0.5 at the longest plausible gap
    half_life_s: float | None = None
    # walk bounds from the cameras' view areas where the caller gives them (views overlap where
    # the areas meet; the shortest walk runs between their nearest edges); False: from the
    # view centres and ``overlap_m`` only
    views: bool = True

    def __post_init__(self):
        if self.appearance_of not in ("last", "journey"):
            raise ValueError(f"LinkConfig.appearance_of: {self.appearance_of!r} is not "
                             f"'last' or 'journey'")
        if self.min_margin < 0:
            raise ValueError(f"LinkConfig.min_margin: must be >= 0, got {self.min_margin}")
        if self.half_life_s is not None and self.half_life_s <= 0:
            raise ValueError(f"LinkConfig.half_life_s: must be > 0 or None, got "
                             f"{self.half_life_s}")


def view_centre(camera) -> tuple[float, float]:
    """Floor point (metres) at the centre of a :class:`floorplan.camera.CameraModel`'s lower
    image half, where its subjects stand."""
    uv = np.array([[camera.width / 2, camera.height * 0.75]])
    xy = camera.image_to_floor(uv)[0]
    if not np.all(np.isfinite(xy)):
        xy = np.asarray(camera.position[:2], float)
    return float(xy[0]), float(xy[1])


def view_area(camera, depth_m: float = VIEW_DEPTH_M) -> np.ndarray:
    """Floor polygon (M, 2) in metres that a :class:`floorplan.camera.CameraModel` sees people
    on: its image's floor footprint within ``depth_m`` of the camera (walls are not modelled)."""
    from shapely import Point, Polygon

    area = Polygon(camera.visible_floor()).intersection(
        Point(*np.asarray(camera.position[:2], float)).buffer(depth_m))
    if area.is_empty or area.geom_type != "Polygon":
        raise ValueError(f"view_area: camera {camera.id} sees no floor within {depth_m} m")
    return np.asarray(area.exterior.coords, float)


def _timing(prev: TrackSummary, nxt: TrackSummary, dist_m: float, cfg: LinkConfig,
            apart_m: float | None = None) -> float:
    """1 for a transit time well inside the plausible window, 0 outside it. ``dist_m``: between
    the view centres; ``apart_m``: between the view areas' nearest edges (None: unknown)."""
    walk = dist_m * cfg.detour
    gap = nxt.t_in - prev.t_out
    overlap = dist_m <= cfg.overlap_m if apart_m is None else apart_m <= 0.0
    if prev.camera == nxt.camera or overlap:  # may start before the previous track ends
        lo = -(prev.t_out - prev.t_in)
    else:
        lo = (walk if apart_m is None else apart_m * cfg.detour) / cfg.max_speed
    hi = walk / cfg.min_speed + cfg.max_dwell_s
    if gap < lo - 1.0 or gap > hi:
        return 0.0
    waited = max(0.0, gap - walk / 1.2)
    if cfg.half_life_s is not None:
        return 0.5 ** (waited / cfg.half_life_s)
    return 1.0 - 0.5 * waited / max(hi, 1.0)


def link_journeys(summaries: list[TrackSummary], centres: dict[str, tuple[float, float]],
                  cfg: LinkConfig = LinkConfig(),
                  views: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """The ``journeys`` table (:data:`JOURNEY_COLUMNS`), one row per track, ordered by journey
    and time. ``centres`` maps each camera to its view centre on the floor (metres); ``views``
    (optional) each camera to its view area (:func:`view_area`), used with ``cfg.views``."""
    cams = {s.camera for s in summaries}
    unknown = sorted(cams - set(centres))
    if unknown:
        raise ValueError(f"link_journeys: no floor position for camera(s) {', '.join(unknown)} "
                         f"(known: {', '.join(sorted(centres))})")
    apart = _apart(views, sorted(cams)) if views and cfg.views else {}
    journeys: list[list[tuple[TrackSummary, float]]] = []
    for s in sorted(summaries, key=lambda s: (s.t_in, s.camera, s.track_id)):
        best, best_score, runner_up, by_face = None, 0.0, 0.0, {}
        for j, members in enumerate(journeys):
            last = members[-1][0]
            if last.camera == s.camera and last.t_out >= s.t_in + cfg.reacquire_s:
                continue  # two live tracks of one camera are two people
            ids = {m.identity for m, _ in members if m.identity is not None}
            if s.identity is not None and ids:
                if s.identity not in ids:
                    continue
                timing = _timing(last, s, _dist(centres, last.camera, s.camera), cfg,
                                 apart.get((last.camera, s.camera)))
                if cfg.face_needs_timing and timing <= 0:
                    continue
                score, by_face[j] = 1.0 + timing, True
            else:
                timing = _timing(last, s, _dist(centres, last.camera, s.camera), cfg,
                                 apart.get((last.camera, s.camera)))
                if timing <= 0:
                    continue
                app = similarity(_appearance(members, cfg), s.histogram)
                if app < cfg.min_appearance:
                    continue
                score, by_face[j] = app * timing, False
            if score > best_score:
                best, best_score, runner_up = j, score, best_score
            else:
                runner_up = max(runner_up, score)
        if best is not None and not by_face[best] and best_score - runner_up < cfg.min_margin:
            best = None  # an appearance link too close to another candidate's
        if best is None:
            journeys.append([(s, float("nan"))])
        else:
            journeys[best].append((s, min(best_score, 1.0)))
    rows = []
    for jid, members in enumerate(journeys, 1):
        for m, link in members:
            rows.append((jid, m.camera, m.track_id, m.t_in, m.t_out, m.identity,
                         m.score, link))
    df = pd.DataFrame(rows, columns=JOURNEY_COLUMNS)
    # a journey's claimed identity is its best-scoring track claim, on every row
    best = (df.dropna(subset=["identity"]).sort_values("score", ascending=False)
            .drop_duplicates("journey_id").set_index("journey_id"))
    df["journey_identity"] = df["journey_id"].map(best["identity"])
    df["journey_score"] = df["journey_id"].map(best["score"])
    return df


def _appearance(members, cfg: LinkConfig) -> np.ndarray:
    if cfg.appearance_of == "last" or len(members) == 1:
        return members[-1][0].histogram
    return sum(m.histogram * m.frames for m, _ in members) / max(
        sum(m.frames for m, _ in members), 1)


def _apart(views: dict[str, np.ndarray], cameras: list[str]) -> dict[tuple[str, str], float]:
    """(camera a, camera b) -> metres between their view areas' nearest edges (0 where they
    meet), for every pair of ``cameras`` that both have a view area."""
    from shapely import Polygon

    unknown = sorted(set(cameras) - set(views))
    if unknown:
        raise ValueError(f"link_journeys: no view area for camera(s) {', '.join(unknown)} "
                         f"(known: {', '.join(sorted(views))})")
    polys = {c: Polygon(np.asarray(views[c], float)) for c in cameras}
    return {(a, b): float(polys[a].distance(polys[b])) for a in cameras for b in cameras}


def _dist(centres, a: str, b: str) -> float:
    (xa, ya), (xb, yb) = centres[a], centres[b]
    return math.hypot(xa - xb, ya - yb)
