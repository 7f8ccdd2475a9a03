"""How long one near-stationary person has held a spot on the floor, whatever tracks they were
seen as (:class:`SpotDwell`).

Far off, a lingerer's track breaks every few seconds (background learning eats a still figure,
passers-by take its blob), and no lineage lives long enough for a dwell (tune seed 36, 22.5 m:
9 tracks within 3.5 m of the spot in 120 s, each 0.4-15 s old). A spot holds what the tracks
lose: a disc that slow sightings of any track keep alive. Queues and waiting areas are held
for minutes too, by one person after another; the spot tells them from one person staying by
what a turnover shows: its occupant walks out (a track that stood in the spot is seen leaving
it alone: one that a passer-by's blob took walks off with the passer-by, tune seed 36), or
several people stand in it at once.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple


class Sighting(NamedTuple):
    """One track seen this frame (the rule decides which tracks it passes)."""

    track: int
    x: float
    y: float
    slow: bool  # measured near-stationary: may hold a spot (a new track has no speed yet)
    # may hold a spot at all (a person-sized, upright, readable figure outside queues); a
    # track that may not is still watched for leaving its spot
    eligible: bool = True
    # reads as more than one person this frame: a passer-by's blob took it; the track no
    # longer stands for the spot's occupant, and where it goes says nothing of them
    merged: bool = False
    # where the track was first seen: a track born in a spot is its occupant found again,
    # one that walked in from outside is someone arriving
    origin: tuple[float, float] | None = None
    box: tuple | None = None  # the track's image box this frame (where an alert shows it)
    # reads merged and slow, in the watched zones outside queues and crowds: someone may still
    # stand in the spot it is in, who cannot be told (the spot stays alive and counts the frame
    # as sighted; it holds and claims nothing)
    keeps: bool = False


@dataclass
class Spot:
    x: float
    y: float
    since: float  # first sighting
    last_t: float  # last sighting
    # its frames of the last ``dwell_s``: (t, sighted in it, two or more tracks in it at once)
    frames: deque = field(default_factory=deque)
    tracks: set[int] = field(default_factory=set)  # every track that held it
    last_track: int = -1  # the track of its latest sighting
    last_box: tuple | None = None  # that sighting's box: where the occupant was last seen
    vacated: bool = False  # a track that held it walked off; who holds it next decides
    # last seen merged with someone (a merged sighting in it, :attr:`Sighting.keeps`): alive
    # till ``gap_s`` after this too; a holder after a longer gap since ``last_t`` decides as
    # after a vacate, a track that held it before being the occupant out of the merge
    kept_t: float = -math.inf
    held_by: set[int] = field(default_factory=set)  # every track that ever held it
    # since ``since``: when each holder first held it, and the holders seen walking off it
    first_held: dict[int, float] = field(default_factory=dict)
    walked_off: set[int] = field(default_factory=set)

    @property
    def xy(self) -> tuple[float, float]:
        return self.x, self.y


class SpotDwell:
    """Spots held by slow sightings within ``radius_m`` of their centre (which follows the
    sightings slowly), alive while a sighting comes at least every ``gap_s``. When a track that
    held a spot is seen ``leave_m`` or more from its centre, the spot is vacated, and the next
    slow sighting in it decides: a track that walked in from beyond ``walk_in_m`` (default
    ``radius_m``) of the centre is someone new (a queue's turnover: the dwell starts again), one
    born nearer is the occupant found again (far off, a passer-by's track takes a still figure's
    blob and walks off with it, and the figure comes back as a new track on the spot: tune seed
    36). A spot does not count as one
    person's while two or more tracks stood in it at once in more than ``max_shared`` of its
    sighted frames, or while it was sighted in fewer than ``min_seen`` of its frames."""

    def __init__(self, dwell_s: float = 120.0, radius_m: float = 3.0, leave_m: float = 4.5,
                 gap_s: float = 15.0, min_seen: float = 0.5, max_shared: float = 0.3,
                 follow: float = 0.05, walk_in_m: float = 0.0, merged_claims: bool = False,
                 from_present: bool = False):
        if leave_m < radius_m:
            raise ValueError(f"loitering.spot_leave_m ({leave_m}) must be at least "
                             f"spot_radius_m ({radius_m})")
        self.dwell_s, self.radius_m, self.leave_m, self.gap_s = dwell_s, radius_m, leave_m, gap_s
        self.min_seen, self.max_shared, self.follow = min_seen, max_shared, follow
        self.walk_in_m, self.merged_claims = walk_in_m or radius_m, merged_claims
        self.from_present = from_present
        self.spots: list[Spot] = []
        self.ended: list[tuple[Spot, str]] = []  # spots ended by the last update, and why

    def update(self, t: float, sightings: list[Sighting]) -> None:
        by_id = {s.track: s for s in sightings}
        kept, self.ended = [], []
        for sp in self.spots:
            sp.tracks -= {s.track for s in sightings if s.merged}
            left = [tid for tid in sp.tracks if tid in by_id and math.hypot(
                by_id[tid].x - sp.x, by_id[tid].y - sp.y) >= self.leave_m]
            if left:
                sp.vacated = True
                sp.tracks -= set(left)
                sp.walked_off |= set(left)
            if t - max(sp.last_t, sp.kept_t) > self.gap_s:
                self.ended.append((sp, "unseen"))
            else:
                kept.append(sp)
        self.spots = kept
        claimed: dict[int, list[Sighting]] = {}
        for s in sightings:
            if not (s.eligible and s.slow) or (s.merged and not self.merged_claims):
                continue  # a merged track stands for nobody in particular: it holds nothing
            best, best_d = None, self.radius_m
            for i, sp in enumerate(self.spots):
                d = math.hypot(s.x - sp.x, s.y - sp.y)
                if d <= best_d:
                    best, best_d = i, d
            if best is not None:
                claimed.setdefault(best, []).append(s)
            else:
                self.spots.append(Spot(s.x, s.y, t, t))
                claimed.setdefault(len(self.spots) - 1, []).append(s)
        for i, sp in enumerate(self.spots):
            mine = claimed.get(i, [])
            kept = not mine and any(s.keeps and math.hypot(s.x - sp.x, s.y - sp.y)
                                    <= self.radius_m for s in sightings)
            # a frame it is kept alive in counts as sighted (the occupant is there, merged)
            sp.frames.append((t, bool(mine) or kept, len({s.track for s in mine}) >= 2))
            while sp.frames[0][0] < t - self.dwell_s:
                sp.frames.popleft()
            if not mine:
                if kept:
                    sp.kept_t = t  # the occupant merged with passers-by: not gone yet
                continue
            bridged = t - sp.last_t > self.gap_s  # alive through a merge only
            if sp.vacated or bridged:
                sp.vacated = False
                if any(s.origin is not None and math.hypot(s.origin[0] - sp.x, s.origin[1] - sp.y)
                       > self.walk_in_m and not (bridged and s.track in sp.held_by)
                       for s in mine):  # someone new walked in: a turnover
                    self.ended.append((sp, "turnover"))
                    sp.since, sp.tracks = t, set()
                    sp.first_held, sp.walked_off = {}, set()
                    sp.frames = deque([sp.frames[-1]])
            sp.last_t = t
            sp.last_track, sp.last_box = mine[-1].track, mine[-1].box
            sp.held_by |= {s.track for s in mine}
            for s in mine:
                sp.first_held.setdefault(s.track, t)
                sp.tracks.add(s.track)
                sp.x += self.follow * (s.x - sp.x)
                sp.y += self.follow * (s.y - sp.y)

    def start(self, sp: Spot, t: float) -> float:
        """When ``sp``'s dwell began: its first sighting, or with ``from_present`` when the
        first of its holders not seen walking off it first held it (a holder that walked off
        was someone else, passing or queueing, before the one who stays: check seed 101, a
        passer-by stood in the loiterer's spot 27 s before she came). ``t`` when every holder
        walked off."""
        if not self.from_present:
            return sp.since
        present = [f for tid, f in sp.first_held.items() if tid not in sp.walked_off]
        return max(sp.since, min(present, default=t))

    def held(self, t: float) -> list[Spot]:
        """Spots one person has held for ``dwell_s`` (from :meth:`start`): sighted in at least
        ``min_seen`` of the frames of the last ``dwell_s``, two tracks in it at once in at most
        ``max_shared`` of those sighted."""
        out = []
        for sp in self.spots:
            if t - self.start(sp, t) < self.dwell_s:
                continue
            seen = sum(f[1] for f in sp.frames)
            if seen >= self.min_seen * len(sp.frames) and sum(
                    f[2] for f in sp.frames) <= self.max_shared * seen:
                out.append(sp)
        return out
