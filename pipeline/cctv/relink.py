"""Re-link a camera's track fragments: a new track that continues one lost a moment ago keeps
its id.

A tracker's track ends when its person is missed for longer than the tracker's lost buffer, or
when the motion model's prediction drifts off the person during an occlusion; the person then
comes back as a new track, and every metric that follows identity (IDF1, the per-track face
aggregation, the journey) pays for it. :class:`Relinker` sits between the tracker and the
stream: when a track id appears for the first time, it looks for a track of the same camera
that stopped within :attr:`RelinkConfig.window_s` and is not in this frame, and continues it
when three cues agree, the cues the cross-camera linker (:mod:`pipeline.cctv.journeys`) uses
between cameras, here at the scale of one view:

- **motion continuity**: the new box's head point (top centre: the box is implied from the
  head, and its bottom may be cut by the frame) lies within ``gate`` body heights (plus
  ``per_s`` heights per second of the gap) of where the lost track's constant-velocity motion
  puts it, or of where it was last seen (``from_last``: a walker who stopped or turned back),
  and its width is within ``max_scale`` of the lost box's (a body height here is
  :data:`HEIGHT_PER_WIDTH` box widths, widths being cut less often than heights);
- **clothing colour**: the Bhattacharyya similarity of the torso histograms
  (:func:`pipeline.cctv.appearance.clothing_histogram`) reaches ``min_appearance``;
- **one person, one track**: a lost track is continued by at most one new track, the best
  (Hungarian on distance / appearance), and never by a track while it is itself in view.

**Dwelling people** (``dwell_s`` > 0). Someone who stands for minutes (waiting at a baggage
belt, at a desk) in a crowd is hidden and found again many times, often for longer than
``window_s``; each return used to start a new id, which a one-minute window barely sees but a
five-minute one pays for the rest of the stay. A lost track whose head point stayed within
``still_radius`` body heights of its last place over the ``still_s`` seconds before it was lost
is kept for up to ``dwell_s``, and continued by a new track whose head point is within
``dwell_gate`` body heights of that last place (no motion prediction: the person stood), at
the same scale, whose clothing colour is at least ``dwell_appearance`` alike, and, against a
wrong merge in a crowd, at least ``dwell_margin`` more alike than any other person in view
near that place (someone alike who stands there is not the lost person).

**Standing crowds** (``crowd_appearance``, 0.6; 0: off). Where people stand shoulder to
shoulder (at the belts) a new track that continues a lost one within ``window_s`` is often a
neighbour: the gate holds several people, and their boxes trade places as they hide each other
(so the lost track's own last seconds do not say it stood). A short link to a lost track with
at least ``crowd_count`` other tracks in view within ``crowd_radius`` body heights of its last
place needs clothing similarity ``crowd_appearance`` instead of ``min_appearance``; walkers in
a corridor or at the desks, with a neighbour or two, keep ``min_appearance``.

**Late links** (``late_s`` > 0; off). At the belts a stander's id goes on with a neighbour for
a frame or two while the stander comes back under a new id; at its birth the old id was in view,
so no link was possible. A new track no link continued may, for ``late_s``, still continue an
id that was in view at its birth and is lost now, at a short link's gates, the place gated from
any point of the old id's last ``still_s`` (its last place may be the neighbour's). The new
track's rows so far keep their id. Measured on the five-minute tune windows and not turned on
(docs/cctv.md "Ids more than 4 s apart at the belts").

Online: each frame's decision uses that frame and the past only.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from pipeline.cctv.appearance import similarity
from pipeline.cctv.persons import PersonTrack

__all__ = ["HEIGHT_PER_WIDTH", "RelinkConfig", "Relinker"]

# a standing body's box, height over width, as tuned (pipeline.vision.heads implies 7.1 x 2.0 head
# heights, 3.55)
HEIGHT_PER_WIDTH = 3.5


# weight of the distance from the predicted point in the cost when ``from_last`` gates
TIE_BREAK = 1e-3

@dataclass(frozen=True)
class RelinkConfig:
    # tuned on cached detections of tune seeds 1-3 (1330-1360 s, 5 fps, five cameras;
    # ``python -m experiments.cctv_track_tune replay``): a window of 4 s and similarity 0.5
    # gave mean IDF1 0.806 against 0.795 at 2 s / 0.7; 6-8 s and a wider gate changed nothing
    window_s: float = 4.0  # a track unseen up to this long can be continued
    gate: float = 0.35  # body heights between the predicted and the new head point, at gap 0
    per_s: float = 0.5  # body heights per second of gap added to the gate
    max_scale: float = 1.35  # new / lost box height (and its inverse) at most this
    min_appearance: float = 0.5  # Bhattacharyya similarity of the torso histograms
    # the gate is also met from where the lost track was last seen, not only from where its
    # motion carries it: a walker who stopped, or turned back at a desk, while unseen (hall_exit:
    # travellers walk in, then turn at the desks). Tune caches 1330-1360 s, 5 fps (seeds 1-3
    # five cameras; 4-8 hall_exit and corridor_far; experiments/cctv_corridor_tune.py replay
    # r_from_last=0,1): hall_exit 0.7935 -> 0.8005 (seed 5 0.767 -> 0.792, seed 6 0.879 ->
    # 0.910), no window down by more than 0.001
    from_last: bool = True
    # dwelling people (module docstring); dwell_s 0: off
    dwell_s: float = 0.0  # a still person's lost track can be continued up to this long
    still_s: float = 2.0  # seconds before the loss over which the person must have stood
    still_radius: float = 0.3  # body heights the head point strayed at most over still_s
    dwell_gate: float = 0.5  # body heights between the new head point and the last place
    dwell_appearance: float = 0.6  # Bhattacharyya similarity of the torso histograms
    dwell_margin: float = 0.05  # over the most alike other track in view near the last place
    # a standing crowd's short re-link (module docstring); crowd_appearance 0: off. Tune
    # caches (experiments/cctv_dwell_tune.py replay r_crowd_appearance=0,0.6): the five-minute
    # reclaim_exit windows (seeds 1, 2) wrong short links 3 of 11 / 6 of 8 -> 2 of 10 / 1 of 4,
    # IDF1 0.745 / 0.721 -> 0.745 / 0.722; the peak minutes (seeds 1-8) change only reclaim_exit
    # seed 2 (2 wrong links -> 0, 0.838 -> 0.839): elsewhere no short link has 4 others this near
    crowd_appearance: float = 0.6  # similarity a short link needs in a dense crowd
    crowd_radius: float = 1.0  # body heights around the last place that make the crowd
    crowd_count: int = 4  # other tracks in view within crowd_radius: a dense crowd
    # a late re-link (module docstring); late_s 0: off
    late_s: float = 0.0  # a new track born up to this long ago may still continue an id

    def __post_init__(self):
        for name in ("window_s", "gate", "per_s", "dwell_s", "still_s", "still_radius",
                     "dwell_gate", "dwell_margin", "crowd_radius", "late_s"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"RelinkConfig.{name} must be >= 0, got {getattr(self, name)}")
        if not self.crowd_count >= 1:
            raise ValueError(f"RelinkConfig.crowd_count must be >= 1, got {self.crowd_count}")
        for name in ("min_appearance", "dwell_appearance", "crowd_appearance"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"RelinkConfig.{name} must be in [0, 1], got "
                                 f"{getattr(self, name)}")
        if not self.max_scale >= 1:
            raise ValueError(f"RelinkConfig.max_scale must be >= 1, got {self.max_scale}")


@dataclass
class _Seen:
    t: float
    box: np.ndarray
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))  # head point px / s
    hist: np.ndarray | None = None
    frames: int = 0
    first_t: float = 0.0
    trail: deque = field(default_factory=deque)  # (t, head point) over the last still_s

    def still(self, cfg: RelinkConfig) -> bool:
        """Whether the person stood over the ``still_s`` seconds before they were last seen:
        their head point within ``still_radius`` body heights of the last place."""
        if self.t - self.first_t < cfg.still_s or not self.trail:
            return False
        here = _anchor(self.box)
        reach = max(np.hypot(*(p - here)) for _, p in self.trail)
        return reach <= cfg.still_radius * HEIGHT_PER_WIDTH * max(self.box[2] - self.box[0], 1.0)


class Relinker:
    def __init__(self, config: RelinkConfig = RelinkConfig()):
        self.config = config
        self.reset()

    def reset(self) -> None:
        self._seen: dict[int, _Seen] = {}  # output id -> its last state
        self._alias: dict[int, int] = {}  # tracker id -> output id
        self.relinked = 0
        self.dwell_relinked = 0  # of which a dwelling person's, lost longer than window_s
        self.late_relinked = 0  # of which a late one (the id was in view at the birth)
        self.linked_now: list[int] = []  # output ids continued by a new fragment this frame
        self.kind_now: dict[int, str] = {}  # those ids -> "short", "dwell" or "late"
        # tracker id of a new track no link continued -> (its birth, the ids in view then)
        self._born: dict[int, tuple[float, frozenset]] = {}

    def update(self, t: float, tracks: list[PersonTrack],
               hists: list[np.ndarray | None]) -> list[PersonTrack]:
        """This frame's tracks with fragment ids replaced by the ids they continue; ``hists``
        the clothing histogram of each track's box (None where there is none)."""
        cfg = self.config
        self.linked_now, self.kind_now = [], {}
        new = [k for k, tr in enumerate(tracks)
               if tr.track_id not in self._alias and tr.track_id not in self._seen]
        present = {self._alias.get(tr.track_id, tr.track_id) for tr in tracks}
        if new:
            lost = [i for i, s in self._seen.items()
                    if i not in present and 0 < t - s.t <= self._keep_s(s)]
            others = [(np.asarray(tr.box, np.float64), h) for k, (tr, h)
                      in enumerate(zip(tracks, hists)) if k not in new]
            for k, i in self._match([tracks[k] for k in new], [hists[k] for k in new], lost, t,
                                    others):
                self._alias[tracks[new[k]].track_id] = i
                self.relinked += 1
                self.linked_now.append(i)
                self.kind_now[i] = "short" if t - self._seen[i].t <= cfg.window_s else "dwell"
                self.dwell_relinked += self.kind_now[i] == "dwell"
            if cfg.late_s > 0:
                self._born.update({tracks[k].track_id: (t, frozenset(present)) for k in new
                                   if tracks[k].track_id not in self._alias})
        if self._born:
            self._late(t, tracks, hists, present)
        taken = {tr.track_id for tr in tracks}
        for raw, oid in list(self._alias.items()):
            if raw in taken and oid in taken:  # the tracker took the lost track back itself
                del self._alias[raw]
        out = []
        for tr, h in zip(tracks, hists):
            oid = self._alias.get(tr.track_id, tr.track_id)
            self._remember(oid, t, np.asarray(tr.box, np.float64), h)
            out.append(tr if oid == tr.track_id else replace(tr, track_id=oid))
        for i in [i for i, s in self._seen.items() if t - s.t > self._keep_s(s)]:
            del self._seen[i]
        return out

    def _late(self, t: float, tracks: list[PersonTrack], hists, present: set) -> None:
        """Continue a young track (born up to ``late_s`` ago, no link then) with an id that was
        in view at its birth and is lost now, at a short link's gates."""
        cfg = self.config
        self._born = {r: b for r, b in self._born.items()
                      if t - b[0] <= cfg.late_s and r not in self._alias}
        young = [k for k, tr in enumerate(tracks)
                 if tr.track_id in self._born and self._born[tr.track_id][0] < t]
        lost = sorted({i for k in young for i in self._born[tracks[k].track_id][1]
                       if i not in present and i not in self.kind_now and i in self._seen
                       and 0 < t - self._seen[i].t <= cfg.window_s})
        if not young or not lost:
            return
        others = [(np.asarray(tr.box, np.float64), h) for k, (tr, h)
                  in enumerate(zip(tracks, hists)) if k not in young]
        allowed = np.array([[i in self._born[tracks[k].track_id][1] for i in lost]
                            for k in young])
        for a, i in self._match([tracks[k] for k in young], [hists[k] for k in young], lost, t,
                                others, allowed, late=True):
            raw = tracks[young[a]].track_id
            self._alias[raw] = i
            del self._born[raw]
            self._seen.pop(raw, None)  # its few rows so far stay reported under its own id
            self.relinked += 1
            self.late_relinked += 1
            self.linked_now.append(i)
            self.kind_now[i] = "late"

    def dwelling(self, t: float) -> set[int]:
        """The output ids not in view at ``t`` that a dwelling person's return may still
        continue after ``window_s`` (a stream keeps their tracks open: a continued id is one
        track, its faces and search one person's)."""
        cfg = self.config
        return {i for i, s in self._seen.items()
                if cfg.window_s < t - s.t <= self._keep_s(s)}

    def _keep_s(self, s: _Seen) -> float:
        """How long lost track ``s`` can be continued: ``window_s``, or ``dwell_s`` for a
        person who stood."""
        cfg = self.config
        return max(cfg.window_s, cfg.dwell_s) if cfg.dwell_s > 0 and s.still(cfg) \
            else cfg.window_s

    def _match(self, fresh: list[PersonTrack], hists, lost: list[int], t: float,
               others: list = (), allowed: np.ndarray | None = None, late: bool = False):
        from scipy.optimize import linear_sum_assignment

        if not fresh or not lost:
            return []
        cfg = self.config
        cost = np.full((len(fresh), len(lost)), np.inf)
        for a, (tr, h) in enumerate(zip(fresh, hists)):
            box = np.asarray(tr.box, np.float64)
            for b, i in enumerate(lost):
                if allowed is not None and not allowed[a, b]:
                    continue
                s = self._seen[i]
                dt = t - s.t
                width = max(s.box[2] - s.box[0], 1.0)
                height = HEIGHT_PER_WIDTH * width
                scale = (box[2] - box[0]) / width
                if not 1 / cfg.max_scale <= scale <= cfg.max_scale:
                    continue
                step = _anchor(box) - _anchor(s.box)
                if dt > cfg.window_s:  # a dwelling person's: from the last place only
                    dist = np.hypot(*step) / height
                    app = similarity(s.hist, h)
                    if dist > cfg.dwell_gate or app < cfg.dwell_appearance:
                        continue
                    rival = max((similarity(s.hist, oh) for ob, oh in others
                                 if np.hypot(*(_anchor(ob) - _anchor(s.box))) / height
                                 <= cfg.dwell_gate), default=0.0)
                    if app < rival + cfg.dwell_margin:
                        continue
                    cost[a, b] = dist / max(cfg.dwell_gate, 1e-9) + (1 - app)
                    continue
                predicted = np.hypot(*(step - s.velocity * dt)) / height
                dist = min(predicted, np.hypot(*step) / height) if cfg.from_last else predicted
                if late:  # the old id's last place may be the neighbour's: where it was before
                    dist = min([dist] + [np.hypot(*(_anchor(box) - q)) / height
                                         for _, q in s.trail])
                if dist > cfg.gate + cfg.per_s * dt:
                    continue
                app = similarity(s.hist, h)
                if app < self._short_appearance(s, others):
                    continue
                # where the motion puts the lost track breaks a tie with its last place: a
                # walker at his predicted point and someone alike standing where he was last
                # seen are otherwise equally near, and the tracker's listing order would choose
                cost[a, b] = (dist + TIE_BREAK * predicted) / (cfg.gate + cfg.per_s * dt) \
                    + (1 - app)
        if not np.isfinite(cost).any():
            return []
        rows, cols = linear_sum_assignment(np.where(np.isfinite(cost), cost, 1e6))
        return [(a, lost[b]) for a, b in zip(rows, cols) if np.isfinite(cost[a, b])]

    def _short_appearance(self, s: _Seen, others: list) -> float:
        """The clothing similarity a short link to lost track ``s`` needs: ``min_appearance``,
        or ``crowd_appearance`` in a dense crowd (``crowd_count`` other tracks in view within
        ``crowd_radius`` body heights of its last place)."""
        cfg = self.config
        if cfg.crowd_appearance <= cfg.min_appearance:
            return cfg.min_appearance
        reach = cfg.crowd_radius * HEIGHT_PER_WIDTH * max(s.box[2] - s.box[0], 1.0)
        here = _anchor(s.box)
        near = sum(np.hypot(*(_anchor(ob) - here)) <= reach for ob, _ in others)
        return cfg.crowd_appearance if near >= cfg.crowd_count else cfg.min_appearance

    def _remember(self, oid: int, t: float, box: np.ndarray, hist) -> None:
        s = self._seen.get(oid)
        if s is None:
            s = self._seen[oid] = _Seen(t, box, hist=None if hist is None else hist.copy(),
                                        frames=1, first_t=t)
            s.trail.append((t, _anchor(box)))
            return
        if t > s.t:
            v = (_anchor(box) - _anchor(s.box)) / (t - s.t)
            s.velocity = v if s.frames < 2 else 0.5 * s.velocity + 0.5 * v
        s.t, s.box, s.frames = t, box, s.frames + 1
        s.trail.append((t, _anchor(box)))
        while s.trail and s.trail[0][0] < t - self.config.still_s:
            s.trail.popleft()
        if hist is not None:
            s.hist = hist.copy() if s.hist is None else s.hist + hist


def _anchor(box: np.ndarray) -> np.ndarray:
    return np.array([(box[0] + box[2]) / 2, box[1]])
