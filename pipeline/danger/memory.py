"""What several danger rules share: whether a track stayed one upright person or group
(:func:`steady`), which lineages stood in a crowd (:class:`CrowdMemory`), whether an alert repeats
one already given (:func:`repeated`), and floor distances."""

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
