"""The cross-camera linker's rules on hand-built track summaries: views that see a person at
the same time, a tracker re-acquiring a person under a new id, clothes that are only alike, and
the tuning tool's held-out report mode."""

import numpy as np
import pytest

from experiments.cctv_link_tune import OLD_DEFAULTS, main
from pipeline.cctv.appearance import HIST_BINS, similarity
from pipeline.cctv.journeys import LinkConfig, link_journeys
from pipeline.cctv.stream import TrackSummary

# Two corridor cameras facing the flow: their view centres are 14 m apart, but each view is
# deep, so a walker is in both at once for a few seconds (as corridor_far / corridor_near).
CENTRES = {"far": (0.0, -26.0), "near": (0.0, -12.0), "hall": (0.0, 2.0)}
OLD = LinkConfig(**OLD_DEFAULTS)


def _hist(colour: int, mix: float = 0.0) -> np.ndarray:
    """All mass on hue bin ``colour``, or a ``mix`` share of it moved to the next bin."""
    h = np.zeros(HIST_BINS, np.float32)
    h[colour, 2] = 1.0 - mix
    h[(colour + 1) % HIST_BINS[0], 2] += mix
    return h


def _s(cam, tid, t_in, t_out, hist, identity=None, frames=20):
    return TrackSummary(cam, tid, t_in, t_out, identity, 0.8 if identity else np.nan, False,
                        hist, frames)


def _journey(summaries, cfg):
    return link_journeys(summaries, CENTRES, cfg).set_index(["camera", "track_id"])["journey_id"]


def test_overlapping_deep_views_hand_a_walker_over_only_under_the_tuned_defaults():
    red, blue = _hist(0), _hist(6)
    s = [_s("far", 1, 0.0, 8.0, red), _s("near", 1, 5.0, 14.0, red),  # overlap: 3 s
         _s("far", 2, 1.0, 9.0, blue), _s("near", 2, 6.0, 15.0, blue)]
    new, old = _journey(s, LinkConfig()), _journey(s, OLD)
    assert new["far", 1] == new["near", 1] and new["far", 2] == new["near", 2]
    assert new["far", 1] != new["far", 2]
    # the shipped rule took 14 m as at least 8 s of walking, so neither hand-off was linked
    assert old["far", 1] != old["near", 1] and old["far", 2] != old["near", 2]


def test_a_reacquired_track_continues_its_person_but_a_companion_does_not():
    red, blue = _hist(0), _hist(6)
    s = [_s("near", 1, 0.0, 6.2, red), _s("near", 2, 5.0, 12.0, red),  # re-acquired, 1.2 s overlap
         _s("near", 3, 0.0, 12.0, blue)]  # walks beside them the whole time
    new, old = _journey(s, LinkConfig()), _journey(s, OLD)
    assert new["near", 1] == new["near", 2] != new["near", 3]
    assert old["near", 1] != old["near", 2]
    # a long overlap is two people, however alike their clothes
    long = LinkConfig().reacquire_s + 1.0
    s2 = [_s("near", 1, 0.0, 5.0 + long, red), _s("near", 2, 5.0, 12.0 + long, red)]
    j = _journey(s2, LinkConfig())
    assert j["near", 1] != j["near", 2]


def test_clothes_that_are_only_alike_no_longer_link():
    # Bhattacharyya similarity of (1, 0) and (1 - m, m) is 1 - sqrt(1 - sqrt(1 - m)): aim
    # between the shipped threshold and the tuned one
    target = (OLD.min_appearance + LinkConfig().min_appearance) / 2
    a, b = _hist(0), _hist(0, mix=1 - (1 - (1 - target) ** 2) ** 2)
    sim = similarity(a, b)
    assert OLD.min_appearance <= sim < LinkConfig().min_appearance, sim
    s = [_s("near", 1, 0.0, 5.0, a), _s("hall", 1, 15.0, 20.0, b)]  # 10 s: a plausible walk
    new, old = _journey(s, LinkConfig()), _journey(s, OLD)
    assert old["near", 1] == old["hall", 1]
    assert new["near", 1] != new["hall", 1]


