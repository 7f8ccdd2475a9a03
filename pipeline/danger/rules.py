"""Event rules over tracks and densities: one class per kind of danger.

Each rule sees one :class:`Scene` per analysed frame and keeps its own state (how long a
condition has held, what it already reported), so an event gives one alert, not one per frame.
Rules report lineages (``Track.root``), so an id switch in a merge does not repeat an alert.
Falls, tailgating, counterflow and overcrowding have their own modules; what rules share is in
:mod:`pipeline.danger.memory`.
Parameters: :mod:`pipeline.danger.config`; scene parameters (space bands, flow directions,
queues, e-gates): :mod:`pipeline.danger.geometry`.
"""

from __future__ import annotations

import math
from collections import deque
from typing import NamedTuple

from pipeline.danger import config as C
from pipeline.danger.counterflow import CounterflowRule
from pipeline.danger.dwell import Sighting, SpotDwell
from pipeline.danger.fall import FallRule
from pipeline.danger.overcrowding import OvercrowdingRule
from pipeline.danger.memory import CrowdMemory, dist, nearest, repeated, steady, waited
from pipeline.danger.observe import GROUP, LYING, OBJECT, PERSON, BodyModel, unblurred_height_m
from pipeline.danger.person_down import PersonDown
from pipeline.danger.scene import Alert, Scene, confidence, int_box
from pipeline.danger.tailgating import TailgatingRule
from pipeline.danger.track import Track

KINDS = ("overcrowding", "abandoned_bag", "running", "fall", "loitering", "counterflow",
         "tailgating")


class FastRun(NamedTuple):
    """A track's time read fast so far."""

    fast: float  # seconds read fast
    last: float  # when last judged (a frame without a reading stops the clock there)
    root: int  # the track's lineage
    read_t: float  # its last fast reading: when ...
    read_xy: tuple[float, float]  # ... and where


