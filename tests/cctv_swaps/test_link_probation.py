"""Links on probation (pipeline.cctv.aggregate): a track continued by a fragment (re-link, swap
guard) is split again when the first large face after the link is another person's."""

from pipeline.cctv.aggregate import AggregationConfig, TrackFace, TrackFaces
from pipeline.cctv.quality import FaceQuality
from swap_faces import vector


def _face(t, who, ipd):
    return TrackFace(t, FaceQuality(ipd, 0.0, 0.0, 150.0, 1.0), vector(who))


def test_the_first_large_face_after_a_link_is_checked_against_the_faces_before():
    tf = TrackFaces(1)
    for k in range(3):
        tf.add(_face(0.2 * k, 0, 30))
    tf.mark_link(1.0)
    assert not tf.contradicts_link(_face(0.8, 1, 30))  # before the link
    assert not tf.contradicts_link(_face(1.2, 1, 16))  # too small to judge: still on probation
    assert tf.link_t == 1.0
    assert tf.contradicts_link(_face(1.4, 1, 30))
    assert tf.link_t is None and not tf.contradicts_link(_face(1.6, 1, 30))  # checked once


def test_a_link_to_the_same_person_or_without_earlier_faces_stands():
    tf = TrackFaces(1)
    tf.add(_face(0.0, 0, 30))
    tf.mark_link(1.0)
    assert not tf.contradicts_link(_face(1.2, 0, 30))
    bare = TrackFaces(2)
    bare.mark_link(1.0)  # a faceless track: nothing to compare
    assert bare.link_t is None and not bare.contradicts_link(_face(1.2, 1, 30))
    off = TrackFaces(3, AggregationConfig(link_min_cosine=None))
    off.add(_face(0.0, 0, 30))
    off.mark_link(1.0)
    assert not off.contradicts_link(_face(1.2, 1, 30))
