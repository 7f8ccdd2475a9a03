"""CCTV operating settings per recogniser: the 1:N decision threshold and the detector's input.

A CCTV face is not an e-gate face: smaller, blurred, compressed, turned and lit from above, so
its genuine scores sit well below a gate's, and a threshold calibrated on e-gate captures (the
shipped dlib calibration: 0.968 cosine at FMR 1e-3) identifies almost nobody on CCTV. Each
recogniser therefore has its own CCTV threshold here, chosen on TUNE seeds only (see
``CCTV_THRESHOLDS`` for which) from the non-mated searches' scores at FPIR 1e-2, and never
re-chosen on the seeds it is reported on.

The threshold can follow the gallery's size N (:class:`SizedThreshold`): the best of N impostor
scores grows with N, so a threshold fixed at one size lets more false identifications through
at a larger one. ``CCTV_SIZE_GROWTH`` holds, per recogniser, the size its threshold was chosen
at and how much the threshold rises per unit of ln N to keep the same FPIR (fitted on tune
seeds from each probe's impostor tail, extreme-value style; ``experiments.cctv_operating_n``).
``FOLLOW_GALLERY_SIZE`` is the shipped default of that setting; the stream applies the rule at
its own gallery's size, and every run records the threshold it used and for which N.

Detection input: a face camera is detected at ``DETECTION_SCALE`` times below its frame
(1920x1080 -> 640x384, 3840x2160 -> 1280x736), keeping the frame's aspect ratio so no input
pixel is letterbox padding. SCRFD det_500m still finds every face of IPD >= 20 px at that scale
on the scenario's cameras, at about 60 % of a square 640 input's cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["CctvOperatingPoint", "CCTV_SIZE_GROWTH", "CCTV_THRESHOLDS", "DETECTION_SCALE",
           "FOLLOW_GALLERY_SIZE", "SizedThreshold", "cctv_decision", "cctv_operating_point",
           "detection_input", "threshold_at"]

DETECTION_SCALE = 3.0

# embedder name -> (threshold, where it was chosen). Cosine similarity of the track's
# aggregated template to the best gallery template.
CCTV_THRESHOLDS: dict[str, tuple[float, str]] = {
    "arcface:w600k_mbf_int8": (
        # FPIR 1e-2 on tune seed 2's 129 non-mated searches (1330-1450 s of all five cameras at
        # 5 fps, head-detector person boxes, 50 % of the manifest held out, per-person face
        # texture): just above the second-highest non-mated top score, 0.6979. History: 0.60 from
        # 12 non-mated searches let 19 % of held-out seed 102's through; 0.661 was chosen the same
        # way before the faces gained per-person texture. On held-out seed 102 (same window, 171
        # non-mated searches) 0.698 gives FPIR 0 and FNIR 0.81 (rank-1 0.85): synthetic
        # impostors still score high (issue 13), so a low FPIR costs most genuine matches.
        0.698, "cctv_identification.yaml tune seed 2, 1330-1450 s at 5 fps (manifest, 50 % "
               "held out): FPIR 1e-2 over 129 non-mated searches"),
}


# embedder name -> (the gallery size its CCTV threshold was chosen at, the threshold's rise per
# unit of ln N that holds the FPIR there at any N, the smallest N the rise was fitted at (a
# smaller gallery, e.g. a watchlist of a few, gets that size's threshold: the fit is not
# extrapolated downwards), where that rise was fitted).
CCTV_SIZE_GROWTH: dict[str, tuple[int, float, int, str]] = {
    "arcface:w600k_mbf_int8": (
        # 0.698 was chosen on a 234-identity manifest gallery (50 % of ~470 held out). The rise:
        # FPIR 1e-2 held at N = 60 ... 100,000 by each non-mated probe's impostor tail above
        # its 24th highest score (generalised Pareto, pooled shape -0.17), fitted on tune seeds
        # 1-4 (corridor_far 1270-1510 s, whole manifest, 588 probes) and t(N) = a + b ln N
        # least squares (a = 0.585, b = 0.0145); checked on tune seeds 5-8.
        234, 0.0145, 60, "tune seeds 1-4, corridor_far 1270-1510 s, 588 non-mated probes: "
                     "impostor tail per probe at FPIR 1e-2"),
}

# The setting: the CCTV threshold follows the gallery's size (True) or stays where it was
# chosen, whatever the size (False). On: on check seeds 5-8 (555 non-mated searches) the
# rise held FPIR at 0.0098 / 0.0080 / 0.0090 / 0.0072 / 0.0018 / 0 at N = 120 / 234 / 463 /
# +1k / +10k / +100k where a fixed threshold at the same level went 0.0046 / 0.0080 / 0.0126 /
# 0.0126 / 0.034 / 0.063; at N = 234 nothing changes (the rule is 0.698 there).
FOLLOW_GALLERY_SIZE = True


@dataclass(frozen=True, slots=True)
class SizedThreshold:
    """A 1:N decision threshold for a gallery of N identities: ``threshold`` at ``size``, plus
    ``per_ln_size`` for each unit of ln(N / size) (the best of N impostors grows about with
    ln N for a light-tailed score); a gallery under ``min_size`` gets ``min_size``'s."""
    threshold: float
    size: int
    per_ln_size: float
    min_size: int = 1

    def __post_init__(self):
        if not (1 <= self.min_size <= self.size and math.isfinite(self.threshold)
                and math.isfinite(self.per_ln_size) and self.per_ln_size >= 0):
            raise ValueError(f"SizedThreshold: 1 <= min_size <= size, finite threshold and "
                             f"rise >= 0, got {self.min_size}, {self.size}, {self.threshold}, "
                             f"{self.per_ln_size}")

    def at(self, n: int) -> float:
        """The threshold for a gallery of ``n`` identities."""
        return self.threshold + self.per_ln_size * math.log(max(int(n), self.min_size)
                                                            / self.size)

    def describe(self) -> str:
        return (f"{self.threshold:.3f} at N={self.size:,} + {self.per_ln_size:.4f} "
                f"ln(N/{self.size:,}), N >= {self.min_size:,}")


