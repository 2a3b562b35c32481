"""Dagster resources (configured from environment variables in definitions.py)."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from pizza_game.analysis.config import AnalysisConfig
from pizza_game.analysis.windows import WindowConfig
from pizza_game.collectors.teams import BIG_SIX, DERBY_PAIRS
from pizza_game.collectors.football_data import FootballDataClient, football_data_client, parse_competitions
from pizza_game.collectors.orders_api import OrdersApiClient, orders_api_client
from pizza_game.quicksight.refresh import RefreshResult, dataset_id, refresh_dataset


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


class OrdersApiResource(dg.ConfigurableResource):
    """The orders API (contract in the README), called with a bearer token."""

    api_url: str | None = None
    api_key: str | None = None
    max_requests_per_minute: int = 10
    max_requests_per_hour: int = 1000

    def client(self) -> OrdersApiClient:
        """Raises CollectorNotConfigured (with the variable to set) when the URL or key is missing."""
        return orders_api_client(
            self.api_url,
            self.api_key,
            per_minute=self.max_requests_per_minute,
            per_hour=self.max_requests_per_hour,
        )


class MockDataResource(dg.ConfigurableResource):
    """The deterministic generator used when real data is missing, if the fallback is on."""

    seed: int = 42
    fallback: bool = True
    # An API that answers with an error (401, an HTML page, an oversized body) fails the run
    # unless PIZZA_GAME_FALLBACK=on was set explicitly; an outage or a missing key never does.
    fallback_on_api_errors: bool = False


class AnalysisSettings(dg.ConfigurableResource):
    """How matches are analysed, shared by ``merged_dataset`` and the analysis assets, so the
    windows counted in the merged data are the windows analysed. See AnalysisConfig for meanings.
    """

    pre_minutes: int = 120
    during_minutes: int = 120
    post_minutes: int = 120
    extended_minutes: int = 1440
    horizon_days: int = 365
    timezone: str = "Europe/London"
    baseline_weeks: int | None = None
    alpha: float = 0.05
    big_match_teams: list[str] = list(BIG_SIX)
    derbies: list[list[str]] = [list(pair) for pair in DERBY_PAIRS]
    important_from_matchday: int | None = None
    min_coverage: float = 1.0
    outages: str = "missing"
    regional: bool = True

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
            derbies=tuple(tuple(pair) for pair in self.derbies),
            important_from_matchday=self.important_from_matchday,
            min_coverage=self.min_coverage,
            outages=self.outages,
            regional=self.regional,
        )


class QuickSightResource(dg.ConfigurableResource):
    """The QuickSight datasets refreshed after each publish, when an account and dataset are set.

    ``dataset_id`` is the prefix of the datasets' ids (``<prefix>-orders-hourly`` and so on, as
    the template creates them). Refreshes are spaced at least a day / ``daily_quota`` apart
    (every 3 h with the Standard edition's 8), counted from QuickSight's own ingestions.
    """

    account_id: str | None = None
    dataset_id: str | None = None
    daily_quota: int = 8
    region_name: str | None = None

    def refresh(self, datasets: list[str]) -> dict[str, RefreshResult]:
        client = None
        if self.account_id and self.dataset_id:
            # Imported only here: boto3 costs every command's start, and most never refresh.
            import boto3
            from botocore.config import Config

            client = boto3.client(
                "quicksight",
                region_name=self.region_name,
                config=Config(retries={"mode": "standard", "max_attempts": 4}),
            )
        return {
            name: refresh_dataset(
                client,
                account_id=self.account_id,
                data_set_id=dataset_id(self.dataset_id, name) if self.dataset_id else None,
                quota=self.daily_quota,
                min_interval=timedelta(days=1) / self.daily_quota,
            )
            for name in datasets
        }
