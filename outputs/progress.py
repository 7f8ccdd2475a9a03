"""The one progress bar of every command and long run: description, bar, done/total (with a
unit when given), time remaining. Rich draws it on the terminal; ``quiet`` (``--json``) turns
it off so nothing but the JSON reaches stdout.

:func:`progress_bar` gives the rich ``Progress`` for callers that keep several tasks or change
the description; :func:`steps` a single counted task as an ``advance(k=1)`` function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["progress_bar", "steps"]


def progress_bar(unit: str = "", *, quiet: bool = False, transient: bool = True,
                 console=None):
    """A rich ``Progress`` (use it as a context manager) with the airtwin columns."""
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeRemainingColumn)

    columns = [TextColumn("[progress.description]{task.description}"), BarColumn(),
               MofNCompleteColumn()]
    if unit:
        columns.append(TextColumn(unit))
    columns.append(TimeRemainingColumn())
    return Progress(*columns, console=console, transient=transient, disable=quiet)


@contextmanager
def steps(label: str, total: int | None, unit: str = "", *, quiet: bool = False,
          transient: bool = True, console=None) -> Iterator[Callable[[int], None]]:
    """One task of ``total`` steps; yields ``advance(k=1)``."""
    with progress_bar(unit, quiet=quiet, transient=transient, console=console) as bar:
        task = bar.add_task(label, total=total)
        yield lambda k=1: bar.advance(task, k)
