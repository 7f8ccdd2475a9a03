"""Overcrowding: persons/m² per density window against the zone's level-of-service band.

The window densities come from the stream (:meth:`CameraStream._window_density`: the foreground
count, the occupancy model, the view's crowd factor). A crowd that stands still reads under its
count more than one that moves: the detector holds the foreground of people standing still, so
the reading of a still crowd is frozen, and its silhouettes, packed and unmoving, hide each
other for good (``rules.overcrowding.steady_s``; round 16). Far off, where one standing body
covers more floor depth in the image than a window is deep, one row of people across the line of
sight (a queue's leg) fills a window's picture as a packed crowd does, and the occupancy model
reads it at its ceiling: such a window alerts only while the window in front of it shows people
too (``rules.overcrowding.los_share``; round 17).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from pipeline.danger import config as C
from pipeline.danger.scene import Alert, Region, Scene, confidence


def front_windows(names: list[str], centres: np.ndarray, zones: list[str],
                  camera_xy: np.ndarray, step_m: float) -> dict[str, str | None]:
    """Per density window, the window of the same zone whose centre lies nearest the point
    ``step_m`` (the windows' stride) from its own centre toward the camera, along the line of
    sight: the window in front of it (None: none within ``step_m``, e.g. the nearest row)."""
    centres = np.asarray(centres, float).reshape(-1, 2)
    toward = np.asarray(camera_xy, float)[:2] - centres
    toward /= np.maximum(np.linalg.norm(toward, axis=1, keepdims=True), 1e-9)
    target = centres + toward * step_m
    zones_arr = np.asarray(zones, object)
    out: dict[str, str | None] = {}
    for k, name in enumerate(names):
        d = np.linalg.norm(centres - target[k], axis=1)
        d[(zones_arr != zones[k]) | (np.arange(len(names)) == k)] = np.inf
        j = int(np.argmin(d)) if len(d) else -1
        out[name] = names[j] if j >= 0 and d[j] < step_m else None
    return out


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

    def _seen_in_front(self, name: str, region: Region, density: dict[str, float]) -> bool:
        """Whether a window's reading over the line may stand: always, unless one standing body
        covers ``los_span_m`` of floor depth or more in the image (a window is ``cell_m`` deep)
        and the window in front of it, along the line of sight, reads under ``los_share`` of its
        reading: a crowd deep enough to be one fills half of that one too, one row of people (a
        queue's leg) shows there only as the row's feet."""
        p = self.p
        if p.los_share <= 0 or region.front is None or region.body_span_m < p.los_span_m:
            return True
        return density.get(region.front, 0.0) >= p.los_share * density[name]

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
            if ratio > 1.0 and not self._seen_in_front(name, region, sc.density):
                ratio = 1.0  # one row across the line of sight reads as a packed crowd here
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
