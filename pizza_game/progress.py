"""Progress of long loops over partitions, reported every tenth of the way (backfills of a season)."""

from __future__ import annotations

from collections.abc import Callable

# Loops shorter than this (an hourly run, a few days) stay quiet.
MINIMUM = 48


class Progress:
    """Counts items done and reports "what: done/total (percent)" each time another ``step`` of
    the total is done. ``report`` receives the line (e.g. a Dagster logger's ``info``)."""

    def __init__(self, what: str, total: int, report: Callable[[str], None], *, step: float = 0.1, minimum: int = MINIMUM):
        self.what = what
        self.total = total
        self.report = report if total >= minimum else None
        self.every = max(1, int(total * step))
        self.done = 0

    def advance(self, count: int = 1) -> None:
        before, self.done = self.done, self.done + count
        if self.report and (self.done // self.every > before // self.every or self.done == self.total):
            self.report(f"{self.what}: {self.done:,}/{self.total:,} ({self.done / self.total:.0%})")
