"""Cheaper head-detector inputs, measured on tune seeds before any becomes a default.

    python -m experiments.cctv_speed_check collect scenarios/cctv_identification.yaml --seed 1 \\
        --from 1330 --to 1350 --fps 5 --out DIR/s1
    python -m experiments.cctv_track_tune replay DIR/s1 DIR/s2 DIR/s3 \\
        --grid "assoc=head;head_scale=2;lost_s=1;relink=1;height=810,810g,810l,810gl"

``collect`` renders each face camera of the window once and caches, in the replay tuner's format
(:mod:`experiments.cctv_track_tune`), the head detector's heads under each variant of
:data:`VARIANTS` (keys such as ``810g``: 810 rows, grey), beside the faces, histograms and
ground truth; it also records each variant's CPU seconds per frame on the head detector and how
many of its heads match the default's (IoU >= 0.9) in ``speed.json``. ``replay`` then scores
tracking with each variant as ``height``. Tune seeds only: 101-103 are refused.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from experiments.cctv_track_tune import HELD_OUT, load, window_args
from experiments.cctv_track_tune import collect as cache_window
# cache key -> HeadDetector options; 810 (the replay tuner's default ``height``) is the default
# detector
VARIANTS = {810: {}, "810g": {"grey": True}, "810l": {"resize": "linear"},
            "810gl": {"grey": True, "resize": "linear"}}


def matched(default: np.ndarray, other: np.ndarray, min_iou: float = 0.9) -> int:
    """Heads of ``default`` with a head of ``other`` at IoU >= ``min_iou`` (greedy, one to one)."""
    from pipeline.cctv.metrics import _iou  # the pairwise IoU the tracking metrics use

    if not len(default) or not len(other):
        return 0
    iou = _iou(default, other)
    hits = 0
    while iou.size and iou.max() >= min_iou:
        i, j = np.unravel_index(np.argmax(iou), iou.shape)
        hits += 1
        iou[i, :], iou[:, j] = -1, -1
    return hits


def collect(scenario: str, seed: int, window: tuple[float, float], fps: float, out: Path,
            cameras: list[str] | None = None) -> dict:
    """The replay tuner's cache with one head detector per variant
    (:func:`experiments.cctv_track_tune.collect`), then each variant's CPU per frame and how
    many of its heads match the default's, in ``speed.json``."""
    from outputs.atomic import write_json
    from pipeline.cctv.heads import HeadDetector

    if seed in HELD_OUT:
        raise SystemExit(f"--seed {seed} is held out; measure on tune seeds 1, 2, 3")
    cpu = dict.fromkeys(VARIANTS, 0.0)
    cache_window(scenario, seed, window, fps, out, cameras, cpu=cpu,
                 heads={key: HeadDetector(**opts) for key, opts in VARIANTS.items()})
    found, same, n = dict.fromkeys(VARIANTS, 0), dict.fromkeys(VARIANTS, 0), 0
    for cam in load(out):
        for rec in cam["frames"]:
            n += 1
            for key in VARIANTS:
                hb = rec["heads"][key][0]
                found[key] += len(hb)
                same[key] += matched(rec["heads"][810][0], hb)
    report = {"seed": seed, "window": list(window), "fps": fps, "frames": n,
              "variants": {str(k): {"options": VARIANTS[k], "cpu_ms_per_frame": cpu[k] / n * 1000,
                               "heads": found[k], "heads_of_default_kept_iou90": same[k]}
                           for k in VARIANTS}}
    write_json(out / "speed.json", report)
    return report


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = window_args(sub.add_parser("collect"))
    c.add_argument("--out", type=Path, required=True)
    a = ap.parse_args(argv)
    r = collect(a.scenario, a.seed, (a.t_from, a.t_to), a.fps, a.out,
                a.cameras.split(",") if a.cameras else None)
    print(json.dumps(r, indent=1))


if __name__ == "__main__":
    main()
