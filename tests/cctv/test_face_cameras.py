"""Face-capable CCTV cameras (issue 11, part 1): faces at their true pixel size, posed by the
walking direction, with ground truth; the scenario that places them; one check on real pixels
with the dlib recognizer."""

import math

import cv2
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from airtwin.cli import app
from sim.cctv.face_view import IPD_M
from sim.cctv.figures import appearance
from sim.faces import make_identity
from sim.faces.head import MAX_FACE_YAW, render_head
from sim.feeds import PERSON_COLUMNS, CctvFeed
from sim.layout import floor_plan

FACE_CAMERAS = ("corridor_far", "corridor_near", "hall_entry", "hall_exit", "reclaim_exit")


@pytest.fixture(scope="module")
def scenario(simulated):
    return simulated("cctv_identification")[0]


@pytest.fixture(scope="module")
def records(scenario, simulated):
    return simulated(scenario.name)[1]  # the run of this scenario, simulated once


@pytest.fixture(scope="module")
def corridor(scenario, records):
    return CctvFeed(scenario, "corridor_far", records=records)


@pytest.fixture(scope="module")
def busy_frame(corridor):
    return corridor.render(1000.0)  # three travelers 5-6 m from the camera, four further back


def _walkers_in_front(feed, t_from, t_to, near_m, far_m, n):
    """(traveler_id, t) of the first ``n`` travelers between near_m and far_m in front of the
    camera, found on the trajectories (no rendering)."""
    cam, picks = feed.model, {}
    for t in np.arange(t_from, t_to, 0.5):
        a = feed.trajectories.arrays_at(float(t))
        ahead = cam.center[1] - a["y"]  # corridor_far looks south
        for tid in a["traveler_id"][(ahead > near_m) & (ahead < far_m)]:
            picks.setdefault(int(tid), float(t))
        if len(picks) >= n:
            break
    return list(picks.items())[:n]


def test_scenario_places_face_cameras_on_the_plan(scenario):
    cams = {c.id: c for c in scenario.cameras}
    assert set(FACE_CAMERAS) <= {c.id for c in scenario.cameras if c.faces is not None}
    for cid in FACE_CAMERAS:
        c = cams[cid]
        assert 2.5 <= c.position[2] <= 4.0 and c.fov_deg <= 50
        assert tuple(c.resolution) in {(1920, 1080), (3840, 2160)}
    plan = floor_plan(scenario)
    assert {c.id for c in plan.cameras if c.faces} == set(FACE_CAMERAS)


def test_faces_only_on_cctv_cameras(scenario):
    from pydantic import ValidationError

    from sim.scenario import Camera

    with pytest.raises(ValidationError, match="only a cctv camera can be a face camera"):
        Camera(id="x", zone="pier", kind="egate", faces={"jpeg_quality": 80})


def test_truth_columns_and_a_large_face(busy_frame):
    df = busy_frame.persons_df
    assert list(df.columns) == PERSON_COLUMNS
    assert busy_frame.image.shape == (1080, 1920, 3) and busy_frame.image.dtype == np.uint8
    assert (df["traveler_id"] == df["track_id"]).all()
    assert df["ipd_px"].max() >= 40
    faces = df.dropna(subset=["face_x1"])
    assert len(faces) >= 3
    assert ((faces.face_x1 >= faces.x1 - 1) & (faces.face_x2 <= faces.x2 + 1)
            & (faces.face_y1 >= faces.y1 - 1) & (faces.face_y2 <= faces.y2)).all()


