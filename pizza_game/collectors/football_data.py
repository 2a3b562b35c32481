"""football-data.org v4 matches -> canonical matches, with every raw body kept as received.

Per competition code and date chunk: ``GET /competitions/{code}/matches?dateFrom=..&dateTo=..``
with the key in ``X-Auth-Token``. Meaning of the canonical scores:

- ``home_score``/``away_score``: goals in regular time. ``score.regularTime`` when the API sends
  it; otherwise ``fullTime`` minus ``penalties`` (PENALTY_SHOOTOUT) and minus ``extraTime`` when
  sent (a shoot-out may follow 90 minutes directly), because ``fullTime`` counts extra-time and
  shoot-out goals. Without ``penalties`` (PENALTY_SHOOTOUT) or ``extraTime`` (EXTRA_TIME) the
  regular-time score is unknown: null.
- ``kickoff_known``: False when ``utcDate`` is T00:00:00Z and the status is SCHEDULED, POSTPONED,
  SUSPENDED or CANCELLED (a placeholder date), else True.
- ``home_score_ht``/``away_score_ht``: ``halfTime``; ``winner``: ``score.winner`` (for a shoot-out,
  the team that won it). Scores the API has not got yet are null and stay null.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeGuard
from urllib.parse import quote

import pandas as pd

from pizza_game.collectors.api_client import ApiClient, ApiKey, ApiResponse
from pizza_game.collectors.errors import CollectorBadResponse, CollectorNotConfigured
from pizza_game.collectors.rate_limit import shared_limiter
from pizza_game.collectors.rejected import concat_rejected, rejected_entry, rejected_table
from pizza_game.collectors.retry import DEFAULT_RETRY, RetryPolicy
from pizza_game.normalize.matches import normalize_matches
from pizza_game.normalize.timestamps import parse_utc
from pizza_game.schema import MATCH_COLUMNS, Normalized
from pizza_game.settings import FOOTBALL_API_KEY, FOOTBALL_COMPETITIONS

# The v4 docs we could retrieve state no maximum dateFrom..dateTo span; long ranges (backfills)
# are asked for in chunks of this many days so they do not depend on an undocumented limit.
DAYS_PER_REQUEST = 10
# What one API match becomes before typing: the canonical columns that come from the API.
RECORD_COLUMNS = tuple(c for c in MATCH_COLUMNS if c != "source")
# Statuses whose utcDate at T00:00:00Z is a placeholder date, not a kick-off (a real example:
# a POSTPONED Premier League match at 2023-12-23T00:00:00Z). TIMED/played matches at midnight UTC
# are real (evening kick-offs in the Americas).
UNTIMED_STATUSES = ("SCHEDULED", "POSTPONED", "SUSPENDED", "CANCELLED", "CANCELED")


@dataclass(frozen=True)
class MatchesFetch:
    """Canonical matches and rejected rows of the requested days, and every raw answer.

    ``outside_range`` counts matches the API returned for days outside the request (``dateTo``
    is asked one day late because its inclusiveness is undocumented); they are in ``responses``.
    """

    matches: Normalized
    responses: tuple[ApiResponse, ...]
    outside_range: int


def parse_competitions(text: str) -> tuple[str, ...]:
    """ "PL, cl,PL" -> ("PL", "CL"): upper-cased, de-duplicated, in order."""
    codes = [code.strip().upper() for code in text.split(",") if code.strip()]
    return tuple(dict.fromkeys(codes))


def football_data_client(
    base_url: str,
    api_key: str | None,
    competitions: Sequence[str],
    *,
    per_minute: int,
    per_hour: int,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> FootballDataClient:
    """A client using this process's shared limiter for ``base_url``."""
    if not api_key:
        raise CollectorNotConfigured(
            f"{FOOTBALL_API_KEY} is not set: football-data.org needs a key"
        )
    api = ApiClient(
        base_url,
        ApiKey("X-Auth-Token", api_key),
        limiter=shared_limiter(base_url, per_minute, per_hour),
        retry=retry,
    )
    return FootballDataClient(api, competitions)


