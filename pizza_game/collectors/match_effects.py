"""How a match moves order intensity around its kick-off: the effects the mock data plants.

The analysis has to find these effects again, so they are explicit, documented and switchable:
``MatchEffects()`` is the realistic default, ``MatchEffects.none()`` plants nothing and
``MatchEffects.only(pre=0.20)`` plants one clean effect for calibration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pizza_game.collectors.teams import (
    BIG_SIX,
    DERBY_PAIRS,
    TEAM_REGIONS,
    big_match_mask,
    derby_mask,
)

# Minutes after kick-off: first half, half-time break, second half (stoppage time ignored).
HALF_TIME_START = 45
SECOND_HALF_START = 60
FULL_TIME = 105
# Longest window before kick-off an effect may use: orders generators look one day either side.
MAX_PRE_MINUTES = 12 * 60
# Matches that did not take place move no orders.
NOT_PLAYED = ("POSTPONED", "CANCELLED", "CANCELED")
# The columns of a canonical matches table that match_factor reads.
MATCH_FIELDS = ("kickoff_at", "kickoff_known", "status", "home_team", "away_team")

_NS_PER_MINUTE = 60 * 10**9


@dataclass(frozen=True)
class MatchEffects:
    """Lifts on order intensity around one match, as fractions of the no-match intensity.

    An ordinary match lifts intensity everywhere by ``pre`` during the ``pre_minutes`` before
    kick-off, by ``during`` while the ball is in play (0-45 and 60-105 minutes after kick-off) and
    by ``half_time`` in the break (45-60). A big match multiplies these lifts by ``big_match``, a
    derby by ``derby`` (both when it is both), and in the regions of the two clubs they are
    ``regional`` times larger than elsewhere.

    Defaults, from ../shared/data/effect_sizes/published_figures.md (row numbers are its "#"):
    - ``pre=0.25``, ``pre_minutes=60``: Deliveroo UK, orders +25 % on average in the hour before
      kick-off (row 8).
    - ``half_time=0.15``: Just Eat UK, +15 % at half-time of Man City v Arsenal (row 9).
    - ``regional=2.2``: the same release, +33 % in the Birmingham area at half-time of Villa v
      Sheffield United against +15 % for the national match (row 9): 33 / 15 = 2.2.
    - ``during=-0.10``: orders shift into the hour before kick-off and fall off in play (rows 8 and
      11; the file's suggested simulation, lines 26-29). No source gives the size: ours.
    - ``big_match=1.5``, ``derby=1.3``: bigger games move more orders (row 7: +15 % on England
      match days, +86 % for the semi-final). The multipliers are ours.
    """

    pre: float = 0.25
    pre_minutes: int = 60
    during: float = -0.10
    half_time: float = 0.15
    big_match: float = 1.5
    derby: float = 1.3
    regional: float = 2.2

    def __post_init__(self) -> None:
        for name in ("pre", "during", "half_time"):
            if not getattr(self, name) > -1:
                raise ValueError(
                    f"MatchEffects.{name} is a lift and must be > -1, not {getattr(self, name)!r}"
                )
        for name in ("big_match", "derby", "regional"):
            if not getattr(self, name) >= 0:
                raise ValueError(
                    f"MatchEffects.{name} is a multiplier and must be >= 0, not {getattr(self, name)!r}"
                )
        if not 0 < self.pre_minutes <= MAX_PRE_MINUTES:
            raise ValueError(
                f"MatchEffects.pre_minutes must be in 1..{MAX_PRE_MINUTES}, not {self.pre_minutes!r}"
            )

    @classmethod
    def none(cls) -> MatchEffects:
        """No match moves any order."""
        return cls(pre=0.0, during=0.0, half_time=0.0, big_match=1.0, derby=1.0, regional=1.0)

    @classmethod
    def only(
        cls,
        *,
        pre: float = 0.0,
        during: float = 0.0,
        half_time: float = 0.0,
        pre_minutes: int = 120,
    ) -> MatchEffects:
        """Just the given lifts, the same for every match and region.

        ``pre_minutes`` defaults to the analysis's 2-hour pre-match window, so ``only(pre=0.20)``
        means +20 % of orders in the 2 h before every kick-off, uniformly, nationally.
        """
        return cls(
            pre=pre,
            pre_minutes=pre_minutes,
            during=during,
            half_time=half_time,
            big_match=1.0,
            derby=1.0,
            regional=1.0,
        )

    def lift_at(self, minutes: np.ndarray) -> np.ndarray:
        """The lift of an ordinary match at ``minutes`` after kick-off (negative: before)."""
        m = np.asarray(minutes, dtype=float)
        return np.select(
            [
                (m >= -self.pre_minutes) & (m < 0),
                (m >= 0) & (m < HALF_TIME_START),
                (m >= HALF_TIME_START) & (m < SECOND_HALF_START),
                (m >= SECOND_HALF_START) & (m < FULL_TIME),
            ],
            [self.pre, self.during, self.half_time, self.during],
            0.0,
        )


DEFAULT_EFFECTS = MatchEffects()


def _utc_ns(values: object, name: str) -> np.ndarray:
    # ``values`` is whatever the caller passed (match_factor takes any array-like); pandas rejects
    # what it cannot read.
    index = pd.DatetimeIndex(values)  # type: ignore[arg-type]
    if index.tz is None:
        raise ValueError(f"{name} must be timezone-aware timestamps (UTC), not naive ones")
    return index.tz_convert("UTC").as_unit("ns").asi8


def match_factor(
    times: object,
    regions: object,
    matches: pd.DataFrame,
    effects: MatchEffects = DEFAULT_EFFECTS,
    *,
    team_regions: dict[str, str] = TEAM_REGIONS,
    big_teams: tuple[str, ...] = BIG_SIX,
    derby_pairs: tuple[tuple[str, str], ...] = DERBY_PAIRS,
) -> np.ndarray:
    """The factor on no-match order intensity at each (time, region) pair, given ``matches``.

    ``times`` are tz-aware instants and ``regions`` region names of the same length; ``matches``
    is a canonical matches table (only rows with a known kick-off that were not postponed or
    cancelled count). Clubs missing from ``team_regions`` get no regional boost.

    Concurrent matches (five at Saturday 15:00) do not stack: a viewer watches one match at a time,
    so at each (time, region) the largest boost and the deepest dip among the matches apply,
    ``factor = (1 + max(0, largest lift)) * (1 + min(0, lowest lift))``, floored at 0. Every
    match's own window therefore shows exactly its planted lift.
    """
    t, region = _checked_inputs(times, regions, matches)
    usable = matches[matches["kickoff_known"].astype(bool) & ~matches["status"].isin(NOT_PLAYED)]
    if t.size == 0 or usable.empty:
        return np.ones(t.shape)
    before, after = effects.pre_minutes * _NS_PER_MINUTE, FULL_TIME * _NS_PER_MINUTE
    kickoff = _utc_ns(usable["kickoff_at"], "matches.kickoff_at")
    near = (kickoff + after > t.min()) & (kickoff - before <= t.max())
    usable, kickoff = usable[near], kickoff[near]
    scale = _match_scale(usable, effects, big_teams, derby_pairs)
    codes, names = pd.factorize(region)
    names = np.asarray(names, dtype=object)
    order = np.argsort(t, kind="stable")
    sorted_t = t[order]
    boost, dip = np.zeros(t.shape), np.zeros(t.shape)
    for ko, s, home, away in zip(kickoff, scale, usable["home_team"], usable["away_team"], strict=True):
        lo, hi = np.searchsorted(sorted_t, [ko - before, ko + after], side="left")
        if lo == hi:
            continue
        idx = order[lo:hi]
        local = (names == team_regions.get(home)) | (names == team_regions.get(away))
        weight = np.where(local, effects.regional, 1.0)[codes[idx]]
        lift = effects.lift_at((t[idx] - ko) / _NS_PER_MINUTE) * s * weight
        boost[idx] = np.maximum(boost[idx], lift)
        dip[idx] = np.minimum(dip[idx], lift)
    return (1 + boost) * np.clip(1 + dip, 0.0, None)


def _checked_inputs(times: object, regions: object, matches: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``times`` as UTC nanoseconds and ``regions`` as an array of the same length; ValueError if
    the lengths differ or ``matches`` is not a canonical matches table."""
    t = _utc_ns(times, "times")
    region = np.asarray(regions, dtype=object)
    if region.shape != t.shape:
        raise ValueError(
            f"times and regions must have the same length, not {t.shape} and {region.shape}"
        )
    missing = [column for column in MATCH_FIELDS if column not in matches]
    if missing:
        raise ValueError(f"matches lack columns {missing}: pass a canonical matches table")
    return t, region


def _match_scale(
    matches: pd.DataFrame, effects: MatchEffects, big_teams: tuple[str, ...], derby_pairs: tuple[tuple[str, str], ...]
) -> np.ndarray:
    """How much bigger each match's effect is: big matches and derbies draw more viewers."""
    scale = np.where(
        big_match_mask(matches["home_team"], matches["away_team"], big_teams), effects.big_match, 1.0
    )
    return scale * np.where(
        derby_mask(matches["home_team"], matches["away_team"], derby_pairs), effects.derby, 1.0
    )
