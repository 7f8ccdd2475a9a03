"""What several danger rules share: whether a track stayed one upright person or group
(:func:`steady`), which lineages stood in a crowd (:class:`CrowdMemory`), whether an alert repeats
one already given (:func:`repeated`), whether a track left a queue or a processor
(:func:`waited`), and floor distances."""

from __future__ import annotations

import math

from pipeline.danger.observe import GROUP, PERSON
from pipeline.danger.scene import Scene
from pipeline.danger.track import Track


def steady(samples, max_ratio: float = 1.6) -> bool:
    """Upright the whole time and about the same size: no merge or split moved the foot point
    (a blob that swallows a passer-by jumps by a body's width in one frame)."""
    if any(s.kind not in (PERSON, GROUP) for s in samples):
        return False
    p = [s.persons for s in samples]
    return min(p) > 0 and max(p) / min(p) <= max_ratio


class CrowdMemory:
    """Lineages seen standing in a crowd (an overcrowding gathering): when the crowd breaks up
    its people walk off every way and have stood a long time, which is neither counterflow nor
    loitering."""

    def __init__(self):
        self.roots: set[int] = set()

    def update(self, sc: Scene) -> None:
        for tr in sc.tracks:
            if tr.seen and tr.root not in self.roots and sc.crowded(tr.xy):
                self.roots.add(tr.root)


def waited(sc: Scene, tr: Track, within_s: float, slow_mps: float,
           any_service: bool = True) -> bool:
    """At a processor (its service area), or waiting in a queue's lane (slower than
    ``slow_mps`` over a second or more there), within the last ``within_s``. A walker who crossed
    a queue's lane at a walking pace did not leave a queue (tune seed 8: the counterflow walker
    set off inside the e-gates' queue lane at 1.5 m/s and was never judged; tune seed 14: a
    runner crossing a processor's service area at 5 m/s was never judged as running).
    ``any_service`` False: time at a processor counts only when slow there, as in a lane."""
    if within_s <= 0:
        return False
    geo = sc.geometry
    inside = [q for q in tr.recent(within_s, sc.t) if geo.in_waiting_area((q.x, q.y))]
    if any_service and any(geo.in_service_area((q.x, q.y)) for q in inside):
        return True
    j = 0
    for q in inside:
        while j + 1 < len(inside) and inside[j + 1].t <= q.t - 1.0:
            j += 1
        a = inside[j]
        if q.t - a.t >= 1.0 and math.hypot(q.x - a.x, q.y - a.y) < slow_mps * (q.t - a.t):
            return True
    return False


def repeated(history: list, xy, t: float, radius: float, window_s: float) -> bool:
    """An alert of this rule this near, this recently: the same event seen again (a track that
    broke and came back with a new id)."""
    return any(t - t0 <= window_s and dist(xy, p) <= radius for t0, p in history)


def dist(a, b) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def nearest(xy, tracks: list[Track], radius: float) -> Track | None:
    best, best_d = None, radius
    for tr in tracks:
        d = dist(tr.xy, xy)
        if d <= best_d:
            best, best_d = tr, d
    return best