def test_face_pixel_size_matches_the_camera_geometry(corridor, busy_frame, records):
    """IPD in pixels ~ focal_px * 0.063 m / depth of the eyes (the identities' eye spacing
    spreads about 15% around 0.063 m; the yaw shortens it by cos(yaw))."""
    cam = corridor.model
    tv = records["travelers"].set_index("traveler_id")
    checked = 0
    for r in busy_frame.persons_df.dropna(subset=["ipd_px"]).itertuples():
        if r.ipd_px < 8:
            continue
        d = tv.loc[r.traveler_id]
        app = appearance((corridor.seed, r.traveler_id), d.skin_tone, d.age_band,
                         d.sex_presentation)
        eyes = np.array([[r.floor_x, r.floor_y, app.height_m - 0.11]])
        depth = float(cam.to_camera(eyes)[0, 2])
        expected = cam.focal_px * IPD_M / depth * math.cos(math.radians(r.yaw_deg))
        assert r.ipd_px == pytest.approx(expected, rel=0.25), (r.traveler_id, depth)
        checked += 1
    assert checked >= 4


def test_head_patch_ipd_scales_with_size():
    idt = make_identity((3, 11))
    small, large = render_head(idt, 60), render_head(idt, 240)
    assert large.ipd_px == pytest.approx(4 * small.ipd_px, rel=0.03)
    assert render_head(idt, 120, yaw=30).ipd_px < render_head(idt, 120, yaw=0).ipd_px


def test_a_person_facing_away_has_no_face(scenario, records):
    feed = CctvFeed(scenario, "reclaim_exit", records=records)
    df = pd.concat([feed.render(t).persons_df for t in (1100.0, 1400.0)])
    away = df[df["yaw_deg"].abs() > 90]
    facing = df[(df["yaw_deg"].abs() < 20) & (df["depth_m"] < 20) & ~df["truncated"]]
    assert len(away) >= 1 and away["face_x1"].isna().all() and away["ipd_px"].isna().all()
    assert df.loc[df["yaw_deg"].abs() > MAX_FACE_YAW, "face_x1"].isna().all()
    assert len(facing) >= 1 and facing["face_x1"].notna().all()


def test_frames_command_writes_face_truth(repo_root, tmp_path):
    out = tmp_path / "cam"
    res = CliRunner().invoke(app, ["frames", str(repo_root / "scenarios" /
                                                 "cctv_identification.yaml"),
                                   "--camera", "corridor_far", "--from", "1000", "--to", "1000.2",
                                   "--out", str(out), "--no-video"])
    assert res.exit_code == 0, res.output
    persons = pd.read_parquet(out / "persons.parquet")
    assert {"traveler_id", "face_x1", "face_y1", "face_x2", "face_y2", "ipd_px", "yaw_deg",
            "pitch_deg", "face_occluded"} <= set(persons.columns)
    assert set(persons["frame"]) == {0, 1} and persons["ipd_px"].max() >= 40


def test_cctv_face_is_closest_to_its_own_enrolment_photo(corridor):
    """Real pixels through the dlib recognizer: five travelers' CCTV face crops (5-6 m from the
    camera, unoccluded) each lie nearer their own enrolment template than anyone else's."""
    pytest.importorskip("dlib")
    from pipeline.recognizer import Recognizer

    rz = Recognizer.from_backend("dlib").prepare()
    probes = {}
    for tid, t in _walkers_in_front(corridor, 100, 900, 5.0, 6.0, 12):
        frame = corridor.render(t)
        df = frame.persons_df
        r = df[df["traveler_id"] == tid].iloc[0]
        if math.isnan(r.face_x1) or r.face_occluded > 0:
            continue
        m = r.face_x2 - r.face_x1
        x0, y0 = int(max(r.face_x1 - m, 0)), int(max(r.face_y1 - m, 0))
        crop = frame.image[y0:int(r.face_y2 + m), x0:int(r.face_x2 + m)]
        template = rz.extract(cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC))
        if template.acquired:
            probes[tid] = template.vector
        if len(probes) == 5:
            break
    assert len(probes) == 5
    ids = list(probes)
    enrolled = np.stack([rz.extract(corridor.enrolment_photo(i).image).vector for i in ids])
    dist = np.stack([np.linalg.norm(enrolled - probes[i], axis=1) for i in ids])
    assert (dist.argmin(axis=1) == np.arange(5)).all(), np.round(dist, 3)
