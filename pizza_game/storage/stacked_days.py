"""Merged days read together, with their tables kept stacked.

The analysis works on the tables of its whole horizon stacked (the series, windows and matches of
every day, oldest first), and the columnar copies (storage/columns.py) decode straight into
stacked tables. Cutting those into three tables per day, only for the analysis to stack them
again, grew with the horizon and cost more than the decoding. A ``StackedDays`` keeps the stacked
tables and where each day's rows are; a ``MergedDay`` is cut out only for the days asked for.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pizza_game.model import MergedDay

TABLES = ("series", "windows", "matches")


@dataclass(frozen=True)
class StackedDays:
    """``days`` (oldest first) and their ``coverage``; ``tables``: each table of all the days,
    stacked with a fresh index; ``bounds``: per table, the first row of each day and the end."""

    days: list[pd.Timestamp]
    coverage: list[dict]
    tables: dict[str, pd.DataFrame]
    bounds: dict[str, np.ndarray]

    @classmethod
    def of(cls, days: list[MergedDay]) -> StackedDays:
        """Merged days stacked (no tables if there are no days)."""
        if not days:
            return cls([], [], {}, {})
        return cls(
            days=[d.day for d in days],
            coverage=[d.coverage for d in days],
            tables={name: pd.concat([getattr(d, name) for d in days], ignore_index=True) for name in TABLES},
            bounds={name: np.cumsum([0, *(len(getattr(d, name)) for d in days)]) for name in TABLES},
        )

    def __len__(self) -> int:
        return len(self.days)

    def day(self, i: int) -> MergedDay:
        """The ``i``-th day as a MergedDay of its own (its rows, indexed from 0)."""
        return MergedDay(
            day=self.days[i],
            coverage=self.coverage[i],
            **{
                name: table.iloc[self.bounds[name][i] : self.bounds[name][i + 1]].reset_index(drop=True)
                for name, table in self.tables.items()
            },
        )

    def merged_days(self, since: pd.Timestamp | None = None) -> list[MergedDay]:
        """The days (those from ``since`` on, if given) as MergedDays."""
        return [self.day(i) for i, day in enumerate(self.days) if since is None or day >= since]

    def since(self, day: pd.Timestamp) -> StackedDays:
        """The days from ``day`` on, stacked."""
        return self.between(bisect.bisect_left(self.days, day), len(self.days))

    def between(self, first: int, end: int) -> StackedDays:
        """Days ``first`` to ``end`` (exclusive), stacked."""
        return StackedDays(
            days=self.days[first:end],
            coverage=self.coverage[first:end],
            tables={
                name: table.iloc[self.bounds[name][first] : self.bounds[name][end]].reset_index(drop=True)
                for name, table in self.tables.items()
            },
            bounds={name: bounds[first : end + 1] - bounds[first] for name, bounds in self.bounds.items()},
        )

    def then(self, later: StackedDays) -> StackedDays:
        """These days followed by ``later`` (all of whose days come after these), stacked."""
        if not len(later):
            return self
        if not len(self):
            return later
        return StackedDays(
            days=self.days + later.days,
            coverage=self.coverage + later.coverage,
            tables={name: pd.concat([table, later.tables[name]], ignore_index=True) for name, table in self.tables.items()},
            bounds={name: np.concatenate([bounds, later.bounds[name][1:] + bounds[-1]]) for name, bounds in self.bounds.items()},
        )
