"""Refresh the QuickSight datasets (CreateIngestion) after publishing, within the refresh quota.

QuickSight allows a fixed number of dataset refreshes in any 24 hours (8 on Standard edition, 32
on Enterprise). How many were started is QuickSight's own state: ``ListIngestions`` gives every
ingestion with its creation time, so the count is over a rolling 24 hours and no copy of it is
kept anywhere else. Refreshes are spaced ``min_interval`` apart, so hourly publishes keep the
dashboard fresh all day. One ingestion runs at a time, so a refresh is skipped while the last
one is still running. The outcome of the ingestion concerned (``DescribeIngestion``: the one
started, else the latest) comes back with the result. A refresh never fails the run.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from pizza_game import settings

Status = Literal["started", "skipped", "failed", "not_configured"]
WINDOW = timedelta(hours=24)
RUNNING = ("INITIALIZED", "QUEUED", "RUNNING")
MAX_PAGES = 20


@dataclass(frozen=True)
class RefreshResult:
    """What became of this run's refresh of one dataset.

    ``refreshes_24h`` counts the ingestions QuickSight lists in the last 24 hours, this one
    included; ``ingestion`` is DescribeIngestion's account of the ingestion concerned."""

    status: Status
    ingestion_id: str | None
    reason: str
    refreshes_24h: int
    quota: int
    ingestion: dict = field(default_factory=dict)


def dataset_id(prefix: str, dataset: str) -> str:
    """The QuickSight DataSetId of a dataset (the template creates them under the same ids)."""
    return f"{prefix}-{dataset.replace('_', '-')}"


def _error(call: str, error: Exception) -> str:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{call} failed: {details.get('Code', 'Unknown')}: {details.get('Message', '')}"
    return f"{call} failed: {type(error).__name__}: {error}"


def list_ingestions(client: Any, account_id: str, data_set_id: str) -> list[dict]:
    """Every ingestion QuickSight lists for the dataset, newest first."""
    ingestions: list[dict] = []
    request = {"AwsAccountId": account_id, "DataSetId": data_set_id}
    for _ in range(MAX_PAGES):
        page = client.list_ingestions(**request)
        ingestions.extend(page.get("Ingestions", []))
        if not page.get("NextToken"):
            break
        request["NextToken"] = page["NextToken"]
    return sorted(ingestions, key=lambda i: i["CreatedTime"], reverse=True)


def describe(client: Any, account_id: str, data_set_id: str, ingestion_id: str) -> dict:
    """DescribeIngestion, reduced to what the asset's metadata shows."""
    try:
        ingestion = client.describe_ingestion(AwsAccountId=account_id, DataSetId=data_set_id, IngestionId=ingestion_id)["Ingestion"]
    except (ClientError, BotoCoreError) as error:
        return {"ingestion_id": ingestion_id, "error": _error("DescribeIngestion", error)}
    rows = ingestion.get("RowInfo", {})
    error_info = ingestion.get("ErrorInfo", {})
    outcome = {
        "ingestion_id": ingestion_id,
        "status": ingestion.get("IngestionStatus"),
        "created": ingestion["CreatedTime"].astimezone(UTC).isoformat() if ingestion.get("CreatedTime") else None,
        "seconds": ingestion.get("IngestionTimeInSeconds"),
        "rows_ingested": rows.get("RowsIngested"),
        "rows_dropped": rows.get("RowsDropped"),
    }
    if error_info:
        outcome["error"] = f"{error_info.get('Type', 'UNKNOWN')}: {error_info.get('Message', '')}"
    return {k: v for k, v in outcome.items() if v is not None}


def refresh_dataset(
    client: Any,
    *,
    account_id: str | None,
    data_set_id: str | None,
    quota: int,
    min_interval: timedelta | None = None,
    now: datetime | None = None,
) -> RefreshResult:
    """Start a FULL_REFRESH ingestion of ``data_set_id`` unless unconfigured, busy or over quota."""
    required = {settings.QUICKSIGHT_ACCOUNT_ID: account_id, settings.QUICKSIGHT_DATASET_ID: data_set_id}
    missing = [name for name, value in required.items() if not value]
    if missing:
        return RefreshResult("not_configured", None, f"{' and '.join(missing)} not set", 0, quota)
    assert account_id and data_set_id
    now = (now or datetime.now(UTC)).astimezone(UTC)
    try:
        ingestions = list_ingestions(client, account_id, data_set_id)
    except (ClientError, BotoCoreError) as error:
        return RefreshResult("skipped", None, f"cannot count the last 24 hours' refreshes: {_error('ListIngestions', error)}", 0, quota)
    recent = [i for i in ingestions if i["CreatedTime"].astimezone(UTC) > now - WINDOW]
    latest = ingestions[0] if ingestions else None

    def skipped(reason: str) -> RefreshResult:
        outcome = describe(client, account_id, data_set_id, latest["IngestionId"]) if latest else {}
        return RefreshResult("skipped", None, reason, len(recent), quota, outcome)

    if latest and latest.get("IngestionStatus") in RUNNING:
        return skipped(f"ingestion {latest['IngestionId']} is still {latest['IngestionStatus']}")
    if len(recent) >= quota:
        return skipped(f"{len(recent)} of {quota} refreshes already started in the last 24 hours")
    if min_interval and recent:
        next_allowed = recent[0]["CreatedTime"].astimezone(UTC) + min_interval
        if now < next_allowed:
            return skipped(f"the last refresh started at {recent[0]['CreatedTime'].astimezone(UTC).isoformat()}; the next is due from {next_allowed.isoformat()}")

    ingestion_id = f"pizza-game-{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    try:
        client.create_ingestion(
            AwsAccountId=account_id, DataSetId=data_set_id, IngestionId=ingestion_id, IngestionType="FULL_REFRESH"
        )
    except (ClientError, BotoCoreError) as error:
        return RefreshResult("failed", ingestion_id, _error("CreateIngestion", error), len(recent), quota)
    outcome = describe(client, account_id, data_set_id, ingestion_id)
    reason = f"refresh {len(recent) + 1} of {quota} in the last 24 hours"
    return RefreshResult("started", ingestion_id, reason, len(recent) + 1, quota, outcome)
