"""The code location: assets, jobs, schedules, sensors and resources, in one place."""

from __future__ import annotations

import os

import dagster as dg

from pizza_game import settings
from pizza_game.assets.analysis import correlation_analysis
from pizza_game.assets.checks import FRESHNESS_CHECKS
from pizza_game.assets.merged import merged_dataset
from pizza_game.assets.publish import quicksight_manifest
from pizza_game.assets.raw import raw_matches, raw_orders
from pizza_game.assets.report import dashboard_report
from pizza_game.automation import JOBS, SCHEDULES, SENSORS
from pizza_game.log_format import default_loggers
from pizza_game.resources.analysis_settings import AnalysisSettings
from pizza_game.resources.football_data import FootballDataResource
from pizza_game.resources.io_manager import LayoutIOManager
from pizza_game.resources.mock_data import MockDataResource
from pizza_game.resources.orders_api import OrdersApiResource
from pizza_game.resources.quicksight import QuickSightResource
from pizza_game.resources.s3_client import S3ClientResource
from pizza_game.resources.storage import StorageResource
from pizza_game.settings import env

ASSETS = [raw_orders, raw_matches, merged_dataset, correlation_analysis, quicksight_manifest, dashboard_report]


def _secret(name: str) -> dg.EnvVar | None:
    """Secrets stay EnvVars, so Dagster shows the variable's name, never its value."""
    return dg.EnvVar(name) if env(name) else None


def make_resources(*, data_dir: str | None = None, seed: int | None = None) -> dict[str, object]:
    """Resources configured from the environment; arguments override it (the CLI's flags)."""
    limits = {
        "max_requests_per_minute": int(env(settings.MAX_REQUESTS_PER_MINUTE)),
        "max_requests_per_hour": int(env(settings.MAX_REQUESTS_PER_HOUR)),
    }
    storage = StorageResource(
        data_dir=data_dir or env(settings.PIZZA_GAME_DATA_DIR),
        bucket=None if data_dir else env(settings.S3_BUCKET_NAME),
        sse=env(settings.S3_SSE),
        kms_key_id=env(settings.S3_KMS_KEY_ID),
        # max_attempts counts retries: 5 retries, 6 attempts, in botocore's standard retry mode.
        s3=S3ClientResource(endpoint_url=env(settings.S3_ENDPOINT_URL), region_name=settings.aws_region(), max_attempts=5),
    )
    return {
        "storage": storage,
        "io_manager": LayoutIOManager(storage=storage),
        "football_data": FootballDataResource(
            api_url=env(settings.FOOTBALL_API_URL),
            api_key=_secret(settings.FOOTBALL_API_KEY),
            competitions=env(settings.FOOTBALL_COMPETITIONS),
            **limits,
        ),
        "orders_api": OrdersApiResource(
            api_url=env(settings.DOMINOS_API_URL), api_key=_secret(settings.DOMINOS_API_KEY), **limits
        ),
        "quicksight": QuickSightResource(
            account_id=env(settings.QUICKSIGHT_ACCOUNT_ID),
            dataset_id=env(settings.QUICKSIGHT_DATASET_ID),
            daily_quota=int(env(settings.QUICKSIGHT_DAILY_REFRESH_QUOTA)),
            region_name=settings.aws_region(),
        ),
        "mock_data": MockDataResource(
            seed=seed if seed is not None else int(env(settings.PIZZA_GAME_SEED)),
            fallback=env(settings.PIZZA_GAME_FALLBACK).lower() not in ("off", "false", "0", "no"),
            fallback_on_api_errors=os.environ.get(settings.PIZZA_GAME_FALLBACK, "").strip().lower() in ("on", "true", "1", "yes"),
        ),
        "analysis_settings": AnalysisSettings(
            horizon_days=int(env(settings.PIZZA_GAME_HORIZON_DAYS)),
            timezone=env(settings.PIZZA_GAME_ORDERS_TIMEZONE),
            outages=env(settings.PIZZA_GAME_OUTAGES),
        ),
    }


def make_definitions(**overrides: object) -> dg.Definitions:
    return dg.Definitions(
        assets=ASSETS,
        asset_checks=FRESHNESS_CHECKS,
        jobs=JOBS,
        schedules=SCHEDULES,
        sensors=SENSORS,
        resources=make_resources(**overrides),
        loggers=default_loggers(),
    )


defs = make_definitions()
