"""The settled days of a local store's analysis horizon, kept stacked in one columnar file.

The hourly run reads every merged day of its horizon, each from its columnar copy (columns.py),
and Dagster's daemon runs it in a new process: after 180 days that is 182 objects (15 MB) opened
and 6,500 column buffers cut out and stacked, every hour, to change the newest day or two. The
older days are kept stacked in one file, ``SETTLED_NAME`` at the store's root (a dotfile, so not
an object, as the known digests: storage/known_digests.py), with each day's date and the SHA-256
of the merged JSON it was decoded from. A reader takes a day from it only while the JSON stored
now has that digest, exactly as it takes a day's own copy, so a day rewritten since is read from
its copy. The file is a cache: a missing, damaged or stale file costs the copies' reads, and of
two processes writing it at once the last one wins.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import pandas as pd

from pizza_game.storage import columns
from pizza_game.storage.codecs import MERGED_TABLES
from pizza_game.storage.stacked_days import StackedDays

SETTLED_NAME = ".settled-days.columns"
# The newest days of a read that are not settled: the hourly run merges into the day of its hour
# and the days its match windows reach, so these change from one hour to the next.
UNSETTLED_DAYS = 3


def encode_settled(days: StackedDays, digests: list[str]) -> bytes:
    """The file of ``days``, whose merged JSON objects have ``digests``."""
    fields = {
        "settled_days": [f"{day:%Y-%m-%dT%H:%M:%SZ}" for day in days.days],  # as a copy's "day"
        "merged_sha256": digests,
        "coverage": days.coverage,
        "day_rows": {name: np.diff(bounds).tolist() for name, bounds in days.bounds.items()},
    }
    return columns.encode_columns(fields, {name: (days.tables[name], cols) for name, cols in MERGED_TABLES.items()})


class Settled:
    """A settled-days file, decoded; ``held``: its (YYYY-MM-DD, digest) pairs, oldest first."""

    def __init__(self, data: bytes | None):
        self.held: list[tuple[str, str]] = []
        self.days = StackedDays.of([])
        if data is None:
            return
        try:
            self.held, self.days = _decoded(data)
        except (ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError, struct.error):
            return  # not a file this version wrote: read as if there were none

    @classmethod
    def holding(cls, held: list[tuple[str, str]], days: StackedDays) -> Settled:
        """Days already decoded (``days``, read with the digests in ``held``), as a file of them."""
        settled = cls(None)
        settled.held, settled.days = held, days
        return settled

    def prefix(self, stored: list[tuple[str, str]]) -> StackedDays:
        """The longest run of ``stored`` (YYYY-MM-DD, digest of its merged JSON now), from the first, that
        this file holds with the same digests, stacked (no days if it holds none)."""
        if not stored or stored[0] not in self.held:
            return StackedDays.of([])
        first = self.held.index(stored[0])
        end = first
        while end < len(self.held) and end - first < len(stored) and self.held[end] == stored[end - first]:
            end += 1
        return self.days.between(first, end)


def _decoded(data: bytes) -> tuple[list[tuple[str, str]], StackedDays]:
    header, body = columns.read_header(data)
    days = [pd.Timestamp(day) for day in header["settled_days"]]
    digests = [str(d) for d in header["merged_sha256"]]
    coverage = list(header["coverage"])
    if not len(days) == len(digests) == len(coverage):
        raise ValueError("the days, digests and coverage differ in length")
    tables = columns.decode_tables([(header, body)], MERGED_TABLES)
    bounds: dict[str, Any] = {}
    for name, (table, _) in tables.items():
        rows = [int(n) for n in header["day_rows"][name]]
        if len(rows) != len(days) or sum(rows) != len(table) or min(rows, default=0) < 0:
            raise ValueError(f"the rows of {name} per day do not add up")
        bounds[name] = np.cumsum([0, *rows])
    stacked = StackedDays(days=days, coverage=coverage, tables={name: table for name, (table, _) in tables.items()}, bounds=bounds)
    return [(f"{day:%Y-%m-%d}", digest) for day, digest in zip(days, digests, strict=True)], stacked
