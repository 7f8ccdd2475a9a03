"""Clothes at association where neighbours stand close: ByteTrack's box similarity told apart by
what each track has worn.

ByteTrack (the ``trackers`` library) associates predicted track boxes and this frame's boxes by
overlap alone. Where people stand shoulder to shoulder (the baggage belts), a track's predicted
head box overlaps two people's heads, and the library hands a box to the neighbour's track
without any gap: a swap the re-linker never sees (docs/cctv.md "Identity over the belts' minutes").

:class:`CrowdLooks` is the library's own hook for the similarity (``ByteTrackTracker(iou=...)``,
a :class:`trackers.utils.iou.BaseIoU`), wrapped round the plain overlap: where a pair is
**contested** (the track overlaps two or more of the boxes by at least ``min_iou``, or the box
two or more tracks), its similarity becomes ``(1 - weight) * overlap + weight * clothes``
(:func:`pipeline.cctv.appearance.similarity` of the track's running clothing histogram and the
box's), and a contested pair whose clothes read under ``veto`` is refused (similarity 0).
Uncontested pairs, and pairs where either histogram is unknown, keep the library's overlap,
so a walker alone in view is tracked exactly as before.

The library associates in two stages (ByteTrack: the boxes at its high score first, then the
low ones with the tracks left), and hands the similarity one stage's boxes and tracks at a
time. A standing person half hidden by a walker passing in front is found with a low score;
in the first stage the walker's head is then the only box the person's track overlaps, so the
pair is not contested there and the track follows the walker, while the person left behind
comes back under a new id (docs/cctv.md "Swaps between standing neighbours"). With ``frame`` the
contest is counted over all of the frame's boxes (:meth:`CrowdLooks.frame`) and all of the
library's tracks, whichever stage is associating. ``alone`` asks a standing track its clothes
of uncontested pairs too (the veto only; not shipped: it refuses a stander's own box whose
clothes read otherwise for a moment).

**A stander's own place** (``place`` > 0). The frame contest asks clothes, and a neighbour
standing half behind a stander often wears clothes alike (over the veto), so the first stage
still hands the stander's track the neighbour's high-score head while the stander's own head,
found at a low score at the very place the track predicts, is left to the second stage and
starts a new track: the stander's id goes on with the neighbour for minutes (docs/cctv.md
"A stander's own half-hidden head"). With ``place``, in the library's first stage a standing
track (as ``still_m_s`` reads it) refuses every box of that stage where the frame holds a box
left to a later stage (scored low) that its predicted box overlaps by at least ``place`` more;
the track then takes its own low box in the second stage, and the neighbour's box starts a
track of its own or goes to the neighbour's. Only where the low box's clothes read at least as alike
the track's as the stage's box does: two walkers overlapping in a corridor, the low box at the
predicted place may be the other one's.

**A track seen last frame first** (``lost`` > 0). Where a walker passes in front of a stander,
the walker's head is found under a new track while the walker's old track, missed a frame or two,
coasts on with a grown, drifting prediction; it then contests the stander's own head with the
stander's track, each overlapping it about alike, and the assignment hands the box to whichever
reads a hundredth more (docs/cctv.md, "A track seen last frame first"). With ``lost``, a contested
pair's similarity of a track missed in the last frame (the library's ``time_since_update``
above one at association) is multiplied by ``1 - lost`` (kept at ``min_iou`` at least, so it
still takes a box no track seen last frame wants): the track seen last frame wins a tie, as
DeepSORT's matching cascade orders tracks by their last update. With ``lost_still`` only a
standing track (``still_m_s``) is discounted: a stander missed a frame does not take a
neighbour's head from the neighbour's track, while walkers crossing keep the library's overlap.

**A stander's return** (``missed`` > 0). Where the detector misses a stander's own head for a
frame or more, the track's prediction still overlaps the head right behind (a neighbour standing
half behind), the only box there, so the pair is not contested and the library hands the
stander's track the neighbour's head: the stander's id goes on with the neighbour for minutes
(docs/cctv.md, "the missed-person jumps judged on looks"). Position cannot tell the two heads
apart, and on the long windows the clothes hardly do (the body under a head right behind is the
missed person's own, and no box in front masks it): off. With ``missed``, a standing track
missed in the last frame (as ``lost`` reads it) is asked its clothes of every pair it is a
candidate of, contested or not, and refuses a box whose clothes read under ``missed``: the track
coasts on and takes its own person back when the head is found again. A track seen last frame is
not asked (``alone`` asks it too, and refuses a stander's own box whose clothes read otherwise
for a moment).

The library hands its similarity only the boxes; the tracks are found again by their
predicted boxes (the library's ``get_state_bbox``, which it stacks in the order of its
``tracks``), the detections by their boxes in the frame (:meth:`CrowdLooks.frame`). A track's
clothes: an exponential mean of the histograms of the boxes it took (``keep`` of the old per
frame), kept by its library id (tentative tracks have none: no clothes yet).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.cctv.appearance import similarity

__all__ = ["CrowdLooksConfig", "CrowdLooks"]


@dataclass(frozen=True)
class CrowdLooksConfig:
    weight: float = 0.5  # share of the clothes in a contested pair's similarity
    veto: float = 0.0  # a contested pair whose clothes read under this is refused (0: none)
    keep: float = 0.9  # a track's histogram: this share of the old one per taken box
    min_iou: float = 0.1  # a pair is a candidate from this overlap (the tracker's own)
    # > 0: clothes are asked only of a track whose head moved slower than this (m/s, as
    # pipeline.cctv.lost_buffer.HeadTrail reads it); 0: of every track
    still_m_s: float = 0.0
    # True: a standing track (``still_m_s``) is asked its clothes of an uncontested pair too
    # (the veto only, no blend): its own head hidden behind a walker passing in front, the
    # walker's box is the only one it overlaps
    alone: bool = False
    # True: a pair is contested where the track overlaps two or more of the frame's boxes (or
    # the box two or more of its tracks), not only of those the library's stage associates (its
    # first stage sees the boxes at its high score only: a neighbour's half-hidden head, scored
    # low, leaves the other head uncontested there)
    frame: bool = False
    # > 0: a standing track refuses a first-stage box where a low-score box of the frame (left
    # to the second stage) overlaps its predicted box by at least this much more (module
    # docstring, "A stander's own place"); 0: off
    place: float = 0.0
    # > 0: a contested pair's similarity of a track missed in the last frame is multiplied by
    # 1 - lost (module docstring, "A track seen last frame first"); 0: off
    lost: float = 0.0
    # True (with ``still_m_s``): ``lost`` discounts only a standing track's pairs
    lost_still: bool = False
    # > 0: a standing track missed in the last frame is asked its clothes of every pair,
    # contested or not, and refuses a box whose clothes read under this (module docstring,
    # "A stander's return"); 0: off
    missed: float = 0.0

    def __post_init__(self):
        for name in ("weight", "veto", "keep", "min_iou", "place", "lost", "missed"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"CrowdLooksConfig.{name} must lie in [0, 1], got {v!r}")
        if not self.still_m_s >= 0:
            raise ValueError(f"CrowdLooksConfig.still_m_s must be >= 0, got {self.still_m_s!r}")


class CrowdLooks:
    """A :class:`trackers.utils.iou.BaseIoU` (duck-typed: ``compute``) wrapping ``base``;
    :meth:`frame` before each library update, :meth:`taken` after it (module docstring)."""

    def __init__(self, base, config: CrowdLooksConfig = CrowdLooksConfig(), speed=None):
        if config.still_m_s > 0 and speed is None:
            raise ValueError("crowd looks still_m_s: needs each track's speed (speed=)")
        self.base, self.config, self.speed = base, config, speed
        self.reset()

    def reset(self) -> None:
        self._tracks = []
        self._boxes = np.zeros((0, 4), np.float32)
        self._hists: list = []
        self._stage = 0
        self._looks: dict[int, np.ndarray] = {}  # library tracker id -> running histogram

    def frame(self, tracks: list, boxes: np.ndarray, hists: list | None) -> None:
        """This frame's library tracklets, the boxes handed to the library (its association
        space) and each box's clothing histogram (None: unknown)."""
        self._tracks = list(tracks)
        self._boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        self._hists = list(hists) if hists is not None else [None] * len(self._boxes)
        self._stage = 0  # the library's association stages so far this frame
        if len(self._hists) != len(self._boxes):
            raise ValueError(f"crowd looks: {len(self._hists)} histograms for "
                             f"{len(self._boxes)} boxes")

    def taken(self, pairs, alive) -> None:
        """(library tracker id, box index) of this frame's associations: each track's clothes
        move towards its box's; ``alive``: the library's tracker ids still kept (the others'
        clothes are forgotten)."""
        k = self.config.keep
        for tid, i in pairs:
            h = self._hists[i] if 0 <= i < len(self._hists) else None
            if tid < 0 or h is None or not np.asarray(h).sum() > 0:
                continue
            h = np.asarray(h, np.float64)
            old = self._looks.get(tid)
            self._looks[tid] = h if old is None else k * old + (1 - k) * h
        alive = set(alive)
        for tid in [t for t in self._looks if t not in alive]:
            del self._looks[tid]

    def compute(self, boxes_1: np.ndarray, boxes_2: np.ndarray) -> np.ndarray:
        sim = np.asarray(self.base.compute(boxes_1, boxes_2), np.float64)
        self._stage += 1
        out = self._contest(boxes_1, boxes_2, sim)
        if self.config.place > 0 and self._stage == 1 and sim.size:
            out = self._own_place(boxes_1, boxes_2, sim, out)
        return out

    def _contest(self, boxes_1, boxes_2, sim: np.ndarray) -> np.ndarray:
        """The library's overlaps with clothes asked of the contested pairs (module
        docstring)."""
        cfg = self.config
        if not sim.size or (cfg.weight <= 0 and cfg.veto <= 0 and cfg.lost <= 0
                            and cfg.missed <= 0):
            return sim
        cand = sim >= cfg.min_iou
        rows, cols = cand.sum(1, keepdims=True), cand.sum(0, keepdims=True)
        states = None
        if cfg.frame:
            states = self._states()
            rows, cols = self._frame_counts(boxes_1, boxes_2, states, rows, cols)
        contested = cand & ((rows >= 2) | (cols >= 2))
        asked = cand if cfg.alone else contested
        back = np.zeros_like(cand)
        if cfg.missed > 0:
            states = self._states() if states is None else states
            back = cand & self._missed(boxes_1, states)[:, None]
        if not (asked | back).any():
            return sim
        states = self._states() if states is None else states
        if cfg.lost > 0:
            sim = self._seen_first(boxes_1, sim, contested, states)
        if cfg.weight <= 0 and cfg.veto <= 0 and not back.any():
            return sim
        # a track's clothes (and speed) and a box's histogram only where a pair is asked
        looks = self._track_looks(boxes_1, (asked | back).any(1), states)
        hists = self._box_hists(boxes_2, (asked | back).any(0))
        out = sim.copy()
        for r, c in zip(*np.nonzero(asked | back)):
            if looks[r] is None or hists[c] is None:
                continue
            app = similarity(looks[r].astype(np.float32), np.asarray(hists[c], np.float32))
            if back[r, c] and app < cfg.missed:
                out[r, c] = 0.0
            elif not asked[r, c]:
                continue
            elif app < cfg.veto:
                out[r, c] = 0.0
            elif contested[r, c]:
                w = self.config.weight
                out[r, c] = max((1 - w) * sim[r, c] + w * app, self.config.min_iou)
        return out

    def _seen_first(self, boxes_1, sim: np.ndarray, contested: np.ndarray,
                    states: np.ndarray) -> np.ndarray:
        """``sim`` with the contested pairs of the tracks missed in the last frame discounted
        by ``lost`` (module docstring, "A track seen last frame first")."""
        still = self.config.lost_still and self.config.still_m_s > 0
        missed = self._missed(boxes_1, states, still)
        cut = contested & missed[:, None]
        if not cut.any():
            return sim
        out = sim.copy()
        out[cut] = np.maximum(sim[cut] * (1 - self.config.lost), self.config.min_iou)
        return out

    def _missed(self, boxes_1, states: np.ndarray, standing: bool = False) -> np.ndarray:
        """For each of the stage's tracks (found by predicted box), whether the library missed it
        in the last frame (``time_since_update`` above one at association); with ``standing``
        only a confirmed standing track (:meth:`_standing`)."""
        at = self._by_state(states)
        tls = [at.get((b + 0.0).tobytes()) for b in np.asarray(boxes_1, np.float64).reshape(-1, 4)]
        return np.array([getattr(tl, "time_since_update", 0) > 1 and (
            not standing or (tl.tracker_id >= 0 and self._standing(int(tl.tracker_id))))
            for tl in tls], bool).reshape(-1)

    def _by_state(self, states: np.ndarray) -> dict:
        """The library's tracklets by their box as it stands now (+ 0.0: -0.0 as 0.0); the
        first where two share one."""
        return {(s + 0.0).tobytes(): tl for tl, s in zip(reversed(self._tracks), states[::-1])}

    def _own_place(self, boxes_1, boxes_2, sim: np.ndarray, out: np.ndarray) -> np.ndarray:
        """The first stage's similarities ``out`` with each standing track's row refused (0)
        where a box of the frame not in this stage (a low score) overlaps its predicted box by
        ``place`` more than its best box of the stage does (``sim``: the plain overlaps), and
        its clothes read at least as alike the track's as that box's (module docstring)."""
        later = np.flatnonzero(
            ~(self._boxes[:, None, :] == np.asarray(boxes_2, np.float32)[None]).all(2).any(1))
        if not len(later):
            return out
        over = np.asarray(self.base.compute(boxes_1, self._boxes[later]), np.float64)
        own = over.max(1)
        rows = np.flatnonzero((own >= self.config.min_iou)
                              & (own >= sim.max(1) + self.config.place))
        out = out.copy()
        for r, tid in zip(rows, self._standing_ids(boxes_1, rows)):
            if tid is None:
                continue
            look = self._looks.get(tid)
            low = self._hists[later[over[r].argmax()]]
            c = int(sim[r].argmax())
            high = self._box_hists(boxes_2[c:c + 1], [True])[0]
            if look is None or low is None or high is None:
                continue
            look = look.astype(np.float32)
            if (similarity(look, np.asarray(low, np.float32))
                    >= similarity(look, np.asarray(high, np.float32))):
                out[r] = 0.0
        return out

    def _standing_ids(self, boxes_1, rows: np.ndarray) -> list:
        """For each of ``rows`` (of the stage's tracks, found by predicted box) its library
        tracker id where it is a confirmed track standing (:meth:`_standing`), else None."""
        if not len(rows):
            return []
        at = self._by_state(self._states())
        b1 = np.asarray(boxes_1, np.float64).reshape(-1, 4)
        out = []
        for r in rows:
            hit = at.get((b1[r] + 0.0).tobytes())
            ok = hit is not None and hit.tracker_id >= 0 and self._standing(int(hit.tracker_id))
            out.append(int(hit.tracker_id) if ok else None)
        return out

    def _states(self) -> np.ndarray:
        """The library's tracks' boxes as they stand now (predicted, or updated by an earlier
        stage), in the order of its ``tracks``."""
        return np.array([np.asarray(tl.get_state_bbox(), np.float64).reshape(4)
                         for tl in self._tracks], np.float64).reshape(-1, 4)

    def _frame_counts(self, boxes_1, boxes_2, states, rows, cols):
        """For each of the stage's tracks, how many of the frame's boxes it overlaps at
        ``min_iou``, and for each of its boxes how many of the frame's tracks (at least the
        stage's own counts)."""
        k = self.config.min_iou
        if len(self._boxes):
            every = np.asarray(self.base.compute(boxes_1, self._boxes), np.float64) >= k
            rows = np.maximum(rows, every.sum(1, keepdims=True))
        if len(states):
            every = (np.asarray(self.base.compute(states.astype(np.float32), boxes_2),
                                np.float64) >= k)
            cols = np.maximum(cols, every.sum(0, keepdims=True))
        return rows, cols

    def _track_looks(self, boxes: np.ndarray, wanted: np.ndarray, states: np.ndarray) -> list:
        """Each ``wanted`` row's track clothes (None: not wanted, unknown or not standing)."""
        at = self._by_state(states)
        out = []
        for b, want in zip(np.asarray(boxes, np.float64).reshape(-1, 4), wanted):
            if not want:
                out.append(None)
                continue
            hit = at.get((b + 0.0).tobytes())
            if hit is None or hit.tracker_id < 0 or not self._standing(int(hit.tracker_id)):
                out.append(None)
            else:
                out.append(self._looks.get(int(hit.tracker_id)))
        return out

    def _standing(self, tid: int) -> bool:
        """Whether clothes are asked of this library track: every track, or with
        ``still_m_s`` one whose head speed is known and under it."""
        if self.config.still_m_s <= 0:
            return True
        v = self.speed(tid)
        return v is not None and v < self.config.still_m_s

    def _box_hists(self, boxes: np.ndarray, wanted: np.ndarray) -> list:
        """Each ``wanted`` column's box histogram (None: not wanted or unknown)."""
        out = []
        for b, want in zip(np.asarray(boxes, np.float32).reshape(-1, 4), wanted):
            if not want:
                out.append(None)
                continue
            at = np.flatnonzero((self._boxes == b).all(1))
            out.append(self._hists[at[0]] if len(at) else None)
        return out
