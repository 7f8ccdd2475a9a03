"""Stitching a finished run's track fragments within one camera: one global assignment.

The online re-linker (:mod:`pipeline.cctv.relink`) continues a lost track only within a few
seconds and only with the past in hand. Once a run is finished both ends of every fragment are
known, and the fragments can be joined by one global assignment over all of them, as the
offline trackers of MOT do (StrongSORT++'s AFLink, MOT offline association): each fragment's
end may be joined to the start of one later fragment of the same camera (Hungarian,
:func:`scipy.optimize.linear_sum_assignment`), on

- **time**: the later fragment starts after the earlier one ends (never two fragments that
  overlap in time) and at most ``max_gap_s`` later;
- **place**: the later fragment's first head point (top centre of its box) lies within
  ``gate`` + ``per_s`` x gap body heights of where the earlier one was last seen, or of where
  its last second's motion carries it (a body height: :data:`pipeline.cctv.relink.
  HEIGHT_PER_WIDTH` box widths, as the re-linker reads it);
- **scale**: box widths within ``max_scale`` of each other;
- **clothes**: the Bhattacharyya similarity of the two fragments' clothing histograms
  (:func:`pipeline.cctv.appearance.similarity`; a run's track summaries carry them) at least
  ``min_appearance`` (a fragment without one passes);
- **faces**: two fragments whose face searches claimed two different gallery identities are
  never joined;
- **length**: a fragment of fewer than ``min_rows`` rows is joined to nothing (0: any).

Among the pairs every gate admits, the assignment minimises the summed cost (distance over the
gate + dissimilarity + gap over ``max_gap_s``) with every fragment free to stay unjoined. A chain
of joined fragments takes the id of its first fragment: the **stitched id**, beside the tracker's
own id. Offline only: the live answer stays causal (a fragment is joined once its successor is
seen and the run has ended).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

from pipeline.cctv.appearance import similarity
from pipeline.cctv.gaps import BOX
from pipeline.cctv.relink import HEIGHT_PER_WIDTH

__all__ = ["StitchConfig", "fragments", "stitch", "stitch_links", "stitched_summaries",
           "summary_looks"]

_NO_LINK = 1.5  # cost of leaving a fragment's end (or start) unjoined; every gated pair costs < 3


@dataclass(frozen=True)
class StitchConfig:
    # chosen on tune seed 1 (reclaim_exit 1330-1630 s) and the peak caches (seeds 1-8), docs/cctv.md
    # "A finished run's fragments stitched offline"; python -m experiments.cctv_stitch_tune:
    # seed 1's five minutes 0.8290 own -> 0.8366 at 20 s, 0.8445 at 40 s, 0.8439 at 60 s (more
    # wrong joins), the perfect stitching 0.8455; 0.6 over 0.7 gains on the peaks' corridors
    max_gap_s: float = 40.0  # the longest time between a fragment's end and the next's start
    gate: float = 0.5  # body heights between the new head point and the old one, at gap 0
    per_s: float = 0.1  # body heights per second of gap added to the gate
    max_scale: float = 1.35  # the wider box's width over the narrower's, at most
    min_appearance: float = 0.6  # Bhattacharyya similarity of the clothing histograms
    motion_s: float = 1.0  # seconds of a fragment's end (start) its velocity is read over
    max_predict_s: float = 2.0  # the motion prediction is carried at most this long
    # fragments of fewer rows (the tracker's own rows) are joined to nothing: a fragment of a
    # few boxes carries little of its person's clothes and most joins of two people; 0: any.
    # Off: at 5, seed 1 / 2's five minutes keep IDF1 (0.8636 / 0.8225) with wrong joins 1 -> 0
    # / 9 -> 6; no cross-camera check yet (cctv_stitch_tune replay --grid "min_rows=0,5,10,20")
    min_rows: int = 0

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if not (np.isfinite(v) and v >= 0):
                raise ValueError(f"StitchConfig.{f.name} must be a finite number >= 0, got {v}")
        if not self.max_scale >= 1:
            raise ValueError(f"StitchConfig.max_scale must be >= 1, got {self.max_scale}")
        if not self.min_appearance <= 1:
            raise ValueError(f"StitchConfig.min_appearance must be <= 1, got "
                             f"{self.min_appearance}")


def fragments(tracks: pd.DataFrame, motion_s: float = 1.0) -> pd.DataFrame:
    """One row per id of one camera's ``tracks`` (columns ``frame``, ``id``, :data:`BOX`): its
    first and last time, head point (top centre) and box width there, and the head point's
    velocity (px/s) over its last and first ``motion_s`` seconds."""
    t = tracks.sort_values(["id", "frame"], kind="stable")
    head_x = (t["x1"].to_numpy(float) + t["x2"].to_numpy(float)) / 2
    t = t.assign(hx=head_x, hy=t["y1"].to_numpy(float),
                 w=(t["x2"] - t["x1"]).to_numpy(float))
    rows = []
    for tid, g in t.groupby("id", sort=False):
        f, x, y, w = (g[c].to_numpy(float) for c in ("frame", "hx", "hy", "w"))
        end = f >= f[-1] - motion_s
        start = f <= f[0] + motion_s
        rows.append((tid, f[0], f[-1], x[0], y[0], w[0], x[-1], y[-1], w[-1],
                     *_velocity(f[end], x[end], y[end]), *_velocity(f[start], x[start],
                                                                    y[start]), len(g)))
    return pd.DataFrame(rows, columns=["id", "t_in", "t_out", "x_in", "y_in", "w_in", "x_out",
                                       "y_out", "w_out", "vx_out", "vy_out", "vx_in", "vy_in",
                                       "rows"])


def _velocity(t: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    if len(t) < 2 or t[-1] <= t[0]:
        return 0.0, 0.0
    dt = t[-1] - t[0]
    return (x[-1] - x[0]) / dt, (y[-1] - y[0]) / dt


def stitch_links(tracks: pd.DataFrame, config: StitchConfig = StitchConfig(),
                 looks: dict | None = None, claims: dict | None = None) -> pd.DataFrame:
    """The joins of one camera's fragments (module docstring): one row per join, ``id`` (the
    earlier fragment), ``next`` (the later), ``gap_s``, ``dist`` (body heights), ``appearance``
    (NaN: a fragment without a histogram) and ``cost``. ``looks``: id -> clothing histogram;
    ``claims``: id -> the gallery identity its face searches claimed (absent / None: none)."""
    missing = [c for c in ["frame", "id", *BOX] if c not in tracks.columns]
    if missing:
        raise ValueError(f"stitch: the tracks table lacks column(s) {', '.join(missing)}")
    cols = ["id", "next", "gap_s", "dist", "appearance", "cost"]
    fr = fragments(tracks, config.motion_s)
    n = len(fr)
    if n < 2:
        return pd.DataFrame(columns=cols)
    looks, claims = looks or {}, claims or {}
    ids = fr["id"].to_numpy()
    t_in, t_out = fr["t_in"].to_numpy(), fr["t_out"].to_numpy()
    gap = t_in[None, :] - t_out[:, None]  # [end i, start j]
    ok = (gap > 1e-9) & (gap <= config.max_gap_s)
    ok &= ~np.eye(n, dtype=bool)
    long = fr["rows"].to_numpy() >= config.min_rows
    ok &= long[:, None] & long[None, :]
    w_out, w_in = fr["w_out"].to_numpy(), fr["w_in"].to_numpy()
    scale = np.maximum(w_out[:, None], w_in[None, :]) / np.maximum(
        np.minimum(w_out[:, None], w_in[None, :]), 1e-6)
    ok &= scale <= config.max_scale
    height = HEIGHT_PER_WIDTH * (w_out[:, None] + w_in[None, :]) / 2
    dx = fr["x_in"].to_numpy()[None, :] - fr["x_out"].to_numpy()[:, None]
    dy = fr["y_in"].to_numpy()[None, :] - fr["y_out"].to_numpy()[:, None]
    ahead = np.minimum(np.maximum(gap, 0.0), config.max_predict_s)
    px = dx - fr["vx_out"].to_numpy()[:, None] * ahead
    py = dy - fr["vy_out"].to_numpy()[:, None] * ahead
    dist = np.minimum(np.hypot(dx, dy), np.hypot(px, py)) / np.maximum(height, 1e-6)
    allowed = config.gate + config.per_s * np.maximum(gap, 0.0)
    ok &= dist <= allowed
    app = np.full((n, n), np.nan)
    for i, j in zip(*np.nonzero(ok)):
        a, b = claims.get(ids[i]), claims.get(ids[j])
        if a is not None and b is not None and a != b:
            ok[i, j] = False
            continue
        ha, hb = looks.get(ids[i]), looks.get(ids[j])
        if ha is not None and hb is not None:
            app[i, j] = similarity(ha, hb)
            if app[i, j] < config.min_appearance:
                ok[i, j] = False
    if not ok.any():
        return pd.DataFrame(columns=cols)
    dissimilar = np.where(np.isnan(app), 1.0 - config.min_appearance, 1.0 - app)
    cost = (dist / np.maximum(allowed, 1e-6) + dissimilar
            + gap / max(config.max_gap_s, 1e-6))
    rows = _assign(np.where(ok, cost, np.inf))
    return pd.DataFrame([(ids[i], ids[j], gap[i, j], dist[i, j], app[i, j], cost[i, j])
                         for i, j in rows], columns=cols)


def _assign(cost: np.ndarray) -> list[tuple[int, int]]:
    """The (end, start) pairs of the least summed cost, each end and start used at most once,
    any left unjoined at :data:`_NO_LINK` each (``inf``: not allowed)."""
    from scipy.optimize import linear_sum_assignment

    n, m = cost.shape
    keep_i, keep_j = np.isfinite(cost).any(1), np.isfinite(cost).any(0)
    ri, rj = np.flatnonzero(keep_i), np.flatnonzero(keep_j)
    c = cost[np.ix_(ri, rj)]
    a, b = c.shape
    big = 1e9
    full = np.full((a + b, b + a), big)
    full[:a, :b] = np.where(np.isfinite(c), c, big)
    full[:a, b:][np.eye(a, dtype=bool)] = _NO_LINK  # end i unjoined
    full[a:, :b][np.eye(b, dtype=bool)] = _NO_LINK  # start j unjoined
    full[a:, b:] = 0.0
    r, s = linear_sum_assignment(full)
    return [(int(ri[x]), int(rj[y])) for x, y in zip(r, s)
            if x < a and y < b and np.isfinite(c[x, y])]


def chains(links: pd.DataFrame) -> dict:
    """id -> the id of the first fragment of its chain, for every id in ``links``."""
    prev = dict(zip(links["next"], links["id"]))
    root = {}
    for k in list(prev) + list(links["id"]):
        r = k
        while r in prev:
            r = prev[r]
        root[k] = r
    return root


def stitch(tracks: pd.DataFrame, config: StitchConfig = StitchConfig(), looks: dict | None = None,
           claims: dict | None = None, by: tuple[str, ...] = ("camera",)) -> pd.DataFrame:
    """``tracks`` with a column ``stitched_id``: each row's chain of joined fragments
    (:func:`stitch_links` per ``by`` group: one camera), the id of the chain's first fragment
    (an id joined to nothing keeps its own). ``looks`` / ``claims``: keyed by (``by`` values...,
    id) where ``by`` is given, else by id. Rows flagged ``filled`` (:mod:`pipeline.cctv.gaps`)
    take their id's stitched id but play no part in the joins."""
    by = list(by)
    missing = [c for c in by if c not in tracks.columns]
    if missing:
        raise ValueError(f"stitch: the tracks table lacks column(s) {', '.join(missing)}")
    out = tracks.copy()
    own = ~out["filled"].to_numpy(bool) if "filled" in out.columns else np.ones(len(out), bool)
    ids = out["id"].to_numpy()
    stitched = ids.copy()
    keys = [()] * len(out) if not by else list(out[by].itertuples(index=False, name=None))
    for key in dict.fromkeys(keys):
        at = np.fromiter((k == key for k in keys), bool, len(keys))
        keyed = {k[-1]: v for k, v in (looks or {}).items() if tuple(k[:-1]) == key} \
            if by else looks
        claimed = {k[-1]: v for k, v in (claims or {}).items() if tuple(k[:-1]) == key} \
            if by else claims
        links = stitch_links(out[at & own], config, keyed, claimed)
        if len(links):
            root = chains(links)
            stitched[at] = [root.get(i, i) for i in ids[at]]
    out["stitched_id"] = stitched
    return out


