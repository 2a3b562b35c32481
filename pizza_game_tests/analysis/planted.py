"""The lift the mock generator plants in a window, computed from its own intensity (no noise)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pizza_game.collectors.match_effects import DEFAULT_EFFECTS, MatchEffects, match_factor
from pizza_game.collectors.mock_orders import STORE_REGIONS, STORE_SHARES, national_rate
from pizza_game.collectors.teams import REGIONS


def planted_lift(
    windows: pd.DataFrame, matches: pd.DataFrame, effects: MatchEffects = DEFAULT_EFFECTS
) -> float:
    """exp(mean log planted ratio) - 1 over the distinct (start, end) spans of ``windows``.

    The planted ratio of a span is the generator's national intensity with match effects over
    the intensity without them, summed over the span's minutes: what the analysis's lift
    estimates (the typical lift of a slot), daily noise aside (it is constant within a UTC day).
    """
    share = pd.Series(STORE_SHARES).groupby(STORE_REGIONS).sum().reindex(REGIONS).to_numpy()
    logs = []
    for start, end in windows[["start", "end"]].drop_duplicates().itertuples(index=False):
        minutes = pd.date_range(start, end, freq="min", inclusive="left")
        rate = national_rate(minutes)
        times = minutes.repeat(len(REGIONS))
        regions = np.tile(np.array(REGIONS, dtype=object), len(minutes))
        factor = match_factor(times, regions, matches, effects).reshape(len(minutes), len(REGIONS))
        with_effects = float((rate[:, None] * share[None, :] * factor).sum())
        logs.append(np.log(with_effects / float(rate.sum() * share.sum())))
    return float(np.expm1(np.mean(logs)))
