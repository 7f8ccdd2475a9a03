"""Train and measure the CCTV head-and-shoulders detector (:mod:`pipeline.vision.heads`) on
frames the simulator renders: dlib's HOG trainer on synthetic frames only.

    airtwin train heads --seeds 1,2,3 --out pipeline/vision/models/heads_hog.svm   # tune seeds
        # (frames every 194 s; the held-out evaluation samples every 97 s)
    python -m experiments.cctv_heads_train evaluate --seeds 101,102,103 \\
        --model pipeline/vision/models/heads_hog.svm                               # held out

Frames: ``scenarios/cctv_identification.yaml``'s five face cameras, the scenario's seed set to
each of ``--seeds``, at :func:`sample_times` (every 194 s from 300 s for training, 97 s for evaluation; every third on the crowded
reclaim camera, whose frames are slow to render), resized to
:data:`pipeline.vision.heads.TRAIN_HEIGHT` rows. Labels come from the renderer's ground truth
(``head_x1..head_y2``, ``head_occluded``): the head-and-shoulders box of every head at least
half visible (``head_occluded`` < 0.5), square (not cut by the image edge) and at least the
detector's window; every other drawn head is an *ignore* box (neither a miss nor a false
alarm, in training and in :func:`evaluate`).

:func:`evaluate` matches detections to labelled heads one-to-one (IoU >= 0.5 of the
head-and-shoulders boxes, greedy by score) per camera and reports recall, precision and the
CPU milliseconds per full-resolution frame the detector takes (resize included).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from pipeline.vision.heads import (TRAIN_COMMAND, TRAIN_HEIGHT, WINDOW_PX, HeadDetector,
                                 shoulder_boxes_from_heads)
from pipeline.vision.detections import iou_matrix

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "cctv_identification.yaml"
VISIBLE = 0.5  # a head is labelled when less than this share of it is covered
MIN_SQUARE = 0.85  # a clipped head box narrower than this (short side / long side) is cut
IOU_MATCH = 0.5


def sample_times(camera: str, horizon: float, step: float = 97.0) -> np.ndarray:
    t = np.arange(300.0, horizon - 1, step)
    return t[::3] if camera == "reclaim_exit" else t


def render_frames(scenario, seed: int, cameras=None, step: float = 97.0, max_frames=None):
    """(camera, t, image, persons table) for the face cameras at :func:`sample_times`; frames
    with nobody drawn are skipped."""
    from sim.feeds import CctvFeed, simulate_run
    from sim.loader import load_scenario

    s = load_scenario(scenario)
    records = simulate_run(s, seed)
    cams = [c.id for c in s.cameras if c.kind == "cctv" and c.faces is not None]
    for cid in cameras or cams:
        feed = CctvFeed(s, cid, records, seed)
        for t in sample_times(cid, float(s.horizon_s), step)[:max_frames]:
            f = feed.render(float(t))
            if len(f.persons):
                yield cid, float(f.t), f.image, f.persons_df


def head_labels(persons: pd.DataFrame, k: float, size: tuple[int, int]
                ) -> tuple[np.ndarray, np.ndarray]:
    """Head-and-shoulders boxes (N, 4) at scale ``k`` of the frame, and which are labelled
    (True) or ignored (False): see the module docstring."""
    p = persons[persons["head_x1"].notna()]
    heads = p[["head_x1", "head_y1", "head_x2", "head_y2"]].to_numpy(np.float64)
    w, h = heads[:, 2] - heads[:, 0], heads[:, 3] - heads[:, 1]
    hs = shoulder_boxes_from_heads(heads) * k
    square = np.minimum(w, h) / np.maximum(np.maximum(w, h), 1e-9) >= MIN_SQUARE
    inside = (hs[:, 0] >= -4) & (hs[:, 1] >= -4) & (hs[:, 2] <= size[0] + 4) & \
        (hs[:, 3] <= size[1] + 4)
    big = (hs[:, 2] - hs[:, 0]) >= WINDOW_PX
    labelled = (p["head_occluded"].to_numpy() < VISIBLE) & square & inside & big
    return hs, labelled


def build_dataset(folder: Path, seeds, scenario=SCENARIO, cameras=None, step: float = 97.0,
                  max_frames=None) -> pd.DataFrame:
    """Render the frames of ``seeds`` into ``folder`` (PNG at the training height) with their
    labels (``labels.parquet``: one row per head) and dlib's XML (``dataset.xml``)."""
    from outputs.progress import steps

    folder.mkdir(parents=True, exist_ok=True)
    rows, xml = [], ["<?xml version='1.0'?>", "<dataset>", "<images>"]
    with steps("render frames", None, "frames") as advance:
        for seed in seeds:
            for cid, t, img, persons in render_frames(scenario, seed, cameras, step, max_frames):
                k = TRAIN_HEIGHT / img.shape[0]
                small = cv2.resize(img, (int(round(img.shape[1] * k)), TRAIN_HEIGHT),
                                   interpolation=cv2.INTER_AREA)
                name = f"s{seed}_{cid}_{t:07.1f}.png"
                cv2.imwrite(str(folder / name), small)
                hs, lab = head_labels(persons, k, (small.shape[1], small.shape[0]))
                xml.append(f"<image file='{name}'>")
                for b, ok in zip(hs, lab):
                    x1, y1 = int(round(b[0])), int(round(b[1]))
                    side = int(round(b[2] - b[0]))
                    xml.append(f"<box top='{y1}' left='{x1}' width='{side}' height='{side}'"
                               f"{'' if ok else ' ignore=' + chr(39) + '1' + chr(39)}/>")
                    rows.append({"seed": seed, "camera": cid, "t": t, "file": name,
                                 "x1": b[0], "y1": b[1], "x2": b[2], "y2": b[3],
                                 "labelled": bool(ok)})
                if not len(hs):
                    rows.append({"seed": seed, "camera": cid, "t": t, "file": name,
                                 "x1": np.nan, "y1": np.nan, "x2": np.nan, "y2": np.nan,
                                 "labelled": False})
                xml.append("</image>")
                advance(1)
    xml += ["</images>", "</dataset>"]
    (folder / "dataset.xml").write_text("\n".join(xml))
    labels = pd.DataFrame(rows)
    labels.to_parquet(folder / "labels.parquet")
    return labels


