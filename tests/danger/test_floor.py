"""Image ↔ floor mapping: from a pose, from its homography, from four marked points."""

import numpy as np
import pytest

from pipeline.danger.floor import FloorMap, FloorMapError

SIZE = (1280, 720)
POSE = FloorMap.from_pose((1.0, 1.0, 6.0), 38.0, 30.0, 80.0, SIZE)


def test_floor_points_round_trip():
    xy = np.array([[10.0, 8.0], [20.0, 5.0], [4.0, 15.0]])
    assert np.allclose(POSE.image_to_floor(POSE.floor_to_image(xy)), xy, atol=1e-9)


@pytest.mark.parametrize("fov", [80.0, None])
def test_full_projection_is_recovered_from_the_floor_homography(fov):
    """Heights come back too: the focal length (given, or from r1 ⟂ r2) and r3 = r1 × r2."""
    fm = FloorMap.from_homography(POSE.homography * -2.5, SIZE, fov)
    pts = np.array([[10.0, 8.0, 0.0], [10.0, 8.0, 1.7], [25.0, 12.0, 0.9]])
    assert np.allclose(fm.project(pts), POSE.project(pts), atol=1e-6)


def test_four_marked_points_give_the_same_camera():
    floor = np.array([[5.0, 5.0], [20.0, 4.0], [22.0, 18.0], [6.0, 16.0]])
    image = POSE.floor_to_image(floor)
    fm = FloorMap.from_points(image, floor, SIZE)
    head = np.array([[12.0, 10.0, 1.7]])
    assert np.allclose(fm.project(head), POSE.project(head), atol=1e-3)
    # a standing person 10 m away is about f * 1.7 / depth pixels tall
    assert 80 < POSE.pixels_per_metre([[8.0, 8.0]])[0] * 1.7 < 140


def test_the_sim_camera_model_maps_the_same(default_scenario):
    from sim.layout import floor_plan

    cam = floor_plan(default_scenario).camera("hall_cam_1")
    fm = FloorMap.from_camera(cam)
    pts = np.array([[100.0, 30.0, 0.0], [100.0, 30.0, 1.7]])
    assert np.allclose(fm.project(pts), cam.project(pts)[0], atol=1e-6)
    assert np.allclose(FloorMap.from_homography(cam.homography(), (cam.width, cam.height))
                       .project(pts), cam.project(pts)[0], atol=1e-4)


def test_degenerate_inputs_are_refused():
    with pytest.raises(FloorMapError, match="at least 4 matching"):
        FloorMap.from_points([[0, 0], [1, 1], [2, 2]], [[0, 0], [1, 1], [2, 2]], SIZE)
    with pytest.raises(FloorMapError, match="invertible 3x3"):
        FloorMap.from_homography(np.zeros((3, 3)), SIZE)
    with pytest.raises(FloorMapError, match="straight down"):
        FloorMap.from_homography(FloorMap.from_pose((0, 0, 6), 0, 90, 60, SIZE).homography, SIZE)


def test_visible_floor_is_inside_the_zone_and_the_view():
    zone = [[0, 0], [40, 0], [40, 30], [0, 30]]
    view = POSE.visible_floor(zone, max_range_m=30)
    assert len(view) >= 3
    assert view[:, 0].min() >= -1e-3 and view[:, 0].max() <= 40 + 1e-3
    uv = POSE.floor_to_image(view)
    assert (uv[:, 0] > -2).all() and (uv[:, 0] < SIZE[0] + 2).all()
