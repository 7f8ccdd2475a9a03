"""Falls: a person going from upright to lying, or down as something else where they stood
(see :class:`FallRule`). Moved out of :mod:`pipeline.danger.rules` (round 7) unchanged but for
its round-7 checks."""

from __future__ import annotations

import math

from collections import deque

import numpy as np

from pipeline.danger import config as C
from pipeline.danger.memory import repeated
from pipeline.danger.observe import LYING, OBJECT, PERSON, unblurred_height_m
from pipeline.danger.person_down import PersonDown, first_object_t
from pipeline.danger.scene import Alert, Scene, int_box
from pipeline.danger.track import Track


class FallRule:
    """A person going from upright to lying and staying there: a wide, low blob that stays put
    for ``lying_s`` where someone stood moments before.

    Best evidence is one track going from upright to lying with the top of its box dropping by
    a good part of a person's height: when a standing person is only half hidden by someone in
    front, the blob turns low and wide too, but its top (the head) stays where it was. When the
    track broke in the tumble, a person seen standing on that spot moments before will do,
    except in waiting areas, where someone always was.

    Far off, a body lying along the line of sight reads as a compact object instead: a person
    upright on that spot moments before who never walked on, whose head came down, and whom
    nobody walked away from (:class:`~pipeline.danger.person_down.PersonDown`), lying still
    for ``lying_s``, is a fall too."""

    kind = "fall"

    def __init__(self, p: C.Fall = C.Fall(), down: PersonDown | None = None):
        self.p = p
        self._upright: deque[tuple[float, float, float]] = deque()  # (t, x, y) of persons
        self._done: set[int] = set()
        self._alerted: list[tuple[float, tuple[float, float]]] = []
        self._down = down or PersonDown(p)

    def update(self, sc: Scene) -> list[Alert]:
        self._down.update(sc)
        for tr in sc.tracks:
            if tr.seen and tr.samples[-1].kind == PERSON:
                self._upright.append((sc.t, *tr.xy))
        while self._upright and self._upright[0][0] < sc.t - self.p.upright_within_s - 30:
            self._upright.popleft()
        out = []
        for tr in sc.tracks:
            if tr.root in self._done or not sc.shapely(tr):
                continue
            if tr.kind == OBJECT:
                out += self._down_as_object(sc, tr)
                continue
            if tr.kind == PERSON:
                out += self._shrunk_in_place(sc, tr)
                continue
            if tr.kind != LYING:
                continue
            if not sc.on_floor(tr):
                continue
            if sc.geometry.in_service_area(tr.xy):  # half hidden by a counter, not lying
                continue
            samples = list(tr.samples)
            first = next(i for i, q in enumerate(samples) if q.kind == LYING)
            lying = [q for q in samples[first:] if q.kind == LYING]
            start = lying[0].t
            if sc.t - start < self.p.lying_s or tr.displacement(self.p.lying_s, sc.t) > self.p.static_m:
                continue
            if float(np.median([q.width_m for q in lying])) < self.p.min_width_m:
                continue
            # a box cut by the image border has no head to compare (tune seed 15, 11.6 m: the
            # faller walked in from the frame's bottom edge, clipped until she went down)
            upright = [q for q in samples[:first] if q.kind == PERSON and not q.clipped
                       and start - q.t <= self.p.upright_within_s]
            if len(upright) >= self.p.min_upright_samples:
                top_before = float(np.median([q.box[1] for q in upright[-5:]]))
                top_now = float(np.median([q.box[1] for q in lying]))
                if top_now - top_before < self.p.min_drop * lying[-1].person_px:
                    continue  # the head did not come down: half hidden, not fallen
            elif sc.geometry.in_waiting_area(tr.xy) or not self._person_was_here(tr.xy, start):
                continue
            out += self._alert(sc, tr, 0.7, f"lying {sc.t - start:.0f} s")
        return out

    def _alert(self, sc: Scene, tr: Track, confidence: float, text: str) -> list[Alert]:
        """The track's fall is judged (never again); one alert unless one was raised close by
        a moment ago."""
        self._done.add(tr.root)
        if repeated(self._alerted, tr.xy, sc.t, self.p.repeat_m, self.p.repeat_s):
            return []
        self._alerted.append((sc.t, tr.xy))
        return [Alert(self.kind, sc.camera, sc.t, sc.zone_of(tr), (tr.id,), confidence,
                      int_box(tr.box), text)]

    def _down_as_object(self, sc: Scene, tr: Track) -> list[Alert]:
        """A person down far off, read as an object (see the class)."""
        if not sc.on_floor(tr) or sc.geometry.in_service_area(tr.xy) \
                or sc.geometry.in_waiting_area(tr.xy):
            return []
        start = first_object_t(tr)
        if sc.t - start < self.p.lying_s or tr.displacement(self.p.lying_s, sc.t) > self.p.static_m:
            return []
        if len(tr.recent(self.p.lying_s, sc.t)) < self.p.down_min_recent:
            return []
        if self._down.down(sc, tr) is None:
            return []
        return self._alert(sc, tr, 0.6, f"down {sc.t - start:.0f} s (reads as an object)")

    def _shrunk_in_place(self, sc: Scene, tr: Track) -> list[Alert]:
        """A body lying along the line of sight near the camera, read as a short upright
        person where it stood (see ``Fall.shrunk_s``)."""
        p = self.p
        q = tr.samples[-1]
        if (p.shrunk_s <= 0 or q.t != sc.t or q.clipped
                or q.person_px < p.shrunk_min_person_px):
            return []
        now = tr.recent(p.shrunk_s, sc.t)
        if (len(now) < 2 * p.min_upright_samples or now[0].t > sc.t - p.shrunk_s + 0.5
                or any(s.clipped or s.kind != PERSON for s in now)):
            return []
        start = now[0].t
        before = [s for s in tr.samples if s.t < start and start - s.t <= p.upright_within_s]
        before = before[-p.min_upright_samples:]
        if (len(before) < p.min_upright_samples
                or any(s.clipped or s.kind != PERSON or s.height_m < p.shrunk_before_m
                       for s in before)):
            return []
        px = q.person_px
        top_drop = float(np.median([s.box[1] for s in now]) - np.median([s.box[1] for s in before]))
        foot_moved = abs(float(np.median([s.box[3] for s in now])
                               - np.median([s.box[3] for s in before])))
        if top_drop < p.shrunk_min_drop * px or foot_moved > 0.1 * px:
            return []
        first = tr.samples[0]
        if (p.shrunk_came_m > 0 and tr.since >= first.t
                and math.hypot(first.x - q.x, first.y - q.y) < p.shrunk_came_m):
            return []  # born on the spot: it merged with something short already there
        if tr.displacement(p.shrunk_s, sc.t) > 0.3 or not sc.on_floor(tr) \
                or sc.geometry.in_service_area(tr.xy) or sc.geometry.in_waiting_area(tr.xy):
            return []
        if any(self._too_tall(sc, s) for s in now):  # last: a projection per sample
            return []
        return self._alert(sc, tr, 0.6, f"down {sc.t - start:.0f} s (reads as a short person)")

    def _too_tall(self, sc: Scene, q) -> bool:
        """Taller than a body lying along the line of sight reads at its spot, less the blur
        margin (:meth:`Scene.lying_height_m`), or than ``shrunk_max_height_m`` where that is
        set: someone standing, not down."""
        if self.p.shrunk_max_height_m > 0:
            return q.height_m > self.p.shrunk_max_height_m
        return (unblurred_height_m(q.height_m, q.person_px, self._down.margin_px, self._down.body)
                > sc.lying_height_m((q.x, q.y)))

    def _person_was_here(self, xy, start: float) -> bool:
        r2 = self.p.upright_radius_m ** 2
        return any(start - self.p.upright_within_s <= t <= start + 1.0
                   and (x - xy[0]) ** 2 + (y - xy[1]) ** 2 <= r2 for t, x, y in self._upright)
