"""Format 1, read once to migrate: ``templates.fernet``, the whole store as one Fernet token.

A store folder that still holds it is migrated when it is opened with its key: every template
(with its enrolment time, so retention still counts from enrolment) goes into the new store in
one transaction, and the old file is deleted only after that transaction has committed. A
crash in between leaves the old file, and the next open migrates it again, idempotently (rows
are upserted by id). With a key that does not open it, nothing is created or changed.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from cryptography.fernet import InvalidToken

from pipeline.gallery.crypto import KeyRing, StoreKeyError
from pipeline.gallery.store import StoreError, Template

LEGACY_FILE = "templates.fernet"
LEGACY_FORMAT = 1


def read_legacy_store(path: Path, keys: KeyRing) -> list[Template]:
    token = Path(path).read_bytes()
    for key in keys:
        try:
            doc = json.loads(key.legacy_fernet().decrypt(token))
            break
        except InvalidToken:
            continue
    else:
        raise StoreKeyError(f"{path}: a format-1 template store that none of the keys given "
                            f"(ids {', '.join(keys.ids)}) decrypts; nothing was migrated or "
                            f"changed. Start once with the key it was written with (--key-file) "
                            f"to migrate it, or move the file away to start an empty store")
    if doc.get("format") != LEGACY_FORMAT:
        raise StoreError(f"{path}: unknown templates format {doc.get('format')!r}, expected "
                         f"{LEGACY_FORMAT}")
    return [Template(r["id"], np.frombuffer(base64.b64decode(r["vector"]), np.float32).copy(),
                     r["model"], float(r["enrolled_at"])) for r in doc["templates"]]
