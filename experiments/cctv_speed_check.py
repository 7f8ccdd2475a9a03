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
import pickle
import time
from pathlib import Path

import numpy as np

from experiments.cctv_track_tune import HELD_OUT, window_args
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
    from experiments.cctv_sources import scenario_source
    from experiments.cctv_track_tune import _histograms
    from outputs.atomic import write_json
    from outputs.progress import steps
    from pipeline.cctv.heads import HeadDetector, body_boxes_from_heads
    from pipeline.cctv.operating import detection_input
    from pipeline.cctv.persons import body_boxes_from_faces
    from pipeline.registry import get_detector

    if seed in HELD_OUT:
        raise SystemExit(f"--seed {seed} is held out; measure on tune seeds 1, 2, 3")
    src = scenario_source(scenario, seed, window, cameras, fps=fps)
    heads = {key: HeadDetector(**opts) for key, opts in VARIANTS.items()}
    out.mkdir(parents=True, exist_ok=True)
    cpu = dict.fromkeys(VARIANTS, 0.0)
    found = dict.fromkeys(VARIANTS, 0)
    same = dict.fromkeys(VARIANTS, 0)
    n = 0
    for cam, spec in src.cameras.items():
        det = get_detector("insightface", det_size=detection_input(spec.size), threads=1)
        det.prepare()
        frames = []
        with steps(f"seed {seed} {cam}", spec.n_frames, "frames") as advance:
            for f in src.frames(cam):
                advance()
                n += 1
                faces = np.array([d.box for d in det.detect(f.image)],
                                 np.float64).reshape(-1, 4)
                rec = {"t": f.t, "faces": faces, "truth": f.persons, "heads": {}}
                size = f.image.shape[1], f.image.shape[0]
                for key, hd in heads.items():
                    c0 = time.process_time()
                    hb, sc = hd.heads(f.image)
                    cpu[key] += time.process_time() - c0
                    rec["heads"][key] = (hb, sc, _histograms(f.image,
                                                             body_boxes_from_heads(hb, size)))
                    found[key] += len(hb)
                    same[key] += matched(rec["heads"][810][0], hb)
                rec["face_hist"] = _histograms(f.image, body_boxes_from_faces(faces, size))
                frames.append(rec)
        with open(out / f"{cam}.pkl", "wb") as fh:
            pickle.dump({"camera": cam, "fps": spec.fps, "size": spec.size, "seed": seed,
                         "frames": frames}, fh)
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
