"""A person who went down in place and now reads as an object.

Far off, a body lying along the line of sight is foreshortened into a compact low blob about a
bag's size (tune seeds 3 at 24.7 m and 14 at 23.6 m: a walker went from 1.7 m tall to an
"object" 0.83-0.86 m tall within a second), not the wide "lying" blob the fall rule looks for,
and the abandoned-bag rule took it for a bag left behind 30 s later. What tells the two apart is
who was there: a left bag is set down by someone who then walks away from it; a person down is
the upright person last seen on that spot, who never walks on, and whose head came down.
"""

from __future__ import annotations

import math
from collections import deque
from statistics import median
from typing import NamedTuple

from shapely.geometry import LineString, Point

from pipeline.danger import config as C
from pipeline.danger.observe import GROUP, LYING, OBJECT, PERSON, BodyModel, unblurred_height_m
from pipeline.danger.scene import Scene

_PEOPLE = (PERSON, GROUP, LYING)
_STANDING_N = 15  # upright readings that make a lineage's standing height (3 s at 5 fps)


class Upright(NamedTuple):
    """A lineage's last upright sighting."""

    t: float
    x: float
    y: float
    top: float  # image row of its box top (the head)
    person_px: float
    height_m: float = 0.0  # its reading
    standing_m: float = 0.0  # the lineage's upright readings just before (median), this one in


class Near(NamedTuple):
    """Someone upright by an object as it appeared."""

    root: int
    seen: Upright
    standing: bool  # stood still there (an owner with the bag), not walking past


