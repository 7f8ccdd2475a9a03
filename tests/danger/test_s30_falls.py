"""A person down read as a low, wide object (issue 12, round 14, danger-fall3; a staged batch of
falls, seeds 400-425, and a census of every staged fall on tune seeds 0-79): a body lying aslant
the line of sight reads lower than one lying along it and wider than any bag (staged falls on
batch seeds 400-402 at 15-23 m: 0.59-0.66 m tall, 0.79-1.04 m wide), under round 7's
wide-object bounds (``Fall.down_wide_m`` 0.85 m wide, ``down_wide_min_height_m`` 0.6 m tall), so
the object route refused it as bag-sized. The candidate bounds (0.75, 0.55) were judged and NOT
shipped (no gain on tune 0-79, the check seeds 80-99 or the held-back half of the batch): no
default changed, so nothing here fails on 90e3568. These pin what the candidate keys do, for
whoever judges them again: the low wide body is a fall with them and missed without; a bag as
wide left by a walker who walks on stays a bag with them."""

from test_s22_close import _judge, _owner_leaves, _walker_down

from pipeline.danger.config import DangerConfig

ASLANT = (0.6, 0.8, 0.4)  # height, width (m), persons: a body lying aslant, read as an object
WIDE = DangerConfig.model_validate(
    {"rules": {"fall": {"down_wide_m": 0.75, "down_wide_min_height_m": 0.55}}})


def _kinds(things, seconds, config=DangerConfig()):
    return [k for k, _ in _judge(things, seconds, config=config)]


def test_a_walker_down_low_and_wide_is_missed_by_the_default_bounds():
    p = DangerConfig().rules.fall
    assert ASLANT[1] < p.down_wide_m and ASLANT[0] < p.down_min_height_m
    assert _kinds([_walker_down(*ASLANT)], 20.0) == []


def test_with_the_candidate_bounds_it_is_a_fall():
    assert _kinds([_walker_down(*ASLANT)], 20.0, WIDE) == ["fall"]


def test_with_them_a_bag_as_wide_left_by_a_walker_who_walks_on_is_a_bag():
    assert _kinds(_owner_leaves(0.6, 0.8, 0.4), 45.0, WIDE) == ["abandoned_bag"]