class RunningRule:
    """Someone moving faster than ``speed_mps`` (by ``z_sigma`` standard errors) for
    ``sustain_s``. A runner who turns at the picture's edge or at a lap's end, or is lost in a
    passer-by, comes back as a new track of the same lineage or born where the runner was
    lost (``handoff_m``): its first fast reading carries on from that fast track, seen less
    than ``gap_s`` before (a slow reading of a track starts its own count again)."""

    kind = "running"

    def __init__(self, p: C.Running = C.Running()):
        self.p = p
        self._fast: dict[int, FastRun] = {}  # track id -> its fast time
        self._done: set[int] = set()
        self._alerted: list[tuple[float, tuple[float, float]]] = []
        self._prev_t: float | None = None  # the previous frame's time

    def _carried(self, tr: Track, t: float) -> float:
        """Fast time of this lineage's other tracks, or of a track lost where this one was
        born, fast less than ``gap_s`` ago."""
        return max((f.fast for tid, f in self._fast.items()
                    if tid != tr.id and t - f.last <= self.p.gap_s
                    and (f.root == tr.root or self._handed_off(f, tr))), default=0.0)

    def _handed_off(self, f: FastRun, tr: Track) -> bool:
        """``tr`` was born after ``f``'s last fast reading, within ``gap_s``, and first seen
        within ``handoff_m`` of it: the runner, lost at a turn or in a passer-by, found again."""
        first = tr.samples[0]
        return (self.p.handoff_m > 0 and 0.0 <= tr.born_t - f.read_t <= self.p.gap_s
                and math.dist(f.read_xy, (first.x, first.y)) <= self.p.handoff_m)

    def _left_waiting(self, sc: Scene, tr: Track) -> bool:
        """Just out of a queue or a processor: waited there (slower than ``waiting_mps``), or
        this track began inside one (a blob split off a queue). ``waiting_mps`` 0: any time in
        a waiting area counts."""
        if self.p.waiting_mps <= 0:
            return _after_waiting(sc, tr, self.p.after_waiting_s)
        first = tr.samples[0]
        return (waited(sc, tr, self.p.after_waiting_s, self.p.waiting_mps, any_service=False)
                or (sc.t - first.t <= self.p.after_waiting_s
                    and sc.geometry.in_waiting_area((first.x, first.y))))

    def _one_body(self, samples) -> bool:
        """No merge or split moved the foot point: :func:`steady`, or (``max_persons`` > 0) one
        person read whole or in part, never more than ``max_persons`` people and upright in
        ``min_upright_share`` of the window. A runner's blob loses its legs in some frames
        (tune seed 14: 0.3-0.9 persons, some frames a low \"object\"); a merge with a
        passer-by reads as two."""
        if not samples or steady(samples):
            return bool(samples)
        if self.p.max_persons <= 0:
            return False
        upright = sum(s.kind in (PERSON, GROUP) for s in samples)
        return (max(s.persons for s in samples) <= self.p.max_persons
                and upright >= self.p.min_upright_share * len(samples))

    def _unread(self, tr, t: float) -> None:
        """A frame without a reading: the fast time is kept (``keep_unread``) but its clock
        stops, so unreadable time never counts as fast; or, off, the count restarts."""
        prev = self._fast.get(tr.id)
        if not self.p.keep_unread:
            self._fast.pop(tr.id, None)
        elif prev is not None:
            self._fast[tr.id] = prev._replace(last=t)

    def update(self, sc: Scene) -> list[Alert]:
        out = []
        # a track's first fast reading counts its frame's step (``count_first``)
        step = (sc.t - self._prev_t if self.p.count_first and self._prev_t is not None
                else 0.0)
        self._prev_t = sc.t
        for tr in sc.tracks:
            if not tr.seen or tr.kind not in (PERSON, GROUP) or tr.root in self._done:
                if self.p.count_first and tr.id in self._fast:
                    self._unread(tr, sc.t)  # unseen (coasting) time is not fast time either
                continue
            if sc.crowded(tr.xy):  # merges and splits in a crowd make foot points jump
                continue
            if not sc.on_floor(tr) or self._left_waiting(sc, tr):
                self._fast.pop(tr.id, None)
                continue
            if not sc.readable(tr) or not self._one_body(tr.recent(self.p.window_s, sc.t)):
                self._unread(tr, sc.t)
                continue  # no reading: neither fast nor slow (see ``Running.keep_unread``)
            fit = tr.velocity_and_error(self.p.window_s, sc.t)
            v = None if fit is None else math.hypot(*fit[0])
            if v is None and self.p.keep_unread:
                self._unread(tr, sc.t)
                continue
            if v is None or v - self.p.z_sigma * fit[1] < self.p.speed_mps:
                self._fast.pop(tr.id, None)
                continue
            prev = self._fast.get(tr.id)
            fast = (self._carried(tr, sc.t) + step if prev is None
                    else prev.fast + sc.t - prev.last)
            self._fast[tr.id] = FastRun(fast, sc.t, tr.root, sc.t, tr.xy)
            if fast >= self.p.sustain_s - 1e-6:  # times are sums of float frame steps
                self._done.add(tr.root)
                if repeated(self._alerted, tr.xy, sc.t, self.p.repeat_m, self.p.repeat_s):
                    continue
                self._alerted.append((sc.t, tr.xy))
                out.append(Alert(self.kind, sc.camera, sc.t, sc.zone_of(tr), (tr.id,),
                                 confidence(v, self.p.speed_mps), int_box(tr.box), f"{v:.1f} m/s"))
        # a track's entry outlives it by gap_s, for the lineage's next track to carry on
        self._fast = {k: v for k, v in self._fast.items() if sc.t - v.last <= self.p.gap_s}
        return out


def _after_waiting(sc: Scene, tr: Track, within_s: float) -> bool:
    """In a waiting area (a queue, a processor row) now or within the last ``within_s``."""
    return within_s > 0 and any(sc.geometry.in_waiting_area((q.x, q.y))
                                for q in tr.recent(within_s, sc.t)[::3] + [tr.samples[-1]])


