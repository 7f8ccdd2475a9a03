"""The service's CCTV monitor takes its person boxes from one head detector per camera, so a
person whose face is not found (turned away, too small) is still tracked; with faces only, such
a person is never a track. Real rendered pixels of the small CCTV scenario (a tune seed), a face
detector that finds nothing (the head detector is what is under test here)."""

import asyncio

import pytest

from pipeline.cctv.heads import HeadDetector
from pipeline.cctv.monitor import CctvMonitor, EnrolledGallery
from pipeline.service.config import ServiceConfig, ServiceConfigError


class NoFaces:
    name = "none"

    def detect(self, image):
        return []


class NoTemplates:
    def search(self, probe, model, k):
        return [], 0


@pytest.fixture(scope="module")
def feed(small_cctv_scenario):
    from sim.feeds import CctvFeed

    return CctvFeed(small_cctv_scenario, "corridor_near", seed=1)


def tracks_over(monitor, feed, times) -> list[int]:
    async def go():
        out = []
        for t in times:
            res = await monitor.identify(feed.model.id, feed.render(t).image, t)
            out.append(len(res.tracks))
        return out

    try:
        return asyncio.run(go())
    finally:
        monitor.close()


def test_heads_track_people_whose_faces_are_not_found(feed, small_cctv_window):
    t0 = small_cctv_window[0]
    times = [t0 + 0.1 * k for k in range(4)]
    made = []

    def heads(cam):
        made.append(cam.id)
        return HeadDetector()

    gallery = EnrolledGallery(NoTemplates(), "none")
    with_heads = tracks_over(CctvMonitor([feed.model], NoFaces(), None, gallery,
                                         person_detector=heads), feed, times)
    faces_only = tracks_over(CctvMonitor([feed.model], NoFaces(), None, gallery), feed, times)
    assert made == [feed.model.id]  # one detector per camera, made when its stream starts
    assert faces_only == [0, 0, 0, 0]
    people = len(feed.render(times[-1]).persons_df)
    assert 2 <= with_heads[-1] <= people + 2, (with_heads, people)


def test_the_service_names_a_bad_person_source():
    with pytest.raises(ServiceConfigError, match="cctv_persons.*heads, faces.*'bodies'"):
        ServiceConfig(cctv_persons="bodies")
