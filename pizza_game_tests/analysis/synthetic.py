"""A small, fast, seeded synthetic world for the analysis tests (not the project's generator).

Orders: Poisson counts per 15-minute bin from a level that drifts over the season, a weekday
factor, a local time-of-day profile (weekends peak earlier) and an optional multiplicative lift
inside chosen windows of every match; order times uniform inside their bin. Matches: Premier
League-like rounds on most weekends (Saturday 12:30, five at 15:00, 17:30; Sunday 14:00 x2,
16:30, Monday 20:00, London time) with Poisson scores.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pizza_game.schema import MATCH_COLUMNS, ORDER_COLUMNS, coerce

TEAMS = [f"Team {chr(65 + i)}" for i in range(20)]
REGIONS = ("North", "South", "London")
ROUND_KICKOFFS = (
    (5, "12:30"),
    (5, "15:00"),
    (5, "15:00"),
    (5, "15:00"),
    (5, "15:00"),
    (5, "15:00"),
    (5, "17:30"),
    (6, "14:00"),
    (6, "14:00"),
    (6, "16:30"),
)
BIN = pd.Timedelta(minutes=15)


def hour_profile(weekend: bool) -> np.ndarray:
    hours = np.arange(24) + 0.5
    evening = np.exp(-0.5 * ((hours - 19.0) / 1.8) ** 2)
    lunch = np.exp(-0.5 * ((hours - 12.5) / 1.2) ** 2) * (0.8 if weekend else 0.35)
    return 0.03 + evening + lunch


def make_matches(start: str, weeks: int, seed: int, skip_every: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    monday = pd.Timestamp(start).normalize()
    rows = []
    for week in range(weeks):
        if week % skip_every == skip_every - 1:
            continue
        teams = rng.permutation(TEAMS)
        for i, (weekday_offset, clock) in enumerate(ROUND_KICKOFFS):
            local = pd.Timestamp(
                f"{(monday + pd.Timedelta(days=7 * week + weekday_offset)).date()} {clock}"
            )
            kickoff = local.tz_localize("Europe/London").tz_convert("UTC")
            home, away = rng.poisson(1.5), rng.poisson(1.2)
            rows.append(
                {
                    "match_id": f"m{week:03d}{i}",
                    "competition": "PL",
                    "kickoff_at": kickoff,
                    "kickoff_known": True,
                    "status": "FINISHED",
                    "stage": "REGULAR_SEASON",
                    "matchday": week + 1,
                    "home_team": teams[2 * i],
                    "away_team": teams[2 * i + 1],
                    "home_score": home,
                    "away_score": away,
                    "home_score_ht": min(home, 1),
                    "away_score_ht": min(away, 1),
                    "winner": "HOME_TEAM"
                    if home > away
                    else "AWAY_TEAM"
                    if away > home
                    else "DRAW",
                    "source": "mock",
                }
            )
    return coerce(pd.DataFrame(rows), MATCH_COLUMNS)


def make_orders(
    start: str,
    weeks: int,
    seed: int,
    matches: pd.DataFrame,
    per_day: float = 2000.0,
    lift: dict[str, float] | None = None,
    windows: dict[str, tuple[int, int]] | None = None,
    real_share: float = 0.0,
) -> pd.DataFrame:
    """Orders with ``lift[window]`` applied once to every bin inside any match's window of that kind."""
    rng = np.random.default_rng(seed + 1)
    windows = windows or {"pre": (-120, 0), "during": (0, 120), "post": (120, 240)}
    local_start = pd.Timestamp(start).normalize().tz_localize("Europe/London")
    bins = (
        pd.date_range(local_start, periods=weeks * 7 * 96, freq=BIN).tz_convert("UTC").as_unit("ns")
    )
    local = bins.tz_convert("Europe/London")
    weekend = local.day_of_week >= 5
    profile = np.where(weekend, hour_profile(True)[local.hour], hour_profile(False)[local.hour])
    weekday_factor = np.array([0.9, 0.85, 0.95, 1.0, 1.25, 1.3, 1.1])[local.day_of_week]
    days = np.asarray((bins - bins[0]) / pd.Timedelta(days=1))
    season = 1.0 + 0.15 * np.sin(2 * np.pi * days / 365.0)
    rate = np.asarray(profile * weekday_factor * season, dtype="float64")
    rate = rate / rate.mean() * per_day / 96
    multiplier = np.ones(len(bins))
    bin_ns = bins.asi8
    for name, value in (lift or {}).items():
        first, last = windows[name]
        inside = np.zeros(len(bins), dtype=bool)
        for kickoff in matches["kickoff_at"].astype("int64").to_numpy():
            inside |= (bin_ns >= kickoff + first * 60_000_000_000) & (
                bin_ns < kickoff + last * 60_000_000_000
            )
        multiplier[inside] *= 1.0 + value
    counts = rng.poisson(rate * multiplier)
    n = int(counts.sum())
    at = np.repeat(bin_ns, counts) + rng.integers(0, BIN.value, n)
    region = np.asarray(REGIONS, dtype=object)[rng.choice(len(REGIONS), n, p=[0.3, 0.3, 0.4])]
    source = np.where(rng.random(n) < real_share, "real", "mock").astype(object)
    table = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(n)],
            "ordered_at": pd.to_datetime(np.sort(at), utc=True),
            "store_id": "s1",
            "region": region,
            "items": rng.integers(1, 4, n),
            "total": np.round(rng.uniform(8, 40, n), 2),
            "source": source,
        }
    )
    return coerce(table, ORDER_COLUMNS)
