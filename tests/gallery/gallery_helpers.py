"""Small helpers shared by the gallery test modules (imported by name: pytest puts this folder on
sys.path)."""

from __future__ import annotations

import numpy as np


def unit_vectors(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


TOKEN = "gallery-test-token-not-a-secret"


def serve_args(secrets_dir, audit_log, *store: str) -> list[str]:
    """`airtwin serve` arguments for a dlib service with these secrets and store options."""
    return ["--backend", "dlib", "--token-file", str(secrets_dir / "token"),
            "--key-file", str(secrets_dir / "key"), "--audit-log", str(audit_log),
            "--max-wait-ms", "2", *store]


SERVE_ENV = {"AIRTWIN_API_TOKEN": None, "AIRTWIN_TEMPLATE_KEY": None, "AIRTWIN_STORE_DSN": None}


def enrol(http, url: str, template_id: str, jpeg: bytes):
    return http.post(f"{url}/v1/enroll", headers={"Authorization": f"Bearer {TOKEN}"},
                     files={"image": ("face.jpg", jpeg, "image/jpeg")},
                     data={"template_id": template_id, "consent": "true"}, timeout=60)


def identify(http, url: str, jpeg: bytes, k: int = 5):
    return http.post(f"{url}/v1/identify", files={"image": ("face.jpg", jpeg, "image/jpeg")},
                     data={"k": str(k)}, timeout=60)


def verify(http, url: str, template_id: str, jpeg: bytes):
    return http.post(f"{url}/v1/verify", files={"image": ("face.jpg", jpeg, "image/jpeg")},
                     data={"template_id": template_id}, timeout=60)
