"""Atomic writes: every file and folder airtwin writes appears whole or not at all.

A file is written to a temporary name in its own folder (so the rename never crosses a file
system) and renamed over the target with ``os.replace``; a reader sees the old file or the new
one, never half of one. A folder is filled in a staging folder beside the target
(``.<name>.tmp-XXXX``, which result scanners skip as hidden) and swapped in whole; an existing
folder of that name is moved aside only once the new one is complete.

JSON goes through :func:`json_safe`: NaN and ±inf become ``null`` (JSON has no spelling for
them) and numpy scalars plain numbers.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["commit_file", "json_safe", "json_text", "new_staging_folder", "replace_folder",
           "staged_folder", "write_bytes", "write_json", "write_parquet", "write_text",
           "write_with"]

FILE_MODE = 0o644  # mkstemp makes files owner-only; results are for sharing (no secrets here)
FOLDER_MODE = 0o755


def json_safe(value: Any) -> Any:
    """Plain JSON types; NaN and ±inf become ``None``, numpy scalars and arrays plain values."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # numpy values
        value = value.tolist()
        if isinstance(value, list):
            return json_safe(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_text(obj: Any, indent: int | None = 2) -> str:
    """``obj`` as JSON text (through :func:`json_safe`), ending in a newline."""
    return json.dumps(json_safe(obj), indent=indent, allow_nan=False) + "\n"


def write_with(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Atomically make ``path``: ``write(tmp)`` fills a temporary file beside it, which then
    replaces ``path``. If ``write`` fails, ``path`` is left as it was."""
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def commit_file(tmp: str | Path, path: str | Path) -> Path:
    """Move a file that something else wrote beside ``path`` under a temporary name (a video
    encoder writing frame by frame) into place."""
    os.chmod(tmp, FILE_MODE)
    os.replace(tmp, path)
    return Path(path)


def write_bytes(path: str | Path, data: bytes) -> Path:
    return write_with(path, lambda tmp: tmp.write_bytes(data))


def write_text(path: str | Path, text: str) -> Path:
    return write_with(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path: str | Path, obj: Any, indent: int | None = 2) -> Path:
    return write_text(path, json_text(obj, indent))


def write_parquet(path: str | Path, table) -> Path:
    """A pandas DataFrame as a Parquet file (no index)."""
    return write_with(path, lambda tmp: table.to_parquet(tmp, index=False))


def new_staging_folder(target: str | Path) -> Path:
    """An empty staging folder beside ``target`` (which need not exist yet)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    os.chmod(staging, FOLDER_MODE)  # mkdtemp makes it private; a result folder is for sharing
    return staging


def replace_folder(new: Path, target: Path) -> None:
    """Rename the complete folder ``new`` to ``target``; an old ``target`` is moved aside
    first, then removed. ``target`` being a file is an error naming it."""
    if target.exists():
        if not target.is_dir():
            raise FileExistsError(f"{target}: exists and is not a folder")
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.rmdir(old)
        os.replace(target, old)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)


@contextmanager
def staged_folder(target: str | Path) -> Iterator[Path]:
    """Fill the yielded staging folder; on a clean exit it replaces ``target`` whole, on an
    exception it is removed and ``target`` is left as it was."""
    target = Path(target).resolve()
    staging = new_staging_folder(target)
    try:
        yield staging
        replace_folder(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
