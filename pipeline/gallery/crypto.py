"""Sealing one template per row: AES-256-GCM with a fresh random 96-bit nonce per seal.

A key is the same 32 url-safe base64 bytes as before (``airtwin keys new``, or Fernet's
generator), so existing key files keep working. The row key and a public key id are both
derived from it with HKDF-SHA256 under their own labels: the raw key is never used directly, and
the id (stored beside every row, so a store knows which key opens which row during a rotation)
says nothing about the key.

The associated data binds a ciphertext to its row: template id, model and enrolment time. A
sealed vector copied onto another id, or a row whose enrolment time was moved back to dodge the
retention purge, no longer opens.
"""

from __future__ import annotations

import base64
import os
import struct
from collections.abc import Sequence

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pipeline.gallery.store import SealedRow, StoreError, Template

NONCE_BYTES = 12  # 96-bit random nonces: fine for far more than 2^32 seals per key
ROW_KEY_LABEL = b"airtwin/template-row/aes-256-gcm/v1"
KEY_ID_LABEL = b"airtwin/template-row/key-id/v1"
CHECK_PLAINTEXT = b"airtwin template key check v1"  # sealed once per key: proves the key fits
KEYGEN_HINT = "airtwin keys new > template.key"


class StoreKeyError(StoreError):
    """The key given does not open the store (wrong key, or a rotation's other key missing)."""


def _derive(secret: bytes, label: bytes, length: int) -> bytes:
    return HKDF(hashes.SHA256(), length, salt=None, info=label).derive(secret)


def decode_key(material: bytes) -> bytes:
    """The 32 secret bytes of a key file's text (url-safe base64, as Fernet keys are)."""
    try:
        raw = base64.urlsafe_b64decode(material.strip())
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != 32:
        raise StoreKeyError(f"a template key must be 32 url-safe base64-encoded bytes; make one "
                            f"with: {KEYGEN_HINT}")
    return raw


def new_key() -> bytes:
    return base64.urlsafe_b64encode(os.urandom(32))


def associated_data(template_id: str, model: str, enrolled_at: float) -> bytes:
    return b"\0".join((b"airtwin-template", template_id.encode(), model.encode(),
                       struct.pack("<d", enrolled_at)))


class RowKey:
    """One key: its public id and its AEAD. Never printed: ``repr`` shows the id only."""

    def __init__(self, material: bytes):
        secret = decode_key(material)
        self._material = material.strip()
        self.key_id = _derive(secret, KEY_ID_LABEL, 8).hex()
        self._aead = AESGCM(_derive(secret, ROW_KEY_LABEL, 32))

    def __repr__(self) -> str:
        return f"RowKey(key_id={self.key_id!r})"

    def seal(self, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
        nonce = os.urandom(NONCE_BYTES)
        return nonce, self._aead.encrypt(nonce, plaintext, aad)

    def open(self, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        return self._aead.decrypt(nonce, sealed, aad)

    def legacy_fernet(self) -> Fernet:
        """The same key as Fernet, which sealed the whole store in format 1 (migration only)."""
        return Fernet(self._material)


class KeyRing:
    """The key new rows are sealed with (``current``) and the keys older rows may still be under
    (during a rotation). Rows name their key by id, so opening one never tries keys in turn."""

    def __init__(self, current: bytes, old: Sequence[bytes] = ()):
        self.current = RowKey(current)
        self._keys = {self.current.key_id: self.current}
        for m in old:
            k = RowKey(m)
            self._keys.setdefault(k.key_id, k)

    @property
    def ids(self) -> list[str]:
        return list(self._keys)

    def __iter__(self):
        return iter(self._keys.values())

    def __contains__(self, key_id: str) -> bool:
        return key_id in self._keys

    def key(self, key_id: str) -> RowKey:
        try:
            return self._keys[key_id]
        except KeyError:
            raise StoreKeyError(f"no key with id {key_id} was given (keys given: "
                                f"{', '.join(self._keys)})") from None

    def seal(self, t: Template, key_id: str | None = None) -> SealedRow:
        k = self.current if key_id is None else self.key(key_id)
        vec = np.ascontiguousarray(t.vector, np.float32).reshape(-1)
        nonce, sealed = k.seal(vec.tobytes(), associated_data(t.template_id, t.model,
                                                              t.enrolled_at))
        return SealedRow(t.template_id, t.model, t.enrolled_at, k.key_id, nonce, sealed)

    def open_bytes(self, row: SealedRow, where: str = "") -> bytes:
        try:
            return self.key(row.key_id).open(row.nonce, row.sealed, associated_data(
                row.template_id, row.model, row.enrolled_at))
        except InvalidTag:
            raise StoreError(f"{where}: template {row.template_id!r} does not authenticate under "
                             f"key {row.key_id} (the row was altered or moved)") from None
        except StoreKeyError as exc:
            raise StoreKeyError(f"{where}: template {row.template_id!r}: {exc}") from None

    def open(self, row: SealedRow, where: str = "") -> Template:
        vec = np.frombuffer(self.open_bytes(row, where), np.float32)
        return Template(row.template_id, vec, row.model, row.enrolled_at)

    def open_batch(self, rows: Sequence[SealedRow], dim: int, where: str = "") -> np.ndarray:
        """Vectors of many rows into one (n, dim) matrix: one buffer, no array per row (the
        startup path: a million rows should open in seconds)."""
        width = dim * 4
        buf = bytearray(len(rows) * width)
        aeads = {k: key._aead for k, key in self._keys.items()}
        for i, row in enumerate(rows):
            aead = aeads.get(row.key_id)
            try:
                plain = aead.decrypt(row.nonce, row.sealed, associated_data(
                    row.template_id, row.model, row.enrolled_at))
            except (InvalidTag, AttributeError):  # AttributeError: no key of that id
                self.open_bytes(row, where)  # raises, saying which
                raise
            if len(plain) != width:
                raise StoreError(f"{where}: template {row.template_id!r} holds "
                                 f"{len(plain) // 4} values, the other {row.model} templates "
                                 f"{dim}")
            buf[i * width:(i + 1) * width] = plain
        return np.frombuffer(buf, np.float32).reshape(len(rows), dim)

    # --- proving a key fits a store before anything is read or written ---------------------
    def check_token(self) -> tuple[bytes, bytes]:
        return self.current.seal(CHECK_PLAINTEXT, self.current.key_id.encode())

    def fits(self, key_id: str, nonce: bytes, sealed: bytes) -> bool:
        if key_id not in self._keys:
            return False
        try:
            return self._keys[key_id].open(nonce, sealed, key_id.encode()) == CHECK_PLAINTEXT
        except InvalidTag:
            return False
