"""The CCTV core's rules: best faces per track, the quality gate, gallery policies, blurred
exports and clear errors for bad input."""

import cv2
import numpy as np
import pandas as pd
import pytest

from pipeline.cctv.aggregate import AggregationConfig, TrackFace, TrackFaces
from pipeline.cctv.galleries import (POPULATION_MIN_EXTRA, GalleryError, GalleryTooLarge,
                                     build_gallery, check_policy)
from pipeline.cctv.journeys import link_journeys
from pipeline.cctv.privacy import UNBLURRED_NOTICE, export_frame
from pipeline.cctv.quality import FaceQuality, QualityGate, measure_face
from pipeline.cctv.stream import CctvStream, StreamError, TrackSummary
from pipeline.types import Detection


def _q(ipd, yaw=0.0):
    return FaceQuality(ipd, yaw, 0.0, 150.0, 1.0)


def _unit(i, dim=8):
    v = np.zeros(dim, np.float32)
    v[i] = 1
    return v


def test_aggregation_keeps_the_best_k_faces_and_weights_the_template_by_quality():
    # orthogonal templates are three people: one person per search (tests/cctv_rank1) off
    tf = TrackFaces(1, AggregationConfig(k=2, consistent_min_cosine=None))
    tf.add(TrackFace(0.0, _q(12), _unit(0)))
    tf.add(TrackFace(0.1, _q(60), _unit(1)))
    tf.add(TrackFace(0.2, _q(30), _unit(2)))
    assert [f.quality.ipd_px for f in tf.best] == [60, 30]
    tpl = tf.template()
    assert tpl[0] == 0 and tpl[1] > tpl[2] > 0 and np.isclose(np.linalg.norm(tpl), 1)


def test_a_track_searches_once_then_again_only_for_a_clearly_better_face():
    tf = TrackFaces(1, AggregationConfig(k=3, research_gain=1.2))
    tf.add(TrackFace(0.0, _q(30), _unit(0)))
    assert tf.wants_search()
    tf.mark_searched()
    tf.add(TrackFace(0.1, _q(31), _unit(0)))
    assert not tf.wants_search()
    tf.add(TrackFace(0.2, _q(55), _unit(0)))
    assert tf.wants_search()
    tf.forget()
    assert tf.best == []


def _landmarks(ipd=40.0, nose_dx=0.0, cx=100.0, cy=100.0):
    h = ipd / 2
    return np.array([[cx - h, cy], [cx + h, cy], [cx + nose_dx, cy + 0.55 * ipd],
                     [cx - 0.4 * ipd, cy + ipd], [cx + 0.4 * ipd, cy + ipd]], np.float32)


def _textured(size=200, seed=0):
    rng = np.random.default_rng(seed)
    return cv2.resize(rng.integers(0, 255, (50, 50, 3), np.uint8), (size, size),
                      interpolation=cv2.INTER_LINEAR)


def test_quality_gate_rejects_small_profile_and_blurred_faces():
    gate, img = QualityGate(), _textured()
    box = (50.0, 60.0, 150.0, 170.0)
    ok = measure_face(img, Detection(box, 1.0, _landmarks(60)), gate)
    assert ok.passed, ok
    assert measure_face(img, Detection(box, 1.0, _landmarks(10)), gate).reject == "small"
    assert measure_face(img, Detection(box, 1.0, _landmarks(60, nose_dx=27)), gate).reject \
        == "profile"
    blurred = cv2.GaussianBlur(img, (0, 0), 8)
    assert measure_face(blurred, Detection(box, 1.0, _landmarks(60)), gate).reject == "blur"
    with pytest.raises(ValueError, match="landmarks"):
        measure_face(img, Detection(box, 1.0, None), gate)


def _enrolments(n=6):
    return pd.DataFrame({"template_id": [f"t{i}" for i in range(n)], "traveler_id": range(n),
                         "consent": [True, False, True, False, True, True],
                         "watchlist": [True, False, False, False, False, False]})


