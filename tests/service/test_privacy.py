"""Privacy through the running service: templates encrypted at rest and purged after retention,
no image written anywhere, and the identify audit log's hash chain (and its tamper detection)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import time

import cv2
import httpx
import numpy as np

from http_helpers import enroll, identify, verify
from pipeline.service.audit import verify_chain


def test_templates_on_disk_are_encrypted(service, faces):
    assert enroll(service.url, "enc-1", faces.enrol[1]).status_code == 200
    raw = service.store_bytes()
    vec = service.stored()["enc-1"].vector
    assert vec.dtype == np.float32 and vec.shape == (128,)
    # Neither the float bytes nor their base64 are readable on disk. (The template id is: it is
    # the row's key and its associated data; ids are pseudonymous references, vectors secrets.)
    assert b"enc-1" in raw
    assert vec.tobytes() not in raw
    assert base64.b64encode(vec.tobytes())[:40] not in raw
    assert vec[:4].tobytes() not in raw


def _image_traces(jpeg: bytes) -> list[bytes]:
    """Byte strings that only a copy of this image (encoded or decoded) would contain: pieces of
    its entropy-coded data and a run of its decoded pixels. Long enough (>= 32 bytes) that
    encrypted rows cannot hold them by chance, unlike a 3-byte JPEG marker (which ciphertext
    does contain about once per 16 MB)."""
    pixels = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    mid = len(jpeg) // 2
    row = pixels[pixels.shape[0] // 2]
    return [jpeg[mid:mid + 32], jpeg[-64:-32], row.tobytes()[:48]]


def test_no_image_is_stored(service, faces):
    sent = [faces.enrol[2], faces.live[2]]
    enroll(service.url, "img-1", sent[0])
    identify(service.url, sent[1])
    traces = [t for image in sent for t in _image_traces(image)]
    # whole signatures (a JFIF JPEG header, a PNG signature): any other image written as a file
    signatures = [b"\xff\xd8\xff\xe0\x00\x10JFIF", b"\x89PNG\r\n\x1a\n"]
    files = [f for folder in (service.store_dir, service.audit_log.parent)
             for f in folder.rglob("*") if f.is_file()]
    assert files  # the store and the audit log exist, so the check has something to read
    for f in files:
        data = f.read_bytes()
        assert not any(t in data for t in traces), f"{f} holds a piece of a sent image"
        assert not any(sig in data for sig in signatures), f"{f} holds an image"


def test_audit_chain_verifies_and_detects_tampering(service, faces, tmp_path):
    enroll(service.url, "aud-1", faces.enrol[1])  # so identify has candidates to record
    for _ in range(2):
        assert identify(service.url, faces.live[1]).status_code == 200
    check = verify_chain(service.audit_log)
    assert check.ok and check.records >= 2, check
    lines = service.audit_log.read_text().splitlines(keepends=True)
    identify_records = [json.loads(line) for line in lines
                        if json.loads(line)["event"] == "identify"]  # CCTV events share the log
    assert len(identify_records) >= 2
    for rec in identify_records:
        # What is searched is named; what a face is (pixels, template) never is.
        assert set(rec) <= {"seq", "ts", "event", "request_id", "client", "outcome", "k",
                            "threshold", "gallery_size", "model", "faces_found", "candidates",
                            "error", "status", "prev", "hash"}
    # Alter one score in a copy: the chain breaks at exactly that line.
    victim = next(i for i, l in enumerate(lines)
                  if json.loads(l)["event"] == "identify" and json.loads(l).get("candidates"))
    rec = json.loads(lines[victim])
    rec["candidates"][0]["score"] = 0.123
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("".join(lines[:victim] + [json.dumps(rec, sort_keys=True) + "\n"]
                                + lines[victim + 1:]))
    broken = verify_chain(tampered)
    assert not broken.ok and broken.bad_line == victim + 1 and "altered" in broken.reason
    # Dropping a line breaks the link of the next one.
    if len(lines) > victim + 1:
        dropped = tmp_path / "dropped.jsonl"
        dropped.write_text("".join(lines[:victim] + lines[victim + 1:]))
        assert verify_chain(dropped).bad_line == victim + 1
    # The CLI says the same, with an exit status a cron job can act on.
    copy = tmp_path / "copy.jsonl"
    shutil.copy(service.audit_log, copy)
    ok = subprocess.run([sys.executable, "-m", "airtwin.cli", "audit-check", str(copy)],
                        capture_output=True, text=True)
    bad = subprocess.run([sys.executable, "-m", "airtwin.cli", "audit-check", str(tampered)],
                         capture_output=True, text=True)
    assert ok.returncode == 0 and "chain intact" in ok.stdout
    assert bad.returncode == 1 and f"line {victim + 1}" in bad.stdout


def test_templates_are_purged_after_retention(tight_service, faces):
    assert enroll(tight_service.url, "ret-1", faces.enrol[0]).status_code == 200
    assert "ret-1" in tight_service.stored()
    assert verify(tight_service.url, "ret-1", faces.live[0]).status_code == 200
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:  # retention 3 s, swept every 0.75 s
        held = tight_service.stored()
        if "ret-1" not in held:
            break
        time.sleep(0.25)
    assert "ret-1" not in held, "template still on disk well after its retention"
    r = verify(tight_service.url, "ret-1", faces.live[0])
    assert r.status_code == 404 and "retention" in r.json()["detail"]
    metrics = httpx.get(f"{tight_service.url}/metrics", timeout=10).text
    purged = [l for l in metrics.splitlines() if l.startswith("airtwin_templates_purged_total")]
    assert purged and float(purged[0].split()[-1]) >= 1, purged


def test_uncalibrated_service_uses_the_documented_fallback(tight_service, faces):
    from pipeline.calibration import FALLBACK_THRESHOLDS

    r = httpx.post(f"{tight_service.url}/v1/identify", files={"image": ("b.jpg", faces.blank)},
                   timeout=30)
    assert r.status_code == 200
    assert r.json()["threshold"] == FALLBACK_THRESHOLDS["dlib"]
    assert "UNCALIBRATED" in r.json()["threshold_source"]


def test_every_identify_call_is_audited_even_refused_ones(service, faces):
    def records():
        return [json.loads(l) for l in service.audit_log.read_text().splitlines()]

    before = len(records())
    identify(service.url, faces.blank)  # served: failure to acquire
    httpx.post(f"{service.url}/v1/identify", data={"k": "2"}, timeout=30)  # no image part
    identify(service.url, b"not an image")
    new = records()[before:]
    assert [(r["outcome"], r.get("status")) for r in new] == [
        ("failure_to_acquire", None), ("refused", 422), ("refused", 415)]
    assert verify_chain(service.audit_log).ok
