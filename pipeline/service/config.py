"""What ``airtwin serve`` is configured with, and where its two secrets come from.

Secrets (the API token that guards enrolment, the Fernet key that encrypts templates at rest)
come from a file or an environment variable, never from the command line, so they do not show up
in ``ps`` or shell history. A file wins over the variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet

TOKEN_ENV = "AIRTWIN_API_TOKEN"
KEY_ENV = "AIRTWIN_TEMPLATE_KEY"


class ServiceConfigError(ValueError):
    """A setting the service cannot start with; the message names the setting and the fix."""


@dataclass(frozen=True)
class ServiceConfig:
    backend: str = "dlib"
    model_dir: Path | None = None
    provider: str = "auto"  # onnxruntime provider (insightface backend): auto, cpu, cuda, ...
    max_batch: int = 16  # faces embedded per model call
    max_wait_ms: float = 5.0  # how long the first request of a batch waits for company
    queue_size: int = 64  # requests waiting for the model; one more gets 429
    api_token: str | None = field(default=None, repr=False)
    template_key: bytes | None = field(default=None, repr=False)
    retention_s: float = 86_400.0  # templates older than this are purged
    store_dir: Path | None = None  # persist templates (encrypted) here; None = memory only
    audit_log: Path = Path("results/service/audit.jsonl")
    threshold: float | None = None  # None = the calibrated threshold of the backend
    target_fmr: float = 1e-3  # which calibrated threshold to decide with
    calibration: Path | None = None  # calibration file; None = the backend's default location
    max_image_bytes: int = 10 * 1024 * 1024
    max_image_pixels: int = 4096 * 4096
    max_top_k: int = 100

    def __post_init__(self):
        checks = [("max_batch", self.max_batch >= 1, ">= 1"),
                  ("max_wait_ms", self.max_wait_ms >= 0, ">= 0"),
                  ("queue_size", self.queue_size >= 1, ">= 1"),
                  ("retention_s", self.retention_s > 0, "> 0"),
                  ("max_image_bytes", self.max_image_bytes > 0, "> 0"),
                  ("max_image_pixels", self.max_image_pixels > 0, "> 0"),
                  ("max_top_k", self.max_top_k >= 1, ">= 1")]
        for name, ok, rule in checks:
            if not ok:
                raise ServiceConfigError(f"{name}: must be {rule}, got {getattr(self, name)!r}")
        if self.store_dir is not None and self.template_key is None:
            raise ServiceConfigError(
                f"store_dir {self.store_dir} is set but there is no template key: templates are "
                f"never written to disk unencrypted. Pass --key-file FILE or set {KEY_ENV} "
                f"(make one with: {KEYGEN_HINT})")


KEYGEN_HINT = ('python -c "from cryptography.fernet import Fernet; '
               'print(Fernet.generate_key().decode())"')


def read_secret(file: Path | None, env: str, what: str) -> str | None:
    """The secret in ``file`` (stripped) if given, else in ``$env``, else None."""
    if file is not None:
        try:
            text = Path(file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ServiceConfigError(f"{what} file {file}: cannot read it ({exc.strerror})") from None
        if not text:
            raise ServiceConfigError(f"{what} file {file}: is empty")
        return text
    text = os.environ.get(env, "").strip()
    return text or None


def read_template_key(file: Path | None) -> bytes | None:
    key = read_secret(file, KEY_ENV, "template key")
    if key is None:
        return None
    try:
        Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        where = f"file {file}" if file else f"${KEY_ENV}"
        raise ServiceConfigError(f"template key in {where} is not a Fernet key (32 url-safe "
                                 f"base64-encoded bytes); make one with: {KEYGEN_HINT}") from None
    return key.encode("ascii")