def train(folder: Path, out: Path, seeds, C: float = 5.0, epsilon: float = 0.01,
          threads: int = 1, command: str = TRAIN_COMMAND) -> dict:
    """dlib's structural-SVM HOG trainer on ``folder/dataset.xml``; writes the model to ``out``
    and its provenance to ``out`` with ``.json``. Returns the provenance."""
    import dlib

    opts = dlib.simple_object_detector_training_options()
    opts.detection_window_size = WINDOW_PX * WINDOW_PX
    opts.add_left_right_image_flips = True
    opts.C, opts.epsilon, opts.num_threads = float(C), float(epsilon), int(threads)
    opts.upsample_limit = 0  # boxes smaller than the window are ignore boxes, never upsampled
    opts.be_verbose = False
    out.parent.mkdir(parents=True, exist_ok=True)
    t0, c0 = time.time(), time.process_time()
    pruned = []
    for _ in range(50):
        try:
            dlib.train_simple_object_detector(str(folder / "dataset.xml"), str(out), opts)
            break
        except RuntimeError as exc:
            bad = _invalid_images(str(exc))
            if not bad:
                raise
            for name in bad:
                pruned += _prune_image(folder, name, opts)
    else:
        raise RuntimeError(f"{folder / 'dataset.xml'}: dlib still finds impossible boxes after "
                           f"ignoring {len(pruned)}")
    labels = pd.read_parquet(folder / "labels.parquet")
    prov = {
        "model": out.name, "sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
        "bytes": out.stat().st_size, "trainer": f"dlib {dlib.__version__} "
        "train_simple_object_detector (fhog, structural SVM)",
        "data": "synthetic frames only: scenarios/cctv_identification.yaml rendered by sim.feeds "
                "(no photograph of a real person)",
        "seeds": [int(s) for s in seeds], "frames": int(labels["file"].nunique()),
        "labelled_heads": int(labels["labelled"].sum()),
        "ignored_heads": int((~labels["labelled"] & labels["x1"].notna()).sum()),
        # boxes dlib's trainer calls impossible (a window grid that cannot reach IoU 0.5 at
        # that size and place), found one image at a time and made ignore boxes
        "ignored_as_impossible": pruned,
        "window_px": WINDOW_PX, "train_height": TRAIN_HEIGHT, "C": C, "epsilon": epsilon,
        "flips": True, "command": command, "code_version": _git_version(),
        "train_wall_s": round(time.time() - t0, 1),
        "train_cpu_s": round(time.process_time() - c0, 1)}
    out.with_suffix(".json").write_text(json.dumps(prov, indent=2) + "\n")
    return prov


