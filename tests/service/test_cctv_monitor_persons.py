"""The service's CCTV monitor takes its person boxes from one head detector per camera, so a
person whose face is not found (turned away, too small) is still tracked; with faces only, such
a person is never a track. Real rendered pixels of the small CCTV scenario (a tune seed), a face
detector that finds nothing (the head detector is what is under test here)."""

import asyncio

import pytest

from pipeline.vision.heads import HeadDetector
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


def test_a_reset_stream_gets_its_head_detector_started_afresh(site_file):
    """The service keeps one head detector per camera; a stream that starts over (reset=true)
    must not inherit the old stream's frame count and cached heads."""
    from types import SimpleNamespace

    from pipeline.service import routes_cctv

    rec = SimpleNamespace(detector=NoFaces(), embedder=None, model="none")
    state = SimpleNamespace(config=ServiceConfig(site=site_file), recognizer=rec,
                            store=NoTemplates(),
                            threshold=SimpleNamespace(threshold=0.5, source="test"),
                            audit=None, extras={})
    routes_cctv.prepare(state)
    monitor = state.extras[routes_cctv.MONITOR]
    try:
        cam = next(iter(monitor.cameras.values()))
        det = monitor.person_detector(cam)
        det._frame, det.last_heads = 7, "stale"
        again = monitor.person_detector(cam)
        assert again is det and det._frame == 0 and det.last_heads is None
    finally:
        monitor.close()
