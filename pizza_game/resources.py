"""Dagster resources (configured from environment variables in definitions.py)."""

from __future__ import annotations

import dagster as dg

from pizza_game.analysis.windows import WindowConfig


class MockDataResource(dg.ConfigurableResource):
    """The deterministic generator used when real data is missing, if the fallback is on."""

    seed: int = 42
    fallback: bool = True


class AnalysisSettings(dg.ConfigurableResource):
    """Window lengths and analysis settings shared by ``merged_dataset`` and the analysis assets.

    One resource for both so the windows counted in the merged data are the windows analysed.
    """

    pre_minutes: int = 120
    during_minutes: int = 120
    post_minutes: int = 120
    extended_minutes: int = 1440
    horizon_days: int = 365
    alpha: float = 0.05

    def windows(self) -> WindowConfig:
        config = WindowConfig(self.pre_minutes, self.during_minutes, self.post_minutes, self.extended_minutes)
        before, after = config.reach()
        if max(before, after).total_seconds() > 24 * 3600:
            raise ValueError(
                "match windows may reach at most 24 hours from kick-off "
                f"(these reach {before} before and {after} after)"
            )
        return config
