"""`airtwin frames` writes frames, an MP4 that OpenCV reads back, and ground truth."""

import json

import cv2
import pandas as pd
from typer.testing import CliRunner

from airtwin.cli import app


def test_frames_command_writes_frames_video_and_truth(repo_root, tmp_path):
    out = tmp_path / "cam"
    scenario = str(repo_root / "scenarios" / "incidents_demo.yaml")
    res = CliRunner().invoke(app, ["frames", scenario, "--camera", "hall_south", "--from", "700",
                                   "--to", "701.5", "--out", str(out), "--no-faces"])
    assert res.exit_code == 0, res.output
    images = sorted((out / "frames").glob("*.jpg"))
    assert len(images) == 15
    cap = cv2.VideoCapture(str(out / "hall_south.mp4"))
    assert cap.isOpened()
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 15
    ok, first = cap.read()
    assert ok and first.shape == (720, 1280, 3)
    cap.release()
    persons = pd.read_parquet(out / "persons.parquet")
    assert set(persons["frame"]) == set(range(15)) and (persons["x1"] <= 1280).all()
    incidents = pd.read_parquet(out / "incidents.parquet")
    assert set(incidents["label"]) == {"running"} and incidents["visible"].any()
    truth = json.loads((out / "ground_truth.json").read_text())
    assert truth["frames"] == 15 and truth["camera"] == "hall_south"
    assert len(truth["camera_model"]["homography_floor_to_image"]) == 3
    assert not list(out.glob(".*"))  # no temporary files left behind


def test_frames_command_rejects_bad_input(repo_root, tmp_path):
    scenario = str(repo_root / "scenarios" / "incidents_demo.yaml")
    runner = CliRunner()
    res = runner.invoke(app, ["frames", scenario, "--camera", "egate_cam", "--from", "0",
                              "--to", "1", "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "egate camera" in res.output
    res = runner.invoke(app, ["frames", scenario, "--camera", "hall_south", "--from", "9000",
                              "--to", "9001", "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "outside the run" in res.output
    res = runner.invoke(app, ["frames", scenario, "--camera", "hall_south", "--from", "0",
                              "--to", "1", "--out", str(tmp_path / "x"), "--format", "gif"])
    assert res.exit_code == 2 and "--format" in res.output
