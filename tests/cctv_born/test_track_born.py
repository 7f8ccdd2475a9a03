"""A track reported from the frame of its first head (``LibraryTracker(born=True)``, the
scenario's ``faces: {track_born: true}``): ByteTrack confirms a new track at its second
detection, so every track's first frame was a person box with no track on it (the far
cameras' "no track" boxes, mostly one frame at a track's start). With ``born`` the track is
reported from its first frame under the id it keeps; the library's own life of the track is
unchanged, and a head beside a tracked person is not reported at its birth."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from pipeline.cctv.persons import CCTV_TRACKER_OPTIONS, LibraryTracker, make_tracker
from pipeline.vision.heads import body_boxes_from_heads
from sim.loader import ScenarioError, load_scenario, parse_scenario

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "cctv_identification.yaml"
# on the two far cameras only (docs/cctv.md: a track from its first head)
SHIPPED = {"corridor_far": True, "corridor_near": False, "hall_entry": False, "hall_exit": True,
           "reclaim_exit": False}


def _far_walker(tracker, seen, x: float = 900.0, n: int = 10) -> list[tuple[int, int]]:
    """(frame, id) of a far walker's head coming down from the top at 5 fps, found in the
    frames ``seen`` only."""
    out = []
    for k in range(n):
        hd = np.array([[x, 10 + 6 * k, x + 30, 40 + 6 * k]])
        body = body_boxes_from_heads(hd, (1920, 1080))
        boxes, scores = (body, np.array([0.6])) if k in seen else (np.zeros((0, 4)), np.zeros(0))
        heads = hd if k in seen else np.zeros((0, 4))
        out += [(k, t.track_id) for t in tracker.update(k * 0.2, boxes, scores, heads=heads)]
    return out


def _tracker(born: bool):
    opts = {**CCTV_TRACKER_OPTIONS, "frame_size": (1920, 1080), "born": born}
    return make_tracker("bytetrack", 5.0, options=opts)


@pytest.mark.parametrize("seen", [{0, 1, 2, 3, 4}, {0, 2, 4, 6, 8}], ids=["steady", "flicker"])
def test_a_new_track_is_reported_from_its_first_head_under_the_id_it_keeps(seen):
    off = _far_walker(_tracker(False), seen)
    on = _far_walker(_tracker(True), seen)
    assert [k for k, _ in off] == sorted(seen)[1:]  # the library: from the second head
    assert [k for k, _ in on] == sorted(seen) and len({i for _, i in on}) == 1


def test_a_head_seen_once_is_one_row_and_its_id_is_not_given_again():
    tr = _tracker(True)
    got = _far_walker(tr, {0})
    assert [k for k, _ in got] == [0]
    later = [(k, i) for k, i in _far_walker(tr, {0, 1, 2}, x=300.0) if k]
    assert later and got[0][1] not in {i for _, i in later}


def test_the_library_s_tracks_are_the_same_with_or_without_born():
    """Past the first frame the rows are the library's own: the same boxes, one id for one."""
    runs = []
    for born in (False, True):
        tr, rows, rng = _tracker(born), [], np.random.default_rng(3)
        for k in range(12):
            hd = np.array([[200.0 + 8 * k, 40, 230 + 8 * k, 70], [800, 20 + 5 * k, 826, 46 + 5 * k],
                           [1400 - 6 * k, 60, 1432 - 6 * k, 92]])
            keep = rng.random(3) > 0.25
            hd = hd[keep]
            rows.append({(round(t.box[0]), t.detection): t.track_id for t in tr.update(
                k * 0.2, body_boxes_from_heads(hd, (1920, 1080)), np.full(len(hd), 0.6),
                heads=hd)})
        runs.append(rows)
    ids: dict[int, int] = {}
    extra = 0
    for off, on in zip(*runs):
        assert set(off) <= set(on)
        extra += len(set(on) - set(off))
        for key, i in off.items():
            assert ids.setdefault(i, on[key]) == on[key]
    assert extra >= 1


def test_a_head_beside_a_tracked_person_is_not_reported_at_its_birth():
    tr = LibraryTracker(fps=5.0, assoc="head", head_scale=2.0, min_hits=1, born=True)
    a = np.array([[500.0, 300, 540, 340]])
    for k in range(3):
        out = tr.update(k * 0.2, body_boxes_from_heads(a, (1920, 1080)), np.array([0.9]), heads=a)
    # a second head overlapping the tracked one (a second window on the person, or a neighbour
    # taking them over) and a head far from anyone
    hd = np.array([[500.0, 300, 540, 340], [520, 310, 560, 350], [1200, 300, 1240, 340]])
    out = tr.update(0.6, body_boxes_from_heads(hd, (1920, 1080)), np.array([0.9, 0.9, 0.9]),
                    heads=hd)
    assert sorted(t.detection for t in out) == [0, 2]


def test_born_is_a_bytetrack_option():
    with pytest.raises(ValueError, match="born"):
        LibraryTracker("ocsort", fps=5.0, born=True)


def _with(value):
    d = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    d["cameras"][0]["faces"]["track_born"] = value
    return d


def test_a_bad_track_born_is_refused_naming_the_field():
    with pytest.raises(ScenarioError, match=r"cameras\[0\]\.faces\.track_born"):
        parse_scenario(_with("sometimes"), "cctv.yaml", SCENARIO.parent)


def test_the_shipped_scenario_sets_track_born_per_camera():
    cams = {c.id: c.faces.track_born for c in load_scenario(SCENARIO).cameras if c.faces}
    assert cams == SHIPPED


def test_the_source_carries_each_camera_s_tracker_options(small_cctv_scenario):
    from experiments.cctv_sources import scenario_source

    d = yaml.safe_load(Path(small_cctv_scenario).read_text(encoding="utf-8"))
    d["cameras"][0]["faces"]["track_born"] = True
    path = Path(small_cctv_scenario).with_name("born.yaml")
    path.write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
    src = scenario_source(path, 1, (198.5, 199.0))
    assert src.cameras["corridor_near"].tracker_options == {"born": True}
    plain = scenario_source(small_cctv_scenario, 1, (198.5, 199.0))
    assert plain.cameras["corridor_near"].tracker_options == {}


def test_a_camera_s_tracker_options_go_over_the_stream_s_there_only():
    from experiments.cctv_run import camera_config
    from pipeline.cctv.stream import CctvStream, StreamConfig

    config = StreamConfig(fps=5.0)
    far = camera_config(config, 5.0, {"born": True})
    assert far.tracker_options == {**CCTV_TRACKER_OPTIONS, "born": True}
    assert camera_config(config, 10.0, None) == StreamConfig(fps=10.0)
    assert config.tracker_options == CCTV_TRACKER_OPTIONS  # the stream's own untouched
    stream = CctvStream("hall_exit", (1920, 1080), None, None, None, far)
    assert stream.tracker.born and not CctvStream("x", (1920, 1080), None, None, None,
                                                   config).tracker.born
