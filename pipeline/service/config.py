"""What ``airtwin serve`` is configured with, and where its two secrets come from.

Secrets (the API token that guards enrolment, the key that encrypts templates at rest, a
PostgreSQL DSN that may hold a password) come from a file or an environment variable, never from
the command line, so they do not show up in ``ps`` or shell history. A file wins over the
variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.gallery.crypto import KEYGEN_HINT, StoreKeyError, decode_key
from pipeline.gallery.location import is_dsn

TOKEN_ENV = "AIRTWIN_API_TOKEN"
KEY_ENV = "AIRTWIN_TEMPLATE_KEY"
DSN_ENV = "AIRTWIN_STORE_DSN"


CCTV_PERSONS = ("heads", "faces")  # where /v1/cctv/frame's person boxes come from


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
    old_template_keys: tuple[bytes, ...] = field(default=(), repr=False)  # during a rotation
    retention_s: float = 86_400.0  # templates older than this are purged
    store_dir: Path | None = None  # persist templates (encrypted) here, in SQLite
    store_dsn: str | None = field(default=None, repr=False)  # or in PostgreSQL (replicas)
    audit_log: Path = Path("results/service/audit.jsonl")
    threshold: float | None = None  # None = the calibrated threshold of the backend
    target_fmr: float = 1e-3  # which calibrated threshold to decide with
    calibration: Path | None = None  # calibration file; None = the backend's default location
    max_image_bytes: int = 10 * 1024 * 1024
    max_image_pixels: int = 4096 * 4096
    max_top_k: int = 100
    site: Path | None = None  # site file for danger detection; None: /v1/analyze answers 503
    cctv_persons: str = "heads"  # CCTV person boxes: the head detector, or implied by faces

    def __post_init__(self):
        checks = [("max_batch", self.max_batch >= 1, ">= 1"),
                  ("max_wait_ms", self.max_wait_ms >= 0, ">= 0"),
                  ("queue_size", self.queue_size >= 1, ">= 1"),
                  ("retention_s", self.retention_s > 0, "> 0"),
                  ("max_image_bytes", self.max_image_bytes > 0, "> 0"),
                  ("max_image_pixels", self.max_image_pixels > 0, "> 0"),
                  ("max_top_k", self.max_top_k >= 1, ">= 1"),
                  ("cctv_persons", self.cctv_persons in CCTV_PERSONS,
                   f"one of {', '.join(CCTV_PERSONS)}")]
        for name, ok, rule in checks:
            if not ok:
                raise ServiceConfigError(f"{name}: must be {rule}, got {getattr(self, name)!r}")
        if self.store_dir is not None and self.store_dsn is not None:
            raise ServiceConfigError(f"store_dir {self.store_dir} and a store DSN are both set: "
                                     f"pass one of --store-dir and --store-dsn")
        if self.store_dsn is not None and not is_dsn(self.store_dsn):
            raise ServiceConfigError("store DSN: must start with postgresql:// (the DSN itself "
                                     "is not shown: it may hold a password)")
        if self.store_location is not None and self.template_key is None:
            raise ServiceConfigError(
                f"the template store is set but there is no template key: templates are "
                f"never written to disk unencrypted. Pass --key-file FILE or set {KEY_ENV} "
                f"(make one with: {KEYGEN_HINT})")

    @property
    def store_location(self) -> str | Path | None:
        """Where templates persist: a folder (SQLite), a DSN (PostgreSQL), or None (memory)."""
        return self.store_dsn if self.store_dsn is not None else self.store_dir


def read_secret(file: Path | None, env: str | None, what: str) -> str | None:
    """The secret in ``file`` (stripped) if given, else in ``$env`` (if any), else None."""
    if file is not None:
        try:
            text = Path(file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ServiceConfigError(f"{what} file {file}: cannot read it ({exc.strerror})") from None
        if not text:
            raise ServiceConfigError(f"{what} file {file}: is empty")
        return text
    text = os.environ.get(env, "").strip() if env else ""
    return text or None


def read_template_key(file: Path | None, env: str | None = KEY_ENV) -> bytes | None:
    """A template key (the same format as a Fernet key) from ``file``, else ``$env``."""
    key = read_secret(file, env, "template key")
    if key is None:
        return None
    try:
        decode_key(key.encode("ascii"))
    except (StoreKeyError, UnicodeEncodeError):
        where = f"file {file}" if file else f"${env}"
        raise ServiceConfigError(f"template key in {where} is not a Fernet key (32 url-safe "
                                 f"base64-encoded bytes); make one with: {KEYGEN_HINT}") from None
    return key.encode("ascii")
