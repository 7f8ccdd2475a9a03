"""POST /v1/analyze through HTTP: a frame in, tracked objects and alerts out; bad input and
backpressure answered like the recognition routes; no site, a clear 503."""

from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from floorplan.site import read_site, write_site
from pipeline.danger.monitor import DangerMonitor
from pipeline.service.errors import install_error_handlers
from pipeline.service.imaging import ImageLimits, encode_jpeg
from pipeline.service.routes_danger import MONITOR, router
from sim.layout import floor_plan
from sim.loader import load_scenario


@pytest.fixture(scope="module")
def site(repo_root, tmp_path_factory):
    """The incidents demo's floor, through a site file as the service reads it."""
    path = tmp_path_factory.mktemp("site") / "site.yaml"
    write_site(floor_plan(load_scenario(repo_root / "scenarios" / "incidents_demo.yaml")), path)
    return path


def _app(site, monitor=None) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    extras = {} if monitor is None else {MONITOR: monitor}
    app.state.service = SimpleNamespace(extras=extras, limits=ImageLimits(),
                                        config=SimpleNamespace(site=site))
    return app


@pytest.fixture()
def client(site):
    monitor = DangerMonitor(read_site(site), queue_size=4)
    with TestClient(_app(site, monitor)) as c:
        c.svc = monitor
        yield c


def _frame(person: bool, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((720, 1280, 3), 175, np.uint8)
    img[::40] = 140  # tile lines, so the floor is not flat
    img = np.clip(img + rng.normal(0, 2, img.shape), 0, 255).astype(np.uint8)
    if person:
        cv2.rectangle(img, (630, 300), (660, 400), (40, 60, 160), -1)
    return img


def _post(client, img, t, camera="hall_south", fmt=".png", **extra):
    ok, buf = cv2.imencode(fmt, img)
    return client.post("/v1/analyze", files={"image": ("f" + fmt, buf.tobytes())},
                       data={"camera_id": camera, "timestamp": str(t), **extra})


def test_a_person_is_tracked_on_the_floor(client):
    for k in range(8):
        r = _post(client, _frame(False, k), 10 + k * 0.2)
        assert r.status_code == 200, r.text
        assert r.json()["detections"] == []
    for k in range(4):
        r = _post(client, _frame(True, 20 + k), 12 + k * 0.2)
        assert r.status_code == 200, r.text
    body = r.json()
    assert body["camera_id"] == "hall_south" and body["alerts"] == []
    (det,) = body["detections"]
    assert det["zone"] == "immigration_hall" and det["kind"] in ("person", "group")
    x, y = det["floor_xy"]
    assert 0 < x < 40 and 0 < y < 30  # inside the hall, in metres
    assert set(body["latency_ms"]) == {"decode", "analyze", "queue_and_analyze"}


def test_bad_input_is_named(client):
    r = _post(client, _frame(False), 1.0, camera="gate_cam_9")
    assert r.status_code == 404 and r.json()["error"] == "unknown_camera"
    assert "hall_north, hall_south, reclaim_cam" in r.json()["detail"]
    r = _post(client, np.zeros((480, 640, 3), np.uint8), 1.0)
    assert r.status_code == 422 and r.json()["error"] == "wrong_image_size"
    assert "640x480 does not match camera hall_south's 1280x720" in r.json()["detail"]
    jpeg = encode_jpeg(_frame(False))
    r = client.post("/v1/analyze", files={"image": ("f.jpg", jpeg[: len(jpeg) // 2])},
                    data={"camera_id": "hall_south", "timestamp": "1"})
    assert r.status_code == 422 and r.json()["error"] == "truncated_image"
    r = client.post("/v1/analyze", files={"image": ("f.txt", b"hello, not a picture")},
                    data={"camera_id": "hall_south", "timestamp": "1"})
    assert r.status_code == 415 and r.json()["error"] == "not_an_image"
    r = _post(client, _frame(False), "soon")
    assert r.status_code == 422 and "timestamp" in r.json()["detail"]
    r = _post(client, _frame(False), "nan")
    assert r.status_code == 422 and "finite" in r.json()["detail"]


def test_frames_of_a_camera_must_come_in_time_order(client):
    assert _post(client, _frame(False), 5.0).status_code == 200
    r = _post(client, _frame(False), 4.0)
    assert r.status_code == 409 and r.json()["error"] == "out_of_order"
    assert "4.0 is not after camera hall_south's previous frame at 5.0" in r.json()["detail"]
    assert _post(client, _frame(False), 4.0, reset="true").status_code == 200
    assert _post(client, _frame(False), 4.0, camera="hall_north").status_code == 200


def test_a_full_queue_answers_429_with_retry_after(client):
    client.svc.queue.pending = client.svc.queue.size  # as if four frames were being analysed
    r = _post(client, _frame(False), 1.0)
    assert r.status_code == 429 and r.json()["error"] == "queue_full"
    assert int(r.headers["Retry-After"]) >= 1
    client.svc.queue.pending = 0
    assert _post(client, _frame(False), 1.0).status_code == 200


def test_without_a_site_the_route_says_how_to_start_with_one():
    with TestClient(_app(None)) as c:
        r = _post(c, _frame(False), 1.0)
    assert r.status_code == 503 and r.json()["error"] == "no_site"
    assert "--site FILE" in r.json()["detail"] and "airtwin site export" in r.json()["detail"]
