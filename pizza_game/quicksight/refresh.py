"""Refresh the QuickSight dataset (CreateIngestion) after publishing, within the daily quota.

QuickSight allows a fixed number of manual dataset refreshes per day (8 on Standard edition,
32 on Enterprise). Hourly runs would exhaust that, and every run may be a fresh Lambda, so the
refreshes started today are counted in a small JSON ledger kept in the object store beside the
manifest. A refresh never fails the run: problems come back as a RefreshResult.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from pizza_game import settings
from pizza_game.storage.layout import REFRESH_LEDGER_KEY
from pizza_game.storage.store import ObjectStore, StorageError

Status = Literal["started", "skipped", "failed", "not_configured"]


@dataclass(frozen=True)
class RefreshResult:
    """What became of this run's refresh; ``refreshes_today`` counts started ones, this included."""

    status: Status
    ingestion_id: str | None
    reason: str
    refreshes_today: int
    quota: int


def _read_ledger(store: ObjectStore, day: str) -> tuple[list[dict[str, str]], str]:
    """Today's started refreshes, and a note when the ledger could not be used as it was."""
    try:
        ledger = json.loads(store.get(REFRESH_LEDGER_KEY))
    except KeyError:
        return [], ""
    except ValueError as error:
        return [], f"the unreadable ledger {REFRESH_LEDGER_KEY} was started afresh ({error})"
    if not isinstance(ledger, dict) or not isinstance(ledger.get("refreshes"), list):
        return [], f"the ledger {REFRESH_LEDGER_KEY} had an unknown shape and was started afresh"
    return (ledger["refreshes"] if ledger.get("day") == day else []), ""


def refresh_dataset(
    client: Any,
    store: ObjectStore,
    *,
    account_id: str | None,
    dataset_id: str | None,
    quota: int,
    min_interval: timedelta | None = None,
    now: datetime | None = None,
) -> RefreshResult:
    """Start a FULL_REFRESH ingestion of ``dataset_id``, unless unconfigured or over today's quota.

    ``client`` is a boto3 QuickSight client (unused when not configured); ``now`` defaults to the
    current UTC time, whose date is the quota's day. With ``min_interval``, a refresh is skipped
    until that long after the previous one, so hourly publishes spread the quota over the day
    instead of spending it by breakfast.
    """
    required = {
        settings.QUICKSIGHT_ACCOUNT_ID: account_id,
        settings.QUICKSIGHT_DATASET_ID: dataset_id,
    }
    missing = [name for name, value in required.items() if not value]
    if missing:
        return RefreshResult("not_configured", None, f"{' and '.join(missing)} not set", 0, quota)

    now = (now or datetime.now(UTC)).astimezone(UTC)
    day = now.date().isoformat()
    try:
        refreshes, note = _read_ledger(store, day)
    except StorageError as error:
        return RefreshResult("skipped", None, f"cannot count today's refreshes: {error}", 0, quota)
    if len(refreshes) >= quota:
        reason = f"{len(refreshes)} of {quota} refreshes already started on {day} (UTC)"
        return RefreshResult("skipped", None, reason, len(refreshes), quota)
    if min_interval and refreshes:
        next_allowed = datetime.fromisoformat(refreshes[-1]["started_at"]) + min_interval
        if now < next_allowed:
            reason = f"the last refresh started at {refreshes[-1]['started_at']}; the next is due from {next_allowed.isoformat()}"
            return RefreshResult("skipped", None, reason, len(refreshes), quota)

    ingestion_id = f"pizza-game-{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    try:
        client.create_ingestion(
            AwsAccountId=account_id,
            DataSetId=dataset_id,
            IngestionId=ingestion_id,
            IngestionType="FULL_REFRESH",
        )
    except ClientError as error:
        details = error.response.get("Error", {})
        code, message = details.get("Code", "Unknown"), details.get("Message", "")
        reason = f"CreateIngestion failed: {code}: {message}"
        return RefreshResult("failed", ingestion_id, reason, len(refreshes), quota)
    except BotoCoreError as error:
        reason = f"CreateIngestion failed: {type(error).__name__}: {error}"
        return RefreshResult("failed", ingestion_id, reason, len(refreshes), quota)

    refreshes = [*refreshes, {"ingestion_id": ingestion_id, "started_at": now.isoformat()}]
    ledger = json.dumps({"day": day, "refreshes": refreshes}, indent=2).encode()
    try:
        store.put(REFRESH_LEDGER_KEY, ledger, "application/json")
    except StorageError as error:
        note = f"today's refresh count was not saved: {error}"
    reason = "; ".join(filter(None, [f"refresh {len(refreshes)} of {quota} on {day} (UTC)", note]))
    return RefreshResult("started", ingestion_id, reason, len(refreshes), quota)
