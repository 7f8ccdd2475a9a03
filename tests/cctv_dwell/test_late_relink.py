"""A stander's id goes on with a neighbour for a moment while the stander comes back under a new
id: the re-linker refused that new id at its birth (the old id was in view), and continues it
once the old id is lost, a few frames later (``RelinkConfig.late_s``). Fails on f8d78be:
RelinkConfig has no late_s (the stander kept the new id)."""

import pytest
from test_dwell_relink import _body, _hist

from pipeline.cctv.persons import PersonTrack
from pipeline.cctv.relink import RelinkConfig, Relinker

LATE = RelinkConfig(late_s=2.0)


def _handover(r: Relinker, new_clothes: int = 3, lost_after: int = 2) -> list[int]:
    """Track 1 (clothes 3) stands at x 500 for 4 s at 5 fps; then it sits on the neighbour's box
    (x 560, clothes 9) for ``lost_after`` frames while a new track 7 is born at 500, then is
    lost; the ids of track 7's rows after its birth."""
    t = 0.0
    for _ in range(20):
        r.update(t, [PersonTrack(1, _body(500), 0)], [_hist(3)])
        t += 0.2
    out = []
    for k in range(20):
        tracks = [PersonTrack(7, _body(501), 0)]
        hists = [_hist(new_clothes)]
        if k < lost_after:
            tracks.append(PersonTrack(1, _body(560), 1))
            hists.append(_hist(9))
        out.append(r.update(t, tracks, hists)[0].track_id)
        t += 0.2
    return out


def test_the_new_id_continues_the_old_one_once_it_is_lost():
    r = Relinker(LATE)
    ids = _handover(r)
    assert ids[:2] == [7, 7] and set(ids[2:]) == {1}
    assert r.late_relinked == 1 and r.relinked == 1


def test_off_the_new_id_stays():
    assert set(_handover(Relinker(RelinkConfig()))) == {7}


@pytest.mark.parametrize("case", ["other clothes", "too late"])
def test_a_late_link_needs_the_clothes_and_a_young_track(case):
    r = Relinker(LATE)
    ids = _handover(r, new_clothes=9 if case == "other clothes" else 3,
                    lost_after=12 if case == "too late" else 2)
    assert set(ids) == {7} and r.late_relinked == 0


def test_the_config_refuses_a_negative_late_s():
    with pytest.raises(ValueError, match="late_s"):
        RelinkConfig(late_s=-1.0)
