"""Enrolled templates: held in memory, encrypted at rest when persisted, purged after retention.

Persisting is optional (``path``); when on, the whole store is one Fernet token (AES-128-CBC +
HMAC-SHA256, from ``cryptography``) written atomically, so the disk never holds a template in
the clear and a half-written file never replaces a good one. Only templates are kept: the image
an enrolment came with is dropped once embedded. A template older than the retention period is
purged by the periodic sweep and, in between sweeps, the moment anyone asks for it.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from cryptography.fernet import Fernet, InvalidToken

from pipeline.matching import NumpyGallery
from pipeline.types import Candidate

FORMAT_VERSION = 1


class TemplateStoreError(RuntimeError):
    """The templates file cannot be read back (wrong key, damaged file, unknown format)."""


@dataclass(frozen=True, slots=True)
class Template:
    template_id: str
    vector: np.ndarray  # (D,) float32, L2-normalised
    model: str
    enrolled_at: float  # unix seconds


class TemplateStore:
    def __init__(self, retention_s: float, path: Path | None = None, key: bytes | None = None,
                 clock: Callable[[], float] = time.time,
                 on_purge: Callable[[int], None] | None = None):
        if path is not None and key is None:
            raise TemplateStoreError(f"{path}: refusing to persist templates without an "
                                     f"encryption key")
        self.retention_s, self.path, self._clock = retention_s, path, clock
        self._on_purge = on_purge  # told how many templates each retention purge dropped
        self.purged = 0  # templates dropped for age since this store opened
        self._fernet = Fernet(key) if key is not None else None
        self._templates: dict[str, Template] = {}
        self._lock = threading.RLock()
        # One 1:N gallery per model: templates of different models are never compared.
        self._galleries: dict[str, NumpyGallery] = {}
        if path is not None and path.exists():
            self._load()

    def __len__(self) -> int:
        with self._lock:
            return len(self._templates)

    def templates(self) -> list[Template]:
        with self._lock:
            return list(self._templates.values())

    def _expired(self, t: Template, now: float) -> bool:
        return now - t.enrolled_at >= self.retention_s

    def add(self, template_id: str, vector: np.ndarray, model: str) -> bool:
        """Enrol (or replace) a template; True when it replaced one."""
        vec = np.ascontiguousarray(vector, np.float32).reshape(-1)
        with self._lock:
            replaced = self._drop(template_id)
            self._templates[template_id] = Template(template_id, vec, model, self._clock())
            self._gallery(model, len(vec)).add([template_id], vec)
            self._changed()
        return replaced

    def get(self, template_id: str) -> Template | None:
        with self._lock:
            t = self._templates.get(template_id)
            if t is not None and self._expired(t, self._clock()):
                self.purge_expired()
                return None
            return t

    def remove(self, template_id: str) -> bool:
        with self._lock:
            gone = self._drop(template_id)
            if gone:
                self._changed()
            return gone

    def purge_expired(self) -> int:
        now = self._clock()
        with self._lock:
            old = [k for k, t in self._templates.items() if self._expired(t, now)]
            for k in old:
                self._drop(k)
            if old:
                self._changed()
                self.purged += len(old)
                if self._on_purge is not None:
                    self._on_purge(len(old))
            return len(old)

    def search(self, probe: np.ndarray, model: str, k: int) -> tuple[list[Candidate], int]:
        """1:N: the top ``k`` live templates of ``model`` by score, and the gallery size."""
        self.purge_expired()
        with self._lock:
            g = self._galleries.get(model)
            if g is None or len(g) == 0:
                return [], 0
            return g.search(probe, k), len(g)

    def _gallery(self, model: str, dim: int) -> NumpyGallery:
        g = self._galleries.get(model)
        if g is None:
            g = self._galleries[model] = NumpyGallery(dim)
        return g

    def _drop(self, template_id: str) -> bool:
        t = self._templates.pop(template_id, None)
        if t is None:
            return False
        self._galleries[t.model].remove(template_id)
        return True

    def _changed(self) -> None:
        if self.path is not None:
            self._save()

    # --- at rest -------------------------------------------------------------------------
    def _save(self) -> None:
        doc = {"format": FORMAT_VERSION, "templates": [
            {"id": t.template_id, "model": t.model, "enrolled_at": t.enrolled_at,
             "vector": base64.b64encode(t.vector.tobytes()).decode("ascii")}
            for t in self._templates.values()]}
        token = self._fernet.encrypt(json.dumps(doc).encode("utf-8"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(token)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _load(self) -> None:
        try:
            doc = json.loads(self._fernet.decrypt(self.path.read_bytes()))
        except InvalidToken:
            raise TemplateStoreError(f"{self.path}: cannot be decrypted with the given key "
                                     f"(wrong key, or the file was altered)") from None
        if doc.get("format") != FORMAT_VERSION:
            raise TemplateStoreError(f"{self.path}: unknown templates format "
                                     f"{doc.get('format')!r}, expected {FORMAT_VERSION}")
        for r in doc["templates"]:
            vec = np.frombuffer(base64.b64decode(r["vector"]), np.float32).copy()
            self._templates[r["id"]] = Template(r["id"], vec, r["model"], float(r["enrolled_at"]))
            self._gallery(r["model"], len(vec)).add([r["id"]], vec)
        self.purge_expired()


def read_store(path: Path, key: bytes) -> list[Template]:
    """The templates in a store file, for inspection and tests (no retention applied)."""
    if not path.exists():
        raise TemplateStoreError(f"{path}: no such templates file")
    return TemplateStore(retention_s=float("inf"), path=path, key=key).templates()
