"""Cheaper head-detector inputs, measured on tune seeds before any becomes a default.

    python -m experiments.cctv_speed_check collect scenarios/cctv_identification.yaml --seed 1 \\
        --from 1330 --to 1350 --fps 5 --out DIR/s1
    python -m experiments.cctv_track_tune replay DIR/s1 DIR/s2 DIR/s3 \\
        --grid "assoc=head;head_scale=2;lost_s=1;relink=1;height=810,810g,810l,810gl"
    python -m experiments.cctv_speed_check band-cost scenarios/cctv_identification.yaml \
        --seed 1 --from 1340 --to 1341 --cameras hall_exit,corridor_far --variants "0;300:whole;300:120"

``collect`` renders each face camera of the window once and caches, in the replay tuner's format
(:mod:`experiments.cctv_track_tune`), the head detector's heads under each variant of
:data:`VARIANTS` (keys such as ``810g``: 810 rows, grey), beside the faces, histograms and
ground truth; it also records each variant's CPU seconds per frame on the head detector and how
many of its heads match the default's (IoU >= 0.9) in ``speed.json``. ``replay`` then scores
tracking with each variant as ``height``. ``band-cost`` times the head detector with the far
band's variants (whole frame, cropped, every n-th frame) back to back on one frame a camera.
Tune seeds only: the held-out seeds (:data:`experiments.cctv_track_tune.HELD_OUT`) are refused.
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
    from pipeline.vision.detections import iou_matrix  # the pairwise IoU the tracking metrics use

    if not len(default) or not len(other):
        return 0
    iou = iou_matrix(default, other)
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
    from pipeline.vision.heads import HeadDetector

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


def band_variants(spec: str) -> dict[str, dict]:
    """``"0;300:whole;300:120"`` -> label -> HeadDetector options: ROWS (0: off) and the band
    pass's margin (``whole``: the whole frame; default :data:`pipeline.vision.heads.BAND_MARGIN`)
    and, after a second colon, ``band_every``."""
    out = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        rows, _, rest = part.partition(":")
        margin, _, every = rest.partition(":")
        opts = {"band": int(rows)}
        if margin:
            opts["band_margin"] = None if margin == "whole" else int(margin)
        if every:
            opts["band_every"] = int(every)
        out[part] = opts
    return out


def band_cost(frames: dict, variants: dict[str, dict], repeat: int = 7) -> dict:
    """CPU ms per frame of :meth:`HeadDetector.heads` under each variant, on each camera's
    frame (camera -> image): the variants take turns, ``repeat`` rounds back to back (after
    one warm-up round); the median and every round's figure (a variant with ``band_every``
    n: the mean over n calls, one with the band's pass)."""
    import time

    from pipeline.vision.heads import HeadDetector

    dets = {k: HeadDetector(**opts) for k, opts in variants.items()}
    out = {}
    for cam, image in frames.items():
        times = {k: [] for k in dets}
        for r in range(repeat + 1):
            for k, det in dets.items():
                det.reset()  # a variant with band_every n: the mean over n frames
                c0 = time.process_time()
                for _ in range(det.band_every):
                    det.heads(image)
                if r:
                    times[k].append((time.process_time() - c0) * 1000 / det.band_every)
        out[cam] = {k: {"median_ms": float(np.median(v)), "ms": [round(x, 1) for x in v]}
                    for k, v in times.items()}
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = window_args(sub.add_parser("collect"))
    c.add_argument("--out", type=Path, required=True)
    b = window_args(sub.add_parser("band-cost", help="the far band's CPU per frame: the head "
                                   "detector under band variants on each camera's first frame "
                                   "of the window"))
    b.add_argument("--variants", default="0;300:whole;300:120",
                   help="ROWS[:MARGIN|whole[:EVERY]];... (0: no band)")
    b.add_argument("--repeat", type=int, default=7)
    a = ap.parse_args(argv)
    if a.cmd == "band-cost":
        from experiments.cctv_sources import scenario_source

        if a.seed in HELD_OUT:
            raise SystemExit(f"--seed {a.seed} is held out; measure on tune seeds")
        src = scenario_source(a.scenario, a.seed, (a.t_from, a.t_to),
                              a.cameras.split(",") if a.cameras else None, fps=a.fps)
        frames = {cam: next(iter(src.frames(cam))).image for cam in src.cameras}
        r = band_cost(frames, band_variants(a.variants), a.repeat)
        for cam, v in r.items():
            for k, m in v.items():
                print(f"{cam:14s} {k:12s} {m['median_ms']:7.1f} ms  {m['ms']}")
        return
    r = collect(a.scenario, a.seed, (a.t_from, a.t_to), a.fps, a.out,
                a.cameras.split(",") if a.cameras else None)
    print(json.dumps(r, indent=1))


if __name__ == "__main__":
    main()
