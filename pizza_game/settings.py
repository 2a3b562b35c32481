"""Environment variable names and their defaults: the one place the project's configuration is named.

The seed's names (S3_BUCKET_NAME, FOOTBALL_API_KEY, ...) are kept; ours follow the same style.
Resources read these through ``dg.EnvVar`` (see definitions.py); plain code reads them through
``env()`` so that the defaults below are the only defaults anywhere.
"""

from __future__ import annotations

import os

# Storage
S3_BUCKET_NAME = "S3_BUCKET_NAME"
S3_ENDPOINT_URL = "S3_ENDPOINT_URL"
S3_SSE = "S3_SSE"
S3_KMS_KEY_ID = "S3_KMS_KEY_ID"
# The usual AWS variables: Lambda sets AWS_REGION, the AWS CLI and boto3 read AWS_DEFAULT_REGION.
AWS_REGION = "AWS_REGION"
AWS_DEFAULT_REGION = "AWS_DEFAULT_REGION"
PIZZA_GAME_DATA_DIR = "PIZZA_GAME_DATA_DIR"

# Collectors
FOOTBALL_API_URL = "FOOTBALL_API_URL"
FOOTBALL_API_KEY = "FOOTBALL_API_KEY"
FOOTBALL_COMPETITIONS = "FOOTBALL_COMPETITIONS"
DOMINOS_API_URL = "DOMINOS_API_URL"
DOMINOS_API_KEY = "DOMINOS_API_KEY"
# In AWS Lambda: names of the SSM SecureString parameters holding the two keys above. The handler
# reads them at cold start into FOOTBALL_API_KEY / DOMINOS_API_KEY (deploy/README.md).
FOOTBALL_API_KEY_PARAMETER = "FOOTBALL_API_KEY_PARAMETER"
DOMINOS_API_KEY_PARAMETER = "DOMINOS_API_KEY_PARAMETER"
MAX_REQUESTS_PER_MINUTE = "MAX_REQUESTS_PER_MINUTE"
MAX_REQUESTS_PER_HOUR = "MAX_REQUESTS_PER_HOUR"
PIZZA_GAME_FALLBACK = "PIZZA_GAME_FALLBACK"
PIZZA_GAME_SEED = "PIZZA_GAME_SEED"

# Partitions and analysis
PIZZA_GAME_START_DATE = "PIZZA_GAME_START_DATE"
PIZZA_GAME_HORIZON_DAYS = "PIZZA_GAME_HORIZON_DAYS"
# Days a `pizza-game run` without --start covers (ending yesterday). The analysis needs match-free
# reference days of the same weekday: 14 days have almost none, 42 find the mock world's planted
# pre-match lift at any time of the season (docs/analysis.md, "The default run").
PIZZA_GAME_RUN_DAYS = "PIZZA_GAME_RUN_DAYS"
# The most days one run may cover (raw_orders and raw_matches refuse longer ranges at once), so a
# click on "All partitions" or a mistyped year never starts a collection since PIZZA_GAME_START_DATE.
PIZZA_GAME_MAX_RUN_DAYS = "PIZZA_GAME_MAX_RUN_DAYS"
# Where the orders are placed: the baseline's weekday and time of day are local to it.
PIZZA_GAME_ORDERS_TIMEZONE = "PIZZA_GAME_ORDERS_TIMEZONE"
# Probable outages (no order where many were expected): "missing" data or real "zero" orders.
PIZZA_GAME_OUTAGES = "PIZZA_GAME_OUTAGES"

# Publishing
QUICKSIGHT_ACCOUNT_ID = "QUICKSIGHT_ACCOUNT_ID"
QUICKSIGHT_DATASET_ID = "QUICKSIGHT_DATASET_ID"
QUICKSIGHT_DAILY_REFRESH_QUOTA = "QUICKSIGHT_DAILY_REFRESH_QUOTA"

# AWS Lambda: the only writable directory there; HOME, DAGSTER_HOME, TMPDIR etc. go under it.
PIZZA_GAME_WRITABLE_DIR = "PIZZA_GAME_WRITABLE_DIR"
# AWS Lambda: "on" makes each run hold the bucket's run lock (pizza_game/lambda_lock.py).
PIZZA_GAME_RUN_LOCK = "PIZZA_GAME_RUN_LOCK"

# Observability
PIZZA_GAME_LOG_FORMAT = "PIZZA_GAME_LOG_FORMAT"
# The asset checks warn when less than this share of the rows behind an asset is real data.
PIZZA_GAME_MIN_REAL_SHARE = "PIZZA_GAME_MIN_REAL_SHARE"

DEFAULTS: dict[str, str] = {
    PIZZA_GAME_DATA_DIR: "pizza-game-data",
    S3_SSE: "AES256",
    FOOTBALL_API_URL: "https://api.football-data.org/v4",
    FOOTBALL_COMPETITIONS: "PL",
    MAX_REQUESTS_PER_MINUTE: "10",
    MAX_REQUESTS_PER_HOUR: "1000",
    PIZZA_GAME_FALLBACK: "on",
    PIZZA_GAME_SEED: "42",
    # Hourly partitions from 2015 let users import the real 2015 data sets in ../shared/data.
    PIZZA_GAME_START_DATE: "2015-01-01",
    PIZZA_GAME_HORIZON_DAYS: "365",
    PIZZA_GAME_RUN_DAYS: "42",
    # A year of days and the edge days its match windows reach into, with room to spare.
    PIZZA_GAME_MAX_RUN_DAYS: "400",
    PIZZA_GAME_ORDERS_TIMEZONE: "Europe/London",
    PIZZA_GAME_OUTAGES: "missing",
    # Manual dataset refreshes allowed per day: 8 on QuickSight Standard edition, 32 on Enterprise.
    QUICKSIGHT_DAILY_REFRESH_QUOTA: "8",
    PIZZA_GAME_WRITABLE_DIR: "/tmp",
    PIZZA_GAME_RUN_LOCK: "off",
    PIZZA_GAME_LOG_FORMAT: "text",
    PIZZA_GAME_MIN_REAL_SHARE: "0.5",
}

SECRET_NAMES = (FOOTBALL_API_KEY, DOMINOS_API_KEY)

# Secret -> the variable naming the SSM parameter it is read from in Lambda.
SECRET_PARAMETERS: dict[str, str] = {
    FOOTBALL_API_KEY: FOOTBALL_API_KEY_PARAMETER,
    DOMINOS_API_KEY: DOMINOS_API_KEY_PARAMETER,
}


def env(name: str) -> str | None:
    """The variable's value, else its default, else None. Empty strings count as unset."""
    value = os.environ.get(name, "")
    if value.strip():
        return value.strip()
    return DEFAULTS.get(name)


def aws_region() -> str | None:
    """AWS_REGION (set by Lambda), else AWS_DEFAULT_REGION, else None (boto3's own lookup)."""
    return env(AWS_REGION) or env(AWS_DEFAULT_REGION)


def setting(name: str) -> str:
    """The value of a setting that has a default (DEFAULTS): like ``env``, never None."""
    value = env(name)
    if value is None:
        raise KeyError(f"{name} has no default; read it with env()")
    return value
