"""Tailgating at e-gates: two people through one gate within one gate cycle without the stop
a transaction takes."""

from __future__ import annotations

import math
from collections import deque
from typing import NamedTuple

import numpy as np

from pipeline.danger import config as C
from pipeline.danger.geometry import Gate
from pipeline.danger.observe import GROUP, PERSON, BodyModel
from pipeline.danger.scene import Alert, Scene, int_box


HEAD_M = 0.25  # a head, hair top to chin (pipeline.vision.heads)
# walk-ups were counted up to this far before the line until round 11 (``walkup_from_m``)
NEAR_WALKUP_M = 2.5


class WalkUp(NamedTuple):
    """Someone seen walking straight up a gate's lane."""

    t: float
    track_id: int
    persons: float  # how many people the blob looked like on the way
    two_heads: bool = False  # the head vote: two heads in the blob on the way
    along: float = 0.0  # where, metres along the gate's through direction (< 0: before it)
    root: int = -1  # the walker's lineage


class LaneRun(NamedTuple):
    """A track's run straight up one gate's lane, so far."""

    gate: int
    t: float  # when it began
    along: float  # where it began, metres along the gate's through direction
    lateral: float  # and across the lane
    persons: list[float]  # how many people the blob looked like, frame by frame
    heads: list[int]  # heads inside the blob, in the frames given to the head vote


class Passage(NamedTuple):
    """Someone who came out past a gate without the stop a transaction takes."""

    t: float
    track_id: int
    persons: int
    box: tuple
    root: int  # the track's lineage


