"""Fan a date range out to the deployed Lambda function: one asynchronous invocation per UTC day.

Each day is sent as ``{"partition": "YYYY-MM-DD"}`` with ``InvocationType="Event"``: Lambda
queues it and answers 202 at once, so a result here means "accepted", not "processed". Processing
outcomes land in the function's logs and dead-letter queue. Send them to the template's backfill
function (stack output BackfillFunctionName), which runs several days at once (up to
``BackfillConcurrency`` when that is set) and never refreshes QuickSight; the hourly pipeline
function runs one invocation at a time (its run lock), so days
sent there would queue ahead of the hourly runs (see deploy/README.md).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

ACCEPTED = 202


@dataclass(frozen=True)
class InvokeResult:
    """What Lambda answered for one day: its HTTP status code, or the error that stopped it."""

    partition: str
    status_code: int | None
    error: str | None = None

    @property
    def accepted(self) -> bool:
        return self.error is None and self.status_code == ACCEPTED


def day_partitions(start: date, end: date) -> list[str]:
    """Daily partition keys of ``[start, end)``; datetimes must be at midnight."""
    first, stop = _as_day("start", start), _as_day("end", end)
    if stop <= first:
        raise ValueError(f"end ({stop}) must be after start ({first}); end is exclusive")
    return [(first + timedelta(days=n)).isoformat() for n in range((stop - first).days)]


def invoke_backfill(
    function_name: str,
    start: date,
    end: date,
    *,
    lambda_client: Any,
    max_concurrency: int = 8,
) -> list[InvokeResult]:
    """Invoke ``function_name`` once per day of ``[start, end)``, at most ``max_concurrency`` calls
    in flight; one failed call is reported in its result and never stops the others."""
    if max_concurrency < 1:
        raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
    partitions = day_partitions(start, end)

    def invoke(partition: str) -> InvokeResult:
        try:
            response = lambda_client.invoke(
                FunctionName=function_name,
                InvocationType="Event",
                Payload=json.dumps({"partition": partition}).encode(),
            )
        except ClientError as error:
            details = error.response.get("Error", {})
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            message = f"{details.get('Code', 'ClientError')}: {details.get('Message', '')}"
            return InvokeResult(partition, status, message)
        except BotoCoreError as error:
            return InvokeResult(partition, None, f"{type(error).__name__}: {error}")
        status = response.get("StatusCode")
        if status != ACCEPTED:
            return InvokeResult(partition, status, f"expected status {ACCEPTED}, got {status}")
        return InvokeResult(partition, status)

    with ThreadPoolExecutor(max_workers=min(max_concurrency, len(partitions))) as pool:
        return list(pool.map(invoke, partitions))


def _as_day(name: str, value: date) -> date:
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise ValueError(f"{name} must be a date or a datetime at midnight, got {value}")
        return value.date()
    return value
