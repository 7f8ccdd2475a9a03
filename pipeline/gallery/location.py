"""Where a template store lives, and opening it: a folder (SQLite, ``templates.sqlite3`` in it) or
a ``postgresql://`` DSN (shared by service replicas).

Opening checks the keys before anything is read or written: every key the store has registered
must be among the keys given (a rotation in progress needs both), and each must open its check
token. Then the key new rows are sealed with is registered, and a format-1 ``templates.fernet``
in the folder is migrated (see :mod:`pipeline.gallery.legacy`).
"""

from __future__ import annotations

from pathlib import Path

from pipeline.gallery.crypto import KeyRing, StoreKeyError
from pipeline.gallery.legacy import LEGACY_FILE, read_legacy_store
from pipeline.gallery.store import KeyCheck, StoreError, Template, TemplateRows

SQLITE_FILE = "templates.sqlite3"
DSN_SCHEMES = ("postgresql://", "postgres://")


def is_dsn(location: str | Path) -> bool:
    return isinstance(location, str) and location.startswith(DSN_SCHEMES)


def connect_rows(location: str | Path, readonly: bool = False) -> TemplateRows:
    """The backend for ``location``, with no key check (see :func:`open_rows`)."""
    if is_dsn(location):
        from pipeline.gallery.postgres_store import PostgresTemplateRows

        return PostgresTemplateRows(str(location), readonly)
    from pipeline.gallery.sqlite_store import SqliteTemplateRows

    folder = Path(location)
    if folder.is_file():
        raise StoreError(f"{folder}: the template store is a folder (it holds {SQLITE_FILE}), "
                         f"not a file")
    return SqliteTemplateRows(folder / SQLITE_FILE, readonly)


def check_keys(rows: TemplateRows, keys: KeyRing) -> list[str]:
    """Refuse, changing nothing, unless ``keys`` opens every key the store has registered;
    returns the registered key ids."""
    checks = rows.keys()
    missing = [c.key_id for c in checks if c.key_id not in keys]
    if missing:
        raise StoreKeyError(
            f"{rows.location}: its templates are sealed with key id(s) {', '.join(missing)}, "
            f"and the key(s) given have id(s) {', '.join(keys.ids)}: wrong --key-file, or a key "
            f"rotation is under way (then pass the other key with --old-key-file). Nothing was "
            f"read or changed")
    forged = [c.key_id for c in checks if not keys.fits(c.key_id, c.nonce, c.sealed)]
    if forged:
        raise StoreKeyError(f"{rows.location}: the check token of key id(s) {', '.join(forged)} "
                            f"does not open with the key of that id (the store was altered)")
    return [c.key_id for c in checks]


def open_rows(location: str | Path, keys: KeyRing) -> TemplateRows:
    """Open (creating if new) a store for reading and writing with ``keys``."""
    legacy = None if is_dsn(location) else Path(location) / LEGACY_FILE
    migrating = read_legacy_store(legacy, keys) if legacy and legacy.is_file() else None
    rows = connect_rows(location)
    try:
        if keys.current.key_id not in check_keys(rows, keys):
            rows.register_key(KeyCheck(keys.current.key_id, *keys.check_token()))
        if migrating is not None:
            rows.put_many([keys.seal(t) for t in migrating])
            legacy.unlink()  # only once the rows are committed
    except BaseException:
        rows.close()
        raise
    return rows


def read_templates(location: str | Path, keys: KeyRing) -> list[Template]:
    """Every template in a store, opened (for inspection and tests; no retention applied)."""
    if not is_dsn(location) and not (Path(location) / SQLITE_FILE).is_file():
        raise StoreError(f"{location}: no template store here (no {SQLITE_FILE})")
    rows = connect_rows(location, readonly=True)
    try:
        check_keys(rows, keys)
        return [keys.open(r, rows.location) for batch in rows.scan(10_000) for r in batch]
    finally:
        rows.close()
