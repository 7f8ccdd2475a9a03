"""Maintained trackers (ByteTrack, OC-SORT, norfair) as the danger tracker's association step:
the floor Kalman filter, speeds and lineage stay the danger tracker's own."""

import numpy as np
import pytest

from danger_clips import FLOOR
from pipeline.danger.association import ASSOCIATIONS, make_floor_tracker
from pipeline.danger.config import DangerConfig
from pipeline.danger.observe import PERSON, Observation
from pipeline.danger.track import Tracker


def _obs(x, y, score=0.9):
    u, v = FLOOR.floor_to_image(np.array([[x, y]]))[0]
    h = 60.0
    return Observation((u - h / 5, v - h, u + h / 5, v), (x, y), 1.7, 0.5, 0.5, PERSON, 1.0,
                       score, 0.05, h)


def _walk(tracker, paths, steps=40, dt=0.2):
    """Feed each person's position per frame; returns the last live tracks."""
    out = []
    for k in range(steps):
        t = k * dt
        out = tracker.update(t, [_obs(*p(t)) for p in paths])
    return out


@pytest.mark.parametrize("name", ASSOCIATIONS)
def test_two_walkers_keep_two_tracks_with_their_floor_velocities(name):
    tr = make_floor_tracker(association=name)
    assert isinstance(tr, Tracker)
    out = _walk(tr, [lambda t: (-3 + 1.2 * t, 8.0), lambda t: (3.0, 6.0 + 0.0 * t)])
    live = [x for x in out if x.confirmed and x.seen]
    assert len(live) == 2
    speeds = sorted(x.velocity_and_error(1.6, 7.8)[0][0] for x in live)
    assert speeds[0] == pytest.approx(0.0, abs=0.1)
    assert speeds[1] == pytest.approx(1.2, abs=0.1)
    assert len({x.root for x in live}) == 2


@pytest.mark.parametrize("name", ASSOCIATIONS[1:])
def test_a_library_id_seen_again_after_a_gap_continues_its_track(name):
    tr = make_floor_tracker(association=name)
    ids = set()
    for k in range(40):
        t = k * 0.2
        seen = not (15 <= k < 18)  # hidden for 0.6 s
        out = tr.update(t, [_obs(1.0 * t, 8.0)] if seen else [])
        ids |= {x.id for x in out if x.seen and x.confirmed}
    assert len(ids) == 1


def test_an_unknown_association_is_refused_by_name():
    with pytest.raises(ValueError, match="tracker.association.*kalman"):
        make_floor_tracker(association="kalman")
    with pytest.raises(ValueError, match="association"):
        DangerConfig.model_validate({"association": "kalman"})


def test_the_config_switch_reaches_the_stream():
    from danger_clips import geometry

    from pipeline.danger.association import LibraryAssociation, NorfairAssociation
    from pipeline.danger.stream import CameraStream

    for name, cls in (("bytetrack", LibraryAssociation), ("norfair", NorfairAssociation),
                      ("floor", Tracker)):
        st = CameraStream("c", FLOOR, geometry(), DangerConfig(association=name))
        assert type(st.tracker) is cls
