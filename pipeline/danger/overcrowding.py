"""Overcrowding: persons/m² per density window against the zone's level-of-service band.

The window densities come from the stream (:meth:`CameraStream._window_density`: the foreground
count, the occupancy model, the view's crowd factor). A crowd that stands still reads under its
count more than one that moves: the detector holds the foreground of people standing still, so
the reading of a still crowd is frozen, and its silhouettes, packed and unmoving, hide each
other for good (``rules.overcrowding.steady_s``; round 16).
"""

from __future__ import annotations

import math
from collections import deque

from pipeline.danger import config as C
from pipeline.danger.scene import Alert, Region, Scene, confidence


class Steadiness:
    """Per window, whether its reading has held still for ``span_s``: the spread (standard
    deviation over mean) of its readings over the last ``span_s`` seconds under ``cv``. Running
    sums, so a frame costs O(windows)."""

    def __init__(self, span_s: float, cv: float):
        self.span_s, self.cv = span_s, cv
        self._hist: dict[str, deque[tuple[float, float]]] = {}
        self._sums: dict[str, list[float]] = {}  # name → [sum, sum of squares]

    def update(self, t: float, density: dict[str, float]) -> set[str]:
        """Add this frame's readings; the windows steady over the last ``span_s``."""
        out = set()
        for name, d in density.items():
            h = self._hist.setdefault(name, deque())
            s = self._sums.setdefault(name, [0.0, 0.0])
            h.append((t, d))
            s[0] += d
            s[1] += d * d
            while h and h[0][0] < t - self.span_s - 1e-6:
                _, old = h.popleft()
                s[0] -= old
                s[1] -= old * old
            if t - h[0][0] < self.span_s - 0.5 or len(h) < 2:
                continue  # not watched that long yet
            mean = s[0] / len(h)
            if mean <= 0:
                continue
            var = max(s[1] / len(h) - mean * mean, 0.0)
            if math.sqrt(var) < self.cv * mean:
                out.add(name)
        return out


class OvercrowdingRule:
    """A zone is overcrowded when any density window in it stays above the zone's limit for
    ``sustain_s``; one alert per episode, re-armed once every window of the zone has been
    below the limit for ``clear_s``. A window whose reading has held still for ``steady_s``
    (a crowd standing still) is read ``steady_factor`` times its density."""

    kind = "overcrowding"

    def __init__(self, p: C.Overcrowding = C.Overcrowding()):
        self.p = p
        self._over_since: dict[str, float] = {}
        self._under_since: dict[str, float] = {}
        self._armed: dict[str, bool] = {}
        self._steady = Steadiness(p.steady_s, p.steady_cv) if p.steady_s > 0 else None

    def update(self, sc: Scene) -> list[Alert]:
        steady = self._steady.update(sc.t, sc.density) if self._steady is not None else set()
        worst: dict[str, tuple[float, float, Region]] = {}  # zone → (ratio, density, window)
        for name, dens in sc.density.items():
            region = sc.regions[name]
            limit = self.p.density_per_m2 or region.limit_per_m2
            if limit is None:
                continue
            if name in steady:
                dens *= self.p.steady_factor
            ratio = dens / (limit * self.p.margin)
            if region.zone not in worst or ratio > worst[region.zone][0]:
                worst[region.zone] = (ratio, dens, region)
        out = []
        for zone, (ratio, dens, region) in worst.items():
            armed = self._armed.setdefault(zone, True)
            if ratio > 1.0:
                self._under_since.pop(zone, None)
                since = self._over_since.setdefault(zone, sc.t)
                if armed and sc.t - since >= self.p.sustain_s:
                    self._armed[zone] = False
                    limit = dens / ratio / self.p.margin
                    out.append(Alert(self.kind, sc.camera, sc.t, zone, (), confidence(ratio, 1.0),
                                     region.box, f"{dens:.2f} persons/m² where the level of "
                                     f"service allows {limit:.2f}, on {region.area_m2:.0f} m²"))
            else:
                self._over_since.pop(zone, None)
                under = self._under_since.setdefault(zone, sc.t)
                if not armed and sc.t - under >= self.p.clear_s:
                    self._armed[zone] = True
        return out
