"""The pinhole camera: floor round trips, the homography, the horizon, degenerate cameras."""

import math

import numpy as np
import pytest

from floorplan.camera import CameraError, CameraModel
from sim.layout import floor_plan


def cam(**kw):
    args = dict(id="c", width=1280, height=720, position=(0.0, 0.0, 6.0), yaw_deg=30.0,
                tilt_deg=35.0, fov_deg=75.0)
    args.update(kw)
    return CameraModel(**args)


def test_floor_round_trip_and_homography_agree():
    c = cam()
    rng = np.random.default_rng(1)
    uv = np.column_stack([rng.uniform(0, 1280, 200), rng.uniform(0, 720, 200)])
    floor = c.image_to_floor(uv)
    assert np.all(np.isfinite(floor))  # a 35° tilt with 75° fov sees floor in every pixel
    back = c.floor_to_image(floor)
    np.testing.assert_allclose(back, uv, atol=1e-6)
    H = c.homography()
    p = np.column_stack([floor, np.ones(len(floor))]) @ H.T
    np.testing.assert_allclose(p[:, :2] / p[:, 2:], uv, atol=1e-6)
    q = np.column_stack([uv, np.ones(len(uv))]) @ np.linalg.inv(H).T
    np.testing.assert_allclose(q[:, :2] / q[:, 2:], floor, atol=1e-6)


def test_axis_and_yaw_convention():
    # yaw 90° looks north: a floor point straight ahead lands on the image's centre column,
    # a point to the east (the camera's right) right of it.
    c = cam(yaw_deg=90.0, position=(10.0, 5.0, 6.0))
    ahead = c.floor_to_image([[10.0, 15.0]])[0]
    assert ahead[0] == pytest.approx(640.0)
    right = c.floor_to_image([[12.0, 15.0]])[0]
    assert right[0] > 640.0
    # The optical axis meets the floor at height / tan(tilt) ahead, in the image centre.
    d = 6.0 / math.tan(math.radians(35.0))
    np.testing.assert_allclose(c.floor_to_image([[10.0, 5.0 + d]])[0], [640.0, 360.0], atol=1e-6)


def test_above_horizon_and_behind_are_nan():
    c = cam(tilt_deg=5.0)
    assert c.horizon_row() > 0  # the horizon is inside the image
    assert np.all(np.isnan(c.image_to_floor([[640.0, 10.0]])))
    assert np.all(np.isnan(c.floor_to_image([[-20.0, -20.0]])))  # behind the camera
    far, near = c.pixels_per_metre([[40.0, 20.0], [5.0, 3.0]])
    assert near > far > 0


@pytest.mark.parametrize("kw, word", [
    (dict(position=(0.0, 0.0, 0.0)), "height"),
    (dict(width=0), "resolution"),
    (dict(tilt_deg=95.0), "tilt_deg"),
    (dict(fov_deg=0.0), "fov_deg"),
    (dict(yaw_deg=math.nan), "finite"),
])
def test_degenerate_cameras_are_refused(kw, word):
    with pytest.raises(CameraError, match=word):
        cam(**kw)


def test_scenario_camera_without_position_is_mounted_in_its_zone(demo):
    c = demo.cameras[0].model_copy(update={"position": None})
    model = floor_plan(demo.model_copy(update={"cameras": [c]})).camera(c.id)
    assert model.position == (1.0, 1.0, 6.0) and model.zone == c.zone  # a corner, 6 m up
    centre = model.image_to_floor([[640.0, 360.0]])[0]
    assert 0 < centre[0] < 40 and 0 < centre[1] < 30  # looks into the hall
