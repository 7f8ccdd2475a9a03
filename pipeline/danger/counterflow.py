"""Counterflow: a person walking against the hall's flow direction, steadily and for real
(not a crowd blob whose edge grows, not an identity switch's leap, not someone leaving a queue
or a processor). Parameters: :class:`pipeline.danger.config.Counterflow`."""

from __future__ import annotations

import math

from pipeline.danger import config as C
from pipeline.danger.memory import CrowdMemory, repeated, steady, waited
from pipeline.danger.observe import GROUP, PERSON
from pipeline.danger.scene import Alert, Scene, confidence, int_box


class CounterflowRule:
    kind = "counterflow"

    def __init__(self, p: C.Counterflow = C.Counterflow()):
        self.p = p
        self._done: set[int] = set()
        self._crowd = CrowdMemory()
        self._alerted: list[tuple[float, tuple[float, float]]] = []
        self._last_t: float | None = None
        self._frame_s = 0.0  # the shortest step between analysed frames seen so far

    def update(self, sc: Scene) -> list[Alert]:
        out = []
        self._crowd.update(sc)
        if self._last_t is not None and sc.t > self._last_t:
            step = sc.t - self._last_t
            self._frame_s = step if self._frame_s <= 0 else min(self._frame_s, step)
        self._last_t = sc.t
        for tr in sc.tracks:
            if tr.root in self._done or not tr.seen or tr.kind not in (PERSON, GROUP):
                continue
            if tr.root in self._crowd.roots:
                continue
            if not sc.readable(tr):
                continue
            zone = sc.geometry.zone(sc.zone_of(tr))
            if zone is None or zone.flow is None or sc.geometry.in_waiting_area(tr.xy):
                continue
            recent = tr.recent(self.p.window_s, sc.t)
            if len(recent) < 3 or recent[-1].t - recent[0].t < 0.8 * self.p.window_s:
                continue
            if not steady(recent) or not self._seen_enough(recent):
                continue
            # A blob of many people (a crowd merged in the picture) is no walker: its foot point
            # jumps as people join its edge (tune seed 6 at 762.2 s: a 13-person blob standing
            # still, then its bottom edge grew 2.7 m towards the camera, "walking" backwards)
            if max(s.persons for s in recent) > self.p.max_persons:
                continue
            fit = tr.velocity_and_error(self.p.window_s, sc.t)
            if fit is None:
                continue
            v, err = fit
            speed = math.hypot(*v)
            along = v[0] * zone.flow[0] + v[1] * zone.flow[1]
            against = _against(recent[0], recent[-1], zone.flow)
            if (speed < 1e-6 or -along - self.p.z_sigma * err < self.p.min_speed_mps
                    or along / speed > self.p.max_cos
                    or against < self.p.min_distance_m
                    or not _walked(recent, zone.flow, against, self.p.min_half_share)):
                continue
            # Someone leaving a queue or a processor (a referral walking back from an e-gate
            # to the desks) is not walking against the hall's flow; someone who walked
            # through a queue's lane without waiting in it may be. (Checked last: it reads
            # 15 s of samples.)
            if waited(sc, tr, self.p.after_waiting_s, self.p.min_speed_mps):
                continue
            self._done.add(tr.root)
            if repeated(self._alerted, tr.xy, sc.t, self.p.repeat_m, self.p.repeat_s):
                continue
            self._alerted.append((sc.t, tr.xy))
            out.append(Alert(self.kind, sc.camera, sc.t, zone.id, (tr.id,),
                             confidence(-along, self.p.min_speed_mps), int_box(tr.box),
                             f"{-along:.1f} m/s against the flow"))
        return out

    def _seen_enough(self, samples) -> bool:
        """The track was seen in ``min_seen_share`` of the analysed frames its samples span."""
        if self._frame_s <= 0:
            return True
        frames = (samples[-1].t - samples[0].t) / self._frame_s + 1.0
        return len(samples) >= self.p.min_seen_share * frames


def _walked(samples, flow, against: float, share: float) -> bool:
    """Each half of the window carries at least ``share`` of the distance moved against the
    flow: a walk, not a jump. An identity switch (a track coasting through a gap takes over
    someone 2.5 m behind it) or a blob whose edge grows stands still, then leaps: a line fit
    through that reads as a steady walk backwards (tune seed 1 at 329.8 s)."""
    mid_t = (samples[0].t + samples[-1].t) / 2
    mid = min(samples, key=lambda q: abs(q.t - mid_t))
    return (min(_against(samples[0], mid, flow), _against(mid, samples[-1], flow))
            >= share * against)


def _against(a, b, flow) -> float:
    """Metres from sample ``a`` to sample ``b`` against the unit ``flow`` direction."""
    return -((b.x - a.x) * flow[0] + (b.y - a.y) * flow[1])
