"""Calibration on airtwin's own rendered faces: the fixed-seed identity set, the renderer's
fingerprint, and :func:`calibrate_synthetic` (render, then :func:`pipeline.calibration.calibrate`).

The thresholds a calibration measures hold for the faces it was measured on, so each one records
:func:`renderer_fingerprint`; a test fails when the shipped calibration no longer matches.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

import numpy as np

from pipeline.calibration import (CALIBRATION_SEED, LIVES_PER_IDENTITY, TARGET_FMRS, Calibration,
                                  calibrate)


def renderer_fingerprint() -> str:
    """SHA-256 (first 16 hex digits) of the face renderer's sources: the scores a calibration
    measured hold for these faces only."""
    import sim.faces

    h = hashlib.sha256()
    for f in sorted(Path(sim.faces.__file__).parent.glob("*.py")):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def render_set(n_identities: int, lives: int = LIVES_PER_IDENTITY, seed: int = CALIBRATION_SEED,
               progress: Callable[[int], None] | None = None) -> list[list]:
    """Per identity (keys ``(seed, i)``): its enrolment photo then ``lives`` live captures."""
    from sim.faces import make_identity, render_enrolment, render_live

    out = []
    for i in range(n_identities):
        idt = make_identity((seed, i))
        rng = np.random.default_rng([seed, i])
        out.append([render_enrolment(idt)] + [render_live(idt, rng) for _ in range(lives)])
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