class TailgatingRule:
    """Two people through one e-gate within one gate cycle without the stop a transaction
    takes.

    A passage is a track going from the gate line (or before it) to ``pass_depth_m`` beyond it
    within ``max_transit_s`` inside one gate's lane, or a track that first shows up just past the
    gate (the cabinets hide people in the lane, so tracks often break there). It is unverified
    when someone was seen walking straight up that gate's lane moments before (``walkup_m`` of
    steady approach inside the lane) and did not stop: a verified traveler stands in the gate for
    the transaction, travelers reach their gate from the queue head on a slant across the lanes,
    and the next one walks up only as the gate frees. People are counted from the walk-up: a
    blob of ``pair_persons`` walking up counts as two, in bodies as one reads at that spot
    (:func:`one_body_reads`: far figures read high, their blur margin a large share of them).
    Two unverified people within ``cycle_s`` are tailgating."""

    kind = "tailgating"

    def __init__(self, p: C.Tailgating = C.Tailgating(), body: BodyModel = BodyModel()):
        self.p = p
        self._width_share = body.person_width_m / body.person_height_m  # the site's body
        self._head_m = body.person_height_m - HEAD_M / 2  # a head's centre above the floor
        self._before: dict[tuple[int, int], float] = {}  # (root, gate) → last time at or before it
        self._passed: dict[int, float] = {}  # root → last passage
        self._walkups: dict[int, deque[WalkUp]] = {}  # gate → recent walk-ups
        self._runs: dict[int, LaneRun] = {}  # track id → its current run up one lane
        self._last_speed: dict[int, float] = {}  # track id → speed when last seen in a lane
        self._lane: dict[int, int] = {}  # track id → the lane it is held in (``_lane_of``)
        # gate → {lineage: last time seen in its lane up to its line, from 1 m before it}
        self._at_line: dict[int, dict[int, float]] = {}
        self._passages: dict[int, deque[Passage]] = {}  # gate → recent passages
        self._last_alert: dict[int, float] = {}
        # track → (gate, until, the pair walk-up's bodies): may be a pair
        self._pending: dict[int, tuple[int, float, float]] = {}
        # (root, gate) → (since, last): standing at or before the gate line, without a break
        self._stood: dict[tuple[int, int], tuple[float, float]] = {}
        # gate → {two lineages: last time both were seen in its lane, ``distinct_m`` apart}
        self._together: dict[int, dict[frozenset[int], float]] = {}
        # two tracks of one lineage → last time both were seen in one lane, ``distinct_m`` apart
        self._split: dict[frozenset[int], float] = {}
        # (gate, a pair walk-up's lineage) → (the walk-up, when the lineage was last at the
        # line, who was seen past it since, that one's track): a pair lost at the gate
        self._lost: dict[tuple[int, int], tuple[WalkUp, float, Passage, object]] = {}

    def update(self, sc: Scene) -> list[Alert]:
        gates = sc.geometry.gates
        out = []
        if not gates:
            return out
        in_lane: dict[int, set[int]] = {}
        seen = []
        walking = set()  # tracks in a lane, up to ``walkup_from_m`` before the line
        approach = max(3.0, self.p.walkup_from_m)
        for tr in sc.tracks:
            if not tr.seen or not sc.readable(tr):
                continue
            gi, along, lateral, inside = self._lane_of(sc, tr)
            if sc.judged_gates is not None and gi not in sc.judged_gates:
                continue
            far = self.p.pair_first_seen_m + 1.0  # (a pair's rear one is confirmed there)
            if not inside or not -approach < along < far:
                continue
            walking.add(tr.id)
            self._walk_up(sc, tr, gi, along, lateral)
            if along <= -3:  # still walking up: only its run counts
                continue
            seen.append((tr, gi, along))
            if -1.0 <= along <= 0.3 and self.p.walled_clear_lane:
                at = self._at_line.setdefault(gi, {})
                at[tr.root] = sc.t
                if len(at) > 200:
                    self._at_line[gi] = {k: v for k, v in at.items() if v > sc.t - 30.0}
            if along <= 0.3:
                in_lane.setdefault(gi, set()).add(tr.id)
        self._note_together(seen, sc.t)
        in_lanes = walking  # a run that leaves the lanes is over ...
        if self.p.run_through_gaps:  # ... not one whose track missed this frame (tune seed
            # 37 at 344-346 s: a pair's blob taken by two tracks in turn, each seen every
            # other frame, never ran 1 s up the lane)
            in_lanes |= {tr.id for tr in sc.tracks if not tr.seen}
        self._runs = {k: v for k, v in self._runs.items() if k in in_lanes}
        if len(self._last_speed) > 2000:
            live = {tr.id for tr in sc.tracks}
            self._last_speed = {k: v for k, v in self._last_speed.items() if k in live}
            self._lane = {k: v for k, v in self._lane.items() if k in live}
        for tr, gi, along in seen:
            gate = gates[gi]
            key = (tr.root, gi)
            if along <= 0.3:
                self._before[key] = sc.t
                continue
            if tr.kind not in (PERSON, GROUP) or along < self.p.pass_depth_m:
                continue
            came_through = sc.t - self._before.get(key, -math.inf) <= self.p.max_transit_s
            if not came_through:  # first seen just past the gate, walking out of it
                # up to ``pair_first_seen_m`` past it after a pair walked up: the rear one of
                # a pair comes out from behind the front one there (tune seed 11 at 409.0 s:
                # 2.65 m past the gate, while the pair's track read one body)
                reach = self.p.pair_first_seen_m if self._pair_walked_up(gi, sc.t) else 1.5
                came_through = (sc.t - tr.born_t <= self.p.max_transit_s
                                and self._first_seen_past(tr, gate, reach))
            if not came_through or (sc.t - self._passed.get(tr.root, -math.inf) < 10.0
                                    and not self._second_of_lineage(gi, tr, sc.t)):
                continue
            if self._stopped(key, sc.t):  # seen standing in the gate for the transaction:
                self._passed[tr.root] = sc.t  # verified itself, and judged once
                continue
            v = tr.speed(1.0, sc.t)
            if v is None and self.p.measured_passage:
                continue  # not judged yet: a track that jumped onto this blob has no speed
            if v is not None and v > self.p.max_walk_mps:  # a merge or a split, not a walker
                continue
            self._passed[tr.root] = sc.t
            # Walk-ups into this gate moments ago, by someone not still standing before it and
            # still walking when last seen (a traveler hidden by the cabinets while standing
            # for the transaction had stopped).
            walkups = [w for w in self._walkups.get(gi, ()) if
                       self._recent(w, sc.t) and w.t <= sc.t - 0.4
                       and w.track_id not in in_lane.get(gi, ())
                       and self._last_speed.get(w.track_id, 0.0) >= self.p.min_walkup_mps]
            if not walkups:
                continue  # came out after a stop (or unseen): a verified traveler
            # Two people walk up as one blob, and pass as one: both sides of the gate must agree
            # (a traveler leaving a neighbouring gate merges with the passer on one side only);
            # past the gate the cabinets hide part of the pair, so it reads smaller there.
            # A pair that came out of the cabinets' shadow as a fresh blob grows back over
            # the next second: it may still count as two until then (``_pending``).
            pair_up = (any(_pair(w, self.p) for w in walkups)
                       and not self._someone_standing(sc, gate, tr))
            up = max((w.persons for w in walkups if _pair(w, self.p)), default=0.0)
            n = 2 if pair_up and self._exits_as_two(tr, gate, sc.t, up) else 1
            q = self._passages.setdefault(gi, deque())
            if not pair_up and self._seen_again(gi, tr, sc.t):
                # not judged yet: the frame that shows the two apart may be the next one
                self._passed.pop(tr.root, None)
                continue
            q.append(Passage(sc.t, tr.id, n, tr.box, tr.root))
            if pair_up and n == 1:
                self._pending[tr.id] = (gi, sc.t + self.p.pair_settle_s, up)
            out += self._judge_gate(sc, gi, tr)
        if self.p.lost_pair_s:
            out += self._lost_pairs(sc, seen, in_lane)
        for tid, (gi, until, up) in list(self._pending.items()):
            tr = next((x for x in sc.tracks if x.id == tid), None)
            gate = sc.geometry.gates[gi]
            if tr is None or sc.t > until or self._someone_standing(sc, gate, tr):
                self._pending.pop(tid)
                continue
            if not tr.seen:  # missed a frame (tune seed 18 at 351.0 s: a second track took
                continue  # the pair's blob for one frame): still pending until it settles
            if self._exits_as_two(tr, gate, sc.t, up):
                self._pending.pop(tid)
                q = self._passages.get(gi, deque())
                for k, e in enumerate(q):
                    if e.track_id == tid:
                        q[k] = e._replace(persons=2)
                out += self._judge_gate(sc, gi, tr)
        if len(self._before) > 5000:  # forget tracks long gone
            cut = sc.t - 60.0
            self._before = {k: v for k, v in self._before.items() if v > cut}
            self._passed = {k: v for k, v in self._passed.items() if v > cut}
            self._stood = {k: v for k, v in self._stood.items() if v[1] > cut}
        return out

    def _lane_of(self, sc: Scene, tr) -> tuple[int, float, float, bool]:
        """The gate whose lane ``tr`` is nearest or held in, its place there (along,
        lateral), and whether it is in that lane (within its margin). The nearest lane, unless
        the lane the track was last in still holds it: its foot point within the lane widened
        by ``lane_hold_sigmas`` standard deviations of the foot point's error across that lane
        (:func:`across_sigma`; not by ``lane_margin_m``: tune seed 9 at 649.0 s, a track born
        past gate 2 at 200 px, 0.76 m beside it and nearer gate 1, was held there). A far
        track whose foot point reads beside its lane along the line of sight keeps its lane
        instead of flipping between two frame by frame (its run up the lane restarting at each
        flip)."""
        gates = sc.geometry.gates
        gi, along, lateral = _nearest_gate(gates, tr.xy)
        inside = abs(lateral) <= gates[gi].half_width_m + self.p.lane_margin_m
        if not self.p.lane_hold_sigmas:
            return gi, along, lateral, inside
        held = self._lane.get(tr.id)
        if held is not None and held != gi and held < len(gates):
            gate = gates[held]
            a, lat = _gate_coords(gate, tr.xy)
            cam = None if sc.floor is None else sc.floor.camera_floor_position()
            sigma = across_sigma(tr.xy, tr.samples[-1].sigma_m, gate, cam)
            spread = self.p.lane_hold_sigmas * sigma
            if a <= self.p.lane_drift_until_m and self._drifted_out(tr, gate, lat, sigma, sc.t):
                self._lane.pop(tr.id, None)  # a lane change: the nearest lane from here on
                return self._nearest_lane(tr, gi, along, lateral, inside)
            if abs(lat) <= gate.half_width_m + spread:
                return held, a, lat, True
            # The cabinets wall the lanes: whoever came up to a gate's line moments ago goes
            # through that gate, its foot point read up to the next lane's middle (and its
            # error) off (batch seed 305 at 538.6 s: a far pair half hidden there, 1.2-1.5 m
            # beside gate 5's lane)
            walled = (0.3 < a <= self.p.pair_first_seen_m + 1.0
                      and sc.t - self._before.get((tr.root, held), -math.inf)
                      <= self.p.max_transit_s)
            # (not half a lane and 2 sigmas: batch seed 303 at 421.0 s, a pair walled through
            # gate 5 read 1.3-1.6 m beside it, 0.24 m error)
            if (walled and abs(lat) <= 2 * gate.half_width_m + spread
                    and not self._neighbour_passing(gi, tr, sc.t)):
                return held, a, lat, True
        return self._nearest_lane(tr, gi, along, lateral, inside)

    def _nearest_lane(self, tr, gi: int, along: float, lateral: float, inside: bool
                      ) -> tuple[int, float, float, bool]:
        """The nearest lane's answer for ``_lane_of``; a track inside it is held there."""
        if inside:
            self._lane[tr.id] = gi
        return gi, along, lateral, inside

    def _drifted_out(self, tr, gate: Gate, lat: float, sigma: float, t: float) -> bool:
        """Evidence of a lane change: over the last ``lane_drift_s`` the track's foot point
        drifted steadily across ``gate``'s lane, away from its centre, by more than half the
        lane and more than the foot point's error across it (``sigma``). A least-squares line
        through the samples: jitter about the lane cancels in it, a slant does not (tune seed
        26 at 846.8 s: a merged blob slanting from gate 4's lane to gate 5's, 0.62 m in the
        last second, 0.45 m error; round-13 batch seed 305 at 459-464 s: a pair jittering
        0.3-0.65 m beside gate 5's centre, 0.41 m error, no drift; at 391.6 s a pair at gate
        4's line read 0.5 m farther out after 0.6 s unseen: a jump, not a drift; batch seed 303
        at 420.2 s a blob of three read 0.6 m farther out in one frame: over 1 s a drift, over
        1.5 s not). Asked up to the gate line only: past it the cabinets wall the lanes, and a
        reading that jumps a lane there is a half-hidden body's foot point (305 at 538.6 s)."""
        w = self.p.lane_drift_s
        if not w:
            return False
        qs = tr.recent(w, t)
        ts = np.array([q.t for q in qs])
        if len(qs) < 3 or ts[-1] - ts[0] < w / 2 or np.diff(ts).max() > w / 4:
            return False  # seen frame after frame: a jump after a gap is no steady drift
        lats = np.array([_gate_coords(gate, (q.x, q.y))[1] for q in qs])
        drift = float(np.polyfit(ts - ts[0], lats, 1)[0]) * (ts[-1] - ts[0])
        return abs(drift) > max(sigma, gate.half_width_m) and drift * lat > 0

    def _neighbour_passing(self, gi: int, tr, t: float) -> bool:
        """Someone else (another lineage) came up to gate ``gi``'s line (within 1 m of it)
        moments ago: a reading past it in that lane is explained by them (or a merge with
        them), not by a foot point misread from the next lane (tune seed 61 at 742.6 s: two
        travelers, one through gate 1 read at its centre, merged with the other from gate 2).
        A scrap born past the line is no one coming through (batch seed 305 at 391.8 s)."""
        if not self.p.walled_clear_lane:
            return False
        return any(root != tr.root and t - seen <= self.p.max_transit_s
                   for root, seen in self._at_line.get(gi, {}).items())

    def _first_seen_past(self, tr, gate: Gate, reach: float) -> bool:
        """``tr`` was first seen in ``gate``'s lane between its line and ``reach`` past it:
        its first sample, or any sample in its first ``first_seen_s`` (someone coming out
        from behind the cabinets is first seen in part, its foot point off along the line of
        sight, and settles into the lane as it comes out whole)."""
        for k, q in enumerate(tr.samples):
            if k and q.t > tr.born_t + self.p.first_seen_s:
                return False
            along, lateral = _gate_coords(gate, (q.x, q.y))
            if 0.0 <= along <= reach and abs(lateral) <= gate.half_width_m:
                return True
        return False

    def _note_together(self, seen, t: float) -> None:
        """Record which lineages were seen in one gate's lane at once, as bodies apart."""
        if not self.p.distinct_m:
            return  # the guard is off: nothing reads these
        by_gate: dict[int, list] = {}
        for tr, gi, _ in seen:
            if tr.kind in (PERSON, GROUP):
                by_gate.setdefault(gi, []).append(tr)
        for gi, trs in by_gate.items():
            pairs = self._together.setdefault(gi, {})
            for i, a in enumerate(trs):
                for b in trs[i + 1:]:
                    if math.dist(a.xy, b.xy) < self.p.distinct_m:
                        continue
                    if a.root != b.root:
                        pairs[frozenset((a.root, b.root))] = t
                    elif self.p.split_lineage:
                        self._split[frozenset((a.id, b.id))] = t
            if len(pairs) > 200:
                cut = t - 30.0
                self._together[gi] = {k: v for k, v in pairs.items() if v > cut}
        if len(self._split) > 200:
            self._split = {k: v for k, v in self._split.items() if v > t - 30.0}

    def _lost_pairs(self, sc: Scene, seen, in_lane: dict[int, set[int]]) -> list[Alert]:
        """Pairs lost at the gate (``lost_pair_s``): a walk-up reading two whose lineage was
        last seen at or before the gate line, still walking, and whose passage was never
        judged, counts as two through the gate when someone is seen in that lane between
        ``pass_depth_m`` and ``lost_pair_reach_m`` past the line within ``lost_pair_s`` after
        it was last there: its own track found again, or a fresh lineage born since (not a
        track split off someone else's: tune seed 49 at 421.0 s). Judged
        ``lost_pair_s`` after the pair was last at the line, when no passage was judged at
        that gate since the walk-up (the passage tests had their chance)."""
        for tr, gi, along in seen:
            if (tr.kind not in (PERSON, GROUP)
                    or not self.p.pass_depth_m <= along <= self.p.lost_pair_reach_m):
                continue
            for w in self._walkups.get(gi, ()):
                last = self._before.get((w.root, gi), -math.inf)
                if ((gi, w.root) in self._lost or not _pair(w, self.p)
                        or not 0.0 < sc.t - last <= self.p.lost_pair_s
                        or not (tr.root == w.root or (tr.root == tr.id and tr.born_t >= last))
                        or not self._last_at_line(sc, w, gi, last)
                        or w.track_id in in_lane.get(gi, ())
                        or self._last_speed.get(w.track_id, 0.0) < self.p.min_walkup_mps
                        or self._someone_standing(sc, sc.geometry.gates[gi], tr)):
                    continue
                self._lost[(gi, w.root)] = (w, last, Passage(sc.t, tr.id, 2, tr.box, tr.root),
                                            tr)
        out = []
        for (gi, root), (w, last, e, tr) in list(self._lost.items()):
            if sc.t - last < self.p.lost_pair_s:
                continue
            del self._lost[(gi, root)]
            q = self._passages.setdefault(gi, deque())
            if (self._before.get((root, gi), -math.inf) > last or self._stopped((root, gi), sc.t)
                    or self._passed.get(root, -math.inf) >= w.t or any(p.t >= w.t for p in q)):
                continue  # back before the line, verified, or judged after all
            self._passed[root] = self._passed[e.root] = sc.t
            q.append(e._replace(t=sc.t))
            out += self._judge_gate(sc, gi, tr)
        return out

    def _last_at_line(self, sc: Scene, w: WalkUp, gi: int, last: float) -> bool:
        """The walk-up's track, when last seen at or before gate ``gi``'s line (``last``), was
        within ``lost_pair_near_m`` of it: lost at the line, not before it (tune seed 61 at
        842.4 s: a pair last seen 1.6 m before gate 2, and someone else born past it)."""
        src = next((x for x in sc.tracks if x.id == w.track_id), None)
        q = None if src is None else next((q for q in reversed(src.samples)
                                           if abs(q.t - last) < 1e-6), None)
        return (q is not None and _gate_coords(sc.geometry.gates[gi], (q.x, q.y))[0]
                >= -self.p.lost_pair_near_m)

    def _second_of_lineage(self, gi: int, tr, t: float) -> bool:
        """``tr`` is a second person of a lineage that already passed gate ``gi`` this cycle:
        its track and the first passer's were seen in the lane at once, ``distinct_m`` apart
        (tune seed 39 at 386.6 s: the pair's blob split past the gate, the rear one a new
        track continuing the front one's lineage, 0.5-0.8 m behind it; once per lineage, the
        rear one's passage was dropped). A track that broke and a coasting one are never seen
        at once."""
        if not self.p.split_lineage:
            return False
        q = self._passages.get(gi, ())
        if any(e.track_id == tr.id for e in q):
            return False
        recent = t - self.p.cycle_s - self.p.max_transit_s
        return any(e.root == tr.root and t - e.t <= self.p.cycle_s
                   and self._split.get(frozenset((e.track_id, tr.id)), -math.inf) >= recent
                   for e in q)

    def _seen_again(self, gi: int, tr, t: float) -> bool:
        """``tr``'s passage is an earlier passer's, seen again: one walker whose track broke
        at the gate (or whose blob two tracks took in turn) is one person, not two. A second
        passer within the cycle must have been seen as a body apart from the first, in that
        gate's lane at the same moment, shortly before; a real pair walks up together."""
        if self.p.distinct_m <= 0:
            return False
        recent = t - self.p.cycle_s - self.p.max_transit_s - 1.0
        together = self._together.get(gi, {})
        for e in self._passages.get(gi, ()):
            if e.t < t - self.p.cycle_s or e.root == tr.root or e.persons != 1:
                continue
            if together.get(frozenset((e.root, tr.root)), -math.inf) < recent:
                return True
        return False

    def _heads_in_lane(self, sc: Scene, tr, gi: int, along: float) -> int:
        """How many heads the head detector finds in ``tr``'s blob in this frame: centred
        inside its box, and (with a floor map) over gate ``gi``'s lane within
        ``head_reach_m`` of the track along it, a head's centre at a body's height (a blob
        reading one body often holds the head of someone standing in the next lane, half hidden
        by the cabinets: tune seed 20 at 677 s)."""
        box = tr.box
        heads, scores = sc.heads_in(box)
        c = (heads[:, :2] + heads[:, 2:]) / 2
        keep = ((scores >= self.p.head_min_score) & (c[:, 0] >= box[0]) & (c[:, 0] <= box[2])
                & (c[:, 1] >= box[1]) & (c[:, 1] <= box[3]))
        if sc.floor is not None and keep.any():
            gate = sc.geometry.gates[gi]
            for i in np.flatnonzero(keep):
                a, lat = _gate_coords(gate, sc.floor.image_to_floor(c[i], self._head_m)[0])
                keep[i] = (abs(lat) <= gate.half_width_m + self.p.lane_margin_m
                           and abs(a - along) <= self.p.head_reach_m)
        return int(keep.sum())

    def _straight(self, run: LaneRun, along: float, lateral: float) -> bool:
        """The run went straight up the lane, not on a slant across it: it drifted across the
        lane by at most ``walkup_max_slant`` of the way it came up it (tune seed 26 at
        912.8 s: a merged blob slanting 0.8 m across gate 5 over 1.1 m up it, from gate 3)."""
        return (not self.p.walkup_max_slant
                or abs(lateral - run.lateral) <= self.p.walkup_max_slant * (along - run.along))

    def _pair_walked_up(self, gi: int, t: float) -> bool:
        """A blob reading two people walked up gate ``gi``'s lane moments ago."""
        return any(self._recent(w, t) and _pair(w, self.p) for w in self._walkups.get(gi, ()))

    def _recent(self, w: WalkUp, t: float) -> bool:
        """The walk-up was seen recently enough to be the passer's at ``t``: within
        ``max_transit_s`` and a second (set on walk-ups seen up to ``NEAR_WALKUP_M`` before the
        line), and, for one seen farther off, the time the slowest walk-up
        (``min_walkup_mps``) takes from there to ``NEAR_WALKUP_M``."""
        farther = max(0.0, -w.along - NEAR_WALKUP_M)
        walk = farther / self.p.min_walkup_mps if self.p.min_walkup_mps > 0 else 0.0
        return t - self.p.max_transit_s - 1.0 - walk <= w.t

    def _exit_persons(self, tr, gate: Gate, t: float) -> float:
        """How many people the passer looked like over the last second past the gate line
        (before it, it may have been one blob with someone standing for the transaction:
        tune seed 14 at 316.4 s read 2.8-3.1 persons up to the line, 0.9-1.5 past it)."""
        past = [self._bodies(q) for q in tr.recent(1.0, t)
                if _gate_coords(gate, (q.x, q.y))[0] > 0.0]
        return float(np.median(past)) if past else 0.0

    def _exits_as_two(self, tr, gate: Gate, t: float, walkup: float) -> bool:
        """A pair that walked up (``walkup`` bodies) still reads as two past the gate line:
        ``pair_exit_persons`` bodies, or (``pair_exit_share`` > 0) that share of what it read
        walking up. Past the line the cabinets hide the lower part of whoever comes through,
        more of a far figure seen over them at a shallow angle, so a far pair reads below one
        body's count there while still reading as big, against its own walk-up, as a pair does
        (round-17 staged seed 605 at 485.0 s: a pair at 27 m read 1.18 bodies walking up and
        0.83-1.02 past the line; one walker there reads 0.64). A walk-up that was two people
        merged in the picture, one of whom goes elsewhere, comes through at half its size."""
        exit_ = self._exit_persons(tr, gate, t)
        if exit_ >= self.p.pair_exit_persons:
            return True
        return bool(self.p.pair_exit_share) and exit_ >= self.p.pair_exit_share * walkup

    def _bodies(self, q) -> float:
        """A sample's person count in bodies as one reads at its spot."""
        return q.persons / one_body_reads(q.person_px, self.p.blob_margin_px, self._width_share)

    def _stopped(self, key: tuple[int, int], t: float) -> bool:
        """The lineage stood at or before this gate's line for ``verified_stop_s`` without a
        break, moments ago: it passed after its own transaction, whoever walked up behind it
        (tune seed 13 at 439.6 s: a traveler who stood in the gate passed as another walked up
        the lane and veered to the next gate)."""
        stood = self._stood.get(key)
        return (stood is not None and stood[1] - stood[0] >= self.p.verified_stop_s
                and t - stood[1] <= self.p.max_transit_s + 1.0)

    def _someone_standing(self, sc: Scene, gate: Gate, tr) -> bool:
        """Someone other than the passer stands in ``gate``'s lane at or just before its
        line, as a blob that read as two walking up passes: the two were the passer and a
        traveler standing for the transaction, merged in the picture, not a pair."""
        for o in sc.tracks:
            if o.id == tr.id or o.root == tr.root or not o.seen:
                continue
            along, lateral = _gate_coords(gate, o.xy)
            if not (-1.5 <= along <= 0.3 and abs(lateral) <= gate.half_width_m
                    + self.p.lane_margin_m):
                continue
            recent = o.recent(1.0, sc.t)  # a second of it (a tailgater's fresh track is short)
            if len(recent) < 3 or recent[-1].t - recent[0].t < 0.6:
                continue
            if math.hypot(recent[-1].x - recent[0].x, recent[-1].y - recent[0].y) < 0.3:
                return True
        return False

    def _judge_gate(self, sc: Scene, gi: int, tr) -> list[Alert]:
        """Two people through gate ``gi`` within one cycle: one alert per cycle."""
        q = self._passages.setdefault(gi, deque())
        while q and q[0].t < sc.t - self.p.cycle_s:
            q.popleft()
        people = sum(e.persons for e in q)
        if people < 2 or sc.t - self._last_alert.get(gi, -math.inf) <= self.p.cycle_s:
            return []
        self._last_alert[gi] = sc.t
        gate = sc.geometry.gates[gi]
        ids = tuple(sorted({e.track_id for e in q}))
        boxes = np.array([e.box for e in q])
        box = (boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max())
        return [Alert(self.kind, sc.camera, sc.t, sc.zone_of(tr), ids,
                      0.9 if len(ids) > 1 else 0.7, int_box(box),
                      f"{people} through {gate.bank}[{gate.index}] within "
                      f"{self.p.cycle_s:.0f} s without stopping")]

    def _walk_up(self, sc: Scene, tr, gi: int, along: float, lateral: float) -> None:
        """Follow a track's run straight up one lane; a long enough run is a walk-up."""
        t = sc.t
        v = tr.velocity(1.0, t)
        speed = math.hypot(*v) if v is not None else 0.0
        run = self._runs.get(tr.id)
        if along <= 0.3:  # last seen up to the gate line: walking on, or standing for it
            if v is not None:  # no speed (a track that jumped onto a scrap) says no stop
                self._last_speed[tr.id] = speed  # (tune seed 2 at 663.8 s: the pair's track)
            key = (tr.root, gi)
            if v is not None and speed < self.p.min_walkup_mps and along >= -1.5:
                since, last = self._stood.get(key, (t, t))
                self._stood[key] = (since if t - last <= 0.5 else t, t)
            # (a run kept through missed frames: the first frame after a gap, a jump onto a
            # scrap without a speed, is no stop; tune seed 2 at 663.8 s)
            seen_on = v is not None and len(tr.samples) > 1 and t - tr.samples[-2].t <= 0.5
            if (speed < self.p.min_walkup_mps and run is not None and run.t < t - 1.0
                    and (seen_on or not self.p.run_through_gaps)):
                # Stopped before the gate (the transaction): its walk-up is void, and standing
                # there is no new one (walk-ups were recorded every frame while it stood, and
                # counted when it walked on through)
                q = self._walkups.get(gi)
                if q:
                    self._walkups[gi] = deque(w for w in q if w.track_id != tr.id)
                run = None
        if run is None or run.gate != gi or along < run.along - 0.3 or along > 0.5:
            run = LaneRun(gi, t, along, lateral, [], [])
            if along > 0.5:  # past the gate: no run
                self._runs.pop(tr.id, None)
                return
        bodies = self._bodies(tr.samples[-1])
        run.persons.append(bodies)
        if (sc.heads_in is not None and self.p.head_vote_px and tr.seen and along >= -2.5
                and speed >= self.p.min_walkup_mps  # walking up (not standing in the queue)
                and tr.samples[-1].person_px >= self.p.head_vote_px
                and self.p.head_vote_bodies <= bodies < self.p.pair_persons):
            run.heads.append(self._heads_in_lane(sc, tr, gi, along))
        self._runs[tr.id] = run
        if (along - run.along >= self.p.walkup_m and t - run.t >= 1.0
                and -self.p.walkup_from_m <= along <= 0.3
                and self.p.min_walkup_mps <= speed <= self.p.max_walk_mps
                and self._straight(run, along, lateral)):
            q = self._walkups.setdefault(gi, deque())
            twos = sum(n >= 2 for n in run.heads)
            q.append(WalkUp(t, tr.id, float(np.median(run.persons)),
                            twos >= self.p.head_votes and 2 * twos >= len(run.heads), along,
                            tr.root))
            while q and q[0].t < t - 10.0:
                q.popleft()


