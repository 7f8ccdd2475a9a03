"""Fixes traced on tune seeds (issue 12, round 4). Each test fails without its fix."""

import numpy as np

from danger_clips import FLOOR, FPS, blob, geometry
from pipeline.danger.config import DangerConfig
from pipeline.danger.geometry import Gate
from pipeline.danger.observe import PERSON, Observation
from pipeline.danger.stream import CameraStream

GATE = Gate("egates", 0, (0.0, 7.0), (0.0, 1.0), 0.6)  # lets people through northwards


def _walker(t: float, t0: float, stop_y: float, stand_s: float, v: float = 1.2):
    """y of a traveler who walks up the lane from y 4 at ``t0``, stands at ``stop_y`` for
    ``stand_s`` (the transaction) and walks on through; None outside 0 < y < 10."""
    reach = t0 + (stop_y - 4.0) / v
    if t < t0:
        return None
    if t < reach:
        y = 4.0 + (t - t0) * v
    elif t < reach + stand_s:
        y = stop_y
    else:
        y = stop_y + (t - reach - stand_s) * v
    return y if y < 10.0 else None


def _alerts(walkers, seconds: float):
    st = CameraStream("c", FLOOR, geometry(gates=(GATE,)), DangerConfig())
    out = []
    for k in range(int(seconds * FPS)):
        t = k / FPS
        obs = [blob(0.0, y) for y in (w(t) for w in walkers) if y is not None]
        out += [a for a in st.judge(t, obs, {}).alerts if a.kind == "tailgating"]
    return out


def test_travelers_who_stop_at_the_gate_are_not_tailgating():
    # Traced on tune seed 5 (256.8 s): a blob that walked up and stood before the gate line
    # (the transaction) kept recording "walk-ups" every frame while standing; when it walked
    # on, its own fresh walk-up made its passage unverified (it read as a pair there, and
    # alerted). Here: two travelers, each stopping, one after the other.
    first = lambda t: _walker(t, 0.0, 6.5, 1.6)
    second = lambda t: _walker(t, 2.6, 6.5, 1.6)
    assert _alerts([first, second], 12.0) == []
    # two walking straight through one after the other, without a stop, still are
    nonstop = [lambda t: _walker(t, 0.0, 6.5, 0.0), lambda t: _walker(t, 1.6, 6.5, 0.0)]
    assert len(_alerts(nonstop, 12.0)) == 1


def _runner_alerts(speed: float, y: float = 6.0, config: DangerConfig = DangerConfig()):
    """A runner crossing the view at ``speed`` m/s, ``y`` m out, foot points sure to 5 cm."""
    st = CameraStream("c", FLOOR, geometry(), config)
    out, ids = [], set()
    for k in range(int(16.0 / speed * FPS)):
        t = k / FPS
        x = -8.0 + speed * t
        u, v = FLOOR.floor_to_image(np.array([[x, y]]))[0]
        h = float(FLOOR.pixels_per_metre(np.array([[x, y]]))[0] * 1.7)
        ob = Observation((u - h / 6, v - h, u + h / 6, v), (x, y), 1.7, 0.5, 0.5, PERSON, 1.0,
                         0.9, 0.05, h)
        res = st.judge(t, [ob], {})
        out += [a for a in res.alerts if a.kind == "running"]
        ids |= {o.track_id for o in res.objects}
    return out, ids


def test_a_fast_runner_near_the_camera_needs_a_wider_new_track_gate():
    # A runner at 5-6 m/s (the benchmark stages 3.8-6) moves 1-1.2 m a frame; near the camera
    # its foot point is sure to a few cm, and a new track's velocity spread of 1.5 m/s (the
    # default, kept on the tune seeds) puts its second detection outside the gate every frame:
    # reborn each frame, never confirmed. tracker.init_speed_sigma 3 keeps it; so does (round
    # 6, the default) a track seen once taking the nearest free upright observation within
    # tracker.start_speed_mps (tests/danger/test_s22_crowd.py).
    narrow = DangerConfig(tracker={"start_speed_mps": 0.0})
    assert _runner_alerts(6.0, config=narrow)[1] == set()
    for wide in (DangerConfig(tracker={"init_speed_sigma": 3.0}), DangerConfig()):
        for speed in (4.0, 5.0, 6.0):
            hits, ids = _runner_alerts(speed, config=wide)
            assert len(ids) == 1, (speed, ids)
            assert len(hits) == 1, speed
        # a brisk walker is still no runner
        assert _runner_alerts(2.0, config=wide)[0] == []


