"""Polygon and polyline maths: point in polygon, doors off corners, lanes, queue serpentines."""

import numpy as np

from floorplan.shapes import (bounds, bounds_centre, door_point, lane_polygons,
                              points_in_polygon, queue_point, serpentine_queue)

L_SHAPE = [[0, 0], [4, 0], [4, 1], [1, 1], [1, 3], [0, 3]]


def test_points_in_an_l_shaped_polygon():
    pts = np.array([[0.5, 0.5], [3.5, 0.5], [0.5, 2.5], [2.0, 2.0], [5.0, 0.5], [-1.0, 1.0]])
    assert points_in_polygon(pts, L_SHAPE).tolist() == [True, True, True, False, False, False]
    assert bounds(L_SHAPE) == (0.0, 0.0, 4.0, 3.0) and bounds_centre(L_SHAPE) == (2.0, 1.5)


def test_doors_are_nearest_the_target_but_off_the_corners():
    square = [[0, 0], [10, 0], [10, 10], [0, 10]]
    assert door_point(square, (5, 30)).tolist() == [5.0, 10.0]
    assert door_point(square, (30, 30)).tolist() == [10.0, 8.5]  # not the corner (10, 10)
    # An edge shorter than two insets: the door sits in its middle.
    assert door_point([[0, 0], [2, 0], [2, 10], [0, 10]], (1, -5)).tolist() == [1.0, 0.0]


def test_lanes_reach_past_the_ends_of_each_segment():
    (lane,) = lane_polygons([[0, 0], [4, 0], [4, 0]], 0.5)  # the zero-length segment: none
    assert lane.tolist() == [[-0.5, 0.5], [4.5, 0.5], [4.5, -0.5], [-0.5, -0.5]]


def test_a_long_queue_folds_away_from_where_its_path_came_from():
    # Head at (0, 10), down to (0, 0), then east to (4, 0): the fold goes south, away from
    # the first leg, 1 m per lane, back and forth along the last segment's 4 m.
    pts, cum = serpentine_queue([[0, 10], [0, 0], [4, 0]], lanes=2)
    assert pts.tolist() == [[0, 10], [0, 0], [4, 0], [4, -1], [0, -1], [0, -2], [4, -2]]
    assert cum.tolist() == [0, 10, 14, 15, 19, 20, 24]
    xy, heading = queue_point(pts, cum, np.array([0.0, 12.0, 17.0, 30.0]))
    assert xy.tolist() == [[0, 10], [2, 0], [2, -1], [10, -2]]  # past the end: straight on
    facing = np.column_stack([np.cos(heading), np.sin(heading)])  # towards the head
    assert np.allclose(facing, [[0, 1], [-1, 0], [1, 0], [-1, 0]])
