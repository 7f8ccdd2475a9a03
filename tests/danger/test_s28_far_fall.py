"""A far faller who fell towards the camera (issue 12, round 12, danger-fall2; traced on fresh
seeds 43 and 46, 34-39 m): the walker's own track went from upright to an "object" 0.55-0.67 m
tall in place, but the object's foot point is the near end of the body lying along the line of
sight, here the head, 1.8-1.9 m nearer the camera than where the walker last stood upright 0.2 s
before: just past ``upright_radius_m`` (1.8 m), so nobody was "upright by it" and the fall was
missed. The own lineage now counts within the radius of the lying body's floor extent (its
foot point to ``Fall.down_own_along_m`` farther from the camera). Fails on 6e2e5bc and with
``down_own_along_m`` 0; the control (an object as far *beyond* the spot, which no fall gives)
stays quiet."""

from dataclasses import replace

import numpy as np
from test_s22_close import SPOT, _judge, _obs
from test_s27_far_fall import FAR

from pipeline.danger.config import DangerConfig
from pipeline.danger.observe import OBJECT, PERSON

# FAR's camera stands at (0, -20): nearer the camera is smaller y
TOWARDS, AWAY = -1.9, 1.9


def _seen(x, y, kind, h, w, persons, floor):
    """``_obs`` with the observer's foot-point uncertainty (3 px of box error down the image
    column, on the floor: ~0.3 m 34 m off), not the clips' 5 cm."""
    o = _obs(x, y, kind, h, w, persons, floor)
    foot = floor.floor_to_image(np.array([[x, y]]))[0]
    below = floor.image_to_floor(np.array([foot + [0.0, 3.0]]))[0]
    return replace(o, sigma_m=float(np.clip(np.hypot(*(below - (x, y))), 0.08, 2.0)))


def _faller(shift_m: float, floor=FAR):
    """Walks along the hall at 1.2 m/s to SPOT, tumbles over 0.8 s from t = 4 s and lies still,
    read as an object 0.58 m tall, 0.65 m wide. As on seed 43, the foot point (the blob's near
    end) stays while the figure still reads upright, then moves ``shift_m`` along y in the
    half second after it reads low (the body landing)."""
    def f(t):
        x = SPOT[0] - 1.2 * (4.0 - min(t, 4.4))  # walking on into the tumble
        if t < 4.0:
            return _seen(x, SPOT[1], PERSON, 1.7, 0.5, 0.9, floor)
        h = max(0.58, 1.7 - (1.7 - 0.58) * (t - 4.0) / 0.8)
        if h > 1.2:
            return _seen(x, SPOT[1], PERSON, h, 0.55, 0.7, floor)
        y = SPOT[1] + shift_m * min(1.0, (t - 4.4) / 0.5)
        return _seen(x, y, OBJECT, h, 0.65, 0.35, floor)
    return f


def test_the_near_end_is_past_the_radius():
    p = DangerConfig().rules.fall
    assert abs(TOWARDS) > p.upright_radius_m and abs(TOWARDS) < p.upright_radius_m + p.down_own_along_m


def test_a_far_walker_who_fell_towards_the_camera_is_a_fall():
    hits = _judge([_faller(TOWARDS)], 30.0, floor=FAR)
    assert [k for k, _ in hits] == ["fall"], hits


def test_off_it_is_missed():
    # the round-11 behaviour: the upright sighting is measured to the foot point only
    cfg = DangerConfig.model_validate({"rules": {"fall": {"down_own_along_m": 0.0}}})
    assert "fall" not in [k for k, _ in _judge([_faller(TOWARDS)], 30.0, floor=FAR, config=cfg)]


def test_an_object_beyond_the_spot_is_no_fall():
    # the extent runs away from the camera from the foot point: an object whose foot point is
    # 1.9 m beyond where the walker stood has the walker nowhere on it
    assert "fall" not in [k for k, _ in _judge([_faller(AWAY)], 30.0, floor=FAR)]
