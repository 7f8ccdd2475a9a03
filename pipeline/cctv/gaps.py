"""Filling a track's short gaps after the run: the boxes of a person hidden for a moment.

A person hidden behind others for a few frames is found by no detector; when the same output
track is seen before and after the hidden stretch (the tracker took them back, or the re-linker
:mod:`pipeline.cctv.relink` joined the two fragments), the boxes across the gap are known to
within a walk. ByteTrack's MOT17/MOT20 results fill such gaps by linear interpolation (gaps up
to ~20 frames); StrongSORT smooths whole tracks (GSI). This module does the linear fill on a
**finished** run's tracks table, never on the live per-frame answer (the service route and the
stream stay causal: a gap is only known once the track is seen again).

Rows added are flagged (``filled`` True) so they can be dropped; they carry no face and are made
after every search, so they never make or change an identification (:func:`fill_gaps` reads
only boxes). A wrong re-link filled adds boxes between two people: they are scored, as false
positives, like any other row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["BOX", "MAX_GAP_S", "fill_gaps"]

BOX = ["x1", "y1", "x2", "y2"]
# The longest gap a run fills (s between the boxes before and after it); chosen on tune seed 1
# (reclaim_exit's five minutes) and the peak minutes' caches (docs/cctv.md "A person hidden for a
# moment keeps their track").
MAX_GAP_S = 1.0


def fill_gaps(tracks: pd.DataFrame, frames: pd.DataFrame, max_gap_s: float,
              by: tuple[str, ...] = ("camera",)) -> pd.DataFrame:
    """``tracks`` (columns ``frame``, ``id``, :data:`BOX` and ``by``) with every gap of a track
    of at most ``max_gap_s`` filled: a row at each of the camera's frames strictly between two
    consecutive rows of the same id whose times differ by at most ``max_gap_s`` (the time
    between the last box before the gap and the first after it), its box linear in time between
    the two. ``frames``: the frames each camera processed (columns ``frame`` and ``by``; the
    rows' frames must be among them). The result has a bool column ``filled`` (the tracks'
    own rows False, or as they were), sorted by ``by``, ``frame``, ``id``; other columns of the
    filled rows are left empty (NaN / None). ``max_gap_s`` 0 fills nothing."""
    if not np.isfinite(max_gap_s) or max_gap_s < 0:
        raise ValueError(f"fill_gaps: max_gap_s must be a finite number of seconds >= 0, got "
                         f"{max_gap_s}")
    by = list(by)
    missing = [c for c in ["frame", "id", *BOX, *by] if c not in tracks.columns]
    missing += [f"frames.{c}" for c in ["frame", *by] if c not in frames.columns]
    if missing:
        raise ValueError(f"fill_gaps: the tracks table lacks column(s) {', '.join(missing)}")
    out = tracks.copy()
    if "filled" not in out.columns:
        out["filled"] = False
    out["filled"] = out["filled"].astype(bool)
    added = []
    if max_gap_s > 0 and len(out):
        grids = ({(): np.sort(frames["frame"].unique())} if not by else
                 {_key(k): np.sort(g["frame"].unique()) for k, g in frames.groupby(by)})
        groups = [((), out)] if not by else out.groupby(by, sort=False)
        for key, cam in groups:
            grid = grids.get(_key(key))
            if grid is None:
                raise ValueError(f"fill_gaps: no frames given for {dict(zip(by, _key(key)))}")
            added += _fill_camera(cam, grid, max_gap_s, dict(zip(by, _key(key))))
    if added:
        out = pd.concat([out, pd.DataFrame(added)], ignore_index=True)
        out["filled"] = out["filled"].astype(bool)
    return out.sort_values([*by, "frame", "id"], kind="stable").reset_index(drop=True)


def _key(k) -> tuple:
    return k if isinstance(k, tuple) else (k,)


def _fill_camera(cam: pd.DataFrame, grid: np.ndarray, max_gap_s: float, fixed: dict) -> list:
    """The filled rows of one camera's tracks (``grid``: its frames, sorted)."""
    rows = []
    step = float(np.median(np.diff(grid))) if len(grid) > 1 else 0.0
    for tid, tr in cam.sort_values("frame", kind="stable").groupby("id", sort=False):
        t = tr["frame"].to_numpy(float)
        boxes = tr[BOX].to_numpy(float)
        gaps = np.flatnonzero((np.diff(t) > 1.5 * step) & (np.diff(t) <= max_gap_s + 1e-9))
        for i in gaps:
            a, b = np.searchsorted(grid, [t[i], t[i + 1]])
            inside = grid[a + 1:b]
            inside = inside[(inside > t[i] + 1e-9) & (inside < t[i + 1] - 1e-9)]
            w = ((inside - t[i]) / (t[i + 1] - t[i]))[:, None]
            for at, box in zip(inside, (1 - w) * boxes[i] + w * boxes[i + 1]):
                rows.append({**fixed, "frame": at, "id": tid,
                             **dict(zip(BOX, box.tolist())), "filled": True})
    return rows
