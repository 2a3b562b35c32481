"""The analysis settings resource: match windows, horizon, baseline and tests, shared by the assets."""

from __future__ import annotations

import dagster as dg

from pizza_game import settings
from pizza_game.analysis.config import AnalysisConfig
from pizza_game.analysis.windows import DEFAULT_WINDOWS, WindowConfig
from pizza_game.collectors.teams import BIG_SIX, DERBY_PAIRS

# The defaults are the core's (WindowConfig, AnalysisConfig) and settings.DEFAULTS': one default
# per setting, whichever door it comes in by.
_CORE = AnalysisConfig()


class AnalysisSettings(dg.ConfigurableResource):
    """How matches are analysed, shared by ``merged_dataset`` and the analysis assets, so the
    windows counted in the merged data are the windows analysed. See AnalysisConfig for meanings.
    """

    pre_minutes: int = DEFAULT_WINDOWS.pre_minutes
    during_minutes: int = DEFAULT_WINDOWS.during_minutes
    post_minutes: int = DEFAULT_WINDOWS.post_minutes
    extended_minutes: int = DEFAULT_WINDOWS.extended_minutes
    horizon_days: int = int(settings.DEFAULTS[settings.PIZZA_GAME_HORIZON_DAYS])
    timezone: str = _CORE.timezone
    baseline_weeks: int | None = _CORE.baseline_weeks
    alpha: float = _CORE.alpha
    big_match_teams: list[str] = list(BIG_SIX)  # noqa: RUF012 (a pydantic field: copied per instance)
    derbies: list[list[str]] = [list(pair) for pair in DERBY_PAIRS]  # noqa: RUF012 (a pydantic field)
    important_from_matchday: int | None = _CORE.important_from_matchday
    min_coverage: float = _CORE.min_coverage
    outages: str = _CORE.outages
    regional: bool = _CORE.regional

    def windows(self) -> WindowConfig:
        config = WindowConfig(self.pre_minutes, self.during_minutes, self.post_minutes, self.extended_minutes)
        before, after = config.reach()
        if max(before, after).total_seconds() > 24 * 3600:
            raise ValueError(
                "match windows may reach at most 24 hours from kick-off "
                f"(these reach {before} before and {after} after)"
            )
        return config

    def config(self) -> AnalysisConfig:
        return AnalysisConfig(
            windows=self.windows(),
            timezone=self.timezone,
            baseline_weeks=self.baseline_weeks,
            alpha=self.alpha,
            big_match_teams=tuple(self.big_match_teams),
            derbies=tuple((first, second) for first, second in self.derbies),
            important_from_matchday=self.important_from_matchday,
            min_coverage=self.min_coverage,
            outages=self.outages,
            regional=self.regional,
        )
