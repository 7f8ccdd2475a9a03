"""The person's speed on the floor for the crowd looks (``LibraryTracker(looks_cue="floor",
camera=...)``, :meth:`pipeline.cctv.lost_buffer.HeadTrail.floor_speed`): a walker heading along
the camera's line of sight barely moves in the image and read as standing (so the clothes veto,
meant for people standing at the belts, asked walkers too); through the camera's calibration
the head moves metres on the floor. One frame's jump moves neither half's median. Fails on
90e3568: HeadTrail has no floor_speed, LibraryTracker no looks_cue / camera, CctvStream no
camera_model."""

import numpy as np
import pytest

from floorplan.camera import CameraModel
from pipeline.cctv.lost_buffer import HEAD_Z_M, HeadTrail
from pipeline.cctv.persons import CCTV_TRACKER_OPTIONS, LibraryTracker, PersonTrack
from pipeline.cctv.side_on import HEAD_M
from pipeline.danger.floor import FloorMap

FPS = 5.0
# corridor_near of scenarios/cctv_identification.yaml: 3 m up, facing south down the corridor
CAM = CameraModel("corridor_near", 1920, 1080, (21.0, -1.0, 3.0), -90.0, 10.0, 35.0)


def _heads(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Head boxes (N, 4) of heads whose centres stand at floor points ``xy`` (N, 2)."""
    uv, z = CAM.project(np.column_stack([xy, np.full(len(xy), HEAD_Z_M)]))
    side = CAM.focal_px * HEAD_M / z
    return np.column_stack([uv - side[:, None] / 2, uv + side[:, None] / 2]), side


def _trail(xy: np.ndarray) -> HeadTrail:
    """A trail of one track (id 1) seen at floor points ``xy``, one a frame."""
    trail = HeadTrail(2.0, FloorMap.from_camera(CAM))
    boxes, side = _heads(xy)
    for k, b in enumerate(boxes):
        trail.seen(k / FPS, [PersonTrack(1, tuple(b), 0)], ((b[:2] + b[2:]) / 2)[None],
                   side[k:k + 1])
    return trail


def _walk(speed: float, frames: int = 11, lateral: float = 0.0) -> np.ndarray:
    """A walker heading north towards the camera (along its line of sight) from y = -15."""
    t = np.arange(frames) / FPS
    return np.column_stack([21.5 + lateral * t, -15.0 + speed * t])


def test_a_walker_along_the_line_of_sight_reads_slow_in_the_image_but_not_on_the_floor():
    trail = _trail(_walk(1.3))
    assert trail.speed(1) < 0.2  # the image cue: "standing"
    assert trail.floor_speed(1) == pytest.approx(1.3, rel=0.05)


def test_a_walker_across_the_view_reads_the_same_on_the_floor():
    trail = _trail(_walk(0.0, lateral=1.2))
    assert trail.floor_speed(1) == pytest.approx(1.2, rel=0.05)


def test_one_frame_s_jump_does_not_make_a_stander_fast():
    xy = np.tile([[20.5, -8.0]], (11, 1))
    xy[-1] += [0.6, 0.0]  # the last head found on a neighbour's place
    trail = _trail(xy)
    assert trail.speed(1) > 0.2  # the image cue's first-to-last displacement
    assert trail.floor_speed(1) == 0.0


def test_no_calibration_no_floor_speed():
    trail = HeadTrail(2.0)
    trail.seen(0.0, [PersonTrack(1, (0, 0, 10, 10), 0)], np.array([[5.0, 5.0]]), np.array([10.0]))
    trail.seen(0.2, [PersonTrack(1, (0, 0, 10, 10), 0)], np.array([[9.0, 5.0]]), np.array([10.0]))
    assert trail.speed(1) is not None and trail.floor_speed(1) is None


def test_a_head_above_the_head_plane_s_horizon_is_no_measurement():
    trail = HeadTrail(2.0, FloorMap.from_camera(CAM))
    for k in range(4):  # the top row: the ray stays above 1.57 m until far beyond FAR_M
        trail.seen(k / FPS, [PersonTrack(1, (0, 0, 10, 10), 0)], np.array([[960.0, 0.0]]),
                   np.array([10.0]))
    assert trail.floor_speed(1) is None


def _tracker(**kw) -> LibraryTracker:
    return LibraryTracker("bytetrack", FPS, **{**CCTV_TRACKER_OPTIONS, "side_width": 0.0, **kw})


def test_the_tracker_reads_the_floor_speed_with_its_camera():
    tr = _tracker(looks_cue="floor", camera=CAM)
    heads, _ = _heads(_walk(1.3))
    for k, h in enumerate(heads):
        tracks = tr.update(k / FPS, h[None], np.array([0.9]), heads=h[None],
                           looks=[np.ones((12, 4), np.float32)])
    assert tr.looks_cue == "floor"
    assert tr.trail.floor_speed(tracks[0].track_id) == pytest.approx(1.3, rel=0.1)
    # without a camera the floor cue falls back to the image's
    assert _tracker(looks_cue="floor").looks_cue == "image"


def test_bad_cue_is_named():
    with pytest.raises(ValueError, match="looks_cue"):
        _tracker(looks_cue="feet")


def test_the_stream_gives_its_tracker_the_camera():
    import pandas as pd

    from pipeline.cctv.galleries import build_gallery
    from pipeline.cctv.stream import CctvStream, StreamConfig
    from test_cctv_tracking import _NoFaces

    g = build_gallery(pd.DataFrame({"template_id": ["t0"], "traveler_id": [0], "consent": [True],
                                    "watchlist": [False]}),
                      np.eye(1, 8, dtype=np.float32), "manifest")
    config = StreamConfig(fps=5.0, tracker_options={**CCTV_TRACKER_OPTIONS, "looks_cue": "floor"})
    with_camera = CctvStream("corridor_near", (1920, 1080), _NoFaces(), _NoFaces(), g, config,
                             camera_model=CAM)
    assert with_camera.tracker.looks_cue == "floor"
    assert with_camera.tracker.trail.floor is not None
    without = CctvStream("corridor_near", (1920, 1080), _NoFaces(), _NoFaces(), g, config)
    assert without.tracker.looks_cue == "image"


def test_the_shipped_looks_ask_standers_not_walkers_along_the_line_of_sight():
    still = CCTV_TRACKER_OPTIONS["looks_still_m_s"]
    assert CCTV_TRACKER_OPTIONS["looks_cue"] == "floor" and CCTV_TRACKER_OPTIONS["looks_veto"] > 0
    walker = _trail(_walk(1.3))
    assert walker.floor_speed(1) > still > walker.speed(1)  # the image cue would ask them
    shuffling = _trail(_walk(0.3))
    assert shuffling.floor_speed(1) < still


@pytest.mark.parametrize("cue, walking", [("image", False), ("floor", True)])
def test_the_lost_buffer_reads_a_line_of_sight_walker_by_its_cue(cue, walking):
    # LostBuffer(cue=...), LibraryTracker(lost_cue=...): the walker's buffer by the floor speed
    # (fails on 0042ea5: no cue / lost_cue)
    from pipeline.cctv.lost_buffer import LostBuffer

    buf = LostBuffer(1.0, FPS, still_m_s=0.5, floor=FloorMap.from_camera(CAM), cue=cue)
    boxes, side = _heads(_walk(1.3))
    for k, b in enumerate(boxes):
        buf.seen(k / FPS, [PersonTrack(1, tuple(b), 0)], ((b[:2] + b[2:]) / 2)[None],
                 side[k:k + 1])
    assert buf.walking(1) is walking


def test_the_lost_cue_is_named_and_needs_a_camera():
    from pipeline.cctv.lost_buffer import LostBuffer

    with pytest.raises(ValueError, match="lost buffer cue"):
        LostBuffer(1.0, FPS, cue="sky")
    with pytest.raises(ValueError, match="lost_cue"):
        LibraryTracker("bytetrack", FPS, lost_cue="sky")
    assert LibraryTracker("bytetrack", FPS, walker_lost_s=1.0, lost_cue="floor").lost_cue == "image"
    assert LibraryTracker("bytetrack", FPS, walker_lost_s=1.0, lost_cue="floor",
                          camera=CAM).lost_cue == "floor"
