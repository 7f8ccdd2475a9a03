"""A loitering dwell that began with someone else, and a busier staged batch (issue 12, round
19, branch danger-loit2). ``rules.loitering.spot_from_present`` counts a spot's dwell from
when the first of its holders not seen walking off it first held it; ``rejoin_trail`` lets a
lineage that carries another's dwell carry its foot points too, so ``settle_m`` counts from
when the chain came to where it is now; both ship on, with round 18's ``spot_merged_keeps``.
``danger_stage --crowd`` draws a staged scene until its crowd is one asked for. The cases fail
on a29ce4b (no such keys or ``crowds``, the keys off); the controls (pass there) pin what stays
as it was with the keys off."""

from collections import deque
from types import SimpleNamespace

import pytest

from experiments.danger_stage import stage_scene
from pipeline.danger.config import DangerConfig
from pipeline.danger.dwell import Sighting, SpotDwell
from pipeline.danger.rules import LoiteringRule
from test_s27_dwell import _run

DEFAULT = DangerConfig().rules.loitering


def test_the_keys_ship_on():
    assert DEFAULT.spot_from_present and DEFAULT.rejoin_trail and DEFAULT.spot_merged_keeps


def _spot(from_present: bool) -> SpotDwell:
    p = DEFAULT.model_copy(update={"spot_from_present": from_present})
    return LoiteringRule(p)._spots


def _passer_then_lingerer(walks_off: bool = True):
    """A passer-by (track 1) stands at (0, 12) from 0 to 30 s, then walks off 6 m (or, with
    ``walks_off`` False, is lost in place); a lingerer (track 2, born in the spot) stands there
    from 20 s on (check seed 101: a passer-by stood in the loiterer's spot 27 s before she
    came, and the spot's dwell counted from him)."""
    def passer(t):
        if t < 30.0:
            return Sighting(1, 0.1, 12.0, slow=True, origin=(0.0, 12.0))
        if t < 33.0 and walks_off:
            return Sighting(1, 6.0, 12.0, slow=False, origin=(0.0, 12.0))
        return None

    def lingerer(t):
        if t < 20.0:
            return None
        return Sighting(2, -0.3, 12.2, slow=True, origin=(-0.2, 12.1))
    return [passer, lingerer]


def test_a_spots_dwell_counts_from_the_first_holder_still_there():
    held = _run(_spot(True), 150.0, _passer_then_lingerer())
    assert len(held) == 1 and 139.9 <= held[0][0] < 141.0  # 120 s from her first hold


def test_without_it_the_dwell_counts_from_the_passer_by():
    # control (round 9): from the spot's first sighting
    held = _run(_spot(False), 150.0, _passer_then_lingerer())
    assert len(held) == 1 and held[0][0] < 121.0


def test_a_holder_lost_in_place_is_still_there():
    # control: far off, a still lingerer's tracks end where she stands (tune seed 36); a
    # holder not seen walking off keeps the dwell from its first hold
    held = _run(_spot(True), 150.0, _passer_then_lingerer(walks_off=False))
    assert len(held) == 1 and held[0][0] < 121.0


def test_a_spot_every_holder_walked_off_has_no_dwell():
    spots = _spot(True)
    spots.update(0.0, [Sighting(1, 0.0, 0.0, slow=True, origin=(0.0, 0.0))])
    spots.update(5.0, [Sighting(1, 0.0, 0.0, slow=True, origin=(0.0, 0.0))])
    spots.update(6.0, [Sighting(1, 5.0, 0.0, slow=False, origin=(0.0, 0.0))])
    (sp,) = spots.spots
    assert sp.walked_off == {1} and spots.start(sp, 6.0) == 6.0


def _rejoined(rejoin_trail: bool):
    """Lineage 1 dwelt from 0 s: 10 m off until 50 s, then at (2, 0) until 100 s, when it was
    lost; lineage 2 begins at (1, 0) at 105 s and carries its dwell (``rejoin_m``). Staged
    seed 637: chained rejoins hopped 9 m and alerted on the loiterer 80 s early."""
    rule = LoiteringRule(DEFAULT.model_copy(update={"rejoin_trail": rejoin_trail}))
    rule._trail[1] = deque([(t / 5, 10.0 if t < 250 else 2.0, 0.0) for t in range(501)])
    rule._last[1] = (100.0, 2.0, 0.0, False, 0.0)
    rule._trail[2] = deque([(105.0, 1.0, 0.0)])
    first = SimpleNamespace(t=105.0, x=1.0, y=0.0, clipped=False)
    tr = SimpleNamespace(root=2, since=105.0, seen=True, samples=[first])
    rule._edge_return(SimpleNamespace(t=105.0, tracks=[tr]), tr)
    return rule, tr


def test_a_rejoined_lineage_settles_where_the_chain_came_to():
    rule, tr = _rejoined(True)
    assert rule._start(tr) == 0.0  # the dwell is carried ...
    assert rule._arrived(tr) == pytest.approx(49.8)  # ... from when it came 6 m near


def test_without_it_the_new_tracks_own_points_settle():
    # control (round 17): the carried dwell counts whole
    rule, tr = _rejoined(False)
    assert rule._start(tr) == 0.0 and rule._arrived(tr) == float("-inf")


def test_a_busier_batch_draws_until_the_crowd_is_asked_for():
    for seed in (640, 641, 642):
        _, info = stage_scene(seed, "loitering", 4, 12.0, 32.0, crowds=("busy", "surge"))
        assert info["crowd"] in ("busy", "surge")
    # control: without crowds the draw is round 18's (seed 639 stays quiet)
    assert stage_scene(639, "loitering", 4, 12.0, 32.0)[1]["crowd"] == "quiet"
    with pytest.raises(ValueError):
        stage_scene(640, "loitering", 4, 12.0, 32.0, crowds=("packed",))