def stitched_summaries(summaries, tracks: pd.DataFrame) -> list:
    """The track summaries (:class:`pipeline.cctv.stream.TrackSummary`) of the stitched tracks:
    one per (camera, stitched id) of ``tracks`` (:func:`stitch`), spanning its fragments, its
    histogram their frame-weighted mean, its identity the best-scored claim among them, on a
    watchlist where any was."""
    root = {(c, i): s for c, i, s in tracks[["camera", "id", "stitched_id"]]
            .drop_duplicates().itertuples(index=False)}
    merged: dict = {}
    for s in summaries:
        merged.setdefault((s.camera, root.get((s.camera, s.track_id), s.track_id)), []).append(s)
    out = []
    for (cam, sid), parts in merged.items():
        claimed = [p for p in parts if p.identity is not None]
        best = max(claimed, key=lambda p: p.score) if claimed else None
        out.append(replace(parts[0], track_id=sid, t_in=min(p.t_in for p in parts),
                           t_out=max(p.t_out for p in parts),
                           identity=best.identity if best else None,
                           score=best.score if best else float("nan"),
                           watchlist=any(p.watchlist for p in parts),
                           histogram=_mean_look(parts),
                           frames=int(sum(p.frames for p in parts))))
    return sorted(out, key=lambda s: (s.t_in, s.camera, s.track_id))


def summary_looks(summaries) -> tuple[dict, dict]:
    """What :func:`stitch` reads of a run's track summaries: (camera, id) -> the clothing
    histogram (frame-weighted mean over the id's summaries), and (camera, id) -> the identity
    its best-scored claim names (ids without a claim left out)."""
    parts, claims = {}, {}
    for s in summaries:
        k = (s.camera, s.track_id)
        parts.setdefault(k, []).append(s)
        if s.identity is not None and (k not in claims or s.score > claims[k][1]):
            claims[k] = (s.identity, s.score)
    return {k: _mean_look(v) for k, v in parts.items()}, {k: v[0] for k, v in claims.items()}


def _mean_look(parts) -> np.ndarray:
    """The frame-weighted mean of track summaries' clothing histograms, normalised."""
    hist = sum(np.asarray(p.histogram, np.float64) * max(p.frames, 1) for p in parts)
    total = float(np.sum(hist))
    return (hist / total if total > 0 else hist).astype(np.float32)
