"""POST /v1/cctv/frame on a real ``airtwin serve`` (dlib, calibrated threshold, the incidents
demo's site): a camera's frames in order give tracks; an enrolled (consenting) traveler's face
walking through a frame is identified as their template and the identification is audit-logged;
a traveler who never enrolled is named nowhere and nothing of theirs is stored; a frame out of
order is 409, an unknown camera 404, a wrong size 422, and a service without a site 503.

Frames are composites (:mod:`experiments.cctv_composite`): a synthetic live capture pasted at a
known place on a plain hall, walking across a 1280x720 camera."""

from __future__ import annotations

import json

import cv2
import httpx
import pytest

from experiments.cctv_composite import Walker, composite_stream
from http_helpers import auth, enroll
from pipeline.service.audit import verify_chain
from pipeline.service.imaging import encode_jpeg
from pipeline.service.launcher import ServiceProcess

KEYS = [(5151, 0), (5151, 1)]  # synthetic identities of their own: 0 enrols, 1 never does
SIZE = (1280, 720)  # the site's cameras


def post_frame(url: str, camera: str, image, t: float, **extra) -> httpx.Response:
    data = image if isinstance(image, bytes) else encode_jpeg(image)
    return httpx.post(f"{url}/v1/cctv/frame", files={"image": ("f.jpg", data, "image/jpeg")},
                      data={"camera_id": camera, "timestamp": str(t), **extra}, timeout=60)


def walk(walkers, camera: str, t_to: float = 1.0):
    return list(composite_stream(camera, walkers, 0.0, t_to, fps=10, size=SIZE))


def cctv_records(audit_path, camera: str) -> list[dict]:
    lines = [json.loads(x) for x in audit_path.read_text().splitlines()]
    return [r for r in lines if r["event"] == "cctv_identify" and r["camera"] == camera]


def test_frames_in_order_give_tracks_and_out_of_order_is_409(service):
    # a never-enrolled identity whose face dlib HOG finds from the third frame on ((5151, 1)'s
    # textured face is found in only 5 of these 10 frames, and a track needs two hits in a row)
    frames = walk([Walker(7, (5151, 2), 45, 0.0, 700, 200, (40, 160, 40))], "hall_north")
    answers = []
    for f in frames:
        r = post_frame(service.url, "hall_north", f.image, 100 + f.t, reset=str(f.t == 0).lower())
        assert r.status_code == 200, r.text
        answers.append(r.json())
    tracked = [a for a in answers if a["tracks"]]
    assert len(tracked) >= 3, [len(a["tracks"]) for a in answers]
    ids = {t["track_id"] for a in tracked for t in a["tracks"]}
    assert len(ids) == 1  # one walker, one track
    last = tracked[-1]["tracks"][0]
    truth = frames[answers.index(tracked[-1])].persons.iloc[0]
    assert abs((last["box"][0] + last["box"][2]) / 2 - (truth.x1 + truth.x2) / 2) < 60
    assert answers[-1]["faces_found"] >= 1 and set(answers[-1]["latency_ms"]) == {
        "decode", "frame", "queue_and_frame"}
    # no CCTV threshold was chosen for dlib: the gate calibration decides, and the answer says so
    assert answers[-1]["threshold_source"].startswith("gate calibration, not CCTV")
    r = post_frame(service.url, "hall_north", frames[0].image, 100.0)
    assert r.status_code == 409 and r.json()["error"] == "out_of_order"
    assert "timestamp" in r.json()["detail"] and "reset=true" in r.json()["detail"]
    r = post_frame(service.url, "hall_north", frames[0].image, 100.0, reset="true")
    assert r.status_code == 200, r.text


def test_unknown_camera_and_wrong_size_are_named(service):
    frame = walk([], "hall_south", 0.1)[0].image
    r = post_frame(service.url, "nope_cam", frame, 1.0)
    assert r.status_code == 404 and r.json()["error"] == "unknown_camera"
    assert "'nope_cam'" in r.json()["detail"] and "hall_south" in r.json()["detail"]
    r = post_frame(service.url, "hall_south", cv2.resize(frame, (640, 360)), 1.0)
    assert r.status_code == 422 and r.json()["error"] == "wrong_image_size"
    assert "640x360" in r.json()["detail"] and "1280x720" in r.json()["detail"]
    r = post_frame(service.url, "hall_south", frame, float("nan"))
    assert r.status_code == 422 and "timestamp" in r.json()["detail"]


