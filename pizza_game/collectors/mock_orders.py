"""Mock pizza orders from a national store network, deterministic from a seed.

Orders arrive per store and minute as Poisson counts with intensity
``national rate x store share x hour-of-day profile x weekday x season x trend x daily noise``
times ``match_factor`` (see match_effects.py) around the kick-offs of the mock fixtures. Every
UTC day has its own random stream, so any range of hours equals the same hours of a larger range.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np
import pandas as pd

from pizza_game.collectors.match_effects import DEFAULT_EFFECTS, MatchEffects, match_factor
from pizza_game.collectors.mock_matches import UK, generate_matches, to_utc
from pizza_game.collectors.mock_random import stream
from pizza_game.collectors.teams import REGIONS

DAILY_ORDERS = 4_000  # national orders on an average 2020 day at scale 1, before match effects

# Region: (store id prefix, number of stores, population in millions, 2021 census).
STORE_NETWORK: dict[str, tuple[str, int, float]] = {
    "London": ("LDN", 5, 8.80),
    "South East": ("SEA", 4, 9.28),
    "South West": ("SWE", 3, 5.70),
    "East of England": ("EOE", 3, 6.33),
    "West Midlands": ("WMD", 3, 5.95),
    "East Midlands": ("EMD", 2, 4.88),
    "Yorkshire and the Humber": ("YKH", 3, 5.48),
    "North West": ("NWE", 4, 7.42),
    "North East": ("NEA", 2, 2.65),
}
STORE_SIZES = (1.2, 1.0, 0.85, 1.1, 0.9)  # relative size of a region's 1st, 2nd, ... store

# Relative orders per local hour 0..23 (lunch peak 12-13, dinner peak 18-20), normalized below.
WEEKDAY_HOURS = (
    0.10, 0.04, 0.02, 0.01, 0.01, 0.01, 0.02, 0.05, 0.10, 0.20, 0.40, 0.90,
    1.60, 1.30, 0.70, 0.55, 0.80, 1.60, 2.60, 2.80, 2.20, 1.40, 0.75, 0.35,
)  # fmt: skip
WEEKEND_HOURS = (
    0.25, 0.12, 0.05, 0.02, 0.01, 0.01, 0.01, 0.03, 0.08, 0.20, 0.45, 1.00,
    1.70, 1.60, 1.10, 0.95, 1.10, 1.75, 2.60, 2.70, 2.20, 1.50, 0.90, 0.50,
)  # fmt: skip
WEEKDAYS = (0.85, 0.88, 0.92, 0.97, 1.22, 1.30, 1.16)  # Monday..Sunday, normalized below
WINTER_UPLIFT = 0.12  # seasonal amplitude: +12 % mid-January, -12 % mid-July
TREND_PER_YEAR = 0.03  # slow growth, relative to 2020
TREND_ORIGIN = pd.Timestamp("2020-01-01", tz="UTC")
DAILY_NOISE = 0.06  # day-to-day variation (weather, promotions) as a log-normal sigma

# Basket sizes 1..8, shaped after the 2015 pizza place orders (38 % single items, 29 % two).
ITEM_SHARES = (0.36, 0.29, 0.15, 0.10, 0.05, 0.03, 0.01, 0.01)
# Pizza prices in pence per size S, M, L, XL, XXL: the 2015 pizza place's mean USD price per size
# (12.51, 15.99, 20.02, 25.50, 35.95) at 0.654 GBP/USD, and how often each size was ordered.
PRICES_PENCE = (818, 1046, 1309, 1668, 2351)
PRICE_SHARES = (0.290, 0.315, 0.383, 0.011, 0.001)

MINUTES_PER_DAY = 1440
_NS_PER_SECOND = 10**9


def _stores() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ids, region_codes, shares = [], [], []
    total_population = sum(population for _, _, population in STORE_NETWORK.values())
    for region, (prefix, count, population) in STORE_NETWORK.items():
        sizes = np.array(STORE_SIZES[:count])
        ids += [f"mock-{prefix}-{k:02d}" for k in range(1, count + 1)]
        region_codes += [REGIONS.index(region)] * count
        shares += list(population / total_population * sizes / sizes.sum())
    return np.array(ids, dtype=object), np.array(region_codes), np.array(shares)


STORE_IDS, STORE_REGION_CODES, STORE_SHARES = _stores()
STORE_REGIONS = np.array(REGIONS, dtype=object)[STORE_REGION_CODES]


def _minute_profile(hours: tuple[float, ...]) -> np.ndarray:
    """Hourly weights interpolated to minutes (weights sit at half past), mean 1."""
    minutes = np.arange(MINUTES_PER_DAY)
    points = np.arange(-1, 25) * 60 + 30
    values = np.array((hours[-1], *hours, hours[0]))
    profile = np.interp(minutes, points, values)
    return profile / profile.mean()


WEEKDAY_PROFILE = _minute_profile(WEEKDAY_HOURS)
WEEKEND_PROFILE = _minute_profile(WEEKEND_HOURS)
WEEKDAY_LEVEL = np.array(WEEKDAYS) / np.mean(WEEKDAYS)


def national_rate(minutes: pd.DatetimeIndex, scale: float = 1.0) -> np.ndarray:
    """Expected national orders per minute without matches or daily noise, at each UTC minute."""
    local = minutes.tz_convert(UK)
    minute_of_day = np.asarray(local.hour * 60 + local.minute)
    weekday = np.asarray(local.day_of_week)
    profile = np.where(weekday >= 5, WEEKEND_PROFILE[minute_of_day], WEEKDAY_PROFILE[minute_of_day])
    season = 1 + WINTER_UPLIFT * np.cos(2 * np.pi * (np.asarray(local.day_of_year) - 15) / 365.25)
    trend = (1 + TREND_PER_YEAR) ** np.asarray((minutes - TREND_ORIGIN) / pd.Timedelta(days=365.25))
    return (
        scale * DAILY_ORDERS / MINUTES_PER_DAY * profile * WEEKDAY_LEVEL[weekday] * season * trend
    )


def _day_orders(
    day: pd.Timestamp, rate: np.ndarray, factor: np.ndarray, *, seed: int
) -> dict[str, np.ndarray]:
    """All mock orders of the UTC ``day`` as column arrays, sorted by time then store, from its
    national ``rate`` per minute and match ``factor`` per minute and region (``_rates``)."""
    rng = stream(seed, "mock_orders", day.year * 10_000 + day.month * 100 + day.day)
    rate = rate * np.exp(rng.normal(0, DAILY_NOISE))
    intensity = rate[:, None] * STORE_SHARES[None, :] * factor[:, STORE_REGION_CODES]
    counts = rng.poisson(intensity).ravel()
    cells = np.repeat(np.flatnonzero(counts), counts[counts > 0])
    minute, store = np.divmod(cells, len(STORE_IDS))
    ordered_ns = day.value + (minute * 60 + rng.integers(0, 60, cells.size)) * _NS_PER_SECOND
    order = np.lexsort((store, ordered_ns))
    ordered_ns, store = ordered_ns[order], store[order]
    items = rng.choice(np.arange(1, len(ITEM_SHARES) + 1), size=cells.size, p=ITEM_SHARES)
    prices = np.array(PRICES_PENCE)[
        rng.choice(len(PRICES_PENCE), size=int(items.sum()), p=PRICE_SHARES)
    ]
    starts = np.concatenate(([0], np.cumsum(items)[:-1]))
    pence = np.add.reduceat(prices, starts) if cells.size else np.zeros(0, dtype=np.int64)
    return {
        "order_id": f"mock-{day:%Y%m%d}-" + _serials(cells.size),
        "ordered_ns": ordered_ns,
        "store": store,
        "items": items.astype(np.int64),
        "total": pence / 100,
    }


def _serials(count: int) -> np.ndarray:
    """"000000", "000001", ... (``count`` of them) as an object array: a day's order ids are its
    prefix and these, one array addition in place of formatting each id (a sixth of generating).
    Tables of up to ``_KEPT_SERIALS`` are kept; a bigger day formats the rest."""
    size = max(8_192, 1 << (count - 1).bit_length())
    if size <= _KEPT_SERIALS:
        return _serial_table(size)[:count]
    kept = _serial_table(_KEPT_SERIALS)
    return np.concatenate([kept, np.array([f"{k:06d}" for k in range(len(kept), count)], dtype=object)])


_KEPT_SERIALS = 1 << 17  # 8 MB of text at most; a default day has about 4,500 orders


@functools.cache
def _serial_table(size: int) -> np.ndarray:
    return np.array([f"{k:06d}" for k in range(size)], dtype=object)


def _rates(
    days: pd.DatetimeIndex, *, matches: pd.DataFrame, effects: MatchEffects, scale: float
) -> tuple[np.ndarray, np.ndarray]:
    """The national rate per minute (days x minutes) and the match factor per minute and region
    (days x minutes x regions) of whole UTC ``days``, before each day's noise: computed for
    many days at once, as the same values elementwise, since their fixed costs (time zones, the
    loop over matches) were a third of generating a day."""
    minutes = pd.DatetimeIndex(
        (days.as_unit("ns").asi8[:, None] + np.arange(MINUTES_PER_DAY) * 60 * _NS_PER_SECOND).ravel()
    ).tz_localize("UTC")
    rate = national_rate(minutes, scale).reshape(len(days), MINUTES_PER_DAY)
    grid_regions = np.tile(np.array(REGIONS, dtype=object), len(minutes))
    factor = match_factor(minutes.repeat(len(REGIONS)), grid_regions, matches, effects)
    return rate, factor.reshape(len(days), MINUTES_PER_DAY, len(REGIONS))


def _check(
    start: object, end: object, seed: int, scale: float
) -> tuple[pd.Timestamp, pd.Timestamp]:
    start, end = to_utc(start, "start"), to_utc(end, "end")
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(
            f"scale multiplies the default {DAILY_ORDERS} orders a day and must be > 0, not {scale!r}"
        )
    stream(seed, "mock_orders")  # refuses a bad seed now rather than at the first day
    return start, end


def _days(
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    seed: int,
    matches: pd.DataFrame | None,
    effects: MatchEffects,
    scale: float,
) -> Iterator[dict[str, np.ndarray]]:
    """Column arrays of the orders in [start, end), one UTC day at a time."""
    if end == start:
        return
    days = pd.date_range(start.floor("D"), (end - pd.Timedelta(1)).floor("D"), freq="D")
    if matches is None:
        # Effects reach at most 12 h before and 2 h after a kick-off: a day either side suffices.
        lo, hi = days[0] - pd.Timedelta(days=1), days[-1] + pd.Timedelta(days=2)
        matches = generate_matches(lo, hi, seed=seed, now=hi + pd.Timedelta(days=1))
    for first in range(0, len(days), _DAYS_AT_ONCE):
        chunk = days[first : first + _DAYS_AT_ONCE]
        rates, factors = _rates(chunk, matches=matches, effects=effects, scale=scale)
        for day, rate, factor in zip(chunk, rates, factors, strict=True):
            columns = _day_orders(day, rate, factor, seed=seed)
            keep = slice(*np.searchsorted(columns["ordered_ns"], [start.value, end.value]))
            yield {name: values[keep] for name, values in columns.items()}


_DAYS_AT_ONCE = 16  # days whose rates are computed together (2 MB of factors)


_NO_ORDERS = {  # column arrays of an empty range
    "order_id": object,
    "ordered_ns": np.int64,
    "store": np.int64,
    "items": np.int64,
    "total": np.float64,
}


def _orders_table(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """The canonical orders table (exactly what ``schema.coerce`` returns) from column arrays."""

    def text(values: np.ndarray) -> pd.Series:
        return pd.Series(values, dtype=object)  # canonical str columns hold Python strings

    return pd.DataFrame(
        {
            "order_id": text(columns["order_id"]),
            "ordered_at": pd.Series(columns["ordered_ns"].view("datetime64[ns]")).dt.tz_localize(
                "UTC"
            ),
            "store_id": text(STORE_IDS[columns["store"]]),
            "region": text(STORE_REGIONS[columns["store"]]),
            "items": pd.Series(columns["items"], dtype="int64"),
            "total": pd.Series(columns["total"], dtype="float64"),
            "source": text(np.full(len(columns["store"]), "mock", dtype=object)),
        }
    )


def generate_orders(
    start: object,
    end: object,
    *,
    seed: int,
    matches: pd.DataFrame | None = None,
    effects: MatchEffects = DEFAULT_EFFECTS,
    scale: float = 1.0,
) -> pd.DataFrame:
    """Canonical mock orders with ``ordered_at`` in [start, end), all with source "mock".

    ``matches`` (canonical) drive the match effects; by default the mock fixtures of the same
    seed around the range, as played. ``scale`` multiplies the default volume of about
    ``DAILY_ORDERS`` orders a day nationally. The same (seed, matches, effects, scale) give the
    same rows for an hour whether it is generated alone or within a longer range.
    """
    start, end = _check(start, end, seed, scale)
    days = list(_days(start, end, seed=seed, matches=matches, effects=effects, scale=scale))
    if not days:
        return _orders_table({name: np.zeros(0, dtype=dtype) for name, dtype in _NO_ORDERS.items()})
    columns = {name: np.concatenate([day[name] for day in days]) for name in days[0]}
    del days  # the per-day arrays would double the peak memory of large ranges
    return _orders_table(columns)
