"""The football-data.org resource: which competitions, the key, the rate limits."""

from __future__ import annotations

import dagster as dg

from pizza_game.collectors.football_data import (
    FootballDataClient,
    football_data_client,
    parse_competitions,
)


class FootballDataResource(dg.ConfigurableResource):
    """football-data.org v4: matches of ``competitions`` (comma-separated codes such as PL,CL)."""

    api_url: str = "https://api.football-data.org/v4"
    api_key: str | None = None
    competitions: str = "PL"
    max_requests_per_minute: int = 10
    max_requests_per_hour: int = 1000

    def client(self) -> FootballDataClient:
        """Raises CollectorNotConfigured (with the variable to set) when there is no key."""
        return football_data_client(
            self.api_url,
            self.api_key,
            parse_competitions(self.competitions),
            per_minute=self.max_requests_per_minute,
            per_hour=self.max_requests_per_hour,
        )
