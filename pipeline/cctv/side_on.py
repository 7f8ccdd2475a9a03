"""A track's body box that follows the walking direction.

A head (or face) implies a frontal body's width. A walker crossing the view side-on, stride
open, fills a wider box: on the tune caches (seeds 1-3, 1330-1360 s, five cameras; ground
truth against head-implied bodies) the true width is 1.03x the implied one at a lateral speed
under 0.2 m/s and 1.2-1.3x at 1-1.5 m/s (hall_entry, where people cross the view: 1.26x).
:class:`SideOnWidth` widens each track's box by 1 + ``side_width`` x its lateral speed over
:data:`WALK_SPEED_M_S` (at most 1): the head's speed across the image, in metres through the
head's size. No per-camera constant: a walker heading along the line of sight, or standing,
keeps the implied width. :class:`pipeline.cctv.persons.LibraryTracker` applies it to its
output (``side_width``; the CCTV stream's setting is in ``CCTV_TRACKER_OPTIONS``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from pipeline.vision.heads import BODY_WIDTHS_PER_HEAD

__all__ = ["HEAD_M", "VELOCITY_SMOOTHING", "WALK_SPEED_M_S", "SideOnWidth"]

WALK_SPEED_M_S = 1.3
HEAD_M = 0.25  # a head's height in metres (pipeline.vision.heads: a 0.25 m square)
VELOCITY_SMOOTHING = 0.5  # weight of the newest head displacement in the track's velocity
FORGET_S = 10.0  # a track unseen this long is forgotten (the tracker has dropped it too)


@dataclass(frozen=True, slots=True)
class _Motion:
    """A track's last head: time, centre x and height (px), and its smoothed x velocity
    (px/s; None until the track has been seen twice)."""

    t: float
    x: float
    side: float
    vx: float | None = None


def _moved(m: _Motion | None, t: float, x: float, side: float) -> _Motion:
    """The track's motion after a detection of its head at (``t``, ``x``, ``side``)."""
    if m is None or t <= m.t:
        return _Motion(t, x, side, None if m is None else m.vx)
    v = (x - m.x) / (t - m.t)
    vx = v if m.vx is None else VELOCITY_SMOOTHING * v + (1 - VELOCITY_SMOOTHING) * m.vx
    return _Motion(t, x, side, vx)


class SideOnWidth:
    """Widens tracks' boxes for their walking direction, one camera's tracks at a time.

    ``frame_size`` (width, height): a widened box stays inside the frame, and a side the frame
    clipped stays clipped (None: not clipped)."""

    def __init__(self, side_width: float, frame_size: tuple[int, int] | None = None):
        if not side_width >= 0:
            raise ValueError(f"tracker side_width must be >= 0, got {side_width!r}")
        self.side_width, self.frame_size = float(side_width), frame_size
        self.reset()

    def reset(self) -> None:
        self._motion: dict[int, _Motion] = {}

    def widen(self, t: float, tracks: list, heads: np.ndarray | None) -> list:
        """``tracks`` (:class:`pipeline.cctv.persons.PersonTrack`) with their boxes widened;
        ``heads`` (N, 4): the head of each input box the tracks' ``detection`` indexes (None:
        the body's centre and width stand in). A coasting track (detection -1) keeps its last
        factor, about its box's centre."""
        hd = None if heads is None else np.asarray(heads, np.float64).reshape(-1, 4)
        out = []
        for tr in tracks:
            box = np.asarray(tr.box, np.float64)
            m = self._motion.get(tr.track_id)
            if tr.detection >= 0:
                if hd is not None:
                    head = hd[tr.detection]
                    cx, side = (head[0] + head[2]) / 2, head[3] - head[1]
                else:
                    cx, side = (box[0] + box[2]) / 2, (box[2] - box[0]) / BODY_WIDTHS_PER_HEAD
                m = self._motion[tr.track_id] = _moved(m, t, cx, side)
            if m is None or m.vx is None:
                out.append(tr)
                continue
            lateral = abs(m.vx) * HEAD_M / max(m.side, 1e-6)  # m/s across the view
            k = 1.0 + self.side_width * min(lateral / WALK_SPEED_M_S, 1.0)
            out.append(replace(tr, box=self._widened(box, m.x if tr.detection >= 0
                                                     else (box[0] + box[2]) / 2, k)))
        for tid in [tid for tid, m in self._motion.items() if t - m.t > FORGET_S]:
            del self._motion[tid]
        return out

    def _widened(self, box: np.ndarray, cx: float, k: float) -> tuple:
        right = None if self.frame_size is None else self.frame_size[0] - 1
        x1 = box[0] if box[0] <= 0 else max(cx - k * (cx - box[0]), 0.0)
        if right is not None and box[2] >= right:
            x2 = box[2]
        else:
            x2 = cx + k * (box[2] - cx)
            x2 = x2 if right is None else min(x2, right)
        return (float(x1), float(box[1]), float(x2), float(box[3]))
