"""The one adapter from the simulator: a scenario's face cameras as a CCTV identification source."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.cctv_sources import SourceError, scenario_source


@pytest.fixture(scope="module")
def source(repo_root):
    return scenario_source(repo_root / "scenarios" / "cctv_identification.yaml",
                           window=(240.0, 240.25))


def test_every_face_camera_is_a_camera_of_the_source_with_its_own_size(source):
    sizes = {cid: c.size for cid, c in source.cameras.items()}
    assert len(sizes) >= 5
    assert sizes["hall_entry"] == (3840, 2160) and sizes["corridor_far"] == (1920, 1080)


def test_every_camera_carries_its_view_area_for_the_journeys_and_the_run_table(source,
                                                                               repo_root):
    from pipeline.cctv.journeys import view_area
    from sim.layout import floor_plan
    from sim.loader import load_scenario

    plan = floor_plan(load_scenario(repo_root / "scenarios" / "cctv_identification.yaml"))
    table = source.camera_table().set_index("camera")
    for cid, cam in source.cameras.items():
        assert np.allclose(np.asarray(cam.view), view_area(plan.camera(cid)))
        assert np.allclose(np.reshape(table.loc[cid, "view_xy"], (-1, 2)), cam.view)


def test_frames_carry_ground_truth_as_a_table_with_faces(source):
    frame = next(iter(source.frames("corridor_far")))
    assert frame.image.shape == (1080, 1920, 3)
    for col in ("traveler_id", "track_id", "x1", "y2", "face_x1", "face_y2", "ipd_px", "yaw_deg"):
        assert col in frame.persons.columns


def test_enrolment_photos_are_the_travelers_own_identities(source, repo_root):
    from sim.feeds import CctvFeed, simulate_run
    from sim.loader import load_scenario

    s = load_scenario(repo_root / "scenarios" / "cctv_identification.yaml")
    feed = CctvFeed(s, "corridor_far", simulate_run(s, s.seed), s.seed)
    tid = int(source.travelers["traveler_id"].iloc[3])
    key = (int(source.travelers["key_seed"].iloc[3]), tid)
    assert np.array_equal(source.enrolment_photo(key), feed.enrolment_photo(tid).image)


def test_a_scenario_without_face_cameras_is_refused_by_name(repo_root):
    path = repo_root / "scenarios" / "incidents_demo.yaml"
    with pytest.raises(SourceError, match="incidents_demo.yaml: no face-capable CCTV camera"):
        scenario_source(path)


def test_a_lower_processing_rate_takes_every_kth_frame_on_the_camera_clock(repo_root):
    path = repo_root / "scenarios" / "cctv_identification.yaml"
    full = scenario_source(path, window=(240.0, 241.0), cameras=["corridor_far"])
    half = scenario_source(path, window=(240.0, 241.0), cameras=["corridor_far"], fps=5)
    cam, cam2 = full.cameras["corridor_far"], half.cameras["corridor_far"]
    assert cam2.fps == pytest.approx(cam.fps / 2) and cam2.n_frames == (cam.n_frames + 1) // 2
    assert cam.n_frames == 10 and cam2.n_frames == 5
    # the frames' own times say what was taken: 240.0, 240.2, ... on the 10 fps clock
    times = [f.t for f in half.frames("corridor_far")]
    assert times == pytest.approx([240.0, 240.2, 240.4, 240.6, 240.8])