class LoiteringRule:
    kind = "loitering"

    def __init__(self, p: C.Loitering = C.Loitering()):
        self.p = p
        self._done: set[int] = set()
        self._crowd = CrowdMemory()
        self._since: dict[int, float] = {}  # lineage root -> its dwell's start, if earlier
        # root -> t, x, y, at the edge, its dwell's start (own or carried)
        self._last: dict[int, tuple[float, float, float, bool, float]] = {}
        self._trail: dict[int, deque] = {}  # root -> (t, x, y) of its last dwell_s
        self._spots = SpotDwell(p.dwell_s, p.spot_radius_m, p.spot_leave_m, p.spot_gap_s,
                                p.spot_min_seen, p.spot_max_shared, walk_in_m=p.spot_walk_in_m,
                                merged_claims=p.spot_merged_holds,
                                from_present=p.spot_from_present) if p.spot else None
        self._alerted: list[tuple[float, tuple[float, float]]] = []  # spot alerts (t, xy)
        self._given: list[tuple[float, tuple[float, float]]] = []  # every loitering alert

    def _start(self, tr: Track) -> float:
        """When ``tr``'s lineage began to dwell (its own start, or one carried over)."""
        return min(tr.since, self._since.get(tr.root, tr.since))

    def _edge_return(self, sc: Scene, tr: Track) -> None:
        """A lineage that begins at the picture's edge where one left it moments ago (out of
        view and back) continues that one's dwell; so does one that begins anywhere within
        ``rejoin_m`` of where a lineage that dwelt ``rejoin_min_dwell_s`` was last seen, less
        than ``rejoin_s`` ago, and is not seen now (its track lost or coasting: a lingerer who
        stands still fades into the background and comes back as a new blob a step away)."""
        first = tr.samples[0]
        if tr.root in self._last:
            return
        live = {x.root for x in sc.tracks}
        seen = {x.root for x in sc.tracks if x.seen}
        best, best_since = None, math.inf  # the longest dwell that left here (tune seed 1: a
        # sliver of the loiterer, tracked as it walked out, ended nearer than its lineage)
        for root, (t, x, y, edge, since) in self._last.items():
            d = math.hypot(x - first.x, y - first.y)
            if (first.clipped and edge and root not in live and sc.t - t <= self.p.edge_return_s
                    and d <= self.p.edge_return_m) or (
                    root not in seen and sc.t - t <= self.p.rejoin_s and d <= self.p.rejoin_m
                    and t - since >= self.p.rejoin_min_dwell_s):
                if since < best_since:
                    best, best_since = root, since
        if best is not None:
            self._since[tr.root] = best_since
            if self.p.rejoin_trail and best in self._trail:  # where the dwell was spent
                self._trail[tr.root] = deque([*self._trail[best],
                                              *self._trail.get(tr.root, ())])
            if best in self._done:  # already reported: one loiterer, one alert
                self._done.add(tr.root)

    def update(self, sc: Scene) -> list[Alert]:
        out = []
        self._crowd.update(sc)
        if self.p.settle_m > 0:
            self._follow(sc)
        if self.p.edge_return_s > 0:
            for tr in sc.tracks:
                if tr.seen:
                    self._edge_return(sc, tr)
                    last = tr.samples[-1]
                    self._last[tr.root] = (sc.t, last.x, last.y, last.clipped, self._start(tr))
            if len(self._last) > 500:  # forget lineages gone for good
                cut = sc.t - self.p.edge_return_s - 1.0
                live = {tr.root for tr in sc.tracks}
                self._last = {k: v for k, v in self._last.items() if v[0] >= cut or k in live}
                self._since = {k: v for k, v in self._since.items() if k in self._last}
        for tr in sc.tracks:
            if tr.root in self._done or not tr.seen or tr.kind not in (PERSON, LYING):
                continue
            if tr.root in self._crowd.roots:
                continue
            if not sc.shapely(tr):  # far away, a person is a few pixels that merge and split
                continue
            dwell = sc.t - self._start(tr)
            if dwell < self.p.dwell_s:
                continue
            zone = sc.geometry.zone(sc.zone_of(tr))
            if zone is None or zone.kind not in self.p.zone_kinds:
                continue
            samples = tr.recent(self.p.dwell_s, sc.t)[::5] or [tr.samples[-1]]
            waiting = sum(sc.geometry.in_waiting_area((s.x, s.y)) for s in samples)
            if waiting > self.p.max_waiting_share * len(samples):
                continue
            # A person lingering shifts about and looks like a person; a bag that passers-by
            # merge with, or a patch of floor the background has not relearnt, does neither.
            people = sum(s.kind in (PERSON, GROUP) for s in samples)
            if people < self.p.min_person_share * len(samples):
                continue
            # Lineages bridge short breaks, but where people come and go (a door) they can
            # chain strangers into one long "dwell": the loiterer must be this id for a while.
            own = sc.t - tr.samples[0].t
            if own < self.p.min_own_share * self.p.dwell_s or tr.displacement(
                    self.p.dwell_s, sc.t) < self.p.min_wander_m:
                continue
            dwell = sc.t - max(self._start(tr), self._arrived(tr))
            if dwell < self.p.dwell_s:
                continue
            self._done.add(tr.root)
            if repeated(self._alerted, tr.xy, sc.t, self.p.repeat_m, self.p.repeat_s):
                continue  # the spot rule has reported this loiterer
            self._given.append((sc.t, tr.xy))
            out.append(Alert(self.kind, sc.camera, sc.t, zone.id, (tr.id,),
                             confidence(dwell, self.p.dwell_s), int_box(tr.box), f"{dwell:.0f} s"))
        if self._spots is not None:
            out += self._held_spots(sc)
        return out

    def sighting(self, sc: Scene, tr: Track) -> tuple[Sighting, str]:
        """``tr`` (seen this frame) as the spot bookkeeping sees it, and why it holds no spot
        ("holds" where it may): out of the watched zones, in a queue's waiting area or a crowd,
        merged (reads as a group or ``spot_merged_persons``), not a person, short (half
        hidden), too few pixels to read, too young for a speed, moving."""
        p, last = self.p, tr.samples[-1]
        zone = sc.geometry.zone(sc.zone_of(tr))
        merged = last.kind == GROUP or last.persons >= p.spot_merged_persons
        if zone is None or zone.kind not in p.zone_kinds:
            why = "zone"
        elif sc.geometry.in_waiting_area((last.x, last.y)):
            why = "waiting"
        elif tr.root in self._crowd.roots or sc.crowded(tr.xy):
            why = "crowd"
        elif tr.kind != PERSON:
            why = "merged" if merged else "not a person"
        elif last.height_m < p.spot_min_height_m:
            why = "short"
        elif not sc.shapely(tr):
            why = "unreadable"
        else:
            why = ""
        # a new track has no speed yet
        fit = tr.velocity(2.0, sc.t) if why in ("", "merged") else None
        slow = fit is not None and math.hypot(*fit) < p.spot_slow_mps
        if not why:
            why = ("merged" if merged else "young" if fit is None
                   else "holds" if slow else "moving")
        eligible = tr.kind == PERSON and why in ("merged", "young", "moving", "holds")
        # a merged blob standing (not passers-by walking through together) keeps a spot
        keeps = p.spot_merged_keeps and why == "merged" and slow
        s = Sighting(tr.id, last.x, last.y, slow, eligible, merged,
                     (tr.samples[0].x, tr.samples[0].y), tuple(tr.box), keeps)
        return s, why

    def _held_spots(self, sc: Scene) -> list[Alert]:
        """Spots one near-stationary person has held for ``dwell_s`` through any number of
        tracks (:class:`SpotDwell`): upright people, readable, outside queues and crowds, in the
        watched zones; every seen track is watched for leaving the spot it held."""
        sightings = [self.sighting(sc, tr)[0] for tr in sc.tracks if tr.seen]
        self._spots.update(sc.t, sightings)
        p, out = self.p, []
        by_id = {tr.id: tr for tr in sc.tracks}  # the latest sighting's track may coast now
        # ... or walk on: the alert shows where the occupant was last seen slow in the spot
        # (tune seed 36: the spot's last track was a passer-by's that had taken the lingerer's
        # blob and was 3.1 m off the spot, walking away, when the dwell reached 120 s)
        for spot in self._spots.held(sc.t):
            if repeated(self._alerted + self._given, spot.xy, sc.t, p.repeat_m, p.repeat_s):
                continue
            tr = by_id.get(spot.last_track)
            if tr is None:
                continue
            self._alerted.append((sc.t, spot.xy))
            dwell = sc.t - self._spots.start(spot, sc.t)
            out.append(Alert(self.kind, sc.camera, sc.t, sc.geometry.zone_at(spot.xy), (tr.id,),
                             confidence(dwell, p.dwell_s),
                             int_box(tr.box if spot.last_box is None else spot.last_box),
                             f"{dwell:.0f} s at one spot"))
        return out

    def _follow(self, sc: Scene) -> None:
        """Keep each lineage's foot points of the last ``dwell_s`` (a lineage's earlier tracks'
        samples are not its current track's)."""
        for tr in sc.tracks:
            if tr.seen:
                trail = self._trail.setdefault(tr.root, deque())
                trail.append((sc.t, tr.samples[-1].x, tr.samples[-1].y))
                while trail[0][0] < sc.t - self.p.dwell_s:
                    trail.popleft()
        if len(self._trail) > 500:
            self._trail = {k: v for k, v in self._trail.items()
                           if v[-1][0] >= sc.t - self.p.dwell_s}

    def _arrived(self, tr: Track) -> float:
        """When the lineage last came within ``settle_m`` of where it is now (-inf: not farther
        in the last ``dwell_s``, or ``settle_m`` is 0)."""
        if self.p.settle_m <= 0:
            return -math.inf
        x, y = tr.samples[-1].x, tr.samples[-1].y
        r2 = self.p.settle_m ** 2
        for t, px, py in reversed(self._trail.get(tr.root, ())):
            if (px - x) ** 2 + (py - y) ** 2 > r2:
                return t
        return -math.inf


