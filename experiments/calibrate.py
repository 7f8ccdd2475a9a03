"""Calibration on airtwin's own rendered faces: the fixed-seed identity set, the renderer's
fingerprint, and :func:`calibrate_synthetic` (render, then :func:`pipeline.calibration.calibrate`).

The thresholds a calibration measures hold for the faces it was measured on, so each one records
:func:`renderer_fingerprint`; a test fails when the shipped calibration no longer matches.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

from pipeline.calibration import (CALIBRATION_SEED, LIVES_PER_IDENTITY, TARGET_FMRS, Calibration,
                                  calibrate)


def renderer_fingerprint() -> str:
    """SHA-256 (first 16 hex digits) of the face renderer's sources and the data they read
    (``sim/faces/*.json``: the detection-risk model) and of how the calibration set is drawn
    (this module): the scores a calibration measured hold for these faces only.
    What makes templates of them is :func:`pipeline.calibration.pipeline_fingerprint`."""
    import sim.faces

    h = hashlib.sha256()
    folder = Path(sim.faces.__file__).parent
    for f in sorted([*folder.glob("*.py"), *folder.glob("*.json")]):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    h.update(b"experiments/calibrate.py\0" + Path(__file__).read_bytes())
    return h.hexdigest()[:16]


def render_set(n_identities: int, lives: int = LIVES_PER_IDENTITY, seed: int = CALIBRATION_SEED,
               progress: Callable[[int], None] | None = None, change=None) -> list[list]:
    """Per identity (keys ``(seed, i)``): its enrolment photo then ``lives`` live captures.

    The photo shows the traveler as they were when it was taken (``change``, a
    :class:`sim.faces.ChangeSettings`, default on: up to ten years younger, weight, hair,
    glasses at the gate), as in live runs, so thresholds are measured on the faces decided on.
    """
    from sim.faces import ChangeSettings, make_identity
    from sim.faces.render import render_traveler

    change = ChangeSettings() if change is None else change
    out = []
    for i in range(n_identities):
        enrol, lives_, _ = render_traveler(make_identity((seed, i)), (seed, i), lives, change)
        out.append([enrol, *lives_])
        if progress:
            progress(1)
    return out


def calibrate_synthetic(recognizer, backend: str, n_identities: int = 200,
                        lives: int = LIVES_PER_IDENTITY, seed: int = CALIBRATION_SEED,
                        fmrs=TARGET_FMRS, progress: Callable[[int], None] | None = None,
                        captures: list[list] | None = None) -> Calibration:
    """Render :func:`render_set` (unless ``captures`` are given) and calibrate on it."""
    if captures is None:
        captures = render_set(n_identities, lives, seed, progress)
    return calibrate(recognizer, backend, captures, seed, fmrs, progress,
                     renderer=renderer_fingerprint())
