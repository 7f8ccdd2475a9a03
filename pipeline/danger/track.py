"""Tracks with stable ids, on the floor plane.

Tracking in metres rather than pixels keeps one gate size meaningful across the image (a metre
is 80 pixels near the camera and 8 far away) and gives speeds in m/s directly. Each track is a
constant-velocity Kalman filter on (x, y, vx, vy); detections are assigned to predictions by the
Hungarian method on Mahalanobis distance, gated at 99 %. A track that misses detections coasts
on its prediction (its uncertainty, and so its gate, grows) for up to ``max_coast_s``, which is
what carries an id through a short occlusion or a merge with a passer-by.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from pipeline.danger.observe import GROUP, LYING, OBJECT, PERSON, Observation

CHI2_99_2DOF = 9.21


@dataclass(frozen=True)
class TrackerConfig:
    accel_sigma: float = 2.0  # m/s², process noise of the constant-velocity model
    max_coast_s: float = 2.0  # a track unseen this long is ended
    max_coast_static_s: float = 6.0  # ... unless it stood still (a bag hidden by passers-by)
    min_hits: int = 3  # detections before a track is confirmed (reported)
    max_gate_m: float = 3.0  # never associate farther than this
    history_s: float = 900.0  # how much of a track's past the rules can look at
    kind_window: int = 9  # recent observations voting for a track's kind
    # A track born where another ended moments ago continues its lineage (same root id, same
    # start time), so a dwell or an owner survives an id switch in a merge.
    lineage_s: float = 3.0
    lineage_m: float = 1.2
    # A new track's velocity is unknown: its spread (m/s) sets how far its second detection
    # may be. At 1.5 a runner at 5-6 m/s (0.8-1.2 m a frame at 5 fps) near the camera, where a
    # foot point is sure to a few cm, falls outside the gate every frame and is born again
    # each time (hand-built test). 3.0 keeps such runners, but on tune seeds 1, 3, 5, 8, 13,
    # 14, 16, 17 it caught no staged incident more and added a false abandoned bag (seed 13):
    # 1.5 kept as the default.
    init_speed_sigma: float = 1.5
    # ... so a track seen once may instead take, after the gated assignment, an upright
    # observation that no track took, up to this fast from its one sample (nearest pairs first).
    # Only a track seen once, and only person to person: a runner near the camera, re-born each
    # frame at 1.5, keeps one id (tune seed 14: a staged runner at 5.7 m/s broke every frame);
    # every other track keeps its Mahalanobis gate. 0 turns it off.
    start_speed_mps: float = 7.0
    # fast starts only where a foot point is this sure (near the camera, where the new-track gate
    # is tightest); far off the gate is wide already and a loose pair joins two people (tune
    # seed 18: a tailgating pair at 42 m, foot points sure to 0.31-0.42 m, was lost without it)
    start_max_sigma_m: float = 0.2
    # Cascade: tracks seen in the last frame take their observations first, coasting ones get
    # what is left. A coasting track's gate is wide (its covariance grew), so its Mahalanobis
    # distance to someone else's detection can beat that person's own track (tune seed 15 at
    # 303.6 s: a track unseen 1.6 s took a walker's detection 3.4 m from its last sample; the
    # walker's own track, 0.2 m away, went unseen: a false counterflow). Off: on 15 tune seeds
    # it removed 2 false episodes (seed 15 counterflow, seed 3 bag) and caught seed 15's fall,
    # but lost seed 18's tailgating pair (42 m, surge) and made seed 13's loiterer alert 16 s
    # before its staged 120 s (its dwell now counted from the walk in): not a clear gain.
    cascade: bool = False
    # Holding a still person in the foreground: MOG2 learns whatever stays put, and a lingerer
    # who keeps stopping on the same few square metres teaches it their colours stop by stop,
    # until they vanish within a second of standing still (tune seed 6, busy, 22.8 m: the
    # loiterer's blob, full and steady for 7 s, went at once at 734, 747 and 754.6 s, and the
    # dwell broke into 8 tracks). A confirmed person or group track seen this frame, still
    # (within ``hold_still_m``) for ``hold_still_s`` and not a ghost (it walked in, or continues
    # a lineage), has its box (grown by ``hold_margin`` a side) kept out of the background
    # model's learning (:meth:`Tracker.held_boxes`, ``BackgroundSubtractionDetector.hold``).
    # Off by default (0, as round 6): it changes the measurements every rule was tuned on
    # (overcrowding's crowd_factor among them: still people in queues read fainter), and only
    # seed 6 could be re-measured with it before the round-7 freeze; 2.0 to turn it on.
    hold_still_s: float = 0.0
    hold_still_m: float = 0.5
    hold_margin: float = 0.15


@dataclass(frozen=True, slots=True)
class Sample:
    t: float
    x: float
    y: float
    kind: str
    height_m: float
    width_m: float
    length_m: float
    persons: float
    box: tuple[float, float, float, float]
    person_px: float  # image height of a standing person at this spot
    clipped: bool
    sigma_m: float = 0.1  # foot-point uncertainty here (a few pixels of box error, in metres)


class Track:
    """One tracked thing. Mutable while tracked; rules read it, never write it."""

    __slots__ = ("id", "state", "cov", "born_t", "last_t", "hits", "misses", "samples",
                 "_kinds", "confirmed", "root", "since")

    def __init__(self, tid: int, obs: Observation, t: float, cfg: TrackerConfig):
        self.id = tid
        self.state = np.array([obs.xy[0], obs.xy[1], 0.0, 0.0])
        v2 = cfg.init_speed_sigma ** 2
        self.cov = np.diag([obs.sigma_m ** 2, obs.sigma_m ** 2, v2, v2])
        self.born_t = self.last_t = t
        self.hits, self.misses = 1, 0
        self.samples: deque[Sample] = deque()
        self._kinds: deque[str] = deque(maxlen=cfg.kind_window)
        self.confirmed = False
        self.root, self.since = tid, t  # lineage: first id and start time
        self._add(obs, t, cfg)

    def _add(self, obs: Observation, t: float, cfg: TrackerConfig) -> None:
        self.samples.append(Sample(t, obs.xy[0], obs.xy[1], obs.kind, obs.height_m, obs.width_m,
                                   obs.length_m,
                                   obs.persons, obs.box, obs.person_px, obs.clipped,
                                   obs.sigma_m))
        while self.samples and self.samples[0].t < t - cfg.history_s:
            self.samples.popleft()
        self._kinds.append(obs.kind)

    # --- what rules read -----------------------------------------------------------------
    @property
    def xy(self) -> tuple[float, float]:
        return float(self.state[0]), float(self.state[1])

    @property
    def box(self) -> tuple[float, float, float, float]:
        return self.samples[-1].box

    @property
    def kind(self) -> str:
        """The majority of recent observations' kinds (one frame's merge does not flip it)."""
        ks = list(self._kinds)
        return max(set(ks), key=lambda k: (ks.count(k), ks[::-1].index(k) * -1))

    @property
    def seen(self) -> bool:
        return self.misses == 0

    def recent(self, window_s: float, now: float) -> list[Sample]:
        out = []
        for s in reversed(self.samples):
            if s.t < now - window_s:
                break
            out.append(s)
        return out[::-1]

    def _line_fit(self, window_s: float, now: float):
        """(samples, centred times, their sum of squares, positions, velocity) of a
        least-squares line through the last ``window_s``; None with fewer than 3 samples or
        too short a span."""
        s = self.recent(window_s, now)
        if len(s) < 3 or s[-1].t - s[0].t < 0.5 * window_s:
            return None
        t = np.array([q.t for q in s])
        xy = np.array([(q.x, q.y) for q in s])
        tc = t - t.mean()
        denom = float(tc @ tc)
        if denom <= 0:
            return None
        return s, tc, denom, xy, tc @ (xy - xy.mean(axis=0)) / denom

    def velocity_and_error(self, window_s: float,
                           now: float) -> tuple[tuple[float, float], float] | None:
        """:meth:`velocity` and :meth:`speed_error` from one line fit (rules need both each
        frame); None as they are."""
        fit = self._line_fit(window_s, now)
        if fit is None:
            return None
        s, tc, denom, xy, v = fit
        sig = np.array([q.sigma_m for q in s])
        model = math.sqrt(float((tc ** 2) @ (sig ** 2))) / denom
        resid = xy - xy.mean(axis=0) - np.outer(tc, v)
        scatter = math.sqrt(float((resid ** 2).sum()) / max(2 * (len(s) - 2), 1) / denom)
        return (float(v[0]), float(v[1])), max(model, scatter)

    def velocity(self, window_s: float, now: float) -> tuple[float, float] | None:
        """Least-squares velocity (m/s) over the observed positions of the last ``window_s``;
        None with fewer than 3 samples or too short a span."""
        fit = self._line_fit(window_s, now)
        return None if fit is None else (float(fit[4][0]), float(fit[4][1]))

    def speed_error(self, window_s: float, now: float) -> float | None:
        """Standard error (m/s) of :meth:`velocity`'s speed: the larger of the foot points'
        pixel error carried through the homography (each sample's ``sigma_m``) and the fit's
        own residual scatter. Far from the camera a few pixels of box jitter are metres on the
        floor; a steady runner fits a line, a jittering stander does not."""
        both = self.velocity_and_error(window_s, now)
        return None if both is None else both[1]

    def speed(self, window_s: float, now: float) -> float | None:
        v = self.velocity(window_s, now)
        return None if v is None else math.hypot(*v)

    def displacement(self, window_s: float, now: float) -> float:
        """Largest distance of any observed position in the window from the window's median."""
        s = self.recent(window_s, now)
        if not s:
            return 0.0
        xy = np.array([(q.x, q.y) for q in s])
        return float(np.max(np.linalg.norm(xy - np.median(xy, axis=0), axis=1)))


class Tracker:
    def __init__(self, cfg: TrackerConfig = TrackerConfig()):
        self.cfg = cfg
        self.tracks: list[Track] = []
        self.ended: deque[Track] = deque()  # recently ended tracks, for lineage
        self._next_id = 1
        self._t: float | None = None
        self._moved: set[int] = set()  # tracks seen a metre from where they stand (held_boxes)

    def reset(self) -> None:
        self.tracks, self._next_id, self._t = [], 1, None
        self.ended.clear()
        self._moved.clear()

    def _predict(self, dt: float) -> None:
        F = np.array([[1, 0, dt, 0], [0, 1, 0, dt], [0, 0, 1, 0], [0, 0, 0, 1.0]])
        q = self.cfg.accel_sigma ** 2
        G = np.array([[dt * dt / 2, 0], [0, dt * dt / 2], [dt, 0], [0, dt]])
        Q = G @ G.T * q
        for tr in self.tracks:
            tr.state = F @ tr.state
            tr.cov = F @ tr.cov @ F.T + Q
            if tr.kind in (OBJECT, LYING):  # still things: do not let a velocity estimate drift
                tr.state[2:] *= 0.5

    def held_boxes(self) -> list[tuple[float, float, float, float]]:
        """Image boxes of people standing still, to keep out of the background model's
        learning on the next frame (see ``TrackerConfig.hold_still_s``)."""
        c, t = self.cfg, self._t
        if c.hold_still_s <= 0 or t is None:
            return []
        out = []
        self._moved &= {tr.id for tr in self.tracks}
        for tr in self.tracks:
            if not tr.confirmed or tr.last_t != t or tr.kind not in (PERSON, GROUP):
                continue
            if t - tr.born_t < c.hold_still_s or tr.displacement(c.hold_still_s, t) > c.hold_still_m:
                continue
            if tr.root == tr.id and tr.id not in self._moved:
                x, y = tr.xy
                if all((q.x - x) ** 2 + (q.y - y) ** 2 < 1.0 for q in tr.samples):
                    continue  # never moved: maybe a ghost of someone who stood there at the start
                self._moved.add(tr.id)
            x1, y1, x2, y2 = tr.box
            mx, my = c.hold_margin * (x2 - x1), c.hold_margin * (y2 - y1)
            out.append((x1 - mx, y1 - my, x2 + mx, y2 + my))
        return out

    def update(self, t: float, observations: list[Observation]) -> list[Track]:
        """Advance to time ``t`` with this frame's observations; returns the live tracks."""
        if self._t is not None and t < self._t:
            raise ValueError(f"frame time {t} is before the previous frame's {self._t}: "
                             f"a stream's frames must come in time order")
        dt = 0.0 if self._t is None else t - self._t
        self._t = t
        if dt > 0:
            self._predict(dt)
        pairs, births = self._associate(t, observations)
        assigned_t = set()
        for i, j in pairs:
            self._correct(self.tracks[i], observations[j], t)
            assigned_t.add(i)
        alive = []
        for i, tr in enumerate(self.tracks):
            if i not in assigned_t:
                tr.misses += 1
                limit = (self.cfg.max_coast_static_s if tr.kind in (OBJECT, LYING)
                         else self.cfg.max_coast_s)
                if t - tr.last_t > limit:
                    if tr.confirmed:
                        self.ended.append(tr)
                    continue
            alive.append(tr)
        while self.ended and self.ended[0].last_t < t - self.cfg.lineage_s - self.cfg.max_coast_static_s:
            self.ended.popleft()
        for j in births:
            ob = observations[j]
            tr = Track(self._next_id, ob, t, self.cfg)
            self._inherit(tr, ob, t, alive)
            alive.append(tr)
            self._next_id += 1
            self._born(j, tr)
        self.tracks = alive
        return self.tracks

    def _associate(self, t: float, observations: list[Observation]
                   ) -> tuple[list[tuple[int, int]], list[int]]:
        """(track index, observation index) pairs for this frame, and the observations that
        start new tracks. Here: Hungarian on gated Mahalanobis distances, every unmatched
        observation a birth. Subclasses (:mod:`pipeline.danger.association`) swap only this."""
        pairs = []
        if self.tracks and observations:
            cost = self._costs(observations)
            groups = [range(len(self.tracks))]
            if self.cfg.cascade:
                groups = [[i for i, tr in enumerate(self.tracks) if tr.misses == 0],
                          [i for i, tr in enumerate(self.tracks) if tr.misses > 0]]
            free = list(range(len(observations)))
            for rows in groups:
                rows = list(rows)
                if not rows or not free:
                    continue
                sub = cost[np.ix_(rows, free)]
                r, c = linear_sum_assignment(sub)
                got = [(rows[a], free[b]) for a, b in zip(r, c) if sub[a, b] < 1e6]
                pairs += got
                taken = {j for _, j in got}
                free = [j for j in free if j not in taken]
        pairs += self._fast_starts(t, observations, pairs)
        taken = {j for _, j in pairs}
        return pairs, [j for j in range(len(observations)) if j not in taken]

    def _fast_starts(self, t: float, observations: list[Observation],
                     pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Second pairs for tracks seen once (no velocity yet) and upright observations
        nobody took: within ``start_speed_mps`` of the track's one sample, nearest first."""
        v = self.cfg.start_speed_mps
        if v <= 0 or not self.tracks or not observations:
            return []
        used_t, used_o = {i for i, _ in pairs}, {j for _, j in pairs}
        young = [i for i, tr in enumerate(self.tracks) if i not in used_t and tr.hits == 1
                 and _FAMILY[tr.kind] == "person"]
        free = [j for j, ob in enumerate(observations) if j not in used_o
                and ob.kind in (PERSON, GROUP) and ob.sigma_m <= self.cfg.start_max_sigma_m]
        cand = []
        for i in young:
            tr = self.tracks[i]
            last, reach = tr.samples[-1], v * (t - tr.last_t)
            for j in free:
                d = math.hypot(observations[j].xy[0] - last.x, observations[j].xy[1] - last.y)
                if d <= min(reach, self.cfg.max_gate_m):
                    cand.append((d, i, j))
        out = []
        for _, i, j in sorted(cand):
            if i not in used_t and j not in used_o:
                out.append((i, j))
                used_t.add(i)
                used_o.add(j)
        return out

    def _born(self, j: int, track: Track) -> None:
        """Observation ``j`` started ``track`` (a hook for subclasses keyed by another id)."""

    def _inherit(self, tr: Track, ob: Observation, t: float, alive: list[Track]) -> None:
        """Continue the lineage of the nearest track of the same family that was last seen
        here moments ago (ended, or still coasting unseen)."""
        fam = _FAMILY[ob.kind]
        best, best_d = None, self.cfg.lineage_m
        for old in list(self.ended) + [a for a in alive if a.misses > 0 and a.confirmed]:
            if t - old.last_t > self.cfg.lineage_s or _FAMILY[old.kind] != fam:
                continue
            last = old.samples[-1]
            d = math.hypot(last.x - ob.xy[0], last.y - ob.xy[1])
            if d < best_d:
                best, best_d = old, d
        if best is not None:
            tr.root, tr.since = best.root, best.since

    def _costs(self, observations: list[Observation]) -> np.ndarray:
        """Gated Mahalanobis distances, tracks × observations; 1e6 where out of the gate."""
        pred = np.array([tr.state[:2] for tr in self.tracks])
        P = np.array([tr.cov[:2, :2] for tr in self.tracks])  # (T, 2, 2)
        obs = np.array([ob.xy for ob in observations])
        var = np.array([ob.sigma_m ** 2 for ob in observations])
        d = obs[None, :, :] - pred[:, None, :]  # (T, O, 2)
        a = P[:, None, 0, 0] + var[None, :]
        b = P[:, None, 0, 1]
        c = P[:, None, 1, 1] + var[None, :]
        det = a * c - b * b
        m2 = (c * d[..., 0] ** 2 - 2 * b * d[..., 0] * d[..., 1] + a * d[..., 1] ** 2) / det
        dist = np.hypot(d[..., 0], d[..., 1])
        t_kind = np.array([KIND_INDEX[tr.kind] for tr in self.tracks])
        o_kind = np.array([KIND_INDEX[ob.kind] for ob in observations])
        pen = _PENALTY[t_kind[:, None], o_kind[None, :]]
        ok = (m2 <= CHI2_99_2DOF) & (dist <= self.cfg.max_gate_m)
        return np.where(ok, m2 + pen, 1e6)

    def _correct(self, tr: Track, ob: Observation, t: float) -> None:
        H = np.array([[1, 0, 0, 0], [0, 1, 0, 0.0]])
        R = np.eye(2) * ob.sigma_m ** 2
        S = H @ tr.cov @ H.T + R
        K = tr.cov @ H.T @ np.linalg.inv(S)
        tr.state = tr.state + K @ (np.array(ob.xy) - H @ tr.state)
        tr.cov = (np.eye(4) - K @ H) @ tr.cov
        tr.hits += 1
        tr.misses = 0
        tr.last_t = t
        tr._add(ob, t, self.cfg)
        if tr.hits >= self.cfg.min_hits:
            tr.confirmed = True


_FAMILY = {PERSON: "person", GROUP: "person", LYING: "person", OBJECT: "object"}
KIND_INDEX = {k: i for i, k in enumerate((PERSON, GROUP, LYING, OBJECT))}


def _kind_penalty(track_kind: str, obs_kind: str) -> float:
    """A person may merge into a group or fall; a bag does not stand up and walk."""
    if track_kind == obs_kind:
        return 0.0
    if {track_kind, obs_kind} <= {PERSON, GROUP, LYING}:
        return 1.0
    return 4.0


_PENALTY = np.array([[_kind_penalty(a, b) for b in KIND_INDEX] for a in KIND_INDEX])
