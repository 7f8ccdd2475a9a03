"""The one progress bar of every command and long run: description, bar, done/total (with a
unit when given), time remaining. Rich draws it on the terminal; ``quiet`` (``--json``) turns
it off so nothing but the JSON reaches stdout. Where the output is not a terminal (a log file,
``nohup``, CI) rich draws nothing until the end, so the bar writes a plain line to stderr
instead at each tenth of the work and at least every :data:`LOG_EVERY_S` seconds.

:func:`progress_bar` gives the rich ``Progress`` for callers that keep several tasks or change
the description; :func:`steps` a single counted task as an ``advance(k=1)`` function.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import Progress

__all__ = ["LOG_EVERY_S", "progress_bar", "steps"]

LOG_EVERY_S = 60.0


class _Progress(Progress):
    """rich's Progress, which also logs plain lines when its console is not a terminal."""

    def __init__(self, *columns, unit: str = "", log_console=None, **kw):
        super().__init__(*columns, **kw)
        self._unit, self._log_console, self._logged = unit, log_console, {}

    def update(self, task_id, **kw) -> None:
        super().update(task_id, **kw)
        self._log(task_id)

    def advance(self, task_id, advance: float = 1) -> None:
        super().advance(task_id, advance)
        self._log(task_id)

    def _log(self, task_id) -> None:
        if self.disable or self.console.is_terminal:
            return
        task, now = self._tasks[task_id], time.monotonic()
        tenth = int(10 * task.completed / task.total) if task.total else -1
        last = self._logged.get(task_id)
        if last is not None and tenth <= last[1] and now - last[0] < LOG_EVERY_S:
            return
        self._logged[task_id] = (now, tenth)
        done = (f"{task.completed:g}" + (f"/{task.total:g}" if task.total else "")
                + (f" {self._unit}" if self._unit else ""))
        pct = f" ({100 * task.completed / task.total:.0f}%)" if task.total else ""
        left = task.time_remaining
        eta = f", ~{left:.0f} s left" if left is not None and task.completed else ""
        self._log_console.print(f"{task.description}: {done}{pct}, {task.elapsed or 0:.0f} s{eta}",
                                markup=False, highlight=False)


@functools.cache
def _stderr_console():
    """The one console the plain progress lines go to (made on first use)."""
    from rich.console import Console

    return Console(stderr=True)


def progress_bar(unit: str = "", *, quiet: bool = False, transient: bool = True,
                 console=None):
    """A rich ``Progress`` (use it as a context manager) with the airtwin columns."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn

    columns = [TextColumn("[progress.description]{task.description}"), BarColumn(),
               MofNCompleteColumn()]
    if unit:
        columns.append(TextColumn(unit))
    columns.append(TimeRemainingColumn())
    return _Progress(*columns, console=console, transient=transient, disable=quiet, unit=unit,
                     log_console=_stderr_console())


@contextmanager
def steps(label: str, total: int | None, unit: str = "", *, quiet: bool = False,
          transient: bool = True, console=None) -> Iterator[Callable[[int], None]]:
    """One task of ``total`` steps; yields ``advance(k=1)``."""
    with progress_bar(unit, quiet=quiet, transient=transient, console=console) as bar:
        task = bar.add_task(label, total=total)
        yield lambda k=1: bar.advance(task, k)
