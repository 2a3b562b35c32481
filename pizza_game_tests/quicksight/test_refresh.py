"""The QuickSight refresh through botocore's Stubber (moto lacks the ingestion calls), which
checks every request and response against the QuickSight API model. QuickSight's own list of
ingestions is the only record of earlier refreshes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import ANY, Stubber

from pizza_game.quicksight.refresh import dataset_id, refresh_dataset

ACCOUNT, DATASET = "123456789012", "pizza-game-orders-hourly"
NOW = datetime(2024, 5, 4, 6, 0, tzinfo=UTC)
ARN = f"arn:aws:quicksight:eu-west-1:{ACCOUNT}:dataset/{DATASET}/ingestion/"
WHO = {"AwsAccountId": ACCOUNT, "DataSetId": DATASET}


def ingestion(ingestion_id: str, created: datetime, status: str = "COMPLETED", **extra) -> dict:
    return {"Arn": ARN + ingestion_id, "IngestionId": ingestion_id, "IngestionStatus": status, "CreatedTime": created, **extra}


@pytest.fixture
def quicksight():
    client = boto3.client("quicksight", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def listed(stub, *ingestions: dict, token: str | None = None, after: str | None = None) -> None:
    response = {"Ingestions": list(ingestions), "RequestId": "r", "Status": 200, **({"NextToken": token} if token else {})}
    stub.add_response("list_ingestions", response, {**WHO, **({"NextToken": after} if after else {})})


def described(stub, item: dict, ingestion_id=ANY) -> None:
    stub.add_response("describe_ingestion", {"Ingestion": item, "RequestId": "r", "Status": 200}, {**WHO, "IngestionId": ingestion_id})


def refresh(client, quota=8, interval=timedelta(hours=3)):
    return refresh_dataset(client, account_id=ACCOUNT, data_set_id=DATASET, quota=quota, min_interval=interval, now=NOW)


def test_a_refresh_starts_and_reports_what_describe_ingestion_says(quicksight):
    client, stub = quicksight
    listed(stub, ingestion("old", NOW - timedelta(hours=30)))
    stub.add_response(
        "create_ingestion",
        {"Arn": ARN + "x", "IngestionId": "x", "IngestionStatus": "INITIALIZED", "RequestId": "r", "Status": 201},
        {**WHO, "IngestionId": ANY, "IngestionType": "FULL_REFRESH"},
    )
    described(stub, ingestion("x", NOW, "QUEUED", QueueInfo={"WaitingOnIngestion": "y", "QueuedIngestion": "x"}))
    result = refresh(client)
    assert (result.status, result.refreshes_24h, result.quota) == ("started", 1, 8)
    assert result.ingestion_id.startswith("pizza-game-20240504T060000Z-")
    assert result.ingestion == {"ingestion_id": result.ingestion_id, "status": "QUEUED", "created": NOW.isoformat()}


def test_the_quota_counts_ingestions_over_a_rolling_24_hours_across_pages(quicksight):
    client, stub = quicksight
    # 8 refreshes in the last 24 hours, across midnight UTC and two pages: the ninth waits.
    first = [ingestion(f"a{i}", NOW - timedelta(hours=4 + i)) for i in range(5)]
    second = [ingestion(f"b{i}", NOW - timedelta(hours=10 + i)) for i in range(3)] + [ingestion("old", NOW - timedelta(hours=25))]
    listed(stub, *first, token="page2")
    listed(stub, *second, after="page2")
    described(stub, ingestion("a0", NOW - timedelta(hours=4), RowInfo={"RowsIngested": 720, "RowsDropped": 0}), "a0")
    result = refresh(client)
    assert (result.status, result.refreshes_24h) == ("skipped", 8)
    assert result.reason == "8 of 8 refreshes already started in the last 24 hours"
    assert result.ingestion["rows_ingested"] == 720


def test_refreshes_are_spaced_and_wait_for_a_running_one(quicksight):
    client, stub = quicksight
    listed(stub, ingestion("recent", NOW - timedelta(hours=1)))
    described(stub, ingestion("recent", NOW - timedelta(hours=1)), "recent")
    assert "the next is due from 2024-05-04T08:00:00+00:00" in refresh(client).reason
    listed(stub, ingestion("busy", NOW - timedelta(hours=5), "RUNNING"))
    described(stub, ingestion("busy", NOW - timedelta(hours=5), "RUNNING"), "busy")
    assert refresh(client).reason == "ingestion busy is still RUNNING"


def test_a_failed_ingestion_is_reported_with_its_error(quicksight):
    client, stub = quicksight
    failed = ingestion("bad", NOW - timedelta(hours=2), "FAILED", ErrorInfo={"Type": "S3_MANIFEST_ERROR", "Message": "manifest unreadable"})
    listed(stub, failed)
    described(stub, failed, "bad")
    result = refresh(client)
    assert result.status == "skipped"
    assert result.ingestion["error"] == "S3_MANIFEST_ERROR: manifest unreadable"


def test_quicksight_errors_are_results_not_exceptions(quicksight):
    client, stub = quicksight
    stub.add_client_error("list_ingestions", "AccessDeniedException", "not allowed", 403)
    result = refresh(client)
    assert (result.status, result.reason) == ("skipped", "cannot count the last 24 hours' refreshes: ListIngestions failed: AccessDeniedException: not allowed")
    listed(stub)
    stub.add_client_error("create_ingestion", "LimitExceededException", "too many", 429)
    failed = refresh(client)
    assert (failed.status, failed.reason) == ("failed", "CreateIngestion failed: LimitExceededException: too many")


def test_without_account_or_dataset_nothing_is_called():
    result = refresh_dataset(None, account_id=ACCOUNT, data_set_id=None, quota=8)
    assert (result.status, result.reason) == ("not_configured", "QUICKSIGHT_DATASET_ID not set")


def test_dataset_ids_are_the_prefix_and_the_dataset_name():
    assert dataset_id("pizza-game", "orders_hourly") == "pizza-game-orders-hourly"
