"""A face belongs to the head-detector box of its own head even where the frame's bottom cuts
that person's body (:func:`pipeline.cctv.persons.person_boxes` with ``heads``): one person, one
box, one track. Before, the cut body's shorter top share left a large head's face below it and
the face added a second box on the same person."""

import numpy as np

from pipeline.vision.heads import HEAD_SHARE, body_boxes_from_heads
from pipeline.cctv.persons import person_boxes

FRAME = (1920, 1080)


def _people(heads, faces):
    heads = np.asarray(heads, np.float64).reshape(-1, 4)
    bodies = body_boxes_from_heads(heads, FRAME)
    return person_boxes(bodies, np.full(len(bodies), 0.9), np.asarray(faces, np.float64),
                        FRAME, heads=heads, head_share=HEAD_SHARE, drop_fragments=False)


def test_a_large_heads_face_stays_on_its_box_where_the_bottom_cuts_the_body():
    # a 120 px head near the bottom: its body (7.1 heads) is cut at 1079, the face inside the head
    head, face = [900, 800, 1020, 920], [930, 840, 990, 910]
    people = _people([head], [face])
    assert len(people.boxes) == 1
    assert people.face_of_box == {0: 0}
    assert people.from_faces == 0


def test_a_face_at_the_waist_of_someone_standing_in_front_is_still_another_person():
    # a whole body (head 60 px, body top 92, 426 tall): a face at y 300 is someone behind
    head, face = [900, 100, 960, 160], [915, 280, 945, 320]
    people = _people([head], [face])
    assert len(people.boxes) == 2
    assert people.face_of_box == {1: 0}
    assert people.from_faces == 1


def test_boxes_without_heads_keep_the_detected_boxes_top_share():
    # background subtraction gives no heads: the face must lie in the box's own top share
    box = np.array([[880.0, 780.0, 1040.0, 1079.0]])
    face = np.array([[930.0, 960.0, 990.0, 1030.0]])  # below the top 35 % of the box
    people = person_boxes(box, np.array([0.9]), face, FRAME, drop_fragments=False)
    assert len(people.boxes) == 2
    assert people.face_of_box == {1: 0}