def test_the_report_mode_scores_two_fixed_configs_and_takes_no_grid(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--report", "--grid", "min_appearance=0.5", str(tmp_path)])
    assert "takes no --grid" in capsys.readouterr().err
    assert LinkConfig(**OLD_DEFAULTS) != LinkConfig()


def test_a_margin_refuses_an_appearance_link_between_two_alike_candidates():
    red, blue = _hist(0), _hist(6)
    # two people in alike red leave near together; one red track appears in the hall
    s = [_s("near", 1, 0.0, 5.0, red), _s("near", 2, 0.0, 5.2, _hist(0, mix=0.001)),
         _s("hall", 1, 15.0, 20.0, red), _s("near", 3, 0.0, 5.0, blue),
         _s("hall", 2, 15.0, 20.0, blue)]
    free = _journey(s, LinkConfig())
    assert free["hall", 1] in (free["near", 1], free["near", 2])  # a guess between the two
    strict = _journey(s, LinkConfig(min_margin=0.1))
    assert strict["hall", 1] not in (strict["near", 1], strict["near", 2])
    assert strict["hall", 2] == strict["near", 3]  # the only blue candidate still links
    # a face claim is no guess: it links whatever the margin
    s[2] = _s("hall", 1, 15.0, 20.0, red, identity="e1")
    s[0] = _s("near", 1, 0.0, 5.0, red, identity="e1")
    assert _journey(s, LinkConfig(min_margin=0.1))["hall", 1] == strict["near", 1]


def test_a_half_life_prefers_the_journey_that_waited_less():
    red, near_red = _hist(0), _hist(0, mix=0.1)  # similarity 0.77
    # A left far 200 s ago in exactly these clothes; B (another face, so never A) left near
    # 10 s ago in nearly these clothes. Linear timing still scores A's wait 0.78 and takes A.
    s = [_s("far", 1, 0.0, 5.0, red, identity="eA"),
         _s("near", 2, 190.0, 195.0, near_red, identity="eB"), _s("hall", 1, 205.0, 210.0, red)]
    old, new = _journey(s, LinkConfig()), _journey(s, LinkConfig(half_life_s=30.0))
    assert old["hall", 1] == old["far", 1] != old["near", 2]
    assert new["hall", 1] == new["near", 2] != new["far", 1]
    with pytest.raises(ValueError, match="half_life_s"):
        LinkConfig(half_life_s=0.0)
    with pytest.raises(ValueError, match="min_margin"):
        LinkConfig(min_margin=-0.1)


def test_views_that_meet_hand_a_walker_over_though_their_centres_lie_far_apart():
    # a camera at one end of a hall looks across it: its view area reaches the area of a
    # camera 20 m away (their centres), so a walker is in both at once (hall_entry / hall_exit)
    centres = {"entry": (0.0, 0.0), "exit": (0.0, 20.0), "reclaim": (0.0, 60.0)}
    views = {"entry": np.array([[-5, -5], [5, -5], [5, 5], [-5, 5]], float),
             "exit": np.array([[-5, 3], [5, 3], [5, 25], [-5, 25]], float),
             "reclaim": np.array([[-5, 45], [5, 45], [5, 70], [-5, 70]], float)}
    red, blue = _hist(0), _hist(6)
    s = [_s("entry", 1, 0.0, 8.0, red), _s("exit", 1, 6.0, 20.0, red),  # 2 s in both
         _s("entry", 2, 0.0, 8.0, blue),
         _s("reclaim", 1, 31.0, 40.0, red)]  # 20 m past exit's edge: 11 s >= 26 m / 2.2 m/s

    def journey(cfg, v):
        return link_journeys(s, centres, cfg, v).set_index(["camera", "track_id"])["journey_id"]

    old, new = journey(LinkConfig(), None), journey(LinkConfig(), views)
    assert old["entry", 1] != old["exit", 1]  # 20 m apart: 12 s of walking at least
    assert new["entry", 1] == new["exit", 1] == new["reclaim", 1] != new["entry", 2]
    assert old["exit", 1] != old["reclaim", 1]  # 40 m between centres: 24 s at least
    off = journey(LinkConfig(views=False), views)  # the switch restores the centres' rule
    assert off.equals(old)
    with pytest.raises(ValueError, match="no view area for camera"):
        link_journeys(s, centres, LinkConfig(), {"entry": views["entry"]})
