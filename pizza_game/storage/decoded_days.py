"""Merged days already decoded in this process, keyed by the SHA-256 of their merged JSON bytes.

The hourly run reads the whole analysis horizon (up to a year of merged days) every hour, and all
but the newest day or two are the same bytes as an hour before. A process that stays up between
runs (``dagster dev``, a warm Lambda) decodes each day once: a day is taken from here only when
the JSON stored now has exactly the bytes it was decoded from, so a rewritten day (a rerun, an
import, another writer) is decoded again, like the columnar copies (storage/columns.py) are
trusted only when their digest matches.

Callers get their own ``MergedDay`` (tables shared copy-on-write, coverage copied): changing
what they got never changes what is cached.

It also keeps the last horizon ``MergedStore.read_stacked`` read, stacked (storage/stacked_days.py),
with each day's digest: the next read takes from it the days whose JSON is unchanged, without
cutting them into days and stacking them again.

Off unless a process turns it on (``keep_decoded_days``): only a process that runs pipeline after
pipeline gains from it, and that is the warm Lambda (deploy/lambda_handler.py turns it on). A
`pizza-game` command runs once and exits, and Dagster's UI and daemon launch every run in a new
process, so there the cache would only hold memory: the decoded horizon stays alive after the
analysis is done with it, 1,099 MB against 789 MB peak for a season run.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict

from pizza_game.model import MergedDay
from pizza_game.storage.stacked_days import StackedDays

# Two years of days: a year's horizon with room for a second horizon (a backfill's analysis of
# older days) without evicting the hourly one. A merged day holds a few hundred rows.
LIMIT = 732


def _own(day: MergedDay) -> MergedDay:
    return MergedDay(
        day=day.day,
        series=day.series.copy(deep=False),
        windows=day.windows.copy(deep=False),
        matches=day.matches.copy(deep=False),
        coverage=copy.deepcopy(day.coverage),
    )


def _own_stacked(days: StackedDays) -> StackedDays:
    return StackedDays(
        days=list(days.days),
        coverage=copy.deepcopy(days.coverage),
        tables={name: table.copy(deep=False) for name, table in days.tables.items()},
        bounds={name: bounds.copy() for name, bounds in days.bounds.items()},
    )


class DecodedDays:
    """A bounded, least-recently-used map from a merged JSON digest to the day it decodes to."""

    def __init__(self, limit: int = LIMIT):
        self.limit = limit
        self._days: OrderedDict[str, MergedDay] = OrderedDict()
        self._horizon: tuple[list[tuple[str, str]], StackedDays] | None = None
        # Dagster may run steps in threads of one process; the map is changed under this lock.
        self._lock = threading.Lock()

    def get(self, digest: str) -> MergedDay | None:
        with self._lock:
            day = self._days.get(digest)
            if day is None:
                return None
            self._days.move_to_end(digest)
        return _own(day)

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def put(self, digest: str, day: MergedDay) -> None:
        if not self.enabled:
            return
        kept = _own(day)
        with self._lock:
            self._days[digest] = kept
            self._days.move_to_end(digest)
            while len(self._days) > self.limit:
                self._days.popitem(last=False)

    def __len__(self) -> int:
        return len(self._days)

    def clear(self) -> None:
        """Forgets every day and the horizon."""
        with self._lock:
            self._days.clear()
            self._horizon = None

    def horizon(self) -> tuple[list[tuple[str, str]], StackedDays] | None:
        """The last horizon kept: its (YYYY-MM-DD, digest of the merged JSON) pairs, oldest first,
        and its days stacked (the caller's own tables)."""
        with self._lock:
            if self._horizon is None:
                return None
            held, days = self._horizon
        return list(held), _own_stacked(days)

    def keep_horizon(self, held: list[tuple[str, str]], days: StackedDays) -> None:
        """Keeps ``days`` (read with the digests in ``held``) as the last horizon, if the cache is on."""
        if not self.enabled:
            return
        kept = (list(held), _own_stacked(days))
        with self._lock:
            self._horizon = kept


# The process's cache, which MergedStore.read_days uses: empty and off until keep_decoded_days.
DECODED = DecodedDays(limit=0)


def keep_decoded_days(limit: int = LIMIT) -> None:
    """Turns this process's cache on (for a process that runs pipeline after pipeline)."""
    DECODED.limit = limit
