"""How long a lost track is kept: by what its person was doing when it was lost.

ByteTrack keeps a track whose person it no longer finds for a fixed time (its lost buffer)
and hands it back the first box near where its motion model puts it. Which length is right
depends on the person. Someone standing for minutes at a baggage belt is hidden and found
again many times, in place: a long buffer lets their track take their half-hidden head back
(ByteTrack continues a track from a head under the detector's threshold but starts one only
from a head at it). A walker who vanishes has walked on, and in a corridor the next walker
arrives where the first was a second later: a long buffer lets the old track take them.

:class:`LostBuffer` keeps each track's head points over its last ``speed_s`` seconds; a lost
track whose person moved slower than ``still_m_s`` over them (the head's image displacement
in metres through the head's size, :data:`pipeline.cctv.side_on.HEAD_M`, as
:class:`pipeline.cctv.side_on.SideOnWidth` reads a walker's speed) keeps the tracker's buffer
(``lost_s``); one that moved faster is dropped after ``walker_lost_s``. A track seen too
briefly to tell keeps the tracker's buffer. The head's image speed is not the floor speed: a
walker heading along the line of sight (corridor_near) crosses few pixels and reads 0.14 m/s
(median) against 1.07 m/s across hall_entry, while people standing read 0.00. Over 0.05 m/s:
97-100 % of walkers' 2 s samples on every camera, 1 % of the standing ones at reclaim_exit,
5 % at hall_exit; hence ``still_m_s`` 0.05 (tune caches, seeds 1-5;
``experiments.cctv_dwell_tune speeds``). :class:`pipeline.cctv.persons.LibraryTracker`
applies it after each update of the library's tracker (its tracks' ``time_since_update``, in
frames, against the budget the library would compute for ``walker_lost_s``), so a walker's
track ends exactly as the library would end it with the shorter buffer.

:meth:`HeadTrail.floor_speed` reads the person's speed on the floor instead, where the camera's
calibration is known (a :class:`pipeline.danger.floor.FloorMap`): each head centre through the
camera onto the horizontal plane at :data:`HEAD_Z_M` (the height of a head's centre), so a walker
heading along the line of sight, whose head barely moves in the image, moves metres there. The
speed is the distance between the median point of the first and of the second half of the trail
over the time between their median times: one frame's jump (a box handed to a neighbour for a
frame, a flickering head) moves neither median. The head's true height is a bias, not noise
(1.52-1.85 m people: the plane distance scales by at most ~10 % on these cameras).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from pipeline.cctv.side_on import HEAD_M

__all__ = ["HEAD_Z_M", "HeadTrail", "LostBuffer", "buffer_frames"]

FORGET_S = 30.0  # a track unseen this long is forgotten (no buffer is longer)
# the height of a head's centre above the floor (m): a 1.69 m adult (the renderer's people:
# 1.52-1.85 m, sim.cctv.figures) less half a HEAD_M head
HEAD_Z_M = 1.57
FAR_M = 60.0  # a head point mapped farther than this from the camera is no measurement


def buffer_frames(lost_s: float, fps: float) -> int:
    """The frames a lost track survives at ``fps`` for a buffer of ``lost_s`` seconds, as the
    ``trackers`` library counts them (its buffer is given in 30 fps frames and scaled to the
    frame rate, at least one frame)."""
    frames30 = max(int(round(lost_s * 30)), 1)
    return max(1, math.ceil(fps / 30.0 * frames30))


class HeadTrail:
    """Each track's head points over its last ``speed_s`` seconds and the person's speed from
    them (track ids: the caller's, :class:`pipeline.cctv.persons.PersonTrack` ids). ``floor``:
    the camera's :class:`pipeline.danger.floor.FloorMap` (None: unknown; no floor speed)."""

    def __init__(self, speed_s: float = 2.0, floor=None):
        if not speed_s > 0:
            raise ValueError(f"tracker speed_s must be > 0, got {speed_s!r}")
        self.speed_s, self.floor = float(speed_s), floor
        if floor is not None:
            self._camera_xy = np.asarray(floor.camera_floor_position(), np.float64).reshape(2)
        self.reset()

    def reset(self) -> None:
        # track id -> (t, x, y, head side px, head plane x, y m (NaN: unknown))
        self._trail: dict[int, deque] = {}

    def seen(self, t: float, tracks: list, centres: np.ndarray, sides: np.ndarray) -> None:
        """Record this frame's head of each track that took a box: ``centres`` (N, 2) and
        ``sides`` (N,) (the head's height, px) of the input boxes the tracks' ``detection``
        indexes."""
        plane = self._on_plane(centres)
        for tr in tracks:
            if tr.detection < 0:
                continue
            x, y = centres[tr.detection]
            px, py = plane[tr.detection]
            trail = self._trail.setdefault(tr.track_id, deque())
            trail.append((t, float(x), float(y), max(float(sides[tr.detection]), 1.0),
                          float(px), float(py)))
            while trail and trail[0][0] < t - self.speed_s - 1e-9:
                trail.popleft()
        for tid in [tid for tid, tr in self._trail.items() if t - tr[-1][0] > FORGET_S]:
            del self._trail[tid]

    def speed(self, track_id: int) -> float | None:
        """The person's speed (m/s) over the last ``speed_s`` seconds the track was seen: the
        head's displacement from the first to the last point in metres through the head's
        mean size; None when seen at one instant only."""
        trail = self._trail.get(track_id)
        if not trail or trail[-1][0] <= trail[0][0]:
            return None
        t0, x0, y0 = trail[0][:3]
        t1, x1, y1 = trail[-1][:3]
        side = float(np.mean([p[3] for p in trail]))
        return math.hypot(x1 - x0, y1 - y0) * HEAD_M / side / (t1 - t0)

    def floor_speed(self, track_id: int) -> float | None:
        """The person's speed (m/s) on the floor over the last ``speed_s`` seconds the track was
        seen (module docstring: medians of the trail's two halves on the head plane); None
        without the camera's calibration or with fewer than two head points mapped at two
        instants."""
        trail = self._trail.get(track_id)
        if self.floor is None or not trail:
            return None
        p = np.array([(q[0], q[4], q[5]) for q in trail], np.float64)
        p = p[np.isfinite(p[:, 1:]).all(1)]
        if len(p) < 2 or p[-1, 0] <= p[0, 0]:
            return None
        half = len(p) // 2
        a, b = np.median(p[:half], axis=0), np.median(p[len(p) - half:], axis=0)
        if not b[0] > a[0]:
            return None
        return float(math.hypot(b[1] - a[1], b[2] - a[2]) / (b[0] - a[0]))

    def _on_plane(self, centres: np.ndarray) -> np.ndarray:
        """Image head centres (N, 2) on the head plane (N, 2) in metres; NaN where the camera's
        calibration is unknown or the point is behind it or beyond :data:`FAR_M`."""
        centres = np.asarray(centres, np.float64).reshape(-1, 2)
        if self.floor is None or not len(centres):
            return np.full((len(centres), 2), np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            xy = self.floor.image_to_floor(centres, HEAD_Z_M)
        # in front of the camera: else the ray met the plane behind it (a point above the
        # horizon of the head's plane)
        ok = (np.isfinite(xy).all(1) & self.floor.in_front(xy, HEAD_Z_M)
              & (np.hypot(*(xy - self._camera_xy).T) <= FAR_M))
        xy[~ok] = np.nan
        return xy


class LostBuffer(HeadTrail):
    """Drops a lost walker's track after ``walker_lost_s``; a standing person's (under
    ``still_m_s`` over the ``speed_s`` seconds before the loss) keeps the tracker's own buffer.
    Track ids are the caller's (:class:`pipeline.cctv.persons.PersonTrack` ids). ``cue``: the
    speed read, the head's in the image (:meth:`speed`) or the person's on the floor
    (:meth:`floor_speed`, where ``floor`` is known)."""

    def __init__(self, walker_lost_s: float, fps: float, speed_s: float = 2.0,
                 still_m_s: float = 0.05, floor=None, cue: str = "image"):
        for name, v in (("walker_lost_s", walker_lost_s), ("speed_s", speed_s),
                        ("still_m_s", still_m_s)):
            if not v > 0:
                raise ValueError(f"tracker {name} must be > 0, got {v!r}")
        if cue not in ("image", "floor"):
            raise ValueError(f"lost buffer cue must be 'image' or 'floor', got {cue!r}")
        super().__init__(speed_s, floor)
        self.walker_lost_s, self.still_m_s = float(walker_lost_s), float(still_m_s)
        # the person's speed: the head's in the image, or on the floor where it is known
        self._cue = self.floor_speed if cue == "floor" and floor is not None else self.speed
        self.walker_frames = buffer_frames(walker_lost_s, fps)

    def walking(self, track_id: int) -> bool:
        v = self._cue(track_id)
        return v is not None and v >= self.still_m_s

    def keeps(self, track_id: int, frames_lost: int) -> bool:
        """Whether a track lost for ``frames_lost`` frames is still kept: within
        ``walker_lost_s``, or its person was not walking (the tracker's own buffer decides)."""
        return frames_lost <= self.walker_frames or not self.walking(track_id)
