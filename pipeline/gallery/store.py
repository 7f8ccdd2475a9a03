"""What a template store is: the records it holds and the two roles a backend can play.

:class:`TemplateRows` is persistence: one sealed row per template, written one committed
transaction at a time. :class:`ChangeFeed` is for stores shared by service replicas: each replica
keeps its own in-memory index and follows the others' enrolments, deletions and purges through
a change sequence. SQLite plays the first role, PostgreSQL both.

Rows are sealed (:mod:`pipeline.gallery.crypto`) before they reach a backend and opened after
they leave it, so a backend never sees a vector in the clear.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

FORMAT_VERSION = 2  # 1 was the single Fernet token, templates.fernet


class StoreError(RuntimeError):
    """A store that cannot be opened or read back (wrong key, damaged row, unknown format)."""


@dataclass(frozen=True, slots=True)
class Template:
    template_id: str
    vector: np.ndarray  # (D,) float32, L2-normalised
    model: str
    enrolled_at: float  # unix seconds


@dataclass(frozen=True, slots=True)
class SealedRow:
    """One template as stored: the vector only as AES-GCM ciphertext (tag appended). The
    fields are the table's columns, in order (:data:`ROW_COLUMNS`), so a row a driver returns
    (BLOB and bytea both come back as bytes) is ``SealedRow(*row)``."""
    template_id: str
    model: str
    enrolled_at: float
    key_id: str
    nonce: bytes
    sealed: bytes

    def values(self) -> tuple:
        return (self.template_id, self.model, self.enrolled_at, self.key_id, self.nonce,
                self.sealed)


ROW_COLUMNS = "template_id, model, enrolled_at, key_id, nonce, sealed"
# An insert that replaces the row of its id (SQLite and PostgreSQL spell it alike).
REPLACE_ON_CONFLICT = ("ON CONFLICT (template_id) DO UPDATE SET model = excluded.model, "
                       "enrolled_at = excluded.enrolled_at, key_id = excluded.key_id, "
                       "nonce = excluded.nonce, sealed = excluded.sealed")


def upsert_sql(table: str, placeholder: str) -> str:
    marks = ", ".join([placeholder] * 6)
    return f"INSERT INTO {table} ({ROW_COLUMNS}) VALUES ({marks}) {REPLACE_ON_CONFLICT}"


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of a shared store's change sequence: the template's row as it is now, or None
    when it is gone (deleted or purged)."""
    seq: int
    template_id: str
    row: SealedRow | None


@dataclass(frozen=True, slots=True)
class KeyCheck:
    """A known text sealed under a key: opening it proves a key fits before any row is read."""
    key_id: str
    nonce: bytes
    sealed: bytes


@runtime_checkable
class TemplateRows(Protocol):
    location: str  # for messages: the file, or the DSN without its password

    def keys(self) -> list[KeyCheck]: ...

    def register_key(self, check: KeyCheck) -> None: ...

    def retire_key(self, key_id: str) -> bool:
        """Forget a key once no row is sealed under it; False (nothing changed) if some are."""

    def put(self, row: SealedRow) -> None:
        """Insert or replace; committed when it returns."""

    def put_many(self, rows: list[SealedRow]) -> None:
        """Bulk insert in one transaction (migration, benchmarks)."""

    def delete(self, template_id: str) -> bool: ...

    def purge_before(self, cutoff: float) -> int:
        """Delete every row enrolled at or before ``cutoff`` (an index range scan)."""

    def get(self, template_id: str) -> SealedRow | None: ...

    def scan(self, batch: int) -> Iterator[list[SealedRow]]: ...

    def count(self) -> int: ...

    def under_key(self, key_id: str, limit: int) -> list[SealedRow]: ...

    def count_by_key(self) -> dict[str, int]:
        """Rows per registered key (0 for a key no row is under yet)."""

    def reseal(self, pairs: list[tuple[SealedRow, SealedRow]]) -> int:
        """Replace each old row by its re-sealed twin only if the old row is still there
        unchanged (same nonce): an enrolment that replaced it meanwhile wins. Returns how many
        were replaced."""

    def close(self) -> None: ...


@runtime_checkable
class ChangeFeed(Protocol):
    def head(self) -> int:
        """The last committed change; everything up to it is visible."""

    def changes_since(self, seq: int, limit: int) -> list[Change] | None:
        """Changes after ``seq`` in commit order; None when the log was trimmed past ``seq``
        (the follower must reload everything)."""

    def wait_for_change(self, timeout_s: float) -> bool:
        """Block until another writer commits (or the timeout); True when told of one."""
