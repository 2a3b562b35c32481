"""S3Store against moto over real HTTP: encryption, content types, paging, retries, checks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from pizza_game.storage import layout
from pizza_game.storage.s3 import S3Store
from pizza_game.storage.store import StorageError
from pizza_game_tests.s3_server import REGION, FaultProxy, MotoS3, s3_client

KEY = "quicksight-ready/dashboard-data/2024/05/04/20240504_000000_dashboard_data.json"


def test_every_put_is_encrypted_with_its_content_type(moto_s3: MotoS3, s3_bucket: str):
    store = S3Store(moto_s3.client(), s3_bucket)
    writes = {
        KEY: "application/json",
        layout.correlation_results_key(datetime(2024, 5, 4, tzinfo=UTC)): "text/csv",
        layout.REPORT_LATEST_KEY: "text/html; charset=utf-8",
    }
    for key, content_type in writes.items():
        store.put(key, b"{}", content_type)
    for key, content_type in writes.items():
        head = store.client.head_object(Bucket=s3_bucket, Key=key)
        assert head["ServerSideEncryption"] == "AES256"
        assert head["ContentType"] == content_type


def test_kms_encryption_names_the_key(moto_s3: MotoS3, s3_bucket: str):
    kms = boto3.client("kms", endpoint_url=moto_s3.endpoint_url, region_name=REGION)
    key_id = kms.create_key(Description="pizza-game test key")["KeyMetadata"]["KeyId"]
    store = S3Store(moto_s3.client(), s3_bucket, sse="aws:kms", kms_key_id=key_id)
    store.put(KEY, b"{}", "application/json")
    head = store.client.head_object(Bucket=s3_bucket, Key=KEY)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert key_id in head["SSEKMSKeyId"]
    assert store.get(KEY) == b"{}"


@pytest.mark.parametrize(
    ("sse", "kms_key_id", "named"),
    [("aes256", None, "S3_SSE"), ("AES256", "alias/pizza", "S3_KMS_KEY_ID")],
)
def test_bad_encryption_settings_are_refused(moto_s3: MotoS3, sse, kms_key_id, named):
    with pytest.raises(ValueError, match=named):
        S3Store(moto_s3.client(), "bucket", sse=sse, kms_key_id=kms_key_id)


def test_listing_pages_past_a_thousand_keys(moto_s3: MotoS3, s3_bucket: str):
    store = S3Store(moto_s3.client(), s3_bucket)
    keys = [f"raw-data/football-data/mock/day{i:04d}/matches.json" for i in range(1001)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda key: store.put(key, b"[]", "application/json"), keys))
    assert store.list("raw-data/") == keys
    assert store.list_dirs("raw-data/football-data/mock/") == [
        key.rsplit("/", 1)[0] + "/" for key in keys
    ]


def test_missing_bucket_fails_the_check_with_one_clear_message(moto_s3: MotoS3):
    store = S3Store(moto_s3.client(), "no-such-pizza-bucket")
    with pytest.raises(StorageError) as raised:
        store.check()
    assert str(raised.value) == (
        f"S3 bucket 'no-such-pizza-bucket' does not exist at endpoint {moto_s3.endpoint_url} "
        "(S3_BUCKET_NAME, S3_ENDPOINT_URL)"
    )
    assert raised.value.permanent


def test_writing_to_a_missing_bucket_is_a_permanent_error(moto_s3: MotoS3):
    store = S3Store(moto_s3.client(), "no-such-pizza-bucket")
    with pytest.raises(StorageError, match="NoSuchBucket") as raised:
        store.put(KEY, b"{}", "application/json")
    assert raised.value.permanent
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("code", ["403", "AccessDenied"])
def test_denied_bucket_fails_the_check_naming_bucket_and_variable(code):
    client = boto3.client(
        "s3", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y"
    )
    store = S3Store(client, "pizza-prod")
    with Stubber(client) as stub:
        stub.add_client_error("head_bucket", service_error_code=code, http_status_code=403)
        with pytest.raises(StorageError) as raised:
            store.check()
    message = str(raised.value)
    assert message.startswith("S3 bucket 'pizza-prod' denies access")
    assert message.endswith("at endpoint https://s3.amazonaws.com (S3_BUCKET_NAME)")
    assert raised.value.permanent


def test_other_read_errors_name_bucket_key_and_code():
    client = boto3.client(
        "s3", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y"
    )
    store = S3Store(client, "pizza-prod")
    with Stubber(client) as stub:
        stub.add_client_error("get_object", "AccessDenied", "Access Denied", http_status_code=403)
        with pytest.raises(
            StorageError, match=f"cannot read s3://pizza-prod/{KEY} .*AccessDenied: Access Denied"
        ) as raised:
            store.get(KEY)
    assert raised.value.permanent


def test_a_server_error_that_outlived_the_retries_is_not_permanent():
    client = boto3.client(
        "s3", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y"
    )
    store = S3Store(client, "pizza-prod")
    with Stubber(client) as stub:
        stub.add_client_error("put_object", "SlowDown", "Reduce your request rate", http_status_code=503)
        with pytest.raises(StorageError, match="SlowDown") as raised:
            store.put(KEY, b"{}", "application/json")
    assert not raised.value.permanent


def test_unreachable_endpoint_fails_the_check_clearly():
    store = S3Store(s3_client("http://127.0.0.1:9", max_attempts=0), "pizza")
    with pytest.raises(
        StorageError, match=r"cannot reach S3 bucket 'pizza' at endpoint http://127.0.0.1:9 "
    ):
        store.check()


def first_request_of_each_object_fails(method: str, path: str, seen: int) -> int | None:
    """Every object's first PUT and first GET are refused, alternating 503 SlowDown and 500."""
    if seen == 0 and method in {"PUT", "GET"} and path.count("/") > 1:
        return 503 if method == "PUT" else 500
    return None


def test_retries_ride_out_slowdown_and_internal_errors(moto_s3: MotoS3, s3_bucket: str):
    payloads = {
        f"raw-data/dominos-orders/mock/2024/05/04/20240504_{h:02d}0000_mock_orders.json": bytes([h])
        * 1000
        for h in range(3)
    }
    with FaultProxy(moto_s3.endpoint_url, first_request_of_each_object_fails) as proxy:
        store = S3Store(s3_client(proxy.endpoint_url), s3_bucket)
        for key, data in payloads.items():
            store.put(key, data, "application/json")
        assert {key: store.get(key) for key in payloads} == payloads
    assert sum(proxy.faults.values()) == 2 * len(payloads)
    assert S3Store(moto_s3.client(), s3_bucket).list("raw-data/") == sorted(payloads)


def test_without_retries_the_injected_fault_surfaces(moto_s3: MotoS3, s3_bucket: str):
    with FaultProxy(moto_s3.endpoint_url, first_request_of_each_object_fails) as proxy:
        store = S3Store(s3_client(proxy.endpoint_url, max_attempts=0), s3_bucket)
        with pytest.raises(StorageError, match=f"cannot write s3://{s3_bucket}/{KEY} .*SlowDown"):
            store.put(KEY, b"{}", "application/json")
    assert sum(proxy.faults.values()) == sum(proxy.seen.values()) == 1
    assert not S3Store(moto_s3.client(), s3_bucket).exists(KEY)