def _invalid_images(message: str) -> list[str]:
    """The image files dlib's "impossible set of object boxes" error names."""
    if "impossible set of object boxes" not in message:
        return []
    tail = message.split("contain invalid boxes:", 1)[-1]
    return [w.strip() for w in tail.split() if w.strip().endswith(".png")]


def _prune_image(folder: Path, name: str, opts) -> list[str]:
    """Make ignore boxes of the labelled boxes of image ``name`` that dlib cannot train on:
    each box whose removal lets the image train alone (all of them when no single one does).
    Rewrites ``dataset.xml``; returns ``name:box`` for each."""
    import dlib

    xml = (folder / "dataset.xml").read_text().splitlines()
    start = xml.index(f"<image file='{name}'>")
    end = xml.index("</image>", start)
    boxes = list(range(start + 1, end))
    lab = [i for i in boxes if "ignore" not in xml[i]]

    def trains(lines) -> bool:
        one = folder / "_one.xml"
        one.write_text("\n".join(["<?xml version='1.0'?>", "<dataset>", "<images>", xml[start],
                                  *lines, "</image>", "</images>", "</dataset>"]))
        try:
            dlib.train_simple_object_detector(str(one), str(folder / "_one.svm"), opts)
            return True
        except RuntimeError:
            return False
        finally:
            one.unlink(missing_ok=True)
            (folder / "_one.svm").unlink(missing_ok=True)

    culprits = [i for i in lab if trains([xml[j] for j in boxes if j != i])] or lab
    for i in culprits:
        xml[i] = xml[i].replace("/>", " ignore='1'/>")
    (folder / "dataset.xml").write_text("\n".join(xml))
    return [f"{name}:{xml[i].strip()}" for i in culprits]


def _git_version() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).parent, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, cwd=Path(__file__).parent
                               ).stdout.strip()
        return rev + (" (uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def match(det: np.ndarray, scores: np.ndarray, truth: np.ndarray, labelled: np.ndarray
          ) -> tuple[int, int, int]:
    """(true positives, false positives, labelled heads) of one frame: detections in score
    order take the best free labelled head at IoU >= 0.5; an unmatched detection on an ignored
    head (IoU >= 0.5) is neither."""
    n_lab = int(labelled.sum())
    if not len(det):
        return 0, 0, n_lab
    iou = iou_matrix(det, truth)
    free = labelled.copy()
    tp = fp = 0
    for i in np.argsort(-scores):
        cand = np.where(free, iou[i], -1.0)
        j = int(np.argmax(cand)) if len(cand) else -1
        if j >= 0 and cand[j] >= IOU_MATCH:
            free[j] = False
            tp += 1
        elif not (len(truth) and np.any(~labelled & (iou[i] >= IOU_MATCH))):
            fp += 1
    return tp, fp, n_lab


def evaluate(folder: Path, model: Path, adjust: float = 0.0, height: int = TRAIN_HEIGHT
             ) -> pd.DataFrame:
    """Recall and precision per camera (and all) of ``model`` on a :func:`build_dataset`
    folder, at the detector's threshold moved by ``adjust``."""
    det = HeadDetector(model, adjust=adjust, height=height)
    det.prepare()
    labels = pd.read_parquet(folder / "labels.parquet")
    rows = []
    for (seed, cam, name), g in labels.groupby(["seed", "camera", "file"], sort=False):
        img = cv2.imread(str(folder / name))
        heads, sc = det.heads(img)
        hs = shoulder_boxes_from_heads(heads)
        g = g[g["x1"].notna()]
        tp, fp, n = match(hs, sc, g[["x1", "y1", "x2", "y2"]].to_numpy(), g["labelled"]
                          .to_numpy(bool))
        rows.append({"seed": seed, "camera": cam, "tp": tp, "fp": fp, "heads": n})
    per = pd.DataFrame(rows)
    out = per.groupby("camera")[["tp", "fp", "heads"]].sum()
    out.loc["all"] = out.sum()
    out["frames"] = per.groupby("camera").size().reindex(out.index).fillna(len(per)).astype(int)
    out["recall"] = out["tp"] / out["heads"].clip(lower=1)
    out["precision"] = out["tp"] / (out["tp"] + out["fp"]).clip(lower=1)
    return out.reset_index()


