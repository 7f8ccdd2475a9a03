"""Track ids stay stable through short occlusions and crossings."""

from danger_clips import FLOOR, Clip, Thing, legs, run
from pipeline.danger.observe import PERSON, Observation
from pipeline.danger.track import Tracker


def _obs(x, y, kind=PERSON):
    return Observation((0, 0, 10, 30), (x, y), 1.7, 0.5, 0.5, kind, 1.0, 1.0, 0.15, 80.0)


def test_a_track_coasts_through_a_short_gap_and_keeps_its_id():
    tr = Tracker()
    ids = []
    for k in range(40):
        t = k * 0.2
        seen = not (15 <= k < 20)  # hidden for one second
        out = tr.update(t, [_obs(1.3 * t, 5.0)] if seen else [])
        if seen:
            ids.append({x.id for x in out if x.seen})
    assert all(s == ids[0] for s in ids) and len(ids[0]) == 1


def test_two_people_crossing_keep_their_ids():
    tr = Tracker()
    for k in range(50):
        t = k * 0.2
        a, b = (-4 + 1.3 * t, 5.0), (4 - 1.3 * t, 5.6)
        out = tr.update(t, [_obs(*a), _obs(*b)])
    by_id = {x.id: x.xy for x in out}
    assert len(by_id) == 2
    (ia, pa), (ib, pb) = sorted(by_id.items())
    assert pa[0] > 4 and pb[0] < -4  # the first-born track walked east, the second west


def test_time_must_go_forward():
    tr = Tracker()
    tr.update(1.0, [])
    try:
        tr.update(0.5, [])
    except ValueError as exc:
        assert "before the previous frame" in str(exc)
    else:
        raise AssertionError("time going backwards was accepted")


def test_id_survives_a_pillar_in_front_on_real_pixels():
    """A person walks behind a pillar drawn over the picture and is out of sight for a while."""
    x_pillar = FLOOR.floor_to_image([[0.0, 6.0]])[0][0]
    pillar = (int(x_pillar) - 35, 0, int(x_pillar) + 35, 360)
    res = run(Clip([Thing(legs((2, -6, 6), (12, 6, 6)))], 13, occluders=[pillar]))
    unseen = [r.t for r in res if 100 + 5 < r.t < 100 + 9 and not r.objects]
    assert len(unseen) >= 3  # at least 0.6 s without a detection
    ids_before = {o.track_id for r in res if 100 + 4 < r.t < min(unseen) for o in r.objects}
    ids_after = {o.track_id for r in res if max(unseen) < r.t < 100 + 11 for o in r.objects}
    assert len(ids_before) == 1 and ids_before == ids_after
