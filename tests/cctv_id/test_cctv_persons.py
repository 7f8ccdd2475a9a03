"""Faces attached to person boxes (hand-built boxes), person boxes from a detector with faces,
and a stream tracking detected people that carry (or do not carry) a face."""

import numpy as np
import pytest
import pandas as pd

from pipeline.cctv.galleries import build_gallery
from pipeline.cctv.persons import attach_faces, person_boxes
from pipeline.cctv.stream import CctvStream
from pipeline.vision.detections import Blob, Detections
from pipeline.types import Detection, Embedding


def _face(cx, cy, s=20.0):
    return (cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2)


def test_each_face_goes_to_the_one_body_whose_head_it_is():
    bodies = np.array([[0, 0, 100, 300],      # A
                       [60, 10, 160, 310],    # B, overlapping A
                       [300, 0, 400, 300]])   # C
    faces = np.array([_face(110, 30),   # inside the tops of A and B; B's head
                      _face(50, 25),    # A's head
                      _face(350, 150),  # C's waist: not a head
                      _face(500, 30)])  # in no box
    assert attach_faces(faces, bodies) == {0: 1, 1: 0}


def test_one_face_is_never_shared_by_two_bodies():
    bodies = np.array([[0, 0, 100, 300], [10, 5, 110, 305]])  # two boxes on one person
    got = attach_faces(np.array([_face(55, 30)]), bodies)
    assert len(got) == 1 and list(got.values()) == [0]
    assert attach_faces(np.zeros((0, 4)), bodies) == {}
    assert attach_faces(np.array([_face(55, 30)]), np.zeros((0, 4))) == {}


def test_a_merged_blob_is_split_by_its_faces_and_a_missed_face_adds_a_body():
    detected = np.array([[0, 0, 400, 300],     # two people merged into one blob
                         [600, 0, 700, 300],   # one person showing no face
                         [800, 0, 900, 300]])  # one person with their face
    faces = np.array([_face(100, 40), _face(300, 40), _face(850, 30), _face(1200, 40)])
    p = person_boxes(detected, np.full(3, 0.9), faces, (1920, 1080))
    assert len(p.boxes) == 2 + 4 - 1 and p.from_faces == 3
    # the kept detections first, with the face only the second one carries
    assert np.allclose(p.boxes[:2], detected[1:])
    assert p.face_of_box[1] == 2 and 0 not in p.face_of_box
    # each other face carries a body implied by it, centred under it
    for k, j in ((2, 0), (3, 1), (4, 3)):
        assert p.face_of_box[k] == j
        bx = (p.boxes[k, 0] + p.boxes[k, 2]) / 2
        assert abs(bx - (faces[j, 0] + faces[j, 2]) / 2) < 1e-6 and p.boxes[k, 1] < faces[j, 1]
    assert p.scores.shape == (5,) and np.allclose(p.scores[:2], 0.9)


class _Faces:
    """A face detector that finds fixed faces; an embedder giving each a fixed vector."""

    name, dim = "fixed", 8

    def __init__(self, boxes):
        self.boxes = boxes

    def prepare(self):
        pass

    def detect(self, image):
        out = []
        for x1, y1, x2, y2 in self.boxes:
            w = x2 - x1
            lm = np.array([[x1 + 0.3 * w, y1 + 0.4 * w], [x1 + 0.7 * w, y1 + 0.4 * w],
                           [x1 + 0.5 * w, y1 + 0.6 * w], [x1 + 0.35 * w, y1 + 0.8 * w],
                           [x1 + 0.65 * w, y1 + 0.8 * w]], np.float32)
            out.append(Detection((x1, y1, x2, y2), 0.9, lm))
        return out

    def embed(self, image, dets):
        v = np.zeros(8, np.float32)
        v[0] = 1
        return [Embedding(v, self.name) for _ in dets]


class _People:
    name = "fixed"

    def __init__(self, boxes):
        self.boxes = boxes

    def prepare(self):
        pass

    def reset(self):
        pass

    def detect(self, image):
        return Detections(tuple(Blob(b, 1.0, 0.9) for b in self.boxes))


def test_a_stream_tracks_detected_people_and_puts_each_face_on_its_person():
    people = [(100, 100, 200, 500), (400, 100, 500, 500)]
    faces = _Faces([_face(450, 140, 40)])  # only the second person shows a face
    enr = pd.DataFrame({"template_id": ["t0"], "traveler_id": [0], "consent": [True],
                        "watchlist": [False]})
    g = build_gallery(enr, np.eye(1, 8, dtype=np.float32), "manifest")
    s = CctvStream("cam", (640, 640), faces, faces, g, person_detector=_People(people))
    image = np.zeros((640, 640, 3), np.uint8)
    rs = [s.process(image, t) for t in (0.0, 0.1, 0.2)]
    last = rs[-1]
    assert len(last.tracks) == 2  # the faceless person is tracked too
    by_box = {tuple(round(v) for v in box): tid for tid, box in last.tracks}
    face_track = last.faces[0].track_id
    assert face_track == next(tid for box, tid in by_box.items() if box[0] > 300)
    assert set(last.stages) == {"detect", "quality", "track", "embed", "search"}
    assert all(v >= 0 for v in last.stages.values()) and last.cpu_seconds >= 0
    assert last.person_boxes == 2 and last.boxes_from_faces == 0


def test_a_crowd_blob_showing_one_face_becomes_that_face_s_body():
    faces = np.array([_face(200, 40)])
    crowd = np.array([[0, 0, 800, 600]])  # far larger than a body under a 20 px face
    p = person_boxes(crowd, np.array([0.9]), faces, (1920, 1080))
    assert len(p.boxes) == 1 and p.face_of_box == {0: 0} and p.from_faces == 0
    assert p.boxes[0, 2] - p.boxes[0, 0] < 100  # 3.5 face widths
    person = np.array([[165, 25, 235, 215]])  # about the body the face implies: kept as is
    q = person_boxes(person, np.array([0.9]), faces, (1920, 1080))
    assert np.allclose(q.boxes, person) and q.face_of_box == {0: 0}


def test_a_faceless_piece_of_a_person_with_a_face_is_not_another_person():
    faces = np.array([_face(150, 40)])
    detected = np.array([[100, 20, 200, 300],    # the person, face on top
                         [110, 200, 190, 300],   # their legs cut off as a blob of their own
                         [400, 20, 500, 300]])   # someone else, showing no face
    p = person_boxes(detected, np.full(3, 0.9), faces, (1920, 1080))
    assert np.allclose(p.boxes, detected[[0, 2]]) and p.face_of_box == {0: 0}


@pytest.mark.parametrize("fps", [5.0, 10.0])
def test_a_library_track_survives_a_one_second_gap_at_any_frame_rate(fps):
    # trackers counts its lost-track buffer in 30 fps frames: the gap a track survives must be
    # lost_s seconds whatever the camera's rate
    from pipeline.cctv.persons import LibraryTracker

    tr = LibraryTracker("bytetrack", fps=fps, lost_s=2.0)
    box = lambda k: np.array([[100.0 + 3 * k, 100.0, 160.0 + 3 * k, 300.0]])  # noqa: E731
    ids = []
    n_gap = int(fps)  # one second without a detection
    for k in range(int(3 * fps) + n_gap):
        seen = not (int(fps) <= k < int(fps) + n_gap)
        out = tr.update(k / fps, box(k) if seen else np.zeros((0, 4)),
                        np.array([0.9]) if seen else np.zeros(0))
        ids += [t.track_id for t in out]
    assert len(set(ids)) == 1 and len(ids) >= int(2 * fps) - 2
