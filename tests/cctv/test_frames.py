"""Rendered CCTV frames: determinism, ground truth geometry, every incident kind."""

import numpy as np
import pytest

from sim.feeds import CctvFeed, FeedError, frame_times, iter_frames

KINDS = ("abandoned_bag", "running", "fall", "loitering", "counterflow", "overcrowding",
         "tailgating")


def test_same_seed_same_pixels_other_seed_other_pixels(demo, demo_records, demo_feeds):
    fresh = CctvFeed(demo, "hall_south", records=demo_records)  # nothing cached shared
    a = fresh.render(1508.0)
    b = demo_feeds["hall_south"].render(1508.0)
    assert np.array_equal(a.image, b.image)
    assert a.persons == b.persons and a.incidents == b.incidents
    other = CctvFeed(demo, "hall_south", records=demo_records, seed=demo.seed + 1)
    c = other.render(1508.0)
    assert not np.array_equal(a.image, c.image)


def test_frames_fall_on_the_camera_clock(demo_feeds):
    feed = demo_feeds["hall_north"]
    frames = list(feed.frames(1100.0, 1100.5))
    assert [f.t for f in frames] == pytest.approx([1100.0, 1100.1, 1100.2, 1100.3, 1100.4])
    assert len(frame_times(10.0, 0.05, 0.3)) == 2  # ticks 0.1 and 0.2
    again = feed.render(1100.2)
    assert np.array_equal(again.image, frames[2].image)


def test_person_boxes_are_in_the_image_and_on_people(demo_feeds):
    feed = demo_feeds["hall_south"]
    frame = feed.render(1508.0)
    h, w = frame.image.shape[:2]
    assert (h, w) == (720, 1280)
    assert len(frame.persons) > 20
    bg = feed.renderer.backdrop.background.astype(int)
    for p in frame.persons:
        x0, y0, x1, y1 = p.box
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        assert 0.0 <= p.occluded <= 1.0
        if p.occluded == 0 and not p.truncated:  # a visible person changed the pixels
            roi = (slice(int(y0), int(np.ceil(y1))), slice(int(x0), int(np.ceil(x1))))
            diff = np.abs(frame.image[roi].astype(int) - bg[roi]).max(axis=2)
            assert (diff > 40).mean() > 0.15, p
    # Boxes grow towards the camera: the nearest person is taller than the farthest.
    near = min(frame.persons, key=lambda p: p.depth_m)
    far = max(frame.persons, key=lambda p: p.depth_m)
    assert near.box[3] - near.box[1] > far.box[3] - far.box[1]


def _visible(demo, demo_feeds, index):
    """The first camera and frame time where incident ``index`` is in view with its box."""
    inc = demo.incidents[index]
    for cid, feed in demo_feeds.items():
        if feed.camera.zone != inc.zone:
            continue
        for dt in (2.0, 5.0, 8.0, inc.duration_s / 2):
            frame = feed.render(inc.time_s + min(dt, inc.duration_s - 0.2))
            mine = [i for i in frame.incidents if i.incident_index == index]
            if mine and mine[0].box is not None:
                return feed, frame, mine[0]
    raise AssertionError(f"incident {index} ({inc.kind}) is never in view")


@pytest.mark.parametrize("kind", KINDS)
def test_each_incident_kind_appears_with_label_and_box(demo, demo_feeds, kind):
    index = next(i for i, inc in enumerate(demo.incidents)
                 if inc.kind == kind and not inc.params.get("near_miss"))
    feed, frame, truth = _visible(demo, demo_feeds, index)
    inc = demo.incidents[index]
    assert truth.label == kind and not truth.near_miss
    assert truth.t_start <= frame.t < truth.t_end
    x0, y0, x1, y1 = truth.box
    assert 0 <= x0 < x1 <= 1280 and 0 <= y0 < y1 <= 720
    actors = {p.track_id: p for p in frame.persons if p.actor}
    if kind == "abandoned_bag":
        bags = [o for o in frame.objects if o.owner_track_id in truth.track_ids]
        assert bags and bags[0].box == truth.box
        assert not any(t in actors for t in truth.track_ids) or \
            np.hypot(*np.subtract(actors[truth.track_ids[0]].floor_xy, bags[0].floor_xy)) > 2
        return
    shown = [actors[t] for t in truth.track_ids if t in actors]
    assert shown, "the incident's people are in the frame's person list"
    if kind == "fall":
        assert shown[0].activity == "lying"
    if kind in ("running", "counterflow"):
        later = feed.render(frame.t + 0.5)
        p1 = {p.track_id: p for p in later.persons}[shown[0].track_id]
        v = np.subtract(p1.floor_xy, shown[0].floor_xy) / 0.5
        if kind == "running":
            assert np.hypot(*v) > 3.0
        else:
            assert np.dot(v, demo.zone(inc.zone).flow_direction) < -1.0
    if kind == "loitering":
        assert truth.info["threshold_s"] > 0 and shown[0].activity == "loitering"
    if kind == "overcrowding":
        band = demo.level_of_service.space[demo.zone(inc.zone).kind.value]
        assert truth.info["persons_per_m2"] > 1 / band.low_m2
        assert len(shown) > 20
    if kind == "tailgating":
        assert len(truth.track_ids) == 2


def test_near_misses_are_labelled_as_such(demo, demo_feeds):
    index = next(i for i, inc in enumerate(demo.incidents)
                 if inc.kind == "running" and inc.params.get("near_miss"))
    _, frame, truth = _visible(demo, demo_feeds, index)
    assert truth.near_miss
    walker = {p.track_id: p for p in frame.persons}[truth.track_ids[0]]
    assert walker.activity == "walking"


def test_incidents_of_other_zones_are_not_listed(demo, demo_feeds):
    frame = demo_feeds["reclaim_cam"].render(1508.0)  # hall overcrowding is under way
    assert all(i.zone == "reclaim" for i in frame.incidents)


@pytest.mark.parametrize("args, match", [
    (dict(camera_id="nope"), r"unknown camera 'nope' \(scenario has: hall_south, hall_north"),
    (dict(camera_id="egate_cam"), "egate camera; CCTV frames need a cctv camera"),
    (dict(t_from=50.0, t_to=50.0), "t_from must be before t_to"),
    (dict(t_from=7000.0, t_to=7300.0), r"outside the run, which covers \[0, 7200\]"),
    (dict(t_from=-5.0, t_to=1.0), "outside the run"),
    (dict(records=[1, 2]), "records: expected"),
])
def test_bad_requests_give_clear_errors(demo, demo_records, args, match):
    call = dict(camera_id="hall_south", t_from=0.0, t_to=1.0, records=demo_records)
    call.update(args)
    with pytest.raises(FeedError, match=match):
        iter_frames(demo, call.pop("camera_id"), call.pop("t_from"), call.pop("t_to"), **call)


def test_unstageable_incident_and_camera_are_errors(demo, demo_records):
    hall = demo.terminal.zones[1]
    no_flow = hall.model_copy(update={"flow_direction": None})
    zones = [no_flow if z.id == hall.id else z for z in demo.terminal.zones]
    s = demo.model_copy(update={"terminal": demo.terminal.model_copy(update={"zones": zones})})
    with pytest.raises(FeedError, match="counterflow in zone immigration_hall.*flow_direction"):
        CctvFeed(s, "hall_south", records=demo_records)
    low = demo.cameras[0].model_copy(update={"position": (1.0, 1.0, 0.0)})
    s = demo.model_copy(update={"cameras": [low, *demo.cameras[1:]]})
    with pytest.raises(FeedError, match="height must be > 0"):
        CctvFeed(s, "hall_south", records=demo_records)