def test_an_enrolled_face_is_identified_and_audited_a_stranger_is_named_nowhere(service):
    from sim.faces import make_identity, render_enrolment

    r = enroll(service.url, "cctv-enrolled", encode_jpeg(render_enrolment(
        make_identity(KEYS[0])).image))
    assert r.status_code == 200 and r.json()["enrolled"], r.text
    stored_before = set(service.stored())
    walkers = [Walker(1, KEYS[0], 50, 0.0, 500, 120, (40, 40, 200)),
               Walker(2, KEYS[1], 50, 0.0, 500, 420, (200, 60, 30))]  # never enrolled
    answers = []
    for f in walk(walkers, "reclaim_cam", 1.6):
        r = post_frame(service.url, "reclaim_cam", f.image, 500 + f.t,
                       reset=str(f.t == 0).lower())
        assert r.status_code == 200, r.text
        answers.append(r.json())
    hits = [i for a in answers for i in a["identifications"]]
    assert hits and {h["template_id"] for h in hits} == {"cctv-enrolled"}
    assert all(h["audit_logged"] and h["score"] >= answers[-1]["threshold"] for h in hits)
    enrolled_track = hits[0]["track_id"]
    named = {(t["track_id"], t["identity"]) for a in answers for t in a["tracks"]}
    assert (enrolled_track, "cctv-enrolled") in named
    stranger_tracks = {t["track_id"] for a in answers for t in a["tracks"]} - {enrolled_track}
    assert stranger_tracks, "the stranger was never tracked"
    assert all(identity is None for tid, identity in named if tid in stranger_tracks)
    assert sum(a["searches"] for a in answers) > len(hits)  # the stranger was searched too
    records = cctv_records(service.audit_log, "reclaim_cam")
    assert [(r["track"], r["candidate"]) for r in records] == \
        [(h["track_id"], h["template_id"]) for h in hits]
    assert not any(r["track"] in stranger_tracks for r in records)
    assert verify_chain(service.audit_log).ok
    assert set(service.stored()) == stored_before  # nothing of the stranger's was stored


@pytest.fixture(scope="module")
def siteless(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("siteless")
    with ServiceProcess(["--backend", "dlib", "--audit-log", str(tmp / "audit.jsonl")],
                        env={"AIRTWIN_API_TOKEN": None, "AIRTWIN_TEMPLATE_KEY": None}) as proc:
        yield proc


def test_without_a_site_the_route_says_how_to_get_one(siteless):
    frame = walk([], "hall_south", 0.1)[0].image
    r = post_frame(siteless.url, "hall_south", frame, 1.0)
    assert r.status_code == 503 and r.json()["error"] == "no_site"
    assert "--site FILE" in r.json()["detail"]


def test_insightface_cctv_route_decides_at_the_cctv_threshold_for_its_gallery_size(
        shared_models, site_file, tmp_path):
    """The CCTV route of an insightface service searches at the recogniser's CCTV operating
    point at the gallery's size, not at its e-gate calibration (0.698 was chosen at 234
    identities; one enrolled identity is below the rule's floor of 60)."""
    from pipeline.cctv.operating import cctv_operating_point
    from sim.faces import make_identity, render_enrolment

    (tmp_path / "token").write_text("tok")
    args = ["--backend", "insightface", "--model-dir", str(shared_models), "--token-file",
            str(tmp_path / "token"), "--audit-log", str(tmp_path / "audit.jsonl"),
            "--site", str(site_file)]
    with ServiceProcess(args, env={"AIRTWIN_TEMPLATE_KEY": None}) as svc:
        r = enroll(svc.url, "cctv-if", encode_jpeg(render_enrolment(make_identity(KEYS[0])).image),
                   headers=auth("tok"))
        assert r.status_code == 200 and r.json()["enrolled"], r.text
        model = r.json()["model"]
        answers = [post_frame(svc.url, "reclaim_cam", f.image, 500 + f.t,
                              reset=str(f.t == 0).lower()).json()
                   for f in walk([Walker(1, KEYS[0], 60, 0.0, 500, 120, (40, 40, 200))],
                                 "reclaim_cam", 1.0)]
    rule = cctv_operating_point(model).sized
    last = answers[-1]
    assert last["gallery_size"] == 1 and last["threshold_source"].startswith(
        "CCTV operating point")
    assert last["threshold"] == pytest.approx(rule.at(1), abs=1e-4)
    assert last["threshold"] < rule.threshold  # the floor's size (60), not the chosen 234
