"""The QuickSight refresh with botocore's Stubber (moto lacks CreateIngestion); real ledgers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import ANY, Stubber

from pizza_game.quicksight.refresh import RefreshResult, refresh_dataset
from pizza_game.storage.layout import REFRESH_LEDGER_KEY
from pizza_game.storage.s3 import S3Store
from pizza_game.storage.store import LocalStore

ACCOUNT, DATASET = "123456789012", "pizza-dashboard"
MORNING = datetime(2024, 5, 4, 6, 0, tzinfo=UTC)
STARTED = {
    "Arn": "arn:aws:quicksight:eu-west-1:123456789012:dataset/pizza-dashboard/ingestion/x",
    "IngestionId": "x",
    "IngestionStatus": "INITIALIZED",
    "RequestId": "r",
    "Status": 201,
}
EXPECTED = {
    "AwsAccountId": ACCOUNT,
    "DataSetId": DATASET,
    "IngestionId": ANY,
    "IngestionType": "FULL_REFRESH",
}


@pytest.fixture
def quicksight():
    client = boto3.client(
        "quicksight", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


@pytest.fixture
def store(tmp_path) -> LocalStore:
    return LocalStore(tmp_path / "data")


def refresh(client, store, now=MORNING, quota=8) -> RefreshResult:
    return refresh_dataset(
        client, store, account_id=ACCOUNT, dataset_id=DATASET, quota=quota, now=now
    )


def test_refresh_starts_a_full_refresh_and_records_it(quicksight, store):
    client, stub = quicksight
    stub.add_response("create_ingestion", STARTED, EXPECTED)
    result = refresh(client, store)
    assert (result.status, result.refreshes_today, result.quota) == ("started", 1, 8)
    assert result.ingestion_id.startswith("pizza-game-20240504T060000Z-")
    ledger = json.loads((store.root / REFRESH_LEDGER_KEY).read_text())
    assert ledger == {
        "day": "2024-05-04",
        "refreshes": [
            {"ingestion_id": result.ingestion_id, "started_at": "2024-05-04T06:00:00+00:00"}
        ],
    }


def test_ninth_refresh_of_the_day_is_skipped_on_standard_edition(quicksight, store):
    client, stub = quicksight
    for _ in range(8):
        stub.add_response("create_ingestion", STARTED, EXPECTED)
    results = [refresh(client, store, MORNING + timedelta(hours=hour)) for hour in range(9)]
    assert [r.status for r in results] == ["started"] * 8 + ["skipped"]
    assert len({r.ingestion_id for r in results[:8]}) == 8
    assert results[8] == RefreshResult(
        "skipped", None, "8 of 8 refreshes already started on 2024-05-04 (UTC)", 8, 8
    )


def test_the_quota_starts_again_the_next_utc_day(quicksight, store):
    client, stub = quicksight
    for _ in range(2):
        stub.add_response("create_ingestion", STARTED, EXPECTED)
    assert refresh(client, store, quota=1).status == "started"
    assert refresh(client, store, MORNING + timedelta(hours=17), quota=1).status == "skipped"
    next_day = refresh(client, store, MORNING + timedelta(hours=18), quota=1)
    assert (next_day.status, next_day.refreshes_today) == ("started", 1)


def test_the_ledger_survives_a_new_process(quicksight, store):
    client, stub = quicksight
    for _ in range(3):
        stub.add_response("create_ingestion", STARTED, EXPECTED)
        refresh(client, store)
    next_invocation = LocalStore(store.root)
    assert refresh(client, next_invocation, quota=3) == RefreshResult(
        "skipped", None, "3 of 3 refreshes already started on 2024-05-04 (UTC)", 3, 3
    )


def test_the_ledger_lives_in_the_bucket_beside_the_manifest(quicksight, moto_s3, s3_bucket):
    client, stub = quicksight
    stub.add_response("create_ingestion", STARTED, EXPECTED)
    first = refresh(client, S3Store(moto_s3.client(), s3_bucket), quota=1)
    second = refresh(client, S3Store(moto_s3.client(), s3_bucket), quota=1)
    assert (first.status, second.status, second.refreshes_today) == ("started", "skipped", 1)
    head = moto_s3.client().head_object(Bucket=s3_bucket, Key=REFRESH_LEDGER_KEY)
    assert head["ServerSideEncryption"] == "AES256"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 429),
        ("ResourceNotFoundException", 404),
        ("LimitExceededException", 409),
    ],
)
def test_a_failing_refresh_is_reported_not_raised(quicksight, store, code, status):
    client, stub = quicksight
    stub.add_client_error(
        "create_ingestion", code, f"{code} for dataset {DATASET}", status, expected_params=EXPECTED
    )
    result = refresh(client, store)
    assert result.status == "failed"
    assert result.reason == f"CreateIngestion failed: {code}: {code} for dataset {DATASET}"
    assert result.refreshes_today == 0
    assert not store.exists(REFRESH_LEDGER_KEY)


@pytest.mark.parametrize(
    ("account_id", "dataset_id", "reason"),
    [
        (None, None, "QUICKSIGHT_ACCOUNT_ID and QUICKSIGHT_DATASET_ID not set"),
        (ACCOUNT, "", "QUICKSIGHT_DATASET_ID not set"),
    ],
)
def test_without_account_and_dataset_nothing_is_called(
    quicksight, store, account_id, dataset_id, reason
):
    client, _ = quicksight
    result = refresh_dataset(
        client, store, account_id=account_id, dataset_id=dataset_id, quota=8, now=MORNING
    )
    assert result == RefreshResult("not_configured", None, reason, 0, 8)
    assert not store.exists(REFRESH_LEDGER_KEY)


def test_an_unreadable_ledger_is_started_afresh(quicksight, store):
    client, stub = quicksight
    store.put(REFRESH_LEDGER_KEY, b"{not json", "application/json")
    stub.add_response("create_ingestion", STARTED, EXPECTED)
    result = refresh(client, store)
    assert (result.status, result.refreshes_today) == ("started", 1)
    assert "unreadable ledger" in result.reason
    assert json.loads(store.get(REFRESH_LEDGER_KEY))["day"] == "2024-05-04"


def test_refreshes_are_spread_over_the_day(quicksight, store):
    client, stub = quicksight
    for _ in range(3):
        stub.add_response("create_ingestion", STARTED, EXPECTED)
    spaced = lambda hour: refresh_dataset(  # noqa: E731
        client, store, account_id=ACCOUNT, dataset_id=DATASET, quota=8,
        min_interval=timedelta(hours=3), now=MORNING + timedelta(hours=hour),
    )
    results = [spaced(hour) for hour in range(7)]
    assert [r.status for r in results] == ["started", "skipped", "skipped", "started", "skipped", "skipped", "started"]
    assert results[1].reason.endswith("the next is due from 2024-05-04T09:00:00+00:00")
