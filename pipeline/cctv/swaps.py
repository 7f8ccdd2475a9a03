"""End a track where the person it follows changes: a clothing-colour change point.

A tracker swaps people: two walkers of a group cross and ByteTrack hands each one's box to the
other, or a track of a faceless far-away person moves onto a passer-by. On the tune caches
(seeds 1-3, 1330-1360 s, five cameras, shipped tracker and re-linker) there are 23 lasting
swaps (a track follows one person for at least five frames, then another for as long); the
box moves at most 0.57 body heights across them, at a median 0.14 and at most 1.1 body heights
per second of the gap, i.e. at walking pace: no gate on floor speed refuses them. The person
under the box does change, and so, mostly, do the clothes. Everything downstream pays for a
swap: IDF1 counts the whole track against one person, and the track's faces (and so its
search) belong to the second person while the evaluation's truth is the first.

:class:`SwapGuard` sits after the re-linker (:mod:`pipeline.cctv.relink`) and keeps, per
track, the look (:mod:`pipeline.cctv.look`: upper and lower body, masked where a nearer box
covers it; or, ``cue="hist"``, the first guard's torso histogram) of its settled past (every
frame but the last ``window``) and of its last ``window`` frames. When the two disagree
(similarity below ``min_similarity``; for looks, that of the least alike part, and only where
every look of the window is sure to ``min_confidence``) for ``confirm`` frames in a row, after the track has been seen
``min_frames`` frames, the track ends there: its tracker id continues under a new id, whose
past is the recent window (the new person). The faces that follow go to the new track, so its
one-person search (:mod:`pipeline.cctv.aggregate`) and the old track's are each one person.
A frame without a histogram (a coasting box) neither adds nor tests.

**Rejoin.** Ending the track alone helps the searches but not IDF1 (the new id is another
hypothesis for the same person, and a swap inside a pair leaves both tracks ended). So a new
id, for up to ``rejoin_s``, is given the older id it looks like (``rejoin_similarity``,
Hungarian, one to one): an id not in this frame that was seen up to ``rejoin_s`` ago, the
swap partner's just-left id included. Two walkers whose boxes swap keep their own ids, a track
ended by an occlusion (the torso hidden by someone passing) returns to its id, and a jump
onto a person whose own track was lost continues that person's id. The re-linker's and the
guard's links are on probation against the faces (:mod:`pipeline.cctv.aggregate`).

**Heal** (``heal_s``; 0 or None: off). A cut can be wrong: a neighbour standing in front for a
moment (its box, not the track's person, fills the recent window) reads as a change, the track
is cut, and when the neighbour has gone the new id shows the old person again, the same clothes,
often for minutes. For up to ``heal_s`` after a cut, a new id whose last ``heal_frames`` looks
(taken after the cut, so not the contest that cut it) read at least ``heal_similarity``
(default ``rejoin_similarity``) against the last ``heal_frames`` settled looks of the id it was
cut from, as they were at the cut (the person it followed just before the contest: a settled
past can hold an earlier person too), is given that id back from that frame on, where the old
id is not in the frame (no other track continued it).
A segment cut again while it could still heal (the neighbour's look settled in it, and the
person's return read as a change) may heal back past it, to the id before.
The rows already reported under the new id keep it; only what follows is re-labelled.

Online: each decision uses that frame and the past only; the frames of the recent window keep
the old id (they were reported already).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from functools import reduce
from operator import add
from typing import NamedTuple

import numpy as np

from pipeline.cctv.appearance import similarity
from pipeline.cctv.look import Look, LookConfig, compare, looks, part_similarities
from pipeline.cctv.persons import PersonTrack

__all__ = ["HIST_GUARD", "SWAP_ID_BASE", "Change", "SwapConfig", "SwapGuard"]

# ids of tracks started at a swap, above any tracker's or re-linker's (and below the stream's
# identity-split ids, pipeline.cctv.stream.SPLIT_ID_BASE)
SWAP_ID_BASE = 500_000
FORGET_S = 60.0  # an id unseen this long is forgotten
# the first guard's settings, on torso histograms (OpenCV's 1 - Bhattacharyya distance; tuned
# on the tune caches, seeds 1-3): what a replay without body crops runs
HIST_GUARD = {"cue": "hist", "min_similarity": 0.35, "rejoin_similarity": 0.65}


@dataclass(frozen=True)
class SwapConfig:
    # chosen on the tune caches (seeds 1-3, 1330-1360 s, 5 fps, five cameras;
    # ``python -m experiments.cctv_swap_tune ... --crops ...``; docs/cctv.md "Looks"). The
    # similarities are on the scale of the cue: looks, the Bhattacharyya coefficient of the
    # least alike part (pipeline.cctv.look.compare); the first guard's torso histograms were
    # tuned at min_similarity 0.35, rejoin_similarity 0.65 on OpenCV's 1 - Bhattacharyya
    # distance
    window: int = 3  # recent frames compared with the settled past
    min_similarity: float = 0.55  # similarity below this: another person
    confirm: int = 2  # frames in a row below it before the track is ended
    min_frames: int = 5  # settled frames a track needs before it can be ended
    # the person a track changed to is continued under an id not in this frame (a track that
    # was lost, or the id a swap partner just left) whose settled past looks like it at least
    # this much; None: always a new id
    rejoin_similarity: float | None = 0.8
    rejoin_s: float = 4.0  # ids unseen up to this long can be continued (RelinkConfig.window_s)
    # looks (pipeline.cctv.look): a window holding a look less sure than this (a part seen
    # small or half hidden), or a comparison less sure, neither ends a track nor rejoins one;
    # histograms count as sure
    min_confidence: float = 0.5
    # the cue compared: "look" (pipeline.cctv.look: upper and lower body, only where seen) or
    # "hist" (the torso histogram of pipeline.cctv.appearance, the first guard's cue)
    cue: str = "look"
    look: LookConfig = field(default_factory=LookConfig)
    # heal (module docstring): for up to heal_s after a cut, a new id whose last heal_frames
    # looks read at least heal_similarity (None: rejoin_similarity) against the old id's last
    # heal_frames settled looks at the cut continues that id; None: off. Chosen on tune seed
    # 1's five minutes at reclaim_exit (python -m experiments.cctv_relink_tune heals ...
    # --grid "s_heal_s=0,30", histogram cue): IDF1 0.834 -> 0.848, 4 heals, all right; seed
    # 2's five minutes (check) 0.8173 -> 0.8176 (3 heals, right); the peak minutes unchanged
    heal_s: float | None = 30.0
    heal_frames: int = 5
    heal_similarity: float | None = None

    def __post_init__(self):
        if self.window < 1 or self.confirm < 1 or self.min_frames < 1:
            raise ValueError(f"SwapConfig: window, confirm and min_frames must be >= 1, got "
                             f"window={self.window}, confirm={self.confirm}, "
                             f"min_frames={self.min_frames}")
        for name in ("min_similarity", "rejoin_similarity", "min_confidence",
                     "heal_similarity"):
            v = getattr(self, name)
            if v is not None and not 0 <= v <= 1:
                raise ValueError(f"SwapConfig.{name} must be in [0, 1], got {v}")
        if self.cue not in ("look", "hist"):
            raise ValueError(f"SwapConfig.cue must be 'look' or 'hist', got {self.cue!r}")
        if not self.rejoin_s >= 0:
            raise ValueError(f"SwapConfig.rejoin_s must be >= 0, got {self.rejoin_s}")
        if self.heal_s is not None and not self.heal_s >= 0:
            raise ValueError(f"SwapConfig.heal_s must be >= 0 or None, got {self.heal_s}")
        if self.heal_frames < 1:
            raise ValueError(f"SwapConfig.heal_frames must be >= 1, got {self.heal_frames}")

    @property
    def heal_threshold(self) -> float | None:
        """The similarity a heal needs (``heal_similarity``, else ``rejoin_similarity``; None:
        neither, no heal)."""
        return self.rejoin_similarity if self.heal_similarity is None else self.heal_similarity


class Change(NamedTuple):
    """A change point: at ``t`` the track under ``ended`` (its box ``box``) was ended, its
    settled past and recent window alike to ``similarity``; ``parts``: per part (upper, lower)
    that similarity, NaN where not both show it (histograms: one value)."""
    t: float
    ended: int
    box: tuple
    similarity: float
    parts: tuple


@dataclass
class _Look:
    settled: np.ndarray | None = None  # summed histogram of the settled past
    frames: int = 0  # frames in the settled past
    recent: deque = field(default_factory=deque)  # the last `window` histograms
    below: int = 0  # frames in a row below min_similarity
    last_t: float = float("-inf")
    pending_until: float = float("-inf")  # a new id that may still continue an older one
    evidence: tuple = (float("nan"), ())  # the last failed test's (similarity, per part)
    # a segment started at a cut: (the id it was cut from, that id's last heal_frames settled
    # looks then), then (where that id was itself a segment still healing) the ones that id
    # was cut from, nearest first
    origins: tuple = ()
    heal_until: float = float("-inf")  # ... and until when it may heal back to one of them
    since: deque = field(default_factory=deque)  # its last heal_frames looks after the cut
    tail: deque = field(default_factory=deque)  # the last heal_frames looks that settled

    def everything(self):
        parts = ([] if self.settled is None else [self.settled]) + list(self.recent)
        return reduce(add, parts) if parts else None


def _compare(a, b, combine: str) -> tuple[float, float]:
    """(similarity, confidence) of two cues: looks (:func:`pipeline.cctv.look.compare`), or
    histograms (Bhattacharyya similarity, always sure)."""
    if isinstance(a, Look) or isinstance(b, Look):
        return compare(a, b, combine)
    return similarity(a, b), 1.0


def _parts(a, b) -> tuple:
    """Per part similarity of two cues (NaN where not both show it); one value for histograms."""
    if isinstance(a, Look):
        bc, w = part_similarities(a, b)
        return tuple(float(x) if y > 0 else float("nan") for x, y in zip(bc, w))
    return (similarity(a, b),)


def _sure(cue) -> float:
    return cue.confidence if isinstance(cue, Look) else 1.0


def _empty(h) -> bool:
    if h is None:
        return True
    if isinstance(h, Look):
        return not h.confidence > 0
    return not float(h.sum()) > 0


class SwapGuard:
    def __init__(self, config: SwapConfig = SwapConfig()):
        self.config = config
        self.reset()

    def reset(self) -> None:
        self._looks: dict[int, _Look] = {}  # output id -> its appearance
        self._segment: dict[int, int] = {}  # input id -> the id of its current segment
        self._next = SWAP_ID_BASE
        self.swaps = 0  # change points
        self.changes_now: list[Change] = []  # this frame's change points
        self.linked_now: list[int] = []  # older ids continued this frame
        self.heals = 0  # cuts undone (heal_s)
        self.healed_now: list[tuple[int, int]] = []  # this frame's heals: (new id, old id)

    def update(self, t: float, tracks: list[PersonTrack],
               hists: list[Look | np.ndarray | None]) -> list[PersonTrack]:
        """This frame's tracks, each under the id of its current segment; ``hists`` the look
        (:mod:`pipeline.cctv.look`) or the clothing histogram of each track's detected box
        (None where there is none)."""
        self.linked_now, self.changes_now, self.healed_now = [], [], []
        ids = [self._segment.get(tr.track_id, tr.track_id) for tr in tracks]
        changed = []  # (track index, the id it leaves)
        for k, (oid, h) in enumerate(zip(ids, hists)):
            look = self._looks.get(oid)
            if look is None:
                look = self._looks[oid] = _Look()
            look.last_t = t
            if _empty(h):
                continue
            if isinstance(h, np.ndarray):
                h = h.astype(np.float64)
            if t <= look.heal_until:
                look.since.append(h)
                if len(look.since) > self.config.heal_frames:
                    look.since.popleft()
            if self._changed(look, h):
                changed.append((k, oid))
                look.recent.append(h)  # moves to the new segment
            else:
                self._add(look, h)
        for k, old in changed:
            ids[k] = self._start(tracks[k].track_id, old, t)
            self.changes_now.append(Change(t, old, tuple(tracks[k].box),
                                           *self._looks[old].evidence))
        self._rejoin(t, tracks, ids)
        self._heal(t, tracks, ids)
        gone = {i for i, lk in self._looks.items() if t - lk.last_t > FORGET_S}
        for i in gone:  # long gone (no tracker or re-linker keeps a track that long)
            del self._looks[i]
        if gone:  # an input id keeps its segment while the segment lives: the id it was cut
            # from is forgotten FORGET_S after the cut, and the input must not return to it
            self._segment = {k: v for k, v in self._segment.items() if v not in gone}
        return [tr if oid == tr.track_id else replace(tr, track_id=oid)
                for tr, oid in zip(tracks, ids)]

    def cues(self, image: np.ndarray, boxes, tracks: list[PersonTrack], hists: list) -> list:
        """What :meth:`update` compares for each track: its detected box's look in ``image``
        among the frame's person ``boxes`` (``cue`` "look"), or its clothing histogram from
        ``hists`` ("hist"); None for a coasting box."""
        if self.config.cue == "hist":
            return hists
        taken = [tr.detection for tr in tracks if tr.detection >= 0]
        if not taken:
            return [None] * len(tracks)
        by_box = dict(zip(taken, looks(image, boxes, self.config.look, only=taken)))
        return [by_box.get(tr.detection) for tr in tracks]

    def segment_of(self, input_id: int) -> int:
        """The id input id ``input_id`` is reported under now."""
        return self._segment.get(input_id, input_id)

    def _changed(self, look: _Look, h: np.ndarray) -> bool:
        cfg = self.config
        if look.frames < cfg.min_frames or len(look.recent) < cfg.window - 1:
            return False
        window = [h] + list(look.recent)[len(look.recent) - cfg.window + 1:]
        if min(_sure(x) for x in window) < cfg.min_confidence:
            return False  # a weak look in the window: neither a change nor evidence against one
        recent = reduce(add, window)
        sim, sure = _compare(look.settled, recent, cfg.look.combine)
        if not sure > 0:
            return False  # a weak look: neither a change nor evidence against one
        if sim < cfg.min_similarity:
            look.below += 1
            # a change point can only end on such a frame: its parts, kept for the record
            look.evidence = (sim, _parts(look.settled, recent))
        else:
            look.below = 0
        return look.below >= cfg.confirm

    def _add(self, look: _Look, h: np.ndarray) -> None:
        look.recent.append(h)
        if len(look.recent) > self.config.window:
            old = look.recent.popleft()
            look.settled = old if look.settled is None else look.settled + old
            look.frames += 1
            if self.config.heal_s:
                look.tail.append(old)
                if len(look.tail) > self.config.heal_frames:
                    look.tail.popleft()

    def _start(self, key: int, origin: int, t: float) -> int:
        """Continue input id ``key`` under a new id whose settled past is the last ``window``
        frames of id ``origin`` (they already showed the new person); the new id."""
        new, self._next = self._next, self._next + 1
        self._segment[key] = new
        old = self._looks[origin]
        heal = t + self.config.heal_s if self.config.heal_s else float("-inf")
        ref = reduce(add, old.tail) if old.tail else old.settled
        origins = ((origin, ref),) + (old.origins if t <= old.heal_until else ())
        look = self._looks[new] = _Look(last_t=t, pending_until=t + self.config.rejoin_s,
                                        origins=origins, heal_until=heal)
        for h in list(old.recent)[-self.config.window:]:
            look.settled = h if look.settled is None else look.settled + h
            look.frames += 1
        old.recent.clear()
        old.below = 0
        self.swaps += 1
        return new

    def _rejoin(self, t: float, tracks, ids: list[int]) -> None:
        """Give each young new id (a change point up to ``rejoin_s`` ago) in this frame the
        older id it looks like: one not in this frame, seen up to ``rejoin_s`` ago (a lost
        track, or the id a swap partner left), at least ``rejoin_similarity`` alike (the best
        one to one, Hungarian)."""
        from scipy.optimize import linear_sum_assignment

        cfg = self.config
        if cfg.rejoin_similarity is None:
            return
        young = [k for k, oid in enumerate(ids)
                 if oid in self._looks and t <= self._looks[oid].pending_until]
        if not young:
            return
        here = set(ids)
        free = [i for i, lk in self._looks.items()
                if i not in here and t - lk.last_t <= cfg.rejoin_s and lk.settled is not None
                and lk.pending_until < t]
        if not free:
            return
        sim = np.zeros((len(young), len(free)))
        for a, k in enumerate(young):
            mine = self._looks[ids[k]].everything()
            for b, i in enumerate(free):
                s, sure = _compare(self._looks[i].settled, mine, cfg.look.combine)
                sim[a, b] = s if sure >= cfg.min_confidence and sure > 0 else 0.0
        rows, cols = linear_sum_assignment(-np.where(sim >= cfg.rejoin_similarity, sim, -1.0))
        for a, b in zip(rows, cols):
            if sim[a, b] < cfg.rejoin_similarity:
                continue
            k, into = young[a], free[b]
            self._continue(t, tracks[k].track_id, ids[k], into)
            ids[k] = into

    def _continue(self, t: float, key: int, fresh_id: int, into: int) -> None:
        """Input id ``key``, reported under ``fresh_id`` (a segment started at a cut), continues
        the older id ``into`` from this frame: ``fresh_id``'s looks join ``into``'s past."""
        fresh = self._looks.pop(fresh_id)
        target = self._looks[into]
        target.settled = target.settled + fresh.everything()
        target.frames += fresh.frames + len(fresh.recent)
        target.recent.clear()
        target.below, target.last_t = 0, t
        self._segment[key] = into
        self.linked_now.append(into)
        if into not in self._segment:  # the input id `into` coming back (a re-link) is
            self._segment[into], self._next = self._next, self._next + 1  # someone else

    def _heal(self, t: float, tracks, ids: list[int]) -> None:
        """Undo a cut whose new segment settled back to the look of the id it was cut from
        (module docstring, **Heal**): that id, not in this frame, continues from here."""
        cfg = self.config
        if not cfg.heal_s or cfg.heal_threshold is None:
            return
        here = set(ids)
        for k, oid in enumerate(ids):
            look = self._looks.get(oid)
            if (look is None or not look.origins or t > look.heal_until
                    or len(look.since) < cfg.heal_frames
                    or min(_sure(x) for x in look.since) < cfg.min_confidence):
                continue
            now = reduce(add, look.since)
            for into, ref in look.origins:
                if into in here or into not in self._looks or ref is None:
                    continue
                sim, sure = _compare(ref, now, cfg.look.combine)
                if sure >= cfg.min_confidence and sure > 0 and sim >= cfg.heal_threshold:
                    self._continue(t, tracks[k].track_id, oid, into)
                    here.add(into)
                    ids[k] = into
                    self.heals += 1
                    self.healed_now.append((oid, into))
                    break

