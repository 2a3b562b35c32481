"""Match windows and counting orders inside them.

A match has four windows around its kick-off ``k`` (defaults from DESIGN.md):
pre = [k - 2h, k), during = [k, k + 2h) (play plus half-time), post = [k + 2h, k + 4h),
extended = [k - 12h, k + 12h). Windows are half-open so an order is never counted twice.

Counting is vectorized: sort the order times once, then two ``searchsorted`` calls count every
window of every match at once (no per-match loop over orders).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pizza_game.model import to_ns
from pizza_game.schema import PLAYED_STATUSES

WINDOWS = ("pre", "during", "post", "extended")
MINUTE_NS = 60 * 1_000_000_000


@dataclass(frozen=True)
class WindowConfig:
    """Window lengths in minutes. ``during`` also defines the match end used by ``post``."""

    pre_minutes: int = 120
    during_minutes: int = 120
    post_minutes: int = 120
    extended_minutes: int = 1440

    def __post_init__(self) -> None:
        for name in ("pre_minutes", "during_minutes", "post_minutes", "extended_minutes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be a positive number of minutes")

    def offsets_ns(self) -> dict[str, tuple[int, int]]:
        """(start, end) offsets from kick-off, in nanoseconds, per window."""
        half_extended = self.extended_minutes // 2
        end_of_play = self.during_minutes
        minutes = {
            "pre": (-self.pre_minutes, 0),
            "during": (0, end_of_play),
            "post": (end_of_play, end_of_play + self.post_minutes),
            "extended": (-half_extended, self.extended_minutes - half_extended),
        }
        return {name: (a * MINUTE_NS, b * MINUTE_NS) for name, (a, b) in minutes.items()}

    def reach(self) -> tuple[pd.Timedelta, pd.Timedelta]:
        """How far before and after a kick-off any window reaches."""
        offsets = self.offsets_ns().values()
        before = -min(a for a, _ in offsets)
        after = max(b for _, b in offsets)
        return pd.Timedelta(before, "ns"), pd.Timedelta(after, "ns")


DEFAULT_WINDOWS = WindowConfig()


def split_analysable(matches: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(matches the analysis can use, excluded matches with an ``excluded_reason`` column).

    A match is analysable when its kick-off time is known and it was played (in play, paused or
    finished). Postponed, cancelled, suspended, awarded and not-yet-played matches are excluded.
    """
    unknown = ~matches["kickoff_known"].to_numpy(dtype=bool)
    keep = ~unknown & matches["status"].isin(PLAYED_STATUSES).to_numpy()
    statuses = matches["status"].to_numpy()[~keep]
    reasons = [
        "kick-off time not known" if not_known else f"not played: status {status}"
        for not_known, status in zip(unknown[~keep], statuses, strict=True)
    ]
    # Text ("str") like any reason column; a table without matches gives an empty object one.
    reason = pd.Series(reasons, index=matches.index[~keep], dtype="str" if len(matches) else object)
    return matches.loc[keep], matches.loc[~keep].assign(excluded_reason=reason)


def window_bounds(kickoff_at: pd.Series, config: WindowConfig) -> pd.DataFrame:
    """One row per (kick-off, window): position of the kick-off, window name, start and end (ns);
    the rows of each window together, in ``config.offsets_ns()`` order."""
    kickoff_ns = to_ns(kickoff_at)
    offsets = config.offsets_ns()
    starts, ends = (np.array(column, dtype="int64")[:, None] for column in zip(*offsets.values(), strict=True))
    # Built as one frame: a frame per window and a concat cost each merged day about 1 ms.
    return pd.DataFrame(
        {
            "position": np.tile(np.arange(len(kickoff_ns)), len(offsets)),
            "window": np.repeat(np.array(list(offsets)), len(kickoff_ns)),
            "start_ns": (kickoff_ns[None, :] + starts).ravel(),
            "end_ns": (kickoff_ns[None, :] + ends).ravel(),
        }
    )


def count_in_windows(sorted_ns: np.ndarray, start_ns: np.ndarray, end_ns: np.ndarray) -> np.ndarray:
    """How many of the sorted instants fall in each half-open window [start, end)."""
    return np.searchsorted(sorted_ns, end_ns, side="left") - np.searchsorted(sorted_ns, start_ns, side="left")


def sum_in_windows(
    sorted_ns: np.ndarray, values: np.ndarray, start_ns: np.ndarray, end_ns: np.ndarray
) -> np.ndarray:
    """Sum of ``values`` (aligned with ``sorted_ns``) over each half-open window, via a prefix sum."""
    prefix = np.concatenate([[0], np.cumsum(values, dtype="float64")])
    return prefix[np.searchsorted(sorted_ns, end_ns, side="left")] - prefix[
        np.searchsorted(sorted_ns, start_ns, side="left")
    ]