def _pair(w: WalkUp, p: C.Tailgating) -> bool:
    """The walk-up looked like two people: a blob of ``pair_persons`` bodies, or two heads."""
    return w.persons >= p.pair_persons or w.two_heads


def one_body_reads(person_px: float, margin_px: float,
                   width_share: float = BodyModel.person_width_m / BodyModel.person_height_m
                   ) -> float:
    """How many persons one upright body ``person_px`` tall in the image reads as when blur
    and mask smoothing grow its blob by ``margin_px`` on each side: its box grows from
    h × w to (h + 2m) × (w + 2m), w = ``width_share`` · h. 1 for a large figure, more for a
    small one (a 61-px figure with a 4-px margin reads 1.59)."""
    h = max(float(person_px), 1.0)
    return (1.0 + 2.0 * margin_px / h) * (1.0 + 2.0 * margin_px / (width_share * h))


def across_sigma(xy, sigma_m: float, gate: Gate, camera_xy=None) -> float:
    """The standard deviation, metres, across ``gate``'s lane of a foot point at floor point
    ``xy`` whose error is ``sigma_m`` along the camera's line of sight (a pixel error up or down
    the image column; across the line of sight a pixel is centimetres, neglected): the ray's
    share across the lane. ``camera_xy``: the floor point under the camera (None: unknown,
    the whole ``sigma_m``)."""
    if camera_xy is None:
        return float(sigma_m)
    ray = np.asarray(xy, float) - np.asarray(camera_xy, float)
    n = float(np.hypot(*ray))
    if n < 1e-9:
        return 0.0
    tx, ty = gate.through
    return float(sigma_m) * abs(-ray[0] * ty + ray[1] * tx) / n