def test_policy_defaults_watchlist_and_never_enrols_the_non_consenting():
    T = np.eye(6, 8, dtype=np.float32)
    g = build_gallery(_enrolments(), T)
    assert g.policy == "watchlist" and g.store.ids == ["t0"] and not g.marked
    m = build_gallery(_enrolments(), T, policy="manifest")
    assert set(m.store.ids) == {"t0", "t2", "t4", "t5"} and m.marked
    assert m.n_excluded_no_consent == 2 and "MASS-ENROLMENT" in m.label()
    with pytest.raises(GalleryError, match="unknown"):
        check_policy("everyone")
    with pytest.raises(GalleryError, match="at least 100,000"):
        build_gallery(_enrolments(), T, policy="population", extra_templates=np.ones((10, 8)))
    with pytest.raises(GalleryError, match="population policy only"):
        build_gallery(_enrolments(), T, policy="manifest", extra_templates=np.ones((10, 8)))


def test_a_gallery_larger_than_memory_is_refused_before_allocating():
    T = np.eye(6, 8, dtype=np.float32)
    extra = np.broadcast_to(np.float32(1), (POPULATION_MIN_EXTRA, 8))  # no real memory
    with pytest.raises(GalleryTooLarge, match="GiB available"):
        build_gallery(_enrolments(), T, policy="population", extra_templates=extra,
                      memory_bytes=1_000_000)


def test_an_export_leaves_no_face_unblurred_but_a_confirmed_match():
    img = _textured(400, seed=3)
    match, other = (20, 20, 120, 140), (220, 20, 320, 140)
    body_of_missed = (150, 250, 250, 399)  # a face the detector missed: its head is blurred too
    out = export_frame(img, [match, other], [body_of_missed], match_boxes=[match])
    crop = lambda im, b: im[b[1]:b[3], b[0]:b[2]]  # noqa: E731
    assert np.array_equal(crop(out.image, match), crop(img, match))
    lap = lambda im: cv2.Laplacian(cv2.cvtColor(im, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var()  # noqa
    assert lap(crop(out.image, other)) < 0.2 * lap(crop(img, other))
    head = (150, 250, 250, 280)
    assert lap(crop(out.image, head)) < 0.2 * lap(crop(img, head))
    assert out.notice == ""
    raw = export_frame(img, [match, other], blur=False)
    assert raw.notice == UNBLURRED_NOTICE


class _NoFaces:
    name, dim = "none", 8

    def prepare(self):
        pass

    def detect(self, image):
        return []

    def embed(self, image, dets):
        return []


def test_frames_out_of_time_order_or_of_the_wrong_size_are_refused():
    g = build_gallery(_enrolments(), np.eye(6, 8, dtype=np.float32))
    s = CctvStream("pier_cam", (320, 240), _NoFaces(), _NoFaces(), g)
    s.process(np.zeros((240, 320, 3), np.uint8), 1.0)
    with pytest.raises(StreamError, match=r"pier_cam.*not after the previous frame at t=1.0"):
        s.process(np.zeros((240, 320, 3), np.uint8), 0.5)
    with pytest.raises(StreamError, match="pier_cam"):
        s.process(np.zeros((100, 320, 3), np.uint8), 2.0)


def _summary(cam, tid, t_in, t_out, identity=None, colour=0):
    h = np.zeros((12, 4), np.float32)
    h[colour, 2] = 1
    return TrackSummary(cam, tid, t_in, t_out, identity, 0.9 if identity else np.nan, False, h, 5)


def test_journeys_follow_identity_appearance_and_walking_time():
    centres = {"a": (0.0, 0.0), "b": (30.0, 0.0)}
    tracks = [_summary("a", 1, 0, 5, "t1", 0), _summary("a", 2, 1, 6, None, 5),
              _summary("b", 1, 25, 30, "t1", 0),  # 30 m in 20 s: plausible, same identity
              _summary("b", 2, 27, 31, None, 5),  # same clothes as a/2, plausible
              _summary("b", 3, 7, 9, None, 5)]  # same clothes but 30 m in 1 s: someone else
    j = link_journeys(tracks, centres).set_index(["camera", "track_id"])["journey_id"]
    assert j["a", 1] == j["b", 1] and j["a", 2] == j["b", 2] and j["a", 1] != j["a", 2]
    assert j["b", 3] not in (j["a", 1], j["a", 2])
    with pytest.raises(ValueError, match="no floor position for camera"):
        link_journeys(tracks, {"a": (0.0, 0.0)})
