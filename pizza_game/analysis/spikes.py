"""Order spikes: 15-minute bins far above what the baseline expected, and what was on then.

The excess of a bin is observed - expected. Counts vary with volume (a 19:00 bin has several
times the orders of a 03:00 bin, where one extra order is no event), so the excess is measured on
Anscombe's variance-stabilised scale, 2 * (sqrt(observed + 3/8) - sqrt(expected + 3/8)), which
is close to standard normal for Poisson counts even when few orders are expected, before taking
robust z-scores: (x - median) / (1.4826 * MAD). A bin is a spike when its robust z exceeds the threshold. Each spike lists the
match windows it falls in (``match_id:window``) and its source: the share of its orders that are
real rather than generated, and "real", "mock" or "mixed".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pizza_game.analysis.timeline import Timeline

MAD_TO_SD = 1.4826

SPIKE_COLUMNS = (
    "bin_start",
    "region",
    "observed",
    "expected",
    "excess",
    "robust_z",
    "real_orders",
    "real_share",
    "source",
    "windows",
    "in_match_window",
)


def find_spikes(
    timeline: Timeline,
    expected: np.ndarray,
    windows: pd.DataFrame,
    threshold: float,
    regions: list[int],
) -> pd.DataFrame:
    """Spikes of the given region rows; ``windows`` has match_id, window, start_ns, end_ns."""
    frames = []
    for r in regions:
        usable = timeline.covered & np.isfinite(expected[r]) & (expected[r] > 0)
        index = np.flatnonzero(usable)
        if len(index) < 3:
            continue
        observed = timeline.orders[r, index]
        scaled = 2.0 * (np.sqrt(observed + 0.375) - np.sqrt(expected[r, index] + 0.375))
        median = np.median(scaled)
        mad = MAD_TO_SD * np.median(np.abs(scaled - median))
        if mad <= 0:
            continue
        robust_z = (scaled - median) / mad
        hit = robust_z > threshold
        if not hit.any():
            continue
        bins = index[hit]
        real = timeline.real[r, bins]
        share = np.divide(
            real,
            timeline.orders[r, bins],
            out=np.zeros(len(bins)),
            where=timeline.orders[r, bins] > 0,
        )
        frames.append(
            pd.DataFrame(
                {
                    "bin_start": pd.to_datetime(
                        timeline.start_ns + bins * timeline.bin_ns, utc=True
                    ),
                    "region": timeline.regions[r],
                    "observed": timeline.orders[r, bins],
                    "expected": expected[r, bins],
                    "excess": timeline.orders[r, bins] - expected[r, bins],
                    "robust_z": robust_z[hit],
                    "real_orders": real,
                    "real_share": share,
                    "source": np.where(
                        share >= 1.0, "real", np.where(share <= 0.0, "mock", "mixed")
                    ),
                    "windows": _windows_of(timeline, bins, windows),
                }
            )
        )
    if not frames:
        table = pd.DataFrame({name: pd.Series(dtype=object) for name in SPIKE_COLUMNS})
        return table.astype({"bin_start": "datetime64[ns, UTC]", "in_match_window": bool})
    table = pd.concat(frames, ignore_index=True)
    table["in_match_window"] = table["windows"] != ""
    return table.sort_values("robust_z", ascending=False, ignore_index=True)


def _windows_of(timeline: Timeline, bins: np.ndarray, windows: pd.DataFrame) -> list[str]:
    starts = timeline.start_ns + bins * timeline.bin_ns
    ends = starts + timeline.bin_ns
    w_start = windows["start_ns"].to_numpy()
    w_end = windows["end_ns"].to_numpy()
    labels = (windows["match_id"].astype(str) + ":" + windows["window"].astype(str)).to_numpy()
    out = []
    for s, e in zip(starts, ends):
        hit = (w_start < e) & (w_end > s)
        out.append(";".join(labels[hit]))
    return out
