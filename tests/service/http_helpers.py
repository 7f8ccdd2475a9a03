"""Small request helpers shared by the service test modules (imported by name: pytest puts this
folder on sys.path)."""

from __future__ import annotations

import httpx

TOKEN = "test-token-not-a-secret"


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def jpeg_part(data: bytes, name: str = "face.jpg") -> dict:
    return {"image": (name, data, "image/jpeg")}


def enroll(url: str, template_id: str, image: bytes, consent: str = "true",
           headers: dict | None = None) -> httpx.Response:
    return httpx.post(f"{url}/v1/enroll", headers=auth() if headers is None else headers,
                      files=jpeg_part(image), data={"template_id": template_id, "consent": consent},
                      timeout=60)


def verify(url: str, template_id: str, image: bytes) -> httpx.Response:
    return httpx.post(f"{url}/v1/verify", files=jpeg_part(image),
                      data={"template_id": template_id}, timeout=60)


def identify(url: str, image: bytes, k: int = 5) -> httpx.Response:
    return httpx.post(f"{url}/v1/identify", files=jpeg_part(image), data={"k": str(k)}, timeout=60)