class AbandonedBagRule:
    kind = "abandoned_bag"

    def __init__(self, p: C.AbandonedBag = C.AbandonedBag(), fall: C.Fall = C.Fall(),
                 down: PersonDown | None = None,
                 margin_px: float = C.Tailgating().blob_margin_px, body: BodyModel = BodyModel()):
        self.p = p
        # a person down far off reads as an object too; the memory shared with the fall rule
        # also holds the blur margin (px a side) and the site's body the bag's size is read with
        self._down = down or PersonDown(fall, margin_px, body)
        self._owner: dict[int, int | None] = {}  # bag root → owner root
        self._away_since: dict[int, float] = {}
        self._at: dict[int, tuple[float, float]] = {}  # bag root → where last judged
        self._shown: dict[int, float] = {}  # bag root → when it first read as a judged object
        # bag root → (when lost, where, owner root, unattended since, shown): ``spot_keep_s``
        self._lost: dict[int, tuple[float, tuple[float, float], int, float | None, float]] = {}
        self._done: set[int] = set()
        self._alerted: list[tuple[float, tuple[float, float]]] = []

    def update(self, sc: Scene) -> list[Alert]:
        self._down.update(sc)
        people = [tr for tr in sc.tracks if tr.kind in (PERSON, GROUP, LYING)]
        out = []
        live = set()
        for bag in sc.tracks:
            if bag.kind != OBJECT or bag.root in self._done:
                continue
            # Queues, counters and belts: people stand there with their bags, half hidden by
            # each other, and a visible part of a person looks like a bag.
            if not sc.shapely(bag, self.p.min_shape_px) or sc.geometry.in_waiting_area(bag.xy):
                continue
            if not sc.on_floor(bag):  # beyond the walls: a sign or someone behind glass
                continue
            live.add(bag.root)
            self._at[bag.root] = bag.xy
            # whoever stands beside it when it first shows up (unless it is a bag lost a moment
            # ago on this spot: then that bag's owner and clock)
            if bag.root not in self._owner and not self._kept(sc, bag):
                self._shown[bag.root] = sc.t
                near = nearest(bag.xy, people, self.p.owner_radius_m)
                if near is None and self.p.owner_recent_s > 0:
                    near = self._recently_beside(sc, bag, people)
                self._owner[bag.root] = near.root if near is not None else None
                if any(p.root == bag.root for p in people):  # the blob it came out of
                    # walked on as a person of its lineage: that is the owner, not a
                    # bystander nearer the bag (tune seed 16, 10 m: the owner's track stayed
                    # with the bag and a group standing 1.5 m off was taken for the owner)
                    self._owner[bag.root] = bag.root
                elif near is None and self.p.owner_self_s > 0 and self._down.upright_before(
                        bag, self.p.owner_self_s, self.p.owner_radius_m):
                    self._owner[bag.root] = bag.root  # the owner's track stayed on the bag
            if sc.t - bag.since < self.p.settle_s or bag.displacement(10.0, sc.t) > self.p.static_m:
                continue
            owner = self._owner[bag.root]
            if owner is None:  # nobody set it down: a ghost, or part of a hidden person
                continue
            if not self._bag_sized(bag, sc.t):
                continue
            attended = any(p.root == owner and dist(p.xy, bag.xy) <= self.p.owner_radius_m
                           for p in people)
            if attended:
                self._away_since.pop(bag.root, None)
                continue
            away = self._away_since.setdefault(bag.root, sc.t)
            if sc.t - away >= self.p.unattended_s:
                self._done.add(bag.root)
                self._at.pop(bag.root, None)
                if self._down.down(sc, bag) is not None:
                    continue  # the person upright here went down: the fall rule reports it
                if repeated(self._alerted, bag.xy, sc.t, self.p.repeat_m, self.p.repeat_s):
                    continue
                self._alerted.append((sc.t, bag.xy))
                out.append(Alert(self.kind, sc.camera, sc.t, sc.zone_of(bag), (bag.id,), 0.8,
                                 int_box(bag.box), f"unattended {sc.t - away:.0f} s"))
        for gone in set(self._owner) - live - self._done:
            owner, away = self._owner.pop(gone, None), self._away_since.pop(gone, None)
            at, shown = self._at.pop(gone, None), self._shown.pop(gone, sc.t)
            if self._keeps(owner, at, away):
                self._lost[gone] = (sc.t, at, owner, away, shown)
        return out

    def _keeps(self, owner: int | None, at: tuple[float, float] | None,
               away: float | None) -> bool:
        """A bag lost now is kept for ``spot_keep_s``: it had an owner and a spot, and (with
        ``spot_keep_running``) its unattended clock was running."""
        return (self.p.spot_keep_s > 0 and owner is not None and at is not None
                and (away is not None or not self.p.spot_keep_running))

    def _kept(self, sc: Scene, bag: Track) -> bool:
        """``bag`` is a bag lost within ``spot_keep_s`` within ``spot_keep_m`` of its spot (its
        own lineage or a new one): takes up that bag's owner and unattended clock, unless
        (``spot_keep_not_down``) a lineage of that bag went down on its spot."""
        if not self._lost:
            return False
        self._lost = {r: v for r, v in self._lost.items() if sc.t - v[0] <= self.p.spot_keep_s}
        d, root = min(((dist(v[1], bag.xy), r) for r, v in self._lost.items()),
                      default=(math.inf, None))
        if d > self.p.spot_keep_m or (self.p.spot_keep_not_down and self._went_down(root)):
            return False
        _, _, self._owner[bag.root], away, self._shown[bag.root] = self._lost.pop(root)
        if away is not None:
            self._away_since[bag.root] = away
        return True

    def _went_down(self, root: int) -> bool:
        """Lost bag ``root``'s owner or own lineage was last upright by its spot and never
        after ``Fall.down_within_s`` past the bag's first showing: a person down (the fall rule
        missed), not a bag its owner walked off from."""
        _, at, owner, _, shown = self._lost[root]
        until = shown + self._down.p.down_within_s
        return any(self._down.stayed(r, at, until, self.p.owner_radius_m) for r in {owner, root})

    def _bag_sized(self, bag: Track, t: float) -> bool:
        """As tall as a bag reads (``min_height_m``..``max_height_m``), over the last
        ``size_window_s``, less the blur margin: not a scrap, not a body lying along the line
        of sight."""
        seen = bag.recent(self.p.size_window_s, t)
        if not seen:
            return True
        d = self._down
        h = sorted(unblurred_height_m(q.height_m, q.person_px, d.margin_px, d.body)
                   for q in seen)[len(seen) // 2]
        return ((not self.p.min_height_m or h >= self.p.min_height_m)
                and (not self.p.max_height_m or h <= self.p.max_height_m))

    def _recently_beside(self, sc: Scene, bag: Track, people: list[Track]) -> Track | None:
        """The person last seen within ``owner_radius_m`` of the bag's spot in the past
        ``owner_recent_s`` (who walked off as the bag came out of their blob)."""
        best, best_t = None, sc.t - self.p.owner_recent_s
        for p in people:
            for q in reversed(p.recent(self.p.owner_recent_s, sc.t)):
                if q.t >= best_t and dist((q.x, q.y), bag.xy) <= self.p.owner_radius_m:
                    best, best_t = p, q.t
                    break
        return best


RULES = {"overcrowding": OvercrowdingRule, "abandoned_bag": AbandonedBagRule,
         "running": RunningRule, "fall": FallRule, "loitering": LoiteringRule,
         "counterflow": CounterflowRule, "tailgating": TailgatingRule}


def make_rules(cfg: C.DangerConfig, body: BodyModel | None = None) -> list:
    """The enabled rules; sizes read in ``body`` (default: the config's ``body`` overrides
    over :class:`BodyModel`'s, as the stream's observer reads them)."""
    body = body or C.overridden(BodyModel, cfg.body, "body")
    unknown = sorted(set(cfg.enabled) - set(RULES))
    if unknown:
        raise ValueError(f"enabled: unknown rule(s) {', '.join(unknown)} "
                         f"(known: {', '.join(RULES)})")
    # one memory of people down for the fall and bag rules
    down = PersonDown(cfg.rules.fall, cfg.rules.tailgating.blob_margin_px, body)
    shared = {"fall": lambda: FallRule(cfg.rules.fall, down),
              "abandoned_bag": lambda: AbandonedBagRule(cfg.rules.abandoned_bag, cfg.rules.fall,
                                                        down),
              "tailgating": lambda: TailgatingRule(cfg.rules.tailgating, body)}
    return [shared[k]() if k in shared else RULES[k](getattr(cfg.rules, k))
            for k in KINDS if k in cfg.enabled]
