"""Person trackers side by side on the same detections: ByteTrack and OC-SORT (``trackers``)
against the danger pipeline's floor tracker (:mod:`pipeline.danger.track`).

    python -m experiments.cctv_tracker_compare scenarios/cctv_identification.yaml --seed 1 \\
        --from 1300 --to 1320 --cameras corridor_far,corridor_near

Faces are detected once per frame (insightface SCRFD at the CCTV input,
:func:`pipeline.cctv.operating.detection_input`) and turned into body boxes
(:func:`pipeline.cctv.persons.body_boxes_from_faces`), as :class:`pipeline.cctv.stream.CctvStream`
does; each tracker then gets the same boxes. Scored with :func:`pipeline.cctv.metrics.mot_metrics`
(``trackers.eval``) twice: against every person in view (what ``evaluate-tracking`` reports) and
against the people who show a face in the frame (what a face-driven tracker can see).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from pipeline.cctv.metrics import mot_metrics
from pipeline.cctv.persons import TRACKERS, body_boxes_from_faces, make_tracker


def detections(frames, detector, frame_size) -> list[tuple[float, np.ndarray, pd.DataFrame]]:
    """(t, body boxes, ground truth) per frame, detected once."""
    out = []
    for f in frames:
        boxes = np.array([d.box for d in detector.detect(f.image)], np.float64).reshape(-1, 4)
        out.append((f.t, body_boxes_from_faces(boxes, frame_size), f.persons))
    return out


def compare(dets_by_camera: dict, fps: float, cameras: dict) -> pd.DataFrame:
    """One row per (camera, tracker, ground truth): HOTA, IDF1, MOTA, ID switches, ids."""
    rows = []
    for cam, dets in dets_by_camera.items():
        truth = pd.concat([p.assign(frame=t) for t, _, p in dets], ignore_index=True)
        truth = truth.rename(columns={"traveler_id": "id"})
        faces = truth[truth["face_x1"].notna()]
        for name in TRACKERS:
            if name == "floor" and cam not in cameras:
                continue  # the floor tracker needs the camera's calibration
            tracker = make_tracker(name, fps, cameras.get(cam))
            hyp = []
            for t, boxes, _ in dets:
                for tr in tracker.update(t, boxes, np.full(len(boxes), 0.9, np.float32)):
                    hyp.append((t, tr.track_id, *tr.box))
            hyp = pd.DataFrame(hyp, columns=["frame", "id", "x1", "y1", "x2", "y2"])
            for label, gt in (("everyone in view", truth), ("showing a face", faces)):
                m = mot_metrics(gt[["frame", "id", "x1", "y1", "x2", "y2"]], hyp)
                rows.append({"camera": cam, "tracker": name, "ground_truth": label,
                             **{k: m[k] for k in ("HOTA", "IDF1", "MOTA", "ID_switches",
                                                  "gt_ids", "tracker_ids")}})
    return pd.DataFrame(rows)


def main(argv=None) -> None:
    from experiments.cctv_sources import scenario_source
    from pipeline.cctv.operating import detection_input
    from pipeline.registry import get_detector
    from sim.layout import floor_plan
    from sim.loader import load_scenario

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--from", dest="t_from", type=float, required=True)
    ap.add_argument("--to", dest="t_to", type=float, required=True)
    ap.add_argument("--cameras", required=True, help="comma-separated face camera ids")
    a = ap.parse_args(argv)
    src = scenario_source(a.scenario, a.seed, (a.t_from, a.t_to))
    plan = floor_plan(load_scenario(a.scenario))
    dets, models = {}, {}
    for cam in a.cameras.split(","):
        spec = src.cameras[cam]
        det = get_detector("insightface", det_size=detection_input(spec.size))
        det.prepare()
        dets[cam] = detections(src.frames(cam), det, spec.size)
        models[cam] = plan.camera(cam)
    fps = next(iter(src.cameras.values())).fps
    print(compare(dets, fps, models).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
