"""Tailgating: hold a far track's lane on evidence, not on a bound (issue 12, round 15, branch
danger-tail4). Round 14's ``lane_hold_sigmas`` keeps a track in the lane it was in while its
foot point stays within the lane widened by its error across it, and through the gate up to
the next lane's middle. It added two false episodes on tune seeds: 26 at 846-849 s, a merged
blob slanting steadily from gate 4's lane into gate 5's (0.8 m across in 0.8 s, 0.47 m error)
held in gate 4's and walled through it; 61 at 742.6 s, a track that came up gate 2 read at
gate 1's centre past the line, merged there with a traveler who had just come through gate 1,
and was walled through gate 2.

``tailgating.lane_drift_s``: a least-squares line through the last seconds of the foot point
that drifts across the held lane, away from its centre, by more than the foot point's error
across it by more than half a lane is a lane change: the hold is released (jitter about the lane cancels in the line).
``tailgating.walled_clear_lane``: past the line a lane is not held into a neighbour lane where
another lineage was moments ago. Both fail on 0042ea5 (unknown keys); the jittering far pair
of round 14 keeps its alert with them on."""
import math
from dataclasses import replace

from danger_clips import FLOOR, FPS, blob, geometry
from pipeline.danger.config import DangerConfig
from pipeline.danger.stream import CameraStream
from test_s30_tailgating import GATES, _pair

HOLD = {"lane_hold_sigmas": 1.0}
ROUND14 = DangerConfig.model_validate({"rules": {"tailgating": HOLD}})
DRIFT = DangerConfig.model_validate({"rules": {"tailgating": {**HOLD, "lane_drift_s": 1.5}}})
CLEAR = DangerConfig.model_validate({"rules": {"tailgating": {**HOLD, "lane_drift_s": 1.5,
                                                              "walled_clear_lane": True}}})


def _alerts(people, seconds: float, config: DangerConfig) -> list[str]:
    """``people``: functions of t giving (x, y, persons, person_px, sigma_m) or None; the
    tailgating alerts' details ("2 through egates[0] ...")."""
    st = CameraStream("c", FLOOR, geometry(gates=GATES), config)
    out = []
    for k in range(int(seconds * FPS)):
        t = k / FPS
        obs = []
        for f in people:
            q = f(t)
            if q is not None:
                obs.append(replace(blob(*q[:3]), person_px=q[3], sigma_m=q[4]))
        out += [a.detail for a in st.judge(t, obs, {}).alerts if a.kind == "tailgating"]
    return out


def _slant(t: float):
    """A merged blob (1.8 persons, 120 px a body, 0.8 m error along the line of sight, ~0.45 m
    across the lanes) walks straight up gate 0's lane at 1 m/s from 4 m before its line, then
    slants 0.95 m towards gate 1 over the last metre and a half; hidden by the cabinets at the
    line, it comes out reading between the two lanes, nearer gate 1's centre (seed 26)."""
    y = 3.0 + 1.0 * t
    if y >= 10.0:
        return None
    if y < 5.2:
        x = 6.0
    elif y < 6.7:
        x = 6.0 + 0.95 * (y - 5.2) / 1.5
    elif y < 7.6:
        return None  # behind the cabinets
    else:
        x = 6.95
    return (x, y, 1.8, 120.0, 0.8)


def test_a_blob_slanting_into_the_next_lane_is_not_walled_through_its_first_gate():
    # round 14: held in gate 0's lane up to 0.95 m off (0.6 + 0.45), then walled through it
    assert any("egates[0]" in d for d in _alerts([_slant], 9.0, ROUND14))
    # the steady drift is a lane change: no passage through gate 0
    assert not any("egates[0]" in d for d in _alerts([_slant], 9.0, DRIFT))


def test_a_far_pair_jittering_about_its_lane_keeps_it():
    # control (round 14's pair: 0.4-0.85 m beside gate 0's centre, swaying): no steady drift
    assert len(_alerts([_pair(0.3)], 9.0, DRIFT)) == 1
    assert len(_alerts([_pair(0.3)], 9.0, CLEAR)) == 1
    assert len(_alerts([_pair(0.3, past_x=7.2)], 9.0, CLEAR)) == 1  # walled, gate 1 empty


def _through_gate_1(t: float):
    """A lone traveler walks up gate 1's lane and through it at 1 m/s, 2 s ahead of the pair,
    seen up to 2 m past the line."""
    y = 5.0 + 1.0 * t
    return None if y > 9.0 else (7.2, y, 0.9, 120.0, 0.3)


def _held_pair(t: float):
    """A pair (one blob of 1.8 persons, 120 px a body, 0.3 m error along the line of sight)
    walks straight up gate 0's lane 0.5 m beside its centre at 1 m/s; past the line it reads at
    gate 1's centre (half hidden by the cabinets)."""
    y = 3.0 + 1.0 * t
    if y >= 10.0:
        return None
    return (7.2 if y > 7.3 else 6.5, y, 1.8, 120.0, 0.3)


def test_a_pair_read_in_a_lane_someone_just_came_through_is_not_walled():
    # alone, the pair is walled through its own gate
    assert any("egates[0]" in d for d in _alerts([_held_pair], 9.0, CLEAR))
    # with a traveler just through gate 1, its reading at gate 1's centre is explained by them
    # (seed 61): not walled through gate 0
    both = [_held_pair, _through_gate_1]
    assert any("egates[0]" in d for d in _alerts(both, 9.0, DRIFT))
    assert not any("egates[0]" in d for d in _alerts(both, 9.0, CLEAR))
