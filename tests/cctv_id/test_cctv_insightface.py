"""The insightface backend on real CCTV pixels, as identify-cctv runs it: SCRFD det_500m on the
whole 1080p frame at the CCTV detection input, ArcFace on the faces it finds, nearly every face nearer
its own enrolment template than anyone else's (the shared models; skipped only without them)."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.cctv.operating import detection_input
from pipeline.cctv.quality import QualityGate, measure_face


@pytest.fixture(scope="module")
def corridor_frame(repo_root):
    from sim.feeds import CctvFeed, simulate_run
    from sim.loader import load_scenario

    s = load_scenario(repo_root / "scenarios" / "cctv_identification.yaml")
    feed = CctvFeed(s, "corridor_far", simulate_run(s, s.seed), s.seed)
    # five travelers as they pass 4.5-6 m in front of the camera (IPD about 38-50 px), found on
    # the trajectories (corridor_far looks south)
    picks = {}
    for t in np.arange(100.0, 900.0, 0.5):
        a = feed.trajectories.arrays_at(float(t))
        ahead = feed.model.center[1] - a["y"]
        for tid in a["traveler_id"][(ahead > 4.5) & (ahead < 6.0)]:
            picks.setdefault(int(tid), float(t))
        if len(picks) >= 6:
            break
    return feed, [feed.render(t) for t in sorted(set(picks.values()))]


@pytest.fixture(scope="module")
def insightface_parts(shared_models):
    from pipeline.backends.insightface_backend import ArcFaceEmbedder, ScrfdDetector

    det = ScrfdDetector(str(shared_models), det_size=detection_input((1920, 1080)), provider="cpu")
    emb = ArcFaceEmbedder(str(shared_models), provider="cpu")
    det.prepare(), emb.prepare()
    return det, emb


def test_cctv_detection_input_keeps_the_frame_aspect(insightface_parts):
    det, _ = insightface_parts
    assert det.input_wh == (640, 384)
    assert detection_input((3840, 2160)) == (1280, 736)


def test_cctv_face_is_nearest_its_own_enrolment_template(corridor_frame, insightface_parts):
    feed, frames = corridor_frame
    det, emb = insightface_parts
    probes, seen = {}, 0
    for frame in frames:
        truth = frame.persons_df
        faces = truth[truth["face_x1"].notna() & (truth["ipd_px"] >= 20)]
        seen += len(faces)
        dets = det.detect(frame.image)
        for r in faces.itertuples():
            cx, cy = (r.face_x1 + r.face_x2) / 2, (r.face_y1 + r.face_y2) / 2
            hit = [d for d in dets if d.box[0] <= cx <= d.box[2] and d.box[1] <= cy <= d.box[3]]
            if hit and measure_face(frame.image, hit[0], QualityGate()).passed:
                probes.setdefault(int(r.traveler_id), emb.embed(frame.image, hit[:1])[0].vector)
    assert len(probes) >= 3, f"only {len(probes)} gated CCTV faces found in {seen}"
    ids = list(probes) + [i for i in range(1, 25) if i not in probes]  # 15+ impostors
    enrolled = []
    for i in ids:
        photo = feed.enrolment_photo(i).image
        enrolled.append(emb.embed(photo, det.detect(photo)[:1])[0].vector)
    scores = np.stack([np.stack(enrolled) @ probes[i] for i in probes])
    # One frame's face, no aggregation (the stream averages a track's best faces): rank-1 on
    # this sample is 6 of 7 at 38-50 px IPD (the miss scores its own template second).
    rank1 = float((scores.argmax(axis=1) == np.arange(len(probes))).mean())
    own = scores[np.arange(len(probes)), np.arange(len(probes))]
    assert rank1 >= 0.8, np.round(scores, 3)
    assert np.median(own) > np.median(scores) + 0.15, np.round(own, 3)
