"""Console progress for long runs: a rich progress bar advanced at chunk boundaries."""
from __future__ import annotations


class Progress:
    """``with Progress(total) as p: p.advance(label, n, headline)``; silent when disabled."""

    def __init__(self, total: int, enabled: bool = True, description: str = "training"):
        self.total = total
        self.enabled = enabled and total > 0
        self.description = description
        self._progress = None
        self._task = None

    def __enter__(self):
        if self.enabled:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress,
                                       TextColumn, TimeElapsedColumn, TimeRemainingColumn)
            self._progress = RichProgress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[headline]}"))
            self._progress.start()
            self._task = self._progress.add_task(self.description, total=self.total, headline="")
        return self

    def advance(self, label: str, n: int, headline: str = "") -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=n, description=label,
                                  headline=headline)

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.stop()
        return False