class PersonDown:
    """Keeps who stood where, and judges object tracks: :meth:`down` is the upright person who
    went down as ``tr`` (an object track), or None. Conditions, all needed:

    - a person lineage was upright within ``upright_radius_m`` of the object at most
      ``down_within_s`` before it first read as an object (the object's own lineage included),
      and has not been seen upright farther than that since;
    - the object is body-sized (``down_min_height_m``, ``down_min_width_m``: taller and wider
      than a bag; or ``down_wide_m``: wider than any bag, lying aslant) but no taller than a body lying on that spot can read
      (:meth:`~pipeline.danger.scene.Scene.lying_height_m`: what is taller is someone still
      standing, half faded into the background), on a figure large enough to tell
      (``down_min_person_px``), and the top of the box came down by
      ``down_min_drop`` of a standing person's height (a person half hidden by someone in
      front reads low too, but the head stays up);
    - nobody walked away from it: no person who stood still by it, or whose track began by it
      as it appeared (the owner stepping out of the blob), is seen beyond the radius later.

    Far off, where a body lying along the line of sight reads shorter than
    ``down_min_height_m`` (so no body could pass the size test), the object's own lineage
    having been that upright person stands in for the size: see ``Fall.down_own_px``; there
    the lineage's last upright reading must already be on its way down
    (``Fall.down_own_came_down``), not a blob as tall as a standing body or stretched taller
    that lost the part walking off (an owner leaving the bag their track stays on)."""

    def __init__(self, p: C.Fall = C.Fall(), margin_px: float = C.Tailgating().blob_margin_px,
                 body: BodyModel = BodyModel()):
        self.p = p
        self.margin_px = margin_px  # blur grows every blob by this a side
        self.body = body  # the site's body: the margin in metres
        self._upright: dict[int, Upright] = {}  # root → last upright sighting
        self._heights: dict[int, deque] = {}  # root → its last upright readings (metres)
        self._born: dict[int, tuple[float, float, float, int]] = {}  # track id → t, x, y, root
        # object track id → (when first seen as an object, people by it then, the lineages
        # whose tracks began by it as it appeared)
        self._near: dict[int, tuple[float, list[Near], set[int]]] = {}
        self._t: float | None = None  # the frame last taken in (the rules share one memory)

    def update(self, sc: Scene) -> None:
        if sc.t == self._t:
            return
        self._t = sc.t
        objects = {tr.id: tr for tr in sc.tracks if tr.kind == OBJECT}
        for tr in sc.tracks:
            if tr.kind in _PEOPLE and tr.id not in self._born:
                first = tr.samples[0]
                self._born[tr.id] = (first.t, first.x, first.y, tr.root)
                for oid, (_, _, born) in self._near.items():
                    if oid in objects and self._began_by(objects[oid], first.t, first.x, first.y):
                        born.add(tr.root)
            if not tr.seen:
                continue
            q = tr.samples[-1]
            if q.kind == PERSON:
                h = self._heights.setdefault(tr.root, deque(maxlen=_STANDING_N))
                h.append(q.height_m)
                self._upright[tr.root] = Upright(sc.t, q.x, q.y, q.box[1], q.person_px,
                                                 q.height_m, median(h))
        for tr in objects.values():
            if tr.id not in self._near:
                born = {root for t, x, y, root in self._born.values()
                        if self._began_by(tr, t, x, y)}
                self._near[tr.id] = (sc.t, self._people_by(sc, tr), born)
        if len(self._upright) > 2000 or len(self._born) > 500:  # forget the long gone
            live = {tr.id for tr in sc.tracks}
            self._upright = {k: v for k, v in self._upright.items() if v.t > sc.t - 120.0}
            self._heights = {k: v for k, v in self._heights.items() if k in self._upright}
            self._born = {k: v for k, v in self._born.items() if v[0] > sc.t - 10.0}
            self._near = {k: v for k, v in self._near.items() if k in live}

    def upright_before(self, tr, within_s: float, radius_m: float) -> bool:
        """Object track ``tr``'s own lineage was last upright within ``radius_m`` of it at most
        ``within_s`` before it first read as an object (the bag rule's owner who stepped out
        of the blob their track stayed on)."""
        u = self._upright.get(tr.root)
        return (u is not None and u.t >= first_object_t(tr) - within_s
                and math.hypot(u.x - tr.xy[0], u.y - tr.xy[1]) <= radius_m)

    def stayed(self, root: int, xy, until: float, radius_m: float) -> bool:
        """Lineage ``root`` was last seen upright within ``radius_m`` of ``xy`` and not after
        ``until``: it went down (or out of sight) there instead of walking off."""
        u = self._upright.get(root)
        return u is not None and u.t <= until and math.hypot(u.x - xy[0], u.y - xy[1]) <= radius_m

    def _began_by(self, obj, t: float, x: float, y: float) -> bool:
        """A track that began at (x, y) at ``t`` began by ``obj`` as it appeared."""
        return (abs(t - first_object_t(obj)) <= self.p.down_within_s
                and math.hypot(x - obj.xy[0], y - obj.xy[1]) <= self.p.upright_radius_m)

    def _people_by(self, sc: Scene, obj) -> list[Near]:
        """Person lineages upright near ``obj`` moments before it first read as an object."""
        t0 = first_object_t(obj)
        r = self.p.upright_radius_m
        standing = {tr.root for tr in sc.tracks if tr.kind in _PEOPLE and tr.root != obj.root
                    and tr.displacement(1.0, sc.t) < 0.5 and len(tr.samples) >= 5}
        along = self._along(sc, obj)
        out = []
        for root, u in self._upright.items():
            if t0 - self.p.down_within_s > u.t:
                continue
            d = math.hypot(u.x - obj.xy[0], u.y - obj.xy[1])
            if root == obj.root and along is not None:
                d = LineString([obj.xy, along]).distance(Point(u.x, u.y))
            if d <= r:
                out.append(Near(root, u, root in standing))
        return out

    def _along(self, sc: Scene, obj) -> tuple[float, float] | None:
        """The far end on the floor of a body lying along the line of sight whose near end is
        ``obj``'s foot point (``Fall.down_own_along_m`` farther from the camera); None where the
        own-lineage route does not judge (off, or a body lying there reads body-sized)."""
        p = self.p
        if (p.down_own_along_m <= 0 or p.down_own_px <= 0 or sc.floor is None
                or sc.lying_height_m(obj.xy) >= p.down_min_height_m):
            return None
        cx, cy = sc.floor.camera_floor_position()
        dx, dy = obj.xy[0] - cx, obj.xy[1] - cy
        n = math.hypot(dx, dy)
        if n < 1e-9:
            return None
        k = p.down_own_along_m / n
        return obj.xy[0] + dx * k, obj.xy[1] + dy * k

    def down(self, sc: Scene, tr) -> Upright | None:
        """The upright sighting of the person who went down as object track ``tr``, if any."""
        snap = self._near.get(tr.id)
        if snap is None or not snap[1]:
            return None
        r = self.p.upright_radius_m
        ox, oy = tr.xy

        def went_on(root: int) -> bool:
            u = self._upright.get(root)
            return u is not None and u.t > snap[0] and math.hypot(u.x - ox, u.y - oy) > r

        if any(root != tr.root and went_on(root) for root in snap[2]):
            return None  # an owner stepped out of the blob and walked away: a bag set down
        if any(n.standing and went_on(n.root) for n in snap[1]):
            return None  # stood by it, then left it: a bag set down
        obj = [q for q in tr.samples if q.kind == OBJECT]
        if len(obj) < 2 * self.p.min_upright_samples:
            return None  # seen too little (a track coasting on the spot): nothing to judge
        true_m = _median([unblurred_height_m(q.height_m, q.person_px, self.margin_px, self.body)
                          for q in obj])
        top_now = _median([q.box[1] for q in obj])
        own = self._own_down(sc, tr, obj, true_m, top_now,
                             [n for n in snap[1] if n.root == tr.root and not went_on(n.root)])
        if own is not None:
            return own
        if obj[-1].person_px < self.p.down_min_person_px:
            return None  # too small to tell a body from a bag by its size
        if not self._body_sized(_median([q.height_m for q in obj]),
                                _median([q.width_m for q in obj]), true_m,
                                sc.lying_height_m(tr.xy)):
            return None  # a bag, a scrap of someone half hidden, someone standing: not a body
        for n in snap[1]:
            if went_on(n.root):
                continue
            if top_now - n.seen.top >= self.p.down_min_drop * n.seen.person_px:
                return n.seen
        return None

    def _own_down(self, sc: Scene, tr, obj: list, true_m: float, top_now: float,
                  own: list[Near]):
        """Far off, where no lying body reads as tall as ``down_min_height_m``: the object's
        own lineage was the upright person and its head came down (``Fall.down_own_px``)."""
        p = self.p
        lying_m = sc.lying_height_m(tr.xy)
        if (not own or p.down_own_px <= 0 or obj[-1].person_px < p.down_own_px
                or not true_m <= lying_m < p.down_min_height_m
                or _median([q.height_m for q in obj]) < p.down_own_min_height_m
                or _median([q.width_m for q in obj]) < p.down_own_min_width_m):
            return None
        seen = own[0].seen
        if p.down_own_came_down > 0 and seen.height_m > p.down_own_came_down * seen.standing_m:
            return None  # the head not seen coming down: the blob lost a part (a bag set down)
        return seen if top_now - seen.top >= p.down_min_drop * seen.person_px else None

    def _body_sized(self, height_m: float, width_m: float, true_m: float,
                    lying_m: float) -> bool:
        """Taller and wider than a bag reads (``down_min_height_m``, ``down_min_width_m``), or
        wider than any bag reads and not a scrap (``down_wide_m``, ``down_wide_min_height_m``):
        a body lying aslant the line of sight is lower than one lying along it but wider.
        Either way no taller, less the blur margin (``true_m``), than a body lying there can
        read (``lying_m``): taller is someone still standing, half faded."""
        p = self.p
        if true_m > lying_m:
            return False
        return ((height_m >= p.down_min_height_m and width_m >= p.down_min_width_m)
                or (p.down_wide_m > 0 and width_m >= p.down_wide_m
                    and height_m >= p.down_wide_min_height_m))


def _median(v: list[float]) -> float:
    v = sorted(v)
    return v[len(v) // 2]


def first_object_t(tr) -> float:
    return next((q.t for q in tr.samples if q.kind == OBJECT), tr.samples[-1].t)
