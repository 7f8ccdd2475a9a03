"""The header every result folder's ``summary.json`` opens with, and the check made on reading.

::

    {"format": 1, "kind": "run", "airtwin_version": "0.1.0", "created": "2026-11-26T17:00:00+00:00",
     ...the folder kind's own keys}

``format`` is the layout version of that kind of folder (:data:`KINDS`); it goes up when a
reader of the old layout would misread the new one. ``airtwin_version`` has one source, the
installed package's metadata (``"unknown"`` in a bare checkout). Run folders of format 1 were
written before ``kind`` existed, so a summary without ``kind`` reads as a run folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = ["KINDS", "FolderError", "FolderKind", "SUMMARY", "airtwin_version", "header",
           "read_summary", "with_header"]

SUMMARY = "summary.json"


class FolderError(ValueError):
    """A result folder that cannot be read; ``str()`` names the path and what is wrong."""


@dataclass(frozen=True)
class FolderKind:
    name: str          # the ``kind`` value in summary.json
    format: int        # the layout version this code writes and reads
    label: str         # how messages name it ("load-test folder")
    unmarked: bool = False  # format-1 folders of this kind carry no ``kind`` key


KINDS = {k.name: k for k in (FolderKind("run", 1, "run", unmarked=True),
                             FolderKind("loadtest", 1, "load-test"))}


def airtwin_version() -> str:
    """The installed airtwin's version: the one source of the version written into folders."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("airtwin")
    except PackageNotFoundError:  # a bare checkout, never installed: still write the folder
        return "unknown"


def header(kind: str) -> dict[str, Any]:
    """format, kind, airtwin_version and created (UTC, to the second) for a new summary."""
    k = KINDS[kind]
    return {"format": k.format, "kind": k.name, "airtwin_version": airtwin_version(),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def with_header(kind: str, summary: dict[str, Any]) -> dict[str, Any]:
    """``summary`` behind a fresh header. format, kind and airtwin_version are the header's
    alone; a ``created`` the caller already stamped (and maybe printed) is kept."""
    head = header(kind)
    owned = {"format", "kind", "airtwin_version"}
    return {**head, **{k: v for k, v in summary.items() if k not in owned}}


def read_summary(folder: str | Path, kind: str,
                 error: type[FolderError] = FolderError) -> dict[str, Any]:
    """The folder's summary.json, after checking it is there, is a JSON object and carries
    the ``kind`` and ``format`` expected; else ``error`` naming the path and what is wrong."""
    k = KINDS[kind]
    folder = Path(folder)
    path = folder / SUMMARY
    if not folder.is_dir():
        raise error(f"{folder}: {k.label} folder not found")
    if not path.is_file():
        raise error(f"{path}: missing (not a {k.label} folder, or an unfinished one)")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read ({exc})") from None
    except ValueError as exc:
        raise error(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(summary, dict):
        raise error(f"{path}: not a {k.label} summary (a JSON {type(summary).__name__}, "
                    f"not an object)")
    found = summary.get("kind", k.name if k.unmarked else None)
    if found != k.name:
        raise error(f"{path}: not a {k.label} summary (kind {found!r}, expected {k.name!r})")
    if summary.get("format") != k.format:
        raise error(f"{path}: format {summary.get('format')!r} is not the supported format "
                    f"{k.format} of {k.label} folders")
    return summary
