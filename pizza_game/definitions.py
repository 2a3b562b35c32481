"""The code location: assets, jobs, schedules, sensors and resources, in one place."""

from __future__ import annotations

import os

import dagster as dg

from pizza_game import settings
from pizza_game.assets.analysis import correlation_analysis
from pizza_game.assets.freshness import FRESHNESS_CHECKS
from pizza_game.assets.merged import merged_dataset
from pizza_game.assets.publish import quicksight_manifest
from pizza_game.assets.raw_matches import raw_matches
from pizza_game.assets.raw_orders import raw_orders
from pizza_game.assets.report import dashboard_report
from pizza_game.automation import JOBS, SCHEDULES, SENSORS
from pizza_game.log_format import default_loggers
from pizza_game.resources.analysis_settings import AnalysisSettings
from pizza_game.resources.dated_outputs import DATED_IO, DatedOutputsIOManager
from pizza_game.resources.dominos_orders import DominosOrdersResource
from pizza_game.resources.football_data import FootballDataResource
from pizza_game.resources.merged_days import MERGED_IO, MergedDaysIOManager
from pizza_game.resources.mock_data import MockDataResource
from pizza_game.resources.quicksight import QuickSightResource
from pizza_game.resources.raw_partitions import RAW_IO, RawPartitionsIOManager
from pizza_game.resources.s3_client import S3ClientResource
from pizza_game.resources.storage import StorageResource
from pizza_game.settings import env, setting

ASSETS = [raw_orders, raw_matches, merged_dataset, correlation_analysis, quicksight_manifest, dashboard_report]


def _secret(name: str) -> dg.EnvVar | None:
    """Secrets stay EnvVars, so Dagster shows the variable's name, never its value."""
    return dg.EnvVar(name) if env(name) else None


def io_managers(storage: StorageResource) -> dict[str, dg.ConfigurableIOManager]:
    """The IO managers, one per family of assets, each storing under ``storage``."""
    return {
        RAW_IO: RawPartitionsIOManager(storage=storage),
        MERGED_IO: MergedDaysIOManager(storage=storage),
        DATED_IO: DatedOutputsIOManager(storage=storage),
    }


def make_resources(*, data_dir: str | None = None, seed: int | None = None) -> dict[str, object]:
    """Resources configured from the environment; arguments override it (the CLI's flags)."""
    limits = {
        "max_requests_per_minute": int(setting(settings.MAX_REQUESTS_PER_MINUTE)),
        "max_requests_per_hour": int(setting(settings.MAX_REQUESTS_PER_HOUR)),
    }
    storage = StorageResource(
        data_dir=data_dir or setting(settings.PIZZA_GAME_DATA_DIR),
        bucket=None if data_dir else env(settings.S3_BUCKET_NAME),
        sse=setting(settings.S3_SSE),
        kms_key_id=env(settings.S3_KMS_KEY_ID),
        # max_attempts counts retries: 5 retries, 6 attempts, in botocore's standard retry mode.
        s3=S3ClientResource(endpoint_url=env(settings.S3_ENDPOINT_URL), region_name=settings.aws_region(), max_attempts=5),
    )
    return {
        "storage": storage,
        **io_managers(storage),
        "football_data": FootballDataResource(
            api_url=setting(settings.FOOTBALL_API_URL),
            api_key=_secret(settings.FOOTBALL_API_KEY),
            competitions=setting(settings.FOOTBALL_COMPETITIONS),
            **limits,
        ),
        "dominos_orders": DominosOrdersResource(
            api_url=env(settings.DOMINOS_API_URL), api_key=_secret(settings.DOMINOS_API_KEY), **limits
        ),
        "quicksight": QuickSightResource(
            account_id=env(settings.QUICKSIGHT_ACCOUNT_ID),
            dataset_id=env(settings.QUICKSIGHT_DATASET_ID),
            daily_quota=int(setting(settings.QUICKSIGHT_DAILY_REFRESH_QUOTA)),
            region_name=settings.aws_region(),
        ),
        "mock_data": MockDataResource(
            seed=seed if seed is not None else int(setting(settings.PIZZA_GAME_SEED)),
            fallback=setting(settings.PIZZA_GAME_FALLBACK).lower() not in ("off", "false", "0", "no"),
            fallback_on_api_errors=os.environ.get(settings.PIZZA_GAME_FALLBACK, "").strip().lower() in ("on", "true", "1", "yes"),
        ),
        "analysis_settings": AnalysisSettings(
            horizon_days=int(setting(settings.PIZZA_GAME_HORIZON_DAYS)),
            timezone=setting(settings.PIZZA_GAME_ORDERS_TIMEZONE),
            outages=setting(settings.PIZZA_GAME_OUTAGES),
        ),
    }


def make_definitions(*, data_dir: str | None = None, seed: int | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=ASSETS,
        asset_checks=FRESHNESS_CHECKS,
        jobs=JOBS,
        schedules=SCHEDULES,
        sensors=SENSORS,
        resources=make_resources(data_dir=data_dir, seed=seed),
        loggers=default_loggers(),
    )


defs = make_definitions()