def judged_gates(floor, gates, p: C.Tailgating) -> frozenset[int]:
    """The gates whose lane width and pass depth both span at least ``min_gate_px`` image
    pixels (``floor``: a :class:`~pipeline.danger.floor.FloorMap`), and lie in front of it."""
    keep = set()
    for i, g in enumerate(gates):
        o = np.asarray(g.xy, float)
        t = np.asarray(g.through, float)
        across = np.array([-t[1], t[0]])
        pts = np.vstack([o, o + p.pass_depth_m * t, o + 2 * g.half_width_m * across])
        if not floor.in_front(pts).all():
            continue
        uv = floor.floor_to_image(pts)
        if not np.isfinite(uv).all():
            continue
        depth_px = float(np.hypot(*(uv[1] - uv[0])))
        lane_px = float(np.hypot(*(uv[2] - uv[0])))
        if min(depth_px, lane_px) >= p.min_gate_px:
            keep.add(i)
    return frozenset(keep)


def _nearest_gate(gates, xy) -> tuple[int, float, float]:
    best = (0, math.inf, math.inf)
    for i, g in enumerate(gates):
        along, lateral = _gate_coords(g, xy)
        if abs(lateral) < abs(best[2]):
            best = (i, along, lateral)
    return best


def _gate_coords(gate: Gate, xy) -> tuple[float, float]:
    dx, dy = xy[0] - gate.xy[0], xy[1] - gate.xy[1]
    tx, ty = gate.through
    return dx * tx + dy * ty, -dx * ty + dy * tx
