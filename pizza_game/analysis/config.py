"""What an analysis run is asked to do: windows, baseline, match classes, thresholds.

Every field has a default that answers the project's question for the Premier League; the Dagster
shell exposes the same fields as run config. Team names must be spelled as the match source spells
them (football-data.org: "Arsenal FC", "Manchester United FC", ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pizza_game.analysis.windows import WindowConfig
from pizza_game.settings import DEFAULTS, PIZZA_GAME_ORDERS_TIMEZONE, PIZZA_GAME_OUTAGES

OUTAGE_TREATMENTS = ("missing", "zero")

# football-data.org v4 knock-out stages: matches that matter more than a league round.
# The information a test needs before it is run (justified in docs/analysis.md, "Minimums"):
# match-free reference days behind a window test, its degrees of freedom, and the residual
# degrees of freedom of a correlation.
MIN_REFERENCE_DAYS = 8
MIN_WINDOW_DF = 3.0
MIN_CORRELATION_DF = 10

KNOCKOUT_STAGES = ("LAST_32", "LAST_16", "QUARTER_FINALS", "SEMI_FINALS", "FINAL", "PLAYOFFS")


@dataclass(frozen=True)
class AnalysisConfig:
    """Settings of one analysis run.

    - ``windows``: lengths of the pre/during/post/extended windows around each kick-off.
    - ``timezone``: where the orders are placed; weekday and time of day of the baseline are
      local (a pizza peak at 19:00 local moves by an hour in UTC twice a year).
    - ``baseline_weeks``: reference days for a window come from at most this many weeks before
      or after it; ``None`` uses every day of the horizon.
    - ``alpha``: significance level after the Benjamini-Hochberg adjustment.
    - ``big_match_teams``: a match between two of these teams is a big match.
    - ``derbies``: pairs of teams whose meeting is a derby (either side at home).
    - ``important_stages`` / ``important_competitions`` / ``important_from_matchday``: a match is
      important when its stage or competition is listed, or its matchday is at least this one
      (the run-in of a league season).
    - ``min_coverage``: share of a window that must have raw order data for it to be used.
    - ``outages``: "missing" (probable outages leave the covered time, like hours without data)
      or "zero" (they count as real zeros); see ``outages.py``.
    - ``regional``: also test every region, not only the national total (region "ALL").
    - ``min_reference_days`` / ``min_window_df``: a window test runs only on at least this many
      match-free reference days and with at least this many (Bell-McCaffrey) degrees of freedom;
      ``min_correlation_df``: a correlation runs only with at least this many residual degrees of
      freedom. Below them the run says what is missing instead of giving a number. The defaults
      come from benchmarks/analysis_calibration.py (docs/analysis.md, "Minimums").
    """

    windows: WindowConfig = field(default_factory=WindowConfig)
    timezone: str = DEFAULTS[PIZZA_GAME_ORDERS_TIMEZONE]
    baseline_weeks: int | None = None
    alpha: float = 0.05
    big_match_teams: tuple[str, ...] = ()
    derbies: tuple[tuple[str, str], ...] = ()
    important_stages: tuple[str, ...] = KNOCKOUT_STAGES
    important_competitions: tuple[str, ...] = ()
    important_from_matchday: int | None = None
    min_coverage: float = 1.0
    outages: str = DEFAULTS[PIZZA_GAME_OUTAGES]
    regional: bool = True
    min_reference_days: int = MIN_REFERENCE_DAYS
    min_window_df: float = MIN_WINDOW_DF
    min_correlation_df: int = MIN_CORRELATION_DF

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"timezone {self.timezone!r} is not a known IANA time zone") from error
        if self.baseline_weeks is not None and self.baseline_weeks < 1:
            raise ValueError("baseline_weeks must be at least 1 (or None for the whole horizon)")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must lie strictly between 0 and 1, not {self.alpha}")
        if not 0 < self.min_coverage <= 1:
            raise ValueError(f"min_coverage must lie in (0, 1], not {self.min_coverage}")
        if self.min_reference_days < 2 or self.min_window_df <= 0 or self.min_correlation_df < 2:
            raise ValueError(
                "min_reference_days must be at least 2, min_window_df positive and "
                "min_correlation_df at least 2"
            )
        if self.outages not in OUTAGE_TREATMENTS:
            raise ValueError(f"outages must be one of {OUTAGE_TREATMENTS}, not {self.outages!r}")
        for pair in self.derbies:
            if len(pair) != 2 or pair[0] == pair[1]:
                raise ValueError(f"a derby is a pair of two different teams, not {pair!r}")
        if self.important_from_matchday is not None and self.important_from_matchday < 1:
            raise ValueError("important_from_matchday must be at least 1 (or None)")