def speed(model: Path, seed: int = 101, camera: str = "reclaim_exit", t: float = 1300.0,
          reps: int = 5, adjust: float = -0.3, height: int = TRAIN_HEIGHT) -> float:
    """CPU ms per full-resolution frame of the head detector (resize to ``height`` rows
    included), median over ``reps`` runs on one rendered frame."""
    from sim.feeds import CctvFeed, simulate_run
    from sim.loader import load_scenario

    s = load_scenario(SCENARIO)
    image = CctvFeed(s, camera, simulate_run(s, seed), seed).render(t).image
    det = HeadDetector(model, adjust=adjust, height=height)
    det.heads(image)
    ms = []
    for _ in range(reps):
        c0 = time.process_time()
        det.heads(image)
        ms.append(1000 * (time.process_time() - c0))
    return float(np.median(ms))


def measure_body(folder_seeds, cameras=None, max_frames: int = 4) -> dict:
    """Median body-box proportions in head heights over visible heads (what
    :data:`pipeline.vision.heads.BODY_HEIGHTS_PER_HEAD` etc. were set from)."""
    r = []
    for seed in folder_seeds:
        for _, _, _, p in render_frames(SCENARIO, seed, cameras, max_frames=max_frames):
            p = p[(p["head_occluded"] < VISIBLE) & p["head_x1"].notna() & ~p["truncated"]]
            side = p["head_y2"] - p["head_y1"]
            r.append(pd.DataFrame({"h": (p["y2"] - p["y1"]) / side,
                                   "w": (p["x2"] - p["x1"]) / side,
                                   "top": (p["head_y1"] - p["y1"]) / side}))
    d = pd.concat(r)
    return {"heights_per_head": float(d["h"].median()), "widths_per_head": float(d["w"].median()),
            "top_above_head": float(d["top"].median()), "n": len(d)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a_ev = sub.add_parser("evaluate")  # training: airtwin train heads
    a_mb = sub.add_parser("measure-body")
    for p in (a_ev, a_mb):
        p.add_argument("--seeds", required=True)
    a_ev.add_argument("--data", type=Path, default=None, help="dataset folder (kept; "
                      "rendered when it has no labels.parquet)")
    a_ev.add_argument("--max-frames", type=int, default=None, help="per camera and seed")
    a_ev.add_argument("--step", type=float, default=97.0, help="seconds between sampled frames")
    a_ev.add_argument("--model", type=Path, required=True)
    a_ev.add_argument("--adjust", default="0", help="threshold moves, comma-separated")
    a_ev.add_argument("--speed", action="store_true", help="also CPU ms per 1080p frame")
    a_ev.add_argument("--height", type=int, default=TRAIN_HEIGHT, help="detect at this many "
                      "rows (of a 1080p frame; the model was trained at 810)")
    a = ap.parse_args(argv)
    seeds = [int(s) for s in a.seeds.split(",")]
    if a.cmd == "measure-body":
        print(json.dumps(measure_body(seeds), indent=2))
        return
    data = a.data or Path("runs") / f"heads-data-{'-'.join(map(str, seeds))}"
    if not (data / "labels.parquet").is_file():
        build_dataset(data, seeds, step=a.step, max_frames=a.max_frames)
    for adj in (float(v) for v in a.adjust.split(",")):
        print(f"seeds {a.seeds}, model {a.model}, threshold adjust {adj:+g}, {a.height} rows")
        print(evaluate(data, a.model, adj, a.height).round(3).to_string(index=False))
    if a.speed:
        for cam in ("reclaim_exit", "corridor_near"):
            print(f"CPU ms per 1080p frame ({cam}, seed {seeds[0]}, t 1300 s, {a.height} rows): "
                  f"{speed(a.model, seed=seeds[0], camera=cam, height=a.height):.1f}")


if __name__ == "__main__":
    main()
