"""The service a load test runs against: what it serves (from its OpenAPI schema and /readyz),
enrolling the payload pack's synthetic travelers, and starting each camera's stream over at its
clip's first frame. Plain HTTP (httpx) before Locust starts; nothing here imports Locust."""

from __future__ import annotations

import time

import httpx

from loadtests.payloads import PayloadPack
from loadtests.plan import ENDPOINTS

CAMERA_PATHS = {"analyze": "/v1/analyze", "cctv": "/v1/cctv/frame"}  # per-camera frame routes


class LoadTestError(RuntimeError):
    """The load test could not run; the message says what to fix."""


def service_endpoints(host: str, wait_s: float = 30.0) -> tuple[set[str], str, str | None]:
    """Which kinds the service at ``host`` serves (from its OpenAPI schema), once /readyz is 200,
    its description, and what it runs on (``cpu`` or ``gpu``; None: a service too old to say)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            r = httpx.get(f"{host}/readyz", timeout=5.0)
            if r.status_code == 200:
                break
            why = r.json().get("detail", r.text) if r.headers.get("content-type", "").startswith(
                "application/json") else r.text
        except httpx.HTTPError as exc:
            why = f"{type(exc).__name__}: {exc}"
        if time.monotonic() > deadline:
            raise LoadTestError(f"service at {host} is not ready after {wait_s:g} s ({why}); "
                                f"start it with `airtwin serve --backend dlib --port PORT`")
        time.sleep(0.5)
    paths = set(httpx.get(f"{host}/openapi.json", timeout=10.0).json().get("paths", {}))
    kinds = {k for k in ENDPOINTS if f"/v1/{k}" in paths}
    if "verify" in kinds:
        kinds.add("corrupt")
    if "/v1/cctv/frame" in paths:
        kinds.add("cctv")
    for kind in {"analyze", "cctv"} & kinds:  # without --site it refuses frames (503 no_site)
        probe = httpx.post(f"{host}{CAMERA_PATHS[kind]}", timeout=10.0,
                           data={"camera_id": "probe", "timestamp": "0"},
                           files={"image": ("probe.jpg", b"probe", "image/jpeg")})
        if probe.status_code == 503 and probe.json().get("error") == "no_site":
            kinds.discard(kind)
    ready = r.json()
    return kinds, ready.get("detail", ""), ready.get("device")


def prime_cameras(host: str, pack: PayloadPack, kind: str = "analyze") -> list[str]:
    """Start each camera's stream over at its clip's first frame (reset=true), which also checks
    that the service knows the camera and its frame size. ``kind`` cctv: the face cameras'
    identification streams."""
    first: dict[str, tuple[float, bytes]] = {}
    only = pack.face_cameras() if kind == "cctv" else None
    for cam, t, jpeg in pack.frames:
        if only is not None and cam not in only:
            continue
        if cam not in first or t < first[cam][0]:
            first[cam] = (t, jpeg)
    for cam, (t, jpeg) in sorted(first.items()):
        r = httpx.post(f"{host}{CAMERA_PATHS[kind]}", data={"camera_id": cam,
                                                            "timestamp": f"{t:.3f}",
                                                            "reset": "true"},
                       files={"image": (f"{cam}.jpg", jpeg, "image/jpeg")}, timeout=120)
        if r.status_code != 200:
            raise LoadTestError(
                f"the service refused a frame of camera {cam} ({pack.path}): HTTP "
                f"{r.status_code} {r.text[:300]}. The frames must show the site the service "
                f"watches: start it with `airtwin serve --site FILE`, FILE made by `airtwin site "
                f"export SCENARIO --out FILE`, and pass that SCENARIO as --frames-scenario")
    return sorted(first)


def enrol_pack(host: str, pack: PayloadPack, token: str | None) -> int:
    """Enrol the pack's travelers (consenting, synthetic); returns how many were enrolled."""
    if token is None:
        probe = httpx.post(f"{host}/v1/verify", data={"template_id": pack.enrol[0][0]},
                           files={"image": ("x.jpg", pack.live[0][1], "image/jpeg")}, timeout=60)
        if probe.status_code == 404:
            raise LoadTestError("the pack's travelers are not enrolled and there is no API token "
                                "to enrol them: pass --token-file FILE or set $AIRTWIN_API_TOKEN")
        return 0
    for template_id, jpeg in pack.enrol:
        r = httpx.post(f"{host}/v1/enroll", headers={"Authorization": f"Bearer {token}"},
                       data={"template_id": template_id, "consent": "true"},
                       files={"image": (f"{template_id}.jpg", jpeg, "image/jpeg")}, timeout=120)
        if r.status_code != 200:
            raise LoadTestError(f"enrolling {template_id} failed: HTTP {r.status_code} {r.text}")
    return len(pack.enrol)
