"""How dark skin's face reads to a detector: the sheen of the T-zone and the lash line.

On dark skin the face's own shading carries little contrast (a shadow on albedo 0.3 moves a
pixel a third as far as on albedo 0.7), and dlib's HOG detector finds dark faces least
(docs/faces.md, issue 13). Two levers that move no feature, so they do not pull faces towards
a shared shape (round 11's offset did, and raised ArcFace impostors):

- ``SHEEN``: the specular strength of the forehead and nose (the T-zone) raised by this
  factor times the face's darkness. Dark skin shows its sheen (the surface reflection, about
  the same on every skin) against less diffuse light, so highlights read stronger on it;
  the cheeks, where ITA is measured, keep the shared strength. -1 takes the T-zone's sheen
  off the darkest skin.
- ``LASH``: the lash line's width raised by this factor times the darkness (round 6: a wider
  line lifted HOG's scores most of the eye's drawing, for everyone).

:func:`darkness` is 0 for skin of albedo luminance >= ``LIGHT`` (all of I-II and III-IV) and
1 at ``LIGHT - SPAN`` and below (the darkest V-VI). Both levers are off (0.0; docs/faces.md,
issue 13 round 12): ``SHEEN`` 2 lowered V-VI's HOG scores (the highlight lands on the brow
ridge, where HOG wants the brows dark); ``LASH`` 0.8 lifted them +0.04 .. +0.06 at no
ArcFace cost but moved no miss over three seeds of 200 identities (one lost, one gained).
Measure with ``python -m experiments.face_directions run --variant lash08`` (or ``sheen2``).
"""

from __future__ import annotations

import numpy as np

from sim.faces.identity import Identity

SHEEN = 0.0
LASH = 0.0
LIGHT = 0.5  # albedo luminance (BT.601 weights) above which a skin gets neither lever
SPAN = 0.25  # ... and how far below it a skin gets them in full


def darkness(idt: Identity) -> float:
    """0 (light skin) .. 1 (the darkest): how much of the levers this skin gets."""
    luma = float(np.dot(idt.skin_bgr, (0.114, 0.587, 0.299)))
    return float(np.clip((LIGHT - luma) / SPAN, 0.0, 1.0))


def _gain(name: str, value: float, idt: Identity) -> float:
    if not np.isfinite(value) or value < -1:
        raise ValueError(f"dark_skin.{name}: expected a finite factor >= -1, got {value!r}")
    return 1.0 + value * darkness(idt)


def sheen_gain(idt: Identity) -> float:
    """Factor on the T-zone's specular strength (1 with ``SHEEN`` off)."""
    return _gain("SHEEN", SHEEN, idt)


def lash_gain(idt: Identity) -> float:
    """Factor on the lash line's width (1 with ``LASH`` off)."""
    return _gain("LASH", LASH, idt)