class FootballDataClient:
    """Matches of the configured competitions (codes such as PL, CL) for a range of UTC days."""

    def __init__(self, api: ApiClient, competitions: Sequence[str]) -> None:
        if not competitions:
            raise CollectorNotConfigured(f"{FOOTBALL_COMPETITIONS} lists no competition code")
        self.api = api
        self.competitions = tuple(competitions)

    def fetch_matches(self, first_day: date, last_day: date) -> MatchesFetch:
        """Matches kicking off on ``first_day`` .. ``last_day`` (UTC dates, inclusive)."""
        if last_day < first_day:
            raise ValueError(f"last_day {last_day} is before first_day {first_day}")
        responses: list[ApiResponse] = []
        kept: list[pd.DataFrame] = []
        rejected: list[pd.DataFrame] = []
        outside = 0
        for start in _chunk_starts(first_day, last_day):
            end = min(start + timedelta(days=DAYS_PER_REQUEST - 1), last_day)
            params = {
                "dateFrom": start.isoformat(),
                "dateTo": (end + timedelta(days=1)).isoformat(),
            }
            for code in self.competitions:
                response = self.api.get(f"/competitions/{quote(code, safe='')}/matches", params)
                responses.append(response)
                try:
                    records, bad = match_records(
                        response.data, where=f"{response.request} match", competition=code
                    )
                except ValueError as exc:
                    raise CollectorBadResponse(
                        f"{response.endpoint} {exc}", response.endpoint, 200
                    ) from None
                kickoff = parse_utc(records["kickoff_at"])[0]
                day = kickoff.dt.tz_localize(None).dt.normalize()
                inside = kickoff.isna() | day.between(pd.Timestamp(start), pd.Timestamp(end))
                outside += int((~inside).sum())
                kept.append(records[inside.to_numpy()])
                rejected.append(bad)
        records = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()
        normalized = normalize_matches(records, source="real", where="football-data.org")
        return MatchesFetch(
            Normalized(normalized.rows, concat_rejected([*rejected, normalized.rejected])),
            tuple(responses),
            outside,
        )


def _chunk_starts(first_day: date, last_day: date) -> list[date]:
    days = (last_day - first_day).days + 1
    return [first_day + timedelta(days=offset) for offset in range(0, days, DAYS_PER_REQUEST)]


def match_records(
    data: object, *, where: str, competition: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(records in canonical columns, rejected entries) of one body; match N is at "{where} N"."""
    if not isinstance(data, dict) or not isinstance(data.get("matches"), list):
        found = f"keys {sorted(data)}" if isinstance(data, dict) else type(data).__name__
        raise ValueError(
            f"is not a v4 match list (expected an object with a 'matches' array; found {found})"
        )
    default = _obj(data.get("competition")).get("code") or competition
    records, bad = [], []
    for number, match in enumerate(data["matches"], start=1):
        origin = f"{where} {number}"
        problem = "match is not a JSON object" if not isinstance(match, dict) else None
        if problem is None:
            try:
                records.append({**match_record(match, default), "_where": origin})
            except ValueError as exc:
                problem = str(exc)
        if problem is not None:
            bad.append(rejected_entry(origin, problem, match))
    return pd.DataFrame(records, columns=[*RECORD_COLUMNS, "_where"]), rejected_table(bad)


def match_record(match: Mapping, competition: str | None) -> dict[str, object]:
    """One v4 match in canonical column names (values as sent; ``normalize_matches`` types them)."""
    score = _obj(match.get("score"))
    home, away = regular_time_score(score)
    match_id = match.get("id")
    utc_date, status = match.get("utcDate"), match.get("status")
    placeholder = (
        isinstance(utc_date, str) and utc_date.endswith("T00:00:00Z") and status in UNTIMED_STATUSES
    )
    return {
        "match_id": None if match_id is None or isinstance(match_id, bool) else str(match_id),
        "competition": _obj(match.get("competition")).get("code") or competition,
        "kickoff_at": utc_date,
        "kickoff_known": False if placeholder else None,
        "status": status,
        "stage": match.get("stage"),
        "matchday": match.get("matchday"),
        "home_team": _obj(match.get("homeTeam")).get("name"),
        "away_team": _obj(match.get("awayTeam")).get("name"),
        "home_score": home,
        "away_score": away,
        "home_score_ht": _obj(score.get("halfTime")).get("home"),
        "away_score_ht": _obj(score.get("halfTime")).get("away"),
        "winner": score.get("winner"),
    }


def regular_time_score(score: Mapping) -> tuple[object, object]:
    """(home, away) goals in regular time from a v4 ``score`` object (see the module docstring)."""
    regular = _obj(score.get("regularTime"))
    if regular.get("home") is not None or regular.get("away") is not None:
        return regular.get("home"), regular.get("away")
    full = _obj(score.get("fullTime"))
    home, away = full.get("home"), full.get("away")
    parts: dict[object, tuple[tuple[str, ...], tuple[str, ...]]] = {
        "PENALTY_SHOOTOUT": (("penalties",), ("extraTime",)),
        "EXTRA_TIME": (("extraTime",), ()),
    }
    required, optional = parts.get(score.get("duration"), ((), ()))
    for part in required + optional:
        sub = _obj(score.get(part))
        if sub.get("home") is None or sub.get("away") is None:
            if part in required:
                return None, None
            continue
        home, away = _minus(home, sub["home"], part), _minus(away, sub["away"], part)
    return home, away


def _minus(total: object, part: object, name: str) -> int | None:
    if total is None:
        return None
    if not (_whole(total) and _whole(part)):
        raise ValueError(f"score fullTime/{name} are not whole numbers ({total!r}, {part!r})")
    return int(total) - int(part)


def _whole(value: object) -> TypeGuard[int | float]:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and value.is_integer()
    )


def _obj(value: object) -> Mapping:
    return value if isinstance(value, dict) else {}