def threshold_at(threshold: float | SizedThreshold, n: int) -> float:
    """The decision threshold a search of a gallery of ``n`` identities uses."""
    return threshold.at(n) if isinstance(threshold, SizedThreshold) else float(threshold)


@dataclass(frozen=True, slots=True)
class CctvOperatingPoint:
    threshold: float  # at the size it was chosen at
    source: str
    sized: SizedThreshold | None = None  # set when the threshold follows the gallery's size

    @property
    def rule(self) -> float | SizedThreshold:
        """What a stream searches with: the sized rule, or the fixed threshold."""
        return self.threshold if self.sized is None else self.sized


def cctv_operating_point(embedder: str, follow_size: bool | None = None
                         ) -> CctvOperatingPoint | None:
    """The CCTV threshold chosen for ``embedder`` (e.g. ``arcface:w600k_mbf_int8``), or None
    when none was chosen for it (the caller then falls back to its gate calibration, marked).
    ``follow_size`` (default :data:`FOLLOW_GALLERY_SIZE`): the threshold follows the gallery's
    size where a growth was fitted for the recogniser (:data:`CCTV_SIZE_GROWTH`)."""
    hit = CCTV_THRESHOLDS.get(embedder)
    if hit is None:
        return None
    source = f"CCTV operating point: {hit[1]}"
    growth = CCTV_SIZE_GROWTH.get(embedder)
    if not (FOLLOW_GALLERY_SIZE if follow_size is None else follow_size) or growth is None:
        return CctvOperatingPoint(hit[0], source)
    sized = SizedThreshold(hit[0], growth[0], growth[1], growth[2])
    return CctvOperatingPoint(hit[0], f"{source}; following the gallery's size: "
                                      f"{sized.describe()} ({growth[3]})", sized)


def cctv_decision(embedder: str, given: float | None = None, gate=None,
                  follow_size: bool | None = None) -> CctvOperatingPoint:
    """The threshold a CCTV search of ``embedder`` decides with, and where it comes from:
    ``given`` (a user's ``--threshold``) when set, else the CCTV operating point chosen for the
    recogniser (:func:`cctv_operating_point`, following the gallery's size by default), else
    ``gate()``, the recogniser's e-gate calibration (an object with ``threshold`` and ``source``),
    marked as not a CCTV threshold: a gate's threshold names almost nobody on CCTV faces."""
    if given is not None:
        return CctvOperatingPoint(float(given), "given (--threshold)")
    cctv = cctv_operating_point(embedder, follow_size)
    if cctv is not None:
        return cctv
    if gate is None:
        raise ValueError(f"cctv_decision: no CCTV threshold was chosen for {embedder!r} and no "
                         f"gate calibration was given to fall back to")
    op = gate()
    return CctvOperatingPoint(float(op.threshold), f"gate calibration, not CCTV: {op.source}")


def detection_input(frame_size: tuple[int, int], scale: float = DETECTION_SCALE
                    ) -> tuple[int, int]:
    """(width, height) of the detector input for a frame: ``scale`` times smaller, each side
    rounded up to a multiple of 32 (SCRFD's largest stride)."""
    w, h = frame_size
    if w <= 0 or h <= 0 or not scale >= 1:
        raise ValueError(f"detection_input: frame size must be positive and scale >= 1, got "
                         f"{frame_size} and {scale}")
    return tuple(int(32 * math.ceil(v / scale / 32)) for v in (w, h))
