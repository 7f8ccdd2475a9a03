"""End to end through HTTP on a real uvicorn server: enrol, verify, identify, health, metrics."""

from __future__ import annotations

import json

import httpx

from http_helpers import auth, enroll, identify, jpeg_part, verify


def test_health_ready_and_openapi(service):
    assert httpx.get(f"{service.url}/healthz").json()["status"] == "ok"
    ready = httpx.get(f"{service.url}/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    paths = httpx.get(f"{service.url}/openapi.json").json()["paths"]
    assert {"/v1/enroll", "/v1/verify", "/v1/identify", "/healthz", "/readyz",
            "/metrics"} <= set(paths)
    assert "multipart/form-data" in paths["/v1/verify"]["post"]["requestBody"]["content"]


def test_genuine_verifies_and_impostor_is_rejected(service, faces):
    r = enroll(service.url, "api-A", faces.enrol[0])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["enrolled"] and body["outcome"] == "enrolled" and body["face"]["faces_found"] >= 1
    genuine = verify(service.url, "api-A", faces.live[0]).json()
    impostor = verify(service.url, "api-A", faces.live[1]).json()
    assert genuine["threshold_source"].endswith(".json")  # the calibration the fixture made
    why = (f"threshold {genuine['threshold']:.3f} ({genuine['threshold_source']}); genuine "
           f"{genuine['score']}, impostor {impostor['score']}")
    assert genuine["outcome"] == "match" and genuine["decision"] is True, why
    assert impostor["outcome"] == "no_match" and impostor["decision"] is False, why
    lat = genuine["latency"]
    assert all(lat[k] is not None and lat[k] >= 0 for k in
               ("decode_ms", "queue_ms", "detect_ms", "align_ms", "embed_ms", "match_ms"))
    assert lat["total_ms"] >= lat["detect_ms"]


def test_identify_finds_the_enrolled_identity_and_is_audited(service, faces):
    for i in range(3):
        assert enroll(service.url, f"gal-{i}", faces.enrol[i]).status_code == 200
    r = identify(service.url, faces.live[2], k=3)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["outcome"] == "hit" and body["candidates"][0]["template_id"] == "gal-2", body
    assert body["candidates"][0]["above_threshold"]
    assert body["gallery_size"] >= 3 and len(body["candidates"]) == 3
    assert [c["rank"] for c in body["candidates"]] == [1, 2, 3]
    scores = [c["score"] for c in body["candidates"]]
    assert scores == sorted(scores, reverse=True)
    # The audit log holds this very search, by sequence number.
    lines = service.audit_log.read_text().splitlines()
    rec = json.loads(lines[body["audit_seq"] - 1])
    assert rec["event"] == "identify" and rec["outcome"] == body["outcome"]
    assert [c["template_id"] for c in rec["candidates"]] == [c["template_id"] for c in body["candidates"]]


def test_no_face_is_a_normal_outcome(service, faces):
    for path, data in (("/v1/verify", {"template_id": "api-A"}), ("/v1/identify", {})):
        if path == "/v1/verify":
            enroll(service.url, "api-A", faces.enrol[0])
        r = httpx.post(f"{service.url}{path}", files=jpeg_part(faces.blank), data=data, timeout=60)
        assert r.status_code == 200, r.text
        assert r.json()["outcome"] == "failure_to_acquire" and r.json()["face"] is None
    r = enroll(service.url, "blank-1", faces.blank)
    assert r.status_code == 200 and r.json()["enrolled"] is False
    assert verify(service.url, "blank-1", faces.live[0]).status_code == 404


def test_enrolment_needs_the_token(service, faces):
    cases = [({}, "missing_token"), (auth("wrong"), "invalid_token"),
             ({"Authorization": "Basic dXNlcjpwYXNz"}, "malformed_token")]
    for headers, code in cases:
        r = enroll(service.url, "tok-1", faces.enrol[0], headers=headers)
        assert r.status_code == 401 and r.json()["error"] == code, r.text
        assert "Bearer" in r.headers["www-authenticate"]
    assert "Authorization: Bearer" in enroll(service.url, "tok-1", faces.enrol[0], headers={}).json()["detail"]
    assert verify(service.url, "tok-1", faces.live[0]).status_code == 404


def test_non_consenting_traveler_is_never_enrolled(service, faces):
    r = enroll(service.url, "noconsent-1", faces.enrol[1], consent="false")
    assert r.status_code == 403 and r.json()["error"] == "consent_required"
    assert "nothing was stored" in r.json()["detail"]
    assert verify(service.url, "noconsent-1", faces.live[1]).status_code == 404
    assert "noconsent-1" not in service.stored()


def test_metrics_count_requests_stages_batches(service, faces):
    enroll(service.url, "met-1", faces.enrol[0])
    verify(service.url, "met-1", faces.live[0])
    text = httpx.get(f"{service.url}/metrics").text
    assert 'airtwin_requests_total{method="POST",route="/v1/verify",status="200"}' in text
    for stage in ("decode", "queue", "detect", "align", "embed", "match"):
        assert f'airtwin_stage_seconds_count{{stage="{stage}"}}' in text
    assert "airtwin_batch_size_count" in text and "airtwin_queue_depth" in text


def test_insightface_backend_serves_from_a_model_dir(shared_models, faces, tmp_path):
    from pipeline.service.launcher import ServiceProcess

    (tmp_path / "token").write_text("tok")
    args = ["--backend", "insightface", "--model-dir", str(shared_models), "--token-file",
            str(tmp_path / "token"), "--audit-log", str(tmp_path / "audit.jsonl")]
    with ServiceProcess(args, env={"AIRTWIN_TEMPLATE_KEY": None}) as svc:
        r = enroll(svc.url, "if-0", faces.enrol[0], headers=auth("tok"))
        assert r.status_code == 200 and r.json()["enrolled"], r.text
        assert r.json()["model"].startswith("arcface")
        genuine = verify(svc.url, "if-0", faces.live[0]).json()
        impostor = verify(svc.url, "if-0", faces.live[1]).json()
        assert genuine["score"] > impostor["score"] + 0.2, (genuine, impostor)
        assert genuine["outcome"] == "match"
