"""What a results folder holds: run folders, sweeps, load tests, service logs and bench files.

The dashboard is pointed at one folder (``airtwin dashboard --results DIR``) and finds, in DIR
itself and one or two levels below it (hidden and temporary folders skipped):

- run folders (``summary.json`` with ``kind: run``, or without ``kind`` as format 1 wrote
  them, see :mod:`outputs.run`);
- sweep folders (``comparison.parquet`` or a ``points/`` folder of run folders, see
  :mod:`outputs.sweep`); their points are listed with the sweep, not as runs of their own;
- load-test folders (``summary.json`` with ``kind: loadtest``, see :mod:`outputs.loadtest`);
- service folders (an ``audit.jsonl`` of ``airtwin serve``, maybe a ``metrics.prom`` snapshot
  of its ``/metrics``);
- bench files (``*.json`` saved from ``airtwin bench pipeline --json``);
- frame folders (``ground_truth.json`` and ``frames/`` of ``airtwin frames``).

Folders that look like one of these but cannot be read are kept as :class:`Problem` rows, so a
page can name the folder and what is wrong instead of failing. Nothing here imports Streamlit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from outputs import loadtest as loadtest_folder
from outputs import run as run_folder
from outputs import sweep as sweep_folder

MAX_DEPTH = 2  # DIR, DIR/x, DIR/x/y
RESULTS_ENV = "AIRTWIN_RESULTS"  # how `airtwin dashboard --results` reaches the app


@dataclass(frozen=True)
class Problem:
    path: Path
    reason: str


@dataclass(frozen=True)
class Found:
    """One readable result folder or file; ``label`` is its path relative to the results root."""

    path: Path
    label: str
    stamp: float  # mtime of the file that identifies it: a rewritten folder gets a new stamp


@dataclass(frozen=True)
class ResultsIndex:
    root: Path
    runs: tuple[Found, ...] = ()
    sweeps: tuple[Found, ...] = ()
    loadtests: tuple[Found, ...] = ()
    services: tuple[Found, ...] = ()
    benches: tuple[Found, ...] = ()
    frame_sets: tuple[Found, ...] = ()
    problems: tuple[Problem, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.runs or self.sweeps or self.loadtests or self.services or self.benches
                    or self.frame_sets)


def _label(root: Path, path: Path) -> str:
    rel = path.relative_to(root).as_posix()
    return rel if rel != "." else path.name


def _walk(root: Path):
    """Folders from ``root`` down to MAX_DEPTH levels, skipping hidden ones (``.x.tmp-…``)."""
    level = [root]
    for depth in range(MAX_DEPTH + 1):
        nxt = []
        for folder in level:
            yield folder
            if depth < MAX_DEPTH:
                try:
                    children = sorted(p for p in folder.iterdir()
                                      if p.is_dir() and not p.name.startswith((".", "__")))
                except OSError:
                    continue
                nxt.extend(children)
        level = nxt


def _read_json(path: Path) -> tuple[object | None, str | None]:
    try:
        return json.loads(path.read_text(encoding="utf-8")), None
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot read {path.name} ({exc})"
    except ValueError as exc:
        return None, f"{path.name} is not valid JSON ({exc})"


def is_bench_pipeline(obj: object) -> bool:
    """The JSON of ``airtwin bench pipeline --json`` (per-stage latency figures)."""
    return (isinstance(obj, dict) and isinstance(obj.get("latency"), dict)
            and isinstance(obj["latency"].get("stages"), dict))


def scan(root: str | Path) -> ResultsIndex:
    """Index what ``root`` holds (see the module docstring)."""
    root = Path(root).expanduser().resolve()
    if not root.is_dir():
        reason = "does not exist" if not root.exists() else "is not a folder"
        return ResultsIndex(root, problems=(Problem(root, f"the results folder {reason}"),))
    runs, sweeps, loads, services, benches, frame_sets, problems = [], [], [], [], [], [], []
    sweep_dirs: list[Path] = []
    for folder in _walk(root):
        if any(s in folder.parents for s in sweep_dirs):
            continue  # a sweep's points belong to the sweep
        comparison = folder / sweep_folder.COMPARISON
        if comparison.is_file() or (folder / sweep_folder.POINTS).is_dir():
            sweep_dirs.append(folder)
            stamp_file = comparison if comparison.is_file() else folder / sweep_folder.POINTS
            sweeps.append(Found(folder, _label(root, folder), stamp_file.stat().st_mtime))
            continue
        summary = folder / "summary.json"
        if summary.is_file():
            data, err = _read_json(summary)
            if err or not isinstance(data, dict):
                problems.append(Problem(folder, err or f"{summary.name} is not a JSON object"))
                continue
            found = Found(folder, _label(root, folder), summary.stat().st_mtime)
            if data.get("kind") == loadtest_folder.KIND:
                loads.append(found)
            elif data.get("kind") in (run_folder.KIND, None) and "point" not in data:
                runs.append(found)
            continue
        truth = folder / "ground_truth.json"
        if truth.is_file() and (folder / "frames").is_dir():
            frame_sets.append(Found(folder, _label(root, folder), truth.stat().st_mtime))
        audit = folder / "audit.jsonl"
        if audit.is_file():
            services.append(Found(folder, _label(root, folder), audit.stat().st_mtime))
        for f in sorted(folder.glob("*.json")):
            data, err = _read_json(f)
            if err is None and is_bench_pipeline(data):
                benches.append(Found(f, _label(root, f), f.stat().st_mtime))
    return ResultsIndex(root, tuple(runs), tuple(sweeps), tuple(loads), tuple(services),
                        tuple(benches), tuple(frame_sets), tuple(problems))

