"""Far-field jitter (issue 12): 40 m from a low camera one pixel of a box's bottom edge is a
quarter of a metre on the floor. A person standing still there whose blob slides down the image
and back (a shadow joining it below while its head fades into the background) must not be "running"; the
same creep without the speed's error bar is, and a real runner at that range still is."""

import numpy as np

from floorplan.plan import PlanZone
from pipeline.danger.geometry import SceneGeometry
from pipeline.danger.config import Running
from pipeline.vision.detections import Blob, Detections
from pipeline.danger.floor import FloorMap
from pipeline.danger.observe import Observer
from pipeline.danger.rules import RunningRule
from pipeline.danger.scene import Scene
from pipeline.danger.track import Tracker

SIZE = (1920, 1080)
# 4 m up at the origin, looking north (+y), 12° down, 60° wide: 40 m away is mid-frame.
FLOOR = FloorMap.from_pose((0.0, 0.0, 4.0), 90.0, 12.0, 60.0, SIZE)
# The hall the far floor lies in (rules judge only foot points on the plan's floor).
HALL = SceneGeometry((PlanZone("hall", "immigration_hall",
                               np.array([[-12.0, 30.0], [12.0, 30.0], [12.0, 50.0], [-12.0, 50.0]]),
                               480.0, flow=(1.0, 0.0)),))


def _creep(t: float, px: float = 55.0, period_s: float = 6.0) -> float:
    """Pixels the bottom edge has crept down: a triangle wave, down over half the period."""
    phase = (t % period_s) / period_s
    return px * (2 * phase if phase < 0.5 else 2 - 2 * phase)


def _running_alerts(params: Running, speed_mps: float = 0.0, seconds: float = 60.0):
    rng = np.random.default_rng(40)
    observer, tracker, rule = Observer(FLOOR), Tracker(), RunningRule(params)
    alerts, heights = [], []
    for k in range(int(seconds * 5)):
        t = k / 5
        xy = np.array([[-8.0 + speed_mps * t, 40.0]]) if speed_mps else np.array([[0.0, 40.0]])
        if abs(xy[0, 0]) > 10:
            break
        foot = FLOOR.floor_to_image(xy)[0]
        head = FLOOR.project(np.array([[xy[0, 0], xy[0, 1], 1.7]]))[0]
        h = foot[1] - head[1]
        heights.append(h)
        dx, dy = rng.normal(0, 1.0, 2)
        c = 0.0 if speed_mps else _creep(t)  # the whole blob slides: its size stays a person's
        box = (foot[0] - 0.18 * h + dx, head[1] + c + dy, foot[0] + 0.18 * h + dx, foot[1] + c + dy)
        blob = Blob(box, 0.9 * (box[2] - box[0]) * (box[3] - box[1]), 0.9)
        tracks = tracker.update(t, observer.observe(Detections((blob,))))
        scene = Scene(t, "far", [tr for tr in tracks if tr.confirmed], HALL,
                      min_person_px=36.0, min_shape_px=50.0)
        alerts += rule.update(scene)
    return alerts, float(np.median(heights))


def test_a_person_standing_still_at_40_m_does_not_run():
    alerts, h = _running_alerts(Running())
    assert 36 <= h <= 120  # readable: tall enough that the rule judges its speed
    assert alerts == []


def test_without_the_error_bar_the_same_creep_runs():
    alerts, _ = _running_alerts(Running(z_sigma=0.0))
    assert alerts and alerts[0].kind == "running"


def test_a_real_runner_at_40_m_is_still_caught():
    alerts, _ = _running_alerts(Running(), speed_mps=5.5, seconds=4.0)
    assert [a.kind for a in alerts] == ["running"]
