"""S3Store.put_many against moto over HTTP: every object written, encrypted, typed, retried."""

from __future__ import annotations

import pytest

from pizza_game.storage.s3 import S3Store
from pizza_game.storage.store import LocalStore, StorageError
from pizza_game_tests.s3_server import FaultProxy, MotoS3, s3_client
from pizza_game_tests.storage.test_s3 import first_request_of_each_object_fails

OBJECTS = [
    (f"raw-data/dominos-orders/mock/2024/05/{d:02d}/202405{d:02d}_{h:02d}0000_mock_orders.json", bytes([d, h]) * 100, "application/json")
    for d in (4, 5)
    for h in range(12)
]


def test_parallel_puts_write_every_object_encrypted_through_the_retries(moto_s3: MotoS3, s3_bucket: str) -> None:
    with FaultProxy(moto_s3.endpoint_url, first_request_of_each_object_fails) as proxy:
        S3Store(s3_client(proxy.endpoint_url), s3_bucket).put_many(OBJECTS)
    assert sum(proxy.faults.values()) == len(OBJECTS)
    client = moto_s3.client()
    for key, data, content_type in OBJECTS:
        head = client.head_object(Bucket=s3_bucket, Key=key)
        assert head["ServerSideEncryption"] == "AES256" and head["ContentType"] == content_type
        assert client.get_object(Bucket=s3_bucket, Key=key)["Body"].read() == data


def test_a_failed_parallel_put_names_its_key(moto_s3: MotoS3, s3_bucket: str) -> None:
    with FaultProxy(moto_s3.endpoint_url, first_request_of_each_object_fails) as proxy:
        store = S3Store(s3_client(proxy.endpoint_url, max_attempts=0), s3_bucket)
        with pytest.raises(StorageError, match=f"cannot write s3://{s3_bucket}/raw-data/.*SlowDown"):
            store.put_many(OBJECTS)


def test_local_put_many_writes_every_object(tmp_path) -> None:
    store = LocalStore(tmp_path)
    store.put_many(OBJECTS)
    assert {key: store.get(key) for key, _, _ in OBJECTS} == {key: data for key, data, _ in OBJECTS}
