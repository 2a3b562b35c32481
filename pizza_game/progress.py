"""Progress of long loops over partitions, reported every tenth of the way (backfills of a season)."""

from __future__ import annotations

import math
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
        # The counts at which a line is due: the first count at or past each step of the total.
        self.marks = sorted({math.ceil(total * k * step - 1e-9) for k in range(1, round(1 / step) + 1)})
        self.done = 0

    def advance(self, count: int = 1) -> None:
        before, self.done = self.done, self.done + count
        if self.report and any(before < mark <= self.done for mark in self.marks):
            # Whole percents rounded down: 100% only when done.
            self.report(f"{self.what}: {self.done:,}/{self.total:,} ({100 * self.done // self.total}%)")