def _loiterer_frames(out_s: float, seconds: float = 200.0):
    """Someone lingering near the left edge of the picture who walks out of view (1 m/s) and
    stays out ``out_s`` after every 70 s; cut by the edge on the way out and back in."""
    x0, y0, x_out = -5.0, 9.0, -9.5
    frames = []
    for k in range(int(seconds * FPS)):
        t = k / FPS
        phase = t % (70.0 + out_s)
        x = x0 + 0.5 * np.sin(t / 5.0)
        if phase >= 70.0:
            x = x_out
        elif phase < 5.0:  # walking back in
            x = min(x, x_out + phase)
        elif phase > 64.5:  # walking out
            x = max(x_out, min(x, x0 + 0.5 - (phase - 64.5)))
        y = y0 + 0.4 * np.cos(t / 7.0)
        u, v = FLOOR.floor_to_image(np.array([[x, y]]))[0]
        h = float(FLOOR.pixels_per_metre(np.array([[x, y]]))[0] * 1.7)
        if u + h / 6 <= 4:  # out of the picture
            frames.append((t, []))
            continue
        edge = u - h / 6 <= 4
        box = (0.0 if edge else u - h / 6, v - h, u + h / 6, v)
        frames.append((t, [Observation(box, (x, y), 1.7, 0.5, 0.5, PERSON, 1.0, 0.9, 0.05, h,
                                       edge)]))
    return frames


def test_a_loiterer_stepping_out_of_view_and_back_keeps_lingering():
    # Traced on tune seed 17: a loiterer at the left edge of the picture left the view 3 times
    # in 140 s for 8-12 s; each return started a new dwell, none reached 120 s.
    st = CameraStream("c", FLOOR, geometry(), DangerConfig())
    hits = [a for t, obs in _loiterer_frames(10.0) for a in st.judge(t, obs, {}).alerts
            if a.kind == "loitering"]
    assert len(hits) == 1
    assert 120.0 <= hits[0].t <= 130.0
    # away longer than edge_return_s: someone else, or the same one back much later
    st = CameraStream("c", FLOOR, geometry(), DangerConfig())
    assert not [a for t, obs in _loiterer_frames(45.0, 230.0) for a in st.judge(t, obs, {}).alerts
                if a.kind == "loitering"]


def test_a_runner_turning_out_of_view_is_one_run():
    # Traced on tune seed 3: a runner near the camera ran to the picture's bottom edge, turned
    # and came back, three times in 7 s; each track (one lineage) was fast for 0.6-0.8 s,
    # short of sustain_s 1.2 alone.
    def frames(gap_s: float):
        out = []
        for k in range(int((3.6 + gap_s) * FPS)):
            t = k / FPS
            if t < 1.6:
                x = -5.0 + 4.5 * t
            elif t < 1.6 + gap_s:
                out.append((t, []))  # out of the picture, turning
                continue
            else:
                x = -5.0 + 4.5 * 1.6 - 4.5 * (t - 1.6 - gap_s)
            u, v = FLOOR.floor_to_image(np.array([[x, 8.0]]))[0]
            h = float(FLOOR.pixels_per_metre(np.array([[x, 8.0]]))[0] * 1.7)
            out.append((t, [Observation((u - h / 6, v - h, u + h / 6, v), (x, 8.0), 1.7, 0.5,
                                        0.5, PERSON, 1.0, 0.9, 0.15, h)]))
        return out

    st = CameraStream("c", FLOOR, geometry(), DangerConfig())
    hits = [a for t, obs in frames(1.0) for a in st.judge(t, obs, {}).alerts
            if a.kind == "running"]
    assert len(hits) == 1 and hits[0].t > 2.6
    # back only after gap_s: two short dashes, not one run
    st = CameraStream("c", FLOOR, geometry(), DangerConfig())
    assert not [a for t, obs in frames(3.5) for a in st.judge(t, obs, {}).alerts
                if a.kind == "running"]
